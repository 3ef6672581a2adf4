//! The EIP-712 anchor message: what each validator signs with its EVM key so that the hub
//! accepts an epoch's batch root.
//!
//! Domain: name `DatanetHub`, version `1`, the chain id and the hub's address, so a signature
//! is good for one deployment only. Type: `Anchor(bytes32 datanet,uint64 epoch,bytes32
//! batchRoot,bytes32 rewardsRoot)`. The rewards root is zero until an epoch pays rewards.

use alloy::primitives::{Address, B256};
use alloy::sol_types::{eip712_domain, SolStruct};
use datanet_protocol::{DatanetId, Hash};

use crate::bindings::Anchor;
use crate::error::ChainError;
use crate::evm_key::EvmKey;

/// One epoch batch of one datanet, as the hub anchors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorMessage {
    /// The chain's id.
    pub chain_id: u64,
    /// The hub's address.
    pub hub: Address,
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The root of the epoch's final batch.
    pub batch_root: Hash,
    /// The root of the epoch's rewards tree; zero when it pays none.
    pub rewards_root: Hash,
}

impl AnchorMessage {
    /// The EIP-712 digest the validators sign and the hub recovers signers from.
    pub fn digest(&self) -> B256 {
        let domain = eip712_domain! {
            name: "DatanetHub",
            version: "1",
            chain_id: self.chain_id,
            verifying_contract: self.hub,
        };
        self.typed().eip712_signing_hash(&domain)
    }

    /// `key`'s 65-byte signature of the message.
    ///
    /// # Errors
    /// As [`EvmKey::sign_digest`].
    pub fn sign(&self, key: &EvmKey) -> Result<[u8; 65], ChainError> {
        key.sign_digest(&self.digest())
    }

    /// The address that signed `signature` over this message, if it is a valid signature.
    pub fn signer(&self, signature: &[u8; 65]) -> Option<Address> {
        let signature = alloy::primitives::Signature::try_from(&signature[..]).ok()?;
        signature.recover_address_from_prehash(&self.digest()).ok()
    }

    fn typed(&self) -> Anchor {
        Anchor {
            datanet: B256::from(self.datanet.0 .0),
            epoch: self.epoch,
            batchRoot: B256::from(self.batch_root.0),
            rewardsRoot: B256::from(self.rewards_root.0),
        }
    }
}

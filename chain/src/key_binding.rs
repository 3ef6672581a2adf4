//! The binding of a validator's ed25519 network key to its EVM address on one hub.
//!
//! The network key signs `keccak256("datanet/hub/key-binding/1" ‖ chain id as 32 big-endian
//! bytes ‖ hub address ‖ EVM address)` as a 32-byte digest, the way it signs every object
//! hash; the hub recomputes the digest and verifies the signature on chain, so nobody can bind
//! a network key they do not hold. The chain id and hub address make a binding useless on any
//! other deployment.

use alloy::primitives::{keccak256, Address, B256, U256};
use datanet_protocol::{Hash, SecretKey};

/// The prefix of every binding message; the hub's `KEY_BINDING_DOMAIN`.
pub const KEY_BINDING_DOMAIN: &[u8] = b"datanet/hub/key-binding/1";

/// The digest a network key signs to bind itself to `validator` on `hub` of chain `chain_id`.
pub fn message(chain_id: u64, hub: Address, validator: Address) -> B256 {
    let mut bytes = Vec::with_capacity(KEY_BINDING_DOMAIN.len() + 32 + 20 + 20);
    bytes.extend_from_slice(KEY_BINDING_DOMAIN);
    bytes.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    bytes.extend_from_slice(hub.as_slice());
    bytes.extend_from_slice(validator.as_slice());
    keccak256(bytes)
}

/// The network key's signature binding it to `validator`, split as the hub takes it: `R`, `S`.
pub fn sign(network: &SecretKey, chain_id: u64, hub: Address, validator: Address) -> (B256, B256) {
    let digest = message(chain_id, hub, validator);
    let signature = network.sign(&Hash(digest.0));
    let (r, s) = signature.0.split_at(32);
    (B256::from_slice(r), B256::from_slice(s))
}

//! The binding of a contributor's ed25519 network key to the EVM address its rewards are
//! paid to on one hub.
//!
//! The network key signs `keccak256("datanet/hub/payee-binding/1" ‖ chain id as 32 big-endian
//! bytes ‖ hub address ‖ payee)` as a 32-byte digest, the way it signs every object hash; the
//! hub verifies the signature on chain and records the payee once. The signature is the
//! authority, so anyone may submit it; the chain id and hub address make it useless on any
//! other deployment, and its own domain keeps it apart from a validator's key binding.

use alloy::primitives::{keccak256, Address, B256, U256};
use datanet_protocol::{Hash, SecretKey};

/// The prefix of every payee binding message; the hub's `PAYEE_BINDING_DOMAIN`.
pub const PAYEE_BINDING_DOMAIN: &[u8] = b"datanet/hub/payee-binding/1";

/// The digest a network key signs to be paid at `payee` on `hub` of chain `chain_id`.
pub fn message(chain_id: u64, hub: Address, payee: Address) -> B256 {
    let mut bytes = Vec::with_capacity(PAYEE_BINDING_DOMAIN.len() + 32 + 20 + 20);
    bytes.extend_from_slice(PAYEE_BINDING_DOMAIN);
    bytes.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    bytes.extend_from_slice(hub.as_slice());
    bytes.extend_from_slice(payee.as_slice());
    keccak256(bytes)
}

/// The network key's signature naming `payee`, split as the hub takes it: `R`, `S`.
pub fn sign(network: &SecretKey, chain_id: u64, hub: Address, payee: Address) -> (B256, B256) {
    let digest = message(chain_id, hub, payee);
    let signature = network.sign(&Hash(digest.0));
    let (r, s) = signature.0.split_at(32);
    (B256::from_slice(r), B256::from_slice(s))
}

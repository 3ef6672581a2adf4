//! datanet's EVM side, shared by the daemon and the light client.
//!
//! - [`bindings`]: the hub contract and the OPEN token, from their committed artifacts.
//! - [`HubClient`]: what a node reads from and sends to its hub (validator sets and stakes,
//!   registration, staking, anchoring, reading anchors back, funding and claiming rewards);
//!   [`Hub`] implements it over any EVM JSON-RPC endpoint.
//! - [`AnchorMessage`]: the EIP-712 message validators sign over an epoch's batch root.
//! - [`key_binding`]: the ed25519 signature that binds a validator's network key to its EVM
//!   address on the hub.
//! - [`rewards`]: an epoch's contributor rewards as the Merkle tree whose root is anchored
//!   ([`RewardsTree`]), the claims the hub checks against it ([`RewardClaim`],
//!   [`rewards::verify`]), and the division of an epoch's share by contribution weight
//!   ([`split`]); [`payee_binding`]: the ed25519 signature naming the EVM address a
//!   contributor's rewards are paid to.
//! - [`EvmKey`]: a validator's EVM signing key on disk.
//! - [`AttributionProof`]: a contribution's inclusion in an anchored batch, checked against
//!   the chain alone.
//! - [`DevChain`]: a local anvil with the contracts deployed, for tests and the devnet.

pub mod bindings;
mod client;
mod devchain;
mod error;
mod evm_key;
mod hub;
pub mod key_binding;
mod message;
pub mod payee_binding;
mod proof;
mod proof_file;
pub mod rewards;
mod stake;

pub use client::HubClient;
pub use devchain::{anvil_binary, deploy, Deployment, DevChain, DEV_CHAIN_ID};
pub use error::ChainError;
pub use evm_key::EvmKey;
pub use hub::{AnchorOnChain, ChainParams, Hub, HubDatanet, HubStakes, SentTx};
pub use message::AnchorMessage;
pub use proof::{AttributionProof, ProofError, PROOF_FORMAT};
pub use proof_file::ProofReport;
pub use rewards::{split, RewardClaim, RewardsError, RewardsTree, Split};
pub use stake::{format_open, parse_open, stake_units, STAKE_UNIT};

pub use alloy::primitives::{Address, TxHash, B256, U256};

//! `datanet-daemon`: the datanet node.
//!
//! A [`Node`] composes the network ([`datanet_net`], in the storage role) with the store
//! ([`datanet_storage`]) and the policy checks ([`datanet_policy`]): it answers peers from
//! its store, disperses contributions as columns to their custodians, retrieves them by
//! reconstruction from any `k` columns, samples them to check availability, and repairs the
//! columns it owes; with a validator key it judges contributions, and every node collects
//! attestations and epoch batches ([`quorum`]). The local API and the `datanet` command line sit on top.

mod anchoring;
pub mod api;
mod attribution;
mod catchup;
pub mod cli;
mod clock;
mod dispersal;
mod error;
mod events;
mod identity;
mod ingest;
mod models;
mod node;
pub mod quorum;
mod repair;
mod retrieval;
mod rewards;
mod serve;
mod submissions;
mod upkeep;

pub use anchoring::AnchoringStatus;
pub use attribution::{AttributionSettings, ModelAttribution, ShardRef};
pub use datanet_net::SampleReport;
pub use dispersal::DispersalReport;
pub use error::NodeError;
pub use events::NodeEvent;
pub use identity::{
    load_or_create_contributor_key, load_or_create_evm_key, load_or_create_key,
    load_or_create_validator_key, load_validator_key, peer_id_of, NodeKeys, CONTRIBUTOR_KEY_FILE,
    NODE_KEY_FILE,
};
pub use ingest::{Payload, Progress};
pub use models::ModelRequest;
pub use node::{Node, NodeConfig};
pub use repair::RepairReport;
pub use retrieval::ChunkStream;
pub use rewards::{Claimed, RewardsStatus};
pub use submissions::SubmittedRecord;
pub use upkeep::Connectivity;

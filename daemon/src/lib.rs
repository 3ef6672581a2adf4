//! `datanet-daemon`: the datanet node.
//!
//! A [`Node`] runs one libp2p swarm (QUIC and TCP, identify, ping, kademlia, gossipsub and
//! datanet's request-response protocol) over a [`datanet_storage::Store`]. It disperses
//! contributions as columns to their custodians, retrieves them by reconstruction from any
//! `k` columns, and samples them to check availability.

pub mod api;
pub mod cli;
pub mod custody;
mod dispersal;
mod error;
mod identity;
mod ingest;
pub mod net;
mod node;
mod repair;
mod retrieval;
mod sampling;

pub use dispersal::DispersalReport;
pub use error::NodeError;
pub use identity::{
    load_or_create_contributor_key, load_or_create_key, peer_id_of, CONTRIBUTOR_KEY_FILE,
    NODE_KEY_FILE,
};
pub use ingest::{Payload, Progress, MAX_CONTRIBUTION_BYTES};
pub use node::{Node, NodeConfig};
pub use repair::RepairReport;
pub use retrieval::ChunkStream;
pub use sampling::SampleReport;

//! `datanet-light`: a light client that keeps no data and trusts the chain, not the peers.
//!
//! It joins the network as a light peer (it asks; it custodies and answers nothing), follows
//! the hub's anchor events for the datanets it watches, fetches each anchored batch and checks
//! it against the anchored root, and samples every chunk of every contribution in it to a
//! chosen confidence ([`check`]). Fraud proofs the network verified mark their squares
//! invalid. Its progress ([`progress`]) survives a restart, so nothing is sampled twice.
//!
//! - [`LightClient`]: the running client.
//! - [`check`]: one contribution's availability verdict.
//! - [`follow`]: following anchored batches on the chain.
//! - [`progress`]: what was checked, on disk.
//! - [`http`]: the optional local endpoint applications ask.

mod batch;
pub mod check;
mod client;
mod error;
pub mod follow;
pub mod http;
pub mod progress;

pub use check::{ChunkVerdict, ContributionVerdict};
pub use client::{LightClient, LightConfig};
pub use error::LightError;
pub use follow::{FollowChain, Followed};

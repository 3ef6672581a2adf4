//! `datanet-net`: datanet's peer network, without the store.
//!
//! One libp2p swarm per node (QUIC and TCP, identify, ping, kademlia, gossipsub and datanet's
//! request-response protocol), driven by a worker task and used through a cloneable
//! [`NetHandle`]. A node plays one [`Role`]: a storage node answers requests and custodies
//! columns; a light node only asks and is never made a custodian. Inbound requests are handed
//! out as [`InboundRequest`]s to whoever answers them (the daemon, from its store). Gossip is
//! validated off the swarm task and reported as [`NetEvent`]s carrying the verified object.
//! The typed fetches ([`NetHandle::get_manifest`], [`NetHandle::get_columns`],
//! [`NetHandle::get_samples`] and the others) verify every answer and score the peer the
//! same way everywhere; [`sampling::sample`] checks a square's availability.
//!
//! Every task the network spawns runs on the [`TaskTracker`](tokio_util::task::TaskTracker)
//! it is given and stops when the given token is cancelled, so its owner can drain it.

mod behaviour;
mod budget;
mod client;
pub mod codec;
mod config;
pub mod custody;
mod error;
mod gossip;
mod handle;
mod inbound;
pub mod logging;
mod members;
mod quorum;
pub mod sampling;
mod scores;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
mod worker;

pub use config::{
    loopback_addrs, peer_of, NetConfig, Role, CONNECTIONS, CUSTODY_GRACE, IDLE, PRESENCE_INTERVAL,
};
pub use error::{FetchError, NetError, RequestFailure};
pub use handle::{Membership, NetEvent, NetHandle, DIAL_TIMEOUT};
pub use inbound::{InboundRequest, Responder};
pub use libp2p::{identity, Multiaddr, PeerId};
pub use members::now_ms;
pub use quorum::{Judgement, QuorumGossip, Verdict};
pub use sampling::SampleReport;
pub use scores::{NetStats, PeerScores};
pub use worker::{spawn, Spawned};

//! What can go wrong in a light client.

use datanet_protocol::ContributionId;

/// A light client's failure.
#[derive(Debug, thiserror::Error)]
pub enum LightError {
    /// The network could not start or stopped.
    #[error("network: {0}")]
    Net(#[from] datanet_net::NetError),
    /// A bootstrap address names no peer (`/p2p/…`), so a connection to it could not be
    /// told from a failure.
    #[error("bootstrap address {0} names no peer: end it with /p2p/PEER_ID")]
    BadBootstrap(String),
    /// Not one bootstrap address could be reached: the client would know no peer.
    #[error("no bootstrap peer reached: {0}")]
    NoBootstrap(String),
    /// No connected storage peer holds the contribution's manifest.
    #[error("no peer holds contribution {0}")]
    UnknownContribution(ContributionId),
    /// The chain could not be read.
    #[error("chain: {0}")]
    Chain(#[from] datanet_chain::ChainError),
    /// An anchored batch could not be had, or does not match the chain.
    #[error("{0}")]
    Batch(String),
    /// The progress store failed.
    #[error("progress store at {path}: {message}")]
    Progress {
        /// The store's folder.
        path: String,
        /// What failed.
        message: String,
    },
}

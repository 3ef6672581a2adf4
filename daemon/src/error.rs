//! The node's error type: what the caller got wrong ([`NodeError::Invalid`]), what the
//! network or its data did ([`NodeError::Unavailable`], [`NodeError::BadEncoding`],
//! [`NodeError::ChunkMismatch`], [`NodeError::PayloadMismatch`]), and what failed inside the
//! node ([`NodeError::Internal`]), kept apart so the API answers 400, 502/503 and 500
//! respectively.

use datanet_net::NetError;
use datanet_protocol::{ChunkId, ContributionId, DaRoot, DatanetId, ModelId, SquareError};
use datanet_storage::StoreError;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The network failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encoding or rebuilding a square failed.
    #[error(transparent)]
    Square(#[from] SquareError),
    /// The contribution breaks its datanet's policy.
    #[error(transparent)]
    Policy(#[from] datanet_policy::Violation),
    /// No peer could provide the manifest of a contribution.
    #[error("contribution {0} is unknown here and no peer provided its manifest")]
    UnknownContribution(ContributionId),
    /// No peer could provide a datanet record.
    #[error("datanet {0} is unknown here and no peer provided its record")]
    UnknownDatanet(DatanetId),
    /// This node holds no model record with this id.
    #[error("model {0} is unknown here")]
    UnknownModel(ModelId),
    /// Too few columns of a chunk could be fetched to rebuild it.
    #[error("chunk {chunk} is unavailable: {have} of the {need} columns needed could be fetched")]
    Unavailable {
        /// The chunk.
        chunk: ChunkId,
        /// Verified columns obtained.
        have: usize,
        /// Columns needed (`k`).
        need: usize,
    },
    /// Too few columns of a square could be fetched to rebuild it (the square of no chunk
    /// yet: [`NodeError::Unavailable`] names the chunk once it is known).
    #[error(
        "square {da_root} is unavailable: {have} of the {need} columns needed could be fetched"
    )]
    SquareUnavailable {
        /// The square.
        da_root: DaRoot,
        /// Verified columns obtained.
        have: usize,
        /// Columns needed (`k`).
        need: usize,
    },
    /// The square is badly encoded; the fraud proof was recorded and gossiped.
    #[error("square {0} is badly encoded; its fraud proof was published")]
    BadEncoding(DaRoot),
    /// Rebuilt bytes do not hash to the chunk id the manifest lists.
    #[error("rebuilt chunk does not match its id {0}")]
    ChunkMismatch(ChunkId),
    /// A contribution's chunks do not hash to the payload hash its manifest lists.
    #[error("the payload of {0} does not match its manifest's hash")]
    PayloadMismatch(ContributionId),
    /// Input refused before anything was done.
    #[error("{0}")]
    Invalid(String),
    /// The node failed inside: a task panicked or was cancelled, a writer thread died.
    #[error("internal error: {0}")]
    Internal(String),
    /// A contribution has no proof yet: not batched, not anchored, or no chain configured.
    #[error("{0}")]
    NotAnchored(String),
    /// The chain's RPC endpoint could not be reached; trying again later may work.
    #[error("{0}")]
    ChainUnreachable(String),
    /// A key file (node, contributor or validator) could not be used.
    #[error("key: {0}")]
    Key(String),
}

impl NodeError {
    /// An [`NodeError::Internal`] for a background task that did not finish.
    pub(crate) fn task(what: &str, e: tokio::task::JoinError) -> Self {
        NodeError::Internal(format!("{what} failed: {e}"))
    }
}

//! The node's error type.

use datanet_protocol::{ChunkId, ContributionId, DaRoot, DatanetId, SquareError};
use datanet_storage::StoreError;

use crate::net::NetError;

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
    /// No peer could provide the manifest of a contribution.
    #[error("contribution {0} is unknown here and no peer provided its manifest")]
    UnknownContribution(ContributionId),
    /// No peer could provide a datanet record.
    #[error("datanet {0} is unknown here and no peer provided its record")]
    UnknownDatanet(DatanetId),
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
    /// The square is badly encoded; the fraud proof was recorded and gossiped.
    #[error("square {0} is badly encoded; its fraud proof was published")]
    BadEncoding(DaRoot),
    /// Rebuilt bytes do not hash to the chunk id the manifest lists.
    #[error("rebuilt chunk does not match its id {0}")]
    ChunkMismatch(ChunkId),
    /// Input refused before anything was done.
    #[error("{0}")]
    Invalid(String),
    /// The node's key file could not be used.
    #[error("node key: {0}")]
    Key(String),
    /// The node has shut down.
    #[error("the node has shut down")]
    Stopped,
}

//! Why a network call failed, typed so that every caller treats a peer the same way: a peer
//! that answers with malformed or wrong data loses score wherever it is asked, a peer that is
//! merely slow or gone does not.

use libp2p::{Multiaddr, PeerId};

/// Why a request to a peer got no usable answer at the transport level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFailure {
    /// No answer within the request timeout.
    #[error("no answer in time")]
    Timeout,
    /// The peer could not be reached, or its connection closed before it answered.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer's answer did not decode or broke a size limit: a protocol violation.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl RequestFailure {
    /// Whether the failure is the peer's fault, so that it costs the peer score.
    pub fn is_peer_fault(&self) -> bool {
        matches!(self, RequestFailure::Malformed(_))
    }
}

/// Why a network call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// A request got no usable answer.
    #[error("request to {peer} failed: {failure}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// What went wrong.
        failure: RequestFailure,
    },
    /// Dialing an address failed.
    #[error("dialing {0} failed: {1}")]
    Dial(Multiaddr, String),
    /// Listening on an address failed.
    #[error("listening on {0} failed: {1}")]
    Listen(Multiaddr, String),
    /// The network worker has stopped.
    #[error("the network worker has stopped")]
    WorkerDied,
}

/// Why a typed fetch from one peer gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The request itself failed (see [`RequestFailure::is_peer_fault`] for scoring).
    #[error(transparent)]
    Net(#[from] NetError),
    /// The peer does not hold what was asked for.
    #[error("{0} does not hold it")]
    NotFound(PeerId),
    /// The peer refused, with its reason (busy, or a put it cannot take yet).
    #[error("{peer} refused: {reason}")]
    Refused {
        /// The peer.
        peer: PeerId,
        /// Its reason.
        reason: String,
    },
    /// Checking the answer was cancelled: the node is shutting down.
    #[error("the check was cancelled")]
    Stopped,
    /// The peer answered with data that does not verify or is not what was asked for.
    #[error("{peer} answered with invalid data: {why}")]
    Invalid {
        /// The peer.
        peer: PeerId,
        /// What was wrong.
        why: String,
    },
}

impl FetchError {
    /// Whether the failure is the peer's fault: it answered wrongly or malformed.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            FetchError::Invalid { .. } => true,
            FetchError::Net(NetError::Request { failure, .. }) => failure.is_peer_fault(),
            _ => false,
        }
    }
}

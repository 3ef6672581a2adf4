//! What the node tells its users about its own state, apart from the network's events
//! ([`datanet_net::NetEvent`]): columns it stored, squares it learned are badly encoded,
//! datanets it learned of, attestations, settled contributions and final batches.

use datanet_protocol::signed::Verdict;
use datanet_protocol::{ContributionId, DaRoot, DatanetId, Hash, PublicKey};

use crate::quorum::lifecycle::Stage;
use tokio::sync::broadcast;

/// Events buffered per subscriber; a slow subscriber misses the oldest.
const EVENT_BUFFER: usize = 1024;

/// A change in what the node holds or knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A square was proven badly encoded (by this node or by a verified gossiped proof); it
    /// is no longer served or accepted.
    ChunkInvalid(DaRoot),
    /// A datanet record, verified, was stored (created here, fetched, or received by gossip).
    DatanetAdded(DatanetId),
    /// This node stored a column it custodies (received, or rebuilt by repair).
    ColumnStored {
        /// The square.
        da_root: DaRoot,
        /// The column.
        index: u16,
    },
    /// A validator's attestation on a contribution was verified and stored (this node's
    /// own included).
    Attested {
        /// The contribution.
        contribution: ContributionId,
        /// The validator.
        validator: PublicKey,
        /// Its verdict.
        verdict: Verdict,
    },
    /// A contribution was settled: accepted (its certificate formed) or rejected.
    Settled {
        /// The contribution.
        contribution: ContributionId,
        /// [`Stage::Accepted`] or [`Stage::Rejected`].
        stage: Stage,
    },
    /// A final epoch batch was stored.
    Batched {
        /// The datanet.
        datanet: DatanetId,
        /// The epoch.
        epoch: u64,
        /// The batch root.
        root: Hash,
        /// Contributions in it.
        contributions: usize,
    },
    /// A final batch was anchored on chain, with enough confirmations.
    Anchored {
        /// The datanet.
        datanet: DatanetId,
        /// The epoch.
        epoch: u64,
        /// The batch root.
        root: Hash,
        /// The anchoring transaction.
        tx: Hash,
        /// Its block.
        block: u64,
    },
    /// Anchoring could not talk to the chain, or the chain refused it; it retries with
    /// backoff. Raised once per distinct failure.
    AnchoringFailed {
        /// What failed.
        error: String,
    },
    /// Anchoring works again after a failure.
    AnchoringResumed,
}

/// The node's event channel; cheap to clone, sending never waits.
#[derive(Debug, Clone)]
pub(crate) struct Events(broadcast::Sender<NodeEvent>);

impl Events {
    /// A channel with no subscriber yet.
    pub(crate) fn new() -> Self {
        Events(broadcast::channel(EVENT_BUFFER).0)
    }

    /// Tells every subscriber.
    pub(crate) fn emit(&self, event: NodeEvent) {
        let _ = self.0.send(event);
    }

    /// A receiver of events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.0.subscribe()
    }
}

//! Server-sent events: the node's own events, the network's peer and announcement events, and
//! the progress of uploads, as JSON objects with a `type` field, on one broadcast channel
//! that `/v1/events` subscribers read.

use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use datanet_net::NetEvent;
use tokio_util::task::TaskTracker;

use datanet_protocol::signed::Verdict;

use crate::{NodeEvent, Progress};

/// Events buffered per subscriber; a slow subscriber misses the oldest.
const BUFFER: usize = 1024;

/// One event as subscribers see it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ApiEvent {
    /// A peer connected.
    PeerConnected {
        /// The peer.
        peer_id: String,
    },
    /// A peer disconnected.
    PeerDisconnected {
        /// The peer.
        peer_id: String,
    },
    /// A contribution was announced by gossip.
    Announced {
        /// The contribution.
        contribution: String,
    },
    /// A datanet record was stored.
    DatanetAdded {
        /// The datanet.
        datanet: String,
    },
    /// A square was proven badly encoded.
    ChunkInvalid {
        /// Its DA root.
        da_root: String,
    },
    /// A custodied column was stored.
    ColumnStored {
        /// Its square.
        da_root: String,
        /// The column.
        index: u16,
    },
    /// A validator's attestation was stored.
    Attested {
        /// The contribution.
        contribution: String,
        /// The validator's key.
        validator: String,
        /// `accept` or `reject`.
        verdict: &'static str,
    },
    /// A contribution was accepted or rejected.
    Settled {
        /// The contribution.
        contribution: String,
        /// `accepted` or `rejected`.
        stage: &'static str,
    },
    /// A final epoch batch was stored.
    Batched {
        /// The datanet.
        datanet: String,
        /// The epoch.
        epoch: u64,
        /// The batch root.
        root: String,
        /// Contributions in it.
        contributions: usize,
    },
    /// A final batch was anchored on chain.
    Anchored {
        /// The datanet.
        datanet: String,
        /// The epoch.
        epoch: u64,
        /// The batch root.
        root: String,
        /// The anchoring transaction, `0x` hex.
        tx: String,
        /// Its block.
        block: u64,
    },
    /// Anchoring failed; it retries with backoff.
    AnchoringFailed {
        /// What failed.
        error: String,
    },
    /// Anchoring works again after a failure.
    AnchoringResumed,
    /// An upload's progress.
    Upload {
        /// The upload's number on this daemon.
        upload: u64,
        /// `encoded` or `dispersed`.
        stage: &'static str,
        /// Chunks done.
        done: usize,
        /// Chunks in all.
        total: usize,
    },
}

impl ApiEvent {
    /// The event for a network event, if subscribers are told of it (verified fraud proofs
    /// and datanet records reach them as the node events their storing raises; model records
    /// are looked up, not streamed).
    fn of_net(event: NetEvent) -> Option<Self> {
        Some(match event {
            NetEvent::PeerConnected(p) => ApiEvent::PeerConnected {
                peer_id: p.to_string(),
            },
            NetEvent::PeerDisconnected(p) => ApiEvent::PeerDisconnected {
                peer_id: p.to_string(),
            },
            NetEvent::Announced(manifest) => ApiEvent::Announced {
                contribution: manifest.id().to_string(),
            },
            NetEvent::StoragePeer(_)
            | NetEvent::MemberArrived(_)
            | NetEvent::Fraud(_)
            | NetEvent::Datanet(_)
            | NetEvent::Model(_) => return None,
        })
    }

    /// The event for a node event.
    fn of_node(event: NodeEvent) -> Self {
        match event {
            NodeEvent::DatanetAdded(d) => ApiEvent::DatanetAdded {
                datanet: d.to_string(),
            },
            NodeEvent::ChunkInvalid(r) => ApiEvent::ChunkInvalid {
                da_root: r.to_string(),
            },
            NodeEvent::ColumnStored { da_root, index } => ApiEvent::ColumnStored {
                da_root: da_root.to_string(),
                index,
            },
            NodeEvent::Attested {
                contribution,
                validator,
                verdict,
            } => ApiEvent::Attested {
                contribution: contribution.to_string(),
                validator: validator.to_string(),
                verdict: match verdict {
                    Verdict::Accept => "accept",
                    Verdict::Reject => "reject",
                },
            },
            NodeEvent::Settled {
                contribution,
                stage,
            } => ApiEvent::Settled {
                contribution: contribution.to_string(),
                stage: stage.name(),
            },
            NodeEvent::Batched {
                datanet,
                epoch,
                root,
                contributions,
            } => ApiEvent::Batched {
                datanet: datanet.to_string(),
                epoch,
                root: root.to_string(),
                contributions,
            },
            NodeEvent::Anchored {
                datanet,
                epoch,
                root,
                tx,
                block,
            } => ApiEvent::Anchored {
                datanet: datanet.to_string(),
                epoch,
                root: root.to_string(),
                tx: format!("0x{}", hex::encode(tx.0)),
                block,
            },
            NodeEvent::AnchoringFailed { error } => ApiEvent::AnchoringFailed { error },
            NodeEvent::AnchoringResumed => ApiEvent::AnchoringResumed,
        }
    }

    /// The event for an upload's progress.
    pub(crate) fn upload(upload: u64, progress: Progress) -> Self {
        let (stage, done, total) = match progress {
            Progress::Encoded { done, total } => ("encoded", done, total),
            Progress::Dispersed { done, total } => ("dispersed", done, total),
        };
        ApiEvent::Upload {
            upload,
            stage,
            done,
            total,
        }
    }
}

/// The channel subscribers read, fed by the node's and the network's events until
/// `cancel`, by a task on `tasks`.
pub(crate) fn channel(
    mut node_events: broadcast::Receiver<NodeEvent>,
    mut net_events: broadcast::Receiver<NetEvent>,
    tasks: &TaskTracker,
    cancel: CancellationToken,
) -> broadcast::Sender<ApiEvent> {
    let (tx, _) = broadcast::channel(BUFFER);
    let forward = tx.clone();
    tasks.spawn(async move {
        loop {
            let event = tokio::select! {
                _ = cancel.cancelled() => break,
                event = node_events.recv() => received(event).map(|e| e.map(ApiEvent::of_node)),
                event = net_events.recv() => received(event).map(|e| e.and_then(ApiEvent::of_net)),
            };
            match event {
                Some(Some(event)) => {
                    let _ = forward.send(event);
                }
                Some(None) => {}
                None => break,
            }
        }
    });
    tx
}

/// A received event (`None` inside when some were missed), or `None` once the channel closed.
fn received<T>(event: Result<T, broadcast::error::RecvError>) -> Option<Option<T>> {
    match event {
        Ok(event) => Some(Some(event)),
        Err(broadcast::error::RecvError::Lagged(_)) => Some(None),
        Err(broadcast::error::RecvError::Closed) => None,
    }
}

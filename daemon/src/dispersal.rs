//! Dispersal: the ingesting node gives every column of every chunk to its custodians. Each
//! custodian first receives the manifest and headers, then its columns as top halves in
//! batches of up to 32 (one durable store commit per batch); it extends and verifies every
//! column against the DA root before storing any. Dispersal completes when every column is
//! held by enough custodians, or reports which are short.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datanet_protocol::encoding::Encode;
use datanet_protocol::{ContributionId, DaRoot, ExtendedSquare, Line, Manifest, SquareError};
use datanet_storage::AsyncStore;
use futures::{stream, StreamExt};
use libp2p::PeerId;

use crate::custody::custodians;
use crate::net::wire::{ColumnHalf, Request, Response, MAX_PUSH_COLUMNS};
use crate::net::NetHandle;
use crate::NodeError;

/// Pushes in flight at once.
const PUSHES_IN_FLIGHT: usize = 16;

/// What a dispersal achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispersalReport {
    /// The contribution dispersed.
    pub contribution: ContributionId,
    /// Columns in all of its squares.
    pub columns: usize,
    /// Custodian acknowledgements received, this node's own custody included.
    pub acks: usize,
    /// Columns held by fewer custodians than required, with how many hold them.
    pub short: Vec<(DaRoot, u16, usize)>,
    /// Payload bytes sent to other nodes (manifests, headers and column halves).
    pub bytes_sent: u64,
}

impl DispersalReport {
    /// Whether every column reached the required number of custodians.
    pub fn complete(&self) -> bool {
        self.short.is_empty()
    }
}

/// Disperses `squares` (one per chunk of `manifest`, in order) to the custodians among this
/// node and its connected peers; `replicas` custodians per column, `min_acks` required.
pub(crate) async fn disperse(
    net: &NetHandle,
    store: &AsyncStore,
    manifest: &Manifest,
    squares: &[Arc<ExtendedSquare>],
    replicas: usize,
    min_acks: usize,
) -> Result<DispersalReport, NodeError> {
    let local = net.local_peer_id();
    let mut peers = net.peers().await?;
    peers.push(local);
    let required = min_acks.min(replicas).min(peers.len()).max(1);

    let mut plan: Vec<(usize, u16, PeerId)> = Vec::new();
    let mut acks: BTreeMap<(usize, u16), usize> = BTreeMap::new();
    let mut own: BTreeMap<usize, Vec<Line>> = BTreeMap::new();
    for (i, square) in squares.iter().enumerate() {
        for c in 0..square.params().width() as u16 {
            acks.insert((i, c), 0);
            for peer in custodians(&peers, c, replicas) {
                if peer == local {
                    own.entry(i).or_default().push(square.column(c.into())?);
                } else {
                    plan.push((i, c, peer));
                }
            }
        }
    }

    for (i, lines) in own {
        let square = Arc::clone(&squares[i]);
        let indices: Vec<u16> = lines.iter().map(|l| l.index).collect();
        store
            .run(move |s| s.put_columns(&square.header(), &lines))
            .await?;
        for c in indices {
            *acks.entry((i, c)).or_default() += 1;
        }
    }

    let headers: Vec<_> = squares.iter().map(|s| s.header()).collect();
    let announce = Request::PutManifest {
        manifest: Box::new(manifest.clone()),
        headers,
    };
    let announce_bytes = announce.to_bytes().len() as u64;
    let targets: BTreeSet<PeerId> = plan.iter().map(|(_, _, p)| *p).collect();
    let ready: BTreeSet<PeerId> = stream::iter(targets)
        .map(|peer| {
            let request = announce.clone();
            async move { (peer, net.request(peer, request).await) }
        })
        .buffer_unordered(PUSHES_IN_FLIGHT)
        .filter_map(|(peer, result)| async move {
            matches!(result, Ok(Response::Stored)).then_some(peer)
        })
        .collect()
        .await;
    let mut bytes_sent = announce_bytes * ready.len() as u64;

    let mut batches: BTreeMap<(PeerId, usize), Vec<u16>> = BTreeMap::new();
    for (i, c, peer) in plan.into_iter().filter(|(_, _, peer)| ready.contains(peer)) {
        batches.entry((peer, i)).or_default().push(c);
    }
    let pushes = batches.into_iter().flat_map(|((peer, i), columns)| {
        columns
            .chunks(MAX_PUSH_COLUMNS)
            .map(|batch| (peer, i, batch.to_vec()))
            .collect::<Vec<_>>()
    });
    let results: Vec<_> = stream::iter(pushes)
        .map(|(peer, i, batch)| {
            let square = Arc::clone(&squares[i]);
            async move {
                let columns = batch
                    .iter()
                    .map(|c| {
                        let line = square.column(usize::from(*c))?;
                        Ok(ColumnHalf {
                            index: *c,
                            top_half: line.top_half().to_vec(),
                            axis_path: line.axis_path,
                        })
                    })
                    .collect::<Result<Vec<_>, SquareError>>()
                    .ok()?;
                let request = Request::PutColumns {
                    da_root: square.da_root(),
                    columns,
                };
                let sent = request.to_bytes().len() as u64;
                let stored = matches!(net.request(peer, request).await, Ok(Response::Stored));
                Some((i, batch, stored, sent))
            }
        })
        .buffer_unordered(PUSHES_IN_FLIGHT)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    for (i, batch, stored, sent) in results {
        bytes_sent += sent;
        if stored {
            for c in batch {
                *acks.entry((i, c)).or_default() += 1;
            }
        }
    }

    let short = acks
        .iter()
        .filter(|(_, n)| **n < required)
        .map(|((i, c), n)| (squares[*i].da_root(), *c, *n))
        .collect();
    Ok(DispersalReport {
        contribution: manifest.id(),
        columns: acks.len(),
        acks: acks.values().sum(),
        short,
        bytes_sent,
    })
}

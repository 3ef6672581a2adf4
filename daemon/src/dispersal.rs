//! Dispersal: the ingesting node gives every column of every chunk to its custodians. Each
//! custodian first receives the manifest and headers, then its columns as top halves in
//! batches of up to 32 (one durable store commit per batch); it extends and verifies every
//! column against the DA root before storing any. Squares are pushed one at a time, so a
//! contribution of any size needs only the square being pushed in memory. Dispersal
//! completes when every column is held by enough custodians, or reports which are short.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datanet_net::custody::{in_batches, Assignment, CustodySet};
use datanet_net::NetHandle;
use datanet_protocol::wire::{ColumnHalf, MAX_PUSH_COLUMNS};
use datanet_protocol::{
    Axis, ChunkId, ContributionId, DaRoot, Hash, Manifest, SquareHeader, TopHalf,
};
use datanet_storage::Store;
use futures::{stream, StreamExt};
use libp2p::PeerId;

use crate::ingest::{Committed, Progress};
use crate::NodeError;

/// Pushes in flight at once, per square.
const PUSHES_IN_FLIGHT: usize = 16;
/// Manifest requests in flight at once: each can carry 8 MiB of headers.
const ANNOUNCES_IN_FLIGHT: usize = 4;
/// Squares whose columns travel at once, so one square's slowest custodian does not hold up
/// the next square.
const SQUARES_IN_FLIGHT: usize = 3;
/// Top halves made ahead of the ones being pushed, so making them overlaps the network.
const ENCODE_AHEAD: usize = 1;
/// How long a failed manifest or column push waits before its one retry. Under load a
/// connection may close under a push; one retry over a fresh connection costs the bytes once,
/// where leaving the columns to repair would cost `k` columns fetched for each.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// What a dispersal achieved. A dispersal that leaves columns short is not an error, so a
/// report dropped unread loses that news.
#[must_use = "a short dispersal is reported here, not as an error"]
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

/// One contribution's dispersal in progress: the manifest has reached the custodians that
/// answered; squares are then pushed with [`Pusher::push`] (several may be in flight) and
/// each outcome is tallied with [`Dispersal::record`].
pub(crate) struct Dispersal<'a> {
    pusher: Pusher<'a>,
    contribution: ContributionId,
    required: usize,
    roots: Vec<DaRoot>,
    acks: BTreeMap<(usize, u16), usize>,
    bytes_sent: u64,
}

/// Who receives which column of a contribution, and the means to send them: cheap to copy
/// into each square's push.
#[derive(Clone)]
pub(crate) struct Pusher<'a> {
    net: &'a NetHandle,
    targets: Arc<Targets>,
}

/// The headers of a dispersal's squares, and for each square width the pushes it takes: the
/// columns of every peer that accepted the manifest, in batches.
struct Targets {
    headers: Vec<SquareHeader>,
    pushes: BTreeMap<usize, Vec<(PeerId, Vec<u16>)>>,
}

impl Targets {
    /// The pushes square `index` takes; none for a square outside the dispersal.
    fn pushes_for(&self, index: usize) -> &[(PeerId, Vec<u16>)] {
        self.headers
            .get(index)
            .and_then(|h| self.pushes.get(&h.params.width()))
            .map_or(&[], Vec::as_slice)
    }
}

/// What pushing one square achieved.
pub(crate) struct Pushed {
    index: usize,
    acked: Vec<u16>,
    bytes_sent: u64,
}

/// Disperses a committed contribution: its manifest to every custodian, then each square's
/// columns from its top half, [`SQUARES_IN_FLIGHT`] squares at a time, reporting each square
/// pushed to `progress`. This node's own columns were stored while committing, under the same
/// `custody`.
pub(crate) async fn disperse(
    net: &NetHandle,
    store: Store,
    committed: &Committed,
    custody: CustodySet,
    min_acks: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<DispersalReport, NodeError> {
    let mut dispersal = Dispersal::start(
        net,
        &committed.manifest,
        committed.headers.clone(),
        custody,
        min_acks,
    )
    .await?;
    let total = committed.headers.len();
    let to_push = dispersal.squares_to_push();
    let mut done = total - to_push.len();
    if done > 0 {
        progress(Progress::Dispersed { done, total });
    }
    let pusher = dispersal.pusher.clone();
    let mut pushed = std::pin::pin!(top_halves(store, &committed.manifest, to_push)
        .map(|top| {
            let pusher = pusher.clone();
            async move {
                let (index, top) = top?;
                pusher.push(index, top).await
            }
        })
        .buffered(SQUARES_IN_FLIGHT));
    while let Some(square) = pushed.next().await {
        dispersal.record(square?);
        done += 1;
        progress(Progress::Dispersed { done, total });
    }
    Ok(dispersal.finish())
}

/// The top halves of squares `indices` of `manifest`'s contribution, in that order, each
/// made from its chunk read back from the store (verified), a few ahead of the consumer.
fn top_halves(
    store: Store,
    manifest: &Manifest,
    indices: Vec<usize>,
) -> impl futures::Stream<Item = Result<(usize, Arc<TopHalf>), NodeError>> {
    let codec = manifest.body().codec;
    let chunks = &manifest.body().chunks;
    let ids: Vec<(usize, ChunkId)> = indices
        .into_iter()
        .filter_map(|i| Some((i, chunks.get(i)?.id)))
        .collect();
    stream::iter(ids)
        .map(move |(index, id)| {
            let store = store.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    let chunk = store.chunk(&id)?.ok_or_else(|| {
                        NodeError::Internal(format!("chunk {id} left the store during ingest"))
                    })?;
                    Ok((index, Arc::new(TopHalf::encode(&chunk, codec)?)))
                })
                .await
                .map_err(|e| NodeError::task("encoding", e))?
            }
        })
        .buffered(ENCODE_AHEAD)
}

impl<'a> Dispersal<'a> {
    /// Sends `manifest` and its `headers` to every other peer that custodies a column of it.
    /// This node's own columns were stored as the contribution was committed, under the same
    /// `custody`, and count as one acknowledgement each.
    pub(crate) async fn start(
        net: &'a NetHandle,
        manifest: &Manifest,
        headers: Vec<SquareHeader>,
        custody: CustodySet,
        min_acks: usize,
    ) -> Result<Dispersal<'a>, NodeError> {
        let required = min_acks
            .min(custody.replicas)
            .min(custody.peers.len())
            .max(1);
        let assignments: BTreeMap<usize, Assignment> = headers
            .iter()
            .map(|h| h.params.width())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|width| (width, custody.assign(width)))
            .collect();
        let mut acks = BTreeMap::new();
        for (i, header) in headers.iter().enumerate() {
            let width = header.params.width();
            for c in 0..width as u16 {
                acks.insert((i, c), 0);
            }
            for c in &assignments[&width].own {
                acks.insert((i, *c), 1);
            }
        }
        let targets: BTreeSet<PeerId> = assignments
            .values()
            .flat_map(|a| a.others.keys().copied())
            .collect();
        let roots = headers.iter().map(SquareHeader::da_root).collect();
        let (manifest_ref, headers_ref) = (manifest, &headers);
        let ready: BTreeMap<PeerId, u64> = stream::iter(targets)
            .map(|peer| async move {
                let mut put = net.put_manifest(peer, manifest_ref, headers_ref).await;
                if put.is_err() {
                    tokio::time::sleep(RETRY_AFTER).await;
                    put = net.put_manifest(peer, manifest_ref, headers_ref).await;
                }
                if let Err(e) = &put {
                    tracing::info!(%peer, error = %e, "custodian did not take the manifest");
                }
                (peer, put)
            })
            .buffer_unordered(ANNOUNCES_IN_FLIGHT)
            .filter_map(|(peer, put)| async move { Some((peer, put.ok()?)) })
            .collect()
            .await;
        Ok(Dispersal {
            contribution: manifest.id(),
            bytes_sent: ready.values().sum(),
            pusher: Pusher {
                net,
                targets: Arc::new(Targets {
                    headers,
                    pushes: assignments
                        .into_iter()
                        .map(|(width, assignment)| {
                            let to_ready = assignment
                                .others
                                .into_iter()
                                .filter(|(peer, _)| ready.contains_key(peer));
                            (width, in_batches(to_ready, MAX_PUSH_COLUMNS))
                        })
                        .collect(),
                }),
            },
            required,
            roots,
            acks,
        })
    }

    /// The squares that have columns for other peers, in order: the only ones to push.
    pub(crate) fn squares_to_push(&self) -> Vec<usize> {
        let targets = &self.pusher.targets;
        (0..targets.headers.len())
            .filter(|i| !targets.pushes_for(*i).is_empty())
            .collect()
    }

    /// Counts the acknowledgements of one pushed square.
    pub(crate) fn record(&mut self, pushed: Pushed) {
        self.bytes_sent += pushed.bytes_sent;
        for c in pushed.acked {
            *self.acks.entry((pushed.index, c)).or_default() += 1;
        }
    }

    /// What the dispersal achieved once every square was pushed.
    pub(crate) fn finish(self) -> DispersalReport {
        let short = self
            .acks
            .iter()
            .filter(|(_, n)| **n < self.required)
            .map(|((i, c), n)| (self.roots[*i], *c, *n))
            .collect();
        DispersalReport {
            contribution: self.contribution,
            columns: self.acks.len(),
            acks: self.acks.values().sum(),
            short,
            bytes_sent: self.bytes_sent,
        }
    }
}

impl Pusher<'_> {
    /// Gives the columns of square `index` (of the manifest's chunks) that other peers
    /// custody, from its top half.
    pub(crate) async fn push(&self, index: usize, top: Arc<TopHalf>) -> Result<Pushed, NodeError> {
        let targets = &self.targets;
        let header = targets
            .headers
            .get(index)
            .filter(|h| h.params == *top.params())
            .ok_or_else(|| {
                NodeError::Invalid(format!("square {index} is not of this dispersal"))
            })?;
        let paths = Arc::new(header.axis_paths(Axis::Col));
        let da_root = header.da_root();
        let pushes = targets.pushes_for(index).to_vec();
        let net = self.net;
        let others = stream::iter(pushes)
            .map(|(peer, batch)| {
                let (top, paths) = (Arc::clone(&top), Arc::clone(&paths));
                async move {
                    let columns = column_halves(&top, &paths, &batch)?;
                    let len = ColumnHalf::push_len(&columns) as u64;
                    let mut sent = len;
                    let mut put = net.put_columns(peer, da_root, columns.clone()).await;
                    if put.is_err() {
                        tokio::time::sleep(RETRY_AFTER).await;
                        sent += len;
                        put = net.put_columns(peer, da_root, columns).await;
                    }
                    if let Err(e) = &put {
                        tracing::info!(%peer, %da_root, error = %e, "columns not taken");
                    }
                    Ok::<_, NodeError>((batch, put.is_ok(), sent))
                }
            })
            .buffer_unordered(PUSHES_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        let mut pushed = Pushed {
            index,
            acked: Vec::new(),
            bytes_sent: 0,
        };
        for push in others {
            let (batch, stored, sent) = push?;
            pushed.bytes_sent += sent;
            if stored {
                pushed.acked.extend(batch);
            }
        }
        Ok(pushed)
    }
}

/// Columns `batch` of a square as top halves, with their root paths from `paths`.
///
/// # Errors
/// [`NodeError::Internal`] for a column outside the square: custody assigns none.
fn column_halves(
    top: &TopHalf,
    paths: &[Vec<Hash>],
    batch: &[u16],
) -> Result<Vec<ColumnHalf>, NodeError> {
    batch
        .iter()
        .map(|c| {
            let outside = || NodeError::Internal(format!("column {c} is outside the square"));
            Ok(ColumnHalf {
                index: *c,
                top_half: top.column(usize::from(*c)).map_err(|_| outside())?.into(),
                axis_path: paths.get(usize::from(*c)).ok_or_else(outside)?.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use datanet_net::test_utils::MockNet;
    use datanet_protocol::test_utils::sample_contribution;
    use datanet_protocol::wire::{Request, Response};
    use datanet_protocol::CodecId;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn acks_count_only_custodians_that_took_the_manifest_and_stored_the_columns() {
        let sample = sample_contribution(3, 1, 20_000);
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let (stores, refuses_columns, refuses_manifest) = (peers[0], peers[1], peers[2]);
        let mock = MockNet::new(peers.clone(), move |peer, request| {
            Ok(match request {
                Request::PutManifest { .. } if peer == refuses_manifest => {
                    Response::Refused("busy".into())
                }
                Request::PutColumns { .. } if peer == refuses_columns => {
                    Response::Refused("busy".into())
                }
                _ => Response::Stored,
            })
        });
        let local = mock.handle.local_peer_id();
        let custody = CustodySet {
            local,
            peers: [peers.clone(), vec![local]].concat(),
            replicas: 2,
        };
        let mut dispersal = Dispersal::start(
            &mock.handle,
            &sample.manifest,
            sample.headers.clone(),
            custody.clone(),
            2,
        )
        .await
        .unwrap();
        for index in dispersal.squares_to_push() {
            let top = TopHalf::encode(&sample.chunks[index], CodecId::RsLeopard).unwrap();
            let pushed = dispersal.pusher.push(index, Arc::new(top)).await.unwrap();
            dispersal.record(pushed);
        }
        let report = dispersal.finish();

        let width = sample.headers[0].params.width();
        let assignment = custody.assign(width);
        let holders = |c: u16| {
            usize::from(assignment.own.contains(&c))
                + usize::from(
                    assignment
                        .others
                        .get(&stores)
                        .is_some_and(|cols| cols.contains(&c)),
                )
        };
        let root = sample.headers[0].da_root();
        assert_eq!(report.columns, width);
        assert_eq!(report.acks, (0..width as u16).map(holders).sum::<usize>());
        let short: Vec<(DaRoot, u16, usize)> = (0..width as u16)
            .filter(|c| holders(*c) < 2)
            .map(|c| (root, c, holders(c)))
            .collect();
        assert_eq!(report.short, short);
        assert!(!report.complete(), "two of three peers took no columns");
        let pushed_to: BTreeSet<PeerId> = mock
            .requests()
            .into_iter()
            .filter(|(_, r)| matches!(r, Request::PutColumns { .. }))
            .map(|(p, _)| p)
            .collect();
        assert!(
            !pushed_to.contains(&refuses_manifest),
            "no columns without the manifest"
        );
        assert!(report.bytes_sent > 0);
    }
}

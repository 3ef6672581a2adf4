//! Retrieval: a contribution's bytes from the local store when present, otherwise each chunk
//! rebuilt from `k` verified columns fetched from custodians (original columns first, as they
//! need no decoding), and checked against its chunk id.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use datanet_net::custody::{candidates, in_batches};
use datanet_net::NetHandle;
use datanet_protocol::hash::{Domain, Hasher};
use datanet_protocol::wire::{FraudNotice, MAX_GET_COLUMNS};
use datanet_protocol::{
    BadEncodingProof, ChunkId, ContributionId, DaRoot, ExtendedSquare, Manifest, SquareError,
    SquareHeader, SHARE_SIZE,
};
use datanet_storage::{AsyncStore, Store};
use futures::future::join_all;
use futures::{stream, Future, StreamExt};
use libp2p::PeerId;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::events::{Events, NodeEvent};
use crate::NodeError;

/// Chunks fetched and rebuilt at the same time: while one is rebuilt, the next ones' columns
/// arrive (3 measured 142-144 MiB/s in `netbench 256` against 113-123 MiB/s for 2; each
/// costs up to ~50 MiB of columns and square).
const CHUNKS_IN_FLIGHT: usize = 3;

/// What retrieval works with: the network, the store, where node events go, and the
/// custodians per column.
#[derive(Clone)]
pub(crate) struct Retriever {
    pub(crate) net: NetHandle,
    pub(crate) store: AsyncStore,
    pub(crate) events: Events,
    pub(crate) replicas: usize,
}

impl Retriever {
    /// The manifest and headers of `id`, from the store or else from the first storage peer
    /// that has them (verified by the fetch, then stored, so later calls are local).
    pub(crate) async fn manifest(
        &self,
        id: ContributionId,
    ) -> Result<(Manifest, Vec<SquareHeader>), NodeError> {
        let local = self
            .store
            .run(move |s| {
                let Some(manifest) = s.manifest(&id)? else {
                    return Ok(None);
                };
                let headers: Option<Vec<SquareHeader>> = manifest
                    .body()
                    .chunks
                    .iter()
                    .map(|c| s.header(&c.da_root))
                    .collect::<Result<_, _>>()?;
                Ok(headers.map(|h| (manifest, h)))
            })
            .await?;
        if let Some(found) = local {
            return Ok(found);
        }
        let Some((manifest, headers)) = self.net.find_manifest(id).await? else {
            return Err(NodeError::UnknownContribution(id));
        };
        let (m, h) = (manifest.clone(), headers.clone());
        if let Err(e) = self
            .store
            .run(move |s| s.put_contribution(&m, &h, &[]))
            .await
        {
            tracing::warn!(%id, error = %e, "fetched manifest not stored");
        }
        Ok((manifest, headers))
    }
}

/// A contribution's chunks in order, each verified against its chunk id.
pub type ChunkStream = ReceiverStream<Result<Vec<u8>, NodeError>>;

impl Retriever {
    /// The manifest of `id` and a stream of its chunks from chunk `first` on. A task on
    /// `tasks` fetches [`CHUNKS_IN_FLIGHT`] chunks ahead of the reader and stops when the
    /// reader drops the stream or `cancel` fires. From chunk 0, the payload hash is checked
    /// at the end: a mismatch is the last item.
    pub(crate) async fn read(
        &self,
        id: ContributionId,
        first: usize,
        tasks: &TaskTracker,
        cancel: CancellationToken,
    ) -> Result<(Manifest, ChunkStream), NodeError> {
        let (manifest, headers) = self.manifest(id).await?;
        let (tx, rx) = mpsc::channel(1);
        let body = manifest.body().clone();
        let this = self.clone();
        let feed = async move {
            let whole = first == 0;
            let wanted: Vec<(ChunkId, SquareHeader)> = body
                .chunks
                .iter()
                .map(|entry| entry.id)
                .zip(headers)
                .skip(first)
                .collect();
            let this = &this;
            let fetches = wanted
                .into_iter()
                .map(|(chunk_id, header)| async move { this.chunk(chunk_id, header).await });
            let mut chunks = stream::iter(fetches).buffered(CHUNKS_IN_FLIGHT);
            let mut hasher = Hasher::new(Domain::Payload);
            while let Some(chunk) = chunks.next().await {
                let failed = chunk.is_err();
                if let Ok(bytes) = &chunk {
                    hasher.update(bytes);
                }
                if tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
            if whole && hasher.finalize() != body.payload_hash {
                let _ = tx.send(Err(NodeError::PayloadMismatch(id))).await;
            }
        };
        tasks.spawn(async move { cancel.run_until_cancelled(feed).await });
        Ok((manifest, ReceiverStream::new(rx)))
    }

    /// One chunk: from the store when held, else rebuilt from `k` verified columns and
    /// checked against its id.
    async fn chunk(&self, chunk: ChunkId, header: SquareHeader) -> Result<Vec<u8>, NodeError> {
        let local = self
            .store
            .run(move |s| s.chunk(&chunk))
            .await
            .ok()
            .flatten();
        if let Some(bytes) = local {
            return Ok(bytes);
        }
        let bytes = self
            .square(header)
            .await
            .map_err(|e| match e {
                NodeError::SquareUnavailable { have, need, .. } => {
                    NodeError::Unavailable { chunk, have, need }
                }
                other => other,
            })?
            .chunk_bytes();
        if ChunkId::of(&bytes) != chunk {
            return Err(NodeError::ChunkMismatch(chunk));
        }
        Ok(bytes)
    }

    /// The square under `header`, rebuilt from `k` columns and checked against its DA root.
    ///
    /// First from unproven top halves (half the bytes, and one commitment to hash): those
    /// this node holds, then others fetched from peers, original columns first. If they do
    /// not give the committed square (a peer lied, a disk rotted, or the square is badly
    /// encoded), again from whole columns, each proven before use, which scores the peers
    /// and, for a bad encoding, yields the fraud proof; the halves of the first pass are then
    /// checked against the proven square, so a peer that sent a wrong half loses score too.
    ///
    /// # Errors
    /// [`NodeError::SquareUnavailable`] when fewer than `k` columns can be fetched, or a
    /// reconstruction error (a bad encoding comes with its fraud proof).
    pub(crate) async fn square(&self, header: SquareHeader) -> Result<ExtendedSquare, NodeError> {
        let peers = self.net.members().await?;
        let header = Arc::new(header);
        let halves = match self.rebuild_from_halves(&peers, &header).await? {
            Ok(square) => return Ok(square),
            Err(halves) => halves,
        };
        let square = self.rebuild_from_proven_columns(&peers, header).await?;
        for half in &halves {
            if let Some(peer) = half.from {
                self.net
                    .scores()
                    .record(peer, is_top_half(&square, half.index, &half.bytes));
            }
        }
        Ok(square)
    }

    /// The square rebuilt from `k` column top halves; when too few could be had or they do
    /// not give the committed square, the halves that were gathered instead. Each peer whose
    /// halves gave the square gains a valid answer per half.
    async fn rebuild_from_halves(
        &self,
        peers: &[PeerId],
        header: &Arc<SquareHeader>,
    ) -> Result<Result<ExtendedSquare, Vec<Half>>, NodeError> {
        let mut halves = held_here(&self.store, header.da_root(), |s, root, indices| {
            let halves = s.column_halves(root, indices).unwrap_or_default();
            halves
                .into_iter()
                .map(|(index, half)| Half {
                    index,
                    bytes: Bytes::from(half),
                    from: None,
                })
                .collect()
        })
        .await?;
        let fetch = |peer, batch: Vec<u16>| async move {
            match self.net.get_column_halves(peer, header, &batch).await {
                Ok(got) => got
                    .into_iter()
                    .map(|(index, bytes)| Half {
                        index,
                        bytes,
                        from: Some(peer),
                    })
                    .collect(),
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "column halves not fetched");
                    Vec::new()
                }
            }
        };
        self.gather(peers, header, &mut halves, |h| h.index, fetch)
            .await;
        if halves.len() < header.params.k() {
            return Ok(Err(halves));
        }
        let header = Arc::clone(header);
        let (rebuilt, halves) = tokio::task::spawn_blocking(move || {
            let borrowed: Vec<(u16, &[u8])> =
                halves.iter().map(|h| (h.index, &h.bytes[..])).collect();
            (
                ExtendedSquare::from_column_halves(&header, &borrowed),
                halves,
            )
        })
        .await
        .map_err(|e| NodeError::task("reconstruction", e))?;
        let Ok(square) = rebuilt else {
            return Ok(Err(halves));
        };
        for peer in halves.iter().filter_map(|h| h.from) {
            self.net.scores().record(peer, true);
        }
        Ok(Ok(square))
    }

    /// The square rebuilt from `k` whole columns, each proven against the DA root.
    async fn rebuild_from_proven_columns(
        &self,
        peers: &[PeerId],
        header: Arc<SquareHeader>,
    ) -> Result<ExtendedSquare, NodeError> {
        let (k, root) = (header.params.k(), header.da_root());
        let mut lines = held_here(&self.store, root, |s, root, indices| {
            s.columns(root, indices).unwrap_or_default()
        })
        .await?;
        let fetch = |peer, batch: Vec<u16>| {
            let header = &header;
            async move {
                self.net
                    .get_columns(peer, header, &batch)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::debug!(%peer, error = %e, "columns not fetched");
                        Vec::new()
                    })
            }
        };
        self.gather(peers, &header, &mut lines, |l| l.index, fetch)
            .await;
        if lines.len() < k {
            return Err(NodeError::SquareUnavailable {
                da_root: root,
                have: lines.len(),
                need: k,
            });
        }
        let rebuilt =
            tokio::task::spawn_blocking(move || ExtendedSquare::reconstruct(&header, &lines))
                .await
                .map_err(|e| NodeError::task("reconstruction", e))?;
        match rebuilt {
            Ok(square) => Ok(square),
            Err(SquareError::BadEncoding(proof)) => {
                self.report_bad_encoding(root, *proof).await?;
                Err(NodeError::BadEncoding(root))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records a proven bad encoding, tells every node, and raises the event.
    async fn report_bad_encoding(
        &self,
        da_root: DaRoot,
        proof: BadEncodingProof,
    ) -> Result<(), NodeError> {
        let notice = FraudNotice { da_root, proof };
        let recorded = notice.proof.clone();
        self.store
            .run(move |s| s.mark_invalid(&da_root, &recorded))
            .await?;
        self.net.publish_fraud(&notice).await?;
        self.events.emit(NodeEvent::ChunkInvalid(da_root));
        Ok(())
    }

    /// Adds to `held` (columns of the square under `header`, told apart by `index`) until it
    /// has `k` or no peer has more, lowest column indices first (original columns need no
    /// decoding). Each wave asks every wanted column of its best-ranked candidate in batches
    /// with `fetch`, then asks any column still missing alone from its other candidates.
    async fn gather<T, F, Fut>(
        &self,
        peers: &[PeerId],
        header: &SquareHeader,
        held: &mut Vec<T>,
        index: fn(&T) -> u16,
        fetch: F,
    ) where
        F: Fn(PeerId, Vec<u16>) -> Fut,
        Fut: Future<Output = Vec<T>>,
    {
        let (k, width) = (header.params.k(), header.params.width());
        let local = self.net.local_peer_id();
        held.truncate(k);
        let have: BTreeSet<u16> = held.iter().map(index).collect();
        let mut wanted = (0..width as u16).filter(|c| !have.contains(c));
        while held.len() < k {
            let wave: Vec<u16> = wanted.by_ref().take(k - held.len()).collect();
            if wave.is_empty() {
                break;
            }
            let mut by_peer: BTreeMap<PeerId, Vec<u16>> = BTreeMap::new();
            let mut others: BTreeMap<u16, Vec<PeerId>> = BTreeMap::new();
            for c in &wave {
                let mut ranked =
                    candidates(self.net.scores(), local, peers, (width, *c), self.replicas)
                        .into_iter();
                if let Some(best) = ranked.next() {
                    by_peer.entry(best).or_default().push(*c);
                }
                others.insert(*c, ranked.collect());
            }
            let batches = in_batches(by_peer, MAX_GET_COLUMNS);
            let answers = join_all(batches.into_iter().map(|(peer, batch)| fetch(peer, batch)));
            let got: Vec<T> = answers.await.into_iter().flatten().collect();
            let arrived: BTreeSet<u16> = got.iter().map(index).collect();
            held.extend(got);
            let missing = wave.into_iter().filter(|c| !arrived.contains(c));
            let fetch = &fetch;
            let others = &others;
            let retried = join_all(missing.map(|c| async move {
                for peer in others.get(&c).into_iter().flatten().copied() {
                    if let Some(found) = fetch(peer, vec![c]).await.into_iter().next() {
                        return Some(found);
                    }
                }
                None
            }));
            held.extend(retried.await.into_iter().flatten());
        }
    }
}

/// A column's top half as it arrived: from `from`, or from this node's store (`None`).
struct Half {
    index: u16,
    bytes: Bytes,
    from: Option<PeerId>,
}

/// Whether `half` is the top half of column `index` of `square`.
fn is_top_half(square: &ExtendedSquare, index: u16, half: &[u8]) -> bool {
    half.len() == square.params().k() * SHARE_SIZE
        && half
            .chunks(SHARE_SIZE)
            .enumerate()
            .all(|(row, share)| square.share(row, usize::from(index)).ok() == Some(share))
}

/// What `read` gives for the columns of the square under `root` that this node stores; a
/// column that fails to read is left out (peers may still have it).
async fn held_here<T: Send + 'static>(
    store: &AsyncStore,
    root: DaRoot,
    read: fn(&Store, &DaRoot, &[u16]) -> Vec<T>,
) -> Result<Vec<T>, NodeError> {
    Ok(store
        .run(move |s| Ok(read(s, &root, &s.column_indices(&root)?)))
        .await?)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use datanet_net::test_utils::MockNet;
    use datanet_protocol::wire::Response;
    use datanet_protocol::CodecId;

    use super::*;

    /// A retriever over a mock network of `peers` that answers nothing itself (the tests
    /// give `gather` its fetch).
    fn retriever(peers: &[PeerId]) -> Retriever {
        let mock = MockNet::new(peers.to_vec(), |_, _| Ok(Response::NotFound));
        Retriever {
            net: mock.handle,
            store: AsyncStore::new(Store::memory()),
            events: Events::new(),
            replicas: 2,
        }
    }

    /// The header of a square of width 8 (k = 4).
    fn header() -> SquareHeader {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 13) as u8).collect();
        ExtendedSquare::encode(&data, CodecId::RsLeopard)
            .unwrap()
            .header()
    }

    #[tokio::test]
    async fn gather_asks_each_column_of_its_best_custodian_then_alone_of_the_others() {
        let peers: Vec<PeerId> = (0..4).map(|_| PeerId::random()).collect();
        let retriever = retriever(&peers);
        let local = retriever.net.local_peer_id();
        let header = header();
        let width = header.params.width();
        let dead = candidates(retriever.net.scores(), local, &peers, (width, 0), 2)[0];
        let asked: Mutex<Vec<(PeerId, Vec<u16>)>> = Mutex::default();
        let fetch = |peer: PeerId, batch: Vec<u16>| {
            asked.lock().unwrap().push((peer, batch.clone()));
            async move {
                if peer == dead {
                    Vec::new()
                } else {
                    batch
                }
            }
        };
        let mut held = Vec::new();
        retriever
            .gather(&peers, &header, &mut held, |c| *c, fetch)
            .await;
        held.sort();
        assert_eq!(held, vec![0, 1, 2, 3], "the original columns, once each");

        let asked = asked.into_inner().unwrap();
        for c in 0..4u16 {
            let ranked = candidates(retriever.net.scores(), local, &peers, (width, c), 2);
            let first = asked.iter().position(|(_, b)| b.contains(&c)).unwrap();
            assert_eq!(
                asked[first].0, ranked[0],
                "column {c} first asked of its best candidate"
            );
            let alone: Vec<PeerId> = asked[first + 1..]
                .iter()
                .filter(|(_, b)| b == &vec![c])
                .map(|(p, _)| *p)
                .collect();
            if ranked[0] == dead {
                assert_eq!(
                    alone,
                    vec![ranked[1]],
                    "column {c} retried alone with the next"
                );
            } else {
                assert!(alone.is_empty(), "column {c} arrived at once");
            }
        }
    }

    #[tokio::test]
    async fn gather_stops_short_when_no_peer_has_the_columns_after_asking_each_of_every_one() {
        let peers: Vec<PeerId> = (0..3).map(|_| PeerId::random()).collect();
        let retriever = retriever(&peers);
        let header = header();
        let asked: Mutex<Vec<(PeerId, Vec<u16>)>> = Mutex::default();
        let fetch = |peer: PeerId, batch: Vec<u16>| {
            asked.lock().unwrap().push((peer, batch));
            async { Vec::<u16>::new() }
        };
        let mut held = vec![5u16];
        retriever
            .gather(&peers, &header, &mut held, |c| *c, fetch)
            .await;
        assert_eq!(held, vec![5], "nothing arrived");
        let asked = asked.into_inner().unwrap();
        for c in (0..8u16).filter(|c| *c != 5) {
            let askers: BTreeSet<PeerId> = asked
                .iter()
                .filter(|(_, b)| b.contains(&c))
                .map(|(p, _)| *p)
                .collect();
            assert_eq!(askers.len(), 3, "column {c} asked of every peer");
        }
        assert!(
            asked.iter().all(|(_, b)| !b.contains(&5)),
            "a held column is not asked"
        );
    }
}

//! Retrieval: a contribution's bytes from the local store when present, otherwise each chunk
//! rebuilt from `k` verified columns fetched from custodians (original columns first, as they
//! need no decoding), and checked against its chunk id.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use datanet_protocol::encoding::Encode;
use datanet_protocol::hash::{Domain, Hasher};
use datanet_protocol::{
    BadEncodingProof, ChunkId, ContributionId, DaRoot, ExtendedSquare, Line, Manifest, SquareError,
    SquareHeader, SHARE_SIZE,
};
use datanet_storage::{AsyncStore, Store};
use futures::future::join_all;
use futures::{stream, Future, StreamExt};
use libp2p::PeerId;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::custody::{custodians, in_batches};
use crate::net::wire::{FraudNotice, Request, Response, MAX_GET_COLUMNS};
use crate::net::{NetEvent, NetHandle};
use crate::NodeError;

/// Chunks fetched and rebuilt at the same time: while one is rebuilt, the next ones' columns
/// arrive (3 measured 142-144 MiB/s in `netbench 256` against 113-123 MiB/s for 2; each
/// costs up to ~50 MiB of columns and square).
const CHUNKS_IN_FLIGHT: usize = 3;

/// The manifest and headers of `id`, from the store or else from the first peer that has
/// them (verified and then stored, so later calls are local).
pub(crate) async fn manifest(
    net: &NetHandle,
    store: &AsyncStore,
    id: ContributionId,
) -> Result<(Manifest, Vec<SquareHeader>), NodeError> {
    let local = store
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
    for peer in net.peers().await? {
        let Ok(Response::Manifest { manifest, headers }) =
            net.request(peer, Request::GetManifest(id)).await
        else {
            continue;
        };
        if manifest.id() != id {
            continue;
        }
        let (m, h) = ((*manifest).clone(), headers.clone());
        if store
            .run(move |s| s.put_contribution(&m, &h, &[]))
            .await
            .is_ok()
        {
            return Ok((*manifest, headers));
        }
    }
    Err(NodeError::UnknownContribution(id))
}

/// A contribution's chunks in order, each verified against its chunk id.
pub type ChunkStream = ReceiverStream<Result<Vec<u8>, NodeError>>;

/// The manifest of `id` and a stream of its chunks from chunk `first` on. A task fetches
/// [`CHUNKS_IN_FLIGHT`] chunks ahead of the reader and stops when the reader drops the
/// stream. From chunk 0, the payload hash is checked at the end: a mismatch is the last item.
pub(crate) async fn read(
    net: &NetHandle,
    store: &AsyncStore,
    id: ContributionId,
    first: usize,
    replicas: usize,
) -> Result<(Manifest, ChunkStream), NodeError> {
    let (manifest, headers) = manifest(net, store, id).await?;
    let (tx, rx) = mpsc::channel(1);
    let (net, store) = (net.clone(), store.clone());
    let body = manifest.body().clone();
    tokio::spawn(async move {
        let whole = first == 0;
        let wanted: Vec<(ChunkId, SquareHeader)> = body
            .chunks
            .iter()
            .map(|entry| entry.id)
            .zip(headers)
            .skip(first)
            .collect();
        let fetches = wanted.into_iter().map(|(chunk_id, header)| {
            let (net, store) = (net.clone(), store.clone());
            async move {
                let local = store.run(move |s| s.chunk(&chunk_id)).await.ok().flatten();
                match local {
                    Some(bytes) => Ok(bytes),
                    None => fetch_chunk(&net, &store, header, chunk_id, replicas).await,
                }
            }
        });
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
            let _ = tx
                .send(Err(NodeError::Invalid(format!(
                    "payload of {id} does not match its manifest's hash"
                ))))
                .await;
        }
    });
    Ok((manifest, ReceiverStream::new(rx)))
}

/// One chunk rebuilt from `k` verified columns and checked against its id.
async fn fetch_chunk(
    net: &NetHandle,
    store: &AsyncStore,
    header: SquareHeader,
    chunk: ChunkId,
    replicas: usize,
) -> Result<Vec<u8>, NodeError> {
    let bytes = fetch_square(net, store, header, replicas)
        .await
        .map_err(|e| match e {
            NodeError::Unavailable { have, need, .. } => {
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
/// First from unproven top halves (half the bytes, and one commitment to hash): those this
/// node holds, then others fetched from peers, original columns first. If they do not give
/// the committed square (a peer lied, a disk rotted, or the square is badly encoded), again
/// from whole columns, each proven before use, which scores the peers and, for a bad
/// encoding, yields the fraud proof; the halves of the first pass are then checked against
/// the proven square, so a peer that sent a wrong half loses score too.
///
/// # Errors
/// [`NodeError::Unavailable`] (naming no chunk) when fewer than `k` columns can be fetched,
/// or a reconstruction error (a bad encoding comes with its fraud proof).
pub(crate) async fn fetch_square(
    net: &NetHandle,
    store: &AsyncStore,
    header: SquareHeader,
    replicas: usize,
) -> Result<ExtendedSquare, NodeError> {
    let peers = net.peers().await?;
    let header = Arc::new(header);
    let halves = match from_halves(net, store, &peers, &header, replicas).await? {
        Ok(square) => return Ok(square),
        Err(halves) => halves,
    };
    let square = from_proven_columns(net, store, &peers, header, replicas).await?;
    for half in &halves {
        if let Some(peer) = half.from {
            net.scores()
                .record(peer, is_top_half(&square, half.index, &half.bytes));
        }
    }
    Ok(square)
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

/// The square rebuilt from `k` column top halves; when too few could be had or they do not
/// give the committed square, the halves that were gathered instead. Each peer whose halves
/// gave the square gains a valid answer per half.
async fn from_halves(
    net: &NetHandle,
    store: &AsyncStore,
    peers: &[PeerId],
    header: &Arc<SquareHeader>,
    replicas: usize,
) -> Result<Result<ExtendedSquare, Vec<Half>>, NodeError> {
    let mut halves = held_here(store, header.da_root(), |s, root, indices| {
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
    let fetch = |peer, batch| fetch_halves(net, peer, header, batch);
    gather(
        net,
        peers,
        header,
        replicas,
        &mut halves,
        |h| h.index,
        fetch,
    )
    .await;
    if halves.len() < header.params.k() {
        return Ok(Err(halves));
    }
    let header = Arc::clone(header);
    let (rebuilt, halves) = tokio::task::spawn_blocking(move || {
        let borrowed: Vec<(u16, &[u8])> = halves.iter().map(|h| (h.index, &h.bytes[..])).collect();
        (
            ExtendedSquare::from_column_halves(&header, &borrowed),
            halves,
        )
    })
    .await
    .map_err(|e| NodeError::Invalid(format!("reconstruction task failed: {e}")))?;
    let Ok(square) = rebuilt else {
        return Ok(Err(halves));
    };
    for peer in halves.iter().filter_map(|h| h.from) {
        net.scores().record(peer, true);
    }
    Ok(Ok(square))
}

/// The square rebuilt from `k` whole columns, each proven against the DA root.
async fn from_proven_columns(
    net: &NetHandle,
    store: &AsyncStore,
    peers: &[PeerId],
    header: Arc<SquareHeader>,
    replicas: usize,
) -> Result<ExtendedSquare, NodeError> {
    let (k, root) = (header.params.k(), header.da_root());
    let mut lines = held_here(store, root, |s, root, indices| {
        s.columns(root, indices).unwrap_or_default()
    })
    .await?;
    let fetch = |peer, batch| fetch_columns(net, peer, &header, batch);
    gather(
        net,
        peers,
        &header,
        replicas,
        &mut lines,
        |l| l.index,
        fetch,
    )
    .await;
    if lines.len() < k {
        return Err(NodeError::Unavailable {
            chunk: ChunkId::default(),
            have: lines.len(),
            need: k,
        });
    }
    let rebuilt = tokio::task::spawn_blocking(move || ExtendedSquare::reconstruct(&header, &lines))
        .await
        .map_err(|e| NodeError::Invalid(format!("reconstruction task failed: {e}")))?;
    match rebuilt {
        Ok(square) => Ok(square),
        Err(SquareError::BadEncoding(proof)) => {
            report_bad_encoding(net, store, root, *proof).await?;
            Err(NodeError::BadEncoding(root))
        }
        Err(e) => Err(e.into()),
    }
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

/// Records a proven bad encoding, tells every node, and raises the event.
async fn report_bad_encoding(
    net: &NetHandle,
    store: &AsyncStore,
    da_root: DaRoot,
    proof: BadEncodingProof,
) -> Result<(), NodeError> {
    let notice = FraudNotice { da_root, proof };
    let recorded = notice.proof.clone();
    store
        .run(move |s| s.mark_invalid(&da_root, &recorded))
        .await?;
    net.publish_fraud(notice.to_bytes()).await?;
    net.emit(NetEvent::ChunkInvalid(da_root));
    Ok(())
}

/// Adds to `held` (columns of the square under `header`, told apart by `index`) until it has
/// `k` or no peer has more, lowest column indices first (original columns need no
/// decoding). Each wave asks every wanted column of its best-ranked candidate in batches
/// with `fetch`, then asks any column still missing alone from its other candidates.
async fn gather<T, F, Fut>(
    net: &NetHandle,
    peers: &[PeerId],
    header: &SquareHeader,
    replicas: usize,
    held: &mut Vec<T>,
    index: fn(&T) -> u16,
    fetch: F,
) where
    F: Fn(PeerId, Vec<u16>) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let (k, width) = (header.params.k(), header.params.width());
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
            let mut ranked = candidates(net, peers, *c, replicas).into_iter();
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

/// The column top halves of `batch` that `peer` sends, each once and of the right length; a
/// malformed one counts against the peer (whether the rest are right, only the rebuilt square
/// tells).
async fn fetch_halves(
    net: &NetHandle,
    peer: PeerId,
    header: &SquareHeader,
    batch: Vec<u16>,
) -> Vec<Half> {
    let request = Request::GetColumnHalves {
        da_root: header.da_root(),
        indices: batch.clone(),
    };
    let Ok(Response::ColumnHalves(answered)) = net.request(peer, request).await else {
        return Vec::new();
    };
    let len = header.params.k() * SHARE_SIZE;
    let mut seen = BTreeSet::new();
    answered
        .into_iter()
        .filter(|(index, half)| {
            let usable = batch.contains(index) && seen.insert(*index) && half.len() == len;
            if !usable {
                net.scores().record(peer, false);
            }
            usable
        })
        .map(|(index, bytes)| Half {
            index,
            bytes,
            from: Some(peer),
        })
        .collect()
}

/// The columns of `batch` that `peer` holds and that verify; each answer counts toward the
/// peer's score.
async fn fetch_columns(
    net: &NetHandle,
    peer: PeerId,
    header: &SquareHeader,
    batch: Vec<u16>,
) -> Vec<Line> {
    let da_root = header.da_root();
    let request = Request::GetColumns {
        da_root,
        indices: batch.clone(),
    };
    let Ok(Response::Columns(answered)) = net.request(peer, request).await else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    answered
        .into_iter()
        .filter(|line| {
            let valid = line.axis == datanet_protocol::Axis::Col
                && batch.contains(&line.index)
                && seen.insert(line.index)
                && line.verify(&da_root).is_ok();
            net.scores().record(peer, valid);
            valid
        })
        .collect()
}

/// The peers to ask for column `index`: its custodians, then every other peer, each group
/// best score first; never this node.
pub(crate) fn candidates(
    net: &NetHandle,
    peers: &[PeerId],
    index: u16,
    replicas: usize,
) -> Vec<PeerId> {
    let local = net.local_peer_id();
    let preferred: Vec<PeerId> = custodians(peers, index, replicas)
        .into_iter()
        .filter(|p| *p != local)
        .collect();
    let others: Vec<PeerId> = peers
        .iter()
        .filter(|p| **p != local && !preferred.contains(p))
        .copied()
        .collect();
    let mut ranked = net.scores().rank(preferred);
    ranked.extend(net.scores().rank(others));
    ranked
}

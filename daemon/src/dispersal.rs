//! Dispersal: the ingesting node gives every column of every chunk to its custodians. Each
//! custodian first receives the manifest and headers, then its columns as top halves in
//! batches of up to 32 (one durable store commit per batch); it extends and verifies every
//! column against the DA root before storing any. Squares are pushed one at a time, so a
//! contribution of any size needs only the square being pushed in memory. Dispersal
//! completes when every column is held by enough custodians, or reports which are short.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datanet_protocol::encoding::Encode;
use datanet_protocol::{
    ContributionId, DaRoot, ExtendedSquare, Manifest, SquareError, SquareHeader,
};
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

/// One contribution's dispersal in progress: the manifest has reached the custodians that
/// answered; squares are then pushed one by one with [`Dispersal::push`].
pub(crate) struct Dispersal<'a> {
    net: &'a NetHandle,
    store: &'a AsyncStore,
    contribution: ContributionId,
    local: PeerId,
    peers: Vec<PeerId>,
    ready: BTreeSet<PeerId>,
    replicas: usize,
    required: usize,
    roots: Vec<DaRoot>,
    acks: BTreeMap<(usize, u16), usize>,
    bytes_sent: u64,
}

impl<'a> Dispersal<'a> {
    /// Sends `manifest` and its `headers` to every peer that custodies a column of it.
    pub(crate) async fn start(
        net: &'a NetHandle,
        store: &'a AsyncStore,
        manifest: &Manifest,
        headers: Vec<SquareHeader>,
        replicas: usize,
        min_acks: usize,
    ) -> Result<Dispersal<'a>, NodeError> {
        let local = net.local_peer_id();
        let mut peers = net.peers().await?;
        peers.push(local);
        let required = min_acks.min(replicas).min(peers.len()).max(1);
        let mut acks = BTreeMap::new();
        let mut targets = BTreeSet::new();
        for (i, header) in headers.iter().enumerate() {
            for c in 0..header.params.width() as u16 {
                acks.insert((i, c), 0);
                targets.extend(custodians(&peers, c, replicas));
            }
        }
        targets.remove(&local);
        let roots = headers.iter().map(SquareHeader::da_root).collect();
        let announce = Request::PutManifest {
            manifest: Box::new(manifest.clone()),
            headers,
        };
        let announce_bytes = announce.to_bytes().len() as u64;
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
        Ok(Dispersal {
            net,
            store,
            contribution: manifest.id(),
            local,
            bytes_sent: announce_bytes * ready.len() as u64,
            peers,
            ready,
            replicas,
            required,
            roots,
            acks,
        })
    }

    /// Gives every column of square `index` (of the manifest's chunks) to its custodians,
    /// this node included.
    pub(crate) async fn push(
        &mut self,
        index: usize,
        square: Arc<ExtendedSquare>,
    ) -> Result<(), NodeError> {
        let mut own: Vec<u16> = Vec::new();
        let mut batches: BTreeMap<PeerId, Vec<u16>> = BTreeMap::new();
        for c in 0..square.params().width() as u16 {
            for peer in custodians(&self.peers, c, self.replicas) {
                if peer == self.local {
                    own.push(c);
                } else if self.ready.contains(&peer) {
                    batches.entry(peer).or_default().push(c);
                }
            }
        }
        if !own.is_empty() {
            let (encoded, indices) = (Arc::clone(&square), own.clone());
            self.store
                .run(move |s| s.put_encoded_columns(&encoded, &indices))
                .await?;
            for c in own {
                *self.acks.entry((index, c)).or_default() += 1;
            }
        }
        let pushes = batches.into_iter().flat_map(|(peer, columns)| {
            columns
                .chunks(MAX_PUSH_COLUMNS)
                .map(|batch| (peer, batch.to_vec()))
                .collect::<Vec<_>>()
        });
        let net = self.net;
        let results: Vec<_> = stream::iter(pushes)
            .map(|(peer, batch)| {
                let square = Arc::clone(&square);
                async move {
                    let request = column_push(&square, &batch).ok()?;
                    let sent = request.to_bytes().len() as u64;
                    let stored = matches!(net.request(peer, request).await, Ok(Response::Stored));
                    Some((batch, stored, sent))
                }
            })
            .buffer_unordered(PUSHES_IN_FLIGHT)
            .filter_map(|r| async move { r })
            .collect()
            .await;
        for (batch, stored, sent) in results {
            self.bytes_sent += sent;
            if stored {
                for c in batch {
                    *self.acks.entry((index, c)).or_default() += 1;
                }
            }
        }
        Ok(())
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

/// The request that pushes columns `batch` of `square` as top halves.
fn column_push(square: &ExtendedSquare, batch: &[u16]) -> Result<Request, SquareError> {
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
        .collect::<Result<Vec<_>, SquareError>>()?;
    Ok(Request::PutColumns {
        da_root: square.da_root(),
        columns,
    })
}

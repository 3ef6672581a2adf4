//! The storage side of the network: answers the inbound requests the network hands out from
//! the node's store (custody puts are verified before anything is stored, reads come from
//! verified store records), and keeps the verified gossip that concerns the store (fraud
//! proofs, datanet records). At most [`MAX_CONCURRENT`] requests are answered at once; the
//! network refuses what does not fit its queue.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use datanet_net::{InboundRequest, NetEvent, NetHandle};
use datanet_protocol::signed::ModelRecord;
use datanet_protocol::wire::{
    ColumnHalf, FraudNotice, Request, Response, SampleAnswer, MAX_LISTED,
};
use datanet_protocol::{ContributionId, DaRoot, Datanet, DatanetId, Line, Manifest, SquareHeader};
use datanet_storage::{AsyncStore, Store, StoreError};
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::events::{Events, NodeEvent};

/// Requests answered at the same time.
const MAX_CONCURRENT: usize = 64;

/// Answers peers from the node's store.
#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) store: AsyncStore,
    pub(crate) net: NetHandle,
    pub(crate) events: Events,
}

impl Server {
    /// Answers `inbound` requests until cancelled, each on its own task in `tasks`.
    pub(crate) async fn answer(
        self,
        mut inbound: mpsc::Receiver<InboundRequest>,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) {
        let limit = Arc::new(Semaphore::new(MAX_CONCURRENT));
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                next = inbound.recv() => next,
            };
            let Some(InboundRequest {
                request, responder, ..
            }) = next
            else {
                break;
            };
            let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
                break;
            };
            let server = self.clone();
            tasks.spawn(async move {
                let response = server.respond(request).await;
                responder.respond(response).await;
                drop(permit);
            });
        }
    }

    /// Keeps the verified gossip that concerns the store until cancelled: fraud proofs are
    /// recorded, datanet records stored and their announcements followed.
    pub(crate) async fn record_gossip(
        self,
        mut gossip: broadcast::Receiver<NetEvent>,
        cancel: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                event = gossip.recv() => event,
            };
            match event {
                Ok(NetEvent::Fraud(notice)) => self.record_fraud(*notice).await,
                Ok(NetEvent::Datanet(datanet)) => {
                    self.record_datanet(*datanet).await;
                }
                Ok(NetEvent::Model(model)) => self.record_model(*model).await,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "gossip came faster than it was recorded");
                    self.net
                        .stats()
                        .inbound_dropped
                        .fetch_add(missed, Ordering::Relaxed);
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }

    /// Stores a verified datanet record if it is new, follows its announcements, and says so
    /// with [`NodeEvent::DatanetAdded`]; whether it was new.
    pub(crate) async fn record_datanet(&self, datanet: Datanet) -> bool {
        let id = datanet.id();
        let stored = self
            .store
            .run(move |s| {
                if s.datanet(&id)?.is_some() {
                    return Ok(false);
                }
                s.put_datanet(&datanet)?;
                Ok(true)
            })
            .await;
        match stored {
            Ok(true) => {
                if let Err(e) = self.net.follow(id).await {
                    tracing::debug!(datanet = %id, error = %e, "datanet not followed");
                }
                self.events.emit(NodeEvent::DatanetAdded(id));
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!(datanet = %id, error = %e, "datanet record not stored");
                false
            }
        }
    }

    /// Stores a verified model record, so that this node can answer for the model.
    async fn record_model(&self, model: ModelRecord) {
        let id = model.id();
        if let Err(e) = self.store.run(move |s| s.put_model(&model)).await {
            tracing::warn!(model = %id, error = %e, "model record not stored");
        }
    }

    async fn record_fraud(&self, notice: FraudNotice) {
        let FraudNotice { da_root, proof } = notice;
        let recorded = self
            .store
            .run(move |s| {
                if s.is_invalid(&da_root)? {
                    return Ok(false);
                }
                s.mark_invalid(&da_root, &proof)?;
                Ok(true)
            })
            .await;
        match recorded {
            Ok(true) => self.events.emit(NodeEvent::ChunkInvalid(da_root)),
            Ok(false) => {}
            Err(e) => tracing::warn!(%da_root, error = %e, "fraud proof not recorded"),
        }
    }

    async fn respond(&self, request: Request) -> Response {
        let events = self.events.clone();
        let result = self
            .store
            .run(move |store| answer_blocking(store, request, &events))
            .await;
        match result {
            Ok(response) => response,
            Err(StoreError::Invalid(reason)) => {
                self.net
                    .stats()
                    .invalid_messages
                    .fetch_add(1, Ordering::Relaxed);
                Response::Refused(reason)
            }
            Err(e) => Response::Refused(format!("store error: {e}")),
        }
    }
}

/// The answer to one request, from the store; a square proven badly encoded is refused.
pub(crate) fn answer_blocking(
    store: &Store,
    request: Request,
    events: &Events,
) -> Result<Response, StoreError> {
    if let Some(root) = request.da_root() {
        if store.is_invalid(&root)? {
            return Ok(Response::Refused(format!(
                "square {root} is proven badly encoded"
            )));
        }
    }
    match request {
        Request::PutManifest { manifest, headers } => put_manifest(store, &manifest, &headers),
        Request::PutColumns { da_root, columns } => put_columns(store, da_root, &columns, events),
        Request::GetManifest(id) => get_manifest(store, id),
        Request::GetDatanet(id) => get_datanet(store, id),
        Request::GetColumn { da_root, index } => Ok(match store.column(&da_root, index)? {
            Some(line) => Response::Column(line),
            None => Response::NotFound,
        }),
        Request::GetColumns { da_root, indices } => {
            Ok(Response::Columns(store.columns(&da_root, &indices)?))
        }
        Request::GetColumnHalves { da_root, indices } => Ok(Response::ColumnHalves(
            store
                .column_halves(&da_root, &indices)?
                .into_iter()
                .map(|(index, half)| (index, half.into()))
                .collect(),
        )),
        Request::GetSamples {
            da_root,
            coordinates,
            axis_paths,
        } => get_samples(store, da_root, &coordinates, axis_paths),
        Request::ListContributions {
            datanet,
            after,
            limit,
        } => list_contributions(store, datanet, after, limit).map(Response::Contributions),
        Request::ListDatanets { after } => list_datanets(store, after).map(Response::Datanets),
        Request::Fingerprints { datanet, prefixes } => prefixes
            .iter()
            .map(|range| store.fingerprint(&datanet, range))
            .collect::<Result<_, _>>()
            .map(Response::Fingerprints),
        Request::GetBatch { datanet, epoch } => Ok(match store.batch(&datanet, epoch)? {
            Some(batch) => Response::Batch(Box::new(batch)),
            None => Response::NotFound,
        }),
        Request::GetAttestations(id) => {
            let mut all = store.attestations(&id)?;
            all.extend(store.equivocations(&id)?.into_iter().map(|e| e.second));
            Ok(Response::Attestations(all))
        }
    }
}

/// The ids of the stored contributions to `datanet` above `after`, ascending, at most
/// `limit` and [`MAX_LISTED`].
pub(crate) fn list_contributions(
    store: &Store,
    datanet: DatanetId,
    after: ContributionId,
    limit: u16,
) -> Result<Vec<ContributionId>, StoreError> {
    store.contributions_of(&datanet, &after, usize::from(limit).min(MAX_LISTED))
}

/// The ids of the datanets stored here above `after`, ascending, at most [`MAX_LISTED`].
pub(crate) fn list_datanets(store: &Store, after: DatanetId) -> Result<Vec<DatanetId>, StoreError> {
    let mut ids: Vec<DatanetId> = store
        .datanets()?
        .iter()
        .map(Datanet::id)
        .filter(|id| *id > after)
        .collect();
    ids.sort();
    ids.truncate(MAX_LISTED);
    Ok(ids)
}

/// Takes custody of a contribution (verified by the store), once.
fn put_manifest(
    store: &Store,
    manifest: &Manifest,
    headers: &[SquareHeader],
) -> Result<Response, StoreError> {
    if store.manifest(&manifest.id())?.is_none() {
        store.put_contribution(manifest, headers, &[])?;
    }
    Ok(Response::Stored)
}

/// Stores pushed column halves (each extended and verified by the store, all or none).
fn put_columns(
    store: &Store,
    da_root: DaRoot,
    columns: &[ColumnHalf],
    events: &Events,
) -> Result<Response, StoreError> {
    let Some(header) = store.header(&da_root)? else {
        return Ok(Response::Refused(format!(
            "unknown square {da_root}: send its manifest first"
        )));
    };
    store.put_column_halves(&header, columns)?;
    for column in columns {
        events.emit(NodeEvent::ColumnStored {
            da_root,
            index: column.index,
        });
    }
    Ok(Response::Stored)
}

/// A manifest with every chunk's header, or `NotFound` if any is missing.
fn get_manifest(store: &Store, id: ContributionId) -> Result<Response, StoreError> {
    let Some(manifest) = store.manifest(&id)? else {
        return Ok(Response::NotFound);
    };
    let mut headers: Vec<SquareHeader> = Vec::with_capacity(manifest.body().chunks.len());
    for chunk in &manifest.body().chunks {
        match store.header(&chunk.da_root)? {
            Some(h) => headers.push(h),
            None => return Ok(Response::NotFound),
        }
    }
    Ok(Response::Manifest {
        manifest: Box::new(manifest),
        headers,
    })
}

fn get_datanet(store: &Store, id: DatanetId) -> Result<Response, StoreError> {
    Ok(match store.datanet(&id)? {
        Some(datanet) => Response::Datanet(Box::new(datanet)),
        None => Response::NotFound,
    })
}

/// Each sample's share and its proof through its column, read from the columns held.
fn get_samples(
    store: &Store,
    da_root: DaRoot,
    coordinates: &[(u16, u16)],
    axis_paths: bool,
) -> Result<Response, StoreError> {
    let wanted: BTreeSet<u16> = coordinates.iter().map(|(_, col)| *col).collect();
    let wanted: Vec<u16> = wanted.into_iter().collect();
    let columns: BTreeMap<u16, Line> = store
        .columns(&da_root, &wanted)?
        .into_iter()
        .map(|line| (line.index, line))
        .collect();
    let samples = coordinates
        .iter()
        .map(|&(row, col)| {
            let sample = columns.get(&col).and_then(|line| {
                let row = usize::from(row);
                let mut proof = line.share_proof(row).ok()?;
                if !axis_paths {
                    proof.axis_path.clear();
                }
                Some(SampleAnswer::Found {
                    share: line.share(row)?.to_vec(),
                    proof,
                })
            });
            sample.unwrap_or(SampleAnswer::Missing)
        })
        .collect();
    Ok(Response::Samples(samples))
}

#[cfg(test)]
mod tests {
    use datanet_protocol::hash::{hash, Domain};
    use datanet_protocol::test_utils::sample_contribution;

    use super::*;

    #[test]
    fn contributions_are_listed_per_datanet_ascending_from_the_cursor() {
        let store = Store::memory();
        let mut ids: Vec<ContributionId> = (0..3)
            .map(|nonce| {
                let s = sample_contribution(9, nonce, 1000);
                store
                    .put_contribution(&s.manifest, &s.headers, &[])
                    .unwrap()
            })
            .collect();
        ids.sort();
        let datanet = sample_contribution(9, 0, 1000).manifest.body().datanet;
        let start = ContributionId::default();
        let all = MAX_LISTED as u16;
        assert_eq!(
            list_contributions(&store, datanet, start, all).unwrap(),
            ids
        );
        assert_eq!(
            list_contributions(&store, datanet, start, 2).unwrap(),
            ids[..2],
            "no more than the limit"
        );
        assert_eq!(
            list_contributions(&store, datanet, ids[1], all).unwrap(),
            vec![ids[2]]
        );
        assert!(list_contributions(&store, datanet, ids[2], all)
            .unwrap()
            .is_empty());
        let other = DatanetId(hash(Domain::Datanet, b"another datanet"));
        assert!(list_contributions(&store, other, start, all)
            .unwrap()
            .is_empty());
    }
}

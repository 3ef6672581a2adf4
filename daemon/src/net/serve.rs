//! Answering inbound requests from the store: custody puts are verified before anything is
//! stored, reads come from verified store records. At most [`MAX_CONCURRENT`] requests are
//! served at once; the worker refuses what does not fit its queue.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use datanet_protocol::{Datanet, Line, SquareHeader};
use datanet_storage::{AsyncStore, ColumnHalf, Store, StoreError};
use libp2p::request_response::ResponseChannel;
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::wire::{FraudNotice, Request, Response, SampleAnswer};
use super::worker::Inbound;
use super::{NetEvent, NetStats};

/// Requests served at the same time.
const MAX_CONCURRENT: usize = 64;

/// A verified gossiped record for the server to store.
pub(crate) enum Record {
    /// A fraud proof that proves its square badly encoded.
    Fraud(FraudNotice),
    /// A datanet record whose owner's signature verifies.
    Datanet(Box<Datanet>),
}

/// Serves inbound requests against the node's store.
#[derive(Clone)]
pub(crate) struct Server {
    store: AsyncStore,
    events: broadcast::Sender<NetEvent>,
    stats: Arc<NetStats>,
}

impl Server {
    pub(crate) fn new(
        store: AsyncStore,
        events: broadcast::Sender<NetEvent>,
        stats: Arc<NetStats>,
    ) -> Self {
        Server {
            store,
            events,
            stats,
        }
    }

    /// Serves until cancelled, sending each answer back to the worker, and stores the
    /// verified gossiped records the worker passes on.
    pub(crate) async fn run(
        self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut records: mpsc::Receiver<Record>,
        responses: mpsc::Sender<(ResponseChannel<Response>, Response)>,
        cancel: CancellationToken,
    ) {
        let limit = Arc::new(Semaphore::new(MAX_CONCURRENT));
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                Some(record) = records.recv() => {
                    match record {
                        Record::Fraud(notice) => self.record_fraud(notice).await,
                        Record::Datanet(datanet) => self.record_datanet(*datanet).await,
                    }
                    continue;
                }
                next = inbound.recv() => next,
            };
            let Some(Inbound {
                request,
                channel,
                held,
            }) = next
            else {
                break;
            };
            let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
                break;
            };
            let server = self.clone();
            let responses = responses.clone();
            tokio::spawn(async move {
                let response = server.answer(request).await;
                let _ = responses.send((channel, response)).await;
                drop((permit, held));
            });
        }
    }

    async fn record_datanet(&self, datanet: Datanet) {
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
                let _ = self.events.send(NetEvent::DatanetAdded(id));
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(datanet = %id, error = %e, "datanet record not stored"),
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
            Ok(true) => {
                let _ = self.events.send(NetEvent::ChunkInvalid(da_root));
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(%da_root, error = %e, "fraud proof not recorded"),
        }
    }

    async fn answer(&self, request: Request) -> Response {
        let events = self.events.clone();
        let result = self
            .store
            .run(move |store| answer_blocking(store, request, &events))
            .await;
        match result {
            Ok(response) => response,
            Err(StoreError::Invalid(reason)) => {
                self.stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
                Response::Refused(reason)
            }
            Err(e) => Response::Refused(format!("store error: {e}")),
        }
    }
}

fn answer_blocking(
    store: &Store,
    request: Request,
    events: &broadcast::Sender<NetEvent>,
) -> Result<Response, StoreError> {
    if let Some(root) = request.da_root() {
        if store.is_invalid(&root)? {
            return Ok(Response::Refused(format!(
                "square {root} is proven badly encoded"
            )));
        }
    }
    match request {
        Request::PutManifest { manifest, headers } => {
            if store.manifest(&manifest.id())?.is_none() {
                store.put_contribution(&manifest, &headers, &[])?;
            }
            Ok(Response::Stored)
        }
        Request::PutColumns { da_root, columns } => {
            let Some(header) = store.header(&da_root)? else {
                return Ok(Response::Refused(format!(
                    "unknown square {da_root}: send its manifest first"
                )));
            };
            let halves: Vec<ColumnHalf<'_>> = columns
                .iter()
                .map(|c| ColumnHalf {
                    index: c.index,
                    top_half: &c.top_half,
                    axis_path: &c.axis_path,
                })
                .collect();
            store.put_column_halves(&header, &halves)?;
            for column in &columns {
                let _ = events.send(NetEvent::ColumnStored {
                    da_root,
                    index: column.index,
                });
            }
            Ok(Response::Stored)
        }
        Request::GetManifest(id) => {
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
        Request::GetDatanet(id) => Ok(match store.datanet(&id)? {
            Some(datanet) => Response::Datanet(Box::new(datanet)),
            None => Response::NotFound,
        }),
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
        } => {
            let wanted: BTreeSet<u16> = coordinates.iter().map(|(_, col)| *col).collect();
            let wanted: Vec<u16> = wanted.into_iter().collect();
            let columns: BTreeMap<u16, Line> = store
                .columns(&da_root, &wanted)?
                .into_iter()
                .map(|line| (line.index, line))
                .collect();
            let mut samples = Vec::with_capacity(coordinates.len());
            for (row, col) in coordinates {
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
                samples.push(sample.unwrap_or(SampleAnswer::Missing));
            }
            Ok(Response::Samples(samples))
        }
    }
}

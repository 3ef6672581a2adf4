//! The API's endpoints. Each handler parses and checks its input first (400/404/413/503
//! before any work), then calls the node.

use std::convert::Infallible;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use datanet_protocol::chunking::MAX_CHUNK_LEN;
use datanet_protocol::sampling::samples_needed;
use datanet_protocol::{ContributionId, Datanet, DatanetId};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::convert::{contribution_view, datanet_view, policy_of, validators_of};
use super::error::ApiError;
use super::events::ApiEvent;
use super::metrics::{render, Sample};
use super::upload::{stage, too_large};
use super::views::{
    ChunkSampleView, ColumnsView, CreateDatanet, PeerView, StatusView, VerifyRequest, VerifyView,
};
use super::ApiState;
use crate::Payload;

pub(crate) type Shared = State<Arc<ApiState>>;

/// The default target of `verify`.
const DEFAULT_CONFIDENCE: f64 = 0.99;

pub(crate) fn parse<T: FromStr>(what: &str, text: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("{text:?} is not a valid {what} id")))
}

/// A JSON request body, whatever its declared content type (so `curl -d` works).
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the request body is not valid JSON for this endpoint: {e}"),
        )
    })
}

/// How many datanets and contributions the node's store holds.
async fn record_counts(node: &crate::Node) -> Result<(usize, usize), ApiError> {
    Ok(node
        .store()
        .run(|s| Ok((s.datanets()?.len(), s.contributions()?.len())))
        .await
        .map_err(crate::NodeError::from)?)
}

/// `GET /v1/status`.
pub(crate) async fn status(State(state): Shared) -> Result<Json<StatusView>, ApiError> {
    let node = &state.node;
    let (datanets, contributions) = record_counts(node).await?;
    let peers = node.peers().await?.len();
    let (last, repaired) = node.replication();
    Ok(Json(StatusView {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        peer_id: node.peer_id().to_string(),
        contributor: node.contributor().to_string(),
        listen: node
            .listen_addrs()
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
        peers,
        members: node.members().await?.len(),
        no_peers: (peers == 0).then(|| node.connectivity().why_no_peers()),
        datanets,
        contributions,
        columns: ColumnsView {
            owed: last.owed,
            missing: last.missing,
            under_replicated: last.under_replicated,
            repaired,
        },
        uptime_s: state.started.elapsed().as_secs(),
        anchoring: node.anchoring().map(|a| super::views::AnchoringView {
            hub: a.hub,
            chain_id: a.chain_id,
            pending: a.pending,
            head: a.head,
            last_error: a.last_error,
        }),
    }))
}

/// `GET /v1/peers`.
pub(crate) async fn peers(State(state): Shared) -> Result<Json<Vec<PeerView>>, ApiError> {
    let mut peers: Vec<PeerView> = state
        .node
        .peers()
        .await?
        .into_iter()
        .map(|p| PeerView {
            peer_id: p.to_string(),
            score: state.node.peer_score(&p),
        })
        .collect();
    peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
    Ok(Json(peers))
}

/// `GET /v1/datanets`.
pub(crate) async fn list_datanets(
    State(state): Shared,
) -> Result<Json<Vec<super::views::DatanetView>>, ApiError> {
    let datanets = state
        .node
        .store()
        .run(|s| s.datanets())
        .await
        .map_err(crate::NodeError::from)?;
    Ok(Json(datanets.iter().map(datanet_view).collect()))
}

/// `POST /v1/datanets`.
pub(crate) async fn create_datanet(
    State(state): Shared,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: CreateDatanet = json_body(&body)?;
    let policy = policy_of(&request.policy).map_err(ApiError::bad_request)?;
    let validators = validators_of(&request.validators, request.threshold.as_deref())
        .map_err(ApiError::bad_request)?;
    let datanet = state
        .node
        .create_datanet(&request.name, &request.description, policy, validators)
        .await?;
    Ok((StatusCode::CREATED, Json(datanet_view(&datanet))))
}

/// The datanet record `id`, fetched from a peer if this node has not seen it, or 404.
async fn known_datanet(state: &ApiState, id: DatanetId) -> Result<Datanet, ApiError> {
    Ok(state.node.datanet(id).await?)
}

/// `GET /v1/datanets/{id}`.
pub(crate) async fn get_datanet(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<super::views::DatanetView>, ApiError> {
    let id: DatanetId = parse("datanet", &id)?;
    let datanet = known_datanet(&state, id).await?;
    Ok(Json(datanet_view(&datanet)))
}

/// `GET /v1/datanets/{id}/validators`: the set, each with when this node last heard from it.
pub(crate) async fn validators(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<Vec<super::views::ValidatorStatusView>>, ApiError> {
    let id: DatanetId = parse("datanet", &id)?;
    let validators = state.node.validators(id).await?;
    Ok(Json(
        validators
            .into_iter()
            .map(|(v, last)| super::views::ValidatorStatusView {
                key: v.key.to_string(),
                stake: v.stake,
                last_attestation_ms: last,
            })
            .collect(),
    ))
}

/// `POST /v1/datanets/{id}/contributions`: the body is the payload, streamed.
pub(crate) async fn contribute(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let id: DatanetId = parse("datanet", &id)?;
    let datanet = known_datanet(&state, id).await?;
    let policy = &datanet.body().policy;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    datanet_policy::check_media_type(policy, &media_type)?;
    let limit = datanet_policy::size_limit(policy);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let Ok(_permit) = Arc::clone(&state.uploads).try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "{} uploads are already running, the most this daemon accepts at once; retry when one finishes",
                state.max_uploads
            ),
        ));
    };
    let staged = stage(&state.staging, body, limit, state.idle).await?;
    let upload = state.upload_seq.fetch_add(1, Ordering::Relaxed);
    let events = state.events.clone();
    let report = state
        .node
        .contribute_payload(
            id,
            Payload::File {
                path: staged.path().to_path_buf(),
                len: staged.len(),
            },
            &media_type,
            move |p| {
                let _ = events.send(ApiEvent::upload(upload, p));
            },
        )
        .await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    state
        .metrics
        .uploaded_bytes
        .fetch_add(staged.len(), Ordering::Relaxed);
    let manifest = state.node.manifest(report.contribution).await?;
    let lifecycle = state.node.lifecycle(report.contribution).await?;
    Ok((
        StatusCode::CREATED,
        Json(contribution_view(
            &manifest,
            lifecycle.as_ref(),
            None,
            Some(&report),
        )),
    ))
}

/// `GET /v1/contributions/{id}`.
pub(crate) async fn get_contribution(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<super::views::ContributionView>, ApiError> {
    let id: ContributionId = parse("contribution", &id)?;
    let manifest = state.node.manifest(id).await?;
    let roots: Vec<_> = manifest.body().chunks.iter().map(|c| c.da_root).collect();
    let (rejected, held) = state
        .node
        .store()
        .run(move |s| {
            let mut rejected = None;
            let mut held = Vec::with_capacity(roots.len());
            for root in roots {
                if rejected.is_none() && s.is_invalid(&root)? {
                    rejected = Some(format!("chunk square {root} is proven badly encoded"));
                }
                let mut columns = s.column_indices(&root)?;
                columns.sort_unstable();
                held.push(columns);
            }
            Ok((rejected, held))
        })
        .await
        .map_err(crate::NodeError::from)?;
    let lifecycle = state.node.lifecycle(id).await?;
    let datanet = manifest.body().datanet;
    let anchor = match lifecycle.as_ref().and_then(|l| l.epoch) {
        Some(epoch) if state.node.anchoring().is_some() => state
            .node
            .store()
            .run(move |s| s.anchor(&datanet, epoch))
            .await
            .map_err(crate::NodeError::from)?,
        _ => None,
    };
    let mut view = contribution_view(&manifest, lifecycle.as_ref(), rejected, None);
    if let (Some(validation), Some(anchor)) = (view.validation.as_mut(), anchor) {
        let head = state.node.anchoring().and_then(|a| a.head);
        validation.anchored = Some(super::convert::anchor_view(&anchor.state, head));
    }
    for (chunk, columns) in view.chunks.iter_mut().zip(held) {
        chunk.columns_held = Some(columns);
    }
    Ok(Json(view))
}

/// A byte range asked for with `Range: bytes=a-b`, clamped to `len`.
fn byte_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let unsatisfiable = || {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!(
                "the payload has {len} bytes; ask for one range within them, as bytes=START-END"
            ),
        )
    };
    let spec = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .filter(|v| !v.contains(','))
        .ok_or_else(unsatisfiable)?;
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| unsatisfiable())?;
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        (s, "") => (
            s.parse().map_err(|_| unsatisfiable())?,
            len.saturating_sub(1),
        ),
        (s, e) => (
            s.parse().map_err(|_| unsatisfiable())?,
            e.parse::<u64>()
                .map_err(|_| unsatisfiable())?
                .min(len.saturating_sub(1)),
        ),
    };
    if len == 0 || start > end || start >= len {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end)))
}

/// `POST /v1/datanets/{id}/chain`: registers the datanet on the hub, owned by this node's
/// EVM key.
pub(crate) async fn register_datanet(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<super::views::ChainTxView>, ApiError> {
    let id: DatanetId = parse("datanet", &id)?;
    let tx = state.node.register_datanet_on_chain(id).await?;
    Ok(Json(super::views::ChainTxView {
        txs: vec![tx.to_string()],
    }))
}

/// `POST /v1/validator/chain`: binds this node's validator key on the hub, and stakes.
pub(crate) async fn register_validator(
    State(state): Shared,
    Json(request): Json<super::views::RegisterValidatorRequest>,
) -> Result<Json<super::views::ChainTxView>, ApiError> {
    let stake = match (request.datanet, request.stake) {
        (Some(datanet), Some(stake)) => Some((
            parse::<DatanetId>("datanet", &datanet)?,
            datanet_chain::parse_open(&stake).map_err(ApiError::bad_request)?,
        )),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "give both `datanet` and `stake`, or neither",
            ))
        }
    };
    let sent = state.node.register_validator_on_chain(stake).await?;
    Ok(Json(super::views::ChainTxView {
        txs: sent.iter().map(ToString::to_string).collect(),
    }))
}

/// `GET /v1/contributions/{id}/proof`: the contribution's attribution proof; 409
/// `not_anchored` while its batch is not anchored.
pub(crate) async fn proof(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<datanet_chain::AttributionProof>, ApiError> {
    let id: ContributionId = parse("contribution", &id)?;
    Ok(Json(state.node.attribution_proof(id).await?))
}

/// `GET /v1/contributions/{id}/data`: the payload, streamed chunk by chunk, each verified
/// before it is sent; one `Range` is honoured.
pub(crate) async fn get_data(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: ContributionId = parse("contribution", &id)?;
    let manifest = state.node.manifest(id).await?;
    let len = manifest.body().payload_len;
    let range = byte_range(&headers, len)?;
    let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
    let chunk = MAX_CHUNK_LEN as u64;
    let first = (start / chunk) as usize;
    let (_, chunks) = state.node.read(id, first).await?;
    state.metrics.downloads.fetch_add(1, Ordering::Relaxed);
    let metrics = Arc::clone(&state.metrics);
    let mut offset = first as u64 * chunk;
    let body = chunks
        .map(move |item| {
            let bytes = item.map_err(std::io::Error::other)?;
            let (from, to) = (offset, offset + bytes.len() as u64);
            offset = to;
            let lo = start.clamp(from, to) - from;
            let hi = (end + 1).clamp(from, to) - from;
            let part = Bytes::from(bytes).slice(lo as usize..hi as usize);
            metrics
                .downloaded_bytes
                .fetch_add(part.len() as u64, Ordering::Relaxed);
            Ok::<_, std::io::Error>(part)
        })
        .take_while(|r| std::future::ready(!matches!(r, Ok(b) if b.is_empty())));
    let mut response = Response::new(Body::from_stream(body));
    let sent = if len == 0 { 0 } else { end - start + 1 };
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(sent));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&manifest.body().media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(response)
}

/// `POST /v1/contributions/{id}/verify`: samples every chunk through the network until the
/// target confidence is reached.
pub(crate) async fn verify(
    State(state): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<VerifyView>, ApiError> {
    let id: ContributionId = parse("contribution", &id)?;
    let request: VerifyRequest = if body.is_empty() {
        VerifyRequest::default()
    } else {
        json_body(&body)?
    };
    let target = request.confidence.unwrap_or(DEFAULT_CONFIDENCE);
    if !(target > 0.0 && target < 1.0) {
        return Err(ApiError::bad_request(format!(
            "confidence must be between 0 and 1 (exclusive), not {target}"
        )));
    }
    let reports = state
        .node
        .verify(id, |k| samples_needed(u32::from(k), target) as usize)
        .await?;
    let chunks: Vec<ChunkSampleView> = reports
        .iter()
        .map(|r| ChunkSampleView {
            da_root: r.da_root.to_string(),
            k: r.k,
            requested: r.requested,
            verified: r.verified,
            confidence: r.confidence,
            available: r.available() && r.confidence >= target,
        })
        .collect();
    Ok(Json(VerifyView {
        contribution: id.to_string(),
        target,
        available: chunks.iter().all(|c| c.available),
        chunks,
    }))
}

/// `GET /v1/events`: server-sent events, one JSON object each.
pub(crate) async fn events(
    State(state): Shared,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.events.subscribe())
        .filter_map(|e| async move {
            let event = e.ok()?;
            Event::default().json_data(&event).ok().map(Ok)
        })
        .take_until(state.cancel.clone().cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(state): Shared) -> Result<impl IntoResponse, ApiError> {
    let node = &state.node;
    let (datanets, contributions) = record_counts(node).await?;
    let stats = node.net_stats();
    let gauge = |name, help, value: u64| Sample {
        name,
        help,
        kind: "gauge",
        value,
    };
    let (last, repaired) = node.replication();
    let mut samples = state.metrics.samples();
    samples.extend([
        gauge(
            "datanet_columns_owed",
            "Columns this node custodies, as of the last repair pass.",
            last.owed as u64,
        ),
        gauge(
            "datanet_columns_missing",
            "Columns this node custodies and lacks after the last repair pass.",
            last.missing as u64,
        ),
        gauge(
            "datanet_columns_under_replicated",
            "Columns with fewer custodians present than they should have.",
            last.under_replicated as u64,
        ),
        Sample {
            name: "datanet_columns_repaired_total",
            help: "Columns rebuilt by repair since the daemon started.",
            kind: "counter",
            value: repaired,
        },
        gauge(
            "datanet_peers",
            "Peers connected now.",
            node.peers().await?.len() as u64,
        ),
        gauge(
            "datanet_members",
            "Storage peers known to be up, connected or not.",
            node.members().await?.len() as u64,
        ),
        gauge("datanet_datanets", "Datanets known.", datanets as u64),
        gauge(
            "datanet_contributions",
            "Contributions whose manifest is stored here.",
            contributions as u64,
        ),
        Sample {
            name: "datanet_inbound_dropped_total",
            help: "Inbound requests or records dropped because a queue was full.",
            kind: "counter",
            value: stats.inbound_dropped.load(Ordering::Relaxed),
        },
        Sample {
            name: "datanet_invalid_messages_total",
            help: "Messages from peers that did not decode or verify.",
            kind: "counter",
            value: stats.invalid_messages.load(Ordering::Relaxed),
        },
        Sample {
            name: "datanet_gossip_received_total",
            help: "Gossip messages received, each once (duplicates are dropped before).",
            kind: "counter",
            value: stats.gossip_received.load(Ordering::Relaxed),
        },
        Sample {
            name: "datanet_gossip_received_bytes_total",
            help: "Payload bytes of the gossip messages received.",
            kind: "counter",
            value: stats.gossip_received_bytes.load(Ordering::Relaxed),
        },
        Sample {
            name: "datanet_gossip_published_total",
            help: "Gossip messages this node published (not those it forwarded).",
            kind: "counter",
            value: stats.gossip_published.load(Ordering::Relaxed),
        },
        Sample {
            name: "datanet_gossip_published_bytes_total",
            help: "Payload bytes of the gossip messages this node published.",
            kind: "counter",
            value: stats.gossip_published_bytes.load(Ordering::Relaxed),
        },
    ]);
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(&samples),
    ))
}

/// Any other path.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see docs/api.md")
}

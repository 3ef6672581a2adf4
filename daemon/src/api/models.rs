//! The model endpoints: register a model operated by this node's contributor key, read model
//! records back, and attribute a model's output to the contributions it quotes. Their JSON
//! bodies live here too, shared with the command line.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use datanet_protocol::signed::ModelRecord;
use datanet_protocol::{ContributionId, DatanetId, Hash, ModelId};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::routes::{json_body, parse, Shared};
use super::ApiState;
use crate::{ModelAttribution, ModelRequest};

/// `POST /v1/models`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterModel {
    /// A short human name.
    pub name: String,
    /// The model it was trained from.
    pub base_model: String,
    /// The hash of its weights file (hex), if published.
    #[serde(default)]
    pub weights: Option<String>,
    /// The datanet versions it was trained on: `DATANET` (its newest anchored epoch) or
    /// `DATANET:EPOCH`.
    pub versions: Vec<String>,
    /// Its adapter's contribution id, if it has one.
    #[serde(default)]
    pub adapter: Option<String>,
}

/// One datanet version a model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainedOnView {
    /// The datanet.
    pub datanet: String,
    /// The version's last epoch.
    pub epoch: u64,
    /// That epoch's anchored batch root.
    pub batch_root: String,
}

/// A model record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelView {
    /// The model id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The model it was trained from.
    pub base_model: String,
    /// The hash of its weights, if published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// The datanet versions it was trained on.
    pub versions: Vec<TrainedOnView>,
    /// Its adapter's contribution id, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// The operator's key (hex), which signed the record.
    pub operator: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// The view of a model record.
pub(crate) fn model_view(model: &ModelRecord) -> ModelView {
    let body = model.body();
    ModelView {
        id: model.id().to_string(),
        name: body.name.clone(),
        base_model: body.base_model.clone(),
        weights: body.weights.map(|h| h.to_string()),
        versions: body
            .versions
            .iter()
            .map(|v| TrainedOnView {
                datanet: v.datanet.to_string(),
                epoch: v.epoch,
                batch_root: v.batch_root.to_string(),
            })
            .collect(),
        adapter: body.adapter.map(|a| a.to_string()),
        operator: body.operator.to_string(),
        created_ms: body.created_ms,
    }
}

/// The request a [`RegisterModel`] body makes, or 400 naming the field that does not parse.
fn model_request(body: RegisterModel) -> Result<ModelRequest, ApiError> {
    let versions = body
        .versions
        .iter()
        .map(|v| version(v))
        .collect::<Result<Vec<_>, _>>()?;
    let weights = match &body.weights {
        Some(w) => Some(w.parse::<Hash>().map_err(|_| {
            ApiError::bad_request(format!("weights {w:?} is not a 32-byte hex hash"))
        })?),
        None => None,
    };
    let adapter: Option<ContributionId> = match &body.adapter {
        Some(a) => Some(parse("adapter contribution", a)?),
        None => None,
    };
    Ok(ModelRequest {
        name: body.name,
        base_model: body.base_model,
        weights,
        versions,
        adapter,
    })
}

/// `DATANET` or `DATANET:EPOCH`.
fn version(text: &str) -> Result<(DatanetId, Option<u64>), ApiError> {
    let (datanet, epoch) = match text.split_once(':') {
        Some((datanet, epoch)) => {
            let epoch = epoch.parse().map_err(|_| {
                ApiError::bad_request(format!("version {text:?}: {epoch:?} is not an epoch"))
            })?;
            (datanet, Some(epoch))
        }
        None => (text, None),
    };
    Ok((parse("datanet", datanet)?, epoch))
}

/// `POST /v1/models`.
pub(crate) async fn register_model(
    State(state): Shared,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request = model_request(json_body(&body)?)?;
    let model = state.node.register_model(request).await?;
    Ok((StatusCode::CREATED, Json(model_view(&model))))
}

/// `GET /v1/models`.
pub(crate) async fn list_models(State(state): Shared) -> Result<Json<Vec<ModelView>>, ApiError> {
    let models = state.node.models().await?;
    Ok(Json(models.iter().map(model_view).collect()))
}

/// `GET /v1/models/{id}`.
pub(crate) async fn get_model(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<ModelView>, ApiError> {
    let id: ModelId = parse("model", &id)?;
    Ok(Json(model_view(&state.node.model(id).await?)))
}

/// The query of `POST /v1/attribute`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributeQuery {
    /// The model whose output the body is.
    pub model: String,
}

/// `POST /v1/attribute?model=ID`, the output as the raw body: its spans found in the
/// versions the model was trained on, and the weights of their contributions and
/// contributors. A body over the node's limit is refused from its declared length before
/// it is read, or as soon as it passes the limit.
pub(crate) async fn attribute(
    State(state): Shared,
    query: Result<Query<AttributeQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ModelAttribution>, ApiError> {
    let model = model_of(query, "/v1/attribute")?;
    let output = read_output(&state, &headers, body).await?;
    Ok(Json(state.node.attribute(model, output).await?))
}

/// One submitted attribution record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedView {
    /// The datanet whose contributors it weighs.
    pub datanet: String,
    /// The record's id.
    pub id: String,
    /// Each contributor's weight.
    pub weights: Vec<ContributorWeightView>,
}

/// One contributor's weight in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorWeightView {
    /// The contributor's key.
    pub contributor: String,
    /// Its weight.
    pub weight: u64,
}

/// `POST /v1/attributions?model=ID`, the output as the raw body: signs and submits one
/// attribution record per datanet the output quotes, for the validators to recompute and
/// pay by. Limits as `POST /v1/attribute`.
pub(crate) async fn submit(
    State(state): Shared,
    query: Result<Query<AttributeQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let model = model_of(query, "/v1/attributions")?;
    let output = read_output(&state, &headers, body).await?;
    let submitted = state.node.submit_attribution(model, output).await?;
    let views: Vec<SubmittedView> = submitted
        .iter()
        .map(|r| SubmittedView {
            datanet: r.datanet.to_string(),
            id: r.id.to_string(),
            weights: r
                .weights
                .iter()
                .map(|(contributor, weight)| ContributorWeightView {
                    contributor: contributor.to_string(),
                    weight: *weight,
                })
                .collect(),
        })
        .collect();
    Ok((StatusCode::CREATED, Json(views)))
}

/// The model a query names, or 400 saying how to name it on `path`.
fn model_of(
    query: Result<Query<AttributeQuery>, QueryRejection>,
    path: &str,
) -> Result<ModelId, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request(format!(
            "name the model whose output this is: POST {path}?model=ID"
        ))
    })?;
    parse("model", &query.model)
}

/// The output in a request's body, refused with 413 from its declared length before it is
/// read, or as soon as it passes the node's limit.
async fn read_output(
    state: &ApiState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let limit = state
        .node
        .max_output_bytes()
        .ok_or_else(crate::attribution::not_enabled)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(output_too_large(limit));
    }
    let output = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                output_too_large(limit)
            } else {
                ApiError::bad_request(format!("the output could not be read: {e}"))
            }
        })?
        .to_bytes();
    Ok(output.to_vec())
}

/// 413 for an output over `limit` bytes.
fn output_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "this node attributes outputs of at most {limit} bytes (attribution.max_output_bytes)"
        ),
    )
}

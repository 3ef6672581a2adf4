//! The reward endpoints: fund a datanet's pool, bind this node's contributor key to the
//! address it is paid at, read where a pool and this contributor stand, and claim what is
//! due. Amounts are
//! decimal OPEN (`100`, `2.5`). Their JSON bodies live here too, shared with the command
//! line.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use datanet_chain::{format_open, parse_open, Address, U256};
use datanet_protocol::DatanetId;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::routes::{json_body, parse, Shared};
use super::views::ChainTxView;

/// `POST /v1/datanets/{id}/rewards`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundRewards {
    /// OPEN to add to the pool, as a decimal.
    pub amount: String,
}

/// `POST /v1/rewards/payee`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindPayee {
    /// The address to pay (`0x` and 40 hex digits); this node's EVM address when absent.
    #[serde(default)]
    pub payee: Option<String>,
}

/// `GET /v1/datanets/{id}/rewards`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RewardsView {
    /// The datanet.
    pub datanet: String,
    /// OPEN ever funded into its pool.
    pub funded: String,
    /// OPEN paid out of it by claims.
    pub paid: String,
    /// OPEN left to pay.
    pub available: String,
    /// This node's contributor key.
    pub contributor: String,
    /// The address its rewards are paid to, once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    /// OPEN this contributor has claimed from the pool.
    pub claimed: String,
    /// OPEN this contributor earned up to the newest rewards root anchored here.
    pub earned: String,
    /// The epoch of that root, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earned_epoch: Option<u64>,
    /// OPEN this contributor may claim now: earned less claimed.
    pub due: String,
}

/// `POST /v1/datanets/{id}/rewards/claim`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimView {
    /// The anchored epoch whose rewards root the claim was made against.
    pub epoch: u64,
    /// OPEN earned up to that epoch.
    pub cumulative: String,
    /// OPEN this claim paid.
    pub paid: String,
    /// The transaction.
    pub tx: String,
}

/// `POST /v1/datanets/{id}/rewards`: funds the pool from this node's EVM key.
pub(crate) async fn fund(
    State(state): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let datanet: DatanetId = parse("datanet", &id)?;
    let request: FundRewards = json_body(&body)?;
    let amount = parse_open(&request.amount).map_err(ApiError::bad_request)?;
    let tx = state.node.fund_rewards(datanet, amount).await?;
    Ok((
        StatusCode::CREATED,
        Json(ChainTxView {
            txs: vec![tx.to_string()],
        }),
    ))
}

/// `POST /v1/rewards/payee`: binds this node's contributor key to a payee; no transaction
/// when it is bound to that address already.
pub(crate) async fn bind_payee(
    State(state): Shared,
    body: Bytes,
) -> Result<Json<ChainTxView>, ApiError> {
    let request: BindPayee = if body.is_empty() {
        BindPayee::default()
    } else {
        json_body(&body)?
    };
    let payee = match &request.payee {
        Some(text) => Some(text.parse::<Address>().map_err(|_| {
            ApiError::bad_request(format!("{text:?} is not an address (0x and 40 hex digits)"))
        })?),
        None => None,
    };
    let sent = state.node.bind_payee(payee).await?;
    Ok(Json(ChainTxView {
        txs: sent.iter().map(ToString::to_string).collect(),
    }))
}

/// `GET /v1/datanets/{id}/rewards`.
pub(crate) async fn show(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<RewardsView>, ApiError> {
    let datanet: DatanetId = parse("datanet", &id)?;
    let status = state.node.rewards(datanet).await?;
    Ok(Json(RewardsView {
        datanet: datanet.to_string(),
        funded: format_open(status.funded),
        paid: format_open(status.paid),
        available: format_open(status.funded.saturating_sub(status.paid)),
        contributor: status.contributor.to_string(),
        payee: status.payee.map(|p| p.to_string()),
        claimed: format_open(status.claimed),
        earned: format_open(status.earned.map_or(U256::ZERO, |(_, e)| e)),
        earned_epoch: status.earned.map(|(epoch, _)| epoch),
        due: format_open(status.due()),
    }))
}

/// `POST /v1/datanets/{id}/rewards/claim`: claims what the newest anchored rewards root owes
/// this node's contributor key.
pub(crate) async fn claim(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<ClaimView>, ApiError> {
    let datanet: DatanetId = parse("datanet", &id)?;
    let claimed = state.node.claim_rewards(datanet).await?;
    Ok(Json(ClaimView {
        epoch: claimed.epoch,
        cumulative: format_open(claimed.cumulative),
        paid: format_open(claimed.paid),
        tx: claimed.tx.to_string(),
    }))
}

//! The light client's optional local HTTP endpoint (off unless asked for): an application
//! asks, before it trains on a datanet version, whether each contribution is available and
//! with what confidence. Read-only; it answers from the progress store.
//!
//! - `GET /v1/contributions/{id}`: the verdict, or 404 `not_checked`.
//! - `GET /v1/status`: how many contributions have a verdict.

use std::net::SocketAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use datanet_protocol::ContributionId;
use tokio_util::sync::CancellationToken;

use crate::progress::Progress;

/// Serves the endpoint on `addr` until `cancel`; the address it listens on.
///
/// # Errors
/// The address cannot be listened on.
pub async fn serve(
    progress: Progress,
    addr: SocketAddr,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = Router::new()
        .route("/v1/contributions/{id}", get(contribution))
        .route("/v1/status", get(status))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route".into()) })
        .with_state(progress);
    let server = axum::serve(listener, router).with_graceful_shutdown(cancel.cancelled_owned());
    Ok((bound, tokio::spawn(async move { server.await })))
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "message": message})),
    )
        .into_response()
}

async fn contribution(State(progress): State<Progress>, Path(id): Path<String>) -> Response {
    let id: ContributionId = match id.parse() {
        Ok(id) => id,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_id", format!("{e}")),
    };
    match progress.verdict(&id) {
        Ok(Some(verdict)) => Json(verdict).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not_checked",
            format!("contribution {id} has not been checked by this light client"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e.to_string()),
    }
}

async fn status(State(progress): State<Progress>) -> Response {
    Json(serde_json::json!({"checked": progress.checked()})).into_response()
}

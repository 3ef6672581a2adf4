//! The local API: HTTP/1.1 and JSON over a Unix socket (mode 0600) in the node's home, so
//! `curl --unix-socket` works, and optionally over TCP with a bearer token. Uploads and
//! downloads stream; every error is a JSON body with a stable code (see docs/api.md).

mod convert;
mod error;
mod events;
mod metrics;
pub mod models;
pub mod rewards;
mod routes;
mod upload;
pub mod views;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::Listener;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{broadcast, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use events::ApiEvent;

use crate::Node;
use metrics::Metrics;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections get to finish when the daemon stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Where and how the API listens.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The Unix socket's path.
    pub socket: PathBuf,
    /// An optional TCP listener and the bearer token it requires.
    pub tcp: Option<(SocketAddr, String)>,
    /// Uploads accepted at the same time; more get 503.
    pub max_concurrent_uploads: usize,
    /// How long a request may take (for an upload: how long it may send nothing).
    pub request_timeout: Duration,
    /// Where uploads are staged while they arrive.
    pub staging: PathBuf,
}

/// What every handler shares.
pub(crate) struct ApiState {
    node: Arc<Node>,
    cancel: CancellationToken,
    uploads: Arc<Semaphore>,
    max_uploads: usize,
    events: broadcast::Sender<ApiEvent>,
    metrics: Arc<Metrics>,
    staging: PathBuf,
    idle: Duration,
    request_timeout: Duration,
    started: Instant,
    upload_seq: AtomicU64,
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another daemon answers on the socket.
    #[error("another daemon is already listening on {0}")]
    InUse(PathBuf),
    /// Binding or preparing a listener failed.
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
}

/// The running API.
#[derive(Debug)]
pub struct Api {
    tasks: TaskTracker,
    socket: PathBuf,
    tcp: Option<SocketAddr>,
}

impl Api {
    /// The TCP address actually bound, if a TCP listener was asked for.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// Waits until the listeners and every connection have ended (after their cancellation:
    /// a connection gets [`SHUTDOWN_GRACE`] to finish its request, an event stream ends at
    /// once) and removes the socket file.
    pub async fn stopped(self) {
        self.tasks.close();
        self.tasks.wait().await;
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Starts the API for `node` until `cancel`.
///
/// # Errors
/// [`ServeError`] when a listener cannot be bound.
pub async fn serve(
    node: Arc<Node>,
    config: ApiConfig,
    cancel: CancellationToken,
) -> Result<Api, ServeError> {
    let tasks = TaskTracker::new();
    let events = events::channel(node.events(), node.net_events(), &tasks, cancel.clone());
    let state = Arc::new(ApiState {
        node,
        cancel: cancel.clone(),
        uploads: Arc::new(Semaphore::new(config.max_concurrent_uploads)),
        max_uploads: config.max_concurrent_uploads,
        events,
        metrics: Arc::default(),
        staging: config.staging.clone(),
        idle: config.request_timeout,
        request_timeout: config.request_timeout,
        started: Instant::now(),
        upload_seq: AtomicU64::new(0),
    });
    let router = router(Arc::clone(&state));
    let unix = bind_unix(&config.socket).await?;
    tasks.spawn(accept(unix, router.clone(), tasks.clone(), cancel.clone()));
    let mut tcp_addr = None;
    if let Some((addr, token)) = config.tcp {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| ServeError::Listen(addr.to_string(), e))?;
        tcp_addr = listener.local_addr().ok();
        let token = Arc::new(format!("Bearer {token}"));
        let guarded = router.layer(middleware::from_fn_with_state(token, require_token));
        tasks.spawn(accept(listener, guarded, tasks.clone(), cancel));
    }
    Ok(Api {
        tasks,
        socket: config.socket,
        tcp: tcp_addr,
    })
}

fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/v1/status", get(routes::status))
        .route("/v1/peers", get(routes::peers))
        .route(
            "/v1/datanets",
            get(routes::list_datanets).post(routes::create_datanet),
        )
        .route("/v1/datanets/{id}", get(routes::get_datanet))
        .route("/v1/datanets/{id}/contributions", post(routes::contribute))
        .route("/v1/datanets/{id}/validators", get(routes::validators))
        .route("/v1/datanets/{id}/chain", post(routes::register_datanet))
        .route("/v1/validator/chain", post(routes::register_validator))
        .route("/v1/contributions/{id}", get(routes::get_contribution))
        .route("/v1/contributions/{id}/data", get(routes::get_data))
        .route("/v1/contributions/{id}/verify", post(routes::verify))
        .route("/v1/contributions/{id}/proof", get(routes::proof))
        .route(
            "/v1/models",
            get(models::list_models).post(models::register_model),
        )
        .route("/v1/models/{id}", get(models::get_model))
        .route("/v1/attribute", post(models::attribute))
        .route("/v1/attributions", post(models::submit))
        .route(
            "/v1/datanets/{id}/rewards",
            get(rewards::show).post(rewards::fund),
        )
        .route("/v1/datanets/{id}/rewards/claim", post(rewards::claim))
        .route("/v1/rewards/payee", post(rewards::bind_payee))
        .route("/v1/events", get(routes::events))
        .route("/metrics", get(routes::metrics))
        .fallback(routes::not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            count_and_time,
        ))
        .with_state(state)
}

/// Counts requests and errors, and cuts off a request whose handler takes longer than the
/// request timeout (a streamed download's body is not cut: it is already under way).
async fn count_and_time(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Response {
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let response = match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s",
                state.request_timeout.as_secs()
            ),
        )
        .into_response(),
    };
    if response.status().is_client_error() || response.status().is_server_error() {
        state.metrics.errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// Lets a TCP request through only with the right bearer token.
async fn require_token(
    State(expected): State<Arc<String>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(given, expected.as_bytes()) {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the TCP API needs the header `Authorization: Bearer <token>` with the token in <home>/api.token",
        )
        .into_response()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Binds the Unix socket: a stale socket file is replaced, a live one is an error; the new
/// socket is made owner-only (0600).
async fn bind_unix(path: &Path) -> Result<UnixListener, ServeError> {
    let listen_error = |e| ServeError::Listen(path.display().to_string(), e);
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(ServeError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(listen_error)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(listen_error)?;
    }
    let listener = UnixListener::bind(path).map_err(listen_error)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(listen_error)?;
    Ok(listener)
}

/// Accepts connections until `cancel`, each served on its own task in `tasks`.
async fn accept<L: Listener>(
    mut listener: L,
    router: Router,
    tasks: TaskTracker,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            (stream, _) = listener.accept() => {
                tasks.spawn(serve_connection(stream, router.clone(), cancel.clone()));
            }
        }
    }
}

/// Serves one connection; a client that is slow to send headers is cut off, and on
/// shutdown the connection gets a grace period to finish.
async fn serve_connection<S>(stream: S, router: Router, cancel: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(router);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "API connection ended with an error");
            }
        }
        _ = cancel.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
        }
    }
}

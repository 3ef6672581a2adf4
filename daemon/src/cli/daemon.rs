//! `datanet run`: the storage peer. Opens the store, starts the node and the API, collects
//! garbage on schedule, and stops cleanly on SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use datanet_config::Config;
use datanet_storage::{GcPolicy, Store};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use super::home::{
    home_path, load_config, validator_key_path, ATTRIBUTION_DIR, STAGING_DIR, STORE_DIR, TOKEN_FILE,
};
use super::output::report;
use super::CliError;
use crate::api::{self, ApiConfig};
use crate::AttributionSettings;
use crate::{load_validator_key, Node, NodeConfig, NodeKeys};

/// Runs the daemon of `home` until SIGINT or SIGTERM.
pub(crate) async fn run(home: &Path) -> Result<(), CliError> {
    let config = load_config(home)?;
    let staging = home.join(STAGING_DIR);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .map_err(|e| CliError::Other(format!("cannot clear {}: {e}", staging.display())))?;
    }
    let store = Store::open(&home.join(STORE_DIR)).map_err(|e| {
        CliError::Other(format!("cannot open the store in {}: {e}", home.display()))
    })?;
    let mut node_config = NodeConfig::from_config(&config)?;
    if config.attribution.enabled {
        node_config.attribution = Some(AttributionSettings {
            folder: home.join(ATTRIBUTION_DIR),
            min_span: config.attribution.min_span,
            max_output_bytes: config.attribution.max_output_bytes,
        });
    }
    let mut keys = NodeKeys::load_or_create(home)?;
    if config.validator.enabled {
        keys.validator = Some(load_validator_key(&validator_key_path(home, &config))?);
    }
    let evm_key = home_path(home, &config.chain.evm_key);
    if config.chain.enabled() && evm_key.exists() {
        keys.evm = Some(
            datanet_chain::EvmKey::load(&evm_key)
                .map_err(|e| crate::NodeError::Key(e.to_string()))?,
        );
    }
    let validator = keys.validator.as_ref().map(|k| k.public());
    let node = Arc::new(Node::start(node_config, keys, store).await?);
    let cancel = CancellationToken::new();
    let socket = home.join(&config.api.socket);
    let api = api::serve(
        Arc::clone(&node),
        ApiConfig {
            socket: socket.clone(),
            tcp: tcp_listener(&config, home)?,
            max_concurrent_uploads: config.api.max_concurrent_uploads,
            request_timeout: config.api.request_timeout,
            staging,
        },
        cancel.clone(),
    )
    .await
    .map_err(|e| CliError::Other(e.to_string()))?;
    let collector = tokio::spawn(collect_garbage(
        node.store().blocking().clone(),
        config.storage.gc_interval,
        config.storage.staged_grace,
        cancel.clone(),
    ));
    report(format_args!(
        "datanet {} running",
        env!("CARGO_PKG_VERSION")
    ));
    report(format_args!("  peer id  {}", node.peer_id()));
    if let Some(key) = validator {
        report(format_args!("  validating as {key}"));
    }
    match node.anchoring() {
        Some(status) => report(format_args!(
            "  anchoring on hub {} of chain {}",
            status.hub, status.chain_id
        )),
        None => report(format_args!(
            "  anchoring off: no [chain] configured, final batches stay off chain"
        )),
    }
    for address in node.listen_addrs().await? {
        report(format_args!("  listen   {address}"));
    }
    if let Some(addr) = api.tcp_addr() {
        report(format_args!(
            "  api tcp  {addr} (bearer token in {})",
            home.join(TOKEN_FILE).display()
        ));
    }
    report(format_args!("  api      {}", socket.display()));
    wait_for_signal().await?;
    report(format_args!("stopping"));
    cancel.cancel();
    api.stopped().await;
    let _ = collector.await;
    node.shutdown().await;
    report(format_args!("stopped"));
    Ok(())
}

fn tcp_listener(config: &Config, home: &Path) -> Result<Option<(SocketAddr, String)>, CliError> {
    if config.api.tcp_listen.is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = config.api.tcp_listen.parse().map_err(|e| {
        CliError::Other(format!(
            "api.tcp_listen: {:?} is not host:port: {e}",
            config.api.tcp_listen
        ))
    })?;
    let path = home.join(TOKEN_FILE);
    let token = std::fs::read_to_string(&path)
        .map_err(|e| CliError::Other(format!("the TCP API needs {}: {e}", path.display())))?;
    Ok(Some((addr, token.trim().to_owned())))
}

async fn wait_for_signal() -> Result<(), CliError> {
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| CliError::Other(format!("cannot handle SIGINT: {e}")))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|e| CliError::Other(format!("cannot handle SIGTERM: {e}")))?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// Removes expired staged chunks and unreferenced records every `interval`.
async fn collect_garbage(
    store: Store,
    interval: Duration,
    grace: Duration,
    cancel: CancellationToken,
) {
    let policy = GcPolicy {
        staged_grace_ms: grace.as_millis() as u64,
    };
    let mut ticks = tokio::time::interval(interval);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.gc(policy)).await {
            Ok(Ok(report)) => tracing::debug!(?report, "garbage collected"),
            Ok(Err(e)) => tracing::warn!(error = %e, "garbage collection failed"),
            Err(e) => tracing::warn!(error = %e, "garbage collection task failed"),
        }
    }
}

//! Logging for a binary on the network: to stderr, filtered by `RUST_LOG`, by default warnings
//! only, with libp2p's Kademlia quieted (it warns of every unreachable peer it tried).

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "warn,libp2p_kad=error";

/// Sends `tracing` events to stderr, filtered by `RUST_LOG` or [`DEFAULT_FILTER`]. Call once,
/// first thing in `main`.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

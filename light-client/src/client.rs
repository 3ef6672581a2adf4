//! The light client: a light peer on the network (it asks, never custodies, answers nothing),
//! its progress store, and the checks it runs.

use std::path::PathBuf;
use std::time::Duration;

use datanet_net::{identity, Multiaddr, NetConfig, NetEvent, NetHandle, Role, Spawned};
use datanet_protocol::{ContributionId, DatanetId};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::check::{check_contribution, ContributionVerdict};
use crate::error::LightError;
use crate::progress::Progress;

/// How a light client starts.
#[derive(Debug, Clone)]
pub struct LightConfig {
    /// Where its progress store lives.
    pub home: PathBuf,
    /// Storage peers to join the network through.
    pub bootstrap: Vec<Multiaddr>,
    /// Addresses to listen on (loopback by default: a light client needs none reachable).
    pub listen: Vec<Multiaddr>,
    /// The probability each chunk check must reach that a withheld square would be caught.
    pub confidence: f64,
    /// Custodians per column on the network: who is asked for a column's shares first.
    pub replicas: usize,
    /// How long a request to a peer may take.
    pub request_timeout: Duration,
}

impl LightConfig {
    /// A light client keeping its progress in `home`, joining through `bootstrap`, sampling
    /// to 99.99 %, on loopback.
    pub fn new(home: PathBuf, bootstrap: Vec<Multiaddr>) -> Self {
        LightConfig {
            home,
            bootstrap,
            listen: datanet_net::loopback_addrs(),
            confidence: 0.9999,
            replicas: 4,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// A running light client.
pub struct LightClient {
    net: NetHandle,
    progress: Progress,
    config: LightConfig,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl LightClient {
    /// Opens the progress store, starts the network as a light peer and dials every
    /// bootstrap address (one that fails is logged; the rest may do).
    ///
    /// # Errors
    /// [`LightError::Progress`] when the store cannot be opened; [`LightError::Net`] when the
    /// network cannot listen; [`LightError::BadBootstrap`] for an address that names no
    /// peer; [`LightError::NoBootstrap`] when no bootstrap address could be dialled.
    pub async fn start(config: LightConfig) -> Result<Self, LightError> {
        if let Some(bad) = config
            .bootstrap
            .iter()
            .find(|a| datanet_net::peer_of(a).is_none())
        {
            return Err(LightError::BadBootstrap(bad.to_string()));
        }
        std::fs::create_dir_all(&config.home).map_err(|e| LightError::Progress {
            path: config.home.display().to_string(),
            message: e.to_string(),
        })?;
        let progress = Progress::open(&config.home.join("progress"))?;
        let tasks = TaskTracker::new();
        let cancel = CancellationToken::new();
        let mut net_config =
            NetConfig::loopback(identity::Keypair::generate_ed25519(), Role::Light);
        net_config.listen = config.listen.clone();
        net_config.request_timeout = config.request_timeout;
        let Spawned { handle: net, .. } = datanet_net::spawn(net_config, &tasks, cancel.clone())?;
        let mut failed = Vec::new();
        for address in &config.bootstrap {
            if let Err(e) = net.dial(address.clone()).await {
                tracing::warn!(%address, error = %e, "bootstrap peer not reached");
                failed.push(e.to_string());
            }
        }
        if !config.bootstrap.is_empty() && failed.len() == config.bootstrap.len() {
            cancel.cancel();
            tasks.close();
            tasks.wait().await;
            return Err(LightError::NoBootstrap(failed.join("; ")));
        }
        let client = LightClient {
            net,
            progress,
            config,
            tasks,
            cancel,
        };
        client.record_fraud();
        Ok(client)
    }

    /// The network handle.
    pub fn network(&self) -> &NetHandle {
        &self.net
    }

    /// The progress store.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The cancellation that stops the client's tasks.
    pub fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Waits up to `timeout` until a storage peer is connected; whether one is.
    pub async fn wait_for_storage_peer(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.net.storage_peers().await.is_ok_and(|p| !p.is_empty()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the storage peers this client knows of (connected, or heard from by their
    /// gossiped presence) have stayed the same for `stable`, or `max` has passed; how many
    /// it knows. Sampling asks each column's custodians first, so the more of them it knows
    /// the fewer samples go to peers that do not hold them.
    pub async fn settle_members(&self, stable: Duration, max: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + max;
        let mut known = self.net.members().await.map(|m| m.len()).unwrap_or(0);
        let mut since = tokio::time::Instant::now();
        while tokio::time::Instant::now() < deadline && since.elapsed() < stable {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.net.members().await.map(|m| m.len()).unwrap_or(0);
            if now != known {
                known = now;
                since = tokio::time::Instant::now();
            }
        }
        known
    }

    /// Subscribes to the announcements (manifests and fraud proofs) of `datanet`.
    ///
    /// # Errors
    /// [`LightError::Net`].
    pub async fn follow(&self, datanet: DatanetId) -> Result<(), LightError> {
        Ok(self.net.follow(datanet).await?)
    }

    /// Samples every chunk of `contribution` to the configured confidence and records the
    /// verdict.
    ///
    /// # Errors
    /// [`LightError::UnknownContribution`], or a network or store error.
    pub async fn check(
        &self,
        contribution: ContributionId,
    ) -> Result<ContributionVerdict, LightError> {
        let progress = self.progress.clone();
        let (_, verdict) = check_contribution(
            &self.net,
            contribution,
            self.config.confidence,
            self.config.replicas,
            |root| progress.is_invalid(root),
        )
        .await?;
        self.progress.put_verdict(&contribution, &verdict)?;
        Ok(verdict)
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &LightConfig {
        &self.config
    }

    /// Keeps every fraud proof the network verified (it checks each against the DA root
    /// alone before passing it on): the square is invalid in later verdicts, and in those
    /// already recorded on contributions that use it.
    fn record_fraud(&self) {
        let mut events = self.net.events();
        let progress = self.progress.clone();
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = cancel.cancelled() => break,
                    event = events.recv() => event,
                };
                match event {
                    Ok(NetEvent::Fraud(notice)) => {
                        let recorded = match progress.mark_invalid(&notice.da_root) {
                            Ok(true) => progress.condemn_checked(&notice.da_root).map(Some),
                            Ok(false) => Ok(None),
                            Err(e) => Err(e),
                        };
                        match recorded {
                            Ok(Some(changed)) => {
                                tracing::warn!(da_root = %notice.da_root, contributions = ?changed,
                                "a fraud proof proves this square badly encoded")
                            }
                            Ok(None) => {}
                            Err(e) => tracing::warn!(error = %e, "fraud proof not recorded"),
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    /// Stops every task and waits until they have ended.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

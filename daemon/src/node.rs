//! The [`Node`] handle: starts the network over a store and offers what a storage peer does —
//! contribute, get, sample — and stops everything in dependency order.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datanet_config::Config;
use datanet_protocol::encoding::Encode;
use datanet_protocol::hash::{hash, Domain};
use datanet_protocol::signed::ChunkEntry;
use datanet_protocol::{
    chunking, CodecId, ContributionId, DatanetId, ExtendedSquare, Manifest, ManifestBody, SecretKey,
};
use datanet_storage::{AsyncStore, Store};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::identity::{libp2p_keypair, load_or_create_key};
use crate::net::wire::MAX_HEADERS;
use crate::net::{self, Multiaddr, NetEvent, NetHandle, NetStats, PeerId};
use crate::{
    dispersal, repair, retrieval, sampling, DispersalReport, NodeError, RepairReport, SampleReport,
};

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The node's home folder: its key lives here.
    pub home: PathBuf,
    /// Addresses to listen on, e.g. `/ip4/127.0.0.1/tcp/0` and `/ip4/127.0.0.1/udp/0/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start.
    pub bootstrap: Vec<Multiaddr>,
    /// Custodians per column.
    pub replicas: usize,
    /// Custodians that must acknowledge each column before a contribution is dispersed.
    pub min_acks: usize,
    /// The codec of new contributions.
    pub codec: CodecId,
    /// How often the background repair pass runs.
    pub repair_interval: Duration,
    /// How long a request to a peer may take.
    pub request_timeout: Duration,
}

impl NodeConfig {
    /// The node settings of a loaded configuration, for a node whose home is `home` (the
    /// configuration's `node.home` with `~` already expanded by the caller).
    ///
    /// # Errors
    /// [`NodeError::Invalid`] naming the key whose value is not a multiaddr or a codec.
    pub fn from_config(config: &Config, home: PathBuf) -> Result<Self, NodeError> {
        let addresses = |key: &str, values: &[String]| -> Result<Vec<Multiaddr>, NodeError> {
            values
                .iter()
                .map(|v| {
                    v.parse().map_err(|e| {
                        NodeError::Invalid(format!("{key}: {v:?} is not a multiaddr: {e}"))
                    })
                })
                .collect()
        };
        Ok(NodeConfig {
            home,
            listen: addresses("network.listen", &config.network.listen)?,
            bootstrap: addresses("network.bootstrap", &config.network.bootstrap)?,
            replicas: config.network.replicas,
            min_acks: config.network.min_acks,
            codec: config
                .node
                .codec
                .parse()
                .map_err(|e| NodeError::Invalid(format!("node.codec: {e}")))?,
            repair_interval: config.repair.interval,
            request_timeout: config.network.request_timeout,
        })
    }

    /// A development setup in `home`: loopback TCP and QUIC on free ports, 2 custodians per
    /// column, both required, `rs-leopard`.
    pub fn local(home: PathBuf) -> Self {
        let listen = ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        NodeConfig {
            home,
            listen,
            bootstrap: Vec::new(),
            replicas: 2,
            min_acks: 2,
            codec: CodecId::RsLeopard,
            repair_interval: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// A running datanet node.
pub struct Node {
    key: Arc<SecretKey>,
    net: NetHandle,
    store: AsyncStore,
    config: NodeConfig,
    cancel: CancellationToken,
    worker: JoinHandle<()>,
    repairer: JoinHandle<()>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("peer_id", &self.peer_id())
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Node {
    /// Starts a node over `store`: loads (or creates) its key, listens, dials the bootstrap
    /// peers.
    ///
    /// # Errors
    /// [`NodeError::Key`], or a network error when listening fails. A bootstrap peer that
    /// cannot be reached is not an error; it is retried by discovery.
    pub async fn start(config: NodeConfig, store: Store) -> Result<Node, NodeError> {
        let key = load_or_create_key(&config.home)?;
        let keypair = libp2p_keypair(&key)?;
        let cancel = CancellationToken::new();
        let store = AsyncStore::new(store);
        let (net, worker) = net::spawn(
            keypair,
            &config.listen,
            config.request_timeout,
            store.clone(),
            cancel.clone(),
        )?;
        for address in &config.bootstrap {
            if let Err(e) = net.dial(address.clone()).await {
                tracing::warn!(%address, error = %e, "bootstrap peer not reached");
            }
        }
        let repairer = tokio::spawn(repair_loop(
            net.clone(),
            store.clone(),
            config.replicas,
            config.repair_interval,
            cancel.clone(),
        ));
        Ok(Node {
            key: Arc::new(key),
            net,
            store,
            config,
            cancel,
            worker,
            repairer,
        })
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.net.local_peer_id()
    }

    /// The addresses this node listens on, each ending in its peer id.
    ///
    /// # Errors
    /// [`NodeError::Net`] if the network has stopped.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NodeError> {
        let peer = self.peer_id();
        Ok(self
            .net
            .listen_addrs()
            .await?
            .into_iter()
            .map(|a| a.with_p2p(peer).unwrap_or_else(|a| a))
            .collect())
    }

    /// Connects to a peer.
    ///
    /// # Errors
    /// [`NodeError::Net`].
    pub async fn dial(&self, address: Multiaddr) -> Result<(), NodeError> {
        Ok(self.net.dial(address).await?)
    }

    /// The peers connected now.
    ///
    /// # Errors
    /// [`NodeError::Net`] if the network has stopped.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NodeError> {
        Ok(self.net.peers().await?)
    }

    /// The node's domain events from now on.
    pub fn events(&self) -> broadcast::Receiver<NetEvent> {
        self.net.events()
    }

    /// The network's drop and byte counters.
    pub fn net_stats(&self) -> &NetStats {
        self.net.stats()
    }

    /// `peer`'s score from the validity of its answers so far.
    pub fn peer_score(&self, peer: &PeerId) -> i64 {
        self.net.scores().get(peer)
    }

    /// The node's store.
    pub fn store(&self) -> &AsyncStore {
        &self.store
    }

    /// Contributes `payload` to `datanet`: cuts and encodes it, signs its manifest with the
    /// node's key, stores it, disperses every column to its custodians and announces it.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for a payload over 2 GiB (256 chunks), or a store, encoding or
    /// network error. A dispersal that leaves columns short is not an error: the report says
    /// which.
    pub async fn contribute(
        &self,
        datanet: DatanetId,
        payload: Vec<u8>,
        media_type: &str,
    ) -> Result<DispersalReport, NodeError> {
        let chunks = chunking::chunk_count(payload.len() as u64);
        if chunks > MAX_HEADERS as u64 {
            return Err(NodeError::Invalid(format!(
                "a contribution of {chunks} chunks exceeds the {MAX_HEADERS} chunks (2 GiB) one manifest push carries"
            )));
        }
        let key = Arc::clone(&self.key);
        let codec = self.config.codec;
        let media_type = media_type.to_owned();
        let store = self.store.blocking().clone();
        let (manifest, squares) = tokio::task::spawn_blocking(move || {
            build_and_store(&store, &key, datanet, &payload, codec, media_type)
        })
        .await
        .map_err(|e| NodeError::Invalid(format!("encoding task failed: {e}")))??;
        let report = dispersal::disperse(
            &self.net,
            &self.store,
            &manifest,
            &squares,
            self.config.replicas,
            self.config.min_acks,
        )
        .await?;
        self.net.announce(manifest.to_bytes()).await?;
        Ok(report)
    }

    /// The payload of contribution `id`, verified against its manifest.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`], [`NodeError::Unavailable`] when fewer than `k`
    /// columns of a chunk can be fetched, or another error.
    pub async fn get(&self, id: ContributionId) -> Result<Vec<u8>, NodeError> {
        retrieval::get(&self.net, &self.store, id, self.config.replicas).await
    }

    /// Samples `samples` random shares of every chunk of contribution `id`.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] or a network error.
    pub async fn sample(
        &self,
        id: ContributionId,
        samples: usize,
    ) -> Result<Vec<SampleReport>, NodeError> {
        let (_, headers) = retrieval::manifest(&self.net, &self.store, id).await?;
        let mut reports = Vec::with_capacity(headers.len());
        for header in &headers {
            reports.push(sampling::sample(&self.net, header, samples, self.config.replicas).await);
        }
        Ok(reports)
    }

    /// Runs one repair pass now: rebuilds every column this node owes but lacks.
    ///
    /// # Errors
    /// A store or network error.
    pub async fn repair(&self) -> Result<RepairReport, NodeError> {
        repair::repair_pass(&self.net, &self.store, self.config.replicas).await
    }

    /// Stops in dependency order: the repairer (a user of the network) first, then the
    /// network, then the store closes when the last handle drops.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        let _ = (&mut self.repairer).await;
        let _ = (&mut self.worker).await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Repairs every `interval` until cancelled; a failed pass is logged and retried next time.
async fn repair_loop(
    net: NetHandle,
    store: AsyncStore,
    replicas: usize,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        if let Err(e) = repair::repair_pass(&net, &store, replicas).await {
            tracing::warn!(error = %e, "repair pass failed");
        }
    }
}

/// Cuts, encodes, signs and stores a contribution; returns its manifest and squares.
fn build_and_store(
    store: &Store,
    key: &SecretKey,
    datanet: DatanetId,
    payload: &[u8],
    codec: CodecId,
    media_type: String,
) -> Result<(Manifest, Vec<Arc<ExtendedSquare>>), NodeError> {
    let mut squares = Vec::new();
    let mut entries = Vec::new();
    for chunk in chunking::chunks(payload) {
        let square = ExtendedSquare::encode(chunk, codec)?;
        entries.push(ChunkEntry::new(chunk, &square));
        store.put_chunk(chunk)?;
        squares.push(Arc::new(square));
    }
    let body = ManifestBody {
        datanet,
        contributor: key.public(),
        payload_len: payload.len() as u64,
        payload_hash: hash(Domain::Payload, payload),
        media_type,
        codec,
        chunks: entries,
        metadata: Vec::new(),
        timestamp_ms: now_ms(),
        nonce: rand::random(),
    };
    let manifest = Manifest::sign(body, key).map_err(|e| NodeError::Invalid(e.to_string()))?;
    let headers: Vec<_> = squares.iter().map(|s| s.header()).collect();
    store.put_contribution(&manifest, &headers, &[])?;
    Ok((manifest, squares))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configs_become_node_settings() {
        let devnet =
            Config::parse(include_str!("../../config/devnet.toml"), "devnet.toml", []).unwrap();
        let node = NodeConfig::from_config(&devnet, PathBuf::from("/tmp/n")).unwrap();
        assert_eq!(node.listen.len(), 2);
        assert_eq!(node.repair_interval, Duration::from_secs(2));
        let mut bad = Config::default();
        bad.network.bootstrap = vec!["not an address".into()];
        let err = NodeConfig::from_config(&bad, PathBuf::from("/tmp/n")).unwrap_err();
        assert!(err.to_string().contains("network.bootstrap"));
    }
}

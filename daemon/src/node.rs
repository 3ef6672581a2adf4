//! The [`Node`] handle: starts the network over a store and offers what a storage peer does —
//! contribute, get, sample — and stops everything in dependency order.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use datanet_config::Config;
use datanet_protocol::encoding::Encode;
use datanet_protocol::hash::Hash;
use datanet_protocol::signed::{DatanetBody, Policy};
use datanet_protocol::{
    CodecId, ContributionId, Datanet, DatanetId, Manifest, PublicKey, SecretKey,
};
use datanet_storage::{AsyncStore, Store};
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::custody::CustodySet;
use crate::dispersal::{Dispersal, SQUARES_IN_FLIGHT};
use crate::identity::{libp2p_keypair, load_or_create_contributor_key, load_or_create_key};
use crate::ingest::{self, Ingest, Payload, Progress};
use crate::net::wire::{Request, Response};
use crate::net::{self, Multiaddr, NetEvent, NetHandle, NetStats, PeerId};
use crate::{repair, retrieval, sampling, DispersalReport, NodeError, RepairReport, SampleReport};

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
    contributor: Arc<SecretKey>,
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

impl Node {
    /// Starts a node over `store`: loads (or creates) its key, listens, dials the bootstrap
    /// peers.
    ///
    /// # Errors
    /// [`NodeError::Key`], or a network error when listening fails. A bootstrap peer that
    /// cannot be reached is not an error; it is retried by discovery.
    pub async fn start(config: NodeConfig, store: Store) -> Result<Node, NodeError> {
        let keypair = libp2p_keypair(&load_or_create_key(&config.home)?)?;
        let contributor = load_or_create_contributor_key(&config.home)?;
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
            contributor: Arc::new(contributor),
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

    /// The key that signs this node's contributions and datanet records.
    pub fn contributor(&self) -> PublicKey {
        self.contributor.public()
    }

    /// Contributes `payload` to `datanet`: cuts and encodes it, signs its manifest with the
    /// contributor key, stores it, disperses every column to its custodians and announces it.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for a payload over 4 GiB (512 chunks), or a store, encoding or
    /// network error. A dispersal that leaves columns short is not an error: the report says
    /// which.
    pub async fn contribute(
        &self,
        datanet: DatanetId,
        payload: Vec<u8>,
        media_type: &str,
    ) -> Result<DispersalReport, NodeError> {
        self.contribute_payload(datanet, Payload::Bytes(payload.into()), media_type, |_| {})
            .await
    }

    /// Contributes `payload` as [`Node::contribute`] does, reading it one chunk at a time and
    /// calling `progress` after each chunk is committed and after each is dispersed.
    ///
    /// # Errors
    /// As [`Node::contribute`]; also [`NodeError::Invalid`] when the file cannot be read.
    pub async fn contribute_payload(
        &self,
        datanet: DatanetId,
        payload: Payload,
        media_type: &str,
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<DispersalReport, NodeError> {
        ingest::check_size(payload.len())?;
        let progress = Arc::new(progress);
        let key = Arc::clone(&self.contributor);
        let store = self.store.blocking().clone();
        let ingest_store = store.clone();
        let codec = self.config.codec;
        let media_type = media_type.to_owned();
        let report_progress = Arc::clone(&progress);
        let local = self.net.local_peer_id();
        let mut peers = self.net.peers().await?;
        peers.push(local);
        let custody = CustodySet {
            local,
            peers,
            replicas: self.config.replicas,
        };
        let ingest_custody = custody.clone();
        let committed = tokio::task::spawn_blocking(move || {
            Ingest {
                store: &ingest_store,
                custody: &ingest_custody,
                key: &key,
                datanet,
                codec,
                media_type,
            }
            .commit(&payload, &*report_progress)
        })
        .await
        .map_err(|e| NodeError::Invalid(format!("encoding task failed: {e}")))??;
        let mut dispersal = Dispersal::start(
            &self.net,
            &committed.manifest,
            committed.headers.clone(),
            custody,
            self.config.min_acks,
        )
        .await?;
        let total = committed.headers.len();
        let to_push = dispersal.squares_to_push();
        let mut done = total - to_push.len();
        if done > 0 {
            progress(Progress::Dispersed { done, total });
        }
        let pusher = dispersal.pusher();
        let mut pushed = std::pin::pin!(ingest::top_halves(store, &committed, to_push)
            .map(|top| {
                let pusher = pusher.clone();
                async move {
                    let (index, top) = top?;
                    pusher.push(index, top).await
                }
            })
            .buffered(SQUARES_IN_FLIGHT));
        while let Some(square) = pushed.next().await {
            dispersal.record(square?);
            done += 1;
            progress(Progress::Dispersed { done, total });
        }
        self.net
            .announce(datanet, committed.manifest.to_bytes())
            .await?;
        Ok(dispersal.finish())
    }

    /// The payload of contribution `id`, verified against its manifest.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`], [`NodeError::Unavailable`] when fewer than `k`
    /// columns of a chunk can be fetched, or another error.
    pub async fn get(&self, id: ContributionId) -> Result<Vec<u8>, NodeError> {
        let (_, mut chunks) = self.read(id, 0).await?;
        let mut payload = Vec::new();
        while let Some(chunk) = chunks.next().await {
            payload.extend_from_slice(&chunk?);
        }
        Ok(payload)
    }

    /// The manifest of contribution `id` and its chunks from chunk `first` on, each verified
    /// against its chunk id as it arrives; a few chunks are fetched ahead of the reader.
    /// Reading from chunk 0, the last item is an error if the whole payload does not match
    /// the manifest's hash.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] when no peer has the manifest; chunk errors come
    /// through the stream.
    pub async fn read(
        &self,
        id: ContributionId,
        first: usize,
    ) -> Result<(Manifest, retrieval::ChunkStream), NodeError> {
        retrieval::read(&self.net, &self.store, id, first, self.config.replicas).await
    }

    /// The manifest of contribution `id`, from the store or a peer.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] or a store error.
    pub async fn manifest(&self, id: ContributionId) -> Result<Manifest, NodeError> {
        Ok(retrieval::manifest(&self.net, &self.store, id).await?.0)
    }

    /// The datanet record `id`, from the store or else from the first peer that has it
    /// (verified, then stored), so a node that joined after the record was gossiped still
    /// finds it.
    ///
    /// # Errors
    /// [`NodeError::UnknownDatanet`] when no peer has it, or a store error.
    pub async fn datanet(&self, id: DatanetId) -> Result<Datanet, NodeError> {
        if let Some(datanet) = self.store.run(move |s| s.datanet(&id)).await? {
            return Ok(datanet);
        }
        for peer in self.net.peers().await? {
            let Ok(Response::Datanet(datanet)) =
                self.net.request(peer, Request::GetDatanet(id)).await
            else {
                continue;
            };
            if datanet.id() != id || datanet.verify().is_err() {
                self.net.scores().record(peer, false);
                continue;
            }
            let record = (*datanet).clone();
            self.store.run(move |s| s.put_datanet(&record)).await?;
            self.net.follow(id).await?;
            self.net.emit(NetEvent::DatanetAdded(id));
            return Ok(*datanet);
        }
        Err(NodeError::UnknownDatanet(id))
    }

    /// Creates a datanet owned by the contributor key: signs the record, stores it and
    /// gossips it to every node.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for a name, description or policy out of bounds, or a store
    /// error.
    pub async fn create_datanet(
        &self,
        name: &str,
        description: &str,
        policy: Policy,
    ) -> Result<Datanet, NodeError> {
        let body = DatanetBody {
            name: name.to_owned(),
            description: description.to_owned(),
            owner: self.contributor.public(),
            policy,
            validator_set: Hash::default(),
            created_ms: ingest::now_ms(),
            nonce: rand::random(),
        };
        let datanet = Datanet::sign(body, &self.contributor)
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        let record = datanet.clone();
        self.store.run(move |s| s.put_datanet(&record)).await?;
        self.net.follow(datanet.id()).await?;
        self.net.emit(NetEvent::DatanetAdded(datanet.id()));
        self.net.publish_datanet(datanet.to_bytes()).await?;
        Ok(datanet)
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

    /// Samples every chunk of contribution `id`, `samples(k)` shares of a square of width
    /// `k`.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] or a network error.
    pub async fn verify(
        &self,
        id: ContributionId,
        samples: impl Fn(u16) -> usize,
    ) -> Result<Vec<SampleReport>, NodeError> {
        let (_, headers) = retrieval::manifest(&self.net, &self.store, id).await?;
        let mut reports = Vec::with_capacity(headers.len());
        for header in &headers {
            let count = samples(header.params.k);
            reports.push(sampling::sample(&self.net, header, count, self.config.replicas).await);
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

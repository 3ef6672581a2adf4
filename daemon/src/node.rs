//! The [`Node`] handle: composes the network ([`datanet_net`]) with the store and offers what
//! a storage peer does — contribute, get, sample, repair. Every task it starts runs on one
//! [`TaskTracker`] under one [`CancellationToken`], so [`Node::shutdown`] drains them all.

use std::sync::Arc;
use std::time::Duration;

use datanet_chain::{AttributionProof, ChainParams, EvmKey};
use datanet_config::Config;
use datanet_net::custody::CustodySet;
use datanet_net::{
    Multiaddr, NetConfig, NetEvent, NetHandle, NetStats, PeerId, QuorumGossip, Role, Spawned,
};
use datanet_protocol::signed::{DatanetBody, Policy, ValidatorSet};
use datanet_protocol::{
    BatchLeaf, CodecId, ContributionId, Datanet, DatanetId, Hash, Manifest, PublicKey, SecretKey,
};
use datanet_storage::AnchorState;
use datanet_storage::{AsyncStore, Store};
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::anchoring::{Anchoring, AnchoringStatus};
use crate::attribution::{AttributionSettings, Indexer};
use crate::catchup::CatchUp;
use crate::clock::now_ms;
use crate::events::{Events, NodeEvent};
use crate::identity::libp2p_keypair;
use crate::ingest::{Committed, Ingest, Payload, Progress};
use crate::quorum::epochs::{Batches, Signer};
use crate::quorum::lifecycle::{lifecycle, Lifecycle};
use crate::quorum::validate::Validator;
use crate::quorum::Quorum;
use crate::repair::{RepairState, Repairer};
use crate::retrieval::Retriever;
use crate::serve::Server;
use crate::upkeep::{Connectivity, Upkeep};
use crate::{dispersal, repair, DispersalReport, NodeError, NodeKeys, RepairReport, SampleReport};

/// How a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
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
    /// How long a storage peer may be gone before its columns are rebuilt elsewhere.
    pub custody_grace: Duration,
    /// The most bytes per second repair fetches.
    pub repair_bytes_per_s: u64,
    /// Connections kept open (see [`NetConfig::connections`]).
    pub connections: usize,
    /// How often this node gossips its presence (see [`NetConfig::presence_interval`]).
    pub presence_interval: Duration,
    /// The length of an epoch (every validator of a datanet must use the same).
    pub epoch: Duration,
    /// How long a validator tries to retrieve a contribution before attesting it
    /// `Unavailable`.
    pub retrieve_timeout: Duration,
    /// The chain final batches are anchored on; `None` runs without one.
    pub chain: Option<ChainParams>,
    /// How outputs are attributed; `None` builds no index and answers no query.
    pub attribution: Option<AttributionSettings>,
}

impl NodeConfig {
    /// The node settings of a loaded configuration.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] naming the key whose value is not a multiaddr or a codec.
    pub fn from_config(config: &Config) -> Result<Self, NodeError> {
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
            custody_grace: config.repair.grace,
            repair_bytes_per_s: config.repair.max_mib_per_s.saturating_mul(1 << 20),
            connections: config.network.connections,
            presence_interval: config.network.presence_interval,
            epoch: config.validator.epoch,
            retrieve_timeout: config.validator.retrieve_timeout,
            chain: chain_params(&config.chain)?,
            attribution: None,
        })
    }

    /// A development setup: loopback TCP and QUIC on free ports, 2 custodians per column,
    /// both required, `rs-leopard`, repair at most 32 MiB/s after a 2-minute grace, 16
    /// connections kept, 30-second epochs, 2 minutes to retrieve before `Unavailable`.
    pub fn local() -> Self {
        NodeConfig {
            listen: datanet_net::loopback_addrs(),
            bootstrap: Vec::new(),
            replicas: 2,
            min_acks: 2,
            codec: CodecId::RsLeopard,
            repair_interval: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            custody_grace: datanet_net::CUSTODY_GRACE,
            repair_bytes_per_s: 32 << 20,
            connections: datanet_net::CONNECTIONS,
            presence_interval: datanet_net::PRESENCE_INTERVAL,
            epoch: Duration::from_secs(30),
            retrieve_timeout: Duration::from_secs(120),
            chain: None,
            attribution: None,
        }
    }
}

/// The keys a node validates and anchors with, when it has them.
struct QuorumKeys {
    validator: Option<SecretKey>,
    evm: Option<EvmKey>,
}

/// Starts the quorum bookkeeping on `retriever`'s store and network: judging quorum gossip
/// (when `gossip` is handed over), the epochs, and with a validator key the validator; the
/// `indexer`, when the node attributes, recomputes attribution records.
/// Returns the bookkeeping and where the node's own contributions go to be validated.
fn start_quorum(
    retriever: &Retriever,
    QuorumKeys { validator, evm }: QuorumKeys,
    config: &NodeConfig,
    tasks: &TaskTracker,
    cancel: &CancellationToken,
    gossip: Option<mpsc::Receiver<QuorumGossip>>,
    indexer: Option<Indexer>,
) -> (
    Quorum,
    Option<mpsc::Sender<ContributionId>>,
    Option<Anchoring>,
) {
    let net = &retriever.net;
    let quorum = Quorum::new(
        retriever.store.clone(),
        net.clone(),
        retriever.events.clone(),
    );
    let key = validator.map(Arc::new);
    let signer = key.clone().map(|key| Signer { key });
    let anchoring = config.chain.clone().map(|params| {
        Anchoring::new(
            params,
            evm,
            key.clone(),
            retriever.store.clone(),
            net.clone(),
            retriever.events.clone(),
            config.epoch,
        )
    });
    crate::anchoring::start(anchoring.clone(), tasks, cancel);
    let batches = Batches::new(
        quorum.clone(),
        signer,
        anchoring.clone(),
        indexer,
        config.epoch,
    );
    if let Some(gossip) = gossip {
        tasks.spawn(
            quorum
                .clone()
                .run(gossip, net.events(), batches.clone(), cancel.clone()),
        );
    }
    tasks.spawn(batches.run(net.events(), cancel.clone()));
    let Some(key) = key else {
        return (quorum, None, anchoring);
    };
    tracing::info!(validator = %key.public(), "validating the datanets that list this key");
    let (own, own_rx) = mpsc::channel(OWN_QUEUE);
    let validator = Validator {
        key,
        quorum: quorum.clone(),
        retriever: retriever.clone(),
        retrieve_timeout: config.retrieve_timeout,
        tasks: tasks.clone(),
        cancel: cancel.clone(),
    };
    tasks.spawn(validator.run(net.events(), own_rx, cancel.clone()));
    (quorum, Some(own), anchoring)
}

/// The chain of a `[chain]` section, if it names one.
///
/// # Errors
/// [`NodeError::Invalid`] naming `chain.hub` when it is not an address.
fn chain_params(section: &datanet_config::ChainSection) -> Result<Option<ChainParams>, NodeError> {
    if !section.enabled() {
        return Ok(None);
    }
    let hub = section.hub.parse().map_err(|e| {
        NodeError::Invalid(format!(
            "chain.hub: {:?} is not an address: {e}",
            section.hub
        ))
    })?;
    Ok(Some(ChainParams {
        rpc_url: section.rpc_url.clone(),
        chain_id: section.chain_id,
        hub,
        confirmations: section.confirmations,
    }))
}

/// Own contributions waiting to be validated; past this many, the sweep finds the rest.
const OWN_QUEUE: usize = 256;

/// A running datanet node. Dropping it cancels every task it started; [`Node::shutdown`]
/// also waits for them.
#[must_use = "dropping a Node stops it"]
pub struct Node {
    pub(crate) contributor: Arc<SecretKey>,
    connectivity: Arc<std::sync::Mutex<Connectivity>>,
    retriever: Retriever,
    repairer: Repairer,
    /// Attestations and certificates collected.
    quorum: Quorum,
    /// Where this node's own contributions go to be validated, when it validates.
    own: Option<mpsc::Sender<ContributionId>>,
    /// Final batches going on chain, when a chain is configured.
    anchoring: Option<Anchoring>,
    /// The attribution index, when attribution is enabled.
    pub(crate) indexer: Option<Indexer>,
    config: NodeConfig,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("peer_id", &self.peer_id())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Starts a storage node over `store` with `keys`: listens, follows the datanets it
    /// knows, answers peers from the store, keeps dialling its bootstrap and remembered peers
    /// until they answer, and repairs on schedule.
    ///
    /// # Errors
    /// [`NodeError::Key`], or a network error when listening fails. A bootstrap peer that
    /// cannot be reached is not an error: it is dialled again with a backoff.
    pub async fn start(
        config: NodeConfig,
        keys: NodeKeys,
        store: Store,
    ) -> Result<Node, NodeError> {
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let store = AsyncStore::new(store);
        let net_config = NetConfig {
            key: libp2p_keypair(&keys.network)?,
            role: Role::Storage,
            listen: config.listen.clone(),
            request_timeout: config.request_timeout,
            custody_grace: config.custody_grace,
            connections: config.connections,
            idle: datanet_net::IDLE,
            presence_interval: config.presence_interval,
        };
        let Spawned {
            handle: net,
            inbound,
            quorum: quorum_gossip,
        } = datanet_net::spawn(net_config, &tasks, cancel.clone())?;
        let known = store.run(|s| s.datanets()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "stored datanets not read: their announcements are not followed");
            Vec::new()
        });
        for datanet in known {
            net.follow(datanet.id()).await?;
        }
        let events = Events::new();
        let server = Server {
            store: store.clone(),
            net: net.clone(),
            events: events.clone(),
        };
        tasks.spawn(server.clone().record_gossip(net.events(), cancel.clone()));
        if let Some(inbound) = inbound {
            tasks.spawn(
                server
                    .clone()
                    .answer(inbound, tasks.clone(), cancel.clone()),
            );
        }
        let connectivity = Arc::default();
        let upkeep = Upkeep {
            net: net.clone(),
            store: store.clone(),
            bootstrap: config.bootstrap.clone(),
            state: Arc::clone(&connectivity),
        };
        let book = upkeep.recall().await?;
        tasks.spawn(upkeep.run(book, net.events(), cancel.clone()));
        let catch_up = CatchUp {
            net: net.clone(),
            store: store.clone(),
            records: server.clone(),
        };
        tasks.spawn(catch_up.run(net.events(), events.subscribe(), cancel.clone()));
        let retriever = Retriever {
            net,
            store,
            events,
            replicas: config.replicas,
        };
        let repairer = Repairer {
            retriever: retriever.clone(),
            bytes_per_s: config.repair_bytes_per_s,
            state: RepairState::default(),
        };
        tasks.spawn(repair::repair_loop(
            repairer.clone(),
            config.repair_interval,
            cancel.clone(),
        ));
        let indexer = config.attribution.clone().map(|settings| {
            let indexer = Indexer::new(retriever.clone(), settings, tasks.clone(), cancel.clone());
            tasks.spawn(indexer.clone().run(retriever.events.subscribe()));
            indexer
        });
        let (quorum, own, anchoring) = start_quorum(
            &retriever,
            QuorumKeys {
                validator: keys.validator,
                evm: keys.evm,
            },
            &config,
            &tasks,
            &cancel,
            quorum_gossip,
            indexer.clone(),
        );
        Ok(Node {
            contributor: Arc::new(keys.contributor),
            connectivity,
            retriever,
            repairer,
            quorum,
            own,
            anchoring,
            indexer,
            config,
            cancel,
            tasks,
        })
    }

    /// The attribution proof of contribution `id`: its leaf in its epoch's final batch, the
    /// path to the batch root, and the anchor of that root on chain.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`]; [`NodeError::NotAnchored`] when no chain is
    /// configured, or the contribution is not in a final batch, or its batch is not
    /// anchored with enough confirmations yet; a store error.
    pub async fn attribution_proof(
        &self,
        id: ContributionId,
    ) -> Result<AttributionProof, NodeError> {
        let Some(chain) = self.config.chain.clone() else {
            return Err(NodeError::NotAnchored(
                "this node has no [chain] configured, so it anchors nothing".into(),
            ));
        };
        let manifest = self.manifest(id).await?;
        let datanet = manifest.body().datanet;
        let found = self
            .store()
            .run(move |s| {
                let Some(epoch) = s.batched_in(&id)? else {
                    return Ok(Err(format!("{id} is in no final batch yet")));
                };
                let Some(batch) = s.batch(&datanet, epoch)? else {
                    return Ok(Err(format!(
                        "the batch of epoch {epoch} is not stored here"
                    )));
                };
                let anchor = s.anchor(&datanet, epoch)?;
                let mut leaves = Vec::new();
                for qc in &batch.proposal.body().certificates {
                    let Some(m) = s.manifest(&qc.contribution)? else {
                        return Ok(Err(format!(
                            "this node lacks the manifest of {}, in the same batch",
                            qc.contribution
                        )));
                    };
                    leaves.push(BatchLeaf::new(&m, qc));
                }
                Ok(Ok((epoch, leaves, anchor)))
            })
            .await?;
        let (epoch, leaves, anchor) = found.map_err(NodeError::NotAnchored)?;
        let Some(AnchorState::Confirmed { tx, block }) = anchor.map(|a| a.state) else {
            return Err(NodeError::NotAnchored(format!(
                "epoch {epoch} of {datanet} is not anchored with {} confirmations yet",
                chain.confirmations
            )));
        };
        let index = leaves
            .iter()
            .position(|l| l.contribution == id)
            .ok_or_else(|| NodeError::Internal(format!("{id} missing from its own batch")))?;
        AttributionProof::build(
            chain.chain_id,
            chain.hub,
            datanet,
            epoch,
            &leaves,
            index,
            Hash([0; 32]),
            datanet_chain::TxHash::from(tx.0),
            block,
        )
        .map_err(|e| NodeError::Internal(e.to_string()))
    }

    /// Registers datanet `id` on the chain's hub, owned by this node's EVM key; the
    /// transaction.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::UnknownDatanet`];
    /// [`NodeError::Invalid`] with the chain's refusal.
    pub async fn register_datanet_on_chain(
        &self,
        id: DatanetId,
    ) -> Result<datanet_chain::TxHash, NodeError> {
        let anchoring = self.chain()?;
        let record = self.datanet(id).await?;
        anchoring
            .register_datanet(&record)
            .await
            .map_err(NodeError::Invalid)
    }

    /// Binds this node's validator key to its EVM key on the hub, and with `stake` stakes
    /// that many wei of OPEN on a datanet; the transactions sent.
    ///
    /// # Errors
    /// [`NodeError::NotAnchored`] without a chain; [`NodeError::Invalid`] with the chain's
    /// refusal or a missing key.
    pub async fn register_validator_on_chain(
        &self,
        stake: Option<(DatanetId, datanet_chain::U256)>,
    ) -> Result<Vec<datanet_chain::TxHash>, NodeError> {
        self.chain()?
            .register_validator(stake)
            .await
            .map_err(NodeError::Invalid)
    }

    pub(crate) fn chain(&self) -> Result<&Anchoring, NodeError> {
        self.anchoring
            .as_ref()
            .ok_or_else(|| NodeError::NotAnchored("this node has no [chain] configured".into()))
    }

    /// Where anchoring stands: `None` when no chain is configured.
    pub fn anchoring(&self) -> Option<AnchoringStatus> {
        self.anchoring.as_ref().map(Anchoring::status)
    }

    /// This node's network handle: for code that composes the network with more than the
    /// node offers, such as test harnesses.
    pub fn network(&self) -> &NetHandle {
        &self.retriever.net
    }

    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.network().local_peer_id()
    }

    /// The addresses this node listens on, each ending in its peer id.
    ///
    /// # Errors
    /// [`NodeError::Net`] if the network has stopped.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NodeError> {
        let peer = self.peer_id();
        Ok(self
            .network()
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
        Ok(self.network().dial(address).await?)
    }

    /// The peers connected now.
    ///
    /// # Errors
    /// [`NodeError::Net`] if the network has stopped.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NodeError> {
        Ok(self.network().peers().await?)
    }

    /// The storage peers known to be up, connected or not.
    ///
    /// # Errors
    /// [`NodeError::Net`] if the network has stopped.
    pub async fn members(&self) -> Result<Vec<PeerId>, NodeError> {
        Ok(self.network().members().await?)
    }

    /// What connection upkeep is dialling and why it fails: why a node with no peers has
    /// none.
    pub fn connectivity(&self) -> Connectivity {
        self.connectivity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The node's own events (columns stored, squares proven bad, datanets added) from now on.
    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.retriever.events.subscribe()
    }

    /// The network's events (peers, verified gossip) from now on.
    pub fn net_events(&self) -> broadcast::Receiver<NetEvent> {
        self.network().events()
    }

    /// The network's drop and byte counters.
    pub fn net_stats(&self) -> &NetStats {
        self.network().stats()
    }

    /// `peer`'s score from the validity of its answers so far.
    pub fn peer_score(&self, peer: &PeerId) -> i64 {
        self.network().scores().get(peer)
    }

    /// The node's store.
    pub fn store(&self) -> &AsyncStore {
        &self.retriever.store
    }

    /// The key that signs this node's contributions and datanet records.
    pub fn contributor(&self) -> PublicKey {
        self.contributor.public()
    }

    /// Contributes `payload` to `datanet`: checks it against the datanet's policy, cuts and
    /// encodes it, signs its manifest with the contributor key, stores it, disperses every
    /// column to its custodians and announces it.
    ///
    /// # Errors
    /// [`NodeError::UnknownDatanet`], [`NodeError::Policy`], or a store, encoding or network
    /// error. A dispersal that leaves columns short is not an error: the report says which.
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
    /// calling `progress` after each chunk is committed and after each is dispersed: check,
    /// commit, disperse, announce.
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
        let record = self.datanet(datanet).await?;
        datanet_policy::check_admission(&record.body().policy, media_type, payload.len())?;
        let progress = Arc::new(progress);
        let custody = self.custody().await?;
        let committed = self
            .commit(
                datanet,
                payload,
                media_type,
                &custody,
                Arc::clone(&progress),
            )
            .await?;
        let store = self.store().blocking().clone();
        let report = dispersal::disperse(
            self.network(),
            store,
            &committed,
            custody,
            self.config.min_acks,
            &*progress,
        )
        .await?;
        self.network().announce(&committed.manifest).await?;
        if let Some(own) = &self.own {
            let _ = own.try_send(committed.manifest.id());
        }
        Ok(report)
    }

    /// The custody a contribution made now follows: the present storage peers (connected or
    /// not) and this node.
    async fn custody(&self) -> Result<CustodySet, NodeError> {
        let local = self.peer_id();
        let mut peers = self.network().members().await?;
        peers.push(local);
        Ok(CustodySet {
            local,
            peers,
            replicas: self.config.replicas,
        })
    }

    /// Encodes, stores and signs `payload` on the blocking pool.
    async fn commit(
        &self,
        datanet: DatanetId,
        payload: Payload,
        media_type: &str,
        custody: &CustodySet,
        progress: Arc<impl Fn(Progress) + Send + Sync + 'static>,
    ) -> Result<Committed, NodeError> {
        let key = Arc::clone(&self.contributor);
        let store = self.store().blocking().clone();
        let custody = custody.clone();
        let codec = self.config.codec;
        let media_type = media_type.to_owned();
        tokio::task::spawn_blocking(move || {
            Ingest {
                store: &store,
                custody: &custody,
                key: &key,
                datanet,
                codec,
                media_type,
            }
            .commit(&payload, &*progress)
        })
        .await
        .map_err(|e| NodeError::task("encoding", e))?
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
    /// Reading from chunk 0, the last item is [`NodeError::PayloadMismatch`] if the whole
    /// payload does not match the manifest's hash.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] when no peer has the manifest; chunk errors come
    /// through the stream.
    pub async fn read(
        &self,
        id: ContributionId,
        first: usize,
    ) -> Result<(Manifest, crate::ChunkStream), NodeError> {
        self.retriever
            .read(id, first, &self.tasks, self.cancel.clone())
            .await
    }

    /// The manifest of contribution `id`, from the store or a peer.
    ///
    /// # Errors
    /// [`NodeError::UnknownContribution`] or a store error.
    pub async fn manifest(&self, id: ContributionId) -> Result<Manifest, NodeError> {
        Ok(self.retriever.manifest(id).await?.0)
    }

    /// The datanet record `id`, from the store or else from the first storage peer that has
    /// it (verified by the fetch, then stored and followed), so a node that joined after the
    /// record was gossiped still finds it.
    ///
    /// # Errors
    /// [`NodeError::UnknownDatanet`] when no peer has it, or a store error.
    pub async fn datanet(&self, id: DatanetId) -> Result<Datanet, NodeError> {
        if let Some(datanet) = self.store().run(move |s| s.datanet(&id)).await? {
            return Ok(datanet);
        }
        for peer in self.network().storage_peers().await? {
            let datanet = match self.network().get_datanet(peer, id).await {
                Ok(datanet) => datanet,
                Err(e) => {
                    tracing::debug!(%peer, datanet = %id, error = %e, "datanet not fetched");
                    continue;
                }
            };
            self.keep_datanet(&datanet).await?;
            return Ok(datanet);
        }
        Err(NodeError::UnknownDatanet(id))
    }

    /// Stores a verified datanet record, follows its announcements and says so.
    async fn keep_datanet(&self, datanet: &Datanet) -> Result<(), NodeError> {
        let record = datanet.clone();
        self.store().run(move |s| s.put_datanet(&record)).await?;
        self.network().follow(datanet.id()).await?;
        self.retriever
            .events
            .emit(NodeEvent::DatanetAdded(datanet.id()));
        Ok(())
    }

    /// Creates a datanet owned by the contributor key, checked by `validators` (none: no
    /// contribution is ever attested): signs the record, stores it and gossips it to every
    /// node.
    ///
    /// # Errors
    /// [`NodeError::Invalid`] for a name, description or policy out of bounds or a record
    /// schema that does not compile, or a store error.
    pub async fn create_datanet(
        &self,
        name: &str,
        description: &str,
        policy: Policy,
        validators: Option<ValidatorSet>,
    ) -> Result<Datanet, NodeError> {
        datanet_policy::Rules::new(&policy).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let body = DatanetBody {
            name: name.to_owned(),
            description: description.to_owned(),
            owner: self.contributor.public(),
            policy,
            validators,
            created_ms: now_ms(),
            nonce: rand::random(),
        };
        let datanet = Datanet::sign(body, &self.contributor)
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        self.keep_datanet(&datanet).await?;
        self.network().publish_datanet(&datanet).await?;
        Ok(datanet)
    }

    /// Where contribution `id` stands with its validators, from this node's store; `None`
    /// when its manifest is not stored here.
    ///
    /// # Errors
    /// A store error.
    pub async fn lifecycle(&self, id: ContributionId) -> Result<Option<Lifecycle>, NodeError> {
        Ok(self.store().run(move |s| lifecycle(s, &id)).await?)
    }

    /// The validators of `datanet`, each with when this node last stored an attestation of
    /// it (ms since the Unix epoch, since this node started); empty when nobody validates it.
    ///
    /// # Errors
    /// [`NodeError::UnknownDatanet`] or a store error.
    pub async fn validators(
        &self,
        datanet: DatanetId,
    ) -> Result<Vec<(datanet_protocol::signed::Validator, Option<u64>)>, NodeError> {
        let record = self.datanet(datanet).await?;
        let set = self
            .store()
            .run(move |s| crate::quorum::sets::newest(s, &record))
            .await?;
        Ok(set
            .map(|set| {
                set.validators()
                    .map(|v| (v, self.quorum.last_heard(&v.key)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The final batch of `datanet`'s `epoch`, if this node holds it.
    ///
    /// # Errors
    /// A store error.
    pub async fn batch(
        &self,
        datanet: DatanetId,
        epoch: u64,
    ) -> Result<Option<datanet_protocol::FinalBatch>, NodeError> {
        Ok(self.store().run(move |s| s.batch(&datanet, epoch)).await?)
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
        self.verify(id, |_| samples).await
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
        let (_, headers) = self.retriever.manifest(id).await?;
        let mut reports = Vec::with_capacity(headers.len());
        for header in &headers {
            let count = samples(header.params.k);
            reports.push(
                datanet_net::sampling::sample(self.network(), header, count, self.config.replicas)
                    .await,
            );
        }
        Ok(reports)
    }

    /// Runs one repair pass now: rebuilds every column this node owes but lacks. Stops early,
    /// with what it did so far lost, when the node shuts down.
    ///
    /// # Errors
    /// A store or network error.
    pub async fn repair(&self) -> Result<RepairReport, NodeError> {
        self.cancel
            .run_until_cancelled(self.repairer.pass())
            .await
            .unwrap_or_else(|| Err(NodeError::Internal("the node is shutting down".into())))
    }

    /// What the last repair pass found of replication (a default report before the first),
    /// and the columns rebuilt since the node started.
    pub fn replication(&self) -> (RepairReport, u64) {
        self.repairer.state.get()
    }

    /// Stops every task the node started and waits until all have ended; the store closes
    /// when the last handle on it drops. Idempotent, and callable through an `Arc`.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Whether every task the node started has ended (after [`Node::shutdown`]).
    pub fn is_stopped(&self) -> bool {
        self.tasks.is_closed() && self.tasks.is_empty()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configs_become_node_settings() {
        let devnet =
            Config::parse(include_str!("../../config/devnet.toml"), "devnet.toml", []).unwrap();
        let node = NodeConfig::from_config(&devnet).unwrap();
        assert_eq!(node.listen.len(), 2);
        assert_eq!(node.repair_interval, Duration::from_secs(2));
        let mut bad = Config::default();
        bad.network.bootstrap = vec!["not an address".into()];
        let err = NodeConfig::from_config(&bad).unwrap_err();
        assert!(err.to_string().contains("network.bootstrap"));
    }
}

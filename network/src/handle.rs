//! The cloneable [`NetHandle`] through which the rest of a node uses its network, and the
//! [`NetEvent`]s the network reports: peers coming and going, and gossip that verified,
//! carrying the verified object so nobody fetches it again.

use std::sync::Arc;
use std::time::Duration;

use datanet_protocol::encoding::Encode;
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::ModelRecord;
use datanet_protocol::wire::{FraudNotice, Request, Response};
use datanet_protocol::{Datanet, DatanetId, Manifest};
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::{Multiaddr, PeerId};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::gossip::Topic;
use crate::{NetError, NetStats, PeerScores, Role};

/// How long a dial may take to connect.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// What the network tells the rest of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A connection to a peer opened (its first).
    PeerConnected(PeerId),
    /// The last connection to a peer closed.
    PeerDisconnected(PeerId),
    /// A connected peer said it is a storage peer.
    StoragePeer(PeerId),
    /// A storage peer known to this node, away until now, was heard from again (by its
    /// gossiped presence; one that connects is reported as [`NetEvent::StoragePeer`]). It may
    /// hold what this node missed.
    MemberArrived(PeerId),
    /// A manifest announcement arrived by gossip, its signature verified and its datanet
    /// the topic's.
    Announced(Box<Manifest>),
    /// A bad-encoding fraud proof arrived by gossip and proves its square badly encoded.
    Fraud(Box<FraudNotice>),
    /// A datanet record arrived by gossip and its owner's signature verifies.
    Datanet(Box<Datanet>),
    /// A model record arrived by gossip and its operator's signature verifies.
    Model(Box<ModelRecord>),
}

/// The storage peers custody is computed over: those present (connected, or heard from by
/// their gossiped presence lately) and those that went away less than the custody grace
/// ago, whose columns are not handed on yet. Present members need not be connected: a
/// request to one dials it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// Storage peers up now, connected or not, in peer id order.
    pub present: Vec<PeerId>,
    /// Storage peers gone for less than the grace period, in peer id order.
    pub away: Vec<PeerId>,
}

impl Membership {
    /// Every member, present or away, and `local` (a storage node counts itself).
    pub fn with(&self, local: PeerId) -> Vec<PeerId> {
        let mut all: Vec<PeerId> = self.present.iter().chain(&self.away).copied().collect();
        all.push(local);
        all
    }
}

/// Commands from handles to the worker.
pub(crate) enum Command {
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, NetError>>,
    },
    Dial(Multiaddr, oneshot::Sender<Result<(), NetError>>),
    Peers(oneshot::Sender<Vec<PeerId>>),
    StoragePeers(oneshot::Sender<Vec<PeerId>>),
    Membership(oneshot::Sender<Membership>),
    Recall(Vec<(PeerId, Duration)>),
    Heard(PeerId, crate::members::Presence),
    Addresses(PeerId, oneshot::Sender<Vec<Multiaddr>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Publish(Topic, Vec<u8>),
    Follow(DatanetId),
    GossipScore(PeerId, oneshot::Sender<Option<f64>>),
    Validated {
        id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    },
}

/// A handle on the network worker. Cheap to clone.
#[derive(Clone)]
pub struct NetHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) events: broadcast::Sender<NetEvent>,
    pub(crate) local: PeerId,
    pub(crate) role: Role,
    pub(crate) stats: Arc<NetStats>,
    pub(crate) scores: Arc<PeerScores>,
}

impl std::fmt::Debug for NetHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetHandle")
            .field("local", &self.local)
            .field("role", &self.role)
            .finish()
    }
}

impl NetHandle {
    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| NetError::WorkerDied)
    }

    pub(crate) async fn send(&self, command: Command) -> Result<(), NetError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetError::WorkerDied)
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local
    }

    /// What this node is to the network.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Sends `request` to `peer` and waits for its answer: the one way out for every typed,
    /// verifying fetch ([`NetHandle::get_manifest`] and the others), which alone call it.
    ///
    /// # Errors
    /// [`NetError::Request`] or [`NetError::WorkerDied`].
    pub(crate) async fn request(
        &self,
        peer: PeerId,
        request: Request,
    ) -> Result<Response, NetError> {
        self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Dials `address`; when it ends in `/p2p/<peer id>`, waits until that peer is connected,
    /// at most [`DIAL_TIMEOUT`].
    ///
    /// # Errors
    /// [`NetError::Dial`] (a timeout included) or [`NetError::WorkerDied`].
    pub async fn dial(&self, address: Multiaddr) -> Result<(), NetError> {
        let dialing = self.call(|reply| Command::Dial(address.clone(), reply));
        match tokio::time::timeout(DIAL_TIMEOUT, dialing).await {
            Ok(result) => result?,
            Err(_) => Err(NetError::Dial(
                address,
                format!("no connection within {} s", DIAL_TIMEOUT.as_secs()),
            )),
        }
    }

    /// The peers connected now, light and storage.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.call(Command::Peers).await
    }

    /// The connected peers that said they are storage peers.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn storage_peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.call(Command::StoragePeers).await
    }

    /// The storage peers up now, connected or not: those to ask for columns, samples,
    /// manifests and records (a request to one not connected dials it).
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn members(&self) -> Result<Vec<PeerId>, NetError> {
        Ok(self.membership().await?.present)
    }

    /// The storage peers custody counts: present ones, and those gone for less than the
    /// custody grace (see [`crate::NetConfig::custody_grace`]).
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn membership(&self) -> Result<Membership, NetError> {
        self.call(Command::Membership).await
    }

    /// Counts storage peers this node knew before it started, each gone for the time given,
    /// as away until they connect, are heard from, or their grace ends: so a node that restarts takes over no
    /// column of a peer it has not reconnected to yet.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn recall_members(&self, peers: Vec<(PeerId, Duration)>) -> Result<(), NetError> {
        self.send(Command::Recall(peers)).await
    }

    /// The addresses `peer` said it listens on (by identify), while it is connected: where
    /// it can be dialled again.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn addresses_of(&self, peer: PeerId) -> Result<Vec<Multiaddr>, NetError> {
        self.call(|reply| Command::Addresses(peer, reply)).await
    }

    /// The addresses this node listens on.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(Command::ListenAddrs).await
    }

    /// Announces a signed manifest on the gossip topic of its datanet, which this node then
    /// follows.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn announce(&self, manifest: &Manifest) -> Result<(), NetError> {
        let datanet = manifest.body().datanet;
        self.follow(datanet).await?;
        self.send(Command::Publish(
            Topic::Announce(datanet),
            manifest.to_bytes(),
        ))
        .await
    }

    /// Follows the announcements of `datanet`: its gossip topic, which only the nodes that
    /// know the datanet subscribe to.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn follow(&self, datanet: DatanetId) -> Result<(), NetError> {
        self.send(Command::Follow(datanet)).await
    }

    /// `peer`'s gossip score as this node's gossipsub keeps it (negative after invalid
    /// messages on a datanet topic); `None` for a peer it has no score for.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn gossip_score(&self, peer: PeerId) -> Result<Option<f64>, NetError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::GossipScore(peer, reply)).await?;
        answer.await.map_err(|_| NetError::WorkerDied)
    }

    /// Gossips a fraud proof to every node.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_fraud(&self, notice: &FraudNotice) -> Result<(), NetError> {
        self.send(Command::Publish(Topic::Fraud, notice.to_bytes()))
            .await
    }

    /// Gossips a message on `datanet`'s quorum topic (gossip does not hand it back to this
    /// node: the caller keeps its own messages itself). Whether it went out is not reported:
    /// with no peer on the topic it reaches no one, and a later catch-up serves it.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_quorum(
        &self,
        datanet: DatanetId,
        message: &QuorumMessage,
    ) -> Result<(), NetError> {
        self.send(Command::Publish(Topic::Quorum(datanet), message.to_bytes()))
            .await
    }

    /// Gossips a signed datanet record to every node.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_datanet(&self, datanet: &Datanet) -> Result<(), NetError> {
        self.send(Command::Publish(Topic::Datanets, datanet.to_bytes()))
            .await
    }

    /// Gossips a signed model record to every node.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_model(&self, model: &ModelRecord) -> Result<(), NetError> {
        self.send(Command::Publish(Topic::Models, model.to_bytes()))
            .await
    }

    /// A receiver of network events from now on.
    pub fn events(&self) -> broadcast::Receiver<NetEvent> {
        self.events.subscribe()
    }

    /// The network's counters.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// What each peer's answers have earned it.
    pub fn scores(&self) -> &PeerScores {
        &self.scores
    }
}

//! The peer network: one libp2p swarm per node, driven by a worker task, used through a
//! cloneable [`NetHandle`]. libp2p types stay behind this module except [`PeerId`] and
//! [`Multiaddr`], which name peers and addresses.

mod behaviour;
mod budget;
pub mod codec;
mod serve;
pub mod wire;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

pub use libp2p::{Multiaddr, PeerId};
use tokio::sync::{broadcast, mpsc, oneshot};

use datanet_protocol::{ContributionId, DaRoot, DatanetId};
use wire::{Request, Response};
pub(crate) use worker::spawn;

/// How long a dial may take to connect.
pub const DIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a network call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The request could not be delivered or answered (dial failure, timeout, closed stream).
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// What went wrong.
        reason: String,
    },
    /// Dialing an address failed.
    #[error("dialing {0} failed: {1}")]
    Dial(Multiaddr, String),
    /// Listening on an address failed.
    #[error("listening on {0} failed: {1}")]
    Listen(Multiaddr, String),
    /// The network worker has stopped.
    #[error("the network worker has stopped")]
    WorkerDied,
}

/// What the network tells the rest of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A connection to a peer opened (its first).
    PeerConnected(PeerId),
    /// The last connection to a peer closed.
    PeerDisconnected(PeerId),
    /// A valid manifest announcement arrived by gossip.
    Announced(ContributionId),
    /// A square was proven badly encoded (by this node or by a verified gossiped proof); it
    /// is no longer served or accepted.
    ChunkInvalid(DaRoot),
    /// A datanet record, verified, was stored (created here or received by gossip).
    DatanetAdded(DatanetId),
    /// This node stored a column it custodies (received, or rebuilt by repair).
    ColumnStored {
        /// The square.
        da_root: DaRoot,
        /// The column.
        index: u16,
    },
}

/// What a peer's answers have earned it: valid answers raise the score, invalid ones (bad
/// proofs, corrupted shares) lower it ten times as much. Requests go to better peers first.
#[derive(Debug, Default)]
pub struct PeerScores {
    scores: Mutex<HashMap<PeerId, i64>>,
}

impl PeerScores {
    /// Points for a valid answer.
    pub const VALID: i64 = 1;
    /// Points for an invalid answer.
    pub const INVALID: i64 = -10;

    /// `peer`'s score; unknown peers have 0.
    pub fn get(&self, peer: &PeerId) -> i64 {
        self.lock().get(peer).copied().unwrap_or(0)
    }

    /// Records a valid (`true`) or invalid answer from `peer`.
    pub fn record(&self, peer: PeerId, valid: bool) {
        let delta = if valid { Self::VALID } else { Self::INVALID };
        *self.lock().entry(peer).or_default() += delta;
    }

    /// `peers` ordered best first (stable for equal scores).
    pub fn rank(&self, mut peers: Vec<PeerId>) -> Vec<PeerId> {
        let scores = self.lock();
        peers.sort_by_key(|p| std::cmp::Reverse(scores.get(p).copied().unwrap_or(0)));
        peers
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PeerId, i64>> {
        self.scores.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counters of what the network dropped or refused, for metrics and tests.
#[derive(Debug, Default)]
pub struct NetStats {
    /// Inbound requests refused, or verified fraud proofs dropped, because their queue was full.
    pub inbound_dropped: AtomicU64,
    /// Inbound requests or gossip messages that did not decode or verify.
    pub invalid_messages: AtomicU64,
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
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Announce {
        datanet: DatanetId,
        manifest: Vec<u8>,
    },
    Follow(DatanetId),
    PublishFraud(Vec<u8>),
    PublishDatanet(Vec<u8>),
}

/// A handle on the network worker. Cheap to clone.
#[derive(Clone)]
pub struct NetHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<NetEvent>,
    local: PeerId,
    stats: Arc<NetStats>,
    scores: Arc<PeerScores>,
}

impl std::fmt::Debug for NetHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetHandle")
            .field("local", &self.local)
            .finish()
    }
}

impl NetHandle {
    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| NetError::WorkerDied)?;
        rx.await.map_err(|_| NetError::WorkerDied)
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local
    }

    /// Sends `request` to `peer` and waits for its answer.
    ///
    /// # Errors
    /// [`NetError::Request`] or [`NetError::WorkerDied`].
    pub async fn request(&self, peer: PeerId, request: Request) -> Result<Response, NetError> {
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

    /// The peers connected now.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.call(Command::Peers).await
    }

    /// The addresses this node listens on.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(Command::ListenAddrs).await
    }

    /// Announces an encoded signed manifest on the gossip topic of its `datanet`, which this
    /// node then follows.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn announce(&self, datanet: DatanetId, manifest: Vec<u8>) -> Result<(), NetError> {
        self.commands
            .send(Command::Announce { datanet, manifest })
            .await
            .map_err(|_| NetError::WorkerDied)
    }

    /// Follows the announcements of `datanet`: its gossip topic, which only the nodes that
    /// know the datanet subscribe to.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn follow(&self, datanet: DatanetId) -> Result<(), NetError> {
        self.commands
            .send(Command::Follow(datanet))
            .await
            .map_err(|_| NetError::WorkerDied)
    }

    /// Publishes a domain event to every subscriber.
    pub(crate) fn emit(&self, event: NetEvent) {
        let _ = self.events.send(event);
    }

    /// Gossips an encoded [`wire::FraudNotice`] to every node.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_fraud(&self, notice: Vec<u8>) -> Result<(), NetError> {
        self.commands
            .send(Command::PublishFraud(notice))
            .await
            .map_err(|_| NetError::WorkerDied)
    }

    /// Gossips an encoded signed datanet record to every node.
    ///
    /// # Errors
    /// [`NetError::WorkerDied`].
    pub async fn publish_datanet(&self, record: Vec<u8>) -> Result<(), NetError> {
        self.commands
            .send(Command::PublishDatanet(record))
            .await
            .map_err(|_| NetError::WorkerDied)
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

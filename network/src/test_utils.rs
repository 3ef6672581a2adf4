//! Test scaffolding for the network and its users: a [`MockNet`] that answers requests from a
//! function (no sockets, no swarm), so retrieval's waves, sampling's rounds and dispersal's
//! acknowledgements get fast unit tests; and [`connect_and_wait`], the one meaning of
//! "connected" for multi-node tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use datanet_protocol::wire::{Request, Response};
use libp2p::PeerId;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::handle::Command;
use crate::{Membership, NetConfig, NetError, NetEvent, NetHandle, Role};

/// How long [`connect_and_wait`] waits for both ends to see each other.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a [`MockNet`] answers a request with.
pub type Answer = dyn Fn(PeerId, &Request) -> Result<Response, NetError> + Send + Sync;

/// A network of `peers` (all storage peers) whose answers come from a function; every
/// request is recorded.
pub struct MockNet {
    /// The handle the code under test uses.
    pub handle: NetHandle,
    requests: Arc<Mutex<Vec<(PeerId, Request)>>>,
}

impl MockNet {
    /// A mock network of `peers` that answers each request with `answer`. Must be called
    /// inside a Tokio runtime (a task answers the handle's commands).
    pub fn new(
        peers: Vec<PeerId>,
        answer: impl Fn(PeerId, &Request) -> Result<Response, NetError> + Send + Sync + 'static,
    ) -> Self {
        Self::with(peers, Some(Box::new(answer)))
    }

    /// A mock network of `peers` that never answers a request (as peers that accept a stream
    /// and then hang): each waits until the caller gives up.
    pub fn silent(peers: Vec<PeerId>) -> Self {
        Self::with(peers, None)
    }

    fn with(peers: Vec<PeerId>, answer: Option<Box<Answer>>) -> Self {
        let (commands, mut rx) = mpsc::channel::<Command>(64);
        let (events, _) = broadcast::channel(64);
        let requests: Arc<Mutex<Vec<(PeerId, Request)>>> = Arc::default();
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            let mut unanswered = Vec::new();
            while let Some(command) = rx.recv().await {
                match command {
                    Command::Request {
                        peer,
                        request,
                        reply,
                    } => {
                        let answered = answer.as_ref().map(|answer| answer(peer, &request));
                        log.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((peer, request));
                        match answered {
                            Some(answered) => {
                                let _ = reply.send(answered);
                            }
                            None => unanswered.push(reply),
                        }
                    }
                    Command::Peers(reply) | Command::StoragePeers(reply) => {
                        let _ = reply.send(peers.clone());
                    }
                    Command::Membership(reply) => {
                        let _ = reply.send(Membership {
                            present: peers.clone(),
                            away: Vec::new(),
                        });
                    }
                    Command::ListenAddrs(reply) | Command::Addresses(_, reply) => {
                        let _ = reply.send(Vec::new());
                    }
                    Command::Dial(_, reply) => {
                        let _ = reply.send(Ok(()));
                    }
                    Command::GossipScore(_, reply) => {
                        let _ = reply.send(None);
                    }
                    Command::Publish(..)
                    | Command::Follow(_)
                    | Command::Validated { .. }
                    | Command::Recall(_)
                    | Command::Heard(..) => {}
                }
            }
        });
        MockNet {
            handle: NetHandle {
                commands,
                events,
                local: PeerId::random(),
                role: Role::Storage,
                stats: Arc::default(),
                scores: Arc::default(),
            },
            requests,
        }
    }

    /// Every request sent so far, in order, with the peer it went to.
    pub fn requests(&self) -> Vec<(PeerId, Request)> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A network node started on loopback for a test: its handle, the inbound requests it must
/// answer (storage role), and what stops it.
pub struct TestNode {
    /// The node's handle.
    pub handle: NetHandle,
    /// Its inbound requests (`None` for a light node).
    pub inbound: Option<mpsc::Receiver<crate::InboundRequest>>,
    /// Its tasks.
    pub tasks: TaskTracker,
    /// Stops it.
    pub cancel: CancellationToken,
}

impl TestNode {
    /// Starts a node in `role` on loopback with a fresh key.
    ///
    /// # Errors
    /// [`NetError::Listen`].
    pub fn start(role: Role) -> Result<TestNode, NetError> {
        let key = libp2p::identity::Keypair::generate_ed25519();
        Self::with_config(NetConfig::loopback(key, role))
    }

    /// Starts a node with `config`.
    ///
    /// # Errors
    /// [`NetError::Listen`].
    pub fn with_config(config: NetConfig) -> Result<TestNode, NetError> {
        let (tasks, cancel) = (TaskTracker::new(), CancellationToken::new());
        let crate::Spawned {
            handle, inbound, ..
        } = crate::spawn(config, &tasks, cancel.clone())?;
        Ok(TestNode {
            handle,
            inbound,
            tasks,
            cancel,
        })
    }

    /// Stops the node and waits for every task it spawned.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// Connects `a` to `b` and waits until each sees the other, and each storage node among them
/// is known as one by the other (so custody counts it).
///
/// # Errors
/// A dial error, or [`NetError::Dial`] when they do not see each other within
/// [`CONNECT_TIMEOUT`].
pub async fn connect_and_wait(a: &NetHandle, b: &NetHandle) -> Result<(), NetError> {
    let mut events = (a.events(), b.events());
    let mut address = None;
    for _ in 0..100 {
        if let Some(first) = b.listen_addrs().await?.into_iter().next() {
            address = Some(first);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let address = address
        .ok_or_else(|| NetError::Dial(libp2p::Multiaddr::empty(), "b listens nowhere".into()))?
        .with_p2p(b.local_peer_id())
        .map_err(|a| NetError::Dial(a, "address names another peer".into()))?;
    a.dial(address.clone()).await?;
    let waited = tokio::time::timeout(CONNECT_TIMEOUT, async {
        while !(sees(a, b).await? && sees(b, a).await?) {
            tokio::select! {
                _ = events.0.recv() => {}
                _ = events.1.recv() => {}
            }
        }
        Ok::<_, NetError>(())
    })
    .await;
    match waited {
        Ok(result) => result,
        Err(_) => Err(NetError::Dial(
            address,
            "the peers did not see each other".into(),
        )),
    }
}

/// Whether `who` sees `other` connected, and as a storage peer if it is one.
async fn sees(who: &NetHandle, other: &NetHandle) -> Result<bool, NetError> {
    let id = other.local_peer_id();
    Ok(match other.role() {
        Role::Storage => who.storage_peers().await?.contains(&id),
        Role::Light => who.peers().await?.contains(&id),
    })
}

/// Waits up to `limit` for an event from `events` that `want` picks.
///
/// # Errors
/// `Err(())` when none came in time or the channel closed.
pub async fn wait_for<T>(
    events: &mut broadcast::Receiver<NetEvent>,
    limit: Duration,
    mut want: impl FnMut(NetEvent) -> Option<T>,
) -> Result<T, ()> {
    tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(found) = want(event) {
                        return Ok(found);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Err(()),
            }
        }
    })
    .await
    .unwrap_or(Err(()))
}

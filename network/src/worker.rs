//! The network worker: owns the swarm, turns handle commands into swarm calls and swarm
//! events into [`NetEvent`]s, hands inbound requests out to whoever answers them and gossip
//! to the validator. One `select!`, cancellation first; a failure handling one event is
//! logged and the loop goes on.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datanet_protocol::encoding::Encode;
use datanet_protocol::wire::{Request, Response};
use futures::StreamExt;
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{DialError, SwarmEvent};
use libp2p::{gossipsub, identify, noise, ping, tcp, yamux, Multiaddr, PeerId, Swarm};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::behaviour::{Behaviour, BehaviourEvent, DomainEvent, InfraEvent};
use crate::budget::{PeerBudgets, INBOUND_BYTES, PEER_INBOUND_BYTES};
use crate::codec::PROTOCOL;
use crate::config::peer_of;
use crate::gossip::{Topic, Unvalidated, Validator, VALIDATION_QUEUE};
use crate::handle::Command;
use crate::inbound::Responder;
use crate::members::{now_ms, Members, Presence};
use crate::quorum::QuorumGossip;
use crate::{
    InboundRequest, NetConfig, NetError, NetEvent, NetHandle, NetStats, RequestFailure, Role,
};

/// Commands queued from handles before senders wait.
const COMMAND_QUEUE: usize = 256;
/// Quorum messages waiting for the node's judgement.
const QUORUM_QUEUE: usize = 256;
/// Inbound requests queued for the answering side before new ones are refused.
pub(crate) const INBOUND_QUEUE: usize = 512;
/// Listen addresses kept per connected peer, of those it says it has.
const MAX_ADDRESSES: usize = 16;
/// Storage peers from before a restart counted as away members, at most.
const MAX_RECALLED: usize = 1024;
/// How often the number of connections is looked over.
const CONNECTION_TICK: Duration = Duration::from_secs(5);
/// New connections opened per look-over, at most.
const DIALS_PER_TICK: usize = 4;
/// Events buffered per subscriber; a slow subscriber misses the oldest.
const EVENT_BUFFER: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T, NetError>>;

struct Worker {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    inbound: Option<mpsc::Sender<InboundRequest>>,
    inbound_bytes: PeerBudgets,
    responses_tx: mpsc::Sender<(ResponseChannel<Response>, Response)>,
    responses: mpsc::Receiver<(ResponseChannel<Response>, Response)>,
    gossip: mpsc::Sender<Unvalidated>,
    events: broadcast::Sender<NetEvent>,
    stats: Arc<NetStats>,
    pending: HashMap<OutboundRequestId, (PeerId, Reply<Response>)>,
    dials: HashMap<PeerId, Vec<Reply<()>>>,
    /// Connected peers, each with when its first connection opened.
    connected: HashMap<PeerId, Instant>,
    /// When a request last went either way with each connected peer.
    last_used: HashMap<PeerId, Instant>,
    storage: HashSet<PeerId>,
    members: Members,
    connections: usize,
    idle: Duration,
    presence_interval: Duration,
    role: Role,
    listen_addrs: HashMap<PeerId, Vec<Multiaddr>>,
    cancel: CancellationToken,
}

/// A started network: the handle, and for a storage node what it must answer and judge.
#[derive(Debug)]
pub struct Spawned {
    /// The handle on the network.
    pub handle: NetHandle,
    /// The inbound requests a storage node answers from its store; none on a light node.
    pub inbound: Option<mpsc::Receiver<InboundRequest>>,
    /// The quorum messages a storage node judges; none on a light node.
    pub quorum: Option<mpsc::Receiver<QuorumGossip>>,
}

/// Starts the swarm of `config` and its tasks on `tasks`, until `cancel`.
///
/// # Errors
/// [`NetError::Listen`] when an address cannot be listened on.
pub fn spawn(
    config: NetConfig,
    tasks: &TaskTracker,
    cancel: CancellationToken,
) -> Result<Spawned, NetError> {
    let NetConfig {
        key,
        role,
        listen,
        request_timeout,
        custody_grace,
        connections,
        idle,
        presence_interval,
    } = config;
    let local = key.public().to_peer_id();
    let stats = Arc::new(NetStats::default());
    let codec_stats = Arc::clone(&stats);
    let build_error = |e: String| NetError::Listen(Multiaddr::empty(), e);
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build_error(e.to_string()))?
        .with_quic()
        .with_behaviour(|key| Behaviour::new(key, role, codec_stats, request_timeout))
        .map_err(|e| build_error(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    for address in &listen {
        swarm
            .listen_on(address.clone())
            .map_err(|e| NetError::Listen(address.clone(), e.to_string()))?;
    }
    for topic in [Topic::Fraud, Topic::Datanets, Topic::Models, Topic::Members] {
        swarm
            .behaviour_mut()
            .domain
            .gossip
            .subscribe(&topic.ident())
            .map_err(|e| build_error(e.to_string()))?;
    }
    let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let (inbound, inbound_rx) = match role {
        Role::Storage => {
            let (tx, rx) = mpsc::channel(INBOUND_QUEUE);
            (Some(tx), Some(rx))
        }
        Role::Light => (None, None),
    };
    let (quorum, quorum_rx) = match role {
        Role::Storage => {
            let (tx, rx) = mpsc::channel(QUORUM_QUEUE);
            (Some(tx), Some(rx))
        }
        Role::Light => (None, None),
    };
    let (responses_tx, responses) = mpsc::channel(INBOUND_QUEUE);
    let (gossip, unvalidated) = mpsc::channel(VALIDATION_QUEUE);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let validator = Validator {
        messages: unvalidated,
        verdicts: commands_tx.clone(),
        events: events.clone(),
        quorum,
        stats: Arc::clone(&stats),
    };
    tasks.spawn(validator.run(cancel.clone()));
    let worker = Worker {
        swarm,
        commands,
        inbound,
        inbound_bytes: PeerBudgets::new(INBOUND_BYTES, PEER_INBOUND_BYTES),
        responses_tx,
        responses,
        gossip,
        events: events.clone(),
        stats: Arc::clone(&stats),
        pending: HashMap::new(),
        dials: HashMap::new(),
        connected: HashMap::new(),
        last_used: HashMap::new(),
        storage: HashSet::new(),
        members: Members::new(local, custody_grace, presence_interval),
        connections,
        idle,
        presence_interval,
        role,
        listen_addrs: HashMap::new(),
        cancel,
    };
    tasks.spawn(worker.run());
    let handle = NetHandle {
        commands: commands_tx,
        events,
        local,
        role,
        stats,
        scores: Arc::default(),
    };
    Ok(Spawned {
        handle,
        inbound: inbound_rx,
        quorum: quorum_rx,
    })
}

impl Worker {
    async fn run(mut self) {
        let mut connection_ticks = tokio::time::interval(CONNECTION_TICK);
        connection_ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let first = Duration::from_secs(1).min(self.presence_interval);
        let mut presence_wait = first;
        let presence = tokio::time::sleep(presence_wait);
        tokio::pin!(presence);
        loop {
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                Some(command) = self.commands.recv() => self.on_command(command),
                Some((channel, response)) = self.responses.recv() => {
                    let _ = self.swarm.behaviour_mut().domain.requests.send_response(channel, response);
                }
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = connection_ticks.tick() => self.keep_connections(),
                _ = &mut presence, if self.role == Role::Storage => {
                    presence_wait = if self.publish_presence() {
                        (presence_wait * 2).min(self.presence_interval)
                    } else {
                        first
                    };
                    presence.as_mut().reset(tokio::time::Instant::now() + presence_wait);
                }
            }
        }
        for (_, (_, reply)) in self.pending.drain() {
            let _ = reply.send(Err(NetError::WorkerDied));
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .domain
                    .requests
                    .send_request(&peer, request);
                self.last_used.insert(peer, Instant::now());
                self.pending.insert(id, (peer, reply));
            }
            Command::Dial(address, reply) => match self.swarm.dial(address.clone()) {
                Ok(()) => match peer_of(&address) {
                    Some(peer) if self.connected.contains_key(&peer) => {
                        let _ = reply.send(Ok(()));
                    }
                    Some(peer) => self.dials.entry(peer).or_default().push(reply),
                    None => {
                        let _ = reply.send(Ok(()));
                    }
                },
                Err(e) => {
                    let _ = reply.send(Err(NetError::Dial(address, e.to_string())));
                }
            },
            Command::Peers(reply) => {
                let _ = reply.send(self.connected.keys().copied().collect());
            }
            Command::StoragePeers(reply) => {
                let _ = reply.send(self.storage.iter().copied().collect());
            }
            Command::Membership(reply) => {
                let _ = reply.send(self.members.membership());
            }
            Command::Recall(peers) => {
                for (peer, gone_for) in peers.into_iter().take(MAX_RECALLED) {
                    self.members.recall(peer, gone_for);
                }
            }
            Command::Heard(peer, presence) => self.on_presence(peer, presence),
            Command::Addresses(peer, reply) => {
                let known = self.listen_addrs.get(&peer).cloned().unwrap_or_default();
                let _ = reply.send(known);
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Publish(topic, data) => {
                self.publish(topic, data);
            }
            Command::Follow(datanet) => {
                self.follow(Topic::Announce(datanet));
                self.follow(Topic::Quorum(datanet));
            }
            Command::GossipScore(peer, reply) => {
                let _ = reply.send(self.swarm.behaviour().domain.gossip.peer_score(&peer));
            }
            Command::Validated {
                id,
                source,
                acceptance,
            } => {
                self.swarm
                    .behaviour_mut()
                    .domain
                    .gossip
                    .report_message_validation_result(&id, &source, acceptance);
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                self.swarm
                    .behaviour_mut()
                    .infra
                    .kad
                    .add_address(&peer_id, endpoint.get_remote_address().clone());
                tracing::debug!(peer = %peer_id, dialer = endpoint.is_dialer(), "connection opened");
                if let std::collections::hash_map::Entry::Vacant(new) =
                    self.connected.entry(peer_id)
                {
                    new.insert(Instant::now());
                    let _ = self.events.send(NetEvent::PeerConnected(peer_id));
                }
                for reply in self.dials.remove(&peer_id).unwrap_or_default() {
                    let _ = reply.send(Ok(()));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } if self.connected.remove(&peer_id).is_some() => {
                if self.storage.remove(&peer_id) {
                    self.members.disconnected(peer_id);
                }
                self.last_used.remove(&peer_id);
                self.listen_addrs.remove(&peer_id);
                self.inbound_bytes.forget(&peer_id);
                let _ = self.events.send(NetEvent::PeerDisconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                let (address, reason) = match &error {
                    DialError::Transport(errors) => match errors.first() {
                        Some((address, e)) => (address.clone(), transport_error(e)),
                        None => (Multiaddr::empty(), "no address to dial".to_owned()),
                    },
                    other => (Multiaddr::empty(), other.to_string()),
                };
                for reply in self.dials.remove(&peer).unwrap_or_default() {
                    let _ = reply.send(Err(NetError::Dial(address.clone(), reason.clone())));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Infra(InfraEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(failure),
            }))) if is_dead(&failure) => {
                tracing::debug!(%peer, %failure, "ping failed; closing the connection");
                self.swarm.close_connection(connection);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Infra(InfraEvent::Identify(
                identify::Event::Received { peer_id, info, .. },
            ))) => self.on_identified(peer_id, info),
            SwarmEvent::Behaviour(BehaviourEvent::Domain(DomainEvent::Requests(event))) => {
                self.on_request_event(event)
            }
            SwarmEvent::Behaviour(BehaviourEvent::Domain(DomainEvent::Gossip(
                gossipsub::Event::Message {
                    propagation_source,
                    message_id,
                    message,
                },
            ))) => self.on_gossip(propagation_source, message_id, message),
            _ => {}
        }
    }

    /// Learns a peer's addresses for the DHT, and whether it is a storage peer: one that
    /// advertises datanet's request protocol.
    fn on_identified(&mut self, peer: PeerId, info: identify::Info) {
        let is_storage = info.protocols.contains(&PROTOCOL);
        let addresses: Vec<Multiaddr> = info
            .listen_addrs
            .iter()
            .take(MAX_ADDRESSES)
            .cloned()
            .collect();
        if self.connected.contains_key(&peer) {
            self.listen_addrs.insert(peer, addresses.clone());
        }
        for address in info.listen_addrs {
            self.swarm
                .behaviour_mut()
                .infra
                .kad
                .add_address(&peer, address);
        }
        if is_storage && self.connected.contains_key(&peer) && self.storage.insert(peer) {
            self.members.connected(peer, addresses);
            let _ = self.events.send(NetEvent::StoragePeer(peer));
        }
    }

    fn on_request_event(&mut self, event: request_response::Event<Request, Response>) {
        match event {
            request_response::Event::Message { peer, message, .. } => {
                self.last_used.insert(peer, Instant::now());
                match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => self.on_inbound(peer, request, channel),
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, reply)) = self.pending.remove(&request_id) {
                            let _ = reply.send(Ok(response));
                        }
                    }
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some((_, reply)) = self.pending.remove(&request_id) {
                    let failure = failure_of(error);
                    let _ = reply.send(Err(NetError::Request { peer, failure }));
                }
            }
            request_response::Event::InboundFailure { error, .. } => {
                tracing::debug!(%error, "inbound request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Hands an inbound request out within the byte budget, or refuses it as busy.
    fn on_inbound(&mut self, peer: PeerId, request: Request, channel: ResponseChannel<Response>) {
        let Some(inbound) = &self.inbound else {
            let refused = Response::Refused("a light node answers no requests".into());
            let _ = self
                .swarm
                .behaviour_mut()
                .domain
                .requests
                .send_response(channel, refused);
            return;
        };
        let held = match self.inbound_bytes.admit(peer, request.bulk_bytes()) {
            Ok(held) => held,
            Err(why) => {
                self.refuse_busy(channel, why);
                return;
            }
        };
        let queued = inbound.try_send(InboundRequest {
            peer,
            request,
            responder: Responder {
                channel,
                responses: self.responses_tx.clone(),
                held,
            },
        });
        if let Err(mpsc::error::TrySendError::Full(refused)) = queued {
            self.refuse_busy(refused.responder.channel, "too many requests in flight");
        }
    }

    /// Subscribes to `topic`, scoring the peers that forward invalid messages on it down.
    fn follow(&mut self, topic: Topic) {
        let gossip = &mut self.swarm.behaviour_mut().domain.gossip;
        if let Err(e) = gossip.set_topic_params(topic.ident(), crate::behaviour::topic_score()) {
            tracing::debug!(?topic, error = e, "topic not scored");
        }
        if let Err(e) = gossip.subscribe(&topic.ident()) {
            tracing::debug!(?topic, error = %e, "topic not followed");
        }
    }

    /// Publishes `data` on `topic`; whether it went out (it does not while no peer follows
    /// the topic).
    fn publish(&mut self, topic: Topic, data: Vec<u8>) -> bool {
        let bytes = data.len();
        match self
            .swarm
            .behaviour_mut()
            .domain
            .gossip
            .publish(topic.ident(), data)
        {
            Ok(_) => {
                self.stats.gossip_out(bytes);
                true
            }
            Err(e) => {
                tracing::debug!(?topic, error = %e, "gossip message not published");
                false
            }
        }
    }

    /// Queues a gossip message for validation off the swarm task; when the queue is full it
    /// is ignored (neither forwarded nor held against its sender) and the drop counted.
    fn on_gossip(&mut self, source: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        self.stats.gossip_in(message.data.len());
        let queued = self.gossip.try_send(Unvalidated {
            id: id.clone(),
            source,
            author: message.source,
            topic: message.topic,
            data: message.data,
        });
        if queued.is_err() {
            self.stats.inbound_dropped.fetch_add(1, Ordering::Relaxed);
            self.swarm
                .behaviour_mut()
                .domain
                .gossip
                .report_message_validation_result(
                    &id,
                    &source,
                    gossipsub::MessageAcceptance::Ignore,
                );
        }
    }

    /// Records a storage peer's presence: it is a member, dialable at its addresses (handed
    /// to the swarm for request-response, not to the DHT, whose routing updates would start
    /// walks that dial peers a bounded node does not keep).
    fn on_presence(&mut self, peer: PeerId, presence: Presence) {
        for address in &presence.addresses {
            self.swarm.add_peer_address(peer, address.clone());
        }
        if self.members.heard(peer, presence.addresses) {
            let _ = self.events.send(NetEvent::MemberArrived(peer));
        }
    }

    /// Gossips this node's presence: the addresses it listens on. Returns whether it went
    /// out (it does not while no peer follows the topic).
    fn publish_presence(&mut self) -> bool {
        let addresses: Vec<Multiaddr> = self
            .swarm
            .listeners()
            .chain(self.swarm.external_addresses())
            .filter(|a| is_dialable(a))
            .cloned()
            .collect();
        let presence = Presence {
            sent_ms: now_ms(),
            addresses,
        };
        self.publish(Topic::Members, presence.to_bytes())
    }

    /// Keeps the number of connections near the target: below it, dials present members
    /// not connected; above twice the target, closes idle connections (no request either
    /// way for the idle time, none pending, open twice as long), chosen at random,
    /// until back at the target. Between the two it leaves them be, so connections do not
    /// flap.
    fn keep_connections(&mut self) {
        let count = self.connected.len();
        if count < self.connections {
            self.dial_members(self.connections - count);
        } else if count > 2 * self.connections {
            self.close_idle(count - self.connections);
        }
    }

    /// Dials up to `wanted` (at most [`DIALS_PER_TICK`]) random present members.
    fn dial_members(&mut self, wanted: usize) {
        use rand::seq::SliceRandom;
        let mut candidates: Vec<(PeerId, Vec<Multiaddr>)> = self
            .members
            .unconnected()
            .into_iter()
            .filter(|(peer, _)| !self.dials.contains_key(peer))
            .collect();
        candidates.shuffle(&mut rand::thread_rng());
        for (peer, addresses) in candidates.into_iter().take(wanted.min(DIALS_PER_TICK)) {
            let dial = DialOpts::peer_id(peer).addresses(addresses).build();
            if let Err(e) = self.swarm.dial(dial) {
                tracing::debug!(%peer, error = %e, "member not dialled");
            }
        }
    }

    /// Closes up to `excess` idle connections, chosen at random.
    fn close_idle(&mut self, excess: usize) {
        use rand::seq::SliceRandom;
        let now = Instant::now();
        let busy: HashSet<PeerId> = self.pending.values().map(|(peer, _)| *peer).collect();
        let mut idle: Vec<PeerId> = self
            .connected
            .iter()
            .filter(|(peer, since)| {
                now.duration_since(**since) >= 2 * self.idle
                    && !busy.contains(peer)
                    && self
                        .last_used
                        .get(peer)
                        .is_none_or(|used| now.duration_since(*used) >= self.idle)
            })
            .map(|(peer, _)| *peer)
            .collect();
        idle.shuffle(&mut rand::thread_rng());
        for peer in idle.into_iter().take(excess) {
            tracing::debug!(%peer, "closing an idle connection: more than the target");
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    /// Answers a request the node has no room for, and counts the drop.
    fn refuse_busy(&mut self, channel: ResponseChannel<Response>, why: &str) {
        self.stats.inbound_dropped.fetch_add(1, Ordering::Relaxed);
        let busy = Response::Refused(format!("busy: {why}"));
        let _ = self
            .swarm
            .behaviour_mut()
            .domain
            .requests
            .send_response(channel, busy);
    }
}

/// Whether other nodes can dial `address`: not an unspecified (`0.0.0.0`, `::`) one.
fn is_dialable(address: &Multiaddr) -> bool {
    use libp2p::multiaddr::Protocol;
    !address.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}

/// Whether a failed ping means the connection is dead: no answer within the ping timeout
/// (a peer cut off by a partition, whose TCP connection would otherwise look open until the
/// kernel gives up many minutes later) or a broken ping stream. A peer that does not speak
/// ping is not judged by it.
fn is_dead(failure: &ping::Failure) -> bool {
    !matches!(failure, ping::Failure::Unsupported)
}

/// The typed failure of an outbound request: an answer that did not decode (the codec's
/// `InvalidData`) is the peer's fault, the rest are not.
fn failure_of(error: OutboundFailure) -> RequestFailure {
    match error {
        OutboundFailure::Timeout => RequestFailure::Timeout,
        OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            RequestFailure::Malformed(e.to_string())
        }
        other => RequestFailure::Unreachable(other.to_string()),
    }
}

/// A transport error with its causes, innermost last ("connection refused" rather than
/// "failed to negotiate transport protocol(s)").
fn transport_error(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_that_times_out_or_breaks_closes_the_connection_and_an_unsupported_one_does_not() {
        assert!(is_dead(&ping::Failure::Timeout));
        let broken = ping::Failure::Other {
            error: Box::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        };
        assert!(is_dead(&broken));
        assert!(!is_dead(&ping::Failure::Unsupported));
    }
}

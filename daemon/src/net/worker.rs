//! The network worker: owns the swarm, turns handle commands into swarm calls and swarm
//! events into domain events, and hands inbound requests to the server. One `select!`,
//! cancellation first; a failure handling one event is logged and the loop goes on.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use datanet_protocol::encoding::Decode;
use datanet_protocol::{Datanet, DatanetId, Manifest};
use datanet_storage::AsyncStore;
use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::{DialError, SwarmEvent};
use libp2p::{gossipsub, identify, identity, noise, tcp, yamux, Multiaddr, PeerId, Swarm};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::behaviour::{Behaviour, BehaviourEvent, DomainEvent, InfraEvent};
use super::budget::{Budget, Held, INBOUND_BYTES};
use super::serve::{Record, Server};
use super::wire::{FraudNotice, Request, Response};
use super::{Command, NetError, NetEvent, NetHandle, NetStats};

/// Commands queued from handles before senders wait.
const COMMAND_QUEUE: usize = 256;
/// Inbound requests queued for the server before new ones are refused.
const INBOUND_QUEUE: usize = 512;
/// Domain events buffered per subscriber; a slow subscriber misses the oldest.
const EVENT_BUFFER: usize = 1024;
/// The prefix of each datanet's gossip topic of manifest announcements; the datanet id in
/// hex follows it.
const ANNOUNCE_PREFIX: &str = "/datanet/announce/1/";
/// The gossip topic of bad-encoding fraud proofs.
pub(crate) const FRAUD_TOPIC: &str = "/datanet/fraud/1";
/// The gossip topic of signed datanet records.
pub(crate) const DATANET_TOPIC: &str = "/datanet/datanets/1";
/// Verified gossiped records queued for the server to store.
const RECORD_QUEUE: usize = 64;

type Reply<T> = oneshot::Sender<Result<T, NetError>>;

/// An inbound request waiting for the server, with its share of the inbound byte budget.
pub(crate) struct Inbound {
    pub(crate) request: Request,
    pub(crate) channel: ResponseChannel<Response>,
    pub(crate) held: Held,
}

struct Worker {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    inbound: mpsc::Sender<Inbound>,
    inbound_bytes: Budget,
    records: mpsc::Sender<Record>,
    responses: mpsc::Receiver<(ResponseChannel<Response>, Response)>,
    events: broadcast::Sender<NetEvent>,
    stats: Arc<NetStats>,
    pending: HashMap<OutboundRequestId, Reply<Response>>,
    dials: HashMap<PeerId, Vec<Reply<()>>>,
    connected: HashSet<PeerId>,
    cancel: CancellationToken,
}

/// Starts the swarm on `listen` and its worker; returns the handle and the worker's task.
///
/// # Errors
/// [`NetError::Listen`] when an address cannot be listened on.
pub(crate) fn spawn(
    key: identity::Keypair,
    listen: &[Multiaddr],
    request_timeout: Duration,
    store: AsyncStore,
    cancel: CancellationToken,
) -> Result<(NetHandle, JoinHandle<()>), NetError> {
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
        .with_behaviour(|key| Behaviour::new(key, codec_stats, request_timeout))
        .map_err(|e| build_error(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();
    for address in listen {
        swarm
            .listen_on(address.clone())
            .map_err(|e| NetError::Listen(address.clone(), e.to_string()))?;
    }
    let known = store.blocking().datanets().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "stored datanets not read: their announcements are not followed");
        Vec::new()
    });
    let followed = known.iter().map(|datanet| announce_topic(datanet.id()));
    for topic in [FRAUD_TOPIC.to_owned(), DATANET_TOPIC.to_owned()]
        .into_iter()
        .chain(followed)
    {
        swarm
            .behaviour_mut()
            .domain
            .gossip
            .subscribe(&gossipsub::IdentTopic::new(topic))
            .map_err(|e| build_error(e.to_string()))?;
    }
    let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let (inbound, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
    let (responses_tx, responses) = mpsc::channel(INBOUND_QUEUE);
    let (records, records_rx) = mpsc::channel(RECORD_QUEUE);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let server = Server::new(store, events.clone(), Arc::clone(&stats));
    tokio::spawn(server.run(inbound_rx, records_rx, responses_tx, cancel.clone()));
    let worker = Worker {
        swarm,
        commands,
        inbound,
        inbound_bytes: Budget::new(INBOUND_BYTES),
        records,
        responses,
        events: events.clone(),
        stats: Arc::clone(&stats),
        pending: HashMap::new(),
        dials: HashMap::new(),
        connected: HashSet::new(),
        cancel,
    };
    let handle = NetHandle {
        commands: commands_tx,
        events,
        local,
        stats,
        scores: Arc::default(),
    };
    Ok((handle, tokio::spawn(worker.run())))
}

impl Worker {
    async fn run(mut self) {
        loop {
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                Some(command) = self.commands.recv() => self.on_command(command),
                Some((channel, response)) = self.responses.recv() => {
                    let _ = self.swarm.behaviour_mut().domain.requests.send_response(channel, response);
                }
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
            }
        }
        for (_, reply) in self.pending.drain() {
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
                self.pending.insert(id, reply);
            }
            Command::Dial(address, reply) => match self.swarm.dial(address.clone()) {
                Ok(()) => match peer_of(&address) {
                    Some(peer) if self.connected.contains(&peer) => {
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
                let _ = reply.send(self.connected.iter().copied().collect());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Announce { datanet, manifest } => {
                self.follow(datanet);
                self.publish(&announce_topic(datanet), manifest);
            }
            Command::Follow(datanet) => self.follow(datanet),
            Command::PublishFraud(data) => self.publish(FRAUD_TOPIC, data),
            Command::PublishDatanet(data) => self.publish(DATANET_TOPIC, data),
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
                if self.connected.insert(peer_id) {
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
            } if self.connected.remove(&peer_id) => {
                let _ = self.events.send(NetEvent::PeerDisconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                let reason = match &error {
                    DialError::Transport(errors) => format!("{} transport errors", errors.len()),
                    other => other.to_string(),
                };
                for reply in self.dials.remove(&peer).unwrap_or_default() {
                    let _ = reply.send(Err(NetError::Dial(Multiaddr::empty(), reason.clone())));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Infra(InfraEvent::Identify(
                identify::Event::Received { peer_id, info, .. },
            ))) => {
                for address in info.listen_addrs {
                    self.swarm
                        .behaviour_mut()
                        .infra
                        .kad
                        .add_address(&peer_id, address);
                }
            }
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

    fn on_request_event(&mut self, event: request_response::Event<Request, Response>) {
        match event {
            request_response::Event::Message { message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let Some(held) = self.inbound_bytes.admit(request.bulk_bytes()) else {
                        self.refuse_busy(channel, "too many request bytes in flight");
                        return;
                    };
                    let queued = self.inbound.try_send(Inbound {
                        request,
                        channel,
                        held,
                    });
                    if let Err(mpsc::error::TrySendError::Full(refused)) = queued {
                        self.refuse_busy(refused.channel, "too many requests in flight");
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { error, .. } => {
                tracing::debug!(%error, "inbound request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Subscribes to the announcements of `datanet` (again is harmless).
    fn follow(&mut self, datanet: DatanetId) {
        let topic = gossipsub::IdentTopic::new(announce_topic(datanet));
        if let Err(e) = self.swarm.behaviour_mut().domain.gossip.subscribe(&topic) {
            tracing::debug!(%datanet, error = %e, "datanet topic not followed");
        }
    }

    fn publish(&mut self, topic: &str, data: Vec<u8>) {
        let topic = gossipsub::IdentTopic::new(topic);
        if let Err(e) = self
            .swarm
            .behaviour_mut()
            .domain
            .gossip
            .publish(topic, data)
        {
            tracing::debug!(error = %e, "gossip message not published");
        }
    }

    /// Validates a gossip message before it is forwarded: a manifest must verify and belong to
    /// the datanet whose topic carried it, a datanet record must verify, a fraud proof must
    /// prove its square badly encoded. Invalid messages are rejected, which also lowers their
    /// sender's gossip score.
    fn on_gossip(&mut self, source: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let valid = if message.topic == gossipsub::IdentTopic::new(FRAUD_TOPIC).hash() {
            self.on_fraud_notice(&message.data)
        } else if message.topic == gossipsub::IdentTopic::new(DATANET_TOPIC).hash() {
            self.on_datanet_record(&message.data)
        } else if let Some(datanet) = topic_datanet(&message.topic) {
            match Manifest::from_bytes(&message.data)
                .ok()
                .filter(|m| m.body().datanet == datanet && m.verify().is_ok())
            {
                Some(manifest) => {
                    let _ = self.events.send(NetEvent::Announced(manifest.id()));
                    true
                }
                None => false,
            }
        } else {
            false
        };
        let acceptance = if valid {
            gossipsub::MessageAcceptance::Accept
        } else {
            self.stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
            gossipsub::MessageAcceptance::Reject
        };
        self.swarm
            .behaviour_mut()
            .domain
            .gossip
            .report_message_validation_result(&id, &source, acceptance);
    }

    /// Verifies a gossiped fraud proof and hands it to the server to record.
    fn on_fraud_notice(&mut self, data: &[u8]) -> bool {
        let Some(notice) = FraudNotice::from_bytes(data)
            .ok()
            .filter(|n| n.proof.verify(&n.da_root).is_ok())
        else {
            return false;
        };
        self.hand_over(Record::Fraud(notice))
    }

    /// Verifies a gossiped datanet record and hands it to the server to store.
    fn on_datanet_record(&mut self, data: &[u8]) -> bool {
        let Some(datanet) = Datanet::from_bytes(data)
            .ok()
            .filter(|d| d.verify().is_ok())
        else {
            return false;
        };
        self.follow(datanet.id());
        self.hand_over(Record::Datanet(Box::new(datanet)))
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

    /// Queues a verified record for the server; a full queue drops it (and counts the drop).
    fn hand_over(&mut self, record: Record) -> bool {
        if self.records.try_send(record).is_err() {
            self.stats.inbound_dropped.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
}

/// The gossip topic of `datanet`'s manifest announcements.
pub(crate) fn announce_topic(datanet: DatanetId) -> String {
    format!("{ANNOUNCE_PREFIX}{datanet}")
}

/// The datanet whose announcement topic `topic` is, if it is one.
fn topic_datanet(topic: &gossipsub::TopicHash) -> Option<DatanetId> {
    topic.as_str().strip_prefix(ANNOUNCE_PREFIX)?.parse().ok()
}

/// The peer id at the end of an address, if it names one.
fn peer_of(address: &Multiaddr) -> Option<PeerId> {
    address.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datanet_topic_names_its_datanet_and_nothing_else_does() {
        let id = DatanetId(datanet_protocol::hash::hash(
            datanet_protocol::hash::Domain::Datanet,
            b"topic",
        ));
        let topic = gossipsub::IdentTopic::new(announce_topic(id)).hash();
        assert_eq!(topic_datanet(&topic), Some(id));
        for other in [
            FRAUD_TOPIC,
            DATANET_TOPIC,
            ANNOUNCE_PREFIX,
            "/datanet/announce/1/zz",
        ] {
            assert_eq!(
                topic_datanet(&gossipsub::IdentTopic::new(other).hash()),
                None
            );
        }
    }
}

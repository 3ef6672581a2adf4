//! Gossip: the topics, and validation of every message off the swarm task. The worker hands
//! each message to [`Validator`], which checks it on the blocking pool (signatures and fraud
//! proofs cost CPU that must not stall the swarm at quorum rates), reports the verdict back to
//! the worker for gossipsub to forward or reject, and publishes what verified as a
//! [`NetEvent`] carrying the verified object.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use datanet_protocol::encoding::Decode;
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::ModelRecord;
use datanet_protocol::wire::FraudNotice;
use datanet_protocol::{Datanet, DatanetId, Manifest};
use futures::StreamExt;
use libp2p::gossipsub::{IdentTopic, MessageAcceptance, MessageId, TopicHash};
use libp2p::PeerId;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::handle::Command;
use crate::members::{now_ms, Presence};
use crate::quorum::{Judgement, QuorumGossip, Verdict, JUDGEMENT_TIMEOUT};
use crate::{NetEvent, NetStats};

/// The prefix of each datanet's gossip topic of manifest announcements; the datanet id in
/// hex follows it.
const ANNOUNCE_PREFIX: &str = "/datanet/announce/1/";
/// The prefix of each datanet's quorum topic (attestations, batch proposals, votes and final
/// batches); the datanet id in hex follows it.
const QUORUM_PREFIX: &str = "/datanet/quorum/1/";
/// The gossip topic of bad-encoding fraud proofs.
const FRAUD_TOPIC: &str = "/datanet/fraud/1";
/// The gossip topic of signed datanet records.
const DATANET_TOPIC: &str = "/datanet/datanets/1";
/// The gossip topic of signed model records.
const MODEL_TOPIC: &str = "/datanet/models/1";
/// The gossip topic of storage peers' presences.
const MEMBERS_TOPIC: &str = "/datanet/members/1";
/// Messages waiting for validation before new ones are ignored (neither forwarded nor
/// penalised).
pub(crate) const VALIDATION_QUEUE: usize = 1024;
/// Messages validated at once on the blocking pool.
const VALIDATIONS_IN_FLIGHT: usize = 8;

/// A gossip topic datanet uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    /// One datanet's manifest announcements.
    Announce(DatanetId),
    /// One datanet's attestations and batches.
    Quorum(DatanetId),
    /// Fraud proofs, followed by every node.
    Fraud,
    /// Datanet records, followed by every node.
    Datanets,
    /// Model records, followed by every node.
    Models,
    /// Storage peers' presences, followed by every node.
    Members,
}

impl Topic {
    /// The libp2p topic.
    pub(crate) fn ident(self) -> IdentTopic {
        IdentTopic::new(match self {
            Topic::Announce(datanet) => announce_topic(datanet),
            Topic::Quorum(datanet) => format!("{QUORUM_PREFIX}{datanet}"),
            Topic::Fraud => FRAUD_TOPIC.to_owned(),
            Topic::Datanets => DATANET_TOPIC.to_owned(),
            Topic::Models => MODEL_TOPIC.to_owned(),
            Topic::Members => MEMBERS_TOPIC.to_owned(),
        })
    }

    /// The datanet topic `hash` names, if it is one of datanet's.
    fn of(hash: &TopicHash) -> Option<Topic> {
        match hash.as_str() {
            FRAUD_TOPIC => Some(Topic::Fraud),
            DATANET_TOPIC => Some(Topic::Datanets),
            MODEL_TOPIC => Some(Topic::Models),
            MEMBERS_TOPIC => Some(Topic::Members),
            other => {
                if let Some(id) = other.strip_prefix(QUORUM_PREFIX) {
                    return id.parse().ok().map(Topic::Quorum);
                }
                other
                    .strip_prefix(ANNOUNCE_PREFIX)?
                    .parse()
                    .ok()
                    .map(Topic::Announce)
            }
        }
    }
}

/// The gossip topic of `datanet`'s manifest announcements.
pub(crate) fn announce_topic(datanet: DatanetId) -> String {
    format!("{ANNOUNCE_PREFIX}{datanet}")
}

/// What a gossip message verified as.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verified {
    /// An object the rest of the node hears of.
    Event(NetEvent),
    /// A storage peer's presence, for the worker's member table.
    Presence(PeerId, Presence),
    /// A message of a datanet's quorum topic, for the node to judge.
    Quorum(DatanetId, Box<QuorumMessage>),
}

/// What a gossip message on `topic`, signed by `author`, verifies to at `now_ms`, if
/// anything: a manifest must verify and belong to the datanet whose topic carried it, a
/// datanet or model record must verify, a fraud proof must prove its square badly encoded, a presence
/// must be fresh and signed by the peer it speaks for, a quorum message must decode (the node
/// judges the rest).
pub(crate) fn validate(
    topic: &TopicHash,
    author: Option<PeerId>,
    data: &[u8],
    now_ms: u64,
) -> Option<Verified> {
    let event = match Topic::of(topic)? {
        Topic::Announce(datanet) => Manifest::from_bytes(data)
            .ok()
            .filter(|m| m.body().datanet == datanet && m.verify().is_ok())
            .map(|m| NetEvent::Announced(Box::new(m))),
        Topic::Fraud => FraudNotice::from_bytes(data)
            .ok()
            .filter(|n| n.proof.verify(&n.da_root).is_ok())
            .map(|n| NetEvent::Fraud(Box::new(n))),
        Topic::Datanets => Datanet::from_bytes(data)
            .ok()
            .filter(|d| d.verify().is_ok())
            .map(|d| NetEvent::Datanet(Box::new(d))),
        Topic::Models => ModelRecord::from_bytes(data)
            .ok()
            .filter(|m| m.verify().is_ok())
            .map(|m| NetEvent::Model(Box::new(m))),
        Topic::Quorum(datanet) => {
            let message = QuorumMessage::from_bytes(data).ok()?;
            return Some(Verified::Quorum(datanet, Box::new(message)));
        }
        Topic::Members => {
            let presence = Presence::from_bytes(data)
                .ok()
                .filter(|p| p.is_fresh(now_ms))?;
            return Some(Verified::Presence(author?, presence));
        }
    };
    event.map(Verified::Event)
}

/// A gossip message waiting for its verdict.
pub(crate) struct Unvalidated {
    pub(crate) id: MessageId,
    /// The peer that forwarded it.
    pub(crate) source: PeerId,
    /// The peer that signed it.
    pub(crate) author: Option<PeerId>,
    pub(crate) topic: TopicHash,
    pub(crate) data: Vec<u8>,
}

/// Validates gossip off the swarm task and reports each verdict back to the worker.
pub(crate) struct Validator {
    pub(crate) messages: mpsc::Receiver<Unvalidated>,
    pub(crate) verdicts: mpsc::Sender<Command>,
    pub(crate) events: broadcast::Sender<NetEvent>,
    /// Where quorum messages go to be judged; none on a light node, which ignores them.
    pub(crate) quorum: Option<mpsc::Sender<QuorumGossip>>,
    pub(crate) stats: Arc<NetStats>,
}

impl Validator {
    /// Validates until cancelled or until the worker stops sending.
    pub(crate) async fn run(self, cancel: CancellationToken) {
        let Validator {
            mut messages,
            verdicts,
            events,
            quorum,
            stats,
        } = self;
        let verdicts_ref = &verdicts;
        let (events, stats, quorum) = (&events, &stats, &quorum);
        let checked = futures::stream::poll_fn(|cx| messages.poll_recv(cx))
            .map(|message| async move {
                let Unvalidated {
                    id,
                    source,
                    author,
                    topic,
                    data,
                } = message;
                let now_ms = now_ms();
                let verified =
                    tokio::task::spawn_blocking(move || validate(&topic, author, &data, now_ms))
                        .await
                        .ok()
                        .flatten();
                let acceptance = match verified {
                    Some(Verified::Event(event)) => {
                        let _ = events.send(event);
                        MessageAcceptance::Accept
                    }
                    Some(Verified::Presence(peer, presence)) => {
                        let _ = verdicts_ref.send(Command::Heard(peer, presence)).await;
                        MessageAcceptance::Accept
                    }
                    Some(Verified::Quorum(datanet, message)) => {
                        let judgement = judge(quorum.as_ref(), datanet, source, *message).await;
                        if judgement == Judgement::Reject {
                            stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
                        }
                        judgement.acceptance()
                    }
                    None => {
                        stats.invalid_messages.fetch_add(1, Ordering::Relaxed);
                        MessageAcceptance::Reject
                    }
                };
                let _ = verdicts_ref
                    .send(Command::Validated {
                        id,
                        source,
                        acceptance,
                    })
                    .await;
            })
            .buffer_unordered(VALIDATIONS_IN_FLIGHT)
            .for_each(|()| async {});
        cancel.run_until_cancelled(checked).await;
    }
}

/// The node's judgement of a quorum message, or [`Judgement::Ignore`] when no one judges
/// quorum messages or the judgement does not come within [`JUDGEMENT_TIMEOUT`].
async fn judge(
    judges: Option<&mpsc::Sender<QuorumGossip>>,
    datanet: DatanetId,
    source: PeerId,
    message: QuorumMessage,
) -> Judgement {
    let Some(judges) = judges else {
        return Judgement::Ignore;
    };
    let (tx, rx) = oneshot::channel();
    let gossip = QuorumGossip {
        datanet,
        source,
        message,
        verdict: Verdict(tx),
    };
    if judges.send(gossip).await.is_err() {
        return Judgement::Ignore;
    }
    match tokio::time::timeout(JUDGEMENT_TIMEOUT, rx).await {
        Ok(Ok(judgement)) => judgement,
        _ => Judgement::Ignore,
    }
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
        let topic = Topic::Announce(id).ident().hash();
        assert_eq!(Topic::of(&topic), Some(Topic::Announce(id)));
        assert_eq!(Topic::of(&Topic::Fraud.ident().hash()), Some(Topic::Fraud));
        for other in [ANNOUNCE_PREFIX, "/datanet/announce/1/zz", "/other/1"] {
            assert_eq!(Topic::of(&IdentTopic::new(other).hash()), None);
        }
    }

    /// Checks that `bytes`, a signed record, verifies to `event` on `topic`, and neither
    /// with its signature damaged nor on `other`.
    fn verifies_only_as_signed(topic: Topic, bytes: &[u8], event: NetEvent, other: Topic) {
        let topic = topic.ident().hash();
        assert_eq!(
            validate(&topic, None, bytes, 0),
            Some(Verified::Event(event))
        );
        let mut forged = bytes.to_vec();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(
            validate(&topic, None, &forged, 0),
            None,
            "a damaged signature"
        );
        assert_eq!(
            validate(&other.ident().hash(), None, bytes, 0),
            None,
            "a record on another topic"
        );
    }

    #[test]
    fn a_datanet_record_verifies_only_as_signed() {
        use datanet_protocol::encoding::Encode;
        use datanet_protocol::signed::{DatanetBody, Policy};
        use datanet_protocol::SecretKey;

        let key = SecretKey::generate();
        let body = DatanetBody {
            name: "gossiped".to_owned(),
            description: String::new(),
            owner: key.public(),
            policy: Policy::default(),
            validators: None,
            created_ms: 1,
            nonce: 2,
        };
        let record = Datanet::sign(body, &key).unwrap();
        verifies_only_as_signed(
            Topic::Datanets,
            &record.to_bytes(),
            NetEvent::Datanet(Box::new(record)),
            Topic::Announce(DatanetId::default()),
        );
    }

    #[test]
    fn a_model_record_verifies_only_as_signed_and_only_on_its_topic() {
        use datanet_protocol::encoding::Encode;
        use datanet_protocol::signed::{ModelBody, TrainedOn};
        use datanet_protocol::{Hash, SecretKey};

        let key = SecretKey::generate();
        let body = ModelBody {
            name: "gossiped".to_owned(),
            base_model: "base".to_owned(),
            weights: None,
            versions: vec![TrainedOn {
                datanet: DatanetId::default(),
                epoch: 3,
                batch_root: Hash([5; 32]),
            }],
            adapter: None,
            operator: key.public(),
            created_ms: 1,
            nonce: 2,
        };
        let record = ModelRecord::sign(body, &key).unwrap();
        verifies_only_as_signed(
            Topic::Models,
            &record.to_bytes(),
            NetEvent::Model(Box::new(record)),
            Topic::Datanets,
        );
    }

    #[test]
    fn gossip_that_does_not_verify_yields_no_event() {
        for topic in [Topic::Fraud, Topic::Datanets, Topic::Models, Topic::Members] {
            let author = Some(PeerId::random());
            assert_eq!(
                validate(&topic.ident().hash(), author, b"not a message", 0),
                None
            );
        }
        let unknown = IdentTopic::new("/other/1").hash();
        assert_eq!(validate(&unknown, None, b"", 0), None);
    }

    #[test]
    fn a_presence_counts_only_fresh_and_signed_by_its_author() {
        use datanet_protocol::encoding::Encode;

        let topic = Topic::Members.ident().hash();
        let now = 1_700_000_000_000;
        let presence = Presence {
            sent_ms: now,
            addresses: vec!["/ip4/127.0.0.1/tcp/4001".parse().unwrap()],
        };
        let bytes = presence.to_bytes();
        let author = PeerId::random();
        assert_eq!(
            validate(&topic, Some(author), &bytes, now),
            Some(Verified::Presence(author, presence))
        );
        assert_eq!(validate(&topic, None, &bytes, now), None, "unsigned");
        assert_eq!(
            validate(&topic, Some(author), &bytes, now + 3_600_000),
            None,
            "a replay an hour later"
        );
    }
}

//! Quorum validation with four equal-stake validators on loopback, in process: valid
//! contributions get a certificate and land in a final batch every node agrees on; a schema
//! violation, an exact duplicate and records repeating earlier ones are rejected with their
//! reasons; with two of four validators stopped nothing settles until one returns; forged
//! attestations and votes are dropped and cost their forwarder; an equivocating validator
//! counts for neither side and its two attestations are served as evidence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{connect, start_in};
use datanet_daemon::quorum::lifecycle::{Lifecycle, Stage};
use datanet_daemon::{Node, NodeKeys};
use datanet_protocol::quorum_message::QuorumMessage;
use datanet_protocol::signed::{
    BatchVoteBody, Policy, ReasonCode, RecordFormat, RecordRules, Threshold, Validator, Verdict,
};
use datanet_protocol::{
    Attestation, AttestationBody, BatchVote, ContributionId, DatanetId, SecretKey, ValidatorSet,
};
use tempfile::TempDir;

/// How long settling may take here: validation is a retrieval and a check away.
const SETTLE: Duration = Duration::from_secs(30);
/// Epochs short enough for a test to see several.
const EPOCH: Duration = Duration::from_millis(1500);

/// A validating node, with what it takes to start it again.
struct Member {
    node: Option<Node>,
    home: TempDir,
    network: SecretKey,
    validator: SecretKey,
}

impl Member {
    fn node(&self) -> &Node {
        self.node.as_ref().expect("running")
    }

    async fn start(&mut self) {
        let keys = NodeKeys {
            network: SecretKey::from_seed(self.network.seed()),
            contributor: SecretKey::generate(),
            validator: Some(SecretKey::from_seed(self.validator.seed())),
            evm: None,
        };
        self.node = Some(
            start_in(self.home.path(), keys, |c| {
                c.epoch = EPOCH;
                c.retrieve_timeout = Duration::from_secs(20);
            })
            .await,
        );
    }

    async fn stop(&mut self) {
        if let Some(node) = self.node.take() {
            node.shutdown().await;
        }
    }
}

/// Four validating nodes, all connected.
async fn validators() -> Vec<Member> {
    let mut members: Vec<Member> = Vec::new();
    for _ in 0..4 {
        let mut member = Member {
            node: None,
            home: tempfile::tempdir().unwrap(),
            network: SecretKey::generate(),
            validator: SecretKey::generate(),
        };
        member.start().await;
        let others: Vec<&Node> = members.iter().map(Member::node).collect();
        connect(member.node(), &others).await;
        members.push(member);
    }
    members
}

/// A JSON Lines datanet with a 2-field schema checked by `members`' validator keys.
async fn datanet(members: &[Member]) -> DatanetId {
    let schema = r#"{"type":"object","required":["text","lang"],
        "properties":{"text":{"type":"string"},"lang":{"type":"string","maxLength":2}}}"#;
    let policy = Policy {
        records: Some(RecordRules::new(RecordFormat::JsonLines {
            schema: schema.into(),
        })),
        ..Policy::default()
    };
    let id = members[0]
        .node()
        .create_datanet("checked", "validated records", policy, datanet_set(members))
        .await
        .unwrap()
        .id();
    for member in members {
        tokio::time::timeout(SETTLE, async {
            while member.node().datanet(id).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("every node learns the datanet");
    }
    id
}

async fn contribute(node: &Node, datanet: DatanetId, lines: &[&str]) -> ContributionId {
    let payload = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    node.contribute(datanet, payload.into_bytes(), "application/jsonl")
        .await
        .unwrap()
        .contribution
}

/// Waits until `node` sees contribution `id` settle, and returns its lifecycle.
async fn settled(node: &Node, id: ContributionId) -> Lifecycle {
    tokio::time::timeout(SETTLE, async {
        loop {
            if let Ok(Some(l)) = node.lifecycle(id).await {
                if matches!(l.stage, Stage::Accepted | Stage::Rejected) {
                    return l;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the contribution settles")
}

/// Waits until `node` holds `id` in a final batch; returns its epoch.
async fn batched(node: &Node, id: ContributionId) -> u64 {
    tokio::time::timeout(SETTLE, async {
        loop {
            if let Ok(Some(Lifecycle { epoch: Some(e), .. })) = node.lifecycle(id).await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the contribution lands in a final batch")
}

/// The reasons of the rejecting attestations in `lifecycle`.
fn reasons(lifecycle: &Lifecycle) -> Vec<ReasonCode> {
    lifecycle
        .attestations
        .iter()
        .filter(|a| a.body().verdict == Verdict::Reject)
        .map(|a| a.body().reason)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_accept_and_batch_good_data_and_reject_bad_data_with_reasons() {
    let members = validators().await;
    let datanet = datanet(&members).await;
    let good = [
        r#"{"text":"the cat sat","lang":"en"}"#,
        r#"{"text":"le chat","lang":"fr"}"#,
    ];
    let accepted = contribute(members[1].node(), datanet, &good).await;
    let mut epochs = Vec::new();
    let mut roots = Vec::new();
    for member in &members {
        let l = settled(member.node(), accepted).await;
        assert_eq!(l.stage, Stage::Accepted, "{:?}", reasons(&l));
        let epoch = batched(member.node(), accepted).await;
        let batch = member.node().batch(datanet, epoch).await.unwrap().unwrap();
        epochs.push(epoch);
        roots.push(batch.root());
    }
    assert!(epochs.windows(2).all(|w| w[0] == w[1]), "{epochs:?}");
    assert!(
        roots.windows(2).all(|w| w[0] == w[1]),
        "one batch root everywhere"
    );

    let schema_violation = contribute(
        members[2].node(),
        datanet,
        &[
            r#"{"text":"ok","lang":"en"}"#,
            r#"{"text":7,"lang":"english"}"#,
        ],
    )
    .await;
    let duplicate = contribute(members[3].node(), datanet, &good).await;
    let repeating = contribute(
        members[0].node(),
        datanet,
        &[r#"{"text":"new here","lang":"de"}"#, good[0]],
    )
    .await;
    for (id, reason) in [
        (schema_violation, ReasonCode::Schema),
        (duplicate, ReasonCode::Duplicate),
        (repeating, ReasonCode::Duplicate),
    ] {
        for member in &members {
            let l = settled(member.node(), id).await;
            assert_eq!(l.stage, Stage::Rejected);
            let why = reasons(&l);
            assert!(
                why.len() >= 2 && why.iter().all(|r| *r == reason),
                "{why:?}"
            );
            assert!(l.certificate.is_none());
        }
    }
    let message = &members[0]
        .node()
        .lifecycle(schema_violation)
        .await
        .unwrap()
        .unwrap()
        .attestations[0]
        .body()
        .message
        .clone();
    assert!(
        message.contains("line 2"),
        "the failure is quoted: {message}"
    );
    for mut member in members {
        member.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_two_of_four_validators_down_nothing_settles_until_one_returns() {
    let mut members = validators().await;
    let datanet = datanet(&members).await;
    members[2].stop().await;
    members[3].stop().await;
    let id = contribute(
        members[0].node(),
        datanet,
        &[r#"{"text":"quorum please","lang":"en"}"#],
    )
    .await;
    tokio::time::sleep(EPOCH * 4).await;
    for member in &members[..2] {
        let l = member.node().lifecycle(id).await.unwrap().unwrap();
        assert_eq!(l.stage, Stage::Pending);
        assert_eq!(
            l.tally.unwrap().accepting,
            20,
            "both running validators accept"
        );
        assert!(l.certificate.is_none() && l.epoch.is_none());
    }
    members[2].start().await;
    let others: Vec<&Node> = members[..2].iter().map(Member::node).collect();
    connect(members[2].node(), &others).await;
    for member in &members[..3] {
        assert_eq!(settled(member.node(), id).await.stage, Stage::Accepted);
        batched(member.node(), id).await;
    }
    for mut member in members {
        member.stop().await;
    }
}

/// A node that validates nothing, connected to every member: it relays what a test forges.
async fn outsider(members: &[Member]) -> common::TestNode {
    let forger = common::start().await;
    let others: Vec<&Node> = members.iter().map(Member::node).collect();
    connect(&forger.node, &others).await;
    forger
}

/// Waits until `node` holds the datanet record `id`.
async fn until_datanet(node: &Node, id: DatanetId) {
    tokio::time::timeout(SETTLE, async {
        while node.datanet(id).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the datanet record arrives");
}

fn attest(key: &SecretKey, id: ContributionId, accept: bool) -> Attestation {
    let body = if accept {
        AttestationBody::accept(id, key.public())
    } else {
        AttestationBody::reject(id, key.public(), ReasonCode::Schema, "forged")
    };
    Attestation::sign(body, key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_attestations_and_votes_are_dropped_and_cost_their_sender_its_gossip_score() {
    let members = validators().await;
    let datanet = datanet(&members).await;
    let forger = outsider(&members).await;
    until_datanet(&forger.node, datanet).await;
    let id = contribute(
        members[0].node(),
        datanet,
        &[r#"{"text":"hi","lang":"en"}"#],
    )
    .await;
    assert_eq!(settled(members[0].node(), id).await.stage, Stage::Accepted);
    let other_datanet = members[1]
        .node()
        .create_datanet("other", "", Policy::default(), datanet_set(&members))
        .await
        .unwrap()
        .id();
    until_datanet(&forger.node, other_datanet).await;
    let elsewhere = contribute(members[1].node(), other_datanet, &["x"]).await;
    for member in &members {
        settled(member.node(), elsewhere).await;
    }

    let stranger = SecretKey::generate();
    let mut corrupted = attest(&members[2].validator, id, false);
    let body = corrupted.body().clone();
    let mut signature = *corrupted.signature();
    signature.0[5] ^= 1;
    corrupted = Attestation::from_parts(body, signature);
    let vote = |key: &SecretKey, epoch: u64| {
        let body = BatchVoteBody {
            datanet,
            epoch,
            root: datanet_protocol::Hash::default(),
            rewards_root: datanet_protocol::Hash::default(),
            validator: key.public(),
        };
        QuorumMessage::Vote(BatchVote::sign(body, key).unwrap())
    };
    let forgeries = [
        QuorumMessage::Attestation(attest(&stranger, id, false)),
        QuorumMessage::Attestation(corrupted),
        QuorumMessage::Attestation(attest(&members[3].validator, elsewhere, false)),
        vote(&stranger, 0),
        vote(&members[3].validator, 1_000_000),
    ];
    let before: Vec<usize> = {
        let mut counts = Vec::new();
        for member in &members {
            let l = member.node().lifecycle(id).await.unwrap().unwrap();
            counts.push(l.attestations.len());
        }
        counts
    };
    for forgery in &forgeries {
        forger
            .node
            .network()
            .publish_quorum(datanet, forgery)
            .await
            .unwrap();
    }
    let sender = forger.node.peer_id();
    for (member, count) in members.iter().zip(before) {
        tokio::time::timeout(SETTLE, async {
            loop {
                let score = member.node().network().gossip_score(sender).await.unwrap();
                if score.is_some_and(|s| s < 0.0) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the forwarder of forgeries loses gossip score");
        let l = member.node().lifecycle(id).await.unwrap().unwrap();
        assert_eq!(
            l.attestations.len(),
            count,
            "no forged attestation is stored"
        );
        assert!(
            l.equivocators.is_empty(),
            "a forged signature frames no one"
        );
        assert_eq!(l.stage, Stage::Accepted);
        let l = member.node().lifecycle(elsewhere).await.unwrap().unwrap();
        assert!(
            reasons(&l).is_empty(),
            "an attestation on another datanet's topic counts for neither"
        );
    }
    forger.node.shutdown().await;
    for mut member in members {
        member.stop().await;
    }
}

/// The validator set of `members`, each with stake 10.
fn datanet_set(members: &[Member]) -> Option<ValidatorSet> {
    Some(
        ValidatorSet::new(
            members
                .iter()
                .map(|m| Validator {
                    key: m.validator.public(),
                    stake: 10,
                })
                .collect(),
            Threshold::TWO_THIRDS,
        )
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_equivocating_validator_is_kept_as_evidence_and_counts_for_neither_side() {
    let mut members = validators().await;
    let datanet = datanet(&members).await;
    let forger = outsider(&members).await;
    until_datanet(&forger.node, datanet).await;
    members[2].stop().await;
    members[3].stop().await;
    let id = contribute(
        members[0].node(),
        datanet,
        &[r#"{"text":"two-faced","lang":"en"}"#],
    )
    .await;
    tokio::time::timeout(SETTLE, async {
        loop {
            let l = members[0].node().lifecycle(id).await.unwrap().unwrap();
            if l.tally.unwrap().accepting == 20 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the two running validators accept");
    let two_faced = &SecretKey::from_seed(members[3].validator.seed());
    let reject = QuorumMessage::Attestation(attest(two_faced, id, false));
    let publish = |message: QuorumMessage| {
        let network = forger.node.network().clone();
        async move { network.publish_quorum(datanet, &message).await.unwrap() }
    };
    publish(reject).await;
    for member in &members[..2] {
        tokio::time::timeout(SETTLE, async {
            loop {
                let l = member.node().lifecycle(id).await.unwrap().unwrap();
                if l.tally.unwrap().rejecting == 10 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("its rejection arrives first");
    }
    publish(QuorumMessage::Attestation(attest(two_faced, id, true))).await;
    for member in &members[..2] {
        tokio::time::timeout(SETTLE, async {
            loop {
                let l = member.node().lifecycle(id).await.unwrap().unwrap();
                if !l.equivocators.is_empty() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the equivocation is seen");
    }
    tokio::time::sleep(EPOCH * 2).await;
    for member in &members[..2] {
        let l = member.node().lifecycle(id).await.unwrap().unwrap();
        assert_eq!(l.equivocators, vec![two_faced.public()]);
        let tally = l.tally.unwrap();
        assert_eq!(
            (tally.accepting, tally.rejecting, tally.equivocating),
            (20, 0, 10)
        );
        assert_eq!(l.stage, Stage::Pending, "its accept does not make a quorum");
        assert!(l.certificate.is_none());
    }
    let evidence = forger
        .node
        .network()
        .get_attestations(members[0].node().peer_id(), id)
        .await
        .unwrap();
    let signed_by_it: Vec<Verdict> = evidence
        .iter()
        .filter(|a| a.body().validator == two_faced.public())
        .map(|a| a.body().verdict)
        .collect();
    assert_eq!(signed_by_it.len(), 2, "both are served as evidence");
    assert!(signed_by_it.contains(&Verdict::Accept) && signed_by_it.contains(&Verdict::Reject));

    members[2].start().await;
    let others: Vec<&Node> = members[..2].iter().map(Member::node).collect();
    connect(members[2].node(), &others).await;
    let l = settled(members[0].node(), id).await;
    assert_eq!(l.stage, Stage::Accepted);
    let qc = l.certificate.unwrap();
    assert!(qc.signatures.iter().all(|(k, _)| *k != two_faced.public()));
    forger.node.shutdown().await;
    for mut member in members {
        member.stop().await;
    }
}

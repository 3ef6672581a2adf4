//! Tests of batch leaves, proposals, votes, final batches and leader choice.

use super::tests::{equal_set, keys};
use super::*;
use crate::encoding::{Decode, DecodeError, Encode};
use crate::hash::{hash, Domain};
use crate::ids::{ContributionId, DatanetId};
use crate::test_utils::sample_contribution;

fn datanet() -> DatanetId {
    DatanetId(hash(Domain::Datanet, b"batch tests"))
}

/// A set of four equal validators, a QC for each of `n` sample contributions, and the leaves.
fn accepted(
    n: u64,
) -> (
    Vec<SecretKey>,
    ValidatorSet,
    Vec<QuorumCertificate>,
    Vec<BatchLeaf>,
) {
    let k = keys(4);
    let set = equal_set(&k);
    let (mut qcs, mut leaves) = (Vec::new(), Vec::new());
    for nonce in 0..n {
        let manifest = sample_contribution(1, nonce, 3000).manifest;
        let votes: Vec<Attestation> = k
            .iter()
            .map(|v| Attestation::sign(AttestationBody::accept(manifest.id(), v.public()), v))
            .collect::<Result<_, _>>()
            .unwrap();
        let qc = QuorumCertificate::form(&set, manifest.id(), &votes).unwrap();
        leaves.push(BatchLeaf::new(&manifest, &qc));
        qcs.push(qc);
    }
    (k, set, qcs, leaves)
}

fn propose(
    k: &[SecretKey],
    set: &ValidatorSet,
    epoch: u64,
    qcs: Vec<QuorumCertificate>,
    root: Hash,
) -> BatchProposal {
    let leader_key = leader(set, &datanet(), epoch).unwrap();
    let secret = k.iter().find(|s| s.public() == leader_key).unwrap();
    let body = ProposalBody {
        datanet: datanet(),
        epoch,
        validator_set: set.id(),
        leader: leader_key,
        root,
        certificates: qcs,
        attributions: Vec::new(),
        funded: 0,
        payments: Vec::new(),
        rewards_root: Hash::default(),
    };
    BatchProposal::sign(body, secret).unwrap()
}

fn vote(key: &SecretKey, epoch: u64, root: Hash) -> BatchVote {
    let body = BatchVoteBody {
        datanet: datanet(),
        epoch,
        root,
        rewards_root: Hash::default(),
        validator: key.public(),
    };
    BatchVote::sign(body, key).unwrap()
}

#[test]
fn three_of_four_votes_make_a_final_batch_that_verifies_and_round_trips() {
    let (k, set, qcs, leaves) = accepted(3);
    let root = batch_root(&leaves);
    let proposal = propose(&k, &set, 5, qcs, root);
    let votes: Vec<BatchVote> = k[..3].iter().map(|s| vote(s, 5, root)).collect();
    let batch = FinalBatch::form(&set, proposal.clone(), &votes).unwrap();
    batch.verify(&set).unwrap();
    assert_eq!(batch.slot(), (datanet(), 5));
    assert_eq!(batch.root(), root);
    assert_eq!(FinalBatch::from_bytes(&batch.to_bytes()).unwrap(), batch);
    assert!(matches!(
        FinalBatch::form(&set, proposal, &votes[..2]),
        Err(QuorumError::InsufficientStake { have: 20, .. })
    ));
}

#[test]
fn votes_for_another_root_epoch_or_datanet_or_by_strangers_do_not_count() {
    let (k, set, qcs, leaves) = accepted(2);
    let root = batch_root(&leaves);
    let proposal = propose(&k, &set, 5, qcs, root);
    let stranger = SecretKey::from_seed([99; 32]);
    let mut other_datanet = vote(&k[2], 5, root).body().clone();
    other_datanet.datanet = DatanetId(hash(Domain::Datanet, b"other"));
    let votes = vec![
        vote(&k[0], 5, root),
        vote(&k[1], 5, root),
        vote(&k[2], 5, hash(Domain::Node, b"another root")),
        vote(&k[2], 6, root),
        BatchVote::sign(other_datanet, &k[2]).unwrap(),
        vote(&stranger, 5, root),
        BatchVote::from_parts(
            vote(&k[3], 5, root).body().clone(),
            *vote(&k[2], 5, root).signature(),
        ),
    ];
    assert!(FinalBatch::form(&set, proposal, &votes).is_err());
}

#[test]
fn a_final_batch_with_a_tampered_vote_a_wrong_leader_or_a_bad_qc_does_not_verify() {
    let (k, set, qcs, leaves) = accepted(2);
    let root = batch_root(&leaves);
    let votes: Vec<BatchVote> = k[..3].iter().map(|s| vote(s, 5, root)).collect();
    let good = FinalBatch::form(&set, propose(&k, &set, 5, qcs.clone(), root), &votes).unwrap();

    let mut tampered = good.clone();
    tampered.signatures[0].1 = tampered.signatures[1].1;
    assert!(matches!(
        tampered.verify(&set),
        Err(QuorumError::Signature(_))
    ));

    let leader_key = leader(&set, &datanet(), 5).unwrap();
    let usurper = k.iter().find(|s| s.public() != leader_key).unwrap();
    let mut body = good.proposal.body().clone();
    body.leader = usurper.public();
    let usurped = FinalBatch {
        proposal: BatchProposal::sign(body, usurper).unwrap(),
        signatures: good.signatures.clone(),
    };
    assert!(matches!(
        usurped.verify(&set),
        Err(QuorumError::NotLeader(_))
    ));

    let mut weak_qc = qcs.clone();
    weak_qc[0].signatures.truncate(2);
    let weak = FinalBatch::form(&set, propose(&k, &set, 5, weak_qc, root), &votes).unwrap();
    assert!(matches!(
        weak.verify(&set),
        Err(QuorumError::InsufficientStake { .. })
    ));
}

#[test]
fn the_root_commits_to_every_field_of_every_leaf_and_their_order() {
    let (_, _, _, leaves) = accepted(3);
    let root = batch_root(&leaves);
    let mut swapped = leaves.clone();
    swapped.swap(0, 1);
    assert_ne!(batch_root(&swapped), root);
    let edits: [fn(&mut BatchLeaf); 5] = [
        |l| l.contribution = ContributionId(hash(Domain::Contribution, b"x")),
        |l| l.contributor = SecretKey::from_seed([7; 32]).public(),
        |l| l.payload_hash = hash(Domain::Payload, b"x"),
        |l| l.da_roots.push(l.da_roots[0]),
        |l| l.qc_hash = hash(Domain::QuorumCertificate, b"x"),
    ];
    for edit in edits {
        let mut changed = leaves.clone();
        edit(&mut changed[2]);
        assert_ne!(batch_root(&changed), root);
    }
    let leaf = &leaves[0];
    assert_eq!(&BatchLeaf::from_bytes(&leaf.to_bytes()).unwrap(), leaf);
}

#[test]
fn proposals_without_contributions_or_repeating_one_are_refused() {
    let (k, set, qcs, leaves) = accepted(1);
    let root = batch_root(&leaves);
    let leader_key = leader(&set, &datanet(), 1).unwrap();
    let secret = k.iter().find(|s| s.public() == leader_key).unwrap();
    let body = |certificates| ProposalBody {
        datanet: datanet(),
        epoch: 1,
        validator_set: set.id(),
        leader: leader_key,
        root,
        certificates,
        attributions: Vec::new(),
        funded: 0,
        payments: Vec::new(),
        rewards_root: Hash::default(),
    };
    assert!(BatchProposal::sign(body(vec![]), secret).is_err());
    assert!(BatchProposal::sign(body(vec![qcs[0].clone(), qcs[0].clone()]), secret).is_err());
    let repeated = BatchProposal::from_parts(
        body(vec![qcs[0].clone(), qcs[0].clone()]),
        *propose(&k, &set, 1, qcs, root).signature(),
    );
    assert!(matches!(
        BatchProposal::from_bytes(&repeated.to_bytes()),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn leaders_are_drawn_in_proportion_to_stake_and_every_node_draws_the_same() {
    let k = keys(2);
    let set = ValidatorSet::new(
        vec![
            Validator {
                key: k[0].public(),
                stake: 1,
            },
            Validator {
                key: k[1].public(),
                stake: 3,
            },
        ],
        Threshold::TWO_THIRDS,
    )
    .unwrap();
    let epochs = 4000;
    let heavy = (0..epochs)
        .filter(|e| leader(&set, &datanet(), *e) == Some(k[1].public()))
        .count();
    assert!(
        (2800..3200).contains(&heavy),
        "stake 3 of 4 led {heavy} of {epochs} epochs"
    );
    assert_eq!(leader(&set, &datanet(), 17), leader(&set, &datanet(), 17));
}

//! Tests of manifests, attestations, validator sets and quorum certificates.

use super::*;
use crate::codec::CodecId;
use crate::encoding::{Decode, DecodeError, Encode};
use crate::hash::{hash, Domain};
use crate::ids::ContributionId;
use crate::square::ExtendedSquare;
use crate::test_utils::manifest_body;
use crate::{chunking, ChunkId};

pub(super) fn keys(n: u8) -> Vec<SecretKey> {
    (1..=n).map(|i| SecretKey::from_seed([i; 32])).collect()
}

pub(super) fn equal_set(keys: &[SecretKey]) -> ValidatorSet {
    let validators = keys
        .iter()
        .map(|k| Validator {
            key: k.public(),
            stake: 10,
        })
        .collect();
    ValidatorSet::new(validators, Threshold::TWO_THIRDS).unwrap()
}

fn accept(key: &SecretKey, contribution: ContributionId) -> Attestation {
    Attestation::sign(AttestationBody::accept(contribution, key.public()), key).unwrap()
}

fn contribution() -> ContributionId {
    ContributionId(hash(Domain::Contribution, b"c"))
}

#[test]
fn three_of_four_equal_validators_form_a_qc_and_two_do_not() {
    let k = keys(4);
    let set = equal_set(&k);
    let c = contribution();
    let three: Vec<Attestation> = k[..3].iter().map(|v| accept(v, c)).collect();
    let qc = QuorumCertificate::form(&set, c, &three).unwrap();
    assert_eq!(qc.signatures.len(), 3);
    qc.verify(&set).unwrap();
    assert_eq!(QuorumCertificate::from_bytes(&qc.to_bytes()).unwrap(), qc);

    assert!(matches!(
        QuorumCertificate::form(&set, c, &three[..2]),
        Err(QuorumError::InsufficientStake {
            have: 20,
            total: 40,
            ..
        })
    ));
}

#[test]
fn duplicated_and_foreign_signatures_do_not_count() {
    let k = keys(4);
    let set = equal_set(&k);
    let c = contribution();
    let outsider = SecretKey::from_seed([99; 32]);
    let attestations = vec![
        accept(&k[0], c),
        accept(&k[1], c),
        accept(&k[1], c),
        accept(&outsider, c),
    ];
    assert!(matches!(
        QuorumCertificate::form(&set, c, &attestations),
        Err(QuorumError::InsufficientStake { have: 20, .. })
    ));

    let mut forged = QuorumCertificate::form(
        &set,
        c,
        &[accept(&k[0], c), accept(&k[1], c), accept(&k[2], c)],
    )
    .unwrap();
    let mut with_outsider = forged.clone();
    with_outsider.signatures[2] = (
        outsider.public(),
        accept(&outsider, c).signature().to_owned(),
    );
    with_outsider.signatures.sort_by_key(|(key, _)| *key);
    assert!(matches!(
        with_outsider.verify(&set),
        Err(QuorumError::Foreign(_))
    ));

    let mut repeated = forged.clone();
    repeated.signatures[2] = repeated.signatures[1];
    assert_eq!(repeated.verify(&set), Err(QuorumError::Duplicate));
    assert!(QuorumCertificate::from_bytes(&repeated.to_bytes()).is_err());

    forged.signatures[0].1 .0[5] ^= 1;
    assert!(matches!(
        forged.verify(&set),
        Err(QuorumError::Signature(_))
    ));
}

#[test]
fn rejections_and_other_contributions_do_not_count() {
    let k = keys(4);
    let set = equal_set(&k);
    let c = contribution();
    let other = ContributionId(hash(Domain::Contribution, b"other"));
    let reject = Attestation::sign(
        AttestationBody::reject(c, k[2].public(), ReasonCode::Duplicate, "seen before"),
        &k[2],
    )
    .unwrap();
    let attestations = vec![
        accept(&k[0], c),
        accept(&k[1], c),
        reject,
        accept(&k[3], other),
    ];
    assert!(QuorumCertificate::form(&set, c, &attestations).is_err());
}

#[test]
fn stake_weighted_threshold_decides_whether_one_big_validator_suffices() {
    let k = keys(3);
    let validators = vec![
        Validator {
            key: k[0].public(),
            stake: 70,
        },
        Validator {
            key: k[1].public(),
            stake: 20,
        },
        Validator {
            key: k[2].public(),
            stake: 10,
        },
    ];
    let c = contribution();
    let alone = [accept(&k[0], c)];
    let two_thirds = ValidatorSet::new(validators.clone(), Threshold::TWO_THIRDS).unwrap();
    QuorumCertificate::form(&two_thirds, c, &alone)
        .unwrap()
        .verify(&two_thirds)
        .unwrap();
    let three_quarters = ValidatorSet::new(
        validators,
        Threshold {
            numerator: 3,
            denominator: 4,
        },
    )
    .unwrap();
    assert!(QuorumCertificate::form(&three_quarters, c, &alone).is_err());
    let qc = QuorumCertificate::form(&two_thirds, c, &alone).unwrap();
    assert!(matches!(
        qc.verify(&three_quarters),
        Err(QuorumError::WrongSet { .. })
    ));
}

#[test]
fn exactly_two_thirds_of_stake_is_not_a_quorum_and_one_more_vote_is() {
    let k = keys(3);
    let set = equal_set(&k);
    let c = contribution();
    let votes: Vec<Attestation> = k.iter().map(|v| accept(v, c)).collect();
    assert!(matches!(
        QuorumCertificate::form(&set, c, &votes[..2]),
        Err(QuorumError::InsufficientStake {
            have: 20,
            total: 30,
            ..
        })
    ));
    QuorumCertificate::form(&set, c, &votes)
        .unwrap()
        .verify(&set)
        .unwrap();
}

#[test]
fn validator_sets_refuse_bad_shapes() {
    let k = keys(2);
    let v = |i: usize, stake| Validator {
        key: k[i].public(),
        stake,
    };
    assert!(ValidatorSet::new(vec![], Threshold::TWO_THIRDS).is_err());
    assert!(ValidatorSet::new(vec![v(0, 0)], Threshold::TWO_THIRDS).is_err());
    assert!(ValidatorSet::new(vec![v(0, 1), v(0, 2)], Threshold::TWO_THIRDS).is_err());
    assert!(ValidatorSet::new(
        vec![v(0, 1)],
        Threshold {
            numerator: 4,
            denominator: 3
        }
    )
    .is_err());
    assert!(
        ValidatorSet::new(
            vec![v(0, 1)],
            Threshold {
                numerator: 3,
                denominator: 3
            }
        )
        .is_err(),
        "more than all the stake can never be reached"
    );
    let set = ValidatorSet::new(vec![v(1, 5), v(0, 7)], Threshold::TWO_THIRDS).unwrap();
    assert_eq!(ValidatorSet::from_bytes(&set.to_bytes()).unwrap(), set);
}

#[test]
fn attestation_round_trips_and_binds_its_verdict() {
    let key = SecretKey::from_seed([4; 32]);
    let a = accept(&key, contribution());
    a.verify().unwrap();
    let decoded = Attestation::from_bytes(&a.to_bytes()).unwrap();
    assert_eq!(decoded, a);
    let mut body = a.body().clone();
    body.verdict = Verdict::Reject;
    body.reason = ReasonCode::Duplicate;
    assert!(Attestation::from_parts(body, *a.signature())
        .verify()
        .is_err());
    let mut bytes = a.to_bytes();
    bytes[1 + 32 + 32] = 2;
    assert!(matches!(
        Attestation::from_bytes(&bytes),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn signing_with_another_key_is_refused() {
    let key = SecretKey::from_seed([4; 32]);
    let other = SecretKey::from_seed([5; 32]);
    let body = AttestationBody::accept(contribution(), key.public());
    assert!(matches!(
        Attestation::sign(body, &other),
        Err(SignatureError::WrongSigner { .. })
    ));
}

/// A manifest for `payload` signed by `key`.
fn manifest_for(payload: &[u8], key: &SecretKey) -> Manifest {
    let chunks = chunking::chunks(payload)
        .map(|c| ChunkEntry::new(c, &ExtendedSquare::encode(c, CodecId::RsLeopard).unwrap()))
        .collect();
    let body = ManifestBody {
        metadata: vec![
            ("license".into(), "CC-BY-4.0".into()),
            ("source".into(), "test".into()),
        ],
        timestamp_ms: 1_700_000_000_000,
        nonce: 42,
        ..manifest_body(key.public(), payload, chunks)
    };
    Manifest::sign(body, key).unwrap()
}

#[test]
fn manifest_round_trips_and_its_id_covers_the_signature() {
    let key = SecretKey::from_seed([6; 32]);
    let m = manifest_for(&vec![1u8; chunking::MAX_CHUNK_LEN + 1], &key);
    m.verify().unwrap();
    assert_eq!(m.body().chunks.len(), 2);
    assert_eq!(m.body().chunks[1].k, 1);
    let decoded = Manifest::from_bytes(&m.to_bytes()).unwrap();
    assert_eq!(decoded.id(), m.id());
    let mut sig = *m.signature();
    sig.0[0] ^= 1;
    let tampered = Manifest::from_parts(m.body().clone(), sig);
    assert_ne!(tampered.id(), m.id());
    assert!(tampered.verify().is_err());
}

#[test]
fn manifests_breaking_rules_do_not_decode() {
    let key = SecretKey::from_seed([6; 32]);
    let m = manifest_for(b"hello", &key);
    let resign = |f: &dyn Fn(&mut ManifestBody)| {
        let mut body = m.body().clone();
        f(&mut body);
        Manifest::from_parts(body, *m.signature()).to_bytes()
    };
    for bad in [
        resign(&|b| b.payload_len = 9_000_000),
        resign(&|b| b.chunks[0].k = 2),
        resign(&|b| b.metadata.reverse()),
        resign(&|b| b.media_type.clear()),
        resign(&|b| {
            b.chunks.push(ChunkEntry {
                id: ChunkId::of(b""),
                k: 1,
                da_root: b.chunks[0].da_root,
            })
        }),
    ] {
        assert!(Manifest::from_bytes(&bad).is_err());
    }
}

#[test]
fn a_manifest_lists_at_most_max_chunks_chunks_so_at_most_4_gib() {
    assert_eq!(MAX_CONTRIBUTION_BYTES, 4 << 30);
    let key = SecretKey::from_seed([6; 32]);
    let full = ChunkEntry {
        id: ChunkId::of(b"full"),
        k: 128,
        da_root: Default::default(),
    };
    let listing = |payload_len: u64, chunks: Vec<ChunkEntry>| ManifestBody {
        payload_len,
        ..manifest_body(key.public(), b"", chunks)
    };
    let largest = Manifest::sign(
        listing(MAX_CONTRIBUTION_BYTES, vec![full; MAX_CHUNKS]),
        &key,
    )
    .unwrap();
    assert_eq!(Manifest::from_bytes(&largest.to_bytes()).unwrap(), largest);

    let mut chunks = vec![full; MAX_CHUNKS];
    chunks.push(ChunkEntry { k: 1, ..full });
    let over = listing(MAX_CONTRIBUTION_BYTES + 1, chunks);
    assert!(matches!(
        over.validate(),
        Err(ManifestError::ChunkCount { got, .. }) if got == MAX_CHUNKS + 1
    ));
    let unsigned = Manifest::from_parts(over, *largest.signature());
    assert!(Manifest::from_bytes(&unsigned.to_bytes()).is_err());
}

#[test]
fn datanet_record_round_trips_and_its_id_is_its_hash() {
    let owner = SecretKey::from_seed([8; 32]);
    let body = DatanetBody {
        name: "medical-qa".into(),
        description: "question and answer pairs".into(),
        owner: owner.public(),
        policy: Policy {
            media_types: vec!["application/jsonl".into()],
            ..Policy::default()
        },
        validators: Some(equal_set(&keys(3))),
        created_ms: 1,
        nonce: 2,
    };
    let datanet = Datanet::sign(body.clone(), &owner).unwrap();
    datanet.verify().unwrap();
    let decoded = Datanet::from_bytes(&datanet.to_bytes()).unwrap();
    assert_eq!(decoded.id(), datanet.id());
    let mut nameless = body;
    nameless.name.clear();
    let unsigned = Datanet::from_parts(nameless, *datanet.signature());
    assert!(Datanet::from_bytes(&unsigned.to_bytes()).is_err());
}

#[test]
fn small_order_keys_are_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(PublicKey::from_bytes(&identity).is_err());
    assert!(PublicKey::decode_from(&mut crate::encoding::Reader::new(&identity)).is_err());
}

#[test]
fn invalid_bodies_are_not_signed() {
    let key = SecretKey::from_seed([6; 32]);
    let mut body = manifest_for(b"x", &key).body().clone();
    body.media_type.clear();
    assert!(matches!(
        Manifest::sign(body, &key),
        Err(SignatureError::InvalidBody(_))
    ));
    let mut rejecting_ok = AttestationBody::accept(contribution(), key.public());
    rejecting_ok.verdict = Verdict::Reject;
    assert!(matches!(
        Attestation::sign(rejecting_ok, &key),
        Err(SignatureError::InvalidBody(_))
    ));
    let mut accepting_with_a_message = AttestationBody::accept(contribution(), key.public());
    accepting_with_a_message.message = "fine".into();
    assert!(matches!(
        Attestation::sign(accepting_with_a_message, &key),
        Err(SignatureError::InvalidBody(_))
    ));
    let long = "é".repeat(MAX_ATTESTATION_MESSAGE);
    let cut = AttestationBody::reject(contribution(), key.public(), ReasonCode::Schema, &long);
    assert_eq!(cut.message.len(), MAX_ATTESTATION_MESSAGE);
    let signed = Attestation::sign(cut, &key).unwrap();
    assert_eq!(Attestation::from_bytes(&signed.to_bytes()).unwrap(), signed);
}

//! Every decoder of peer-supplied bytes is total and canonical: arbitrary or mutated input
//! yields a value or an error (never a panic), and any value decoded re-encodes to exactly the
//! bytes it came from.

#![allow(clippy::unwrap_used)]

use datanet_protocol::encoding::{Decode, Encode};
use datanet_protocol::fraud::BadEncodingProof;
use datanet_protocol::signed::{ChunkEntry, Threshold, Validator};
use datanet_protocol::test_utils::{manifest_body, mis_encoded_square, Fault};
use datanet_protocol::{
    Attestation, AttestationBody, CodecId, ContributionId, ExtendedSquare, Hash, Line, Manifest,
    ManifestBody, QuorumCertificate, SecretKey, ShareProof, SquareHeader, ValidatorSet,
};
use proptest::prelude::*;

/// Decodes `bytes` as `T`; if that succeeds, re-encoding must give the same bytes.
fn check<T: Decode + Encode>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(value) = T::from_bytes(bytes) {
        prop_assert_eq!(value.to_bytes(), bytes);
    }
    Ok(())
}

fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    check::<ShareProof>(bytes)?;
    check::<Line>(bytes)?;
    check::<SquareHeader>(bytes)?;
    check::<BadEncodingProof>(bytes)?;
    check::<Manifest>(bytes)?;
    check::<Attestation>(bytes)?;
    check::<QuorumCertificate>(bytes)?;
    check::<ValidatorSet>(bytes)?;
    check::<datanet_protocol::Datanet>(bytes)?;
    Ok(())
}

/// A fraud proof against a square whose share (0, 2) was altered after extension.
fn fraud_proof() -> BadEncodingProof {
    let good = ExtendedSquare::encode(&[9u8; 3000], CodecId::RsVandermonde).unwrap();
    let bad = mis_encoded_square(&good, Fault::Share { row: 0, col: 2 });
    let columns: Vec<Line> = [0, 1, 3, 4]
        .iter()
        .map(|c| bad.column(*c).unwrap())
        .collect();
    match ExtendedSquare::reconstruct(&bad.header(), &columns) {
        Err(datanet_protocol::SquareError::BadEncoding(proof)) => *proof,
        other => panic!("expected a fraud proof, got {other:?}"),
    }
}

/// Valid encodings of every decodable type, as seeds for mutation.
fn seeds() -> Vec<Vec<u8>> {
    let chunk = [7u8; 3000];
    let square = ExtendedSquare::encode(&chunk, CodecId::RsLeopard).unwrap();
    let key = SecretKey::from_seed([3; 32]);
    let contribution = ContributionId(Hash([1; 32]));
    let attestation =
        Attestation::sign(AttestationBody::accept(contribution, key.public()), &key).unwrap();
    let set = ValidatorSet::new(
        vec![Validator {
            key: key.public(),
            stake: 1,
        }],
        Threshold::TWO_THIRDS,
    )
    .unwrap();
    let qc =
        QuorumCertificate::form(&set, contribution, std::slice::from_ref(&attestation)).unwrap();
    let manifest = Manifest::sign(
        ManifestBody {
            metadata: vec![("k".into(), "v".into())],
            ..manifest_body(key.public(), &chunk, vec![ChunkEntry::new(&chunk, &square)])
        },
        &key,
    )
    .unwrap();
    let datanet = datanet_protocol::Datanet::sign(
        datanet_protocol::DatanetBody {
            name: "n".into(),
            description: "d".into(),
            owner: key.public(),
            policy: Default::default(),
            validators: Some(set.clone()),
            created_ms: 1,
            nonce: 1,
        },
        &key,
    )
    .unwrap();
    vec![
        datanet.to_bytes(),
        fraud_proof().to_bytes(),
        square.share_proof(1, 2).unwrap().to_bytes(),
        square.column(3).unwrap().to_bytes(),
        square.header().to_bytes(),
        manifest.to_bytes(),
        attestation.to_bytes(),
        qc.to_bytes(),
        set.to_bytes(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_all(&bytes)?;
    }

    #[test]
    fn mutated_valid_encodings_never_panic(
        pick in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[pick.index(seeds.len())].clone();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        check_all(&bytes)?;
    }
}

#[test]
fn every_seed_decodes_to_itself() {
    for seed in seeds() {
        check_all(&seed).unwrap();
    }
    let seeds = seeds();
    assert!(datanet_protocol::Datanet::from_bytes(&seeds[0]).is_ok());
    assert!(BadEncodingProof::from_bytes(&seeds[1]).is_ok());
    assert!(ShareProof::from_bytes(&seeds[2]).is_ok());
    assert!(Line::from_bytes(&seeds[3]).is_ok());
    assert!(SquareHeader::from_bytes(&seeds[4]).is_ok());
    assert!(Manifest::from_bytes(&seeds[5]).is_ok());
    assert!(Attestation::from_bytes(&seeds[6]).is_ok());
    assert!(QuorumCertificate::from_bytes(&seeds[7]).is_ok());
    assert!(ValidatorSet::from_bytes(&seeds[8]).is_ok());
}

#[test]
fn a_huge_declared_length_allocates_nothing() {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&[1, 0, 2, 0, 0, 0x0b, 0xb8]);
    bytes.push(1);
    bytes.extend_from_slice(&[0, 3]);
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(Line::from_bytes(&bytes).is_err());
}

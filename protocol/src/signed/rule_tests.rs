//! The signature rule (docs/protocol.md 6.2): which keys decode, which signatures verify, and
//! that single and batch verification agree on every input, including the edge cases where
//! Ed25519 verifiers differ. The vectors are listed in docs/protocol.md 13.4.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;
use sha2::{Digest, Sha512};

use super::tests::{equal_set, keys};
use super::*;
use crate::encoding::{Decode, DecodeError, Encode};
use crate::hash::{hash, Domain, Hash};
use crate::ids::ContributionId;

/// `seed(1)`'s public key (13.3).
const KEY: &str = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
/// The message of every signature vector: the manifest signing hash of 13.3.
const MESSAGE: &str = "ae604818e020564065730a051f337d16764705c0c64a5161f15691f6782f55d6";

/// Every point of small order, canonically encoded; the identity is the third.
const SMALL_ORDER_KEYS: [&str; 8] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/// Non-canonical encodings of curve points: `y = p`, `y = p + 1` (the identity), `y = p + 3`
/// and `y = p + 18` (points of large order, whose canonical encodings have `y = 3` and
/// `y = 18`), and `x = 0` with the sign bit set (the identity and the point of order 2).
const NON_CANONICAL_KEYS: [&str; 6] = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/// `y = 2` is not the `y` of any curve point.
const NOT_A_POINT: &str = "0200000000000000000000000000000000000000000000000000000000000000";

/// Signatures by [`KEY`] over [`MESSAGE`], each with the verdict of the rule.
const SIGNATURES: [(&str, &str, bool); 5] = [
    (
        "valid (RFC 8032 signing)",
        "ad3c3aedac7e6247acee380ad0a0d6bf5f946484d9e0b11bc007d94c6ea8062f\
         028a5c4b22ee1e6fb5ba3e19cc61617f5ba4ed321f709f67a491f551dadfd20e",
        true,
    ),
    (
        "small-order R (a point of order 8), S = h·a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a\
         614fb6a58240e811da14a86aeb82e342ac68d12997fa1bcc1c48cd00cc47f207",
        true,
    ),
    (
        "mixed-order R = [r]B + the point of order 2, S = r + h·a",
        "40c3c51253819db85311c7f52f5f2940a06b9b7b261f4ee43ff826b39157f9d0\
         c3c0ddb93ebfeb25bac63444d1c28963472dee4c63bce2e372b3ac412ef8110a",
        true,
    ),
    (
        "non-canonical R (the identity as y = p + 1), S = h·a",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f\
         5aceba9490464f3942dfaf19ad36f5378f4418b6616c77c8fc640d201d49d60f",
        true,
    ),
    (
        "non-canonical S: the valid signature's S + L",
        "ad3c3aedac7e6247acee380ad0a0d6bf5f946484d9e0b11bc007d94c6ea8062f\
         ef5d52a83c5131c78b5736bcaa5b40945ba4ed321f709f67a491f551dadfd21e",
        false,
    ),
];

/// The group order `L`, little-endian.
const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(hex_text, &mut out).unwrap();
    out
}

fn message() -> Hash {
    Hash(bytes(MESSAGE))
}

/// Verdicts of verification alone, of a batch of one, and of a batch with `others` (each
/// batch checked `rounds` times, since its coefficients are random).
fn verdicts(
    item: (Hash, Signature, PublicKey),
    others: &[(Hash, Signature, PublicKey)],
    rounds: usize,
) -> Vec<bool> {
    let (m, s, k) = item;
    let mut mixed = others.to_vec();
    mixed.insert(others.len() / 2, item);
    let mut out = vec![k.verify(&m, &s).is_ok()];
    for _ in 0..rounds {
        out.push(verify_batch(&[item]).is_ok());
        out.push(verify_batch(&mixed).is_ok());
    }
    out
}

/// Valid signatures by `n` keys other than [`KEY`]'s.
fn valid_items(n: u8) -> Vec<(Hash, Signature, PublicKey)> {
    (0..n)
        .map(|i| {
            let key = SecretKey::from_seed([100 + i; 32]);
            let m = hash(Domain::Attestation, &[i]);
            (m, key.sign(&m), key.public())
        })
        .collect()
}

/// A signature by the holder of `seed` over `message` with `R` encoded as `r_bytes`, where
/// `[8]R = [8][r]B`: `S = r + h·a`, `h` hashed over `r_bytes`. It passes the cofactored
/// equation whatever small-order part `R` has.
fn signed_with_r(seed: [u8; 32], r: Scalar, r_bytes: [u8; 32], message: &Hash) -> Signature {
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let h = Scalar::from_hash(
        Sha512::new()
            .chain_update(r_bytes)
            .chain_update(key.verifying_key().to_bytes())
            .chain_update(message.0),
    );
    let s = r + h * key.to_scalar();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&r_bytes);
    out[32..].copy_from_slice(s.as_bytes());
    Signature(out)
}

/// `S + L`, which is `S` modulo `L` but not a canonical scalar.
fn s_plus_order(signature: &Signature) -> Signature {
    let mut out = *signature;
    let mut carry = 0u16;
    for (byte, l) in out.0[32..].iter_mut().zip(ORDER) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    out
}

#[test]
fn keys_decode_only_as_canonical_points_of_large_order() {
    let mut cases: Vec<(&str, InvalidPublicKey)> = SMALL_ORDER_KEYS
        .iter()
        .map(|k| (*k, InvalidPublicKey::SmallOrder))
        .collect();
    cases.extend(
        NON_CANONICAL_KEYS
            .iter()
            .map(|k| (*k, InvalidPublicKey::NonCanonical)),
    );
    cases.push((NOT_A_POINT, InvalidPublicKey::NotAPoint));
    for (text, reason) in cases {
        let raw: [u8; 32] = bytes(text);
        assert_eq!(PublicKey::from_bytes(&raw), Err(reason), "{text}");
        assert_eq!(
            text.parse::<PublicKey>(),
            Err(ParsePublicKeyError::Key {
                text: text.to_owned(),
                reason
            })
        );
        assert!(matches!(
            <PublicKey as Decode>::from_bytes(&raw),
            Err(DecodeError::Invalid { .. })
        ));
        let mut validator = raw.to_vec();
        validator.extend(1u64.to_be_bytes());
        assert!(Validator::from_bytes(&validator).is_err(), "{text}");
    }
    let key: PublicKey = KEY.parse().unwrap();
    assert_eq!(key, SecretKey::from_seed([1; 32]).public());
    assert_eq!(
        <PublicKey as Decode>::from_bytes(&bytes::<32>(KEY)).unwrap(),
        key
    );
}

#[test]
fn a_small_order_key_is_refused_because_it_accepts_a_forgery() {
    let identity: [u8; 32] = bytes(SMALL_ORDER_KEYS[2]);
    let mut forgery = [0u8; 64];
    forgery[..32].copy_from_slice(&identity);
    let signature = ed25519_zebra::Signature::from_bytes(&forgery);
    let verifier = ed25519_zebra::VerificationKey::try_from(identity).unwrap();
    for text in [&b"any"[..], b"message"] {
        assert!(verifier.verify(&signature, text).is_ok());
    }
    assert_eq!(
        PublicKey::from_bytes(&identity),
        Err(InvalidPublicKey::SmallOrder)
    );
}

#[test]
fn signature_vectors_get_one_verdict_alone_and_in_any_batch() {
    let key: PublicKey = KEY.parse().unwrap();
    let others = valid_items(63);
    for (name, hex_text, accepted) in SIGNATURES {
        let item = (message(), Signature(bytes(hex_text)), key);
        let verdicts = verdicts(item, &others, 16);
        assert!(
            verdicts.iter().all(|v| *v == accepted),
            "{name}: {verdicts:?}"
        );
    }
}

#[test]
fn signature_vectors_are_what_their_names_say() {
    let seed = [1u8; 32];
    let m = message();
    let [valid, small_r, mixed_r, non_canonical_r, non_canonical_s] =
        SIGNATURES.map(|(_, hex_text, _)| Signature(bytes::<64>(hex_text)));
    assert_eq!(SecretKey::from_seed(seed).sign(&m), valid);
    let order_8 = EIGHT_TORSION[1];
    assert_eq!(
        signed_with_r(seed, Scalar::ZERO, order_8.compress().to_bytes(), &m),
        small_r
    );
    assert_eq!(small_r.0[..32], bytes::<32>(SMALL_ORDER_KEYS[5]));
    let prefix = &Sha512::digest(seed)[32..];
    let r = Scalar::from_hash(Sha512::new().chain_update(prefix).chain_update(m.0));
    let order_2 = EIGHT_TORSION[4];
    let mixed = ED25519_BASEPOINT_POINT * r + order_2;
    assert!(!mixed.is_small_order() && !mixed.is_torsion_free());
    assert_eq!(
        signed_with_r(seed, r, mixed.compress().to_bytes(), &m),
        mixed_r
    );
    let identity_y_p_plus_1: [u8; 32] = bytes(NON_CANONICAL_KEYS[1]);
    assert_eq!(
        signed_with_r(seed, Scalar::ZERO, identity_y_p_plus_1, &m),
        non_canonical_r
    );
    assert_eq!(s_plus_order(&valid), non_canonical_s);
}

/// A change to a validly signed signature.
#[derive(Debug, Clone)]
enum Mutation {
    /// One bit of the 64 bytes flipped (invalid).
    Flip(usize),
    /// `R = [r]B + EIGHT_TORSION[i]`, signed by the key's holder (valid).
    Torsion(usize, [u8; 32]),
    /// `S + L` (invalid).
    SPlusOrder,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..512usize).prop_map(Mutation::Flip),
        (0..8usize, any::<[u8; 32]>()).prop_map(|(i, r)| Mutation::Torsion(i, r)),
        Just(Mutation::SPlusOrder),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn single_and_batch_verification_agree_on_mutated_signatures(
        seed in any::<[u8; 32]>(),
        text in any::<[u8; 8]>(),
        mutation in mutation(),
    ) {
        let key = SecretKey::from_seed(seed);
        let m = hash(Domain::Attestation, &text);
        let (signature, accepted) = match mutation {
            Mutation::Flip(bit) => {
                let mut s = key.sign(&m);
                s.0[bit / 8] ^= 1 << (bit % 8);
                (s, false)
            }
            Mutation::Torsion(i, r) => {
                let r = Scalar::from_bytes_mod_order(r);
                let point: EdwardsPoint = ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[i];
                (signed_with_r(seed, r, point.compress().to_bytes(), &m), true)
            }
            Mutation::SPlusOrder => (s_plus_order(&key.sign(&m)), false),
        };
        let verdicts = verdicts((m, signature, key.public()), &valid_items(7), 4);
        prop_assert!(verdicts.iter().all(|v| *v == accepted), "{:?}", verdicts);
    }
}

#[test]
fn formation_and_verification_of_a_qc_agree_whatever_r_a_validator_signs_with() {
    let keys = keys(4);
    let set = equal_set(&keys);
    let c = ContributionId(hash(Domain::Contribution, b"c"));
    let accept = |i: usize| {
        Attestation::sign(AttestationBody::accept(c, keys[i].public()), &keys[i]).unwrap()
    };
    let body = AttestationBody::accept(c, keys[0].public());
    let m = Attestation::signing_hash(&body);
    let r = Scalar::from_bytes_mod_order([9; 32]);
    let mixed_r = ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[4];
    let torsioned = Attestation::from_parts(
        body.clone(),
        signed_with_r([1; 32], r, mixed_r.compress().to_bytes(), &m),
    );

    let qc = QuorumCertificate::form(&set, c, &[torsioned, accept(1), accept(2)]).unwrap();
    assert_eq!(qc.signatures.len(), 3);
    let decoded = QuorumCertificate::from_bytes(&qc.to_bytes()).unwrap();
    for _ in 0..32 {
        decoded.verify(&set).unwrap();
    }

    let unreduced = Attestation::from_parts(body, s_plus_order(&keys[0].sign(&m)));
    assert!(matches!(
        QuorumCertificate::form(&set, c, &[unreduced.clone(), accept(1), accept(2)]),
        Err(QuorumError::InsufficientStake { have: 20, .. })
    ));
    let later = [unreduced.clone(), accept(1), accept(2), accept(0)];
    let later = QuorumCertificate::form(&set, c, &later).unwrap();
    assert!(later
        .signatures
        .contains(&(keys[0].public(), *accept(0).signature())));

    let mut carrying = qc.clone();
    for entry in &mut carrying.signatures {
        if entry.0 == keys[0].public() {
            entry.1 = *unreduced.signature();
        }
    }
    for _ in 0..32 {
        assert!(matches!(
            carrying.verify(&set),
            Err(QuorumError::Signature(SignatureError::Batch(3)))
        ));
    }
}

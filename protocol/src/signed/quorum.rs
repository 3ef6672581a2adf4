//! Validator sets with stake, and quorum certificates: the accepting attestations of validators
//! holding more than the threshold of the set's stake.

use std::collections::BTreeMap;

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::ContributionId;

use super::{
    verify_batch, Attestation, AttestationBody, PublicKey, Signature, SignatureError, Signed,
    Verdict,
};

/// The most validators in one set.
pub const MAX_VALIDATORS: usize = 1024;

/// A fraction of stake, `numerator / denominator` with `0 < numerator < denominator`: a quorum
/// holds **more than** that fraction of the set's stake (more than 2/3 by default, so that two
/// quorums always share more than 1/3 of the stake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threshold {
    /// The numerator.
    pub numerator: u32,
    /// The denominator.
    pub denominator: u32,
}

impl Threshold {
    /// Two thirds, the default.
    pub const TWO_THIRDS: Threshold = Threshold {
        numerator: 2,
        denominator: 3,
    };

    /// Whether `part` of `total` stake is more than the threshold's fraction.
    pub fn reached(&self, part: u128, total: u128) -> bool {
        part * u128::from(self.denominator) > total * u128::from(self.numerator)
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::TWO_THIRDS
    }
}

/// One validator: its attestation key and its stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validator {
    /// The key that signs its attestations.
    pub key: PublicKey,
    /// Its stake, greater than zero.
    pub stake: u64,
}

impl Encode for Validator {
    fn encode_to(&self, out: &mut Writer) {
        self.key.encode_to(out);
        out.u64(self.stake);
    }
}

impl Decode for Validator {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Validator {
            key: PublicKey::decode_from(r)?,
            stake: r.u64("stake")?,
        })
    }
}

/// Why a set or a certificate is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuorumError {
    /// The set is empty, has a zero stake, repeats a key, or has a bad threshold.
    #[error("invalid validator set: {0}")]
    InvalidSet(String),
    /// The certificate is for another validator set.
    #[error("certificate is for validator set {got}, not {expected}")]
    WrongSet {
        /// This set's id.
        expected: Hash,
        /// The certificate's set id.
        got: Hash,
    },
    /// A signer is not in the set.
    #[error("{0} is not a validator of this set")]
    Foreign(PublicKey),
    /// A batch proposal is signed by a validator that does not lead its epoch.
    #[error("{0} does not lead this epoch")]
    NotLeader(PublicKey),
    /// Signers are repeated or out of order.
    #[error("signers must be distinct and in ascending key order")]
    Duplicate,
    /// A signature is invalid.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The signers' stake is below the threshold.
    #[error("signers hold {have} of {total} stake; the threshold is {numerator}/{denominator}")]
    InsufficientStake {
        /// Stake of valid signers.
        have: u128,
        /// Stake of the whole set.
        total: u128,
        /// Threshold numerator.
        numerator: u32,
        /// Threshold denominator.
        denominator: u32,
    },
}

/// The validators a datanet uses and the stake threshold of its quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: BTreeMap<PublicKey, u64>,
    threshold: Threshold,
}

impl ValidatorSet {
    /// A set of distinct validators with positive stake.
    ///
    /// # Errors
    /// [`QuorumError::InvalidSet`].
    pub fn new(validators: Vec<Validator>, threshold: Threshold) -> Result<Self, QuorumError> {
        if threshold.numerator == 0 || threshold.numerator >= threshold.denominator {
            return Err(QuorumError::InvalidSet(format!(
                "threshold {}/{} is not in (0, 1)",
                threshold.numerator, threshold.denominator
            )));
        }
        if validators.is_empty() || validators.len() > MAX_VALIDATORS {
            return Err(QuorumError::InvalidSet(format!(
                "{} validators; 1..={MAX_VALIDATORS} allowed",
                validators.len()
            )));
        }
        let mut map = BTreeMap::new();
        for v in validators {
            if v.stake == 0 {
                return Err(QuorumError::InvalidSet(format!("{} has zero stake", v.key)));
            }
            if map.insert(v.key, v.stake).is_some() {
                return Err(QuorumError::InvalidSet(format!("{} appears twice", v.key)));
            }
        }
        Ok(ValidatorSet {
            validators: map,
            threshold,
        })
    }

    /// The set's id: the hash of its encoding.
    pub fn id(&self) -> Hash {
        hash(Domain::ValidatorSet, &self.to_bytes())
    }

    /// The quorum threshold.
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// The stake of `key`, if it is a validator.
    pub fn stake(&self, key: &PublicKey) -> Option<u64> {
        self.validators.get(key).copied()
    }

    /// The sum of every validator's stake.
    pub fn total_stake(&self) -> u128 {
        self.validators.values().map(|s| u128::from(*s)).sum()
    }

    /// The validators in ascending key order.
    pub fn validators(&self) -> impl Iterator<Item = Validator> + '_ {
        self.validators.iter().map(|(key, stake)| Validator {
            key: *key,
            stake: *stake,
        })
    }

    pub(super) fn check_stake(&self, have: u128) -> Result<(), QuorumError> {
        let total = self.total_stake();
        if self.threshold.reached(have, total) {
            Ok(())
        } else {
            Err(QuorumError::InsufficientStake {
                have,
                total,
                numerator: self.threshold.numerator,
                denominator: self.threshold.denominator,
            })
        }
    }
}

impl Encode for ValidatorSet {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        out.u32(self.threshold.numerator);
        out.u32(self.threshold.denominator);
        let validators: Vec<Validator> = self.validators().collect();
        out.list(&validators);
    }
}

impl Decode for ValidatorSet {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("validator set version")?;
        let threshold = Threshold {
            numerator: r.u32("threshold numerator")?,
            denominator: r.u32("threshold denominator")?,
        };
        let validators: Vec<Validator> = r.list(MAX_VALIDATORS, "validators")?;
        if validators.windows(2).any(|w| w[0].key >= w[1].key) {
            return Err(DecodeError::invalid(
                "validator set",
                "keys must be strictly ascending",
            ));
        }
        ValidatorSet::new(validators, threshold)
            .map_err(|e| DecodeError::invalid("validator set", e.to_string()))
    }
}

/// Accepting attestations on one contribution by validators holding the quorum of stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumCertificate {
    /// The contribution accepted.
    pub contribution: ContributionId,
    /// The id of the validator set that signed.
    pub validator_set: Hash,
    /// `(validator, signature)` over the accepting attestation, ascending by key.
    pub signatures: Vec<(PublicKey, Signature)>,
}

impl QuorumCertificate {
    /// Forms a certificate from the valid accepting attestations for `contribution` by
    /// distinct validators of `set`. Attestations that are rejecting, for another
    /// contribution, by a non-member, repeated, or wrongly signed do not count; the
    /// first validly signed one of each validator does. The signatures are checked with
    /// [`verify_batch`], as [`QuorumCertificate::verify`] checks them, and one by one only
    /// when the batch fails, to find the invalid ones.
    ///
    /// # Errors
    /// [`QuorumError::InsufficientStake`] when the counted stake is below the threshold.
    pub fn form(
        set: &ValidatorSet,
        contribution: ContributionId,
        attestations: &[Attestation],
    ) -> Result<Self, QuorumError> {
        let items: Vec<_> = attestations
            .iter()
            .filter(|a| {
                let body = a.body();
                body.verdict == Verdict::Accept
                    && body.contribution == contribution
                    && set.stake(&body.validator).is_some()
            })
            .map(Attestation::batch_item)
            .collect();
        let all_valid = verify_batch(&items).is_ok();
        let mut counted: BTreeMap<PublicKey, Signature> = BTreeMap::new();
        for (message, signature, key) in &items {
            if !counted.contains_key(key) && (all_valid || key.verify(message, signature).is_ok()) {
                counted.insert(*key, *signature);
            }
        }
        let have = counted
            .keys()
            .filter_map(|k| set.stake(k))
            .map(u128::from)
            .sum();
        set.check_stake(have)?;
        Ok(QuorumCertificate {
            contribution,
            validator_set: set.id(),
            signatures: counted.into_iter().collect(),
        })
    }

    /// Checks the certificate against `set`: every signer distinct and a member, every
    /// signature valid (verified as one batch), and their stake at the threshold.
    ///
    /// # Errors
    /// Any [`QuorumError`].
    pub fn verify(&self, set: &ValidatorSet) -> Result<(), QuorumError> {
        if self.validator_set != set.id() {
            return Err(QuorumError::WrongSet {
                expected: set.id(),
                got: self.validator_set,
            });
        }
        if self.signatures.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(QuorumError::Duplicate);
        }
        let mut have = 0u128;
        let mut batch = Vec::with_capacity(self.signatures.len());
        for (key, signature) in &self.signatures {
            have += u128::from(set.stake(key).ok_or(QuorumError::Foreign(*key))?);
            let body = AttestationBody::accept(self.contribution, *key);
            batch.push((Signed::signing_hash(&body), *signature, *key));
        }
        set.check_stake(have)?;
        verify_batch(&batch)?;
        Ok(())
    }

    /// The certificate's hash, as committed in epoch batches.
    pub fn hash(&self) -> Hash {
        hash(Domain::QuorumCertificate, &self.to_bytes())
    }
}

impl Encode for QuorumCertificate {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.contribution.encode_to(out);
        out.hash(&self.validator_set);
        encode_signers(out, &self.signatures);
    }
}

/// Writes `(key, signature)` pairs as a `u32` count and 96 bytes each, as certificates and
/// final batches carry them.
pub(super) fn encode_signers(out: &mut Writer, signers: &[(PublicKey, Signature)]) {
    out.u32(signers.len() as u32);
    for (key, signature) in signers {
        key.encode_to(out);
        signature.encode_to(out);
    }
}

/// Reads what [`encode_signers`] writes: at most [`MAX_VALIDATORS`] pairs, keys strictly
/// ascending (`Invalid` in `context` otherwise).
pub(super) fn decode_signers(
    r: &mut Reader<'_>,
    context: &'static str,
) -> Result<Vec<(PublicKey, Signature)>, DecodeError> {
    let count = r.len(MAX_VALIDATORS, "signatures")?;
    let mut signers = Vec::with_capacity(count.min(r.remaining() / 96));
    for _ in 0..count {
        signers.push((PublicKey::decode_from(r)?, Signature::decode_from(r)?));
    }
    if signers.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(DecodeError::invalid(
            context,
            "signers must be strictly ascending",
        ));
    }
    Ok(signers)
}

impl Decode for QuorumCertificate {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("quorum certificate version")?;
        let contribution = ContributionId::decode_from(r)?;
        let validator_set = r.hash("validator set id")?;
        let signatures = decode_signers(r, "quorum certificate")?;
        Ok(QuorumCertificate {
            contribution,
            validator_set,
            signatures,
        })
    }
}

//! Where a contribution stands with its validators: the stake accepting and rejecting it, and
//! whether that settles it. Accepted once accepting stake passes the threshold; rejected once
//! it no longer can, because the stake rejecting it or caught equivocating on it leaves too
//! little; pending otherwise. An equivocating validator counts for neither side.

use std::collections::BTreeSet;

use super::{Attestation, PublicKey, Threshold, ValidatorSet, Verdict};

/// The stake behind each side of one contribution's attestations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Stake of the members that accept it.
    pub accepting: u128,
    /// Stake of the members that reject it.
    pub rejecting: u128,
    /// Stake of the members that signed both ways: it counts for neither.
    pub equivocating: u128,
    /// Stake of the whole set.
    pub total: u128,
    /// The set's threshold.
    pub threshold: Threshold,
}

/// What a tally settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Neither side has settled it yet.
    Pending,
    /// Accepting stake is past the threshold: a QC can form.
    Accepted,
    /// Accepting stake can no longer pass the threshold.
    Rejected,
}

impl Tally {
    /// Tallies `attestations` (signatures already verified) on one contribution under `set`:
    /// the first attestation of each member counts, non-members do not, and members in
    /// `equivocators` count for neither side.
    pub fn of(
        set: &ValidatorSet,
        attestations: &[Attestation],
        equivocators: &BTreeSet<PublicKey>,
    ) -> Self {
        let mut tally = Tally {
            accepting: 0,
            rejecting: 0,
            equivocating: 0,
            total: set.total_stake(),
            threshold: set.threshold(),
        };
        for key in equivocators {
            tally.equivocating += set.stake(key).map_or(0, u128::from);
        }
        let mut counted = BTreeSet::new();
        for attestation in attestations {
            let body = attestation.body();
            let Some(stake) = set.stake(&body.validator) else {
                continue;
            };
            if equivocators.contains(&body.validator) || !counted.insert(body.validator) {
                continue;
            }
            match body.verdict {
                Verdict::Accept => tally.accepting += u128::from(stake),
                Verdict::Reject => tally.rejecting += u128::from(stake),
            }
        }
        tally
    }

    /// What the tally settles.
    pub fn standing(&self) -> Standing {
        if self.threshold.reached(self.accepting, self.total) {
            return Standing::Accepted;
        }
        let still_open = self.total - self.rejecting - self.equivocating;
        if self.threshold.reached(still_open, self.total) {
            Standing::Pending
        } else {
            Standing::Rejected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{equal_set, keys};
    use super::super::{AttestationBody, ReasonCode, SecretKey};
    use super::*;
    use crate::hash::{hash, Domain};
    use crate::ContributionId;

    fn vote(key: &SecretKey, accept: bool) -> Attestation {
        let c = ContributionId(hash(Domain::Contribution, b"t"));
        let body = if accept {
            AttestationBody::accept(c, key.public())
        } else {
            AttestationBody::reject(c, key.public(), ReasonCode::Schema, "bad")
        };
        Attestation::sign(body, key).unwrap()
    }

    #[test]
    fn four_equal_validators_settle_at_three_votes_either_way_and_not_before() {
        let k = keys(4);
        let set = equal_set(&k);
        let none = BTreeSet::new();
        let standing = |votes: &[Attestation]| Tally::of(&set, votes, &none).standing();
        assert_eq!(
            standing(&[vote(&k[0], true), vote(&k[1], true)]),
            Standing::Pending
        );
        let three: Vec<_> = k[..3].iter().map(|v| vote(v, true)).collect();
        assert_eq!(standing(&three), Standing::Accepted);
        assert_eq!(standing(&[vote(&k[0], false)]), Standing::Pending);
        assert_eq!(
            standing(&[vote(&k[0], false), vote(&k[1], false)]),
            Standing::Rejected,
            "two of four against leave 2/4, not more than 2/3"
        );
    }

    #[test]
    fn an_equivocator_counts_for_neither_side_and_a_repeat_or_stranger_not_at_all() {
        let k = keys(4);
        let set = equal_set(&k);
        let stranger = SecretKey::from_seed([77; 32]);
        let equivocators: BTreeSet<PublicKey> = [k[3].public()].into();
        let votes = [
            vote(&k[0], true),
            vote(&k[0], true),
            vote(&k[1], true),
            vote(&k[3], true),
            vote(&stranger, true),
        ];
        let tally = Tally::of(&set, &votes, &equivocators);
        assert_eq!(
            (tally.accepting, tally.rejecting, tally.equivocating),
            (20, 0, 10)
        );
        assert_eq!(tally.standing(), Standing::Pending);
        let with_third = [vote(&k[2], false), vote(&k[0], true)];
        assert_eq!(
            Tally::of(&set, &with_third, &equivocators).standing(),
            Standing::Rejected,
            "one against and one equivocating leave 2/4"
        );
    }
}

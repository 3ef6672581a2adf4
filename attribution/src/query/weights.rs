//! The weighting rule: how spans' weights are shared among contributions and contributors.
//!
//! A span of `L` bytes that is not common weighs `L²`. Its weight is split among the `k`
//! distinct contributions holding it: each gets `L² / k` (integer division), and the
//! remainder `L² % k` goes one unit each to the first contributions by ascending id.
//! A contribution's weight is the sum over spans; a contributor's, the sum over its
//! contributions. Outputs are at most [`MAX_OUTPUT_LEN`](crate::MAX_OUTPUT_LEN) = 2²⁰
//! bytes, so at most 2²⁰ spans of at most 2⁴⁰ each: every sum fits in a `u64`.

use std::collections::BTreeMap;

use crate::attribution::{ContributionWeight, ContributorWeight};
use crate::id::Id;

/// The weight of a span of `len` bytes that is not common.
pub(crate) fn span_weight(len: usize) -> u64 {
    let len = len as u64;
    len.saturating_mul(len)
}

/// Running totals of the weights of one query.
#[derive(Default)]
pub(crate) struct Totals {
    contributions: BTreeMap<Id, (Id, u64)>,
    total: u64,
}

impl Totals {
    /// Shares `weight` among `holders`, `(contribution, contributor)` pairs by ascending
    /// contribution id with no repeats.
    pub(crate) fn share(&mut self, weight: u64, holders: &[(Id, Id)]) {
        let Some(count) = u64::try_from(holders.len()).ok().filter(|&k| k > 0) else {
            return;
        };
        let (each, remainder) = (weight / count, weight % count);
        for (i, (contribution, contributor)) in holders.iter().enumerate() {
            let extra = u64::from((i as u64) < remainder);
            let entry = self
                .contributions
                .entry(*contribution)
                .or_insert((*contributor, 0));
            entry.1 = entry.1.saturating_add(each + extra);
        }
        self.total = self.total.saturating_add(weight);
    }

    /// The contributions' and contributors' weights, by weight descending then id
    /// ascending, and the total.
    pub(crate) fn finish(self) -> (Vec<ContributionWeight>, Vec<ContributorWeight>, u64) {
        let mut by_contributor: BTreeMap<Id, u64> = BTreeMap::new();
        let mut contributions: Vec<ContributionWeight> = self
            .contributions
            .into_iter()
            .map(|(contribution, (contributor, weight))| {
                let sum = by_contributor.entry(contributor).or_default();
                *sum = sum.saturating_add(weight);
                ContributionWeight {
                    contribution,
                    contributor,
                    weight,
                }
            })
            .collect();
        contributions.sort_by(|a, b| {
            b.weight
                .cmp(&a.weight)
                .then(a.contribution.cmp(&b.contribution))
        });
        let mut contributors: Vec<ContributorWeight> = by_contributor
            .into_iter()
            .map(|(contributor, weight)| ContributorWeight {
                contributor,
                weight,
            })
            .collect();
        contributors.sort_by(|a, b| {
            b.weight
                .cmp(&a.weight)
                .then(a.contributor.cmp(&b.contributor))
        });
        (contributions, contributors, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: u8) -> Id {
        Id([b; 32])
    }

    #[test]
    fn remainder_goes_to_the_lowest_ids_and_totals_add_up() {
        let mut totals = Totals::default();
        totals.share(
            span_weight(5),
            &[(id(1), id(9)), (id(2), id(8)), (id(3), id(9))],
        );
        totals.share(span_weight(2), &[(id(3), id(9))]);
        let (contributions, contributors, total) = totals.finish();
        let weights: Vec<(Id, u64)> = contributions
            .iter()
            .map(|c| (c.contribution, c.weight))
            .collect();
        assert_eq!(weights, vec![(id(3), 12), (id(1), 9), (id(2), 8)]);
        let by: Vec<(Id, u64)> = contributors
            .iter()
            .map(|c| (c.contributor, c.weight))
            .collect();
        assert_eq!(by, vec![(id(9), 21), (id(8), 8)]);
        assert_eq!(total, 29);
    }

    #[test]
    fn equal_weights_are_ordered_by_ascending_id() {
        let mut totals = Totals::default();
        totals.share(4, &[(id(7), id(1)), (id(5), id(2))]);
        let (contributions, contributors, _) = totals.finish();
        assert_eq!(contributions[0].contribution, id(5));
        assert_eq!(contributors[0].contributor, id(1));
    }
}

//! Epoch rewards: what each final batch of a datanet pays its contributors, and the ledger
//! of cumulative amounts those payments add up to.
//!
//! A batch that pays by attribution records takes its share from the datanet's pool: one
//! [`RELEASE_DIVISOR`]th of what was funded and not yet released by earlier batches, as the
//! proposal's `funded` says the leader read it. The share is split among the contributors in
//! proportion to the records' summed weights (`floor(share × weight / total)`); what rounding
//! leaves stays in the pool for later epochs, so nothing is lost and no more than the pool is
//! ever paid. The rewards root is the root of the tree of every contributor's cumulative
//! amount after the batch. Every validator recomputes all of it from its own store before it
//! votes, and every node derives the ledger from the final batches alone.

use std::collections::{BTreeMap, BTreeSet};

use datanet_chain::{split, RewardsTree, U256};
use datanet_protocol::signed::MAX_BATCH_ATTRIBUTIONS;
use datanet_protocol::{DatanetId, Hash, PublicKey};
use datanet_storage::{Store, StoreError};

/// The part of what is left in a pool that one paying epoch releases: an eighth, so that a
/// pool pays out gradually over the epochs that use it and a top-up is spread the same way.
pub(crate) const RELEASE_DIVISOR: u128 = 8;

/// What a datanet's final batches before some epoch have paid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ledger {
    /// Everything paid so far, in wei.
    pub(crate) released: u128,
    /// Each contributor's cumulative amount, in wei.
    pub(crate) cumulative: BTreeMap<PublicKey, u128>,
    /// The attribution records already paid by.
    pub(crate) paid_by: BTreeSet<Hash>,
    /// The newest epoch whose batch paid something, and its rewards root.
    pub(crate) last_paid: Option<(u64, Hash)>,
}

impl Ledger {
    /// The ledger of `datanet` from its final batches of the epochs before `end`.
    ///
    /// # Errors
    /// A store error.
    pub(crate) fn before(store: &Store, datanet: &DatanetId, end: u64) -> Result<Self, StoreError> {
        let mut ledger = Ledger::default();
        let mut batches = store.batches_of(datanet)?;
        batches.sort_by_key(|b| b.proposal.body().epoch);
        for batch in &batches {
            let body = batch.proposal.body();
            if body.epoch >= end {
                break;
            }
            ledger.paid_by.extend(body.attributions.iter().copied());
            for (contributor, amount) in &body.payments {
                ledger.released = ledger.released.saturating_add(*amount);
                let sum = ledger.cumulative.entry(*contributor).or_default();
                *sum = sum.saturating_add(*amount);
            }
            if !body.payments.is_empty() {
                ledger.last_paid = Some((body.epoch, body.rewards_root));
            }
        }
        Ok(ledger)
    }

    /// What a batch pays when the pool has had `funded` in all and the records it pays by
    /// weigh `weights`, and the rewards root after it: nothing and the zero root when the
    /// share rounds to nothing for everyone.
    pub(crate) fn pay(
        &self,
        funded: u128,
        weights: &BTreeMap<PublicKey, u128>,
    ) -> (Vec<(PublicKey, u128)>, Hash) {
        let share = funded.saturating_sub(self.released) / RELEASE_DIVISOR;
        let weights: Vec<(PublicKey, u128)> = weights.iter().map(|(k, w)| (*k, *w)).collect();
        let payments: Vec<(PublicKey, u128)> = split(U256::from(share), &weights)
            .amounts
            .into_iter()
            .filter_map(|(contributor, amount)| {
                let amount = u128::try_from(amount).ok()?;
                (amount > 0).then_some((contributor, amount))
            })
            .collect();
        if payments.is_empty() {
            return (payments, Hash([0; 32]));
        }
        let mut cumulative = self.cumulative.clone();
        for (contributor, amount) in &payments {
            let sum = cumulative.entry(*contributor).or_default();
            *sum = sum.saturating_add(*amount);
        }
        (payments, tree(&cumulative).root())
    }
}

/// The ids of the attribution records of `datanet` held here that no final batch before
/// `epoch` paid by, ascending, at most [`MAX_BATCH_ATTRIBUTIONS`].
///
/// # Errors
/// A store error.
pub(crate) fn unpaid(
    store: &Store,
    datanet: &DatanetId,
    epoch: u64,
) -> Result<Vec<Hash>, StoreError> {
    let held = store.attributions(datanet)?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let paid = Ledger::before(store, datanet, epoch)?.paid_by;
    Ok(held
        .iter()
        .map(|s| s.record.id())
        .filter(|id| !paid.contains(id))
        .take(MAX_BATCH_ATTRIBUTIONS)
        .collect())
}

/// The rewards tree over cumulative amounts.
pub(crate) fn tree(cumulative: &BTreeMap<PublicKey, u128>) -> RewardsTree {
    RewardsTree::new(cumulative.iter().map(|(k, a)| (*k, U256::from(*a))))
        .unwrap_or_else(|_| unreachable!("a map holds each contributor once"))
}

/// The summed weights of the stored attribution records `ids` of `datanet`; `None` when one
/// is not stored here (not received, or not recomputed to the same weights).
///
/// # Errors
/// A store error.
pub(crate) fn weights_of(
    store: &Store,
    datanet: &DatanetId,
    ids: &[Hash],
) -> Result<Option<BTreeMap<PublicKey, u128>>, StoreError> {
    let mut weights: BTreeMap<PublicKey, u128> = BTreeMap::new();
    for id in ids {
        let Some(submission) = store.attribution(datanet, id)? else {
            return Ok(None);
        };
        for (contributor, weight) in &submission.record.body().weights {
            *weights.entry(*contributor).or_default() += u128::from(*weight);
        }
    }
    Ok(Some(weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datanet_protocol::SecretKey;

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_seed([seed; 32]).public()
    }

    #[test]
    fn a_paying_epoch_releases_an_eighth_of_what_is_left_split_by_weight_and_never_more() {
        let ledger = Ledger::default();
        let weights = BTreeMap::from([(key(1), 1), (key(2), 2)]);
        let (payments, root) = ledger.pay(8_000, &weights);
        let mut expected = vec![(key(1), 333), (key(2), 666)];
        expected.sort();
        assert_eq!(payments, expected);
        let cumulative: BTreeMap<PublicKey, u128> = expected.iter().copied().collect();
        assert_eq!(root, tree(&cumulative).root());

        let after = Ledger {
            released: 999,
            cumulative,
            ..Ledger::default()
        };
        let (more, _) = after.pay(8_000, &BTreeMap::from([(key(1), 5)]));
        assert_eq!(more, vec![(key(1), (8_000 - 999) / 8)]);
        let (none, zero) = after.pay(999 + 7, &weights);
        assert!(none.is_empty());
        assert_eq!(zero, Hash([0; 32]));
        let (none, _) = after.pay(100, &weights);
        assert!(
            none.is_empty(),
            "a pool read below what was released pays nothing"
        );
    }
}

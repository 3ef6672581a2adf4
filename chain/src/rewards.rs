//! Contributor rewards: the tree whose root an epoch anchors, the proofs the hub's `claim`
//! checks, and the split of an epoch's reward share by contribution weight.
//!
//! A leaf is `keccak256(keccak256(abi.encode(contributor network key, cumulative reward)))`,
//! OpenZeppelin's double hash, so no 64-byte inner node can pass for a leaf. Leaves are sorted
//! by hash and paired left to right, each pair hashed in ascending order (OpenZeppelin's
//! `MerkleProof`); an odd node at the end of a layer moves up unpaired. The amounts are
//! cumulative (everything a contributor has earned on the datanet so far), so a claim against
//! any anchored root pays only what was not paid yet, and an old root pays nothing.

use std::collections::BTreeMap;

use alloy::primitives::{keccak256, B256, U256, U512};
use datanet_protocol::{DatanetId, Hash, PublicKey};

/// What a [`RewardsTree`] cannot be built from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardsError {
    /// One contributor listed twice: a tree holds one cumulative amount per contributor.
    #[error("contributor {0} is listed twice in one rewards tree")]
    DuplicateContributor(PublicKey),
}

/// The rewards tree of one epoch: each contributor's cumulative reward on the datanet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardsTree {
    /// Each contributor's cumulative amount and the index of its leaf in `layers[0]`.
    entries: BTreeMap<PublicKey, (U256, usize)>,
    /// The leaves sorted, then each layer above, up to the one-node root layer.
    layers: Vec<Vec<B256>>,
}

impl RewardsTree {
    /// The tree of `entries`, whatever their order.
    ///
    /// # Errors
    /// [`RewardsError::DuplicateContributor`] when a contributor appears twice.
    pub fn new(entries: impl IntoIterator<Item = (PublicKey, U256)>) -> Result<Self, RewardsError> {
        let mut amounts = BTreeMap::new();
        for (contributor, cumulative) in entries {
            if amounts.insert(contributor, cumulative).is_some() {
                return Err(RewardsError::DuplicateContributor(contributor));
            }
        }
        let mut leaves: Vec<(B256, PublicKey)> = amounts
            .iter()
            .map(|(contributor, cumulative)| (leaf(contributor, *cumulative), *contributor))
            .collect();
        leaves.sort();
        let mut entries = BTreeMap::new();
        for (index, (_, contributor)) in leaves.iter().enumerate() {
            if let Some(cumulative) = amounts.get(contributor) {
                entries.insert(*contributor, (*cumulative, index));
            }
        }
        let mut layers = vec![leaves.into_iter().map(|(hash, _)| hash).collect::<Vec<_>>()];
        while let Some(below) = layers.last().filter(|layer| layer.len() > 1) {
            let above = below
                .chunks(2)
                .map(|pair| pair.iter().copied().reduce(node).unwrap_or_default())
                .collect();
            layers.push(above);
        }
        Ok(RewardsTree { entries, layers })
    }

    /// The root the validators sign and the hub anchors; zero for a tree without entries
    /// (an epoch that pays no rewards).
    pub fn root(&self) -> Hash {
        let root = self
            .layers
            .last()
            .and_then(|layer| layer.first())
            .copied()
            .unwrap_or(B256::ZERO);
        Hash(root.0)
    }

    /// How many contributors the tree holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tree holds no contributor.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `contributor`'s cumulative reward in this tree, if it is in it.
    pub fn cumulative(&self, contributor: &PublicKey) -> Option<U256> {
        self.entries
            .get(contributor)
            .map(|(cumulative, _)| *cumulative)
    }

    /// The proof of `contributor`'s leaf, bottom up, as the hub's `claim` takes it; `None` if
    /// the tree does not hold it.
    pub fn proof(&self, contributor: &PublicKey) -> Option<Vec<B256>> {
        let (_, mut index) = *self.entries.get(contributor)?;
        let mut proof = Vec::new();
        for layer in &self.layers[..self.layers.len().saturating_sub(1)] {
            if let Some(sibling) = layer.get(index ^ 1) {
                proof.push(*sibling);
            }
            index /= 2;
        }
        Some(proof)
    }

    /// The claim of `contributor`'s reward in this tree, anchored with `batch_root` as
    /// `datanet`'s `epoch`; `None` if the tree does not hold it.
    pub fn claim(
        &self,
        datanet: DatanetId,
        epoch: u64,
        batch_root: Hash,
        contributor: &PublicKey,
    ) -> Option<RewardClaim> {
        Some(RewardClaim {
            datanet,
            epoch,
            batch_root,
            rewards_root: self.root(),
            contributor: *contributor,
            cumulative: self.cumulative(contributor)?,
            proof: self.proof(contributor)?,
        })
    }
}

/// A contributor's claim of its cumulative reward against one anchored rewards root: what the
/// hub's `claim` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardClaim {
    /// The datanet whose pool pays.
    pub datanet: DatanetId,
    /// The anchored epoch whose rewards root holds the leaf.
    pub epoch: u64,
    /// The batch root anchored with the rewards root.
    pub batch_root: Hash,
    /// The anchored rewards root.
    pub rewards_root: Hash,
    /// The contributor's network key, whose bound payee is paid.
    pub contributor: PublicKey,
    /// Everything the contributor earned on the datanet up to that epoch, in wei of OPEN.
    pub cumulative: U256,
    /// The leaf's proof, bottom up.
    pub proof: Vec<B256>,
}

/// The leaf of `contributor` with `cumulative`:
/// `keccak256(keccak256(abi.encode(bytes32 key, uint256 cumulative)))`.
pub fn leaf(contributor: &PublicKey, cumulative: U256) -> B256 {
    let mut encoded = [0u8; 64];
    encoded[..32].copy_from_slice(&contributor.to_bytes());
    encoded[32..].copy_from_slice(&cumulative.to_be_bytes::<32>());
    keccak256(keccak256(encoded))
}

/// Whether `proof` shows the leaf of (`contributor`, `cumulative`) in `root`: exactly the
/// hub's `MerkleProof.verifyCalldata` check.
pub fn verify(root: Hash, contributor: &PublicKey, cumulative: U256, proof: &[B256]) -> bool {
    let computed = proof
        .iter()
        .fold(leaf(contributor, cumulative), |hash, sibling| {
            node(hash, *sibling)
        });
    computed.0 == root.0
}

/// The parent of two nodes: the keccak of the lower then the higher.
fn node(a: B256, b: B256) -> B256 {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    let mut pair = [0u8; 64];
    pair[..32].copy_from_slice(low.as_slice());
    pair[32..].copy_from_slice(high.as_slice());
    keccak256(pair)
}

/// An epoch's reward share divided among its contributors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Each contributor's part, one entry per contributor, ascending by key.
    pub amounts: Vec<(PublicKey, U256)>,
    /// What rounding down left over: the share less the sum of `amounts`, to carry into the
    /// next epoch's share so nothing is lost.
    pub remainder: U256,
}

/// Divides `share` among `weights`: each contributor gets `floor(share × weight / total
/// weight)`, computed without overflow, and what rounding leaves is the remainder. A
/// contributor listed more than once has its weights summed (several contributions of one
/// key in one epoch). With a total weight of zero, the whole share is the remainder.
pub fn split(share: U256, weights: &[(PublicKey, u128)]) -> Split {
    let mut summed: BTreeMap<PublicKey, U256> = BTreeMap::new();
    for (contributor, weight) in weights {
        let sum = summed.entry(*contributor).or_default();
        *sum += U256::from(*weight);
    }
    let total = summed.values().fold(U256::ZERO, |sum, w| sum + *w);
    if total.is_zero() {
        return Split {
            amounts: summed.into_keys().map(|c| (c, U256::ZERO)).collect(),
            remainder: share,
        };
    }
    let mut paid = U256::ZERO;
    let amounts = summed
        .into_iter()
        .map(|(contributor, weight)| {
            let wide: U512 = share.widening_mul(weight);
            let part = wide / U512::from(total);
            // `weight ≤ total`, so the part is at most `share` and fits.
            let amount = U256::from_limbs_slice(&part.as_limbs()[..4]);
            paid += amount;
            (contributor, amount)
        })
        .collect();
    Split {
        amounts,
        remainder: share - paid,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use datanet_protocol::SecretKey;
    use proptest::prelude::*;

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_seed([seed; 32]).public()
    }

    /// Up to 40 distinct contributors with arbitrary cumulative amounts.
    fn entries() -> impl Strategy<Value = Vec<(PublicKey, U256)>> {
        prop::collection::btree_map(any::<u8>(), any::<[u8; 32]>(), 0..40).prop_map(|m| {
            m.into_iter()
                .map(|(seed, amount)| (key(seed), U256::from_be_bytes(amount)))
                .collect()
        })
    }

    #[test]
    fn an_empty_tree_has_the_zero_root_and_no_proofs() {
        let tree = RewardsTree::new([]).unwrap();
        assert_eq!(tree.root(), Hash([0; 32]));
        assert!(tree.is_empty());
        assert_eq!(tree.proof(&key(1)), None);
    }

    #[test]
    fn a_single_leaf_is_the_root_with_an_empty_proof() {
        let tree = RewardsTree::new([(key(1), U256::from(5))]).unwrap();
        assert_eq!(tree.root().0, leaf(&key(1), U256::from(5)).0);
        assert_eq!(tree.proof(&key(1)), Some(vec![]));
        assert!(verify(tree.root(), &key(1), U256::from(5), &[]));
    }

    #[test]
    fn a_contributor_listed_twice_is_refused() {
        let err = RewardsTree::new([(key(1), U256::from(5)), (key(1), U256::from(6))]);
        assert_eq!(err, Err(RewardsError::DuplicateContributor(key(1))));
    }

    #[test]
    fn the_leaf_is_the_double_hash_of_the_abi_encoding() {
        // abi.encode(bytes32, uint256) is the two 32-byte words back to back.
        let contributor = key(3);
        let mut words = contributor.to_bytes().to_vec();
        words.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
        assert_eq!(
            leaf(&contributor, U256::from(1000)),
            keccak256(keccak256(&words))
        );
    }

    #[test]
    fn split_of_zero_weight_is_all_remainder_and_duplicates_are_summed() {
        let none = split(U256::from(100), &[(key(1), 0), (key(2), 0)]);
        assert_eq!(none.remainder, U256::from(100));
        assert!(none.amounts.iter().all(|(_, a)| a.is_zero()));
        let summed = split(U256::from(100), &[(key(1), 1), (key(2), 2), (key(1), 1)]);
        let mut expected = vec![(key(1), U256::from(50)), (key(2), U256::from(50))];
        expected.sort();
        assert_eq!(summed.amounts, expected);
        assert_eq!(summed.remainder, U256::ZERO);
        let thirds = split(U256::from(100), &[(key(1), 1), (key(2), 1), (key(3), 1)]);
        assert!(thirds.amounts.iter().all(|(_, a)| *a == U256::from(33)));
        assert_eq!(thirds.remainder, U256::from(1));
        let huge = split(U256::MAX, &[(key(1), u128::MAX), (key(2), u128::MAX)]);
        assert_eq!(huge.amounts[0].1, U256::MAX / U256::from(2));
        assert_eq!(huge.remainder, U256::from(1));
    }

    proptest! {
        #[test]
        fn every_entry_proves_and_a_tampered_one_does_not(
            mut entries in entries(),
            flip in any::<prop::sample::Index>(),
        ) {
            let tree = RewardsTree::new(entries.clone()).unwrap();
            entries.reverse();
            prop_assert_eq!(RewardsTree::new(entries.clone()).unwrap().root(), tree.root());
            for (contributor, cumulative) in &entries {
                let proof = tree.proof(contributor).unwrap();
                prop_assert!(verify(tree.root(), contributor, *cumulative, &proof));
                let inflated = *cumulative ^ U256::from(1);
                prop_assert!(!verify(tree.root(), contributor, inflated, &proof));
                if !proof.is_empty() {
                    let mut tampered = proof.clone();
                    let i = flip.index(tampered.len());
                    tampered[i].0[0] ^= 1;
                    prop_assert!(!verify(tree.root(), contributor, *cumulative, &tampered));
                }
            }
        }

        #[test]
        fn a_split_adds_up_to_the_share_and_nobody_gets_more_than_its_part(
            share in any::<[u8; 32]>().prop_map(U256::from_be_bytes),
            weights in prop::collection::vec((0u8..20, any::<u128>()), 0..30),
        ) {
            let weights: Vec<(PublicKey, u128)> =
                weights.into_iter().map(|(seed, w)| (key(seed), w)).collect();
            let result = split(share, &weights);
            let paid = result.amounts.iter().fold(U256::ZERO, |sum, (_, a)| sum + *a);
            prop_assert_eq!(paid + result.remainder, share);
            let total: U512 = weights.iter().map(|(_, w)| U512::from(*w)).sum();
            for (contributor, amount) in &result.amounts {
                let weight: U512 = weights
                    .iter()
                    .filter(|(c, _)| c == contributor)
                    .map(|(_, w)| U512::from(*w))
                    .sum();
                // amount ≤ share × weight / total, checked exactly in 512 bits.
                let amount = U512::from(*amount);
                prop_assert!(amount * total <= U512::from(share) * weight);
            }
            if !total.is_zero() {
                prop_assert!(result.remainder < U256::from(result.amounts.len().max(1)));
            }
        }
    }
}

//! Binary Merkle trees over leaf hashes, and their inclusion proofs.
//!
//! Leaves are hashes already made in their own domain (a share leaf, a hash leaf). Inner nodes
//! are [`node`](crate::hash::node)`(left, right)`. A level with an odd number of nodes promotes its
//! last node unchanged to the next level, so any leaf count has one tree and power-of-two counts
//! give the familiar perfect tree. The empty tree's root is the node domain's hash of no bytes.

use crate::hash::{hash, node, nodes_many, Domain, Hash};

/// Why a Merkle proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The leaf index is not below the leaf count.
    #[error("leaf index {index} is out of range for {count} leaves")]
    IndexOutOfRange {
        /// The index given.
        index: u64,
        /// The tree's leaf count.
        count: u64,
    },
    /// The proof has more or fewer siblings than the tree shape needs.
    #[error("proof has {got} siblings, the tree shape needs {expected}")]
    WrongLength {
        /// Siblings supplied.
        got: usize,
        /// Siblings the shape needs.
        expected: usize,
    },
    /// The recomputed root differs from the expected one.
    #[error("recomputed root does not match")]
    RootMismatch,
}

/// The root of the tree over `leaves`.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => hash(Domain::Node, &[]),
        1 => leaves[0],
        _ => {
            let mut level = leaves.to_vec();
            while level.len() > 1 {
                level = next_level(&level);
            }
            level[0]
        }
    }
}

/// The level above `level`: pairs hashed side by side in SIMD lanes, an odd last node promoted.
fn next_level(level: &[Hash]) -> Vec<Hash> {
    let pairs = level.len() / 2;
    let mut out = vec![Hash::default(); pairs + level.len() % 2];
    nodes_many(
        level.chunks_exact(2).map(|pair| (&pair[0], &pair[1])),
        &mut out[..pairs],
    );
    if let (Some(last), Some(promoted)) =
        (out.last_mut(), level.chunks_exact(2).remainder().first())
    {
        *last = *promoted;
    }
    out
}

/// The siblings proving leaf `index` of the tree over `leaves`, bottom first.
///
/// # Errors
/// [`MerkleError::IndexOutOfRange`].
pub fn proof(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, MerkleError> {
    Tree::new(leaves).proof(index)
}

/// A whole tree kept level by level, so that many proofs cost one tree build and a lookup
/// each, instead of a tree build each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// The leaves first, then each level above, up to the single root.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Builds the tree over `leaves`.
    pub fn new(leaves: &[Hash]) -> Self {
        let mut levels = vec![leaves.to_vec()];
        while let Some(level) = levels.last().filter(|l| l.len() > 1) {
            let next = next_level(level);
            levels.push(next);
        }
        Tree { levels }
    }

    /// The tree's root, equal to [`root`] of its leaves.
    pub fn root(&self) -> Hash {
        match self.levels.last().and_then(|l| l.first()) {
            Some(top) => *top,
            None => hash(Domain::Node, &[]),
        }
    }

    /// The siblings proving leaf `index`, bottom first, equal to [`proof`] of the leaves.
    ///
    /// # Errors
    /// [`MerkleError::IndexOutOfRange`].
    pub fn proof(&self, index: usize) -> Result<Vec<Hash>, MerkleError> {
        let count = self.levels[0].len();
        if index >= count {
            return Err(MerkleError::IndexOutOfRange {
                index: index as u64,
                count: count as u64,
            });
        }
        let mut i = index;
        let mut siblings = Vec::new();
        for level in self.levels.iter().take_while(|l| l.len() > 1) {
            if let Some(s) = level.get(i ^ 1) {
                siblings.push(*s);
            }
            i /= 2;
        }
        Ok(siblings)
    }
}

/// How many siblings a proof of leaf `index` among `count` leaves has.
pub fn proof_len(index: u64, count: u64) -> usize {
    let (mut i, mut n, mut len) = (index, count, 0);
    while n > 1 {
        if i ^ 1 < n {
            len += 1;
        }
        i /= 2;
        n = n.div_ceil(2);
    }
    len
}

/// Recomputes the root from `leaf` at `index` among `count` leaves and its `siblings`.
///
/// # Errors
/// [`MerkleError::IndexOutOfRange`] or [`MerkleError::WrongLength`].
pub fn root_from_proof(
    leaf: Hash,
    index: u64,
    count: u64,
    siblings: &[Hash],
) -> Result<Hash, MerkleError> {
    if index >= count {
        return Err(MerkleError::IndexOutOfRange { index, count });
    }
    let expected = proof_len(index, count);
    if siblings.len() != expected {
        return Err(MerkleError::WrongLength {
            got: siblings.len(),
            expected,
        });
    }
    let (mut acc, mut i, mut n) = (leaf, index, count);
    let mut next = siblings.iter();
    while n > 1 {
        if i ^ 1 < n {
            if let Some(s) = next.next() {
                acc = if i % 2 == 0 {
                    node(&acc, s)
                } else {
                    node(s, &acc)
                };
            }
        }
        i /= 2;
        n = n.div_ceil(2);
    }
    Ok(acc)
}

/// Checks that `leaf` is leaf `index` of `count` in the tree whose root is `expected_root`.
///
/// # Errors
/// Any [`MerkleError`].
pub fn verify(
    expected_root: &Hash,
    leaf: Hash,
    index: u64,
    count: u64,
    siblings: &[Hash],
) -> Result<(), MerkleError> {
    if root_from_proof(leaf, index, count, siblings)? == *expected_root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u32)
            .map(|i| hash(Domain::HashLeaf, &i.to_be_bytes()))
            .collect()
    }

    #[test]
    fn the_empty_tree_has_the_empty_root() {
        assert_eq!(Tree::new(&[]).root(), root(&[]));
        assert!(Tree::new(&[]).proof(0).is_err());
    }

    #[test]
    fn three_leaves_promote_the_last() {
        let l = leaves(3);
        assert_eq!(root(&l), node(&node(&l[0], &l[1]), &l[2]));
        assert_eq!(proof(&l, 2).unwrap(), vec![node(&l[0], &l[1])]);
    }

    proptest! {
        #[test]
        fn every_leaf_proves_and_a_wrong_one_does_not(n in 1usize..70, pick in any::<prop::sample::Index>()) {
            let l = leaves(n);
            let r = root(&l);
            let i = pick.index(n);
            let p = proof(&l, i).unwrap();
            let tree = Tree::new(&l);
            prop_assert_eq!(tree.root(), r);
            prop_assert_eq!(tree.proof(i).unwrap(), p.clone());
            prop_assert!(tree.proof(n).is_err());
            prop_assert_eq!(p.len(), proof_len(i as u64, n as u64));
            prop_assert!(verify(&r, l[i], i as u64, n as u64, &p).is_ok());
            let other = hash(Domain::HashLeaf, b"other");
            prop_assert_eq!(verify(&r, other, i as u64, n as u64, &p), Err(MerkleError::RootMismatch));
            if n > 1 {
                let j = (i + 1) % n;
                prop_assert!(verify(&r, l[i], j as u64, n as u64, &p).is_err());
            }
        }
    }

    #[test]
    fn out_of_range_and_wrong_length_are_errors() {
        let l = leaves(4);
        let r = root(&l);
        assert!(matches!(
            verify(&r, l[0], 4, 4, &[]),
            Err(MerkleError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            verify(&r, l[0], 0, 4, &[l[1]]),
            Err(MerkleError::WrongLength {
                got: 1,
                expected: 2
            })
        ));
    }
}

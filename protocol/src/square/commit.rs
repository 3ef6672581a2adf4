//! How a square is committed: share leaves, row and column roots, and the DA root over both.
//!
//! A share's leaf hash is computed once and used in both its row tree and its column tree. The
//! axis tree's leaves are the hash-leaf hashes of the `2k` row roots followed by the `2k` column
//! roots; the DA root hashes the square parameters with the axis tree's root.

use rayon::prelude::*;

use crate::encoding::{Encode, Writer, ENCODING_VERSION};
use crate::hash::{hash, hash_many, nodes_many, Domain, Hash};
use crate::ids::DaRoot;
use crate::merkle::{self, MerkleError};

use super::{Axis, SquareParams, SHARE_SIZE};

/// The Merkle leaf of one share.
pub fn share_leaf(share: &[u8]) -> Hash {
    hash(Domain::ShareLeaf, share)
}

/// Shares hashed per parallel task: enough to fill every SIMD lane many times over.
const LEAF_BATCH: usize = 256;

/// The leaf hashes of consecutive shares, hashed in SIMD lanes, on every core when there is
/// more than one batch (a line's worth is hashed on the calling thread: handing it to the
/// thread pool would cost more than it saves).
pub(crate) fn share_leaves(shares: &[u8]) -> Vec<Hash> {
    let mut leaves = vec![Hash::default(); shares.len() / SHARE_SIZE];
    let hash_batch = |(out, batch): (&mut [Hash], &[u8])| {
        let refs: Vec<&[u8; SHARE_SIZE]> = batch
            .chunks_exact(SHARE_SIZE)
            .filter_map(|s| s.try_into().ok())
            .collect();
        hash_many(Domain::ShareLeaf, &refs, out);
    };
    if leaves.len() <= LEAF_BATCH {
        hash_batch((&mut leaves, shares));
    } else {
        leaves
            .par_chunks_mut(LEAF_BATCH)
            .zip(shares.par_chunks(LEAF_BATCH * SHARE_SIZE))
            .for_each(hash_batch);
    }
    leaves
}

/// The root of one row or column from its share leaves.
pub(crate) fn line_root(leaves: &[Hash]) -> Hash {
    merkle::root(leaves)
}

/// The roots of all `width` columns of a square whose leaves are row-major.
///
/// Equal to [`line_root`] of each column, but computed a level at a time over pairs of whole
/// rows, so every pass reads memory in order and hashes `width` nodes per batch, instead of
/// gathering each column's leaves with a stride that misses the cache on every leaf.
pub(crate) fn column_roots(leaves: &[Hash], width: usize) -> Vec<Hash> {
    let mut level = leaves.to_vec();
    let mut rows = leaves.len() / width.max(1);
    while rows > 1 {
        let mut next = vec![Hash::default(); (rows / 2) * width];
        next.par_chunks_mut(width)
            .zip(level.par_chunks(2 * width))
            .for_each(|(out, pair)| {
                let (upper, lower) = pair.split_at(width);
                nodes_many(upper.iter().zip(lower), out);
            });
        level = next;
        rows /= 2;
    }
    level
}

/// The leaves of the axis tree: every row root, then every column root.
pub(crate) fn axis_leaves(row_roots: &[Hash], col_roots: &[Hash]) -> Vec<Hash> {
    row_roots
        .iter()
        .chain(col_roots)
        .map(|r| hash(Domain::HashLeaf, &r.0))
        .collect()
}

/// The position of line `index` of `axis` among the axis tree's leaves.
pub(crate) fn axis_position(params: &SquareParams, axis: Axis, index: usize) -> usize {
    match axis {
        Axis::Row => index,
        Axis::Col => params.width() + index,
    }
}

/// The DA root from the parameters and the axis tree's root.
pub(crate) fn da_root(params: &SquareParams, axis_root: &Hash) -> DaRoot {
    let mut w = Writer::default();
    w.u8(ENCODING_VERSION);
    params.encode_to(&mut w);
    w.hash(axis_root);
    DaRoot(hash(Domain::DaRoot, &w.into_bytes()))
}

/// The DA root implied by a line root and its path in the axis tree.
///
/// # Errors
/// [`MerkleError`] when the path has the wrong shape.
pub(crate) fn da_root_from_line(
    params: &SquareParams,
    axis: Axis,
    index: usize,
    line_root: &Hash,
    path: &[Hash],
) -> Result<DaRoot, MerkleError> {
    let leaf = hash(Domain::HashLeaf, &line_root.0);
    let position = axis_position(params, axis, index) as u64;
    let count = 2 * params.width() as u64;
    let root = merkle::root_from_proof(leaf, position, count, path)?;
    Ok(da_root(params, &root))
}

//! The square header: parameters plus every row and column root, from which the DA root and
//! every line's axis proof follow.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::Hash;
use crate::ids::DaRoot;
use crate::merkle;

use super::commit;
use super::{Axis, SquareError, SquareParams, MAX_K};

/// A square's parameters with all `2k` row roots and `2k` column roots (16 KiB at `k = 128`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquareHeader {
    /// The square's parameters.
    pub params: SquareParams,
    /// Root of each row, top to bottom.
    pub row_roots: Vec<Hash>,
    /// Root of each column, left to right.
    pub col_roots: Vec<Hash>,
}

impl SquareHeader {
    pub(crate) fn new(params: SquareParams, row_roots: Vec<Hash>, col_roots: Vec<Hash>) -> Self {
        SquareHeader {
            params,
            row_roots,
            col_roots,
        }
    }

    /// The DA root these roots commit to.
    pub fn da_root(&self) -> DaRoot {
        let leaves = commit::axis_leaves(&self.row_roots, &self.col_roots);
        commit::da_root(&self.params, &merkle::root(&leaves))
    }

    /// The committed root of row or column `index`.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn root(&self, axis: Axis, index: usize) -> Result<Hash, SquareError> {
        let roots = match axis {
            Axis::Row => &self.row_roots,
            Axis::Col => &self.col_roots,
        };
        roots
            .get(index)
            .copied()
            .ok_or(SquareError::IndexOutOfRange {
                index,
                width: self.params.width(),
            })
    }

    /// The path of line `index`'s root in the axis tree, proving it against the DA root.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn axis_path(&self, axis: Axis, index: usize) -> Result<Vec<Hash>, SquareError> {
        self.root(axis, index)?;
        let leaves = commit::axis_leaves(&self.row_roots, &self.col_roots);
        let position = commit::axis_position(&self.params, axis, index);
        merkle::proof(&leaves, position).map_err(|_| SquareError::IndexOutOfRange {
            index,
            width: self.params.width(),
        })
    }

    /// The path of every line of `axis`, in order: equal to [`SquareHeader::axis_path`] of
    /// each, for one tree build in all.
    pub fn axis_paths(&self, axis: Axis) -> Vec<Vec<Hash>> {
        let tree = merkle::Tree::new(&commit::axis_leaves(&self.row_roots, &self.col_roots));
        (0..self.params.width())
            .filter_map(|index| {
                tree.proof(commit::axis_position(&self.params, axis, index))
                    .ok()
            })
            .collect()
    }
}

impl Encode for SquareHeader {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(crate::encoding::ENCODING_VERSION);
        self.params.encode_to(out);
        out.hashes(&self.row_roots);
        out.hashes(&self.col_roots);
    }

    fn encoded_len(&self) -> Option<usize> {
        let roots = self.row_roots.len() + self.col_roots.len();
        Some(1 + self.params.to_bytes().len() + 4 + 4 + crate::hash::HASH_LEN * roots)
    }
}

impl Decode for SquareHeader {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("square header version")?;
        let params = SquareParams::decode_from(r)?;
        let row_roots = r.hashes(2 * MAX_K, "row roots")?;
        let col_roots = r.hashes(2 * MAX_K, "column roots")?;
        let w = params.width();
        if row_roots.len() != w || col_roots.len() != w {
            return Err(DecodeError::invalid(
                "square header",
                format!(
                    "{} row and {} column roots for width {w}",
                    row_roots.len(),
                    col_roots.len()
                ),
            ));
        }
        Ok(SquareHeader::new(params, row_roots, col_roots))
    }
}

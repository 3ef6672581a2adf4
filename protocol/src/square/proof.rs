//! Share proofs: a share's path in its row (or column) tree, then that line root's path in the
//! axis tree, checked against nothing but the DA root.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::Hash;
use crate::ids::DaRoot;
use crate::merkle::{self, MerkleError};

use super::commit;
use super::{Axis, ParamsError, SquareHeader, SquareParams, SHARE_SIZE};

/// The most siblings in a share path: `log2(2 * 128)`.
const MAX_SHARE_PATH: usize = 8;
/// The most siblings in an axis path, the path of a row or column root to the DA root:
/// `log2(4 * MAX_K)`, as the axis tree has a leaf for each of the `2 * 2k` lines of the largest
/// square. Decoders of proofs, lines and stored records bound the path's length by it.
pub const MAX_AXIS_PATH: usize = 9;
const _: () = assert!(1 << MAX_AXIS_PATH == 4 * super::MAX_K);

/// Why a share or line does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof's parameters are not those of any chunk.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// A coordinate is outside the square.
    #[error("coordinate {index} is outside the {width}-wide square")]
    IndexOutOfRange {
        /// The coordinate.
        index: usize,
        /// The square's width `2k`.
        width: usize,
    },
    /// The share or line has the wrong number of bytes.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A Merkle path has the wrong shape.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    /// The recomputed DA root is not the expected one.
    #[error("the proof leads to a different DA root")]
    RootMismatch,
}

/// Proof that a share sits at `(row, col)` of the square committed by a DA root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareProof {
    /// The square's parameters (bound by the DA root).
    pub params: SquareParams,
    /// Whether the share is proven through its row or its column.
    pub axis: Axis,
    /// Siblings of the share's leaf in that line's tree, bottom first.
    pub share_path: Vec<Hash>,
    /// Siblings of the line root's leaf in the axis tree, bottom first.
    pub axis_path: Vec<Hash>,
}

impl ShareProof {
    /// Checks that `share` is the share at `(row, col)` under `da_root`.
    ///
    /// # Errors
    /// Any [`ProofError`].
    pub fn verify(
        &self,
        da_root: &DaRoot,
        row: usize,
        col: usize,
        share: &[u8],
    ) -> Result<(), ProofError> {
        let (line, line_root) = self.line_root(row, col, share)?;
        verify_line_root(
            &self.params,
            self.axis,
            line,
            &line_root,
            &self.axis_path,
            da_root,
        )
    }

    /// Checks that `share` is the share at `(row, col)` of the square under `header`, whose
    /// line roots the caller holds (a header checked against its DA root once): the share path
    /// alone is checked, so the axis path may be left empty.
    ///
    /// # Errors
    /// Any [`ProofError`]; [`ProofError::RootMismatch`] also when the proof is for a square of
    /// other parameters.
    pub fn verify_in(
        &self,
        header: &SquareHeader,
        row: usize,
        col: usize,
        share: &[u8],
    ) -> Result<(), ProofError> {
        if self.params != header.params {
            return Err(ProofError::RootMismatch);
        }
        let (line, line_root) = self.line_root(row, col, share)?;
        let committed = match self.axis {
            Axis::Row => header.row_roots.get(line),
            Axis::Col => header.col_roots.get(line),
        };
        if committed == Some(&line_root) {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        }
    }

    /// The index of the line the share is proven through, and that line's root as the share
    /// and its share path give it.
    fn line_root(&self, row: usize, col: usize, share: &[u8]) -> Result<(usize, Hash), ProofError> {
        self.params.validate()?;
        let w = self.params.width();
        for index in [row, col] {
            if index >= w {
                return Err(ProofError::IndexOutOfRange { index, width: w });
            }
        }
        if share.len() != SHARE_SIZE {
            return Err(ProofError::WrongLength {
                expected: SHARE_SIZE,
                got: share.len(),
            });
        }
        let (line, pos) = match self.axis {
            Axis::Row => (row, col),
            Axis::Col => (col, row),
        };
        let line_root = merkle::root_from_proof(
            commit::share_leaf(share),
            pos as u64,
            w as u64,
            &self.share_path,
        )?;
        Ok((line, line_root))
    }
}

/// Checks a line root and its axis path against a DA root.
pub(crate) fn verify_line_root(
    params: &SquareParams,
    axis: Axis,
    index: usize,
    line_root: &Hash,
    axis_path: &[Hash],
    da_root: &DaRoot,
) -> Result<(), ProofError> {
    if commit::da_root_from_line(params, axis, index, line_root, axis_path)? == *da_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

impl Encode for ShareProof {
    fn encode_to(&self, out: &mut Writer) {
        self.params.encode_to(out);
        self.axis.encode_to(out);
        out.hashes(&self.share_path);
        out.hashes(&self.axis_path);
    }
}

impl Decode for ShareProof {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ShareProof {
            params: SquareParams::decode_from(r)?,
            axis: Axis::decode_from(r)?,
            share_path: r.hashes(MAX_SHARE_PATH, "share path")?,
            axis_path: r.hashes(MAX_AXIS_PATH, "axis path")?,
        })
    }
}

/// Decodes an axis path of at most the largest square's depth.
pub(crate) fn decode_axis_path(r: &mut Reader<'_>) -> Result<Vec<Hash>, DecodeError> {
    r.hashes(MAX_AXIS_PATH, "axis path")
}

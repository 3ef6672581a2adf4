//! The extended square: a chunk laid out as `k x k` shares of 512 bytes, Reed-Solomon extended
//! to `2k x 2k` (rows first, then columns), and committed by row roots, column roots and a DA root.
//!
//! Quadrant layout, row-major, with `Q0` the original data:
//!
//! ```text
//! Q0 | Q1      Q1 = rows of Q0 extended
//! ---+---      Q2 = columns of Q0 extended
//! Q2 | Q3      Q3 = columns of Q1 extended (equal to rows of Q2 extended)
//! ```

mod buffers;
mod commit;
mod decode;
mod header;
mod line;
mod params;
mod partial;
mod proof;
mod top;

use rayon::prelude::*;

use crate::codec::{CodecError, CodecId, ErasureCode};
use crate::fraud::BadEncodingProof;
use crate::hash::Hash;
use crate::ids::DaRoot;
use crate::merkle;

pub use commit::share_leaf;
pub use header::SquareHeader;
pub use line::Line;
pub use params::{Axis, ParamsError, SquareParams};
pub use partial::PartialSquare;
pub(crate) use proof::{decode_axis_path, verify_line_root};
pub use proof::{ProofError, ShareProof, MAX_AXIS_PATH};
pub use top::TopHalf;

/// Bytes in one share.
pub const SHARE_SIZE: usize = 512;

/// The largest original width: `k = 128`, an 8 MiB chunk, a `256 x 256` extended square.
pub const MAX_K: usize = 128;

/// Why a square could not be built, read or rebuilt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SquareError {
    /// The parameters are not those of any chunk.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The codec refused its input.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A line belongs to a square with other parameters.
    #[error("line parameters {got:?} differ from the square's {expected:?}")]
    ParamsMismatch {
        /// The square's parameters.
        expected: SquareParams,
        /// The line's parameters.
        got: SquareParams,
    },
    /// A row or column index is not below `2k`.
    #[error("index {index} is outside the {width}-wide square")]
    IndexOutOfRange {
        /// The index given.
        index: usize,
        /// The square's width `2k`.
        width: usize,
    },
    /// A share or line buffer has the wrong length.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength {
        /// The length needed.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// Too few shares are known to rebuild the square.
    #[error("not enough shares to rebuild the square: {known} of {total} known, and no row or column has the {needed} needed to progress")]
    NotEnoughShares {
        /// Shares known.
        known: usize,
        /// Shares in the extended square.
        total: usize,
        /// Shares needed in one line for it to decode.
        needed: usize,
    },
    /// A line offered for reconstruction is not committed by the DA root.
    #[error("{axis:?} {index} does not match the DA root: {source}")]
    InvalidLine {
        /// The line's axis.
        axis: Axis,
        /// The line's index.
        index: usize,
        /// Why its proof failed.
        source: ProofError,
    },
    /// The committed square is not a valid encoding; the proof shows it to anyone.
    #[error("bad encoding of {:?} {}", .0.axis, .0.index)]
    BadEncoding(Box<BadEncodingProof>),
    /// The rebuilt square disagrees with the commitment, but no fraud proof could be formed
    /// from the shares at hand.
    #[error("rebuilt square does not match its commitment ({mismatched} lines differ)")]
    Inconsistent {
        /// How many rows and columns differ from their committed roots.
        mismatched: usize,
    },
}

/// A chunk's extended square with its commitment.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtendedSquare {
    params: SquareParams,
    /// `(2k)^2` shares, row-major.
    data: Vec<u8>,
    /// One leaf hash per share, row-major.
    leaves: Vec<Hash>,
    row_roots: Vec<Hash>,
    col_roots: Vec<Hash>,
    /// Leaves of the axis tree, kept so every line's proof is one tree walk.
    axis_tree: merkle::Tree,
    da_root: DaRoot,
}

impl std::fmt::Debug for ExtendedSquare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtendedSquare")
            .field("params", &self.params)
            .field("da_root", &self.da_root)
            .finish_non_exhaustive()
    }
}

impl Drop for ExtendedSquare {
    fn drop(&mut self) {
        buffers::recycle(std::mem::take(&mut self.data));
    }
}

impl ExtendedSquare {
    /// Lays `chunk` out in the smallest square that holds it, extends it with `codec` and
    /// commits to it.
    ///
    /// # Errors
    /// [`SquareError::Params`] if the chunk exceeds 8 MiB.
    pub fn encode(chunk: &[u8], codec: CodecId) -> Result<Self, SquareError> {
        let params = SquareParams::for_chunk(codec, chunk.len())?;
        let mut data = buffers::zeroed(params.width() * params.line_bytes());
        lay_out(&params, chunk, &mut data);
        extend(&params, &mut data)?;
        Ok(Self::commit(params, data))
    }

    /// Commits to `data` (the `(2k)^2` shares, row-major) exactly as given, without checking
    /// that it is a valid extension. Used to commit a rebuilt square, and to build the
    /// mis-encoded squares that fraud handling is tested against.
    ///
    /// # Errors
    /// [`SquareError::Params`] or [`SquareError::WrongLength`].
    pub fn from_shares_unchecked(params: SquareParams, data: Vec<u8>) -> Result<Self, SquareError> {
        params.validate()?;
        let expected = params.width() * params.line_bytes();
        if data.len() != expected {
            return Err(SquareError::WrongLength {
                expected,
                got: data.len(),
            });
        }
        Ok(Self::commit(params, data))
    }

    fn commit(params: SquareParams, data: Vec<u8>) -> Self {
        let w = params.width();
        let leaves = commit::share_leaves(&data);
        let (row_roots, col_roots): (Vec<Hash>, Vec<Hash>) = rayon::join(
            || leaves.par_chunks(w).map(commit::line_root).collect(),
            || commit::column_roots(&leaves, w),
        );
        let axis_tree = merkle::Tree::new(&commit::axis_leaves(&row_roots, &col_roots));
        let da_root = commit::da_root(&params, &axis_tree.root());
        ExtendedSquare {
            params,
            data,
            leaves,
            row_roots,
            col_roots,
            axis_tree,
            da_root,
        }
    }

    /// The square's parameters.
    pub fn params(&self) -> &SquareParams {
        &self.params
    }

    /// The commitment to the whole square.
    pub fn da_root(&self) -> DaRoot {
        self.da_root
    }

    /// The roots of every row, top to bottom.
    pub fn row_roots(&self) -> &[Hash] {
        &self.row_roots
    }

    /// The roots of every column, left to right.
    pub fn col_roots(&self) -> &[Hash] {
        &self.col_roots
    }

    /// The parameters with every row and column root: what a node needs to check any share
    /// or line, and to build axis proofs.
    pub fn header(&self) -> SquareHeader {
        SquareHeader::new(self.params, self.row_roots.clone(), self.col_roots.clone())
    }

    /// The share at `(row, col)`.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn share(&self, row: usize, col: usize) -> Result<&[u8], SquareError> {
        let i = self.index(row, col)?;
        Ok(&self.data[i * SHARE_SIZE..][..SHARE_SIZE])
    }

    /// The proof of the share at `(row, col)` through its row.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn share_proof(&self, row: usize, col: usize) -> Result<ShareProof, SquareError> {
        self.share_proof_via(Axis::Row, row, col)
    }

    /// The proof of the share at `(row, col)` through its row or its column.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn share_proof_via(
        &self,
        axis: Axis,
        row: usize,
        col: usize,
    ) -> Result<ShareProof, SquareError> {
        self.index(row, col)?;
        let (line, pos) = match axis {
            Axis::Row => (row, col),
            Axis::Col => (col, row),
        };
        let leaves = self.line_leaves(axis, line);
        Ok(ShareProof {
            params: self.params,
            axis,
            share_path: merkle::proof(&leaves, pos).map_err(|_| self.out_of_range(pos))?,
            axis_path: self.axis_path(axis, line)?,
        })
    }

    /// Row `index` with its proof.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn row(&self, index: usize) -> Result<Line, SquareError> {
        self.line(Axis::Row, index)
    }

    /// Column `index` with its proof: the unit a custodian receives.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn column(&self, index: usize) -> Result<Line, SquareError> {
        self.line(Axis::Col, index)
    }

    /// Row or column `index` with its proof.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn line(&self, axis: Axis, index: usize) -> Result<Line, SquareError> {
        let axis_path = self.axis_path(axis, index)?;
        Ok(Line {
            params: self.params,
            axis,
            index: index as u16,
            shares: self.line_bytes(axis, index),
            axis_path,
        })
    }

    /// The path of line `index`'s root in the axis tree.
    fn axis_path(&self, axis: Axis, index: usize) -> Result<Vec<Hash>, SquareError> {
        if index >= self.params.width() {
            return Err(self.out_of_range(index));
        }
        let position = commit::axis_position(&self.params, axis, index);
        self.axis_tree
            .proof(position)
            .map_err(|_| self.out_of_range(index))
    }

    /// The square's top half (`Q0 | Q1`), its bottom rows dropped without copying the rest.
    pub fn into_top_half(mut self) -> TopHalf {
        let mut data = std::mem::take(&mut self.data);
        data.truncate(self.params.k() * self.params.line_bytes());
        TopHalf::from_rows(self.params, data)
    }

    /// The chunk's original bytes: `Q0` row by row, cut to the true length.
    pub fn chunk_bytes(&self) -> Vec<u8> {
        let (k, line) = (self.params.k(), self.params.line_bytes());
        let mut out = Vec::with_capacity(self.params.chunk_len as usize);
        for r in 0..k {
            out.extend_from_slice(&self.data[r * line..][..k * SHARE_SIZE]);
        }
        out.truncate(self.params.chunk_len as usize);
        out
    }

    /// Rebuilds a square from lines (rows or columns) that each verify against `header`, and
    /// checks the result against every committed root.
    ///
    /// Given `k` whole lines of one axis, `Q0` is decoded from them in one call and extended;
    /// if that gives the committed DA root, every share used is proven by it. Otherwise each
    /// line is verified and the full crossword rebuild locates the bad line and proves it.
    ///
    /// # Errors
    /// [`SquareError::InvalidLine`] for a line the DA root does not commit,
    /// [`SquareError::NotEnoughShares`] when the lines do not determine the square,
    /// [`SquareError::BadEncoding`] with a verifiable fraud proof when the commitment is not a
    /// valid encoding, or [`SquareError::Inconsistent`].
    pub fn reconstruct(header: &SquareHeader, lines: &[Line]) -> Result<Self, SquareError> {
        let da_root = header.da_root();
        for axis in [Axis::Col, Axis::Row] {
            if let Some(halves) = decode::halves_of(&header.params, axis, lines) {
                let square = Self::from_halves(&header.params, axis, &halves)?;
                if square.da_root == da_root {
                    return Ok(square);
                }
                break;
            }
        }
        let mut partial = PartialSquare::new(header.params)?;
        for line in lines {
            line.verify(&da_root)
                .map_err(|source| SquareError::InvalidLine {
                    axis: line.axis,
                    index: usize::from(line.index),
                    source,
                })?;
            partial.insert_line(line)?;
        }
        partial.solve()?.check_against(header)
    }

    /// Rebuilds the square under `header` from the top halves of at least `k` distinct
    /// columns, unproven, as `(index, first k shares)`: `Q0` is decoded from them, extended,
    /// committed, and accepted only if that gives the committed DA root, which then proves
    /// every share. Half the bytes of whole columns, and no hashing beyond the one commitment.
    ///
    /// # Errors
    /// [`SquareError::WrongLength`], [`SquareError::IndexOutOfRange`] or
    /// [`SquareError::NotEnoughShares`] for unusable halves, a codec error, or
    /// [`SquareError::Inconsistent`] when the result is not the committed square: some half
    /// is wrong or the square is badly encoded, which only whole, proven columns can tell
    /// apart (see [`ExtendedSquare::reconstruct`]).
    pub fn from_column_halves(
        header: &SquareHeader,
        halves: &[(u16, &[u8])],
    ) -> Result<Self, SquareError> {
        let params = header.params;
        params.validate()?;
        let (k, width) = (params.k(), params.width());
        let mut distinct = decode::Halves::new();
        for (index, half) in halves {
            line::check_half(&params, *index, half)?;
            distinct.insert(usize::from(*index), half);
        }
        if distinct.len() < k {
            return Err(SquareError::NotEnoughShares {
                known: distinct.len() * k,
                total: width * width,
                needed: k,
            });
        }
        let square = Self::from_halves(&params, Axis::Col, &distinct)?;
        if square.da_root == header.da_root() {
            return Ok(square);
        }
        let (rows, cols) = square.mismatched_lines(header);
        Err(SquareError::Inconsistent {
            mismatched: rows.len() + cols.len(),
        })
    }

    /// The square whose `Q0` is decoded from `halves` of lines of `axis`, extended and
    /// committed, unchecked.
    fn from_halves(
        params: &SquareParams,
        axis: Axis,
        halves: &decode::Halves<'_>,
    ) -> Result<Self, SquareError> {
        let mut data = buffers::zeroed(params.width() * params.line_bytes());
        decode::q0_into(params, axis, halves, &mut data)?;
        extend(params, &mut data)?;
        Ok(Self::commit(*params, data))
    }

    /// Returns `self` if its roots are the committed ones, else the fraud proof it makes
    /// possible (or [`SquareError::Inconsistent`] when none can be formed).
    fn check_against(self, header: &SquareHeader) -> Result<Self, SquareError> {
        if self.da_root == header.da_root() {
            return Ok(self);
        }
        let (bad_rows, bad_cols) = self.mismatched_lines(header);
        let candidates = bad_rows
            .iter()
            .map(|r| (Axis::Row, *r))
            .chain(bad_cols.iter().map(|c| (Axis::Col, *c)));
        for (axis, index) in candidates {
            if let Some(proof) = BadEncodingProof::from_rebuilt(header, &self, axis, index) {
                return Err(SquareError::BadEncoding(Box::new(proof)));
            }
        }
        Err(SquareError::Inconsistent {
            mismatched: bad_rows.len() + bad_cols.len(),
        })
    }

    /// The rows and the columns whose roots differ from those `header` commits.
    fn mismatched_lines(&self, header: &SquareHeader) -> (Vec<usize>, Vec<usize>) {
        let differ = |ours: &[Hash], theirs: &[Hash]| -> Vec<usize> {
            (0..ours.len()).filter(|i| ours[*i] != theirs[*i]).collect()
        };
        (
            differ(&self.row_roots, &header.row_roots),
            differ(&self.col_roots, &header.col_roots),
        )
    }

    /// The shares of one row or column, concatenated.
    pub(crate) fn line_bytes(&self, axis: Axis, index: usize) -> Vec<u8> {
        let line = self.params.line_bytes();
        match axis {
            Axis::Row => self.data[index * line..][..line].to_vec(),
            Axis::Col => {
                let mut bytes = Vec::with_capacity(line);
                for row in self.data.chunks_exact(line) {
                    bytes.extend_from_slice(&row[index * SHARE_SIZE..][..SHARE_SIZE]);
                }
                bytes
            }
        }
    }

    /// The share leaves of one row or column.
    pub(crate) fn line_leaves(&self, axis: Axis, index: usize) -> Vec<Hash> {
        let w = self.params.width();
        match axis {
            Axis::Row => self.leaves[index * w..][..w].to_vec(),
            Axis::Col => self.leaves.iter().skip(index).step_by(w).copied().collect(),
        }
    }

    fn index(&self, row: usize, col: usize) -> Result<usize, SquareError> {
        let w = self.params.width();
        for i in [row, col] {
            if i >= w {
                return Err(self.out_of_range(i));
            }
        }
        Ok(row * w + col)
    }

    fn out_of_range(&self, index: usize) -> SquareError {
        SquareError::IndexOutOfRange {
            index,
            width: self.params.width(),
        }
    }
}

/// Copies `chunk` into the `Q0` rows of `data` (rows of `2k` shares), the rest left as is.
fn lay_out(params: &SquareParams, chunk: &[u8], data: &mut [u8]) {
    let line = params.line_bytes();
    for (r, src) in chunk.chunks(params.k() * SHARE_SIZE).enumerate() {
        data[r * line..][..src.len()].copy_from_slice(src);
    }
}

/// Extends each of the `k` rows of `Q0` in `top` into `Q1`.
fn extend_rows(params: &SquareParams, top: &mut [u8]) -> Result<(), SquareError> {
    let code = params.codec.code();
    let (k, line) = (params.k(), params.line_bytes());
    top.par_chunks_mut(line).try_for_each(|row| {
        let (orig, rec) = row.split_at_mut(k * SHARE_SIZE);
        let orig: Vec<&[u8]> = orig.chunks(SHARE_SIZE).collect();
        let mut rec: Vec<&mut [u8]> = rec.chunks_mut(SHARE_SIZE).collect();
        code.encode(&orig, &mut rec)
    })?;
    Ok(())
}

/// Extends `Q0` (already in place in `data`) to the full square: rows of `Q0`, then all `2k`
/// columns at once, encoding whole top-half rows as shards (the codes work per byte position).
fn extend(params: &SquareParams, data: &mut [u8]) -> Result<(), SquareError> {
    let code = params.codec.code();
    let (k, line) = (params.k(), params.line_bytes());
    let (top, bottom) = data.split_at_mut(k * line);
    extend_rows(params, top)?;
    let half = line / 2;
    let (mut left_rec, mut right_rec): (Vec<&mut [u8]>, Vec<&mut [u8]>) = bottom
        .chunks_mut(line)
        .map(|r| r.split_at_mut(half))
        .unzip();
    let left_orig: Vec<&[u8]> = top.chunks(line).map(|r| &r[..half]).collect();
    let right_orig: Vec<&[u8]> = top.chunks(line).map(|r| &r[half..]).collect();
    let (a, b) = rayon::join(
        || encode_with(code, &left_orig, &mut left_rec),
        || encode_with(code, &right_orig, &mut right_rec),
    );
    a.and(b)
}

fn encode_with(
    code: &dyn ErasureCode,
    orig: &[&[u8]],
    rec: &mut [&mut [u8]],
) -> Result<(), SquareError> {
    Ok(code.encode(orig, rec)?)
}

#[cfg(test)]
mod tests;

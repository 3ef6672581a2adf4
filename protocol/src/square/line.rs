//! One row or column of an extended square with the proof of its root: the unit a custodian
//! receives, stores and serves.

use crate::codec::CodecError;
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::Hash;
use crate::ids::DaRoot;
use crate::merkle;

use super::commit;
use super::proof::{decode_axis_path, verify_line_root};
use super::{Axis, ProofError, ShareProof, SquareError, SquareParams, MAX_K, SHARE_SIZE};

/// A whole row or column: its `2k` shares and the path of its root to the DA root.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    /// The square's parameters.
    pub params: SquareParams,
    /// Row or column.
    pub axis: Axis,
    /// Which row or column, below `2k`.
    pub index: u16,
    /// The `2k` shares, concatenated.
    pub shares: Vec<u8>,
    /// Siblings of this line root's leaf in the axis tree, bottom first.
    pub axis_path: Vec<Hash>,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("axis", &self.axis)
            .field("index", &self.index)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Line {
    /// Rebuilds a full line from its first `k` shares (the half a custodian may keep, or be
    /// sent) by extending them with the square's codec.
    ///
    /// # Errors
    /// [`SquareError::WrongLength`], [`SquareError::IndexOutOfRange`] or a codec error.
    pub fn from_half(
        params: SquareParams,
        axis: Axis,
        index: u16,
        half: &[u8],
        axis_path: Vec<Hash>,
    ) -> Result<Self, SquareError> {
        check_half(&params, index, half)?;
        let mut shares = Vec::with_capacity(2 * half.len());
        shares.extend_from_slice(half);
        shares.extend(extension(&params, half)?);
        Ok(Line {
            params,
            axis,
            index,
            shares,
            axis_path,
        })
    }

    /// Checks that `half`, the first `k` shares of line `index` of `axis`, extended with the
    /// square's codec, is the line `da_root` commits at that place: what [`Line::from_half`]
    /// then [`Line::verify`] check, without building the line.
    ///
    /// # Errors
    /// [`SquareError::WrongLength`], [`SquareError::IndexOutOfRange`], a codec error, or
    /// [`SquareError::InvalidLine`] when the line is not the committed one.
    pub fn verify_half(
        params: &SquareParams,
        axis: Axis,
        index: u16,
        half: &[u8],
        axis_path: &[Hash],
        da_root: &DaRoot,
    ) -> Result<(), SquareError> {
        check_half(params, index, half)?;
        let mut leaves = commit::share_leaves(half);
        leaves.extend(commit::share_leaves(&extension(params, half)?));
        let root = commit::line_root(&leaves);
        verify_line_root(params, axis, index.into(), &root, axis_path, da_root).map_err(|source| {
            SquareError::InvalidLine {
                axis,
                index: index.into(),
                source,
            }
        })
    }

    /// The first `k` shares, from which [`Line::from_half`] rebuilds the rest.
    pub fn top_half(&self) -> &[u8] {
        &self.shares[..self.params.k() * SHARE_SIZE]
    }

    /// Share `pos` of the line, if in range.
    pub fn share(&self, pos: usize) -> Option<&[u8]> {
        self.shares.chunks_exact(SHARE_SIZE).nth(pos)
    }

    /// The leaf hashes of the line's shares.
    pub fn leaves(&self) -> Vec<Hash> {
        commit::share_leaves(&self.shares)
    }

    /// The line's Merkle root.
    pub fn root(&self) -> Hash {
        commit::line_root(&self.leaves())
    }

    /// Checks that this line is committed by `da_root` at its place.
    ///
    /// # Errors
    /// Any [`ProofError`].
    pub fn verify(&self, da_root: &DaRoot) -> Result<(), ProofError> {
        self.params.validate()?;
        let width = self.params.width();
        if usize::from(self.index) >= width {
            return Err(ProofError::IndexOutOfRange {
                index: self.index.into(),
                width,
            });
        }
        if self.shares.len() != self.params.line_bytes() {
            return Err(ProofError::WrongLength {
                expected: self.params.line_bytes(),
                got: self.shares.len(),
            });
        }
        verify_line_root(
            &self.params,
            self.axis,
            self.index.into(),
            &self.root(),
            &self.axis_path,
            da_root,
        )
    }

    /// Whether the line is a codeword: its second half is the extension of its first.
    ///
    /// # Errors
    /// A codec error for a malformed line.
    pub fn is_codeword(&self) -> Result<bool, CodecError> {
        let k = self.params.k();
        Ok(extension(&self.params, self.top_half())? == self.shares[k * SHARE_SIZE..])
    }

    /// The proof of share `pos` of this line, through this line.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn share_proof(&self, pos: usize) -> Result<ShareProof, SquareError> {
        let share_path =
            merkle::proof(&self.leaves(), pos).map_err(|_| SquareError::IndexOutOfRange {
                index: pos,
                width: self.params.width(),
            })?;
        Ok(ShareProof {
            params: self.params,
            axis: self.axis,
            share_path,
            axis_path: self.axis_path.clone(),
        })
    }

    /// The `(row, col)` of share `pos` of this line.
    pub fn coordinates(&self, pos: usize) -> (usize, usize) {
        match self.axis {
            Axis::Row => (self.index.into(), pos),
            Axis::Col => (pos, self.index.into()),
        }
    }
}

/// Checks that `half` can be the first `k` shares of line `index` of a square of `params`.
pub(super) fn check_half(
    params: &SquareParams,
    index: u16,
    half: &[u8],
) -> Result<(), SquareError> {
    params.validate()?;
    let expected = params.k() * SHARE_SIZE;
    if half.len() != expected {
        return Err(SquareError::WrongLength {
            expected,
            got: half.len(),
        });
    }
    if usize::from(index) >= params.width() {
        return Err(SquareError::IndexOutOfRange {
            index: index.into(),
            width: params.width(),
        });
    }
    Ok(())
}

/// The `k` recovery shares that extend `half`, the first `k` shares of a line.
fn extension(params: &SquareParams, half: &[u8]) -> Result<Vec<u8>, CodecError> {
    let mut recovery = vec![0u8; half.len()];
    let originals: Vec<&[u8]> = half.chunks(SHARE_SIZE).collect();
    let mut shards: Vec<&mut [u8]> = recovery.chunks_mut(SHARE_SIZE).collect();
    params.codec.code().encode(&originals, &mut shards)?;
    Ok(recovery)
}

impl Encode for Line {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.params.encode_to(out);
        self.axis.encode_to(out);
        out.u16(self.index);
        out.bytes(&self.shares);
        out.hashes(&self.axis_path);
    }

    fn encoded_len(&self) -> Option<usize> {
        let fixed = 1 + self.params.to_bytes().len() + self.axis.to_bytes().len() + 2;
        Some(fixed + 4 + self.shares.len() + 4 + 32 * self.axis_path.len())
    }
}

impl Decode for Line {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("line version")?;
        let params = SquareParams::decode_from(r)?;
        let axis = Axis::decode_from(r)?;
        let index = r.u16("line index")?;
        let shares = r.bytes(2 * MAX_K * SHARE_SIZE, "line shares")?.to_vec();
        let axis_path = decode_axis_path(r)?;
        if usize::from(index) >= params.width() || shares.len() != params.line_bytes() {
            return Err(DecodeError::invalid(
                "line",
                format!(
                    "index {index} with {} bytes does not fit width {}",
                    shares.len(),
                    params.width()
                ),
            ));
        }
        Ok(Line {
            params,
            axis,
            index,
            shares,
            axis_path,
        })
    }
}

//! Bad-encoding fraud proofs: evidence, checkable with only a DA root, that a committed row or
//! column is not the Reed-Solomon decoding of its own shares.
//!
//! The proof for line `L` carries `k` of `L`'s shares, each proven through the crossing line
//! (a share of a row is proven through its column), plus `L`'s committed root. The verifier
//! decodes `L` from those `k` shares; if the decoded line's root differs from the committed
//! root, the square was not encoded correctly. For a correct square every line is a codeword
//! agreeing with every crossing line, so the decoded root always matches and no proof verifies.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::Hash;
use crate::ids::DaRoot;
use crate::square::{
    decode_axis_path, share_leaf, Axis, ExtendedSquare, ProofError, ShareProof, SquareHeader,
    SquareParams, MAX_K, SHARE_SIZE,
};
use crate::{codec::CodecError, merkle};

/// Why a fraud proof is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FraudError {
    /// The proof has the wrong number of shares, repeats a position, or is otherwise malformed.
    #[error("malformed fraud proof: {0}")]
    Malformed(String),
    /// A share or the committed root does not verify against the DA root.
    #[error("a proof inside the fraud proof fails: {0}")]
    Proof(#[from] ProofError),
    /// The shares could not be decoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The decoded line matches its committed root: the line is correctly encoded.
    #[error("the line decodes to its committed root; no fraud")]
    NotFraud,
}

/// One share of the accused line, proven through its crossing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The share's position along the accused line.
    pub position: u16,
    /// The share's bytes.
    pub share: Vec<u8>,
    /// Its proof through the crossing line.
    pub proof: ShareProof,
}

/// Proof that row or column `index` of the square under a DA root is badly encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEncodingProof {
    /// The square's parameters.
    pub params: SquareParams,
    /// The accused line's axis.
    pub axis: Axis,
    /// The accused line's index.
    pub index: u16,
    /// The accused line's committed root.
    pub line_root: Hash,
    /// That root's path in the axis tree.
    pub axis_path: Vec<Hash>,
    /// Exactly `k` shares of the accused line at distinct positions.
    pub witnesses: Vec<Witness>,
}

impl BadEncodingProof {
    /// Builds the proof against line `(axis, index)` of `header` from a rebuilt square whose
    /// crossing lines, where they match `header`, supply the witnesses (their paths come from
    /// the committed `header`, not from the rebuilt square's own roots). Returns `None` unless
    /// the built proof verifies, so a node never gossips a proof others would reject.
    pub fn from_rebuilt(
        header: &SquareHeader,
        rebuilt: &ExtendedSquare,
        axis: Axis,
        index: usize,
    ) -> Option<Self> {
        let params = header.params;
        let crossing = axis.crossing();
        let good: Vec<usize> = (0..params.width())
            .filter(|c| {
                header.root(crossing, *c).ok() == line_roots(rebuilt, crossing).get(*c).copied()
            })
            .take(params.k())
            .collect();
        if good.len() < params.k() {
            return None;
        }
        let mut witnesses = Vec::with_capacity(good.len());
        for c in good {
            let (row, col) = match axis {
                Axis::Row => (index, c),
                Axis::Col => (c, index),
            };
            let proof = ShareProof {
                params,
                axis: crossing,
                share_path: merkle::proof(&rebuilt.line_leaves(crossing, c), index).ok()?,
                axis_path: header.axis_path(crossing, c).ok()?,
            };
            witnesses.push(Witness {
                position: c as u16,
                share: rebuilt.share(row, col).ok()?.to_vec(),
                proof,
            });
        }
        let proof = BadEncodingProof {
            params,
            axis,
            index: index as u16,
            line_root: header.root(axis, index).ok()?,
            axis_path: header.axis_path(axis, index).ok()?,
            witnesses,
        };
        proof.verify(&header.da_root()).ok().map(|()| proof)
    }

    /// Checks the proof against `da_root`: `Ok` means the accused line is badly encoded.
    ///
    /// # Errors
    /// [`FraudError::NotFraud`] when the line is correctly encoded, or another
    /// [`FraudError`] when the proof itself is invalid.
    pub fn verify(&self, da_root: &DaRoot) -> Result<(), FraudError> {
        self.params.validate().map_err(ProofError::from)?;
        let (k, w) = (self.params.k(), self.params.width());
        let index = usize::from(self.index);
        if index >= w {
            return Err(FraudError::Malformed(format!(
                "line {index} outside width {w}"
            )));
        }
        if self.witnesses.len() != k {
            return Err(FraudError::Malformed(format!(
                "{} witnesses, exactly {k} required",
                self.witnesses.len()
            )));
        }
        crate::square::verify_line_root(
            &self.params,
            self.axis,
            index,
            &self.line_root,
            &self.axis_path,
            da_root,
        )?;
        let mut line = vec![0u8; self.params.line_bytes()];
        let mut present = vec![false; w];
        for witness in &self.witnesses {
            let pos = usize::from(witness.position);
            if pos >= w || present[pos] {
                return Err(FraudError::Malformed(format!(
                    "witness position {pos} repeated or outside width {w}"
                )));
            }
            if witness.proof.params != self.params || witness.proof.axis != self.axis.crossing() {
                return Err(FraudError::Malformed(
                    "witness not proven through its crossing line of this square".into(),
                ));
            }
            let (row, col) = match self.axis {
                Axis::Row => (index, pos),
                Axis::Col => (pos, index),
            };
            witness.proof.verify(da_root, row, col, &witness.share)?;
            line[pos * SHARE_SIZE..][..SHARE_SIZE].copy_from_slice(&witness.share);
            present[pos] = true;
        }
        let mut shards: Vec<&mut [u8]> = line.chunks_mut(SHARE_SIZE).collect();
        self.params
            .codec
            .code()
            .reconstruct(&mut shards, &present)?;
        let leaves: Vec<Hash> = line.chunks(SHARE_SIZE).map(share_leaf).collect();
        if merkle::root(&leaves) == self.line_root {
            Err(FraudError::NotFraud)
        } else {
            Ok(())
        }
    }
}

fn line_roots(square: &ExtendedSquare, axis: Axis) -> &[Hash] {
    match axis {
        Axis::Row => square.row_roots(),
        Axis::Col => square.col_roots(),
    }
}

impl Encode for Witness {
    fn encode_to(&self, out: &mut Writer) {
        out.u16(self.position);
        out.raw(&self.share);
        self.proof.encode_to(out);
    }
}

impl Decode for Witness {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Witness {
            position: r.u16("witness position")?,
            share: r.take(SHARE_SIZE, "witness share")?.to_vec(),
            proof: ShareProof::decode_from(r)?,
        })
    }
}

impl Encode for BadEncodingProof {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.params.encode_to(out);
        self.axis.encode_to(out);
        out.u16(self.index);
        out.hash(&self.line_root);
        out.hashes(&self.axis_path);
        out.list(&self.witnesses);
    }
}

impl Decode for BadEncodingProof {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("fraud proof version")?;
        Ok(BadEncodingProof {
            params: SquareParams::decode_from(r)?,
            axis: Axis::decode_from(r)?,
            index: r.u16("accused line")?,
            line_root: r.hash("line root")?,
            axis_path: decode_axis_path(r)?,
            witnesses: r.list(MAX_K, "witnesses")?,
        })
    }
}

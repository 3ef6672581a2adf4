//! The Reed-Solomon codecs behind one trait, named by a [`CodecId`] that every commitment binds.
//!
//! Both codecs are systematic: `k` original shards are followed by `k` recovery shards, and any
//! `k` of the `2k` rebuild the rest. They produce different recovery bytes for the same input,
//! which is why the codec id is part of the DA root.

mod leopard;
mod vandermonde;

use std::fmt;
use std::str::FromStr;

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

/// Which Reed-Solomon code extends a square.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CodecId {
    /// Leopard-style FFT code over GF(2^16) (`reed-solomon-simd`); the default, and the fastest.
    #[default]
    RsLeopard = 1,
    /// Vandermonde-matrix code over GF(2^8) (`reed-solomon-erasure` with `simd-accel`).
    RsVandermonde = 2,
}

impl CodecId {
    /// Every codec.
    pub const ALL: [CodecId; 2] = [CodecId::RsLeopard, CodecId::RsVandermonde];

    /// The codec's stable name, as in configuration files and manifests shown to people.
    pub const fn name(self) -> &'static str {
        match self {
            CodecId::RsLeopard => "rs-leopard",
            CodecId::RsVandermonde => "rs-vandermonde",
        }
    }

    /// The implementation of this codec.
    pub fn code(self) -> &'static dyn ErasureCode {
        match self {
            CodecId::RsLeopard => &leopard::Leopard,
            CodecId::RsVandermonde => &vandermonde::Vandermonde,
        }
    }
}

impl fmt::Display for CodecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not a known codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec {0:?}; expected rs-leopard or rs-vandermonde")]
pub struct UnknownCodec(pub String);

impl FromStr for CodecId {
    type Err = UnknownCodec;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CodecId::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCodec(s.to_owned()))
    }
}

impl Encode for CodecId {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(*self as u8);
    }
}

impl Decode for CodecId {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("codec")? {
            1 => Ok(CodecId::RsLeopard),
            2 => Ok(CodecId::RsVandermonde),
            v => Err(DecodeError::InvalidTag {
                context: "codec",
                value: v.into(),
            }),
        }
    }
}

/// Why a codec call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Fewer than `k` of the `2k` shards are present.
    #[error("{present} of {total} shards present, {needed} needed")]
    NotEnoughShards {
        /// Shards present.
        present: usize,
        /// Shards in the codeword.
        total: usize,
        /// Shards needed.
        needed: usize,
    },
    /// Shard counts or sizes the code does not accept.
    #[error("invalid shard layout: {0}")]
    Layout(String),
}

/// A systematic erasure code with `k` original and `k` recovery shards.
///
/// Every shard of one call has the same length, an even number of bytes. Both methods work per
/// byte position across shards (in 64-byte blocks for the GF(2^16) code), so encoding `k` shards
/// that are whole square rows extends every column of those rows at once.
pub trait ErasureCode: Send + Sync {
    /// The codec's id.
    fn id(&self) -> CodecId;

    /// Computes the `k = original.len()` recovery shards into `recovery`.
    ///
    /// # Errors
    /// [`CodecError::Layout`] when counts or sizes disagree.
    fn encode(&self, original: &[&[u8]], recovery: &mut [&mut [u8]]) -> Result<(), CodecError>;

    /// Fills in the shards of a `2k` codeword whose `present` flag is false, from the others.
    ///
    /// # Errors
    /// [`CodecError::NotEnoughShards`] when fewer than `k` are present, or
    /// [`CodecError::Layout`].
    fn reconstruct(&self, shards: &mut [&mut [u8]], present: &[bool]) -> Result<(), CodecError>;

    /// Like [`ErasureCode::reconstruct`] but fills in only the first `k` (original) shards;
    /// missing recovery shards are left as they were. Cheaper when only the data is wanted.
    ///
    /// # Errors
    /// As [`ErasureCode::reconstruct`].
    fn reconstruct_originals(
        &self,
        shards: &mut [&mut [u8]],
        present: &[bool],
    ) -> Result<(), CodecError>;
}

/// Checks the common preconditions of [`ErasureCode::reconstruct`] and returns `k`.
fn check_reconstruct(shards: &[&mut [u8]], present: &[bool]) -> Result<usize, CodecError> {
    if shards.len() != present.len() || shards.is_empty() || shards.len() % 2 != 0 {
        return Err(CodecError::Layout(format!(
            "{} shards with {} presence flags",
            shards.len(),
            present.len()
        )));
    }
    check_sizes(shards.iter().map(|s| s.len()))?;
    let k = shards.len() / 2;
    let have = present.iter().filter(|p| **p).count();
    if have < k {
        return Err(CodecError::NotEnoughShards {
            present: have,
            total: 2 * k,
            needed: k,
        });
    }
    Ok(k)
}

/// Checks the common preconditions of [`ErasureCode::encode`] and returns `k` and the shard
/// length.
fn check_encode(original: &[&[u8]], recovery: &[&mut [u8]]) -> Result<(usize, usize), CodecError> {
    let k = original.len();
    if recovery.len() != k {
        return Err(CodecError::Layout(format!(
            "{k} original shards but {} recovery shards",
            recovery.len()
        )));
    }
    let lens = original.iter().map(|s| s.len());
    let size = check_sizes(lens.chain(recovery.iter().map(|s| s.len())))?;
    Ok((k, size))
}

/// Checks that all shard lengths are equal, even and non-zero.
fn check_sizes(mut lens: impl Iterator<Item = usize>) -> Result<usize, CodecError> {
    let first = lens.next().unwrap_or(0);
    if first == 0 || first % 2 != 0 || lens.any(|l| l != first) {
        return Err(CodecError::Layout(
            "shards must share one even, non-zero length".into(),
        ));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codeword(codec: CodecId, k: usize, len: usize, seed: u8) -> Vec<Vec<u8>> {
        let mut shards: Vec<Vec<u8>> = (0..2 * k)
            .map(|i| {
                (0..len)
                    .map(|j| (i * 31 + j * 7) as u8 ^ seed)
                    .collect::<Vec<u8>>()
            })
            .collect();
        let (orig, rec) = shards.split_at_mut(k);
        let orig: Vec<&[u8]> = orig.iter().map(Vec::as_slice).collect();
        let mut rec: Vec<&mut [u8]> = rec.iter_mut().map(Vec::as_mut_slice).collect();
        codec.code().encode(&orig, &mut rec).unwrap();
        shards
    }

    #[test]
    fn codecs_differ_in_parity_but_agree_on_originals() {
        let a = codeword(CodecId::RsLeopard, 4, 64, 1);
        let b = codeword(CodecId::RsVandermonde, 4, 64, 1);
        assert_eq!(a[..4], b[..4]);
        assert_ne!(a[4..], b[4..]);
    }

    #[test]
    fn names_round_trip() {
        for c in CodecId::ALL {
            assert_eq!(c.name().parse::<CodecId>(), Ok(c));
            assert_eq!(CodecId::from_bytes(&c.to_bytes()), Ok(c));
        }
        assert!("rs-fast".parse::<CodecId>().is_err());
        assert!(CodecId::from_bytes(&[0]).is_err());
    }

    #[test]
    fn too_few_shards_is_an_error() {
        for codec in CodecId::ALL {
            let mut shards = codeword(codec, 4, 64, 3);
            let mut refs: Vec<&mut [u8]> = shards.iter_mut().map(Vec::as_mut_slice).collect();
            let present = [true, false, true, false, false, true, false, false];
            assert_eq!(
                codec.code().reconstruct(&mut refs, &present),
                Err(CodecError::NotEnoughShards {
                    present: 3,
                    total: 8,
                    needed: 4
                })
            );
        }
    }

    proptest! {
        #[test]
        fn any_k_of_2k_rebuild_the_codeword(log_k in 0u32..8, seed in any::<u8>(), keep_seed in any::<u64>()) {
            let k = 1usize << log_k;
            for codec in CodecId::ALL {
                let original = codeword(codec, k, 128, seed);
                let mut order: Vec<usize> = (0..2 * k).collect();
                let mut s = keep_seed;
                for i in (1..order.len()).rev() {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    order.swap(i, (s >> 33) as usize % (i + 1));
                }
                let mut present = vec![false; 2 * k];
                for &i in &order[..k] {
                    present[i] = true;
                }
                let mut damaged: Vec<Vec<u8>> = original
                    .iter()
                    .zip(&present)
                    .map(|(s, p)| if *p { s.clone() } else { vec![0xAA; s.len()] })
                    .collect();
                let mut refs: Vec<&mut [u8]> = damaged.iter_mut().map(Vec::as_mut_slice).collect();
                codec.code().reconstruct(&mut refs, &present).unwrap();
                prop_assert_eq!(&damaged, &original);
            }
        }
    }
}

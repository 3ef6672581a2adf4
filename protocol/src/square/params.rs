//! The parameters every square commitment binds: codec, width `k` and the chunk's true length.

use crate::chunking::MAX_CHUNK_LEN;
use crate::codec::CodecId;
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};

use super::{MAX_K, SHARE_SIZE};

/// Which way a line of the extended square runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// A row: shares `(r, 0..2k)`.
    Row = 0,
    /// A column: shares `(0..2k, c)`.
    Col = 1,
}

impl Axis {
    /// The other axis.
    pub fn crossing(self) -> Axis {
        match self {
            Axis::Row => Axis::Col,
            Axis::Col => Axis::Row,
        }
    }
}

impl Encode for Axis {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(*self as u8);
    }
}

impl Decode for Axis {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("axis")? {
            0 => Ok(Axis::Row),
            1 => Ok(Axis::Col),
            v => Err(DecodeError::InvalidTag {
                context: "axis",
                value: v.into(),
            }),
        }
    }
}

/// A square's shape and codec. Valid only when `k` is the smallest power of two whose `k x k`
/// square of 512-byte shares holds `chunk_len` bytes, so each chunk has exactly one square.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SquareParams {
    /// The code that extends rows and columns.
    pub codec: CodecId,
    /// Width of the original square, in shares.
    pub k: u16,
    /// The chunk's true length in bytes; the last share is zero-padded beyond it.
    pub chunk_len: u32,
}

/// The parameters are not those of any chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The chunk is longer than the largest square holds.
    #[error("chunk of {len} bytes exceeds the maximum of {max}")]
    ChunkTooLarge {
        /// The chunk's length.
        len: u64,
        /// [`MAX_CHUNK_LEN`].
        max: u64,
    },
    /// `k` is not the canonical width for the chunk length.
    #[error("k = {k} is not the canonical width {expected} for a {chunk_len}-byte chunk")]
    NonCanonicalK {
        /// The width given.
        k: u16,
        /// The width the length requires.
        expected: u16,
        /// The chunk length.
        chunk_len: u32,
    },
}

impl SquareParams {
    /// The parameters for a chunk of `len` bytes under `codec`.
    ///
    /// # Errors
    /// [`ParamsError::ChunkTooLarge`] beyond [`MAX_CHUNK_LEN`].
    pub fn for_chunk(codec: CodecId, len: usize) -> Result<Self, ParamsError> {
        if len > MAX_CHUNK_LEN {
            return Err(ParamsError::ChunkTooLarge {
                len: len as u64,
                max: MAX_CHUNK_LEN as u64,
            });
        }
        let shares = len.div_ceil(SHARE_SIZE).max(1);
        let mut k = 1usize;
        while k * k < shares {
            k *= 2;
        }
        debug_assert!(k <= MAX_K);
        Ok(SquareParams {
            codec,
            k: k as u16,
            chunk_len: len as u32,
        })
    }

    /// Checks that these are the canonical parameters of some chunk.
    ///
    /// # Errors
    /// Any [`ParamsError`].
    pub fn validate(&self) -> Result<(), ParamsError> {
        let canonical = Self::for_chunk(self.codec, self.chunk_len as usize)?;
        if canonical.k != self.k {
            return Err(ParamsError::NonCanonicalK {
                k: self.k,
                expected: canonical.k,
                chunk_len: self.chunk_len,
            });
        }
        Ok(())
    }

    /// `k` as a usize.
    pub fn k(&self) -> usize {
        usize::from(self.k)
    }

    /// The extended width `2k`: shares per row and per column.
    pub fn width(&self) -> usize {
        2 * self.k()
    }

    /// Bytes in one row (or column) of the extended square.
    pub fn line_bytes(&self) -> usize {
        self.width() * SHARE_SIZE
    }
}

impl Encode for SquareParams {
    fn encode_to(&self, out: &mut Writer) {
        self.codec.encode_to(out);
        out.u16(self.k);
        out.u32(self.chunk_len);
    }
}

impl Decode for SquareParams {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let params = SquareParams {
            codec: CodecId::decode_from(r)?,
            k: r.u16("k")?,
            chunk_len: r.u32("chunk length")?,
        };
        params
            .validate()
            .map_err(|e| DecodeError::invalid("square parameters", e.to_string()))?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_is_the_smallest_power_of_two_that_fits() {
        let k = |len| SquareParams::for_chunk(CodecId::RsLeopard, len).unwrap().k;
        assert_eq!(k(0), 1);
        assert_eq!(k(512), 1);
        assert_eq!(k(513), 2);
        assert_eq!(k(4 * 512), 2);
        assert_eq!(k(4 * 512 + 1), 4);
        assert_eq!(k(MAX_CHUNK_LEN), 128);
        assert!(SquareParams::for_chunk(CodecId::RsLeopard, MAX_CHUNK_LEN + 1).is_err());
    }

    #[test]
    fn non_canonical_k_does_not_decode() {
        let bad = SquareParams {
            codec: CodecId::RsLeopard,
            k: 4,
            chunk_len: 10,
        };
        assert!(bad.validate().is_err());
        assert!(SquareParams::from_bytes(&bad.to_bytes()).is_err());
        let good = SquareParams::for_chunk(CodecId::RsVandermonde, 10).unwrap();
        assert_eq!(SquareParams::from_bytes(&good.to_bytes()), Ok(good));
    }
}

//! The canonical byte encoding: one encoding per value, decoded totally and with bounded memory.
//!
//! Integers are big-endian and fixed-width. Byte strings and lists carry a length prefix whose
//! width and maximum are fixed per field, and the decoder checks the maximum before it allocates.
//! Booleans, enum tags and option tags accept only their defined values, and a top-level decode
//! rejects trailing bytes, so every value has exactly one encoding. `docs/protocol.md` lists every
//! object field by field.

use crate::hash::{Hash, HASH_LEN};
use bytes::Bytes;

/// The version byte that opens every top-level encoding.
pub const ENCODING_VERSION: u8 = 1;

/// Why bytes do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("input ends early: {context} needs {needed} more bytes")]
    Truncated {
        /// What was being read.
        context: &'static str,
        /// How many bytes were missing.
        needed: usize,
    },
    /// Bytes remain after a complete value.
    #[error("{0} bytes follow a complete value")]
    TrailingBytes(usize),
    /// A length prefix is larger than its field allows.
    #[error("{context} length {len} exceeds the maximum {max}")]
    TooLong {
        /// The field.
        context: &'static str,
        /// The length read.
        len: u64,
        /// The field's maximum.
        max: u64,
    },
    /// A tag, flag or version byte has a value with no meaning.
    #[error("invalid {context} value {value}")]
    InvalidTag {
        /// The field.
        context: &'static str,
        /// The byte read.
        value: u64,
    },
    /// The bytes decode but break a rule of the object (order, range, consistency).
    #[error("invalid {context}: {reason}")]
    Invalid {
        /// The object.
        context: &'static str,
        /// The rule that was broken.
        reason: String,
    },
}

impl DecodeError {
    /// A broken object rule.
    pub fn invalid(context: &'static str, reason: impl Into<String>) -> Self {
        DecodeError::Invalid {
            context,
            reason: reason.into(),
        }
    }
}

/// A value with a canonical encoding.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode_to(&self, out: &mut Writer);

    /// The exact length of the encoding, for types whose encodings are large and cheap to
    /// measure; `None` for the rest. [`Encode::to_bytes`] then allocates once instead of
    /// growing its buffer as it writes.
    fn encoded_len(&self) -> Option<usize> {
        None
    }

    /// The encoding of `self` as a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.encoded_len().unwrap_or(0));
        self.encode_to(&mut w);
        w.into_bytes()
    }
}

/// A value that can be read back from its canonical encoding.
pub trait Decode: Sized {
    /// Reads one value from `r`, leaving `r` after it.
    ///
    /// # Errors
    /// Any [`DecodeError`]; never panics and never allocates more than the field bounds allow.
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Decodes exactly one value occupying all of `bytes`.
    ///
    /// # Errors
    /// Any [`DecodeError`], including [`DecodeError::TrailingBytes`].
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode_whole(Reader::new(bytes))
    }

    /// Decodes exactly one value occupying all of `bytes`, whose large byte fields (those read
    /// with [`Reader::shared_bytes`]) then share `bytes` instead of being copied out of it.
    ///
    /// # Errors
    /// As [`Decode::from_bytes`].
    fn from_shared(bytes: &Bytes) -> Result<Self, DecodeError> {
        decode_whole(Reader {
            rest: bytes,
            shared: Some(bytes),
        })
    }
}

/// Decodes one value that must use up all of `r`.
fn decode_whole<T: Decode>(mut r: Reader<'_>) -> Result<T, DecodeError> {
    let value = T::decode_from(&mut r)?;
    r.finish()?;
    Ok(value)
}

/// Appends canonical encodings to a buffer.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// A writer whose buffer holds `capacity` bytes before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Writer {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Writes one byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Writes a big-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes a big-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes a big-endian u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes bytes with no length prefix (fixed-size fields).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Writes a hash.
    pub fn hash(&mut self, h: &Hash) {
        self.raw(&h.0);
    }

    /// Writes a byte string with a u32 length prefix.
    ///
    /// Every caller bounds its fields far below `u32::MAX`, which the decoder enforces.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u32(len_u32(bytes.len()));
        self.raw(bytes);
    }

    /// Writes a UTF-8 string with a u32 length prefix.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Writes a list: a u32 count, then each item.
    pub fn list<T: Encode>(&mut self, items: &[T]) {
        self.u32(len_u32(items.len()));
        for item in items {
            item.encode_to(self);
        }
    }

    /// Writes a list of hashes: a u32 count, then the hashes.
    pub fn hashes(&mut self, items: &[Hash]) {
        self.u32(len_u32(items.len()));
        for h in items {
            self.hash(h);
        }
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Reads canonical encodings from a byte slice, never past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    /// The buffer `rest` lies in, when large fields may share it rather than be copied.
    shared: Option<&'a Bytes>,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            shared: None,
        }
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Fails unless every byte was consumed.
    ///
    /// # Errors
    /// [`DecodeError::TrailingBytes`].
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }

    /// Reads `n` raw bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn take(&mut self, n: usize, context: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated {
                context,
                needed: n - self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Reads a fixed-size array.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn array<const N: usize>(&mut self, context: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, context)?);
        Ok(out)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn u8(&mut self, context: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(context)?[0])
    }

    /// Reads a big-endian u16.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn u16(&mut self, context: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(context)?))
    }

    /// Reads a big-endian u32.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn u32(&mut self, context: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(context)?))
    }

    /// Reads a big-endian u64.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn u64(&mut self, context: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(context)?))
    }

    /// Reads a hash.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn hash(&mut self, context: &'static str) -> Result<Hash, DecodeError> {
        Ok(Hash(self.array::<HASH_LEN>(context)?))
    }

    /// Reads the version byte that opens a top-level object and checks it.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for any version but [`ENCODING_VERSION`].
    pub fn version(&mut self, context: &'static str) -> Result<(), DecodeError> {
        match self.u8(context)? {
            ENCODING_VERSION => Ok(()),
            v => Err(DecodeError::InvalidTag {
                context,
                value: v.into(),
            }),
        }
    }

    /// Reads a u32 length prefix no larger than `max`.
    ///
    /// # Errors
    /// [`DecodeError::TooLong`] or [`DecodeError::Truncated`].
    pub fn len(&mut self, max: usize, context: &'static str) -> Result<usize, DecodeError> {
        let len = self.u32(context)? as usize;
        if len > max {
            return Err(DecodeError::TooLong {
                context,
                len: len as u64,
                max: max as u64,
            });
        }
        Ok(len)
    }

    /// Reads a length-prefixed byte string of at most `max` bytes.
    ///
    /// # Errors
    /// [`DecodeError::TooLong`] or [`DecodeError::Truncated`].
    pub fn bytes(&mut self, max: usize, context: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.len(max, context)?;
        self.take(len, context)
    }

    /// Reads a length-prefixed byte string of at most `max` bytes as [`Bytes`]: a view of the
    /// buffer when reading through [`Decode::from_shared`], a copy otherwise.
    ///
    /// # Errors
    /// As [`Reader::bytes`].
    pub fn shared_bytes(
        &mut self,
        max: usize,
        context: &'static str,
    ) -> Result<Bytes, DecodeError> {
        let slice = self.bytes(max, context)?;
        Ok(match self.shared {
            Some(buffer) => buffer.slice_ref(slice),
            None => Bytes::copy_from_slice(slice),
        })
    }

    /// Reads a length-prefixed UTF-8 string of at most `max` bytes.
    ///
    /// # Errors
    /// [`DecodeError::TooLong`], [`DecodeError::Truncated`] or [`DecodeError::Invalid`] for bad
    /// UTF-8.
    pub fn str(&mut self, max: usize, context: &'static str) -> Result<String, DecodeError> {
        let bytes = self.bytes(max, context)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError::invalid(context, "not UTF-8"))
    }

    /// Reads a list of at most `max` items.
    ///
    /// The vector grows as items decode, so a lying count cannot reserve memory.
    ///
    /// # Errors
    /// Any [`DecodeError`].
    pub fn list<T: Decode>(
        &mut self,
        max: usize,
        context: &'static str,
    ) -> Result<Vec<T>, DecodeError> {
        let len = self.len(max, context)?;
        let mut items = Vec::with_capacity(len.min(self.remaining()));
        for _ in 0..len {
            items.push(T::decode_from(self)?);
        }
        Ok(items)
    }

    /// Reads a list of at most `max` hashes.
    ///
    /// # Errors
    /// [`DecodeError::TooLong`] or [`DecodeError::Truncated`].
    pub fn hashes(&mut self, max: usize, context: &'static str) -> Result<Vec<Hash>, DecodeError> {
        let len = self.len(max, context)?;
        let bytes = self.take(len * HASH_LEN, context)?;
        Ok(bytes
            .chunks_exact(HASH_LEN)
            .map(|c| {
                let mut h = [0u8; HASH_LEN];
                h.copy_from_slice(c);
                Hash(h)
            })
            .collect())
    }
}

impl Encode for Hash {
    fn encode_to(&self, out: &mut Writer) {
        out.hash(self);
    }
}

impl Decode for Hash {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.hash("hash")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian() {
        let mut w = Writer::default();
        w.u16(0x0102);
        w.u32(0x03040506);
        w.u64(7);
        assert_eq!(w.into_bytes(), [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn oversized_length_is_refused_before_allocation() {
        let mut w = Writer::default();
        w.u32(u32::MAX);
        let bytes = w.into_bytes();
        let err = Reader::new(&bytes).list::<Hash>(10, "list").unwrap_err();
        assert!(matches!(err, DecodeError::TooLong { len, max: 10, .. } if len == u32::MAX as u64));
    }

    #[test]
    fn truncated_and_trailing_inputs_fail() {
        assert!(matches!(
            Hash::from_bytes(&[0u8; 31]),
            Err(DecodeError::Truncated { needed: 1, .. })
        ));
        assert_eq!(
            Hash::from_bytes(&[0u8; 33]),
            Err(DecodeError::TrailingBytes(1))
        );
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut w = Writer::default();
        w.bytes(&[0xff, 0xfe]);
        let bytes = w.into_bytes();
        assert!(matches!(
            Reader::new(&bytes).str(10, "s"),
            Err(DecodeError::Invalid { .. })
        ));
    }
}

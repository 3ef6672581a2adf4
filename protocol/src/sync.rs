//! Set reconciliation of a datanet's contribution ids between two nodes: ranges of the id
//! space named by a prefix of their leading bits, and a fingerprint per range (how many ids
//! and the XOR of them). Two nodes whose fingerprints of a range agree hold the same ids in
//! it (ids are hashes, so a different set with the same count and XOR does not occur by
//! chance); where they differ, the range is split into 16 and compared again, until it is
//! small enough to list. A node in sync with a peer learns so from one small exchange,
//! however many contributions the datanet has.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::{Hash, HASH_LEN};
use crate::ids::ContributionId;

/// The most leading bits a prefix names: 16 hex digits.
pub const MAX_PREFIX_BITS: u8 = 64;
/// The bits each split adds: one hex digit, 16 children.
pub const SPLIT_BITS: u8 = 4;

/// The ids whose first `bits` bits equal those of `value` (read as the id's first 8 bytes,
/// big-endian; bits past `bits` are zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IdPrefix {
    /// How many leading bits are fixed: a multiple of [`SPLIT_BITS`], at most
    /// [`MAX_PREFIX_BITS`].
    pub bits: u8,
    /// The fixed bits, left-aligned in a u64.
    pub value: u64,
}

impl IdPrefix {
    /// Every id.
    pub const ALL: IdPrefix = IdPrefix { bits: 0, value: 0 };

    /// Whether `id` is in the range.
    pub fn contains(&self, id: &Hash) -> bool {
        self.bits == 0
            || leading(id) >> (64 - u32::from(self.bits))
                == self.value >> (64 - u32::from(self.bits))
    }

    /// The smallest id in the range.
    pub fn start(&self) -> Hash {
        let mut bytes = [0u8; HASH_LEN];
        bytes[..8].copy_from_slice(&self.value.to_be_bytes());
        Hash(bytes)
    }

    /// The id just before the range (the cursor from which to list it), or `None` when the
    /// range starts at the first id.
    pub fn cursor(&self) -> Option<ContributionId> {
        let mut bytes = self.start().0;
        for byte in bytes.iter_mut().rev() {
            if *byte > 0 {
                *byte -= 1;
                return Some(ContributionId(Hash(bytes)));
            }
            *byte = 0xff;
        }
        None
    }

    /// The 16 ranges this one splits into, in id order; `None` at [`MAX_PREFIX_BITS`].
    pub fn children(&self) -> Option<Vec<IdPrefix>> {
        if self.bits >= MAX_PREFIX_BITS {
            return None;
        }
        let bits = self.bits + SPLIT_BITS;
        let shift = 64 - u32::from(bits);
        Some(
            (0..1u64 << SPLIT_BITS)
                .map(|digit| IdPrefix {
                    bits,
                    value: self.value | (digit << shift),
                })
                .collect(),
        )
    }

    /// Whether the prefix is well formed: its bit count a multiple of [`SPLIT_BITS`] up to
    /// [`MAX_PREFIX_BITS`], and no bit set past it.
    pub fn is_valid(&self) -> bool {
        self.bits <= MAX_PREFIX_BITS
            && self.bits % SPLIT_BITS == 0
            && (self.bits == 64 || self.value & (u64::MAX >> self.bits) == 0)
    }
}

/// The first 8 bytes of `id`, big-endian.
fn leading(id: &Hash) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&id.0[..8]);
    u64::from_be_bytes(first)
}

impl Encode for IdPrefix {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(self.bits);
        out.u64(self.value);
    }
}

impl Decode for IdPrefix {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let prefix = IdPrefix {
            bits: r.u8("id prefix bits")?,
            value: r.u64("id prefix value")?,
        };
        if !prefix.is_valid() {
            return Err(DecodeError::invalid(
                "id prefix",
                "bits must be a multiple of 4 up to 64, with nothing set past them",
            ));
        }
        Ok(prefix)
    }
}

/// How many ids a range holds and the XOR of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// How many ids.
    pub count: u64,
    /// The XOR of every id.
    pub xor: Hash,
}

impl Fingerprint {
    /// Adds `id` to the fingerprint.
    pub fn add(&mut self, id: &Hash) {
        self.count += 1;
        for (x, b) in self.xor.0.iter_mut().zip(id.0) {
            *x ^= b;
        }
    }

    /// The fingerprint of `ids`.
    pub fn of<'a>(ids: impl IntoIterator<Item = &'a Hash>) -> Self {
        let mut fingerprint = Fingerprint::default();
        for id in ids {
            fingerprint.add(id);
        }
        fingerprint
    }
}

impl Encode for Fingerprint {
    fn encode_to(&self, out: &mut Writer) {
        out.u64(self.count);
        out.hash(&self.xor);
    }
}

impl Decode for Fingerprint {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Fingerprint {
            count: r.u64("fingerprint count")?,
            xor: r.hash("fingerprint xor")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{hash, Domain};

    fn id(n: u32) -> Hash {
        hash(Domain::Chunk, &n.to_be_bytes())
    }

    #[test]
    fn the_children_of_a_range_split_its_ids_without_overlap_or_gap() {
        let ids: Vec<Hash> = (0..2000).map(id).collect();
        let mut prefixes = vec![IdPrefix::ALL];
        for _ in 0..3 {
            prefixes = prefixes
                .iter()
                .flat_map(|p| p.children().unwrap())
                .collect();
        }
        assert_eq!(prefixes.len(), 4096);
        for id in &ids {
            assert_eq!(prefixes.iter().filter(|p| p.contains(id)).count(), 1);
        }
        assert!(prefixes.windows(2).all(|w| w[0].start() < w[1].start()));
        assert!(prefixes.iter().all(IdPrefix::is_valid));
    }

    #[test]
    fn a_range_starts_at_its_first_id_and_its_cursor_sorts_just_before() {
        let prefix = IdPrefix {
            bits: 8,
            value: 0x3a << 56,
        };
        let start = prefix.start();
        assert!(prefix.contains(&start));
        let cursor = prefix.cursor().unwrap().0;
        assert!(cursor < start && !prefix.contains(&cursor));
        assert_eq!(cursor.0[0], 0x39);
        assert!(cursor.0[1..].iter().all(|b| *b == 0xff));
        assert_eq!(IdPrefix::ALL.cursor(), None);
        let deepest = IdPrefix {
            bits: MAX_PREFIX_BITS,
            value: 7,
        };
        assert!(deepest.children().is_none());
        assert!(deepest.is_valid());
    }

    #[test]
    fn fingerprints_agree_only_on_equal_sets() {
        let a: Vec<Hash> = (0..100).map(id).collect();
        let mut b = a.clone();
        b.reverse();
        assert_eq!(
            Fingerprint::of(&a),
            Fingerprint::of(&b),
            "order does not matter"
        );
        b.pop();
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&b));
        b.push(id(1000));
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&b));
    }

    #[test]
    fn malformed_prefixes_are_refused() {
        let prefix = IdPrefix {
            bits: 12,
            value: 0xabc << 52,
        };
        assert_eq!(IdPrefix::from_bytes(&prefix.to_bytes()).unwrap(), prefix);
        for bad in [
            IdPrefix { bits: 6, value: 0 },
            IdPrefix { bits: 68, value: 0 },
            IdPrefix { bits: 4, value: 1 },
        ] {
            assert!(IdPrefix::from_bytes(&bad.to_bytes()).is_err(), "{bad:?}");
        }
    }
}

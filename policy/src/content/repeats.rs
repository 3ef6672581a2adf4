//! Finding a payload's repeated records: the hash of every record is kept in arrival order,
//! and sorted once at the end, where a repeat sits next to its earlier copy and the index of
//! accepted records is asked about each distinct hash once, in key order.
//!
//! Appending costs a copy of 32 bytes, where a hash set would pay a cache miss per record;
//! the hashes had to come out sorted anyway. The sort runs on every core.

use std::cmp::Ordering;

use datanet_protocol::hash::Hash;
use rayon::slice::ParallelSliceMut;

use super::seen::SeenRecords;

/// The hashes of one payload's records.
pub(crate) struct RecordHashes {
    all: Vec<Hash>,
}

/// What the hashes of a payload come to.
pub(crate) struct Repeats {
    /// The records that repeat one the datanet holds or one earlier in the payload.
    pub(crate) repeats: u64,
    /// The distinct hashes the datanet does not hold, ascending.
    pub(crate) new_records: Vec<Hash>,
}

impl RecordHashes {
    /// No hashes yet.
    pub(crate) fn new() -> Self {
        RecordHashes { all: Vec::new() }
    }

    /// Keeps the hash of the next record.
    pub(crate) fn push(&mut self, record: Hash) {
        self.all.push(record);
    }

    /// Sorts the hashes and counts the repeats: every copy of a hash `seen` holds, and every
    /// copy but the first of one it does not.
    pub(crate) fn repeats<S: SeenRecords + ?Sized>(self, seen: &S) -> Repeats {
        let mut all = self.all;
        all.par_sort_unstable_by(by_prefix_first);
        let total = all.len() as u64;
        all.dedup();
        all.retain(|record| !seen.contains(record));
        all.shrink_to_fit();
        Repeats {
            repeats: total - all.len() as u64,
            new_records: all,
        }
    }
}

/// The order of [`Hash`], decided by the first 8 bytes as one number wherever they differ,
/// which for distinct BLAKE3 outputs is all but always.
fn by_prefix_first(a: &Hash, b: &Hash) -> Ordering {
    prefix(a).cmp(&prefix(b)).then_with(|| a.cmp(b))
}

fn prefix(h: &Hash) -> u64 {
    let mut first = [0; 8];
    first.copy_from_slice(&h.0[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn copies_and_held_hashes_are_repeats_and_the_rest_come_out_sorted() {
        let h = |first: u8, last: u8| {
            let mut bytes = [first; 32];
            bytes[31] = last;
            Hash(bytes)
        };
        let mut hashes = RecordHashes::new();
        for record in [
            h(9, 0),
            h(3, 0),
            h(7, 0),
            h(3, 0),
            h(1, 2),
            h(1, 1),
            h(7, 0),
            h(5, 0),
        ] {
            hashes.push(record);
        }
        let held: BTreeSet<Hash> = [h(7, 0), h(8, 0)].into();
        let found = hashes.repeats(&held);
        assert_eq!(found.repeats, 3, "one copy of 3, both copies of the held 7");
        assert_eq!(
            found.new_records,
            vec![h(1, 1), h(1, 2), h(3, 0), h(5, 0), h(9, 0)]
        );
    }

    #[test]
    fn the_prefix_order_is_the_order_of_hashes() {
        let mut hashes: Vec<Hash> = (0..200u32)
            .map(|i| {
                let mut bytes = [0; 32];
                bytes[(i % 32) as usize] = (i * 37 % 251) as u8;
                bytes[31] = (i % 3) as u8;
                Hash(bytes)
            })
            .collect();
        let mut expected = hashes.clone();
        expected.sort_unstable();
        hashes.sort_unstable_by(by_prefix_first);
        assert_eq!(hashes, expected);
    }
}

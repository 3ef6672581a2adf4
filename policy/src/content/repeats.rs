//! Finding a payload's repeated records: the hash of every record is kept in arrival order,
//! and sorted once at the end, where a repeat sits next to its earlier copy and the index of
//! accepted records is asked about each distinct hash once, in key order.
//!
//! Appending costs a copy of 32 bytes, where a hash set would pay a cache miss per record;
//! the hashes had to come out sorted anyway. The sort runs on every core. A check given a
//! folder to spill to writes the hashes there as sorted runs instead ([`super::spill`]) and
//! merges them at the end.

use std::cmp::Ordering;
use std::io;
use std::path::Path;

use datanet_protocol::hash::Hash;
use rayon::slice::ParallelSliceMut;

use super::new_records::NewRecords;
use super::seen::SeenRecords;
use super::spill::Spill;

/// The hashes of one payload's records.
pub(crate) struct RecordHashes {
    /// The hashes not spilled, in arrival order.
    all: Vec<Hash>,
    spill: Option<Spill>,
}

/// What the hashes of a payload come to.
pub(crate) struct Repeats {
    /// The records that repeat one the datanet holds or one earlier in the payload.
    pub(crate) repeats: u64,
    /// The distinct hashes the datanet does not hold, ascending.
    pub(crate) new_records: NewRecords,
}

impl RecordHashes {
    /// No hashes yet; all of them to be kept in memory.
    pub(crate) fn new() -> Self {
        RecordHashes {
            all: Vec::new(),
            spill: None,
        }
    }

    /// From now on, every `every` hashes ([`super::spill::SPILL_AT`] outside tests) are written as a
    /// sorted run to a temporary file in `dir`.
    pub(crate) fn spill_to(&mut self, dir: &Path, every: usize) {
        self.spill = Some(Spill::new(dir, every));
    }

    /// Keeps the hash of the next record.
    pub(crate) fn push(&mut self, record: Hash) {
        self.all.push(record);
        if let Some(spill) = &mut self.spill {
            if spill.full(self.all.len()) {
                spill.write_run(&mut self.all);
            }
        }
    }

    /// Sorts the hashes and counts the repeats: every copy of a hash `seen` holds, and every
    /// copy but the first of one it does not. The new hashes are in a temporary file when any
    /// run was spilled, in memory otherwise.
    ///
    /// # Errors
    /// An I/O error writing or reading back a spilled run.
    pub(crate) fn repeats<S: SeenRecords + ?Sized>(self, seen: &S) -> io::Result<Repeats> {
        let mut all = self.all;
        if let Some(spill) = self.spill.filter(Spill::used) {
            let (repeats, new_records) = spill.merge(all, seen)?;
            return Ok(Repeats {
                repeats,
                new_records,
            });
        }
        sort(&mut all);
        let total = all.len() as u64;
        all.dedup();
        all.retain(|record| !seen.contains(record));
        all.shrink_to_fit();
        Ok(Repeats {
            repeats: total - all.len() as u64,
            new_records: NewRecords::in_memory(all),
        })
    }
}

/// Sorts `hashes` ascending, on every core.
pub(crate) fn sort(hashes: &mut [Hash]) {
    hashes.par_sort_unstable_by(by_prefix_first);
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

    use datanet_protocol::hash::Domain;

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
        let found = hashes.repeats(&held).unwrap();
        assert_eq!(found.repeats, 3, "one copy of 3, both copies of the held 7");
        assert_eq!(
            found.new_records.into_vec().unwrap(),
            vec![h(1, 1), h(1, 2), h(3, 0), h(5, 0), h(9, 0)]
        );
    }

    #[test]
    fn spilled_runs_give_the_repeats_and_new_records_of_the_hashes_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Hash> = (0..500u32)
            .map(|i| datanet_protocol::hash::hash(Domain::Record, &(i % 170).to_be_bytes()))
            .collect();
        let held: BTreeSet<Hash> = records.iter().step_by(7).copied().collect();
        let (mut in_memory, mut spilled) = (RecordHashes::new(), RecordHashes::new());
        spilled.spill_to(dir.path(), 16);
        for record in &records {
            in_memory.push(*record);
            spilled.push(*record);
        }
        let expected = in_memory.repeats(&held).unwrap();
        let found = spilled.repeats(&held).unwrap();
        assert!(found.new_records.is_spilled() && !expected.new_records.is_spilled());
        assert_eq!(found.repeats, expected.repeats);
        assert_eq!(found.new_records.len(), expected.new_records.len());
        let expected = expected.new_records.into_vec().unwrap();
        assert_eq!(found.new_records.into_vec().unwrap(), expected);
        assert!(expected.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_spill_that_cannot_be_written_gives_an_error_not_a_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let mut hashes = RecordHashes::new();
        hashes.spill_to(&gone, 2);
        for i in 0..5u8 {
            hashes.push(Hash([i; 32]));
        }
        assert!(hashes.repeats(&BTreeSet::new()).is_err());
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

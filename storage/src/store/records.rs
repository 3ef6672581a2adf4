//! The per-datanet record index: the hashes of the records accepted in each datanet, one key
//! per record, so the content checker finds a repeat with one point read.
//!
//! Keys are [`Kind::Record`] ‖ datanet id ‖ record hash, with no value. The index only grows:
//! garbage collection leaves it alone, since a record accepted once stays a repeat even after
//! the contribution that brought it is collected. Stores of earlier formats simply have no
//! such keys, which is a valid (empty) index, so the index needs no migration.

use std::sync::OnceLock;

use datanet_policy::SeenRecords;
use datanet_protocol::hash::HASH_LEN;
use datanet_protocol::{ContributionId, DatanetId, Hash};

use super::contributions::listed_key;
use crate::backend::Op;
use crate::keys::Kind;
use crate::{Store, StoreError};

/// The most record hashes one [`Store::add_records`] call writes. They go to disk in one
/// atomic batch, held in memory until it commits; this is the default `max_records` of a
/// datanet's policy, so a contribution within it is indexed in one call.
pub const MAX_RECORDS_PER_ADD: usize = 10_000_000;

/// The length of a record key: the kind, the datanet id and the record hash.
const RECORD_KEY_LEN: usize = 1 + 2 * HASH_LEN;

/// The key of `record` in the index of `datanet`, built on the stack: a lookup allocates
/// nothing.
fn record_key(datanet: &DatanetId, record: &Hash) -> [u8; RECORD_KEY_LEN] {
    let mut k = [0; RECORD_KEY_LEN];
    k[0] = Kind::Record as u8;
    k[1..=HASH_LEN].copy_from_slice(&datanet.0 .0);
    k[1 + HASH_LEN..].copy_from_slice(&record.0);
    k
}

/// The record index of one datanet, as the content checker asks it ([`SeenRecords`]).
///
/// A lookup is one point read. A read that fails cannot be reported through
/// [`SeenRecords::contains`], so the view keeps the first error, answers "seen" from then on
/// without reading again (erring towards a refusal rather than towards a repeat let through),
/// and hands the error back from [`SeenIndex::finish`]: a verdict reached while an error is
/// held must be discarded.
#[derive(Debug)]
pub struct SeenIndex {
    store: Store,
    datanet: DatanetId,
    failed: OnceLock<StoreError>,
}

impl SeenIndex {
    /// Ends the lookups: `Ok` when every one was answered from the store.
    ///
    /// # Errors
    /// The first engine error a lookup met; the checker's verdict is then not to be trusted.
    pub fn finish(self) -> Result<(), StoreError> {
        match self.failed.into_inner() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl SeenRecords for SeenIndex {
    fn contains(&self, record: &Hash) -> bool {
        if self.failed.get().is_some() {
            return true;
        }
        match self.store.backend.get(&record_key(&self.datanet, record)) {
            Ok(found) => found.is_some(),
            Err(error) => {
                // Only the first error is kept; a lookup after it never reads.
                let _ = self.failed.set(error);
                true
            }
        }
    }
}

impl Store {
    /// The record index of `datanet`, for the content checker: a cheap view that reads the
    /// store on each lookup. See [`SeenIndex`] for how a failed read surfaces.
    pub fn seen_records(&self, datanet: &DatanetId) -> SeenIndex {
        SeenIndex {
            store: self.clone(),
            datanet: *datanet,
            failed: OnceLock::new(),
        }
    }

    /// Adds `records` (record hashes, as the checker's `new_records` lists them) to the index
    /// of `datanet`, once `contribution` to it is stored: all of them in one atomic, durable
    /// batch, so a crash leaves all or none. Adding hashes already there changes nothing.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for more than [`MAX_RECORDS_PER_ADD`] hashes or a contribution
    /// not stored under `datanet`, or an engine error; in every case nothing is added.
    pub fn add_records(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        records: &[Hash],
    ) -> Result<(), StoreError> {
        let ops = self.record_ops(datanet, contribution, records)?;
        self.commit(ops)
    }

    /// The writes that add `records` to `datanet`'s index, checked as [`Store::add_records`]
    /// checks them, for a caller that commits them with other writes.
    pub(crate) fn record_ops(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        records: &[Hash],
    ) -> Result<Vec<Op>, StoreError> {
        if records.len() > MAX_RECORDS_PER_ADD {
            return Err(StoreError::Invalid(format!(
                "{} record hashes in one call, over the limit of {MAX_RECORDS_PER_ADD}",
                records.len()
            )));
        }
        if self
            .backend
            .get(&listed_key(datanet, contribution))?
            .is_none()
        {
            return Err(StoreError::Invalid(format!(
                "contribution {contribution} is not stored in datanet {datanet}"
            )));
        }
        Ok(records
            .iter()
            .map(|record| Op::Put(record_key(datanet, record).to_vec(), Vec::new()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use datanet_policy::{record_hash, Rules};
    use datanet_protocol::hash::{hash, Domain};
    use datanet_protocol::signed::{Policy, RecordFormat, RecordRules};
    use datanet_protocol::test_utils::sample_contribution;
    use datanet_protocol::ChunkId;

    use super::*;
    use crate::backend::{Backend, Entry, MemoryBackend};
    use crate::keys::key;
    use crate::store::tests::{put, stores};

    fn hashes(from: u8, n: u8) -> Vec<Hash> {
        (from..from + n).map(|i| Hash([i; 32])).collect()
    }

    fn index_keys(store: &Store) -> Vec<Vec<u8>> {
        store
            .backend()
            .scan(&key(Kind::Record, &[]))
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    #[test]
    fn a_record_key_is_the_kind_then_the_datanet_then_the_hash() {
        let datanet = DatanetId(Hash([1; 32]));
        let record = Hash([2; 32]);
        assert_eq!(
            record_key(&datanet, &record).to_vec(),
            key(Kind::Record, &[&datanet.0 .0, &record.0])
        );
    }

    #[test]
    fn added_records_are_found_only_in_their_datanet_and_adding_again_changes_nothing() {
        for (store, _dir) in stores() {
            let s = sample_contribution(20, 0, 3_000);
            put(&store, &s);
            let datanet = s.manifest.body().datanet;
            let other = DatanetId(hash(Domain::Datanet, b"another datanet"));
            let added = hashes(1, 5);
            store
                .add_records(&datanet, &s.manifest.id(), &added)
                .unwrap();
            let seen = store.seen_records(&datanet);
            let elsewhere = store.seen_records(&other);
            for record in &added {
                assert!(seen.contains(record));
                assert!(!elsewhere.contains(record));
            }
            assert!(!seen.contains(&Hash([9; 32])));
            seen.finish().unwrap();
            elsewhere.finish().unwrap();

            let before = index_keys(&store);
            assert_eq!(before.len(), 5);
            store
                .add_records(&datanet, &s.manifest.id(), &added[1..3])
                .unwrap();
            assert_eq!(index_keys(&store), before);
        }
    }

    #[test]
    fn records_of_a_contribution_not_stored_or_too_many_at_once_are_refused() {
        for (store, _dir) in stores() {
            let s = sample_contribution(21, 0, 3_000);
            let datanet = s.manifest.body().datanet;
            let refused = store.add_records(&datanet, &s.manifest.id(), &hashes(1, 2));
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
            put(&store, &s);
            let other = DatanetId(hash(Domain::Datanet, b"another datanet"));
            let refused = store.add_records(&other, &s.manifest.id(), &hashes(1, 2));
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
            let too_many = vec![Hash([3; 32]); MAX_RECORDS_PER_ADD + 1];
            let refused = store.add_records(&datanet, &s.manifest.id(), &too_many);
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
            assert!(index_keys(&store).is_empty());
        }
    }

    #[test]
    fn the_index_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let s = sample_contribution(22, 0, 3_000);
        let datanet = s.manifest.body().datanet;
        {
            let store = Store::open(dir.path()).unwrap();
            put(&store, &s);
            store
                .add_records(&datanet, &s.manifest.id(), &hashes(1, 3))
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let seen = store.seen_records(&datanet);
        assert!(hashes(1, 3).iter().all(|r| seen.contains(r)));
        seen.finish().unwrap();
    }

    /// Memory underneath, with commits and reads that fail on demand (as a dying disk's do):
    /// a failed commit applies nothing, as every engine promises.
    #[derive(Default)]
    struct FailingDisk {
        inner: MemoryBackend,
        failing: AtomicBool,
    }

    impl FailingDisk {
        fn check(&self) -> Result<(), StoreError> {
            if self.failing.load(Ordering::SeqCst) {
                return Err(StoreError::io("testing", io::Error::from_raw_os_error(5)));
            }
            Ok(())
        }
    }

    impl Backend for FailingDisk {
        fn get(&self, k: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            self.check()?;
            self.inner.get(k)
        }
        fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
            self.inner.scan(prefix)
        }
        fn keys_after(&self, p: &[u8], a: &[u8], n: usize) -> Result<Vec<Vec<u8>>, StoreError> {
            self.inner.keys_after(p, a, n)
        }
        fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
            self.check()?;
            self.inner.commit(ops)
        }
        fn put_blob(&self, id: &ChunkId, parts: &[&[u8]]) -> Result<(), StoreError> {
            self.inner.put_blob(id, parts)
        }
        fn get_blob(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get_blob(id)
        }
        fn get_blob_range(
            &self,
            id: &ChunkId,
            offset: u64,
            len: usize,
        ) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get_blob_range(id, offset, len)
        }
        fn remove_blob(&self, id: &ChunkId) -> Result<(), StoreError> {
            self.inner.remove_blob(id)
        }
        fn blob_ids(&self) -> Result<Vec<ChunkId>, StoreError> {
            self.inner.blob_ids()
        }
    }

    #[test]
    fn a_failed_write_adds_nothing_and_a_failed_lookup_is_handed_back() {
        let disk = Arc::new(FailingDisk::default());
        let store = Store::with_backend(Arc::clone(&disk) as Arc<dyn Backend>).unwrap();
        let s = sample_contribution(23, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        let id = s.manifest.id();
        store.add_records(&datanet, &id, &hashes(1, 2)).unwrap();

        disk.failing.store(true, Ordering::SeqCst);
        let failed = store.add_records(&datanet, &id, &hashes(10, 50));
        assert!(matches!(failed, Err(StoreError::Io { .. })), "{failed:?}");
        let seen = store.seen_records(&datanet);
        assert!(
            seen.contains(&Hash([10; 32])),
            "a failed lookup answers seen"
        );
        assert!(matches!(seen.finish(), Err(StoreError::Io { .. })));

        disk.failing.store(false, Ordering::SeqCst);
        assert_eq!(index_keys(&store).len(), 2, "the failed batch left nothing");
        let seen = store.seen_records(&datanet);
        assert!(seen.contains(&Hash([1; 32])));
        assert!(!seen.contains(&Hash([10; 32])));
        seen.finish().unwrap();
    }

    #[test]
    fn the_checker_counts_records_indexed_by_an_earlier_contribution_as_repeats() {
        for (store, _dir) in stores() {
            let s = sample_contribution(24, 0, 3_000);
            put(&store, &s);
            let datanet = s.manifest.body().datanet;
            let mut policy = Policy::default();
            let mut rules = RecordRules::new(RecordFormat::JsonLines {
                schema: String::new(),
            });
            rules.max_repeat_ppm = 1_000_000;
            policy.records = Some(rules);
            let rules = Rules::new(&policy).unwrap();
            let payload = b"{\"a\":1}\n{\"a\":2}\n";

            let seen = store.seen_records(&datanet);
            let mut check = rules.check(&seen);
            check.feed(payload);
            let first = check.finish().unwrap();
            seen.finish().unwrap();
            assert_eq!(first.repeats, 0);
            let expected: BTreeSet<Hash> =
                [record_hash(b"{\"a\":1}"), record_hash(b"{\"a\":2}")].into();
            assert_eq!(first.new_records, expected.into_iter().collect::<Vec<_>>());
            store
                .add_records(&datanet, &s.manifest.id(), &first.new_records)
                .unwrap();

            let seen = store.seen_records(&datanet);
            let mut check = rules.check(&seen);
            check.feed(payload);
            let again = check.finish().unwrap();
            seen.finish().unwrap();
            assert_eq!((again.repeats, again.new_records.len()), (2, 0));
        }
    }
}

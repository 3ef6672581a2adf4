//! The record index: lookups, adds, merges, crash leftovers, garbage collection and the move
//! from format 5's one key per record.

use std::collections::BTreeSet;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use datanet_policy::{record_hash, NewRecords, Rules, SeenRecords};
use datanet_protocol::hash::{hash, Domain};
use datanet_protocol::signed::{Policy, RecordFormat, RecordRules};
use datanet_protocol::test_utils::sample_contribution;
use datanet_protocol::ChunkId;

use super::runs::{read_run, runs, write_run, Run};
use super::*;
use crate::backend::{Backend, Entry, MemoryBackend};
use crate::store::format::{open_format, MIGRATIONS};
use crate::store::tests::{put, stores};
use crate::GcPolicy;

fn hashes(from: u8, n: u8) -> Vec<Hash> {
    (from..from + n).map(|i| Hash([i; 32])).collect()
}

/// `n` distinct hashes, spread over the whole range as record hashes are.
fn spread(seed: u64, n: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| {
            hash(
                Domain::Record,
                &[seed.to_be_bytes(), i.to_be_bytes()].concat(),
            )
        })
        .collect()
}

fn listed(store: &Store, datanet: &DatanetId) -> Vec<Run> {
    runs(store.backend().as_ref(), datanet).unwrap()
}

/// Every distinct hash in `datanet`'s index, ascending.
fn indexed(store: &Store, datanet: &DatanetId) -> Vec<Hash> {
    let all: BTreeSet<Hash> = listed(store, datanet)
        .iter()
        .flat_map(|run| read_run(store.backend().as_ref(), run).unwrap())
        .collect();
    all.into_iter().collect()
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
        assert!(!seen.contains(&Hash([0; 32])));
        assert!(!seen.contains(&Hash([9; 32])));
        seen.finish().unwrap();
        elsewhere.finish().unwrap();

        assert_eq!(indexed(&store, &datanet), added);
        store
            .add_records(&datanet, &s.manifest.id(), &added[1..3])
            .unwrap();
        assert_eq!(indexed(&store, &datanet), added);
        assert!(indexed(&store, &other).is_empty());
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
        assert!(listed(&store, &datanet).is_empty());
    }
}

#[test]
fn unsorted_records_with_copies_are_indexed_once_each() {
    for (store, _dir) in stores() {
        let s = sample_contribution(25, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        let given = [Hash([7; 32]), Hash([2; 32]), Hash([7; 32]), Hash([5; 32])];
        store
            .add_records(&datanet, &s.manifest.id(), &given)
            .unwrap();
        assert_eq!(
            indexed(&store, &datanet),
            vec![Hash([2; 32]), Hash([5; 32]), Hash([7; 32])]
        );
    }
}

#[test]
fn many_adds_are_merged_into_few_runs_and_every_record_is_found() {
    for (store, _dir) in stores() {
        let s = sample_contribution(26, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        let mut all = BTreeSet::new();
        for seed in 0..64 {
            let added = spread(seed, 300 + seed * 7);
            all.extend(added.iter().copied());
            let mut sorted = added.clone();
            sorted.sort_unstable();
            store
                .add_records(&datanet, &s.manifest.id(), &sorted)
                .unwrap();
        }
        let runs = listed(&store, &datanet);
        assert!(runs.len() <= 8, "{} runs for 64 adds", runs.len());
        assert!(runs.windows(2).all(|w| w[0].seq < w[1].seq));
        let expected: Vec<Hash> = all.iter().copied().collect();
        assert_eq!(indexed(&store, &datanet), expected);

        let seen = store.seen_records(&datanet);
        assert!(expected.iter().all(|h| seen.contains(h)));
        assert!(spread(1_000, 2_000).iter().all(|h| !seen.contains(h)));
        seen.finish().unwrap();
        let kept: BTreeSet<ChunkId> = runs.iter().map(|r| r.blob).collect();
        let blobs: BTreeSet<ChunkId> = store.backend().blob_ids().unwrap().into_iter().collect();
        assert!(kept.is_subset(&blobs));
        assert_eq!(
            blobs.len() - kept.len(),
            s.chunks.len() + 1,
            "merged runs' blobs are removed: only the contribution's blobs are left"
        );
    }
}

#[test]
fn more_records_than_a_run_holds_are_written_as_several_runs() {
    let store = Store::memory();
    let s = sample_contribution(27, 0, 3_000);
    put(&store, &s);
    let datanet = s.manifest.body().datanet;
    let mut added = spread(3, RUN_MAX as u64 * 2 + 10);
    added.sort_unstable();
    store
        .add_records(&datanet, &s.manifest.id(), &added)
        .unwrap();
    let runs = listed(&store, &datanet);
    assert_eq!(
        runs.iter().map(|r| r.len).collect::<Vec<_>>(),
        vec![RUN_MAX as u64, RUN_MAX as u64, 10]
    );
    let seen = store.seen_records(&datanet);
    assert!(added.iter().step_by(997).all(|h| seen.contains(h)));
    assert!(added.last().is_some_and(|h| seen.contains(h)));
    assert!(spread(4, 1_000).iter().all(|h| !seen.contains(h)));
    seen.finish().unwrap();
}

/// `hashes` written to a temporary file, as a check that spilled hands them over.
fn in_file(hashes: &[Hash]) -> NewRecords {
    use std::io::Write;
    let mut file = tempfile::tempfile().unwrap();
    for h in hashes {
        file.write_all(&h.0).unwrap();
    }
    NewRecords::in_file(file, hashes.len() as u64)
}

#[test]
fn spilled_new_records_give_the_index_of_the_same_records_in_memory() {
    let mut added = spread(5, RUN_MAX as u64 * 2 + 10);
    added.sort_unstable();
    let mut indexes = Vec::new();
    for records in [NewRecords::in_memory(added.clone()), in_file(&added)] {
        let store = Store::memory();
        let s = sample_contribution(28, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        store
            .add_owed_records(&datanet, &s.manifest.id(), records)
            .unwrap();
        let lens: Vec<u64> = listed(&store, &datanet).iter().map(|r| r.len).collect();
        indexes.push((lens, indexed(&store, &datanet)));
    }
    assert_eq!(indexes[0], indexes[1]);
    assert_eq!(indexes[1].1, added);

    let store = Store::memory();
    let s = sample_contribution(29, 0, 3_000);
    put(&store, &s);
    let datanet = s.manifest.body().datanet;
    let few = spread(6, 100);
    store
        .add_owed_records(&datanet, &s.manifest.id(), in_file(&few[..50]))
        .unwrap();
    let mut sorted = few[50..].to_vec();
    sorted.sort_unstable();
    store
        .add_owed_records(&datanet, &s.manifest.id(), in_file(&sorted))
        .unwrap();
    assert_eq!(listed(&store, &datanet).len(), 1, "a small file is merged");
    let mut all = few;
    all.sort_unstable();
    assert_eq!(indexed(&store, &datanet), all);
}

#[test]
fn spilled_new_records_out_of_order_are_refused_and_add_nothing() {
    let store = Store::memory();
    let s = sample_contribution(31, 0, 3_000);
    put(&store, &s);
    let datanet = s.manifest.body().datanet;
    let mut added = spread(9, RUN_MAX as u64 + 10);
    added.sort_unstable();
    added.swap(RUN_MAX + 2, RUN_MAX + 3);
    let refused = store.add_owed_records(&datanet, &s.manifest.id(), in_file(&added));
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert!(listed(&store, &datanet).is_empty());
}

#[test]
fn a_view_listed_before_a_merge_still_finds_every_record() {
    for (store, _dir) in stores() {
        let s = sample_contribution(28, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        let mut first = spread(5, 2_000);
        first.sort_unstable();
        store
            .add_records(&datanet, &s.manifest.id(), &first)
            .unwrap();
        let seen = store.seen_records(&datanet);
        assert!(
            !seen.contains(&Hash([0; 32])),
            "the view lists the runs now"
        );
        let mut second = spread(6, 2_000);
        second.sort_unstable();
        store
            .add_records(&datanet, &s.manifest.id(), &second)
            .unwrap();
        assert_eq!(
            listed(&store, &datanet).len(),
            1,
            "the two runs were merged"
        );
        assert!(first.iter().all(|h| seen.contains(h)));
        assert!(second.iter().all(|h| seen.contains(h)));
        seen.finish().unwrap();
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

#[test]
fn garbage_collection_keeps_listed_runs_and_removes_a_crash_s_unlisted_one() {
    for (store, _dir) in stores() {
        let s = sample_contribution(29, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        store
            .add_records(&datanet, &s.manifest.id(), &hashes(1, 4))
            .unwrap();
        // A crash between writing a run's blob and the commit that lists it.
        write_run(store.backend().as_ref(), &datanet, 1, &hashes(10, 2)).unwrap();
        let orphan = run_blob(&datanet, 1);
        assert!(store.backend().get_blob(&orphan).unwrap().is_some());
        store.unpin(&s.manifest.id()).unwrap();
        store.gc(GcPolicy { staged_grace_ms: 0 }).unwrap();
        assert!(store.backend().get_blob(&orphan).unwrap().is_none());
        let seen = store.seen_records(&datanet);
        assert!(hashes(1, 4).iter().all(|h| seen.contains(h)));
        assert!(!seen.contains(&Hash([10; 32])));
        seen.finish().unwrap();
    }
}

#[test]
fn owed_records_are_added_with_the_note_cleared_in_one_commit() {
    for (store, _dir) in stores() {
        let s = sample_contribution(30, 0, 3_000);
        put(&store, &s);
        let datanet = s.manifest.body().datanet;
        let id = s.manifest.id();
        store
            .commit(vec![Op::Put(
                key(Kind::RecordsOwed, &[&id.0 .0]),
                datanet.0 .0.to_vec(),
            )])
            .unwrap();
        assert_eq!(store.records_owed().unwrap(), vec![(datanet, id)]);
        store
            .add_owed_records(&datanet, &id, NewRecords::in_memory(hashes(1, 3)))
            .unwrap();
        assert!(store.records_owed().unwrap().is_empty());
        assert_eq!(indexed(&store, &datanet), hashes(1, 3));
    }
}

#[test]
fn a_format_5_index_moves_into_runs() {
    let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::default());
    let store = Store::with_backend(Arc::clone(&backend)).unwrap();
    let (a, b) = (DatanetId(Hash([1; 32])), DatanetId(Hash([2; 32])));
    let in_a = spread(7, 3_000);
    let in_b = spread(8, 10);
    let mut ops: Vec<Op> = Vec::new();
    for (datanet, records) in [(a, &in_a), (b, &in_b)] {
        for r in records {
            ops.push(Op::Put(
                key(Kind::Record, &[&datanet.0 .0, &r.0]),
                Vec::new(),
            ));
        }
    }
    ops.push(Op::Put(key(Kind::Format, &[]), 5u32.to_be_bytes().to_vec()));
    backend.commit(ops).unwrap();
    open_format(&store, MIGRATIONS).unwrap();
    assert!(backend.scan(&key(Kind::Record, &[])).unwrap().is_empty());
    for (datanet, records) in [(a, &in_a), (b, &in_b)] {
        let mut expected = records.clone();
        expected.sort_unstable();
        assert_eq!(indexed(&store, &datanet), expected);
        let seen = store.seen_records(&datanet);
        assert!(records.iter().all(|h| seen.contains(h)));
        seen.finish().unwrap();
    }
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
        self.check()?;
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
    assert_eq!(
        indexed(&store, &datanet),
        hashes(1, 2),
        "the failed add left nothing listed"
    );
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
        let first = check.finish().unwrap().unwrap();
        seen.finish().unwrap();
        assert_eq!(first.repeats, 0);
        let expected: BTreeSet<Hash> =
            [record_hash(b"{\"a\":1}"), record_hash(b"{\"a\":2}")].into();
        let new_records = first.new_records.into_vec().unwrap();
        assert_eq!(new_records, expected.into_iter().collect::<Vec<_>>());
        store
            .add_records(&datanet, &s.manifest.id(), &new_records)
            .unwrap();

        let seen = store.seen_records(&datanet);
        let mut check = rules.check(&seen);
        check.feed(payload);
        let again = check.finish().unwrap().unwrap();
        seen.finish().unwrap();
        assert_eq!((again.repeats, again.new_records.len()), (2, 0));
    }
}

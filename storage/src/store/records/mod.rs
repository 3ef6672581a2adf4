//! The per-datanet record index: the hashes of the records accepted in each datanet, so the
//! content checker finds a repeat without reading the records themselves.
//!
//! The index of a datanet is a few sorted runs of hashes ([`runs`]): adding a contribution's
//! new records writes one run (merged with the newest runs while they are no more than twice
//! its length), so an add costs a sort, a sequential file write and one small commit rather
//! than a key per record, and a datanet of `n` records has about `log2(n)` runs below
//! [`runs::RUN_MAX`] hashes. The index only grows: garbage collection keeps every listed run,
//! since a record accepted once stays a repeat even after the contribution that brought it is
//! collected.

mod runs;
mod seen;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use datanet_policy::NewRecords;
use datanet_protocol::hash::HASH_LEN;
use datanet_protocol::{ChunkId, ContributionId, DatanetId, Hash};

use super::contributions::listed_key;
use crate::backend::{Backend, Op};
use crate::keys::{key, Kind};
use crate::{Store, StoreError};
use runs::{merge, read_run, run_of_key, runs, write_run, RUN_MAX};
pub use seen::SeenIndex;

pub(crate) use runs::run_blob;

/// The most record hashes one [`Store::add_records`] call takes: the default `max_records`
/// of a datanet's policy, so a contribution within it is indexed in one call.
pub const MAX_RECORDS_PER_ADD: usize = 10_000_000;

impl Store {
    /// The record index of `datanet`, for the content checker: a cheap view that lists the
    /// index's runs at its first lookup and reads them as it goes. See [`SeenIndex`] for how a
    /// failed read surfaces.
    pub fn seen_records(&self, datanet: &DatanetId) -> SeenIndex {
        SeenIndex::new(self.clone(), *datanet)
    }

    /// Adds `records` (record hashes, as the checker's `new_records` lists them) to the index
    /// of `datanet`, once `contribution` to it is stored: all of them in one atomic, durable
    /// commit, so a crash leaves all or none. Adding hashes already there leaves the set of
    /// indexed records as it was.
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
        self.index_records(datanet, contribution, records, Vec::new())
    }

    /// Adds a checker's `records` as [`Store::add_records`] does, with the writes `with` in
    /// the same commit. Hashes in memory, or at most [`RUN_MAX`] of them, take
    /// [`Store::index_records`]; more in a file are read one run at a time and written as runs
    /// of [`RUN_MAX`], so a contribution of any size costs one run of memory.
    ///
    /// # Errors
    /// As [`Store::add_records`], and [`StoreError::Invalid`] for hashes in a file that are
    /// not ascending and distinct; nothing is added then.
    pub(crate) fn index_new_records(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        records: NewRecords,
        with: Vec<Op>,
    ) -> Result<(), StoreError> {
        let read = |e| StoreError::io("reading the record hashes to index", e);
        if let Some(hashes) = records.as_slice() {
            return self.index_records(datanet, contribution, hashes, with);
        }
        if records.len() <= RUN_MAX as u64 {
            let hashes = records.into_vec().map_err(read)?;
            return self.index_records(datanet, contribution, &hashes, with);
        }
        self.check_add(datanet, contribution, records.len())?;
        let _one_writer = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let _kept_from_gc = self.writing_chunks();
        let backend = self.backend.as_ref();
        let mut seq = runs(backend, datanet)?.last().map_or(0, |run| run.seq + 1);
        let mut ops = with;
        let mut piece: Vec<Hash> = Vec::with_capacity(RUN_MAX);
        let mut previous: Option<Hash> = None;
        for hash in records.into_hashes().map_err(read)? {
            let hash = hash.map_err(read)?;
            if previous.is_some_and(|p| p >= hash) {
                return Err(StoreError::Invalid(
                    "record hashes to index are not ascending and distinct".into(),
                ));
            }
            previous = Some(hash);
            piece.push(hash);
            if piece.len() == RUN_MAX {
                ops.push(write_run(backend, datanet, seq, &piece)?);
                seq += 1;
                piece.clear();
            }
        }
        if !piece.is_empty() {
            ops.push(write_run(backend, datanet, seq, &piece)?);
        }
        self.commit(ops)
    }

    /// Refuses an add of `len` hashes over [`MAX_RECORDS_PER_ADD`] or for a contribution not
    /// stored under `datanet`.
    fn check_add(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        len: u64,
    ) -> Result<(), StoreError> {
        if len > MAX_RECORDS_PER_ADD as u64 {
            return Err(StoreError::Invalid(format!(
                "{len} record hashes in one call, over the limit of {MAX_RECORDS_PER_ADD}"
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
        Ok(())
    }

    /// Adds `records` as [`Store::add_records`] does, with the writes `with` in the same
    /// commit.
    ///
    /// The new hashes, with those of the newest runs while each is at most twice as long as
    /// what is gathered (and the whole fits in [`RUN_MAX`]), are written as one new run; more
    /// than [`RUN_MAX`] new hashes are written as several runs, none merged. The blobs are
    /// written first, under the gc lock, and one commit lists the new runs, drops the merged
    /// ones and applies `with`: a crash before it leaves unlisted blobs (garbage collection
    /// removes them, and the next add of that datanet overwrites them), after it the merged
    /// runs' blobs, removed here or by garbage collection.
    pub(crate) fn index_records(
        &self,
        datanet: &DatanetId,
        contribution: &ContributionId,
        records: &[Hash],
        with: Vec<Op>,
    ) -> Result<(), StoreError> {
        self.check_add(datanet, contribution, records.len() as u64)?;
        let sorted: Cow<'_, [Hash]> = if records.windows(2).all(|w| w[0] < w[1]) {
            Cow::Borrowed(records)
        } else {
            let mut owned = records.to_vec();
            owned.sort_unstable();
            owned.dedup();
            Cow::Owned(owned)
        };
        let _one_writer = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let _kept_from_gc = self.writing_chunks();
        let backend = self.backend.as_ref();
        let listed = runs(backend, datanet)?;
        let mut seq = listed.last().map_or(0, |run| run.seq + 1);
        let mut ops = with;
        let mut merged: Vec<ChunkId> = Vec::new();
        if sorted.len() > RUN_MAX {
            for piece in sorted.chunks(RUN_MAX) {
                ops.push(write_run(backend, datanet, seq, piece)?);
                seq += 1;
            }
        } else if !sorted.is_empty() {
            let mut run = sorted;
            for older in listed.iter().rev() {
                let gathered = run.len() as u64;
                if older.len > 2 * gathered || older.len + gathered > RUN_MAX as u64 {
                    break;
                }
                run = Cow::Owned(merge(&read_run(backend, older)?, &run));
                ops.push(Op::Delete(runs::run_key(datanet, older.seq)));
                merged.push(older.blob);
            }
            ops.push(write_run(backend, datanet, seq, &run)?);
        }
        self.commit(ops)?;
        for blob in merged {
            // The runs are unlisted and their hashes are in the new run: a blob left behind
            // by a failed removal is an orphan that garbage collection removes.
            let _ = backend.remove_blob(&blob);
        }
        Ok(())
    }

    /// The blobs of every listed run of every datanet's record index, which garbage collection
    /// keeps.
    pub(crate) fn record_run_blobs(&self) -> Result<Vec<ChunkId>, StoreError> {
        self.backend
            .scan(&key(Kind::RecordRun, &[]))?
            .into_iter()
            .map(|(k, _)| {
                run_of_key(&k)
                    .map(|(datanet, seq)| run_blob(&datanet, seq))
                    .ok_or_else(|| StoreError::Corrupted {
                        what: "a run of the record index".into(),
                    })
            })
            .collect()
    }
}

/// Format 6 keeps each datanet's record index as runs; format 5 kept one key per record
/// ([`Kind::Record`] ‖ datanet id ‖ record hash, no value). Pages through those keys (in
/// datanet, then hash order), writes them as runs of at most [`RUN_MAX`] hashes, and returns
/// the ops that list the runs and delete the keys.
pub(crate) fn migrate_record_keys(backend: &dyn Backend) -> Result<Vec<Op>, StoreError> {
    const KEY_LEN: usize = 1 + 2 * HASH_LEN;
    let prefix = key(Kind::Record, &[]);
    let mut ops = Vec::new();
    let mut current: Option<(DatanetId, u64)> = None;
    let mut gathered: Vec<Hash> = Vec::new();
    let mut after = prefix.clone();
    loop {
        let page = backend.keys_after(&prefix, &after, RUN_MAX)?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.clone();
        for k in page {
            if k.len() != KEY_LEN {
                return Err(StoreError::Corrupted {
                    what: "a format-5 key of the record index".into(),
                });
            }
            let datanet = DatanetId(runs::to_hash(&k[1..=HASH_LEN]));
            let record = runs::to_hash(&k[1 + HASH_LEN..]);
            match current {
                Some((d, seq)) if d == datanet && gathered.len() < RUN_MAX => {
                    current = Some((d, seq));
                }
                Some((d, seq)) => {
                    ops.push(write_run(backend, &d, seq, &gathered)?);
                    gathered.clear();
                    current = Some((datanet, if d == datanet { seq + 1 } else { 0 }));
                }
                None => current = Some((datanet, 0)),
            }
            gathered.push(record);
            ops.push(Op::Delete(k));
        }
    }
    if let Some((d, seq)) = current {
        ops.push(write_run(backend, &d, seq, &gathered)?);
    }
    Ok(ops)
}

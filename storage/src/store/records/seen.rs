//! A view of one datanet's record index for the content checker: which runs there are, and
//! the block of each that the last lookup read, so that lookups in ascending order (as the
//! checker makes them) read each block of a run at most once.

use std::sync::{Mutex, OnceLock};

use datanet_policy::SeenRecords;
use datanet_protocol::hash::HASH_LEN;
use datanet_protocol::{DatanetId, Hash};

use super::runs::{read_block, runs, Run};
use crate::{Store, StoreError};

/// The record index of one datanet, as the content checker asks it ([`SeenRecords`]).
///
/// A lookup searches each run's fences in memory and reads at most one block (8 KiB) of the
/// runs whose range holds the hash. A read that fails cannot be reported through
/// [`SeenRecords::contains`], so the view keeps the first error, answers "seen" from then on
/// without reading again (erring towards a refusal rather than towards a repeat let through),
/// and hands the error back from [`SeenIndex::finish`]: a verdict reached while an error is
/// held must be discarded.
#[derive(Debug)]
pub struct SeenIndex {
    store: Store,
    datanet: DatanetId,
    /// The runs as last listed, with the block last read of each; `None` until the first
    /// lookup lists them.
    runs: Mutex<Option<Vec<Cursor>>>,
    failed: OnceLock<StoreError>,
}

/// One run and the block of it read last.
#[derive(Debug)]
struct Cursor {
    run: Run,
    block: Option<(usize, Vec<u8>)>,
}

/// What a lookup in the listed runs found.
enum Found {
    Yes,
    No,
    /// A run's blob is gone: a merge replaced it after the runs were listed.
    Stale,
}

impl SeenIndex {
    pub(super) fn new(store: Store, datanet: DatanetId) -> Self {
        SeenIndex {
            store,
            datanet,
            runs: Mutex::new(None),
            failed: OnceLock::new(),
        }
    }

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

    fn list(&self) -> Result<Vec<Cursor>, StoreError> {
        Ok(runs(self.store.backend.as_ref(), &self.datanet)?
            .into_iter()
            .map(|run| Cursor { run, block: None })
            .collect())
    }

    /// Looks `record` up, listing the runs again once if a merge replaced one.
    fn lookup(&self, record: &Hash) -> Result<bool, StoreError> {
        let mut listed = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        for fresh in [false, true] {
            let cursors = match listed.as_mut() {
                Some(cursors) if !fresh => cursors,
                _ => listed.insert(self.list()?),
            };
            match self.find(cursors, record)? {
                Found::Yes => return Ok(true),
                Found::No => return Ok(false),
                Found::Stale => {}
            }
        }
        Err(StoreError::Corrupted {
            what: format!("a run of the record index of {}", self.datanet),
        })
    }

    fn find(&self, cursors: &mut [Cursor], record: &Hash) -> Result<Found, StoreError> {
        for cursor in cursors {
            let fences = &cursor.run.fences;
            let block = match fences.partition_point(|f| f <= record) {
                0 => continue,
                after => after - 1,
            };
            if fences[block] == *record {
                return Ok(Found::Yes);
            }
            let bytes = match &cursor.block {
                Some((read, bytes)) if *read == block => bytes,
                _ => match read_block(self.store.backend.as_ref(), &cursor.run, block)? {
                    Some(bytes) => &cursor.block.insert((block, bytes)).1,
                    None => return Ok(Found::Stale),
                },
            };
            let count = bytes.len() / HASH_LEN;
            let at = |i: usize| &bytes[i * HASH_LEN..(i + 1) * HASH_LEN];
            let (mut low, mut high) = (0, count);
            while low < high {
                let mid = (low + high) / 2;
                match at(mid).cmp(&record.0[..]) {
                    std::cmp::Ordering::Less => low = mid + 1,
                    std::cmp::Ordering::Greater => high = mid,
                    std::cmp::Ordering::Equal => return Ok(Found::Yes),
                }
            }
        }
        Ok(Found::No)
    }
}

impl SeenRecords for SeenIndex {
    fn contains(&self, record: &Hash) -> bool {
        if self.failed.get().is_some() {
            return true;
        }
        match self.lookup(record) {
            Ok(found) => found,
            Err(error) => {
                // Only the first error is kept; a lookup after it never reads.
                let _ = self.failed.set(error);
                true
            }
        }
    }
}

//! One shard: the indexed text of one epoch batch's accepted contributions, as a file.
//!
//! # File format (version 1)
//!
//! All integers are little-endian. Sections follow each other with no gaps:
//!
//! | section | size | content |
//! |---|---|---|
//! | header | 64 | magic `DNATTRIB`, format version `u32` = 1, 4 zero bytes, batch `u64`, text length `u64`, record count `u64`, contribution count `u64`, 16 zero bytes |
//! | text | text length, then zeros to a multiple of 8 | each record's UTF-8 text followed by the byte `0xFF`, records of a contribution in order, contributions in the order given |
//! | suffix array | 4 × text length | `u32` start of every suffix of the text, in lexicographic order of the suffixes |
//! | record table | 16 × record count | per record, by ascending text start: start `u32`, length `u32`, record index `u32`, contribution index `u32` |
//! | contribution table | 64 × contribution count | per contribution: contribution id (32 bytes), contributor id (32 bytes) |
//! | hash | 32 | BLAKE3 of every byte before it |
//!
//! [`Shard::open`] checks the header, that the file's length is exactly what the counts
//! give, the hash, and that the record table is ordered, in bounds, and points at
//! contributions that exist. A file failing any check is
//! [`AttributionError::Corrupt`]: the caller rebuilds it. Suffix array entries are checked
//! where they are read, so a file with a forged hash can give wrong answers but never reads
//! out of bounds.

mod build;
mod format;

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

pub use build::{suffix_array, ContributionText, ShardBuilder};
pub use format::MAX_SHARD_TEXT;

use crate::error::AttributionError;
use crate::id::Id;
use format::{
    le, Header, Layout, RecordEntry, CONTRIBUTION_ENTRY_LEN, HASH_LEN, RECORD_ENTRY_LEN,
    SA_ENTRY_LEN, SEPARATOR,
};

/// An opened, verified shard file, memory-mapped.
#[derive(Debug)]
pub struct Shard {
    path: PathBuf,
    map: Mmap,
    header: Header,
    layout: Layout,
    text_len: usize,
    record_count: usize,
    contribution_count: usize,
    /// `(text start, contribution index)` of each run of records of one contribution, by
    /// text start: finds a position's contribution without searching the record table.
    runs: Vec<(u32, u32)>,
}

/// Where a text position falls: which record, of which contribution, and how far into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// The record's index in its contribution's payload.
    pub(crate) record: u32,
    /// The index of the record's contribution in the contribution table.
    pub(crate) contribution: u32,
    /// Bytes from the record's text start to the position.
    pub(crate) offset: u32,
}

impl Shard {
    /// Opens and verifies the shard file at `path`.
    ///
    /// Reads the whole file once to check its hash.
    ///
    /// # Errors
    ///
    /// [`AttributionError::Io`] if it cannot be read, [`AttributionError::Corrupt`] if any
    /// check of the module's format section fails.
    pub fn open(path: &Path) -> Result<Shard, AttributionError> {
        let file = File::open(path).map_err(|e| AttributionError::io(path, e))?;
        // SAFETY: shard files are written once, then renamed into place, and never modified;
        // a file changed under the map by another process could give wrong answers, but
        // every read of the map is bounds-checked.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| AttributionError::io(path, e))?;
        let corrupt = |reason: String| AttributionError::corrupt(path, reason);
        let header = Header::decode(&map).map_err(corrupt)?;
        let layout = header.layout().map_err(corrupt)?;
        if map.len() != layout.file_len {
            return Err(corrupt(format!(
                "file is {} bytes, its header gives {}",
                map.len(),
                layout.file_len
            )));
        }
        let (body, hash) = map.split_at(layout.hash);
        if blake3::hash(body).as_bytes()[..] != hash[..HASH_LEN] {
            return Err(corrupt("hash does not match the content".into()));
        }
        let shard = Shard {
            path: path.to_path_buf(),
            text_len: header.text_len as usize,
            record_count: header.record_count as usize,
            contribution_count: header.contribution_count as usize,
            runs: Vec::new(),
            map,
            header,
            layout,
        };
        let mut shard = shard;
        shard.runs = shard.check_records().map_err(corrupt)?;
        Ok(shard)
    }

    /// Checks that records are ordered, in bounds, separated, and name real contributions,
    /// and returns the runs of records of one contribution.
    fn check_records(&self) -> Result<Vec<(u32, u32)>, String> {
        let text = self.text();
        let mut next_start = 0u64;
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for i in 0..self.record_count {
            let entry = self.record(i);
            let start = u64::from(entry.start);
            let end = start + u64::from(entry.len);
            if start < next_start || end >= self.text_len as u64 {
                return Err(format!("record {i} is out of order or out of bounds"));
            }
            if text.get(end as usize) != Some(&SEPARATOR) {
                return Err(format!("record {i} is not followed by a separator"));
            }
            if entry.contribution as usize >= self.contribution_count {
                return Err(format!("record {i} names a missing contribution"));
            }
            if runs.last().is_none_or(|&(_, c)| c != entry.contribution) {
                runs.push((entry.start, entry.contribution));
            }
            next_start = end + 1;
        }
        Ok(runs)
    }

    /// The file this shard was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The epoch batch this shard indexes, as its builder named it.
    pub fn batch(&self) -> u64 {
        self.header.batch
    }

    /// The indexed text: every record's text followed by `0xFF`.
    pub fn text(&self) -> &[u8] {
        &self.map[self.layout.text..self.layout.text + self.text_len]
    }

    /// Number of text bytes, separators included.
    pub fn text_len(&self) -> usize {
        self.text_len
    }

    /// Number of indexed records.
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Number of contributions, including those with no indexed record.
    pub fn contribution_count(&self) -> usize {
        self.contribution_count
    }

    /// The `(contribution, contributor)` ids of contribution `index`.
    pub fn contribution(&self, index: usize) -> Option<(Id, Id)> {
        if index >= self.contribution_count {
            return None;
        }
        let at = self.layout.contributions + index * CONTRIBUTION_ENTRY_LEN;
        let entry = &self.map[at..at + CONTRIBUTION_ENTRY_LEN];
        Some((Id(le(&entry[..32])), Id(le(&entry[32..]))))
    }

    /// The text start of the suffix at rank `rank`, or `None` if out of range or damaged.
    pub(crate) fn suffix(&self, rank: usize) -> Option<usize> {
        if rank >= self.text_len {
            return None;
        }
        let at = self.layout.suffix_array + rank * SA_ENTRY_LEN;
        let start = u32::from_le_bytes(le(&self.map[at..at + SA_ENTRY_LEN])) as usize;
        (start < self.text_len).then_some(start)
    }

    /// Record table entry `index`; callers keep `index < record_count`.
    fn record(&self, index: usize) -> RecordEntry {
        let at = self.layout.records + index * RECORD_ENTRY_LEN;
        RecordEntry::decode(&self.map[at..at + RECORD_ENTRY_LEN])
    }

    /// The index of the contribution whose records hold text position `position`.
    pub(crate) fn contribution_at(&self, position: usize) -> Option<u32> {
        let run = self
            .runs
            .partition_point(|&(start, _)| start as usize <= position);
        Some(self.runs.get(run.checked_sub(1)?)?.1)
    }

    /// The record holding text position `position`, by binary search of the record table.
    pub(crate) fn place(&self, position: usize) -> Option<Place> {
        let (mut lo, mut hi) = (0, self.record_count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.record(mid).start as usize <= position {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let entry = self.record(lo.checked_sub(1)?);
        let offset = position - entry.start as usize;
        (offset < entry.len as usize).then_some(Place {
            record: entry.record,
            contribution: entry.contribution,
            offset: offset as u32,
        })
    }
}

#[cfg(test)]
mod tests;

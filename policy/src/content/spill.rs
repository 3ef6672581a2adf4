//! Record hashes spilled to disk: a payload's hashes, [`SPILL_AT`] at a time, sorted and
//! written as runs to anonymous temporary files (gone when closed, or when the process dies),
//! then merged once the payload ends. A checker that spills holds one run's worth of hashes
//! in memory (16 MiB) instead of 32 bytes for every record of the payload (227 MB for the
//! 7.1 million records of a 1 GiB JSON Lines payload).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use datanet_protocol::hash::Hash;

use super::new_records::{Hashes, NewRecords, READ_BUFFER};
use super::repeats::sort;
use super::seen::SeenRecords;

/// Hashes gathered in memory before they are written as one run (16 MiB of them).
pub(crate) const SPILL_AT: usize = 1 << 19;

/// The runs written so far for one payload.
#[derive(Debug)]
pub(crate) struct Spill {
    dir: PathBuf,
    /// Hashes per run: [`SPILL_AT`] but in tests.
    every: usize,
    runs: Vec<(File, u64)>,
    /// The first write that failed; the hashes are incomplete from then on.
    failed: Option<io::Error>,
}

impl Spill {
    /// Runs of `every` hashes to be written in `dir`.
    pub(crate) fn new(dir: &Path, every: usize) -> Self {
        Spill {
            dir: dir.to_owned(),
            every,
            runs: Vec::new(),
            failed: None,
        }
    }

    /// Whether `gathered` hashes make a run.
    pub(crate) fn full(&self, gathered: usize) -> bool {
        gathered >= self.every
    }

    /// Whether any run was written, or tried: the hashes are then to be [`Spill::merge`]d.
    pub(crate) fn used(&self) -> bool {
        !self.runs.is_empty() || self.failed.is_some()
    }

    /// Sorts `hashes` and writes them as one more run, leaving `hashes` empty (its capacity
    /// kept for the next run). After a failed write, only empties `hashes`: the error is
    /// reported by [`Spill::merge`].
    pub(crate) fn write_run(&mut self, hashes: &mut Vec<Hash>) {
        if self.failed.is_none() {
            sort(hashes);
            match self.write(hashes) {
                Ok(file) => self.runs.push((file, hashes.len() as u64)),
                Err(e) => self.failed = Some(e),
            }
        }
        hashes.clear();
    }

    /// Merges the runs with `last` (the hashes not yet written, in any order) and counts the
    /// repeats as [`super::repeats::RecordHashes::repeats`] does: every copy of a hash `seen`
    /// holds, and every copy but the first of one it does not. The new hashes are written,
    /// ascending, to one more temporary file.
    ///
    /// # Errors
    /// The error of a run that could not be written, or an I/O error of the merge.
    pub(crate) fn merge<S: SeenRecords + ?Sized>(
        self,
        mut last: Vec<Hash>,
        seen: &S,
    ) -> io::Result<(u64, NewRecords)> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        sort(&mut last);
        let mut sources: Vec<Hashes> = Vec::with_capacity(self.runs.len() + 1);
        for (file, len) in self.runs {
            sources.push(NewRecords::in_file(file, len).into_hashes()?);
        }
        sources.push(NewRecords::in_memory(last).into_hashes()?);
        let mut heads = BinaryHeap::with_capacity(sources.len());
        for (i, source) in sources.iter_mut().enumerate() {
            if let Some(hash) = source.next().transpose()? {
                heads.push(Reverse((hash, i)));
            }
        }
        let mut out = BufWriter::with_capacity(READ_BUFFER, tempfile::tempfile_in(&self.dir)?);
        let (mut total, mut new) = (0u64, 0u64);
        let mut previous = None;
        while let Some(Reverse((hash, i))) = heads.pop() {
            if let Some(next) = sources[i].next().transpose()? {
                heads.push(Reverse((next, i)));
            }
            total += 1;
            if previous == Some(hash) {
                continue;
            }
            previous = Some(hash);
            if !seen.contains(&hash) {
                out.write_all(&hash.0)?;
                new += 1;
            }
        }
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok((total - new, NewRecords::in_file(file, new)))
    }

    fn write(&self, hashes: &[Hash]) -> io::Result<File> {
        let mut out = BufWriter::with_capacity(READ_BUFFER, tempfile::tempfile_in(&self.dir)?);
        for hash in hashes {
            out.write_all(&hash.0)?;
        }
        out.into_inner().map_err(io::IntoInnerError::into_error)
    }
}

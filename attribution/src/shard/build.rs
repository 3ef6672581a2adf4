//! Building a shard: gathering records' text, sorting its suffixes, and publishing the file
//! atomically (temporary file in the same folder, fsync, rename, fsync of the folder).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use libsais::{SuffixArrayConstruction, ThreadCount};

use super::format::{Header, RecordEntry, MAX_SHARD_TEXT, SEPARATOR};
use super::Shard;
use crate::error::AttributionError;
use crate::id::Id;

/// One accepted contribution's records, ready to index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContributionText {
    /// The contribution's id.
    pub contribution: [u8; 32],
    /// The id of who contributed it.
    pub contributor: [u8; 32],
    /// `(record index, text)` pairs, as [`records`](crate::records) yields them.
    pub records: Vec<(u32, Vec<u8>)>,
}

/// Gathers contributions' records in order, then writes them as one shard.
///
/// Holds the text once; building adds a 4-byte suffix array entry per text byte, so peak
/// memory is about five times the text. Sorts on one thread unless told otherwise
/// ([`ShardBuilder::threads`]): OpenMP threads wait by spinning, which costs far more than
/// it gains on cores shared with other work.
#[derive(Debug)]
pub struct ShardBuilder {
    batch: u64,
    threads: u16,
    text: Vec<u8>,
    records: Vec<RecordEntry>,
    contributions: Vec<(Id, Id)>,
}

impl ShardBuilder {
    /// An empty builder for the shard of epoch batch `batch`.
    pub fn new(batch: u64) -> Self {
        ShardBuilder {
            batch,
            threads: 1,
            text: Vec::new(),
            records: Vec::new(),
            contributions: Vec::new(),
        }
    }

    /// Sorts the suffixes on `threads` threads (0: OpenMP's default, all cores).
    pub fn threads(mut self, threads: u16) -> Self {
        self.threads = threads;
        self
    }

    /// Starts a contribution: the records added next belong to it.
    pub fn add_contribution(&mut self, contribution: [u8; 32], contributor: [u8; 32]) {
        self.contributions.push((Id(contribution), Id(contributor)));
    }

    /// Adds a record of the last contribution started, returning whether it was indexed.
    ///
    /// Empty text and text that is not valid UTF-8 are skipped (`Ok(false)`): outputs are
    /// UTF-8, so they could never match it.
    ///
    /// # Errors
    ///
    /// [`AttributionError::NoContribution`] before any contribution was started, and
    /// [`AttributionError::ShardTooLarge`] if the text would pass [`MAX_SHARD_TEXT`].
    pub fn add_record(&mut self, record: u32, text: &[u8]) -> Result<bool, AttributionError> {
        let contribution = self
            .contributions
            .len()
            .checked_sub(1)
            .ok_or(AttributionError::NoContribution)?;
        if text.is_empty() || std::str::from_utf8(text).is_err() {
            return Ok(false);
        }
        let new_len = self.text.len() as u64 + text.len() as u64 + 1;
        if new_len > MAX_SHARD_TEXT {
            return Err(AttributionError::ShardTooLarge {
                len: new_len,
                max: MAX_SHARD_TEXT,
            });
        }
        let too_large = || AttributionError::ShardTooLarge {
            len: new_len,
            max: MAX_SHARD_TEXT,
        };
        self.records.push(RecordEntry {
            start: u32::try_from(self.text.len()).map_err(|_| too_large())?,
            len: u32::try_from(text.len()).map_err(|_| too_large())?,
            record,
            contribution: u32::try_from(contribution).map_err(|_| too_large())?,
        });
        self.text.extend_from_slice(text);
        self.text.push(SEPARATOR);
        Ok(true)
    }

    /// Bytes of text gathered so far, separators included.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Sorts the suffixes, writes the shard to `path` atomically and opens it.
    ///
    /// # Errors
    ///
    /// [`AttributionError::Io`] if the file cannot be written, and
    /// [`AttributionError::SuffixArray`] if the suffix array library fails.
    pub fn finish(mut self, path: &Path) -> Result<Shard, AttributionError> {
        self.text.shrink_to_fit();
        let suffix_array = suffix_array(&self.text, self.threads)?;
        self.write(path, &suffix_array)?;
        drop(suffix_array);
        drop(self);
        Shard::open(path)
    }

    /// Writes the shard file through a temporary file beside `path`.
    fn write(&self, path: &Path, suffix_array: &[i32]) -> Result<(), AttributionError> {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".shard-")
            .tempfile_in(folder)
            .map_err(|e| AttributionError::io(folder, e))?;
        let mut out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, temp.as_file()),
            hasher: blake3::Hasher::new(),
        };
        self.write_sections(&mut out, suffix_array)
            .map_err(|e| AttributionError::io(temp.path(), e))?;
        let hash = out.hasher.finalize();
        out.inner
            .write_all(hash.as_bytes())
            .and_then(|()| out.inner.flush())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| AttributionError::io(temp.path(), e))?;
        drop(out);
        temp.persist(path)
            .map_err(|e| AttributionError::io(path, e.error))?;
        File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| AttributionError::io(folder, e))
    }

    /// Everything before the trailing hash, in file order.
    fn write_sections(&self, out: &mut impl Write, suffix_array: &[i32]) -> io::Result<()> {
        let header = Header {
            batch: self.batch,
            text_len: self.text.len() as u64,
            record_count: self.records.len() as u64,
            contribution_count: self.contributions.len() as u64,
        };
        let layout = header
            .layout()
            .map_err(|reason| io::Error::new(io::ErrorKind::InvalidInput, reason))?;
        out.write_all(&header.encode())?;
        out.write_all(&self.text)?;
        out.write_all(&[0u8; 8][..layout.padding])?;
        let mut chunk = Vec::with_capacity(1 << 16);
        for entries in suffix_array.chunks(1 << 14) {
            chunk.clear();
            for &entry in entries {
                // libsais gives positions in 0..text.len(), which fit in u32.
                chunk.extend_from_slice(&(entry as u32).to_le_bytes());
            }
            out.write_all(&chunk)?;
        }
        for record in &self.records {
            out.write_all(&record.encode())?;
        }
        for (contribution, contributor) in &self.contributions {
            out.write_all(&contribution.0)?;
            out.write_all(&contributor.0)?;
        }
        Ok(())
    }
}

/// The suffix array of `text` by libsais, on `threads` threads (0: OpenMP's default).
///
/// # Errors
///
/// [`AttributionError::SuffixArray`] if libsais refuses the text.
pub fn suffix_array(text: &[u8], threads: u16) -> Result<Vec<i32>, AttributionError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let threads = match threads {
        0 => ThreadCount::openmp_default(),
        n => ThreadCount::fixed(n),
    };
    SuffixArrayConstruction::for_text(text)
        .in_owned_buffer32()
        .multi_threaded(threads)
        .run()
        .map(|sa| sa.into_vec())
        .map_err(|e| AttributionError::SuffixArray(format!("{e:?}")))
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Shard {
    /// Builds the shard of epoch batch `batch` from `contributions`, laid out in their order,
    /// at `path`, and opens it. See [`ShardBuilder`] for what is skipped.
    ///
    /// # Errors
    ///
    /// As [`ShardBuilder::add_record`] and [`ShardBuilder::finish`].
    pub fn build(
        path: &Path,
        batch: u64,
        contributions: &[ContributionText],
    ) -> Result<Shard, AttributionError> {
        let mut builder = ShardBuilder::new(batch);
        for contribution in contributions {
            builder.add_contribution(contribution.contribution, contribution.contributor);
            for (record, text) in &contribution.records {
                builder.add_record(*record, text)?;
            }
        }
        builder.finish(path)
    }
}

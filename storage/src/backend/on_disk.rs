//! The on-disk engine: one `sled` tree for metadata (atomic batches, flushed before a commit
//! returns) and [`ChunkFiles`] for chunk bytes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use datanet_protocol::ChunkId;

use super::chunk_files::ChunkFiles;
use super::{Backend, Entry, Op};
use crate::StoreError;

/// sled's page cache: enough for the metadata and recent columns, and small enough that a
/// node's memory stays bounded (sled's own default is 1 GiB).
pub(crate) const CACHE_BYTES: u64 = 64 << 20;

/// sled plus chunk files under a node's home folder: `db/` and `chunks/`.
#[derive(Debug)]
pub struct DiskBackend {
    db: sled::Db,
    chunks: ChunkFiles,
    /// `scratch/`, for [`Backend::scratch_dir`].
    scratch: PathBuf,
    /// Commits run one at a time: each batch is applied and flushed before the next starts.
    /// sled 0.34 has open reports of deadlocks under concurrent flushes (spacejam/sled#1308,
    /// #1412), and every commit here flushes; its background flusher is off for the same
    /// reason, as it would only repeat what each commit already did.
    commits: Mutex<()>,
}

/// How long opening waits for the engine's lock to be released.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens the sled database at `path`. A database closed a moment ago in this process holds its
/// file lock until sled's last background task lets go of it, so a lock held by someone else
/// is waited on for up to [`LOCK_WAIT`] before it is reported as the store being in use.
fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let started = Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(None)
            .open();
        match opened {
            Err(sled::Error::Io(e)) if is_lock_held(&e) => {
                if started.elapsed() >= LOCK_WAIT {
                    return Err(StoreError::Engine(format!(
                        "{} is in use by another process (its lock is held)",
                        path.display()
                    )));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            opened => {
                return opened
                    .map_err(|e| StoreError::sled(format!("opening {}", path.display()), e))
            }
        }
    }
}

/// Whether an open error is sled failing to take its file lock.
fn is_lock_held(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.to_string().contains("could not acquire lock")
}

impl DiskBackend {
    /// Opens (creating if needed) the engine under `home`, with a page cache of
    /// [`CACHE_BYTES`], and its scratch folder `scratch/`.
    ///
    /// # Errors
    /// [`StoreError::NotWritable`], [`StoreError::DiskFull`] or another open error.
    pub fn open(home: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(home)
            .map_err(|e| StoreError::io(format!("creating {}", home.display()), e))?;
        let db = open_db(&home.join("db"))?;
        let chunks = ChunkFiles::open(&home.join("chunks"))?;
        let scratch = home.join("scratch");
        std::fs::create_dir_all(&scratch)
            .map_err(|e| StoreError::io(format!("creating {}", scratch.display()), e))?;
        Ok(DiskBackend {
            db,
            chunks,
            scratch,
            commits: Mutex::new(()),
        })
    }

    /// Where chunk `id` is stored.
    pub fn chunk_path(&self, id: &ChunkId) -> std::path::PathBuf {
        self.chunks.path(id)
    }
}

impl Backend for DiskBackend {
    fn scratch_dir(&self) -> Option<&Path> {
        Some(&self.scratch)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| StoreError::sled("reading", e))
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.db
            .scan_prefix(prefix)
            .map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| StoreError::sled("scanning", e))
            })
            .collect()
    }

    fn keys_after(
        &self,
        prefix: &[u8],
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        use std::ops::Bound;
        self.db
            .range::<&[u8], _>((Bound::Excluded(after), Bound::Unbounded))
            .keys()
            .take_while(|k| k.as_ref().map_or(true, |k| k.starts_with(prefix)))
            .take(limit)
            .map(|k| {
                k.map(|k| k.to_vec())
                    .map_err(|e| StoreError::sled("scanning", e))
            })
            .collect()
    }

    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let _one_at_a_time = self.commits.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                Op::Put(k, v) => batch.insert(k, v),
                Op::Delete(k) => batch.remove(k),
            }
        }
        self.db
            .apply_batch(batch)
            .map_err(|e| StoreError::sled("writing", e))?;
        self.db
            .flush()
            .map_err(|e| StoreError::sled("flushing", e))?;
        Ok(())
    }

    fn put_blob(&self, id: &ChunkId, parts: &[&[u8]]) -> Result<(), StoreError> {
        self.chunks.put(id, parts)
    }

    fn get_blob(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        self.chunks.get(id)
    }

    fn get_blob_range(
        &self,
        id: &ChunkId,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.chunks.get_range(id, offset, len)
    }

    fn remove_blob(&self, id: &ChunkId) -> Result<(), StoreError> {
        self.chunks.remove(id)
    }

    fn blob_ids(&self) -> Result<Vec<ChunkId>, StoreError> {
        self.chunks.ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_reopens_right_after_it_is_closed_and_a_held_one_is_reported_in_use() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..20 {
            let backend = DiskBackend::open(dir.path()).unwrap();
            backend
                .commit(vec![Op::Put(b"k".to_vec(), b"v".to_vec())])
                .unwrap();
        }
        let held = DiskBackend::open(dir.path()).unwrap();
        let started = Instant::now();
        let refused = DiskBackend::open(dir.path()).unwrap_err();
        assert!(started.elapsed() >= LOCK_WAIT);
        assert!(refused.to_string().contains("in use"), "{refused}");
        assert_eq!(held.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }
}

//! The on-disk engine: one `sled` tree for metadata (atomic batches, flushed before a commit
//! returns) and [`ChunkFiles`] for chunk bytes.

use std::path::Path;

use datanet_protocol::ChunkId;

use super::chunk_files::ChunkFiles;
use super::{Backend, Entry, Op};
use crate::StoreError;

/// sled plus chunk files under a node's home folder: `db/` and `chunks/`.
#[derive(Debug)]
pub struct DiskBackend {
    db: sled::Db,
    chunks: ChunkFiles,
}

impl DiskBackend {
    /// Opens (creating if needed) the engine under `home`.
    ///
    /// # Errors
    /// [`StoreError::NotWritable`], [`StoreError::DiskFull`] or another open error.
    pub fn open(home: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(home)
            .map_err(|e| StoreError::io(format!("creating {}", home.display()), e))?;
        let db = sled::Config::new()
            .path(home.join("db"))
            .open()
            .map_err(|e| StoreError::sled(format!("opening {}", home.join("db").display()), e))?;
        let chunks = ChunkFiles::open(&home.join("chunks"))?;
        Ok(DiskBackend { db, chunks })
    }

    /// Where chunk `id` is stored.
    pub fn chunk_path(&self, id: &ChunkId) -> std::path::PathBuf {
        self.chunks.path(id)
    }
}

impl Backend for DiskBackend {
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

    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
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

    fn put_blob(&self, id: &ChunkId, bytes: &[u8]) -> Result<(), StoreError> {
        self.chunks.put(id, bytes)
    }

    fn get_blob(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        self.chunks.get(id)
    }

    fn remove_blob(&self, id: &ChunkId) -> Result<(), StoreError> {
        self.chunks.remove(id)
    }

    fn blob_ids(&self) -> Result<Vec<ChunkId>, StoreError> {
        self.chunks.ids()
    }
}

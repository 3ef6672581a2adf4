//! Whole chunks in the content-addressed file store, verified on every read.

use std::time::{SystemTime, UNIX_EPOCH};

use datanet_protocol::ChunkId;

use super::repair::RepairItem;
use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Store {
    /// Stores a chunk durably and returns its id. Until a contribution that lists it is
    /// stored, the chunk is kept as staged (see [`crate::GcPolicy`]).
    ///
    /// # Errors
    /// [`StoreError::DiskFull`], [`StoreError::NotWritable`] or another I/O error; no partial
    /// chunk is ever visible.
    pub fn put_chunk(&self, bytes: &[u8]) -> Result<ChunkId, StoreError> {
        let _writing = self.writing_chunks();
        let id = ChunkId::of(bytes);
        self.backend.put_blob(&id, &[bytes])?;
        let staged = key(Kind::Staged, &[&id.0 .0]);
        self.commit(vec![
            Op::Put(staged, now_ms().to_be_bytes().to_vec()),
            Op::Delete(RepairItem::Chunk(id).key_bytes()),
        ])?;
        Ok(id)
    }

    /// The chunk with this id, verified against it.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] (and the chunk is listed for repair) when the stored bytes no
    /// longer hash to `id`, or an I/O error.
    pub fn chunk(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        match self.backend.get_blob(id)? {
            Some(bytes) if ChunkId::of(&bytes) != *id => {
                Err(self.corrupted(RepairItem::Chunk(*id), format!("chunk {id}")))
            }
            found => Ok(found),
        }
    }
}

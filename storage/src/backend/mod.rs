//! The storage engines behind the store: an ordered key-value space with atomic, durable
//! batches, and a blob space for whole chunks. `sled` plus files on disk for nodes; memory
//! for fast tests. Every store test runs against both.

mod chunk_files;
mod memory;
mod on_disk;

pub use memory::MemoryBackend;
pub use on_disk::DiskBackend;

use datanet_protocol::ChunkId;

use crate::StoreError;

/// A stored `(key, value)` pair.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One change in an atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set `key` to `value`.
    Put(Vec<u8>, Vec<u8>),
    /// Remove `key` (absent keys are fine).
    Delete(Vec<u8>),
}

/// A storage engine.
pub trait Backend: Send + Sync {
    /// The value at `key`.
    ///
    /// # Errors
    /// An engine or I/O error.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    ///
    /// # Errors
    /// An engine or I/O error.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError>;

    /// The keys that start with `prefix` and sort after `after`, in key order, at most
    /// `limit`: one page of an index, read without touching the rest.
    ///
    /// # Errors
    /// An engine or I/O error.
    fn keys_after(
        &self,
        prefix: &[u8],
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Applies every op or none, and returns only once the result survives a crash.
    ///
    /// # Errors
    /// An engine or I/O error, after which no op is applied.
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError>;

    /// Stores a chunk made of `parts`, one after another, under its id, replacing any previous
    /// copy atomically; durable on return.
    ///
    /// # Errors
    /// An I/O error (disk full, not writable), after which no partial chunk is visible.
    fn put_blob(&self, id: &ChunkId, parts: &[&[u8]]) -> Result<(), StoreError>;

    /// The bytes stored under `id`, unverified.
    ///
    /// # Errors
    /// An I/O error.
    fn get_blob(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError>;

    /// `len` bytes from `offset` of the blob stored under `id`, unverified; `None` when there
    /// is no such blob or it is shorter.
    ///
    /// # Errors
    /// An I/O error.
    fn get_blob_range(
        &self,
        id: &ChunkId,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Removes the chunk stored under `id`, if any.
    ///
    /// # Errors
    /// An I/O error.
    fn remove_blob(&self, id: &ChunkId) -> Result<(), StoreError>;

    /// The ids of every stored chunk.
    ///
    /// # Errors
    /// An I/O error.
    fn blob_ids(&self) -> Result<Vec<ChunkId>, StoreError>;

    /// A folder on the store's disk for its owner's temporary files (record hashes spilled
    /// while a large contribution is checked), so they go where the store has room rather
    /// than to a system folder that may be in memory; `None` for an engine in memory.
    fn scratch_dir(&self) -> Option<&std::path::Path> {
        None
    }
}

//! The typed store handle. Each submodule adds the methods for one kind of record.

pub(crate) mod anchors;
pub(crate) mod attestations;
mod attributions;
pub(crate) mod batches;
mod chain_sets;
mod chunks;
pub(crate) mod columns;
mod contributions;
mod datanets;
pub(crate) mod format;
pub(crate) mod gc;
pub(crate) mod handle;
mod invalid;
mod models;
pub(crate) mod peers;
pub(crate) mod records;
pub(crate) mod repair;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use datanet_protocol::encoding::Decode;

use crate::backend::{Backend, DiskBackend, MemoryBackend, Op};
use crate::keys::{key, Kind};
use crate::StoreError;

/// A node's durable state. Cheap to clone; clones share one engine.
///
/// Every method blocks on disk I/O: from async code, go through [`crate::AsyncStore`].
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Held shared by writers of chunks and exclusively by garbage collection, so a chunk
    /// being written is never collected before its record lands.
    gc_lock: Arc<RwLock<()>>,
    /// Held by a write to a record index, so two writes never take the same run number.
    records: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store in a node's home folder: `db/` and `chunks/`.
    ///
    /// # Errors
    /// [`StoreError::NewerFormat`] for a store written by a newer datanet,
    /// [`StoreError::NotWritable`] or [`StoreError::DiskFull`] when the folder cannot be used.
    pub fn open(home: &Path) -> Result<Self, StoreError> {
        Self::with_backend(Arc::new(DiskBackend::open(home)?))
    }

    /// A store that keeps everything in memory, for tests.
    pub fn memory() -> Self {
        let store = Store {
            backend: Arc::new(MemoryBackend::default()),
            gc_lock: Arc::default(),
            records: Arc::default(),
        };
        let created = format::open_format(&store, format::MIGRATIONS);
        debug_assert!(created.is_ok(), "an empty memory store always opens");
        store
    }

    /// A store over any engine, after checking (and if needed migrating) its format.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn with_backend(backend: Arc<dyn Backend>) -> Result<Self, StoreError> {
        let store = Store {
            backend,
            gc_lock: Arc::default(),
            records: Arc::default(),
        };
        format::open_format(&store, format::MIGRATIONS)?;
        Ok(store)
    }

    /// The engine underneath.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The folder for temporary files on the store's disk ([`Backend::scratch_dir`]); `None`
    /// for a store in memory.
    pub fn scratch_dir(&self) -> Option<&Path> {
        self.backend.scratch_dir()
    }

    fn get<T: Decode>(
        &self,
        key: &[u8],
        what: impl FnOnce() -> String,
    ) -> Result<Option<T>, StoreError> {
        match self.backend.get(key)? {
            None => Ok(None),
            Some(bytes) => T::from_bytes(&bytes)
                .map(Some)
                .map_err(|e| StoreError::decode(what(), e)),
        }
    }

    /// A record kept under its own hash: `matches` checks it against the key it was read
    /// from, and a mismatch is [`StoreError::Corrupted`], never a wrong record.
    fn get_addressed<T: Decode>(
        &self,
        key: &[u8],
        what: impl Fn() -> String,
        matches: impl FnOnce(&T) -> bool,
    ) -> Result<Option<T>, StoreError> {
        match self.get::<T>(key, &what)? {
            Some(record) if !matches(&record) => Err(StoreError::Corrupted { what: what() }),
            found => Ok(found),
        }
    }

    fn scan<T: Decode>(
        &self,
        kind: Kind,
        prefix: &[&[u8]],
        what: &str,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        self.backend
            .scan(&key(kind, prefix))?
            .into_iter()
            .map(|(k, v)| {
                T::from_bytes(&v)
                    .map(|t| (k, t))
                    .map_err(|e| StoreError::decode(what, e))
            })
            .collect()
    }

    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        self.backend.commit(ops)
    }

    fn writing_chunks(&self) -> RwLockReadGuard<'_, ()> {
        self.gc_lock.read().unwrap_or_else(|p| p.into_inner())
    }

    fn collecting(&self) -> RwLockWriteGuard<'_, ()> {
        self.gc_lock.write().unwrap_or_else(|p| p.into_inner())
    }
}

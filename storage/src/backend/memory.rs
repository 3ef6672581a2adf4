//! The in-memory engine: a sorted map and a blob map under one lock. For tests.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use datanet_protocol::ChunkId;

use super::{Backend, Entry, Op};
use crate::StoreError;

/// Keeps everything in memory; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    kv: BTreeMap<Vec<u8>, Vec<u8>>,
    blobs: BTreeMap<ChunkId, Vec<u8>>,
}

impl MemoryBackend {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Backend for MemoryBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state().kv.get(key).cloned())
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .state()
            .kv
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn keys_after(
        &self,
        prefix: &[u8],
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        use std::ops::Bound;
        Ok(self
            .state()
            .kv
            .range::<[u8], _>((Bound::Excluded(after), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let mut state = self.state();
        for op in ops {
            match op {
                Op::Put(k, v) => state.kv.insert(k, v),
                Op::Delete(k) => state.kv.remove(&k),
            };
        }
        Ok(())
    }

    fn put_blob(&self, id: &ChunkId, parts: &[&[u8]]) -> Result<(), StoreError> {
        self.state().blobs.insert(*id, parts.concat());
        Ok(())
    }

    fn get_blob(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state().blobs.get(id).cloned())
    }

    fn get_blob_range(
        &self,
        id: &ChunkId,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let state = self.state();
        let Some(blob) = state.blobs.get(id) else {
            return Ok(None);
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(start
            .checked_add(len)
            .and_then(|end| blob.get(start..end))
            .map(<[u8]>::to_vec))
    }

    fn remove_blob(&self, id: &ChunkId) -> Result<(), StoreError> {
        self.state().blobs.remove(id);
        Ok(())
    }

    fn blob_ids(&self) -> Result<Vec<ChunkId>, StoreError> {
        Ok(self.state().blobs.keys().copied().collect())
    }
}

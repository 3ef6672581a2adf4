//! The repair list: records found corrupted on read, for the node to fetch again.

use datanet_protocol::{ChunkId, DaRoot, Hash};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// A record that failed verification and must be fetched or rebuilt again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RepairItem {
    /// A chunk file whose bytes no longer hash to its id.
    Chunk(ChunkId),
    /// A custodied column that no longer matches its DA root.
    Column(DaRoot, u16),
}

impl RepairItem {
    pub(crate) fn key_bytes(&self) -> Vec<u8> {
        match self {
            RepairItem::Chunk(id) => key(Kind::Repair, &[b"k", &id.0 .0]),
            RepairItem::Column(root, index) => {
                key(Kind::Repair, &[b"c", &root.0 .0, &index.to_be_bytes()])
            }
        }
    }

    fn from_key(key: &[u8]) -> Option<Self> {
        let hash = |bytes: &[u8]| -> Option<Hash> { Some(Hash(bytes.try_into().ok()?)) };
        match key.get(1..)? {
            [b'k', rest @ ..] => Some(RepairItem::Chunk(ChunkId(hash(rest)?))),
            [b'c', rest @ ..] if rest.len() == 34 => {
                let index = u16::from_be_bytes([rest[32], rest[33]]);
                Some(RepairItem::Column(DaRoot(hash(&rest[..32])?), index))
            }
            _ => None,
        }
    }
}

impl Store {
    /// Lists `item` for repair and returns the corruption error to report.
    pub(crate) fn corrupted(&self, item: RepairItem, what: String) -> StoreError {
        if let Err(e) = self.commit(vec![Op::Put(item.key_bytes(), Vec::new())]) {
            return e;
        }
        StoreError::Corrupted { what }
    }

    /// Every record listed for repair.
    ///
    /// # Errors
    /// An engine error.
    pub fn repair_list(&self) -> Result<Vec<RepairItem>, StoreError> {
        Ok(self
            .backend
            .scan(&key(Kind::Repair, &[]))?
            .iter()
            .filter_map(|(k, _)| RepairItem::from_key(k))
            .collect())
    }

    /// Takes `item` off the repair list once it has been restored.
    ///
    /// # Errors
    /// An engine error.
    pub fn repaired(&self, item: RepairItem) -> Result<(), StoreError> {
        self.commit(vec![Op::Delete(item.key_bytes())])
    }
}

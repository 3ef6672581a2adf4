//! Epoch batches: the contributions certified in one epoch of one datanet, and their root.

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use datanet_protocol::{ContributionId, DatanetId, Hash};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// The most contributions in one epoch batch.
const MAX_BATCH: usize = 1 << 20;

/// One datanet's certified contributions of one epoch and the Merkle root anchored for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochBatch {
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The root committed on chain.
    pub root: Hash,
    /// The contributions in the batch, in leaf order.
    pub contributions: Vec<ContributionId>,
}

impl Encode for EpochBatch {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.root);
        out.list(&self.contributions);
    }
}

impl Decode for EpochBatch {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("epoch batch version")?;
        Ok(EpochBatch {
            datanet: DatanetId::decode_from(r)?,
            epoch: r.u64("epoch")?,
            root: r.hash("batch root")?,
            contributions: r.list(MAX_BATCH, "batch contributions")?,
        })
    }
}

pub(crate) fn batch_key(datanet: &DatanetId, epoch: u64) -> Vec<u8> {
    key(Kind::Batch, &[&datanet.0 .0, &epoch.to_be_bytes()])
}

impl Store {
    /// Stores an epoch batch. A batch is final: storing a different one for the same datanet
    /// and epoch is refused, storing the same one again is a no-op.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] or an engine error.
    pub fn put_batch(&self, batch: &EpochBatch) -> Result<(), StoreError> {
        let k = batch_key(&batch.datanet, batch.epoch);
        let bytes = batch.to_bytes();
        match self.backend.get(&k)? {
            Some(existing) if existing == bytes => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "epoch {} of {} already has another batch",
                batch.epoch, batch.datanet
            ))),
            None => self.commit(vec![Op::Put(k, bytes)]),
        }
    }

    /// The batch of `datanet` for `epoch`.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn batch(&self, datanet: &DatanetId, epoch: u64) -> Result<Option<EpochBatch>, StoreError> {
        self.get(&batch_key(datanet, epoch), || {
            format!("batch {epoch} of {datanet}")
        })
    }
}

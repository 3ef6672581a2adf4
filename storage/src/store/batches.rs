//! Final epoch batches, by datanet and epoch, and the index of which epoch each batched
//! contribution went into.

use datanet_protocol::encoding::Encode;
use datanet_protocol::{ContributionId, DatanetId, FinalBatch};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

fn batch_key(datanet: &DatanetId, epoch: u64) -> Vec<u8> {
    key(Kind::Batch, &[&datanet.0 .0, &epoch.to_be_bytes()])
}

fn batched_key(contribution: &ContributionId) -> Vec<u8> {
    key(Kind::Batched, &[&contribution.0 .0])
}

impl Store {
    /// Stores a final batch (verified by the caller, who holds the validator set), marks
    /// each of its contributions as batched in its epoch and keeps the certificates it carries
    /// for stored contributions that have none here yet (as [`Store::put_certificate`]), in
    /// one commit. A batch is final:
    /// storing a different one for the same datanet and epoch is refused, storing the same one
    /// again is a no-op. Returns whether it was new.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] or an engine error.
    pub fn put_batch(&self, batch: &FinalBatch) -> Result<bool, StoreError> {
        let (datanet, epoch) = batch.slot();
        let k = batch_key(&datanet, epoch);
        if let Some(existing) =
            self.get::<FinalBatch>(&k, || format!("batch {epoch} of {datanet}"))?
        {
            if existing.root() == batch.root() {
                return Ok(false);
            }
            return Err(StoreError::Conflict(format!(
                "epoch {epoch} of {datanet} already has batch {}",
                existing.root()
            )));
        }
        let mut ops = vec![Op::Put(k, batch.to_bytes())];
        for qc in &batch.proposal.body().certificates {
            ops.push(Op::Put(
                batched_key(&qc.contribution),
                epoch.to_be_bytes().to_vec(),
            ));
            if let Some(manifest) = self.manifest(&qc.contribution)? {
                ops.extend(self.certificate_ops(&manifest, qc)?);
            }
        }
        if self.anchor(&datanet, epoch)?.is_none() {
            ops.push(self.queue_anchor_op(&datanet, epoch, batch.root()));
        }
        self.commit(ops)?;
        Ok(true)
    }

    /// The final batch of `datanet` for `epoch`.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn batch(&self, datanet: &DatanetId, epoch: u64) -> Result<Option<FinalBatch>, StoreError> {
        self.get(&batch_key(datanet, epoch), || {
            format!("batch {epoch} of {datanet}")
        })
    }

    /// Every final batch of `datanet`, by epoch ascending.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn batches_of(&self, datanet: &DatanetId) -> Result<Vec<FinalBatch>, StoreError> {
        Ok(self
            .scan::<FinalBatch>(Kind::Batch, &[&datanet.0 .0], "batch")?
            .into_iter()
            .map(|(_, b)| b)
            .collect())
    }

    /// The epoch whose final batch holds `contribution`, if one does.
    ///
    /// # Errors
    /// An engine error, or [`StoreError::Decode`] for a damaged record.
    pub fn batched_in(&self, contribution: &ContributionId) -> Result<Option<u64>, StoreError> {
        match self.backend.get(&batched_key(contribution))? {
            None => Ok(None),
            Some(bytes) => bytes
                .as_slice()
                .try_into()
                .map(|b| Some(u64::from_be_bytes(b)))
                .map_err(|_| StoreError::Corrupted {
                    what: format!("batch index of {contribution}"),
                }),
        }
    }
}

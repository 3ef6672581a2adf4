//! The validator sets a chain gave each datanet: each the hub's set as of one confirmed
//! anchor, applying from a later epoch on, so every node that saw the same anchors checks
//! each epoch against the same set.

use datanet_protocol::{DatanetId, ValidatorSet};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

fn chain_set_key(datanet: &DatanetId, from_epoch: u64) -> Vec<u8> {
    key(Kind::ChainSet, &[&datanet.0 .0, &from_epoch.to_be_bytes()])
}

impl Store {
    /// Records that `set` validates `datanet` from `from_epoch` on (until a later one takes
    /// over). Writing the same set again is a no-op; whether anything was written.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another set is recorded from that epoch; an engine
    /// error.
    pub fn put_chain_set(
        &self,
        datanet: &DatanetId,
        from_epoch: u64,
        set: &ValidatorSet,
    ) -> Result<bool, StoreError> {
        let key = chain_set_key(datanet, from_epoch);
        match self.get::<ValidatorSet>(&key, || format!("validator set of {datanet}"))? {
            Some(held) if held.id() == set.id() => Ok(false),
            Some(held) => Err(StoreError::Conflict(format!(
                "validator set {} already applies to {datanet} from epoch {from_epoch}, not {}",
                held.id(),
                set.id()
            ))),
            None => {
                self.commit(vec![Op::Put(key, datanet_protocol::Encode::to_bytes(set))])?;
                Ok(true)
            }
        }
    }

    /// Every set recorded for `datanet`, with the epoch it applies from, in epoch order.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn chain_sets(&self, datanet: &DatanetId) -> Result<Vec<(u64, ValidatorSet)>, StoreError> {
        self.scan::<ValidatorSet>(Kind::ChainSet, &[&datanet.0 .0], "validator set")?
            .into_iter()
            .map(|(key, set)| {
                let epoch = key
                    .get(1 + 32..)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| StoreError::Corrupted {
                        what: format!("validator set key of {datanet}"),
                    })?;
                Ok((epoch, set))
            })
            .collect()
    }

    /// The set a chain gave `datanet` for `epoch`: the last recorded from that epoch or
    /// before; `None` when none applies yet (the datanet record's own set does).
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn chain_set_at(
        &self,
        datanet: &DatanetId,
        epoch: u64,
    ) -> Result<Option<ValidatorSet>, StoreError> {
        Ok(self
            .chain_sets(datanet)?
            .into_iter()
            .take_while(|(from, _)| *from <= epoch)
            .last()
            .map(|(_, set)| set))
    }

    /// The newest set a chain gave `datanet`, whatever epoch it applies from.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn newest_chain_set(
        &self,
        datanet: &DatanetId,
    ) -> Result<Option<ValidatorSet>, StoreError> {
        Ok(self.chain_sets(datanet)?.pop().map(|(_, set)| set))
    }
}

//! The anchor queue: each epoch batch root moves from queued to submitted to confirmed, one
//! record per datanet and epoch, so a restart, a dropped transaction or a reorg can resubmit
//! but never anchor the same epoch twice or forget one.

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use datanet_protocol::{DatanetId, Hash};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// Where an anchor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorState {
    /// Waiting to be sent.
    Queued,
    /// Sent in transaction `tx` with account nonce `nonce`, not yet confirmed.
    Submitted {
        /// The transaction hash.
        tx: Hash,
        /// The sender's nonce used.
        nonce: u64,
    },
    /// Included in block `block` by transaction `tx`, with enough confirmations.
    Confirmed {
        /// The transaction hash.
        tx: Hash,
        /// The block number.
        block: u64,
    },
    /// Never to be anchored: the chain took a later epoch of the datanet first, and it
    /// accepts epochs in increasing order only.
    Skipped,
}

/// One epoch's anchor of one datanet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The datanet.
    pub datanet: DatanetId,
    /// The epoch.
    pub epoch: u64,
    /// The batch root to anchor.
    pub batch_root: Hash,
    /// Its progress.
    pub state: AnchorState,
}

impl Encode for Anchor {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.datanet.encode_to(out);
        out.u64(self.epoch);
        out.hash(&self.batch_root);
        match self.state {
            AnchorState::Queued => out.u8(0),
            AnchorState::Submitted { tx, nonce } => {
                out.u8(1);
                out.hash(&tx);
                out.u64(nonce);
            }
            AnchorState::Confirmed { tx, block } => {
                out.u8(2);
                out.hash(&tx);
                out.u64(block);
            }
            AnchorState::Skipped => out.u8(3),
        }
    }
}

impl Decode for Anchor {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("anchor version")?;
        let datanet = DatanetId::decode_from(r)?;
        let epoch = r.u64("epoch")?;
        let batch_root = r.hash("batch root")?;
        let state = match r.u8("anchor state")? {
            0 => AnchorState::Queued,
            1 => AnchorState::Submitted {
                tx: r.hash("transaction")?,
                nonce: r.u64("nonce")?,
            },
            2 => AnchorState::Confirmed {
                tx: r.hash("transaction")?,
                block: r.u64("block")?,
            },
            3 => AnchorState::Skipped,
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "anchor state",
                    value: v.into(),
                })
            }
        };
        Ok(Anchor {
            datanet,
            epoch,
            batch_root,
            state,
        })
    }
}

fn anchor_key(datanet: &DatanetId, epoch: u64) -> Vec<u8> {
    key(Kind::Anchor, &[&datanet.0 .0, &epoch.to_be_bytes()])
}

impl Store {
    /// Queues the anchor of `batch_root` for `datanet` and `epoch`. Queuing the same root
    /// again leaves the record as it is, whatever its state.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if another root is already queued or anchored for the epoch.
    pub fn enqueue_anchor(
        &self,
        datanet: &DatanetId,
        epoch: u64,
        batch_root: Hash,
    ) -> Result<Anchor, StoreError> {
        if let Some(existing) = self.anchor(datanet, epoch)? {
            return if existing.batch_root == batch_root {
                Ok(existing)
            } else {
                Err(StoreError::Conflict(format!(
                    "epoch {epoch} of {datanet} is already anchoring root {}",
                    existing.batch_root
                )))
            };
        }
        let op = self.queue_anchor_op(datanet, epoch, batch_root);
        self.commit(vec![op])?;
        self.anchor(datanet, epoch)?
            .ok_or_else(|| StoreError::Invalid(format!("anchor {epoch} of {datanet} vanished")))
    }

    /// The write that queues the anchor of `batch_root` for `datanet` and `epoch`: a final
    /// batch is stored together with it, so no batch is ever left unqueued by a crash.
    pub(crate) fn queue_anchor_op(&self, datanet: &DatanetId, epoch: u64, batch_root: Hash) -> Op {
        let anchor = Anchor {
            datanet: *datanet,
            epoch,
            batch_root,
            state: AnchorState::Queued,
        };
        Op::Put(anchor_key(datanet, epoch), anchor.to_bytes())
    }

    /// Moves an anchor to `state`. A confirmed anchor only moves back to queued (a reorg
    /// removed its block); it is never submitted again while confirmed.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an unknown anchor, [`StoreError::Conflict`] for a move a
    /// confirmed anchor may not make, or an engine error.
    pub fn set_anchor_state(
        &self,
        datanet: &DatanetId,
        epoch: u64,
        state: AnchorState,
    ) -> Result<Anchor, StoreError> {
        let mut anchor = self.anchor(datanet, epoch)?.ok_or_else(|| {
            StoreError::Invalid(format!("no anchor queued for epoch {epoch} of {datanet}"))
        })?;
        if matches!(anchor.state, AnchorState::Confirmed { .. })
            && matches!(state, AnchorState::Submitted { .. })
        {
            return Err(StoreError::Conflict(format!(
                "epoch {epoch} of {datanet} is already confirmed"
            )));
        }
        anchor.state = state;
        self.commit(vec![Op::Put(anchor_key(datanet, epoch), anchor.to_bytes())])?;
        Ok(anchor)
    }

    /// The anchor of `datanet` for `epoch`.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn anchor(&self, datanet: &DatanetId, epoch: u64) -> Result<Option<Anchor>, StoreError> {
        self.get(&anchor_key(datanet, epoch), || {
            format!("anchor {epoch} of {datanet}")
        })
    }

    /// The newest confirmed anchor of `datanet`: the latest version of it on chain, as far
    /// as this node has followed.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn newest_confirmed_anchor(
        &self,
        datanet: &DatanetId,
    ) -> Result<Option<Anchor>, StoreError> {
        Ok(self
            .scan::<Anchor>(Kind::Anchor, &[&datanet.0 .0], "anchor")?
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| matches!(a.state, AnchorState::Confirmed { .. }))
            .max_by_key(|a| a.epoch))
    }

    /// Every anchor neither confirmed nor skipped, by datanet then epoch: the work a restarted node
    /// resumes.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn pending_anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        Ok(self
            .scan::<Anchor>(Kind::Anchor, &[], "anchor")?
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| {
                !matches!(
                    a.state,
                    AnchorState::Confirmed { .. } | AnchorState::Skipped
                )
            })
            .collect())
    }
}

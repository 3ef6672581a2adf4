//! Squares proven badly encoded: the fraud proof is kept, and the square is never served or
//! accepted again.

use datanet_protocol::encoding::Encode;
use datanet_protocol::{BadEncodingProof, DaRoot};

use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

impl Store {
    /// Records that the square under `da_root` is badly encoded, after checking `proof`
    /// against it. Recording it again is a no-op.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the proof does not verify, or an engine error.
    pub fn mark_invalid(
        &self,
        da_root: &DaRoot,
        proof: &BadEncodingProof,
    ) -> Result<(), StoreError> {
        proof
            .verify(da_root)
            .map_err(|e| StoreError::Invalid(format!("fraud proof for {da_root}: {e}")))?;
        self.commit(vec![Op::Put(
            key(Kind::Invalid, &[&da_root.0 .0]),
            proof.to_bytes(),
        )])
    }

    /// The fraud proof against the square under `da_root`, if it was proven badly encoded.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn invalid_proof(&self, da_root: &DaRoot) -> Result<Option<BadEncodingProof>, StoreError> {
        self.get(&key(Kind::Invalid, &[&da_root.0 .0]), || {
            format!("fraud proof for {da_root}")
        })
    }

    /// Whether the square under `da_root` was proven badly encoded.
    ///
    /// # Errors
    /// An engine error.
    pub fn is_invalid(&self, da_root: &DaRoot) -> Result<bool, StoreError> {
        Ok(self
            .backend
            .get(&key(Kind::Invalid, &[&da_root.0 .0]))?
            .is_some())
    }
}

//! What a light client has done, kept on disk so a restart resumes: per followed datanet the
//! last block whose anchors are all checked, per contribution its verdict, and the squares
//! fraud proofs condemned. It holds verdicts, never data: its size grows with the number of
//! contributions checked, not with their bytes.

use std::path::Path;

use datanet_protocol::{ContributionId, DaRoot, DatanetId};

use crate::check::ContributionVerdict;
use crate::error::LightError;

/// The progress store.
#[derive(Clone)]
pub struct Progress {
    blocks: sled::Tree,
    verdicts: sled::Tree,
    invalid: sled::Tree,
    path: String,
}

impl Progress {
    /// Opens (or creates) the store in folder `dir`.
    ///
    /// # Errors
    /// [`LightError::Progress`] when the folder cannot be opened as a store (another light
    /// client holds it, or it is not one).
    pub fn open(dir: &Path) -> Result<Self, LightError> {
        let path = dir.display().to_string();
        let fail = |e: sled::Error| LightError::Progress {
            path: path.clone(),
            message: e.to_string(),
        };
        let db = sled::open(dir).map_err(fail)?;
        Ok(Progress {
            blocks: db.open_tree("blocks").map_err(fail)?,
            verdicts: db.open_tree("verdicts").map_err(fail)?,
            invalid: db.open_tree("invalid").map_err(fail)?,
            path,
        })
    }

    fn fail(&self, e: impl std::fmt::Display) -> LightError {
        LightError::Progress {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// The last block of `datanet` whose anchors are all checked.
    ///
    /// # Errors
    /// [`LightError::Progress`].
    pub fn last_block(&self, datanet: &DatanetId) -> Result<Option<u64>, LightError> {
        let found = self.blocks.get(datanet.0 .0).map_err(|e| self.fail(e))?;
        Ok(found.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok().map(u64::from_be_bytes)))
    }

    /// Records that every anchor of `datanet` up to `block` is checked, durably.
    ///
    /// # Errors
    /// [`LightError::Progress`].
    pub fn set_last_block(&self, datanet: &DatanetId, block: u64) -> Result<(), LightError> {
        self.blocks
            .insert(datanet.0 .0, &block.to_be_bytes())
            .map_err(|e| self.fail(e))?;
        self.blocks.flush().map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// The verdict recorded on `contribution`, if it was checked.
    ///
    /// # Errors
    /// [`LightError::Progress`], also for a record that does not decode.
    pub fn verdict(
        &self,
        contribution: &ContributionId,
    ) -> Result<Option<ContributionVerdict>, LightError> {
        match self
            .verdicts
            .get(contribution.0 .0)
            .map_err(|e| self.fail(e))?
        {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.fail(format!("verdict of {contribution}: {e}"))),
            None => Ok(None),
        }
    }

    /// Records `verdict` on `contribution`, durably.
    ///
    /// # Errors
    /// [`LightError::Progress`].
    pub fn put_verdict(
        &self,
        contribution: &ContributionId,
        verdict: &ContributionVerdict,
    ) -> Result<(), LightError> {
        let bytes = serde_json::to_vec(verdict).map_err(|e| self.fail(e))?;
        self.verdicts
            .insert(contribution.0 .0, bytes)
            .map_err(|e| self.fail(e))?;
        self.verdicts.flush().map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// How many contributions have a verdict.
    pub fn checked(&self) -> usize {
        self.verdicts.len()
    }

    /// Records that a fraud proof proved the square under `da_root` badly encoded; whether
    /// it was new.
    ///
    /// # Errors
    /// [`LightError::Progress`].
    pub fn mark_invalid(&self, da_root: &DaRoot) -> Result<bool, LightError> {
        let before = self
            .invalid
            .insert(da_root.0 .0, &[])
            .map_err(|e| self.fail(e))?;
        self.invalid.flush().map_err(|e| self.fail(e))?;
        Ok(before.is_none())
    }

    /// Adds `da_root` to the invalid squares of every verdict recorded on a contribution
    /// that uses it (a fraud proof that arrives after the check); the contributions changed.
    ///
    /// # Errors
    /// [`LightError::Progress`].
    pub fn condemn_checked(&self, da_root: &DaRoot) -> Result<Vec<String>, LightError> {
        let root = da_root.to_string();
        let mut changed = Vec::new();
        for entry in self.verdicts.iter() {
            let (key, bytes) = entry.map_err(|e| self.fail(e))?;
            let mut verdict: ContributionVerdict =
                serde_json::from_slice(&bytes).map_err(|e| self.fail(e))?;
            if verdict.invalid.contains(&root) || !verdict.chunks.iter().any(|c| c.da_root == root)
            {
                continue;
            }
            verdict.invalid.push(root.clone());
            let bytes = serde_json::to_vec(&verdict).map_err(|e| self.fail(e))?;
            self.verdicts.insert(key, bytes).map_err(|e| self.fail(e))?;
            changed.push(verdict.contribution);
        }
        self.verdicts.flush().map_err(|e| self.fail(e))?;
        Ok(changed)
    }

    /// Whether a fraud proof proved the square under `da_root` badly encoded.
    pub fn is_invalid(&self, da_root: &DaRoot) -> bool {
        self.invalid.contains_key(da_root.0 .0).unwrap_or(false)
    }
}

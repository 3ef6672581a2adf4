//! Contributions: the signed manifest, its square headers and any custodied columns, stored
//! together in one atomic batch, with a retention pin.

use datanet_protocol::encoding::Encode;
use datanet_protocol::sync::{Fingerprint, IdPrefix};
use datanet_protocol::{ContributionId, DaRoot, DatanetId, Hash, Line, Manifest, SquareHeader};

use std::collections::BTreeMap;

use super::columns::{write_columns, StoredColumn};
use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// Index keys read per page while walking a range.
const PAGE: usize = 1024;

impl Store {
    /// Stores a contribution atomically: the manifest, the header of every chunk (in manifest
    /// order) and the given columns `(DA root, column)`, pinned for retention. Chunks the
    /// manifest lists stop being merely staged.
    ///
    /// Everything is verified first, and nothing is written unless all of it verifies: the
    /// manifest's signature, each header against its chunk's DA root and parameters, each
    /// column against its DA root and as a codeword.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] naming the first check that failed, or an engine error; in
    /// both cases nothing is stored.
    pub fn put_contribution(
        &self,
        manifest: &Manifest,
        headers: &[SquareHeader],
        columns: &[(DaRoot, Line)],
    ) -> Result<ContributionId, StoreError> {
        manifest
            .check_headers(headers)
            .map_err(|e| StoreError::Invalid(format!("manifest: {e}")))?;
        let body = manifest.body();
        let id = manifest.id();
        let mut ops = vec![
            Op::Put(key(Kind::Manifest, &[&id.0 .0]), manifest.to_bytes()),
            Op::Put(key(Kind::Pin, &[&id.0 .0]), Vec::new()),
            Op::Put(listed_key(&body.datanet, &id), Vec::new()),
        ];
        for (chunk, header) in body.chunks.iter().zip(headers) {
            ops.push(Op::Put(
                key(Kind::Header, &[&chunk.da_root.0 .0]),
                header.to_bytes(),
            ));
            ops.push(Op::Delete(key(Kind::Staged, &[&chunk.id.0 .0])));
        }
        let mut squares: BTreeMap<DaRoot, Vec<StoredColumn>> = BTreeMap::new();
        for (root, line) in columns {
            if !body.chunks.iter().any(|c| c.da_root == *root) {
                return Err(StoreError::Invalid(format!(
                    "column for DA root {root} of no chunk of this contribution"
                )));
            }
            squares
                .entry(*root)
                .or_default()
                .push(StoredColumn::verified(root, line)?);
        }
        let _writing = self.writing_chunks();
        for (root, columns) in squares {
            ops.extend(write_columns(self.backend.as_ref(), &root, columns)?);
        }
        self.commit(ops)?;
        Ok(id)
    }

    /// The signed manifest of contribution `id`.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] if the stored manifest does not hash to `id`, or an engine
    /// error.
    pub fn manifest(&self, id: &ContributionId) -> Result<Option<Manifest>, StoreError> {
        self.get_addressed(
            &key(Kind::Manifest, &[&id.0 .0]),
            || format!("manifest {id}"),
            |m: &Manifest| m.id() == *id,
        )
    }

    /// The ids of the contributions to `datanet` stored here that sort after `after`,
    /// ascending, at most `limit`: read from the per-datanet index, so a page costs the same
    /// however many contributions the store holds.
    ///
    /// # Errors
    /// An engine error, or [`StoreError::Corrupted`] for an index key of the wrong length.
    pub fn contributions_of(
        &self,
        datanet: &DatanetId,
        after: &ContributionId,
        limit: usize,
    ) -> Result<Vec<ContributionId>, StoreError> {
        let prefix = key(Kind::Listed, &[&datanet.0 .0]);
        self.backend
            .keys_after(&prefix, &listed_key(datanet, after), limit)?
            .into_iter()
            .map(|k| {
                let id: [u8; 32] = k
                    .get(prefix.len()..)
                    .and_then(|rest| rest.try_into().ok())
                    .ok_or_else(|| StoreError::Corrupted {
                        what: format!("contribution index of datanet {datanet}"),
                    })?;
                Ok(ContributionId(Hash(id)))
            })
            .collect()
    }

    /// The ids of the contributions to `datanet` stored here whose ids fall in `range`,
    /// ascending, at most `limit`.
    ///
    /// # Errors
    /// As [`Store::contributions_of`].
    pub fn contributions_in(
        &self,
        datanet: &DatanetId,
        range: &IdPrefix,
        limit: usize,
    ) -> Result<Vec<ContributionId>, StoreError> {
        let mut after = range.cursor().unwrap_or_default();
        let mut found = Vec::new();
        while found.len() < limit {
            let wanted = PAGE.min(limit - found.len());
            let page = self.contributions_of(datanet, &after, wanted)?;
            let full = page.len() == wanted;
            for id in page {
                if !range.contains(&id.0) {
                    return Ok(found);
                }
                after = id;
                found.push(id);
            }
            if !full {
                break;
            }
        }
        Ok(found)
    }

    /// The fingerprint of the ids of the contributions to `datanet` in `range`: what a peer
    /// compares its own with to find what either lacks ([`datanet_protocol::sync`]).
    ///
    /// # Errors
    /// As [`Store::contributions_of`].
    pub fn fingerprint(
        &self,
        datanet: &DatanetId,
        range: &IdPrefix,
    ) -> Result<Fingerprint, StoreError> {
        let ids = self.contributions_in(datanet, range, usize::MAX)?;
        Ok(Fingerprint::of(ids.iter().map(|id| &id.0)))
    }

    /// The ids of every stored contribution, in id order.
    ///
    /// # Errors
    /// An engine error.
    pub fn contributions(&self) -> Result<Vec<ContributionId>, StoreError> {
        Ok(self.manifests()?.iter().map(Manifest::id).collect())
    }

    /// Every stored signed manifest, in contribution id order.
    ///
    /// # Errors
    /// An engine or decoding error.
    pub fn manifests(&self) -> Result<Vec<Manifest>, StoreError> {
        Ok(self
            .scan::<Manifest>(Kind::Manifest, &[], "manifest")?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }

    /// Whether contribution `id` is pinned for retention.
    ///
    /// # Errors
    /// An engine error.
    pub fn is_pinned(&self, id: &ContributionId) -> Result<bool, StoreError> {
        Ok(self.backend.get(&key(Kind::Pin, &[&id.0 .0]))?.is_some())
    }

    /// Releases contribution `id` from retention: the next garbage collection removes it and
    /// whatever only it referenced.
    ///
    /// # Errors
    /// An engine error.
    pub fn unpin(&self, id: &ContributionId) -> Result<(), StoreError> {
        self.commit(vec![Op::Delete(key(Kind::Pin, &[&id.0 .0]))])
    }

    /// The square header committed by `da_root`.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] if the stored header does not hash to `da_root`, or an
    /// engine error.
    pub fn header(&self, da_root: &DaRoot) -> Result<Option<SquareHeader>, StoreError> {
        self.get_addressed(
            &key(Kind::Header, &[&da_root.0 .0]),
            || format!("header {da_root}"),
            |h: &SquareHeader| h.da_root() == *da_root,
        )
    }
}

/// The index key of contribution `id` to `datanet`.
pub(crate) fn listed_key(datanet: &DatanetId, id: &ContributionId) -> Vec<u8> {
    key(Kind::Listed, &[&datanet.0 .0, &id.0 .0])
}

//! Garbage collection: removes what no retention pin, custody duty or fresh staging needs,
//! and never anything a pinned contribution references.

use std::collections::BTreeSet;

use datanet_protocol::{ChunkId, DaRoot, Manifest};

use super::chunks::now_ms;
use super::columns::record_blob;
use super::repair::RepairItem;
use crate::backend::Op;
use crate::keys::{key, leading_hash, parts, Kind};
use crate::{Store, StoreError};

/// How garbage collection treats chunks that are written but not yet listed by a stored
/// contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcPolicy {
    /// A staged chunk younger than this many milliseconds is kept: its contribution is
    /// probably still being ingested.
    pub staged_grace_ms: u64,
}

impl Default for GcPolicy {
    fn default() -> Self {
        GcPolicy {
            staged_grace_ms: 60 * 60 * 1000,
        }
    }
}

/// What one collection removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Manifests of unpinned contributions.
    pub manifests: usize,
    /// Square headers no pinned contribution lists.
    pub headers: usize,
    /// Columns of squares no pinned contribution lists.
    pub columns: usize,
    /// Blob files (chunks, column shares) that no pinned contribution, kept column or fresh
    /// staging refers to.
    pub chunks: usize,
}

impl Store {
    /// Removes unpinned contributions and every header, column and chunk that no pinned
    /// contribution references (and that is not freshly staged). Metadata goes first in one
    /// atomic batch, chunk files after, so a crash midway leaves only orphan files, which the
    /// next collection removes.
    ///
    /// # Errors
    /// An engine or I/O error; what was removed before it stays removed, nothing referenced
    /// is touched.
    pub fn gc(&self, policy: GcPolicy) -> Result<GcReport, StoreError> {
        let _exclusive = self.collecting();
        let mut report = GcReport::default();
        let mut ops = Vec::new();
        let pinned: BTreeSet<Vec<u8>> = self
            .backend
            .scan(&key(Kind::Pin, &[]))?
            .into_iter()
            .map(|(k, _)| parts(&k).to_vec())
            .collect();
        let mut roots: BTreeSet<DaRoot> = BTreeSet::new();
        let mut chunks: BTreeSet<ChunkId> = BTreeSet::new();
        for (k, manifest) in self.scan::<Manifest>(Kind::Manifest, &[], "manifest")? {
            if pinned.contains(parts(&k)) {
                for chunk in &manifest.body().chunks {
                    roots.insert(chunk.da_root);
                    chunks.insert(chunk.id);
                }
            } else {
                ops.push(Op::Delete(k));
                report.manifests += 1;
            }
        }
        let unreferenced = |k: &[u8]| leading_hash(k).is_some_and(|h| !roots.contains(&DaRoot(h)));
        for (k, _) in self.backend.scan(&key(Kind::Header, &[]))? {
            if unreferenced(&k) {
                ops.push(Op::Delete(k));
                report.headers += 1;
            }
        }
        for (k, record) in self.backend.scan(&key(Kind::Column, &[]))? {
            if unreferenced(&k) {
                ops.push(Op::Delete(k));
                report.columns += 1;
            } else if let Some(blob) = record_blob(&record) {
                chunks.insert(blob);
            }
        }
        let now = now_ms();
        for (k, v) in self.backend.scan(&key(Kind::Staged, &[]))? {
            let staged_at = v.as_slice().try_into().map(u64::from_be_bytes).unwrap_or(0);
            match leading_hash(&k) {
                Some(h) if now.saturating_sub(staged_at) < policy.staged_grace_ms => {
                    chunks.insert(ChunkId(h));
                }
                _ => ops.push(Op::Delete(k)),
            }
        }
        chunks.extend(self.record_run_blobs()?);
        let doomed: Vec<ChunkId> = self
            .backend
            .blob_ids()?
            .into_iter()
            .filter(|id| !chunks.contains(id))
            .collect();
        for item in self.repair_list()? {
            let gone = match item {
                RepairItem::Chunk(id) => !chunks.contains(&id),
                RepairItem::Column(root, _) => !roots.contains(&root),
            };
            if gone {
                ops.push(Op::Delete(item.key_bytes()));
            }
        }
        self.commit(ops)?;
        for id in doomed {
            self.backend.remove_blob(&id)?;
            report.chunks += 1;
        }
        Ok(report)
    }
}

//! `datanet-tests`: integration tests that span processes, crashes and faults. The library
//! holds what the test binaries and the tests share.

use datanet_protocol::ContributionId;
use datanet_storage::{Store, StoreError};

pub use datanet_protocol::test_utils::{sample_contribution, SampleContribution};

/// Stores a sample contribution the way an ingesting node does: chunks, then the records.
///
/// # Errors
/// Whatever the store reports.
pub fn store_contribution(
    store: &Store,
    sample: &SampleContribution,
) -> Result<ContributionId, StoreError> {
    for chunk in &sample.chunks {
        store.put_chunk(chunk)?;
    }
    store.put_contribution(&sample.manifest, &sample.headers, &sample.columns)
}

/// Checks that contribution `id` is wholly present: a manifest that verifies, every header,
/// every column of every chunk, and every chunk's bytes. Returns what is missing or wrong.
pub fn check_complete(store: &Store, id: &ContributionId) -> Result<(), String> {
    let manifest = store
        .manifest(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("manifest {id} missing"))?;
    manifest.verify().map_err(|e| e.to_string())?;
    for entry in &manifest.body().chunks {
        let header = store
            .header(&entry.da_root)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("header {} missing", entry.da_root))?;
        for c in 0..header.params.width() as u16 {
            store
                .column(&entry.da_root, c)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("column {c} of {} missing", entry.da_root))?;
        }
        let bytes = store
            .chunk(&entry.id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("chunk {} missing", entry.id))?;
        if bytes.len() != header.params.chunk_len as usize {
            return Err(format!("chunk {} has the wrong length", entry.id));
        }
    }
    Ok(())
}

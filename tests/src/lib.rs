//! `datanet-tests`: integration tests that span processes, crashes and faults. The library
//! holds what the test binaries and the tests share.

use datanet_protocol::chunking;
use datanet_protocol::hash::{hash, Domain};
use datanet_protocol::signed::ChunkEntry;
use datanet_protocol::{
    CodecId, ContributionId, DaRoot, DatanetId, ExtendedSquare, Line, Manifest, ManifestBody,
    SecretKey, SquareHeader,
};
use datanet_storage::{Store, StoreError};

/// A contribution with everything a node stores for it.
#[derive(Debug, Clone)]
pub struct SampleContribution {
    /// The signed manifest.
    pub manifest: Manifest,
    /// The header of each chunk, in order.
    pub headers: Vec<SquareHeader>,
    /// Every column of every chunk, with its DA root.
    pub columns: Vec<(DaRoot, Line)>,
    /// The chunk bytes, in order.
    pub chunks: Vec<Vec<u8>>,
}

/// A deterministic contribution of `len` bytes, distinct for each `(seed, nonce)`.
///
/// # Panics
/// Never for `len` up to the manifest limits: encoding and signing such input cannot fail.
#[allow(clippy::expect_used)]
pub fn sample_contribution(seed: u8, nonce: u64, len: usize) -> SampleContribution {
    let key = SecretKey::from_seed([seed; 32]);
    let payload: Vec<u8> = (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(nonce | 1)
                .wrapping_add(u64::from(seed)) as u8
        })
        .collect();
    let chunks: Vec<Vec<u8>> = chunking::chunks(&payload).map(<[u8]>::to_vec).collect();
    let squares: Vec<ExtendedSquare> = chunks
        .iter()
        .map(|c| ExtendedSquare::encode(c, CodecId::RsLeopard).expect("chunks fit a square"))
        .collect();
    let body = ManifestBody {
        datanet: DatanetId(hash(Domain::Datanet, b"integration tests")),
        contributor: key.public(),
        payload_len: len as u64,
        payload_hash: hash(Domain::Payload, &payload),
        media_type: "application/octet-stream".into(),
        codec: CodecId::RsLeopard,
        chunks: chunks
            .iter()
            .zip(&squares)
            .map(|(c, s)| ChunkEntry::new(c, s))
            .collect(),
        metadata: vec![],
        timestamp_ms: 0,
        nonce,
    };
    let columns = squares
        .iter()
        .flat_map(|s| {
            (0..s.params().width())
                .map(move |c| (s.da_root(), s.column(c).expect("column index in range")))
        })
        .collect();
    SampleContribution {
        manifest: Manifest::sign(body, &key).expect("the key is the contributor's"),
        headers: squares.iter().map(ExtendedSquare::header).collect(),
        columns,
        chunks,
    }
}

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

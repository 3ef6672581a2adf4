//! The runs of a datanet's record index: each run is a blob of sorted, distinct 32-byte record
//! hashes, listed by a key-value record that holds its length and its fences (the first hash
//! of every block of [`BLOCK`] hashes), so that a lookup reads one block of one blob.
//!
//! A run is written whole before the record listing it is committed, and is never changed
//! after: a merge writes a new run and, in one commit, lists it and drops the runs it took in.

use datanet_protocol::hash::{hash, Domain, HASH_LEN};
use datanet_protocol::{ChunkId, DatanetId, Hash};

use crate::backend::{Backend, Op};
use crate::keys::{key, Kind};
use crate::StoreError;

/// Hashes per block: a lookup reads one block (8 KiB) of a run.
pub(crate) const BLOCK: usize = 256;
/// The most hashes in one run (16 MiB). Larger sets are written as several runs, and runs
/// are merged only up to this length, so a merge holds at most about three times 16 MiB.
pub(crate) const RUN_MAX: usize = 1 << 19;

/// One listed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// Its number in its datanet: runs are numbered in the order they are written.
    pub(crate) seq: u64,
    /// How many hashes it holds.
    pub(crate) len: u64,
    /// The first hash of each block, ascending.
    pub(crate) fences: Vec<Hash>,
    /// The blob holding its hashes.
    pub(crate) blob: ChunkId,
}

/// The key listing run `seq` of `datanet`.
pub(crate) fn run_key(datanet: &DatanetId, seq: u64) -> Vec<u8> {
    key(Kind::RecordRun, &[&datanet.0 .0, &seq.to_be_bytes()])
}

/// The name of the blob holding run `seq` of `datanet`.
pub(crate) fn run_blob(datanet: &DatanetId, seq: u64) -> ChunkId {
    let mut name = [0; HASH_LEN + 8];
    name[..HASH_LEN].copy_from_slice(&datanet.0 .0);
    name[HASH_LEN..].copy_from_slice(&seq.to_be_bytes());
    ChunkId(hash(Domain::RecordRun, &name))
}

/// The datanet and number of a run key, `None` for a key of another shape.
pub(crate) fn run_of_key(k: &[u8]) -> Option<(DatanetId, u64)> {
    let parts = k.get(1..)?;
    if parts.len() != HASH_LEN + 8 {
        return None;
    }
    let datanet: [u8; HASH_LEN] = parts[..HASH_LEN].try_into().ok()?;
    let seq: [u8; 8] = parts[HASH_LEN..].try_into().ok()?;
    Some((DatanetId(Hash(datanet)), u64::from_be_bytes(seq)))
}

/// The runs of `datanet`, oldest first.
///
/// # Errors
/// An engine error, or [`StoreError::Corrupted`] for a damaged listing.
pub(crate) fn runs(backend: &dyn Backend, datanet: &DatanetId) -> Result<Vec<Run>, StoreError> {
    backend
        .scan(&key(Kind::RecordRun, &[&datanet.0 .0]))?
        .into_iter()
        .map(|(k, v)| decode_run(&k, &v))
        .collect()
}

fn decode_run(k: &[u8], v: &[u8]) -> Result<Run, StoreError> {
    let corrupted = || StoreError::Corrupted {
        what: "a run of the record index".into(),
    };
    let (datanet, seq) = run_of_key(k).ok_or_else(corrupted)?;
    let (len, rest) = v.split_first_chunk::<8>().ok_or_else(corrupted)?;
    let len = u64::from_be_bytes(*len);
    let blocks = usize::try_from(len.div_ceil(BLOCK as u64)).map_err(|_| corrupted())?;
    if rest.len() != blocks * HASH_LEN {
        return Err(corrupted());
    }
    let fences = rest
        .chunks_exact(HASH_LEN)
        .map(|f| f.try_into().map(Hash).map_err(|_| corrupted()))
        .collect::<Result<_, _>>()?;
    Ok(Run {
        seq,
        len,
        fences,
        blob: run_blob(&datanet, seq),
    })
}

/// Writes `hashes` (ascending, distinct, at most [`RUN_MAX`]) as run `seq` of `datanet`:
/// the blob, durably, now; the returned op lists it, for the caller's commit.
///
/// # Errors
/// An I/O error writing the blob; nothing is listed then.
pub(crate) fn write_run(
    backend: &dyn Backend,
    datanet: &DatanetId,
    seq: u64,
    hashes: &[Hash],
) -> Result<Op, StoreError> {
    debug_assert!(hashes.len() <= RUN_MAX);
    debug_assert!(hashes.windows(2).all(|w| w[0] < w[1]));
    let mut bytes = Vec::with_capacity(hashes.len() * HASH_LEN);
    let mut value = Vec::with_capacity(8 + hashes.len().div_ceil(BLOCK) * HASH_LEN);
    value.extend_from_slice(&(hashes.len() as u64).to_be_bytes());
    for (i, h) in hashes.iter().enumerate() {
        bytes.extend_from_slice(&h.0);
        if i % BLOCK == 0 {
            value.extend_from_slice(&h.0);
        }
    }
    backend.put_blob(&run_blob(datanet, seq), &[&bytes])?;
    Ok(Op::Put(run_key(datanet, seq), value))
}

/// All the hashes of `run`, ascending.
///
/// # Errors
/// An I/O error, or [`StoreError::Corrupted`] when its blob is missing or of the wrong
/// length.
pub(crate) fn read_run(backend: &dyn Backend, run: &Run) -> Result<Vec<Hash>, StoreError> {
    let bytes = backend.get_blob(&run.blob)?;
    match bytes {
        Some(bytes) if bytes.len() as u64 == run.len * HASH_LEN as u64 => {
            Ok(bytes.chunks_exact(HASH_LEN).map(to_hash).collect())
        }
        _ => Err(StoreError::Corrupted {
            what: format!("run {} of the record index", run.seq),
        }),
    }
}

/// The hashes of block `block` of `run`; `None` when its blob is gone (merged into another
/// run since the listing was read).
///
/// # Errors
/// An I/O error.
pub(crate) fn read_block(
    backend: &dyn Backend,
    run: &Run,
    block: usize,
) -> Result<Option<Vec<u8>>, StoreError> {
    let start = (block * BLOCK) as u64;
    let count = run.len.saturating_sub(start).min(BLOCK as u64) as usize;
    backend.get_blob_range(&run.blob, start * HASH_LEN as u64, count * HASH_LEN)
}

/// The hash in `bytes`, exactly [`HASH_LEN`] of them (as `chunks_exact` cuts them).
pub(crate) fn to_hash(bytes: &[u8]) -> Hash {
    let mut h = [0; HASH_LEN];
    h.copy_from_slice(bytes);
    Hash(h)
}

/// The union of two ascending lists of distinct hashes.
pub(crate) fn merge(a: &[Hash], b: &[Hash]) -> Vec<Hash> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

//! Ingest: a contribution's payload cut into chunks, each encoded, committed and kept in the
//! store, then the manifest signed and stored, then every square dispersed. The payload is
//! read one chunk at a time from memory or from a file, so memory holds a few squares
//! whatever the payload's size. Each chunk is encoded in full once, to commit to it; for
//! dispersal only its rows are extended again (the top half of every column), which costs a
//! fraction of the full encoding.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use datanet_protocol::chunking;
use datanet_protocol::hash::{Domain, Hasher};
use datanet_protocol::signed::ChunkEntry;
use datanet_protocol::{
    CodecId, DatanetId, ExtendedSquare, Manifest, ManifestBody, SecretKey, SquareHeader,
};
use datanet_storage::Store;

use datanet_net::custody::CustodySet;

use crate::clock::now_ms;
use crate::NodeError;

/// Chunks committed between two returns of freed memory to the system.
const TRIM_EVERY: usize = 16;

/// Hands memory the allocator holds but nobody uses back to the system. Squares are made on
/// one thread and freed on another, and glibc keeps such freed memory in per-thread heaps:
/// without this a daemon's memory grew by about 55 MiB per GiB ingested.
fn release_freed_memory() {
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the system; it
    // touches no memory in use and has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A contribution's bytes.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Bytes in memory; its chunks are views of them, not copies.
    Bytes(Bytes),
    /// A file of `len` bytes, read one chunk at a time.
    File {
        /// The file.
        path: PathBuf,
        /// Its length when the contribution began.
        len: u64,
    },
}

impl Payload {
    /// The payload's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::File { len, .. } => *len,
        }
    }

    /// Whether the payload has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each chunk in order, read as it is needed.
    fn chunks(&self) -> Result<Chunks<'_>, NodeError> {
        match self {
            Payload::Bytes(bytes) => Ok(Box::new(
                chunking::chunks(bytes).map(|c| Ok(bytes.slice_ref(c))),
            )),
            Payload::File { path, len } => {
                let file = File::open(path).map_err(|e| io_error(path, e))?;
                let mut reader = file.take(*len);
                let count = chunking::chunk_count(*len);
                Ok(Box::new((0..count).map(move |i| {
                    let want = chunking::chunk_len(*len, i).unwrap_or(0) as usize;
                    let mut chunk = vec![0; want];
                    reader
                        .read_exact(&mut chunk)
                        .map_err(|e| io_error(path, e))?;
                    Ok(Bytes::from(chunk))
                })))
            }
        }
    }
}

/// A payload's chunks, each read when it is reached.
type Chunks<'a> = Box<dyn Iterator<Item = Result<Bytes, NodeError>> + 'a>;

fn io_error(path: &std::path::Path, e: std::io::Error) -> NodeError {
    NodeError::Invalid(format!("reading {}: {e}", path.display()))
}

/// How far an ingest has come, reported as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Chunk `done` of `total` was encoded and committed to (its store write may still be in
    /// progress).
    Encoded {
        /// Chunks done so far.
        done: usize,
        /// Chunks in all.
        total: usize,
    },
    /// Chunk `done` of `total` was pushed to its custodians.
    Dispersed {
        /// Chunks done so far.
        done: usize,
        /// Chunks in all.
        total: usize,
    },
}

/// What is needed to encode and sign one contribution.
pub(crate) struct Ingest<'a> {
    pub(crate) store: &'a Store,
    pub(crate) custody: &'a CustodySet,
    pub(crate) key: &'a SecretKey,
    pub(crate) datanet: DatanetId,
    pub(crate) codec: CodecId,
    pub(crate) media_type: String,
}

/// One square on its way from the encoder to the column writer.
struct Encoded {
    header: SquareHeader,
    square: ExtendedSquare,
}

/// A committed, signed and stored contribution, ready to disperse.
pub(crate) struct Committed {
    pub(crate) manifest: Manifest,
    pub(crate) headers: Vec<SquareHeader>,
}

impl Ingest<'_> {
    /// Encodes every chunk of `payload`, stores the chunks and this node's own columns of
    /// each, signs the manifest and stores it with the headers. Blocking; a chunk and its
    /// columns are written (on two threads) while the next one is encoded.
    pub(crate) fn commit(
        &self,
        payload: &Payload,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Committed, NodeError> {
        let total = chunking::chunk_count(payload.len()) as usize;
        let mut headers = Vec::with_capacity(total);
        let (payload_hash, payload_len, ids) = std::thread::scope(|scope| {
            let (to_chunks, chunks) = std::sync::mpsc::sync_channel::<Bytes>(1);
            let (to_columns, columns) = std::sync::mpsc::sync_channel::<Encoded>(0);
            let chunk_writer = scope.spawn(move || {
                let mut hasher = Hasher::new(Domain::Payload);
                let mut len = 0u64;
                let mut ids = Vec::with_capacity(total);
                for chunk in chunks {
                    ids.push(self.store.put_chunk(&chunk)?);
                    hasher.update(&chunk);
                    len += chunk.len() as u64;
                }
                Ok::<_, NodeError>((hasher.finalize(), len, ids))
            });
            let column_writer = scope.spawn(move || {
                let mut own_by_width = BTreeMap::new();
                for (n, Encoded { header, square }) in columns.into_iter().enumerate() {
                    let width = header.params.width();
                    let own: &Vec<u16> = own_by_width
                        .entry(width)
                        .or_insert_with(|| self.custody.assign(width).own);
                    if !own.is_empty() {
                        let top = square.into_top_half();
                        self.store.put_encoded_columns(&header, &top, own)?;
                    }
                    if n % TRIM_EVERY == TRIM_EVERY - 1 {
                        release_freed_memory();
                    }
                }
                Ok::<_, NodeError>(())
            });
            let encoded = (|| {
                for chunk in payload.chunks()? {
                    let chunk = chunk?;
                    let square = ExtendedSquare::encode(&chunk, self.codec)?;
                    let header = square.header();
                    headers.push(header.clone());
                    progress(Progress::Encoded {
                        done: headers.len(),
                        total,
                    });
                    if to_chunks.send(chunk).is_err()
                        || to_columns.send(Encoded { header, square }).is_err()
                    {
                        break;
                    }
                }
                Ok::<_, NodeError>(())
            })();
            drop((to_chunks, to_columns));
            let failed = |_| NodeError::Internal("a store writer thread panicked".into());
            let written = chunk_writer.join().map_err(failed)?;
            let columns = column_writer.join().map_err(failed)?;
            encoded.and(columns).and(written)
        })?;
        if ids.len() != headers.len() {
            return Err(NodeError::Internal(format!(
                "{} chunks stored for {} encoded",
                ids.len(),
                headers.len()
            )));
        }
        let entries = ids
            .into_iter()
            .zip(&headers)
            .map(|(id, header)| ChunkEntry {
                id,
                k: header.params.k,
                da_root: header.da_root(),
            })
            .collect();
        let body = ManifestBody {
            datanet: self.datanet,
            contributor: self.key.public(),
            payload_len,
            payload_hash,
            media_type: self.media_type.clone(),
            codec: self.codec,
            chunks: entries,
            metadata: Vec::new(),
            timestamp_ms: now_ms(),
            nonce: rand::random(),
        };
        let manifest =
            Manifest::sign(body, self.key).map_err(|e| NodeError::Invalid(e.to_string()))?;
        self.store.put_contribution(&manifest, &headers, &[])?;
        Ok(Committed { manifest, headers })
    }
}

//! Manifests: a contributor's signed description of one contribution, chunk by chunk.

use crate::chunking;
use crate::codec::CodecId;
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::{hash, Domain, Hash};
use crate::ids::{ChunkId, ContributionId, DaRoot, DatanetId};
use crate::square::{ExtendedSquare, SquareHeader, SquareParams};

use super::{PublicKey, Signable, Signed};

/// The most chunks one manifest lists. A manifest is sent in one message together with the
/// header of each of its chunks (16 KiB at most), so this also bounds that message.
pub const MAX_CHUNKS: usize = 512;
/// The largest payload one manifest describes: [`MAX_CHUNKS`] chunks of
/// [`chunking::MAX_CHUNK_LEN`] bytes, 4 GiB.
pub const MAX_CONTRIBUTION_BYTES: u64 = MAX_CHUNKS as u64 * chunking::MAX_CHUNK_LEN as u64;
/// The longest media type, in bytes.
pub const MAX_MEDIA_TYPE: usize = 127;
/// The most metadata entries.
pub const MAX_METADATA: usize = 64;
/// The longest metadata key, in bytes.
pub const MAX_METADATA_KEY: usize = 64;
/// The longest metadata value, in bytes.
pub const MAX_METADATA_VALUE: usize = 1024;

/// One chunk of a contribution: its id, square width and DA root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkEntry {
    /// The chunk's content address.
    pub id: ChunkId,
    /// The width of its original square.
    pub k: u16,
    /// The commitment to its extended square.
    pub da_root: DaRoot,
}

impl ChunkEntry {
    /// The entry for a chunk and its encoded square.
    pub fn new(chunk: &[u8], square: &ExtendedSquare) -> Self {
        ChunkEntry {
            id: ChunkId::of(chunk),
            k: square.params().k,
            da_root: square.da_root(),
        }
    }
}

impl Encode for ChunkEntry {
    fn encode_to(&self, out: &mut Writer) {
        self.id.encode_to(out);
        out.u16(self.k);
        self.da_root.encode_to(out);
    }
}

impl Decode for ChunkEntry {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ChunkEntry {
            id: ChunkId::decode_from(r)?,
            k: r.u16("chunk k")?,
            da_root: DaRoot::decode_from(r)?,
        })
    }
}

/// A manifest breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The chunk list does not match the payload length.
    #[error("{got} chunks listed, a {payload_len}-byte payload has {expected}")]
    ChunkCount {
        /// Chunks listed.
        got: usize,
        /// Chunks the length implies.
        expected: u64,
        /// The payload length.
        payload_len: u64,
    },
    /// A chunk's `k` is not the canonical width for its length.
    #[error("chunk {index} has k = {got}, its length needs k = {expected}")]
    ChunkWidth {
        /// The chunk's position.
        index: usize,
        /// The width listed.
        got: u16,
        /// The width its length needs.
        expected: u16,
    },
    /// A field is empty, too long, or metadata keys are not strictly ascending.
    #[error("{0}")]
    Field(String),
    /// The contributor's signature does not verify.
    #[error("signature: {0}")]
    Signature(#[from] super::SignatureError),
    /// The square headers given with the manifest do not match its chunks.
    #[error("{0}")]
    Headers(String),
}

/// What a contributor signs about a contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestBody {
    /// The datanet contributed to.
    pub datanet: DatanetId,
    /// The contributor's key, which signs the manifest.
    pub contributor: PublicKey,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// Hash of the whole payload in the payload domain.
    pub payload_hash: Hash,
    /// The payload's media type, such as `text/plain`.
    pub media_type: String,
    /// The codec of every chunk's square.
    pub codec: CodecId,
    /// Every chunk in order; all but the last are 8 MiB.
    pub chunks: Vec<ChunkEntry>,
    /// Free-form key/value metadata, keys strictly ascending.
    pub metadata: Vec<(String, String)>,
    /// Creation time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// A number chosen by the contributor so identical payloads get distinct ids.
    pub nonce: u64,
}

/// A signed manifest. Its hash is the [`ContributionId`].
pub type Manifest = Signed<ManifestBody>;

impl Manifest {
    /// The contribution id: the hash of the signed manifest's encoding.
    pub fn id(&self) -> ContributionId {
        ContributionId(hash(Domain::Contribution, &self.to_bytes()))
    }

    /// The check every holder of a manifest and its square headers runs before trusting
    /// them (a store before keeping them, a fetch before handing them on): the body follows
    /// the manifest rules, the signature verifies, and there is one header per chunk whose DA
    /// root and parameters are that chunk's.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn check_headers(&self, headers: &[SquareHeader]) -> Result<(), ManifestError> {
        let body = self.body();
        body.validate()?;
        self.verify()?;
        if headers.len() != body.chunks.len() {
            return Err(ManifestError::Headers(format!(
                "{} headers for {} chunks",
                headers.len(),
                body.chunks.len()
            )));
        }
        for (i, (chunk, header)) in body.chunks.iter().zip(headers).enumerate() {
            if header.da_root() != chunk.da_root || Some(header.params) != body.chunk_params(i) {
                return Err(ManifestError::Headers(format!(
                    "header {i} does not match chunk {}",
                    chunk.id
                )));
            }
        }
        Ok(())
    }
}

impl ManifestBody {
    /// The square parameters of chunk `index`.
    pub fn chunk_params(&self, index: usize) -> Option<SquareParams> {
        let len = chunking::chunk_len(self.payload_len, index as u64)?;
        SquareParams::for_chunk(self.codec, len as usize).ok()
    }

    /// Checks the rules every manifest follows: chunk count and widths agree with the payload
    /// length, fields are within their bounds, metadata keys ascend.
    ///
    /// # Errors
    /// Any [`ManifestError`].
    pub fn validate(&self) -> Result<(), ManifestError> {
        let expected = chunking::chunk_count(self.payload_len);
        if self.chunks.len() as u64 != expected || self.chunks.len() > MAX_CHUNKS {
            return Err(ManifestError::ChunkCount {
                got: self.chunks.len(),
                expected,
                payload_len: self.payload_len,
            });
        }
        for (index, chunk) in self.chunks.iter().enumerate() {
            let want = self.chunk_params(index).map(|p| p.k).unwrap_or(0);
            if chunk.k != want {
                return Err(ManifestError::ChunkWidth {
                    index,
                    got: chunk.k,
                    expected: want,
                });
            }
        }
        if self.media_type.is_empty() || self.media_type.len() > MAX_MEDIA_TYPE {
            return Err(ManifestError::Field(format!(
                "media type must be 1..={MAX_MEDIA_TYPE} bytes"
            )));
        }
        if self.metadata.len() > MAX_METADATA {
            return Err(ManifestError::Field(format!(
                "at most {MAX_METADATA} metadata entries"
            )));
        }
        for (key, value) in &self.metadata {
            if key.is_empty() || key.len() > MAX_METADATA_KEY || value.len() > MAX_METADATA_VALUE {
                return Err(ManifestError::Field(format!(
                    "metadata key {key:?} is empty, or it or its value is too long"
                )));
            }
        }
        if self.metadata.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(ManifestError::Field(
                "metadata keys must be strictly ascending".into(),
            ));
        }
        Ok(())
    }
}

impl Signable for ManifestBody {
    const DOMAIN: Domain = Domain::Manifest;

    fn signer(&self) -> &PublicKey {
        &self.contributor
    }

    fn check(&self) -> Result<(), String> {
        self.validate().map_err(|e| e.to_string())
    }
}

impl Encode for ManifestBody {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.datanet.encode_to(out);
        self.contributor.encode_to(out);
        out.u64(self.payload_len);
        out.hash(&self.payload_hash);
        out.str(&self.media_type);
        self.codec.encode_to(out);
        out.list(&self.chunks);
        out.u32(self.metadata.len() as u32);
        for (key, value) in &self.metadata {
            out.str(key);
            out.str(value);
        }
        out.u64(self.timestamp_ms);
        out.u64(self.nonce);
    }
}

impl Decode for ManifestBody {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("manifest version")?;
        let datanet = DatanetId::decode_from(r)?;
        let contributor = PublicKey::decode_from(r)?;
        let payload_len = r.u64("payload length")?;
        let payload_hash = r.hash("payload hash")?;
        let media_type = r.str(MAX_MEDIA_TYPE, "media type")?;
        let codec = CodecId::decode_from(r)?;
        let chunks = r.list(MAX_CHUNKS, "chunks")?;
        let entries = r.len(MAX_METADATA, "metadata")?;
        let mut metadata = Vec::with_capacity(entries);
        for _ in 0..entries {
            let key = r.str(MAX_METADATA_KEY, "metadata key")?;
            let value = r.str(MAX_METADATA_VALUE, "metadata value")?;
            metadata.push((key, value));
        }
        let body = ManifestBody {
            datanet,
            contributor,
            payload_len,
            payload_hash,
            media_type,
            codec,
            chunks,
            metadata,
            timestamp_ms: r.u64("timestamp")?,
            nonce: r.u64("nonce")?,
        };
        body.validate()
            .map_err(|e| DecodeError::invalid("manifest", e.to_string()))?;
        Ok(body)
    }
}

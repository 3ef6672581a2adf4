//! The request-response messages between nodes, with their canonical encodings and the size
//! limits every codec enforces before it allocates.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use crate::hash::HASH_LEN;
use crate::signed::{Attestation, FinalBatch, MAX_VALIDATORS};
use crate::square::MAX_K;
use crate::sync::{Fingerprint, IdPrefix};
use crate::{
    BadEncodingProof, ContributionId, DaRoot, Datanet, DatanetId, Hash, Line, Manifest, ShareProof,
    SquareHeader, SHARE_SIZE,
};
use bytes::Bytes;

/// The most columns one push carries (8 MiB of top halves at `k = 128`): up to half a square,
/// so a custodian usually gets its whole share of a square in one request and one file.
pub const MAX_PUSH_COLUMNS: usize = 128;
/// The largest request on the wire: a manifest with [`MAX_HEADERS`] headers of the largest
/// square (8.4 MB), or a push of [`MAX_PUSH_COLUMNS`] column halves, with room for framing.
pub const MAX_REQUEST_BYTES: usize = MANIFEST_WITH_HEADERS_BYTES;
/// The largest response: a manifest with the headers of up to [`MAX_HEADERS`] chunks.
pub const MAX_RESPONSE_BYTES: usize = MANIFEST_WITH_HEADERS_BYTES;
/// The most square headers one manifest request or response carries: one per chunk of the
/// largest manifest, [`crate::signed::MAX_CHUNKS`].
pub const MAX_HEADERS: usize = crate::signed::MAX_CHUNKS;
/// A manifest with [`MAX_HEADERS`] headers of 16 KiB (the largest square's) and room for the
/// manifest itself and framing.
const MANIFEST_WITH_HEADERS_BYTES: usize = MAX_HEADERS * 16 * 1024 + 256 * 1024;
/// The most samples one request asks for.
pub const MAX_SAMPLES: usize = 256;
/// The most whole columns one request asks for (4 MiB of shares at `k = 128`).
pub const MAX_GET_COLUMNS: usize = 32;
/// The most contribution ids one listing carries (32 KiB); a longer list is paged.
pub const MAX_LISTED: usize = 1024;
/// The most id ranges one [`Request::Fingerprints`] names.
pub const MAX_FINGERPRINTS: usize = 16;
/// The longest reason text in a refusal.
const MAX_REASON: usize = 512;

/// The kind byte of each [`Request`], after the version byte: the one table both directions
/// read.
mod request_kind {
    pub(super) const PUT_MANIFEST: u8 = 1;
    pub(super) const PUT_COLUMNS: u8 = 2;
    pub(super) const GET_MANIFEST: u8 = 3;
    pub(super) const GET_COLUMN: u8 = 4;
    pub(super) const GET_SAMPLES: u8 = 5;
    pub(super) const GET_DATANET: u8 = 6;
    pub(super) const GET_COLUMNS: u8 = 7;
    pub(super) const GET_COLUMN_HALVES: u8 = 8;
    pub(super) const LIST_CONTRIBUTIONS: u8 = 9;
    pub(super) const LIST_DATANETS: u8 = 10;
    pub(super) const FINGERPRINTS: u8 = 11;
    pub(super) const GET_BATCH: u8 = 12;
    pub(super) const GET_ATTESTATIONS: u8 = 13;
}

/// The kind byte of each [`Response`], after the version byte.
mod response_kind {
    pub(super) const STORED: u8 = 1;
    pub(super) const MANIFEST: u8 = 2;
    pub(super) const COLUMN: u8 = 3;
    pub(super) const SAMPLES: u8 = 4;
    pub(super) const NOT_FOUND: u8 = 5;
    pub(super) const REFUSED: u8 = 6;
    pub(super) const DATANET: u8 = 7;
    pub(super) const COLUMNS: u8 = 8;
    pub(super) const COLUMN_HALVES: u8 = 9;
    pub(super) const CONTRIBUTIONS: u8 = 10;
    pub(super) const DATANETS: u8 = 11;
    pub(super) const FINGERPRINTS: u8 = 12;
    pub(super) const BATCH: u8 = 13;
    pub(super) const ATTESTATIONS: u8 = 14;
}

/// A request one node sends another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Take custody of a contribution: its manifest and every chunk's square header. Sent
    /// before its columns.
    PutManifest {
        /// The signed manifest.
        manifest: Box<Manifest>,
        /// The header of each chunk, in order.
        headers: Vec<SquareHeader>,
    },
    /// Store columns of one square, each sent as its top half (the custodian extends and
    /// verifies every one, and stores all of them or none).
    PutColumns {
        /// The square the columns belong to.
        da_root: DaRoot,
        /// At most [`MAX_PUSH_COLUMNS`] column halves.
        columns: Vec<ColumnHalf>,
    },
    /// Send the manifest and headers of a contribution.
    GetManifest(ContributionId),
    /// Send a datanet record.
    GetDatanet(DatanetId),
    /// Send a whole column.
    GetColumn {
        /// The square.
        da_root: DaRoot,
        /// The column index.
        index: u16,
    },
    /// Send whole columns of one square: those the node holds, in any order.
    GetColumns {
        /// The square.
        da_root: DaRoot,
        /// At most [`MAX_GET_COLUMNS`] column indices.
        indices: Vec<u16>,
    },
    /// Send the top halves (first `k` shares) of columns of one square, unproven: for a
    /// reader that checks the square it rebuilds from them as a whole.
    GetColumnHalves {
        /// The square.
        da_root: DaRoot,
        /// At most [`MAX_GET_COLUMNS`] column indices.
        indices: Vec<u16>,
    },
    /// Send shares with their proofs through their columns.
    GetSamples {
        /// The square.
        da_root: DaRoot,
        /// At most [`MAX_SAMPLES`] `(row, column)` coordinates.
        coordinates: Vec<(u16, u16)>,
        /// Whether each proof carries its column root's path to the DA root; a sampler that
        /// holds the square's header checks the share path against it and needs none.
        axis_paths: bool,
    },
    /// Send the ids of the contributions to a datanet whose manifests the node stores, in
    /// ascending order, from the first above `after` (all zeros: from the start): how a node
    /// that was away learns what it missed.
    ListContributions {
        /// The datanet.
        datanet: DatanetId,
        /// The cursor: the last id of the previous page.
        after: ContributionId,
        /// The most ids to send, at most [`MAX_LISTED`]: a node listing one small range of
        /// ids asks for no more than the range holds.
        limit: u16,
    },
    /// Send the ids of the datanets whose records the node stores, in ascending order, from
    /// the first above `after` (all zeros: from the start): how a node that joins learns the
    /// datanets created before it, whose columns it may come to custody.
    ListDatanets {
        /// The cursor: the last id of the previous page.
        after: DatanetId,
    },
    /// Send the fingerprint of the contribution ids of a datanet in each of these ranges:
    /// how two nodes find, in a few small exchanges, which ranges of ids they differ on.
    Fingerprints {
        /// The datanet.
        datanet: DatanetId,
        /// At most [`MAX_FINGERPRINTS`] ranges.
        prefixes: Vec<IdPrefix>,
    },
    /// Send the final batch of a datanet's epoch: how a node that was away learns the
    /// batches it missed.
    GetBatch {
        /// The datanet.
        datanet: DatanetId,
        /// The epoch.
        epoch: u64,
    },
    /// Send every attestation held on a contribution, both of an equivocating validator's
    /// included: the votes behind its lifecycle, and the evidence of equivocation.
    GetAttestations(ContributionId),
}

impl Request {
    /// The bytes of its bulk fields (column halves, square headers): what holding it costs,
    /// beyond a small fixed part.
    pub fn bulk_bytes(&self) -> usize {
        match self {
            Request::PutColumns { columns, .. } => columns.iter().map(|c| c.top_half.len()).sum(),
            Request::PutManifest { headers, .. } => headers
                .iter()
                .map(|h| HASH_LEN * (h.row_roots.len() + h.col_roots.len()))
                .sum(),
            _ => 0,
        }
    }

    /// The square the request is about, if it names one.
    pub fn da_root(&self) -> Option<DaRoot> {
        match self {
            Request::PutColumns { da_root, .. }
            | Request::GetColumn { da_root, .. }
            | Request::GetColumns { da_root, .. }
            | Request::GetColumnHalves { da_root, .. }
            | Request::GetSamples { da_root, .. } => Some(*da_root),
            Request::PutManifest { .. }
            | Request::GetManifest(_)
            | Request::GetDatanet(_)
            | Request::ListContributions { .. }
            | Request::ListDatanets { .. }
            | Request::Fingerprints { .. }
            | Request::GetBatch { .. }
            | Request::GetAttestations(_) => None,
        }
    }
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// The put was verified and stored.
    Stored,
    /// A manifest and its headers.
    Manifest {
        /// The signed manifest.
        manifest: Box<Manifest>,
        /// The header of each chunk, in order.
        headers: Vec<SquareHeader>,
    },
    /// A whole column.
    Column(Line),
    /// The columns asked for by [`Request::GetColumns`] that the node holds.
    Columns(Vec<Line>),
    /// The top halves asked for by [`Request::GetColumnHalves`] that the node holds, each
    /// with its column index.
    ColumnHalves(Vec<(u16, Bytes)>),
    /// A signed datanet record.
    Datanet(Box<Datanet>),
    /// The answers to [`Request::GetSamples`], in request order.
    Samples(Vec<SampleAnswer>),
    /// The node does not hold what was asked for.
    NotFound,
    /// The request was refused, with the reason.
    Refused(String),
    /// The answer to [`Request::ListContributions`]: at most [`MAX_LISTED`] ids, ascending;
    /// fewer means the list is complete.
    Contributions(Vec<ContributionId>),
    /// The answer to [`Request::ListDatanets`]: at most [`MAX_LISTED`] ids, ascending; fewer
    /// means the list is complete.
    Datanets(Vec<DatanetId>),
    /// The answer to [`Request::Fingerprints`]: one per range, in request order.
    Fingerprints(Vec<Fingerprint>),
    /// The answer to [`Request::GetBatch`].
    Batch(Box<FinalBatch>),
    /// The answer to [`Request::GetAttestations`]: at most two per validator of the set.
    Attestations(Vec<Attestation>),
}

/// One answer of [`Response::Samples`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleAnswer {
    /// The share and its proof through its column.
    Found {
        /// The share's bytes.
        share: Vec<u8>,
        /// Its proof.
        proof: ShareProof,
    },
    /// This node does not hold the share's column.
    Missing,
}

impl Encode for SampleAnswer {
    fn encode_to(&self, out: &mut Writer) {
        match self {
            SampleAnswer::Missing => out.u8(0),
            SampleAnswer::Found { share, proof } => {
                out.u8(1);
                out.raw(share);
                proof.encode_to(out);
            }
        }
    }
}

impl Decode for SampleAnswer {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("sample tag")? {
            0 => Ok(SampleAnswer::Missing),
            1 => Ok(SampleAnswer::Found {
                share: r.take(SHARE_SIZE, "share")?.to_vec(),
                proof: ShareProof::decode_from(r)?,
            }),
            v => Err(DecodeError::InvalidTag {
                context: "sample tag",
                value: v.into(),
            }),
        }
    }
}

/// A column's first `k` shares and its root's path to the DA root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnHalf {
    /// The column index.
    pub index: u16,
    /// The column's first `k` shares (a view of the received message, not a copy).
    pub top_half: Bytes,
    /// The column root's path to the DA root.
    pub axis_path: Vec<Hash>,
}

impl Encode for ColumnHalf {
    fn encode_to(&self, out: &mut Writer) {
        out.u16(self.index);
        out.bytes(&self.top_half);
        out.hashes(&self.axis_path);
    }

    fn encoded_len(&self) -> Option<usize> {
        Some(2 + 4 + self.top_half.len() + 4 + HASH_LEN * self.axis_path.len())
    }
}

impl ColumnHalf {
    /// The encoded length of a [`Request::PutColumns`] carrying `columns`: what a push puts
    /// on the wire.
    pub fn push_len(columns: &[ColumnHalf]) -> usize {
        let list: usize = columns
            .iter()
            .map(|c| 2 + 4 + c.top_half.len() + 4 + HASH_LEN * c.axis_path.len())
            .sum();
        2 + HASH_LEN + 4 + list
    }
}

/// The exact encoded length of a list of `items` that each know theirs.
fn list_len<T: Encode>(items: &[T]) -> Option<usize> {
    items
        .iter()
        .try_fold(4, |sum, item| Some(sum + item.encoded_len()?))
}

impl Decode for ColumnHalf {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ColumnHalf {
            index: r.u16("column index")?,
            top_half: r.shared_bytes(MAX_K * SHARE_SIZE, "column half")?,
            axis_path: r.hashes(crate::square::MAX_AXIS_PATH, "axis path")?,
        })
    }
}

/// A gossiped bad-encoding fraud proof against the square under `da_root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FraudNotice {
    /// The accused square.
    pub da_root: DaRoot,
    /// The proof, checkable with `da_root` alone.
    pub proof: BadEncodingProof,
}

impl Encode for FraudNotice {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.da_root.encode_to(out);
        self.proof.encode_to(out);
    }
}

impl Decode for FraudNotice {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("fraud notice version")?;
        Ok(FraudNotice {
            da_root: DaRoot::decode_from(r)?,
            proof: BadEncodingProof::decode_from(r)?,
        })
    }
}

fn encode_headers(out: &mut Writer, headers: &[SquareHeader]) {
    out.list(headers);
}

/// A square and up to [`MAX_GET_COLUMNS`] column indices in it.
fn encode_indices(out: &mut Writer, da_root: &DaRoot, indices: &[u16]) {
    da_root.encode_to(out);
    out.u32(indices.len() as u32);
    for index in indices {
        out.u16(*index);
    }
}

fn decode_indices(r: &mut Reader<'_>) -> Result<(DaRoot, Vec<u16>), DecodeError> {
    let da_root = DaRoot::decode_from(r)?;
    let count = r.len(MAX_GET_COLUMNS, "column indices")?;
    let mut indices = Vec::with_capacity(count);
    for _ in 0..count {
        indices.push(r.u16("column index")?);
    }
    Ok((da_root, indices))
}

impl Encode for Request {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        match self {
            Request::PutManifest { manifest, headers } => {
                out.u8(request_kind::PUT_MANIFEST);
                manifest.encode_to(out);
                encode_headers(out, headers);
            }
            Request::PutColumns { da_root, columns } => {
                out.u8(request_kind::PUT_COLUMNS);
                da_root.encode_to(out);
                out.list(columns);
            }
            Request::GetManifest(id) => {
                out.u8(request_kind::GET_MANIFEST);
                id.encode_to(out);
            }
            Request::GetColumn { da_root, index } => {
                out.u8(request_kind::GET_COLUMN);
                da_root.encode_to(out);
                out.u16(*index);
            }
            Request::GetDatanet(id) => {
                out.u8(request_kind::GET_DATANET);
                id.encode_to(out);
            }
            Request::GetColumns { da_root, indices } => {
                out.u8(request_kind::GET_COLUMNS);
                encode_indices(out, da_root, indices);
            }
            Request::GetColumnHalves { da_root, indices } => {
                out.u8(request_kind::GET_COLUMN_HALVES);
                encode_indices(out, da_root, indices);
            }
            Request::GetSamples {
                da_root,
                coordinates,
                axis_paths,
            } => {
                out.u8(request_kind::GET_SAMPLES);
                da_root.encode_to(out);
                out.u32(coordinates.len() as u32);
                for (row, col) in coordinates {
                    out.u16(*row);
                    out.u16(*col);
                }
                out.u8(u8::from(*axis_paths));
            }
            Request::ListContributions {
                datanet,
                after,
                limit,
            } => {
                out.u8(request_kind::LIST_CONTRIBUTIONS);
                datanet.encode_to(out);
                after.encode_to(out);
                out.u16(*limit);
            }
            Request::ListDatanets { after } => {
                out.u8(request_kind::LIST_DATANETS);
                after.encode_to(out);
            }
            Request::Fingerprints { datanet, prefixes } => {
                out.u8(request_kind::FINGERPRINTS);
                datanet.encode_to(out);
                out.list(prefixes);
            }
            Request::GetBatch { datanet, epoch } => {
                out.u8(request_kind::GET_BATCH);
                datanet.encode_to(out);
                out.u64(*epoch);
            }
            Request::GetAttestations(id) => {
                out.u8(request_kind::GET_ATTESTATIONS);
                id.encode_to(out);
            }
        }
    }

    fn encoded_len(&self) -> Option<usize> {
        match self {
            Request::PutColumns { columns, .. } => Some(ColumnHalf::push_len(columns)),
            Request::PutManifest { manifest, headers } => {
                Some(2 + manifest.to_bytes().len() + list_len(headers)?)
            }
            _ => None,
        }
    }
}

impl Decode for Request {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("request version")?;
        Ok(match r.u8("request kind")? {
            request_kind::PUT_MANIFEST => Request::PutManifest {
                manifest: Box::new(Manifest::decode_from(r)?),
                headers: r.list(MAX_HEADERS, "headers")?,
            },
            request_kind::PUT_COLUMNS => Request::PutColumns {
                da_root: DaRoot::decode_from(r)?,
                columns: r.list(MAX_PUSH_COLUMNS, "columns")?,
            },
            request_kind::GET_MANIFEST => Request::GetManifest(ContributionId::decode_from(r)?),
            request_kind::GET_DATANET => Request::GetDatanet(DatanetId::decode_from(r)?),
            request_kind::GET_COLUMN => Request::GetColumn {
                da_root: DaRoot::decode_from(r)?,
                index: r.u16("column index")?,
            },
            request_kind::GET_COLUMNS => {
                let (da_root, indices) = decode_indices(r)?;
                Request::GetColumns { da_root, indices }
            }
            request_kind::GET_COLUMN_HALVES => {
                let (da_root, indices) = decode_indices(r)?;
                Request::GetColumnHalves { da_root, indices }
            }
            request_kind::GET_SAMPLES => {
                let da_root = DaRoot::decode_from(r)?;
                let count = r.len(MAX_SAMPLES, "coordinates")?;
                let mut coordinates = Vec::with_capacity(count);
                for _ in 0..count {
                    coordinates.push((r.u16("row")?, r.u16("column")?));
                }
                let axis_paths = match r.u8("axis paths flag")? {
                    0 => false,
                    1 => true,
                    v => {
                        return Err(DecodeError::InvalidTag {
                            context: "axis paths flag",
                            value: v.into(),
                        })
                    }
                };
                Request::GetSamples {
                    da_root,
                    coordinates,
                    axis_paths,
                }
            }
            request_kind::LIST_CONTRIBUTIONS => {
                let datanet = DatanetId::decode_from(r)?;
                let after = ContributionId::decode_from(r)?;
                let limit = r.u16("list limit")?;
                if usize::from(limit) > MAX_LISTED {
                    return Err(DecodeError::TooLong {
                        context: "list limit",
                        len: limit.into(),
                        max: MAX_LISTED as u64,
                    });
                }
                Request::ListContributions {
                    datanet,
                    after,
                    limit,
                }
            }
            request_kind::LIST_DATANETS => Request::ListDatanets {
                after: DatanetId::decode_from(r)?,
            },
            request_kind::FINGERPRINTS => Request::Fingerprints {
                datanet: DatanetId::decode_from(r)?,
                prefixes: r.list(MAX_FINGERPRINTS, "id prefixes")?,
            },
            request_kind::GET_BATCH => Request::GetBatch {
                datanet: DatanetId::decode_from(r)?,
                epoch: r.u64("epoch")?,
            },
            request_kind::GET_ATTESTATIONS => {
                Request::GetAttestations(ContributionId::decode_from(r)?)
            }
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "request kind",
                    value: v.into(),
                })
            }
        })
    }
}

impl Encode for Response {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        match self {
            Response::Stored => out.u8(response_kind::STORED),
            Response::Manifest { manifest, headers } => {
                out.u8(response_kind::MANIFEST);
                manifest.encode_to(out);
                encode_headers(out, headers);
            }
            Response::Column(line) => {
                out.u8(response_kind::COLUMN);
                line.encode_to(out);
            }
            Response::Columns(lines) => {
                out.u8(response_kind::COLUMNS);
                out.list(lines);
            }
            Response::ColumnHalves(halves) => {
                out.u8(response_kind::COLUMN_HALVES);
                out.u32(halves.len() as u32);
                for (index, half) in halves {
                    out.u16(*index);
                    out.bytes(half);
                }
            }
            Response::Samples(samples) => {
                out.u8(response_kind::SAMPLES);
                out.list(samples);
            }
            Response::NotFound => out.u8(response_kind::NOT_FOUND),
            Response::Datanet(datanet) => {
                out.u8(response_kind::DATANET);
                datanet.encode_to(out);
            }
            Response::Refused(reason) => {
                out.u8(response_kind::REFUSED);
                out.str(reason);
            }
            Response::Contributions(ids) => {
                out.u8(response_kind::CONTRIBUTIONS);
                out.list(ids);
            }
            Response::Datanets(ids) => {
                out.u8(response_kind::DATANETS);
                out.list(ids);
            }
            Response::Fingerprints(fingerprints) => {
                out.u8(response_kind::FINGERPRINTS);
                out.list(fingerprints);
            }
            Response::Batch(batch) => {
                out.u8(response_kind::BATCH);
                batch.encode_to(out);
            }
            Response::Attestations(attestations) => {
                out.u8(response_kind::ATTESTATIONS);
                out.list(attestations);
            }
        }
    }

    fn encoded_len(&self) -> Option<usize> {
        match self {
            Response::Column(line) => Some(2 + line.encoded_len()?),
            Response::Columns(lines) => Some(2 + list_len(lines)?),
            Response::ColumnHalves(halves) => {
                Some(2 + 4 + halves.iter().map(|(_, h)| 2 + 4 + h.len()).sum::<usize>())
            }
            _ => None,
        }
    }
}

impl Decode for Response {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("response version")?;
        Ok(match r.u8("response kind")? {
            response_kind::STORED => Response::Stored,
            response_kind::MANIFEST => Response::Manifest {
                manifest: Box::new(Manifest::decode_from(r)?),
                headers: r.list(MAX_HEADERS, "headers")?,
            },
            response_kind::COLUMN => Response::Column(Line::decode_from(r)?),
            response_kind::COLUMNS => Response::Columns(r.list(MAX_GET_COLUMNS, "columns")?),
            response_kind::COLUMN_HALVES => {
                let count = r.len(MAX_GET_COLUMNS, "column halves")?;
                let mut halves = Vec::with_capacity(count);
                for _ in 0..count {
                    let index = r.u16("column index")?;
                    halves.push((index, r.shared_bytes(MAX_K * SHARE_SIZE, "column half")?));
                }
                Response::ColumnHalves(halves)
            }
            response_kind::SAMPLES => Response::Samples(r.list(MAX_SAMPLES, "samples")?),
            response_kind::NOT_FOUND => Response::NotFound,
            response_kind::DATANET => Response::Datanet(Box::new(Datanet::decode_from(r)?)),
            response_kind::REFUSED => Response::Refused(r.str(MAX_REASON, "reason")?),
            response_kind::CONTRIBUTIONS => {
                Response::Contributions(r.list(MAX_LISTED, "contribution ids")?)
            }
            response_kind::DATANETS => Response::Datanets(r.list(MAX_LISTED, "datanet ids")?),
            response_kind::FINGERPRINTS => {
                Response::Fingerprints(r.list(MAX_FINGERPRINTS, "fingerprints")?)
            }
            response_kind::BATCH => Response::Batch(Box::new(FinalBatch::decode_from(r)?)),
            response_kind::ATTESTATIONS => {
                Response::Attestations(r.list(2 * MAX_VALIDATORS, "attestations")?)
            }
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "response kind",
                    value: v.into(),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CodecId, ExtendedSquare};

    /// The largest manifest: [`MAX_HEADERS`] full chunks of `square`, and the media type and
    /// metadata at their bounds.
    fn largest_manifest(square: &ExtendedSquare) -> Manifest {
        use crate::signed::{
            ChunkEntry, MAX_MEDIA_TYPE, MAX_METADATA, MAX_METADATA_KEY, MAX_METADATA_VALUE,
        };
        let key = crate::SecretKey::from_seed([1; 32]);
        let chunk = square.chunk_bytes();
        let body = crate::ManifestBody {
            datanet: Default::default(),
            contributor: key.public(),
            payload_len: (chunk.len() * MAX_HEADERS) as u64,
            payload_hash: Default::default(),
            media_type: "x".repeat(MAX_MEDIA_TYPE),
            codec: CodecId::RsLeopard,
            chunks: vec![ChunkEntry::new(&chunk, square); MAX_HEADERS],
            metadata: (0..MAX_METADATA)
                .map(|i| {
                    let key = format!("{i:0width$}", width = MAX_METADATA_KEY);
                    (key, "v".repeat(MAX_METADATA_VALUE))
                })
                .collect(),
            timestamp_ms: 0,
            nonce: 0,
        };
        Manifest::sign(body, &key).unwrap()
    }

    /// A datanet record with every field at its bound.
    fn datanet_record() -> Datanet {
        use crate::signed::{
            DatanetBody, Policy, RecordFormat, RecordRules, Threshold, Validator, ValidatorSet,
            MAX_DESCRIPTION, MAX_MEDIA_TYPE, MAX_MEDIA_TYPES, MAX_NAME, MAX_SCHEMA, MAX_VALIDATORS,
        };
        let key = crate::SecretKey::from_seed([2; 32]);
        let validators = (1..=MAX_VALIDATORS as u32)
            .map(|i| {
                let mut seed = [0; 32];
                seed[..4].copy_from_slice(&i.to_be_bytes());
                Validator {
                    key: crate::SecretKey::from_seed(seed).public(),
                    stake: u64::MAX,
                }
            })
            .collect();
        let body = DatanetBody {
            name: "n".repeat(MAX_NAME),
            description: "d".repeat(MAX_DESCRIPTION),
            owner: key.public(),
            policy: Policy {
                media_types: vec!["m".repeat(MAX_MEDIA_TYPE); MAX_MEDIA_TYPES],
                records: Some(RecordRules::new(RecordFormat::JsonLines {
                    schema: " ".repeat(MAX_SCHEMA),
                })),
                ..Policy::default()
            },
            validators: Some(ValidatorSet::new(validators, Threshold::TWO_THIRDS).unwrap()),
            created_ms: 1,
            nonce: 2,
        };
        Datanet::sign(body, &key).unwrap()
    }

    /// A push of two column halves of `square`.
    fn push_of_two_halves(square: &ExtendedSquare) -> Request {
        Request::PutColumns {
            da_root: square.da_root(),
            columns: (0..2)
                .map(|i| {
                    let column = square.column(i).unwrap();
                    ColumnHalf {
                        index: i as u16,
                        top_half: column.top_half().to_vec().into(),
                        axis_path: column.axis_path.clone(),
                    }
                })
                .collect(),
        }
    }

    /// Decodes `bytes` as an `M` both by copying and as views of a shared frame: the two must
    /// agree, and a value that decodes must encode back to exactly `bytes`.
    fn decode_both_ways<M: Decode + Encode + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
        let copied = M::from_bytes(bytes);
        let shared = M::from_shared(&Bytes::copy_from_slice(bytes));
        match (copied, shared) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                assert_eq!(a.to_bytes(), bytes, "decoding is canonical");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("copied {a:?} and shared {b:?} decodings disagree"),
        }
    }

    #[test]
    fn damaged_messages_are_refused_the_same_way_whether_copied_or_shared() {
        use rand::{Rng, SeedableRng};
        let square = ExtendedSquare::encode(&[7u8; 40_000], CodecId::RsLeopard).unwrap();
        let column = square.column(3).unwrap();
        let requests = [
            push_of_two_halves(&square).to_bytes(),
            Request::GetColumnHalves {
                da_root: square.da_root(),
                indices: vec![1, 2, 3],
            }
            .to_bytes(),
            Request::GetSamples {
                da_root: square.da_root(),
                coordinates: vec![(1, 2), (3, 4)],
                axis_paths: false,
            }
            .to_bytes(),
        ];
        let responses = [
            Response::ColumnHalves(vec![(3, column.top_half().to_vec().into())]).to_bytes(),
            Response::Columns(vec![column.clone()]).to_bytes(),
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for round in 0..3000 {
            let (bytes, is_request) = if round % 2 == 0 {
                (&requests[round / 2 % requests.len()], true)
            } else {
                (&responses[round / 2 % responses.len()], false)
            };
            let mut damaged = bytes.clone();
            match rng.gen_range(0..3) {
                0 => {
                    let at = rng.gen_range(0..damaged.len());
                    damaged[at] ^= rng.gen_range(1..=255u8);
                }
                1 => damaged.truncate(rng.gen_range(0..damaged.len())),
                _ => damaged.extend_from_slice(&[rng.gen(), rng.gen()]),
            }
            if is_request {
                decode_both_ways::<Request>(&damaged);
            } else {
                decode_both_ways::<Response>(&damaged);
            }
        }
        for bytes in requests.iter() {
            decode_both_ways::<Request>(bytes);
        }
    }

    /// A square of the largest width, `k = 128`.
    fn largest_square() -> ExtendedSquare {
        ExtendedSquare::encode(&vec![3u8; 8 * 1024 * 1024], CodecId::RsLeopard).unwrap()
    }

    #[test]
    fn every_request_at_its_largest_round_trips_within_the_request_limit() {
        let square = largest_square();
        let column = square.column(5).unwrap();
        let requests = [
            Request::PutColumns {
                da_root: square.da_root(),
                columns: (0..MAX_PUSH_COLUMNS)
                    .map(|_| ColumnHalf {
                        index: 5,
                        top_half: column.top_half().to_vec().into(),
                        axis_path: column.axis_path.clone(),
                    })
                    .collect(),
            },
            Request::PutManifest {
                manifest: Box::new(largest_manifest(&square)),
                headers: vec![square.header(); MAX_HEADERS],
            },
            Request::GetColumn {
                da_root: square.da_root(),
                index: 5,
            },
            Request::GetDatanet(DatanetId::default()),
            Request::GetColumns {
                da_root: square.da_root(),
                indices: (0..MAX_GET_COLUMNS as u16).collect(),
            },
            Request::GetColumnHalves {
                da_root: square.da_root(),
                indices: (0..MAX_GET_COLUMNS as u16).collect(),
            },
            Request::GetSamples {
                da_root: square.da_root(),
                coordinates: vec![(1, 2); MAX_SAMPLES],
                axis_paths: true,
            },
            Request::GetSamples {
                da_root: square.da_root(),
                coordinates: vec![(1, 2); 3],
                axis_paths: false,
            },
            Request::ListContributions {
                datanet: DatanetId::default(),
                after: ContributionId::default(),
                limit: MAX_LISTED as u16,
            },
            Request::ListDatanets {
                after: DatanetId::default(),
            },
            Request::Fingerprints {
                datanet: DatanetId::default(),
                prefixes: vec![IdPrefix::ALL; MAX_FINGERPRINTS],
            },
            Request::GetBatch {
                datanet: DatanetId::default(),
                epoch: u64::MAX,
            },
            Request::GetAttestations(ContributionId::default()),
        ];
        for request in requests {
            let bytes = request.to_bytes();
            if let Some(len) = request.encoded_len() {
                assert_eq!(len, bytes.len(), "{request:?}");
            }
            assert!(bytes.len() <= MAX_REQUEST_BYTES);
            assert_eq!(Request::from_bytes(&bytes).unwrap(), request);
        }
    }

    fn attestation() -> Attestation {
        let key = crate::SecretKey::from_seed([3; 32]);
        let body = crate::AttestationBody::accept(ContributionId::default(), key.public());
        Attestation::sign(body, &key).unwrap()
    }

    /// A final batch of one contribution accepted by one validator.
    fn final_batch() -> FinalBatch {
        use crate::signed::{BatchProposal, ProposalBody, QuorumCertificate};
        let key = crate::SecretKey::from_seed([3; 32]);
        let qc = QuorumCertificate {
            contribution: ContributionId::default(),
            validator_set: Hash::default(),
            signatures: vec![(key.public(), *attestation().signature())],
        };
        let body = ProposalBody {
            datanet: DatanetId::default(),
            epoch: 9,
            validator_set: Hash::default(),
            leader: key.public(),
            root: Hash::default(),
            certificates: vec![qc],
            attributions: Vec::new(),
            funded: 0,
            payments: Vec::new(),
            rewards_root: Hash::default(),
        };
        FinalBatch {
            proposal: BatchProposal::sign(body, &key).unwrap(),
            signatures: vec![(key.public(), *attestation().signature())],
        }
    }

    #[test]
    fn every_response_at_its_largest_round_trips_within_the_response_limit() {
        let square = largest_square();
        let column = square.column(5).unwrap();
        let responses = [
            Response::Columns(vec![column.clone(); MAX_GET_COLUMNS]),
            Response::ColumnHalves(vec![
                (5, column.top_half().to_vec().into());
                MAX_GET_COLUMNS
            ]),
            Response::Column(column),
            Response::Samples(vec![
                SampleAnswer::Found {
                    share: square.share(1, 2).unwrap().to_vec(),
                    proof: square.share_proof_via(crate::Axis::Col, 1, 2).unwrap(),
                };
                MAX_SAMPLES
            ]),
            Response::Samples(vec![SampleAnswer::Missing; 2]),
            Response::NotFound,
            Response::Refused("no".into()),
            Response::Datanet(Box::new(datanet_record())),
            Response::Contributions(vec![ContributionId::default(); MAX_LISTED]),
            Response::Datanets(vec![DatanetId::default(); MAX_LISTED]),
            Response::Fingerprints(vec![Fingerprint::default(); MAX_FINGERPRINTS]),
            Response::Attestations(vec![attestation(); 2 * MAX_VALIDATORS]),
            Response::Batch(Box::new(final_batch())),
            Response::Manifest {
                manifest: Box::new(largest_manifest(&square)),
                headers: vec![square.header(); MAX_HEADERS],
            },
        ];
        for response in responses {
            let bytes = response.to_bytes();
            if let Some(len) = response.encoded_len() {
                assert_eq!(len, bytes.len());
            }
            assert!(bytes.len() <= MAX_RESPONSE_BYTES);
            assert_eq!(Response::from_bytes(&bytes).unwrap(), response);
        }
    }

    #[test]
    fn halves_decoded_from_a_received_frame_are_views_of_it_not_copies() {
        let square = largest_square();
        let push = &push_of_two_halves(&square);
        let frame = Bytes::from(push.to_bytes());
        let Request::PutColumns { columns, .. } = Request::from_shared(&frame).unwrap() else {
            panic!("a push decodes as a push");
        };
        let within = frame.as_ptr_range();
        assert!(columns
            .iter()
            .all(|c| within.contains(&c.top_half.as_ptr())));
        assert_eq!(&Request::from_shared(&frame).unwrap(), push);
    }

    #[test]
    fn bulk_bytes_count_what_holding_a_request_costs() {
        let square = largest_square();
        let push = push_of_two_halves(&square);
        assert_eq!(push.bulk_bytes(), 2 * square.params().k() * SHARE_SIZE);
        let manifest = Request::PutManifest {
            manifest: Box::new(largest_manifest(&square)),
            headers: vec![square.header(); MAX_HEADERS],
        };
        let encoded = manifest.to_bytes().len();
        assert!(manifest.bulk_bytes() <= encoded && encoded - manifest.bulk_bytes() < 256 << 10);
    }

    #[test]
    fn unknown_kinds_flags_and_lists_over_their_limits_are_refused() {
        let square = largest_square();
        assert!(Request::from_bytes(&[1, 9]).is_err());
        assert!(Response::from_bytes(&[]).is_err());
        let mut bad_flag = Request::GetSamples {
            da_root: square.da_root(),
            coordinates: vec![(1, 2)],
            axis_paths: true,
        }
        .to_bytes();
        *bad_flag.last_mut().unwrap() = 2;
        assert!(Request::from_bytes(&bad_flag).is_err());
        let too_many = Request::GetColumns {
            da_root: square.da_root(),
            indices: vec![0; MAX_GET_COLUMNS + 1],
        };
        assert!(Request::from_bytes(&too_many.to_bytes()).is_err());
        let too_long = Response::Columns(vec![square.column(0).unwrap(); MAX_GET_COLUMNS + 1]);
        assert!(Response::from_bytes(&too_long.to_bytes()).is_err());
        let too_many_halves = Request::GetColumnHalves {
            da_root: square.da_root(),
            indices: vec![0; MAX_GET_COLUMNS + 1],
        };
        assert!(Request::from_bytes(&too_many_halves.to_bytes()).is_err());
        let half = square.column(0).unwrap().top_half().to_vec();
        let too_many = Response::ColumnHalves(vec![(0, half.into()); MAX_GET_COLUMNS + 1]);
        assert!(Response::from_bytes(&too_many.to_bytes()).is_err());
        let oversized = Response::ColumnHalves(vec![(0, vec![0; MAX_K * SHARE_SIZE + 1].into())]);
        assert!(Response::from_bytes(&oversized.to_bytes()).is_err());
        let too_many_ids = Response::Contributions(vec![ContributionId::default(); MAX_LISTED + 1]);
        assert!(Response::from_bytes(&too_many_ids.to_bytes()).is_err());
        let too_many_datanets = Response::Datanets(vec![DatanetId::default(); MAX_LISTED + 1]);
        assert!(Response::from_bytes(&too_many_datanets.to_bytes()).is_err());
        let too_many_prints = Response::Fingerprints(vec![Fingerprint::default(); 17]);
        assert!(Response::from_bytes(&too_many_prints.to_bytes()).is_err());
        let too_many_ranges = Request::Fingerprints {
            datanet: DatanetId::default(),
            prefixes: vec![IdPrefix::ALL; MAX_FINGERPRINTS + 1],
        };
        assert!(Request::from_bytes(&too_many_ranges.to_bytes()).is_err());
        let over_the_limit = Request::ListContributions {
            datanet: DatanetId::default(),
            after: ContributionId::default(),
            limit: MAX_LISTED as u16 + 1,
        };
        assert!(Request::from_bytes(&over_the_limit.to_bytes()).is_err());
    }

    #[test]
    fn the_kind_tables_give_every_message_its_own_byte() {
        let requests = [
            request_kind::PUT_MANIFEST,
            request_kind::PUT_COLUMNS,
            request_kind::GET_MANIFEST,
            request_kind::GET_COLUMN,
            request_kind::GET_SAMPLES,
            request_kind::GET_DATANET,
            request_kind::GET_COLUMNS,
            request_kind::GET_COLUMN_HALVES,
            request_kind::LIST_CONTRIBUTIONS,
            request_kind::LIST_DATANETS,
            request_kind::FINGERPRINTS,
        ];
        let responses = [
            response_kind::STORED,
            response_kind::MANIFEST,
            response_kind::COLUMN,
            response_kind::SAMPLES,
            response_kind::NOT_FOUND,
            response_kind::REFUSED,
            response_kind::DATANET,
            response_kind::COLUMNS,
            response_kind::COLUMN_HALVES,
            response_kind::CONTRIBUTIONS,
            response_kind::DATANETS,
            response_kind::FINGERPRINTS,
        ];
        for table in [&requests[..], &responses[..]] {
            let distinct: std::collections::BTreeSet<u8> = table.iter().copied().collect();
            assert_eq!(distinct.len(), table.len());
        }
        assert_eq!(
            Request::GetDatanet(DatanetId::default()).to_bytes()[1],
            request_kind::GET_DATANET
        );
        assert_eq!(Response::NotFound.to_bytes()[1], response_kind::NOT_FOUND);
    }
}

//! Custodied columns. Only the top `k` shares are stored (half the bytes); a read extends them
//! back to `2k` shares and checks the result against the DA root, so a flipped bit anywhere is
//! caught. The shares of a batch of columns go to one blob file (written and synced before
//! anything refers to it); the metadata store keeps, per column, its parameters and where its
//! shares are in that blob. The column root's path to the DA root is not kept: it follows from
//! the square's header, stored beside the columns. Bulk bytes stay out of sled, whose memory
//! grows with what it stores.

use std::borrow::Cow;
use std::collections::BTreeSet;

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use datanet_protocol::hash::{Domain, Hasher};
use datanet_protocol::square::{MAX_AXIS_PATH, MAX_K};
use datanet_protocol::wire::ColumnHalf;
use datanet_protocol::{
    Axis, ChunkId, DaRoot, Hash, Line, SquareHeader, SquareParams, TopHalf, SHARE_SIZE,
};

use super::repair::RepairItem;
use crate::backend::{Backend, Op};
use crate::keys::{column_key, column_of_key, key, Kind};
use crate::{Store, StoreError};

/// The version byte of a column record that points into a blob (store format 3).
const RECORD_VERSION: u8 = 3;
/// The version byte of a format-2 record: as [`RECORD_VERSION`], followed by the column root's
/// axis path, which reads skip.
const PATH_VERSION: u8 = 2;
/// The version byte of a format-1 record, which held the shares inline.
const INLINE_VERSION: u8 = 1;

/// A verified column ready to store: parameters, index and top half.
pub(crate) struct StoredColumn<'a> {
    params: SquareParams,
    index: u16,
    top_half: Cow<'a, [u8]>,
}

/// What the metadata store keeps for a column: its shares are `params.k() * SHARE_SIZE` bytes
/// at `offset` in blob `blob`.
struct ColumnRecord {
    params: SquareParams,
    index: u16,
    blob: ChunkId,
    offset: u32,
}

impl StoredColumn<'static> {
    /// Decodes a format-1 record, which held the column's top half inline (and the column
    /// root's axis path, dropped here).
    pub(crate) fn from_inline_record(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("column record version")?;
        if version != INLINE_VERSION {
            return Err(DecodeError::InvalidTag {
                context: "column record version",
                value: version.into(),
            });
        }
        let column = StoredColumn {
            params: SquareParams::decode_from(&mut r)?,
            index: r.u16("column index")?,
            top_half: Cow::Owned(r.bytes(MAX_K * SHARE_SIZE, "column shares")?.to_vec()),
        };
        r.hashes(MAX_AXIS_PATH, "axis path")?;
        Ok(column)
    }
}

impl<'a> StoredColumn<'a> {
    /// Checks a full column against `root` (proof and codeword) before it may be stored.
    pub(crate) fn verified(root: &DaRoot, line: &'a Line) -> Result<Self, StoreError> {
        let refuse =
            |why: String| StoreError::Invalid(format!("column {} of {root}: {why}", line.index));
        if line.axis != Axis::Col {
            return Err(refuse("is a row".into()));
        }
        line.verify(root).map_err(|e| refuse(e.to_string()))?;
        if !line.is_codeword().map_err(|e| refuse(e.to_string()))? {
            return Err(refuse("is not a codeword (bad encoding)".into()));
        }
        Ok(StoredColumn {
            params: line.params,
            index: line.index,
            top_half: Cow::Borrowed(line.top_half()),
        })
    }

    /// Checks a column sent as its top half against `root` before it may be stored.
    fn from_half(
        root: &DaRoot,
        params: SquareParams,
        half: &'a ColumnHalf,
    ) -> Result<Self, StoreError> {
        Line::verify_half(
            &params,
            Axis::Col,
            half.index,
            &half.top_half,
            &half.axis_path,
            root,
        )
        .map_err(|e| StoreError::Invalid(format!("column {} of {root}: {e}", half.index)))?;
        Ok(StoredColumn {
            params,
            index: half.index,
            top_half: Cow::Borrowed(&half.top_half),
        })
    }
}

/// The name of the blob holding `columns` of the square under `root`. Verified columns of a
/// square are fixed by its DA root, so the root and the indices name the bytes as well as a
/// hash of them would, at the cost of hashing a few bytes instead of megabytes; the domain
/// keeps these names apart from the ids of chunks, which share the same files.
fn blob_name(root: &DaRoot, columns: &[StoredColumn<'_>]) -> ChunkId {
    let mut hasher = Hasher::new(Domain::ColumnBlob);
    hasher.update(&root.0 .0);
    for column in columns {
        hasher.update(&column.index.to_be_bytes());
    }
    ChunkId(hasher.finalize())
}

/// Writes the shares of `columns` (all of the square under `root`) as one durable blob and
/// returns the ops that publish their records; the caller commits them, holding the chunk
/// writing guard from before this call so collection cannot see the blob unreferenced.
pub(crate) fn write_columns(
    backend: &dyn Backend,
    root: &DaRoot,
    columns: Vec<StoredColumn<'_>>,
) -> Result<Vec<Op>, StoreError> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let mut offsets = Vec::with_capacity(columns.len());
    let mut end = 0usize;
    for column in &columns {
        offsets.push(
            u32::try_from(end)
                .map_err(|_| StoreError::Invalid("a column batch over 4 GiB".into()))?,
        );
        end += column.top_half.len();
    }
    let parts: Vec<&[u8]> = columns.iter().map(|c| &c.top_half[..]).collect();
    let id = blob_name(root, &columns);
    backend.put_blob(&id, &parts)?;
    let mut ops = Vec::with_capacity(2 * columns.len());
    for (StoredColumn { params, index, .. }, offset) in columns.into_iter().zip(offsets) {
        let record = ColumnRecord {
            params,
            index,
            blob: id,
            offset,
        };
        ops.push(Op::Put(column_key(root, record.index), record.to_bytes()));
        ops.push(Op::Delete(
            RepairItem::Column(*root, record.index).key_bytes(),
        ));
    }
    Ok(ops)
}

/// The blob a stored column record's shares are in; `None` for a record that does not decode.
pub(crate) fn record_blob(record: &[u8]) -> Option<ChunkId> {
    ColumnRecord::from_bytes(record).ok().map(|r| r.blob)
}

impl Encode for ColumnRecord {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(RECORD_VERSION);
        self.params.encode_to(out);
        out.u16(self.index);
        out.hash(&self.blob.0);
        out.u32(self.offset);
    }
}

impl Decode for ColumnRecord {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("column record version")?;
        if version != RECORD_VERSION && version != PATH_VERSION {
            return Err(DecodeError::InvalidTag {
                context: "column record version",
                value: version.into(),
            });
        }
        let record = ColumnRecord {
            params: SquareParams::decode_from(r)?,
            index: r.u16("column index")?,
            blob: ChunkId(r.hash("column blob")?),
            offset: r.u32("column offset")?,
        };
        if version == PATH_VERSION {
            r.hashes(MAX_AXIS_PATH, "axis path")?;
        }
        Ok(record)
    }
}

impl Store {
    /// Stores columns sent as top halves, as they arrive on the wire (and the header): each is extended and checked
    /// against the DA root first, and nothing is written unless all verify. Cheaper than
    /// [`Store::put_columns`] because an extended half is a codeword by construction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a column that does not verify, or an engine error.
    pub fn put_column_halves(
        &self,
        header: &SquareHeader,
        halves: &[ColumnHalf],
    ) -> Result<(), StoreError> {
        let root = header.da_root();
        let columns = halves
            .iter()
            .map(|half| StoredColumn::from_half(&root, header.params, half))
            .collect::<Result<Vec<_>, _>>()?;
        self.commit_columns(header, columns)
    }

    /// Stores columns of the square under `header` (and the header), each checked first;
    /// nothing is written unless all verify.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a column that does not verify, or an engine error.
    pub fn put_columns(&self, header: &SquareHeader, columns: &[Line]) -> Result<(), StoreError> {
        let root = header.da_root();
        let columns = columns
            .iter()
            .map(|line| StoredColumn::verified(&root, line))
            .collect::<Result<Vec<_>, _>>()?;
        self.commit_columns(header, columns)
    }

    /// Stores columns `indices` of the square under `header` from its top half (and the
    /// header), without checking each against the DA root: for the squares this node encoded
    /// itself from a chunk, whose columns are codewords under their root by construction.
    /// Columns from anywhere else go through [`Store::put_columns`] or
    /// [`Store::put_column_halves`].
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an index outside the square or a top half of other
    /// parameters, or an engine error.
    pub fn put_encoded_columns(
        &self,
        header: &SquareHeader,
        top: &TopHalf,
        indices: &[u16],
    ) -> Result<(), StoreError> {
        if *top.params() != header.params {
            return Err(StoreError::Invalid(format!(
                "a top half of {:?} for a square of {:?}",
                top.params(),
                header.params
            )));
        }
        let mut listed = BTreeSet::new();
        let columns = indices
            .iter()
            .map(|&index| {
                let invalid =
                    |e: &dyn std::fmt::Display| StoreError::Invalid(format!("column {index}: {e}"));
                let top_half = top.column(usize::from(index)).map_err(|e| invalid(&e))?;
                if !listed.insert(index) {
                    return Err(invalid(&"listed twice"));
                }
                Ok(StoredColumn {
                    params: header.params,
                    index,
                    top_half: Cow::Owned(top_half),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.commit_columns(header, columns)
    }

    /// Writes verified `columns` and the header in one durable step: the shares' blob first,
    /// then the records.
    fn commit_columns(
        &self,
        header: &SquareHeader,
        columns: Vec<StoredColumn<'_>>,
    ) -> Result<(), StoreError> {
        let root = header.da_root();
        let _writing = self.writing_chunks();
        let mut ops = vec![Op::Put(key(Kind::Header, &[&root.0 .0]), header.to_bytes())];
        ops.extend(write_columns(self.backend.as_ref(), &root, columns)?);
        self.commit(ops)
    }

    /// Column `index` of the square under `root`, rebuilt from its stored half and verified.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] (and the column is listed for repair) when the stored record
    /// does not decode or no longer matches `root`, or an engine error.
    pub fn column(&self, root: &DaRoot, index: u16) -> Result<Option<Line>, StoreError> {
        self.read_columns(root, &[index])?.pop().transpose()
    }

    /// Columns `indices` of the square under `root` that are stored and intact, in that order,
    /// each rebuilt from its stored half and verified, with the square's header read once. A
    /// corrupted one is left out and listed for repair.
    ///
    /// # Errors
    /// An engine error.
    pub fn columns(&self, root: &DaRoot, indices: &[u16]) -> Result<Vec<Line>, StoreError> {
        Ok(self
            .read_columns(root, indices)?
            .into_iter()
            .filter_map(Result::ok)
            .collect())
    }

    /// For each of `indices` that has a record, its verified column or the corruption error
    /// (the column is then listed for repair). The axis paths come from the stored
    /// header unverified: each column is checked against `root` through its path, which a
    /// damaged header would fail.
    fn read_columns(
        &self,
        root: &DaRoot,
        indices: &[u16],
    ) -> Result<Vec<Result<Line, StoreError>>, StoreError> {
        let mut records = Vec::with_capacity(indices.len());
        for &index in indices {
            if let Some(bytes) = self.backend.get(&column_key(root, index))? {
                records.push((index, bytes));
            }
        }
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let header = self
            .backend
            .get(&key(Kind::Header, &[&root.0 .0]))?
            .and_then(|bytes| SquareHeader::from_bytes(&bytes).ok());
        let single = records.len() == 1;
        let mut every_path: Option<Vec<Vec<Hash>>> = None;
        let mut read = Vec::with_capacity(records.len());
        for (index, bytes) in records {
            let at = usize::from(index);
            let path = header.as_ref().and_then(|h| {
                if single {
                    return h.axis_path(Axis::Col, at).ok();
                }
                every_path
                    .get_or_insert_with(|| h.axis_paths(Axis::Col))
                    .get(at)
                    .cloned()
            });
            let line = match (ColumnRecord::from_bytes(&bytes), path) {
                (Ok(record), Some(path)) if record.index == index => {
                    self.read_record(record, path)?
                }
                _ => None,
            }
            .filter(|line| line.verify(root).is_ok());
            let line = line.ok_or_else(|| {
                self.corrupted(
                    RepairItem::Column(*root, index),
                    format!("column {index} of {root}"),
                )
            });
            read.push(line);
        }
        Ok(read)
    }

    /// The stored top half (first `k` shares) of column `index` of the square under `root`,
    /// read without extending or verifying it: for a reader that checks the square it
    /// rebuilds against the DA root as a whole. [`Store::column`] is the checked read.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] (and the column is listed for repair) when the stored record
    /// does not decode or its shares are missing, or an engine error.
    pub fn column_half(&self, root: &DaRoot, index: u16) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(bytes) = self.backend.get(&column_key(root, index))? else {
            return Ok(None);
        };
        let half = match ColumnRecord::from_bytes(&bytes) {
            Ok(record) if record.index == index => self.record_half(&record)?,
            _ => None,
        };
        match half {
            Some(half) => Ok(Some(half)),
            None => Err(self.corrupted(
                RepairItem::Column(*root, index),
                format!("column {index} of {root}"),
            )),
        }
    }

    /// The stored top halves of columns `indices` of the square under `root`, each with its
    /// index, in that order, read as [`Store::column_half`] reads one; absent and corrupted
    /// ones are left out (the latter listed for repair).
    ///
    /// # Errors
    /// An engine error.
    pub fn column_halves(
        &self,
        root: &DaRoot,
        indices: &[u16],
    ) -> Result<Vec<(u16, Vec<u8>)>, StoreError> {
        let mut halves = Vec::with_capacity(indices.len());
        for &index in indices {
            match self.column_half(root, index) {
                Ok(Some(half)) => halves.push((index, half)),
                Ok(None) | Err(StoreError::Corrupted { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(halves)
    }

    /// The column a record describes with its root's `axis_path`, its shares read from the
    /// blob; `None` when the blob or its bytes are missing, or do not form a column.
    fn read_record(
        &self,
        record: ColumnRecord,
        axis_path: Vec<Hash>,
    ) -> Result<Option<Line>, StoreError> {
        let Some(top_half) = self.record_half(&record)? else {
            return Ok(None);
        };
        Ok(Line::from_half(record.params, Axis::Col, record.index, &top_half, axis_path).ok())
    }

    /// The shares a record points to, read from its blob; `None` when they are missing.
    fn record_half(&self, record: &ColumnRecord) -> Result<Option<Vec<u8>>, StoreError> {
        let len = record.params.k() * SHARE_SIZE;
        self.backend
            .get_blob_range(&record.blob, u64::from(record.offset), len)
    }

    /// The indices of the stored columns of the square under `root`.
    ///
    /// # Errors
    /// An engine error.
    pub fn column_indices(&self, root: &DaRoot) -> Result<Vec<u16>, StoreError> {
        Ok(self
            .backend
            .scan(&key(Kind::Column, &[&root.0 .0]))?
            .iter()
            .filter_map(|(k, _)| column_of_key(k).map(|(_, index)| index))
            .collect())
    }

    /// Drops column `index` of the square under `root` (custody moved elsewhere).
    ///
    /// # Errors
    /// An engine error.
    pub fn drop_column(&self, root: &DaRoot, index: u16) -> Result<(), StoreError> {
        self.commit(vec![Op::Delete(column_key(root, index))])
    }
}

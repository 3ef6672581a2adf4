//! Custodied columns. Only the top `k` shares are stored (half the bytes); a read extends them
//! back to `2k` shares and checks the result against the DA root, so a flipped bit anywhere in
//! the record is caught.

use datanet_protocol::encoding::{Decode, DecodeError, Encode, Reader, Writer, ENCODING_VERSION};
use datanet_protocol::square::MAX_K;
use datanet_protocol::{Axis, DaRoot, Hash, Line, SquareHeader, SquareParams, SHARE_SIZE};

use super::repair::RepairItem;
use crate::backend::Op;
use crate::keys::{key, Kind};
use crate::{Store, StoreError};

/// A column as stored: parameters, index, top half and the column root's axis path.
pub(crate) struct StoredColumn {
    params: SquareParams,
    index: u16,
    top_half: Vec<u8>,
    axis_path: Vec<Hash>,
}

fn column_key(root: &DaRoot, index: u16) -> Vec<u8> {
    key(Kind::Column, &[&root.0 .0, &index.to_be_bytes()])
}

impl StoredColumn {
    /// The stored form of `line` after checking it is column of the square under `root` and
    /// a codeword (so its top half determines it).
    pub(crate) fn verified(root: &DaRoot, line: &Line) -> Result<Self, StoreError> {
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
            top_half: line.top_half().to_vec(),
            axis_path: line.axis_path.clone(),
        })
    }

    /// The stored form of a column sent as its top half: extended (so a codeword by
    /// construction) and checked against `root`.
    fn from_half(
        root: &DaRoot,
        params: SquareParams,
        half: &ColumnHalf<'_>,
    ) -> Result<Self, StoreError> {
        let refuse =
            |why: String| StoreError::Invalid(format!("column {} of {root}: {why}", half.index));
        let line = Line::from_half(
            params,
            Axis::Col,
            half.index,
            half.top_half,
            half.axis_path.to_vec(),
        )
        .map_err(|e| refuse(e.to_string()))?;
        line.verify(root).map_err(|e| refuse(e.to_string()))?;
        Ok(StoredColumn {
            params,
            index: line.index,
            top_half: half.top_half.to_vec(),
            axis_path: line.axis_path,
        })
    }

    pub(crate) fn op(&self, root: &DaRoot) -> Op {
        Op::Put(column_key(root, self.index), self.to_bytes())
    }

    fn into_line(self) -> Option<Line> {
        Line::from_half(
            self.params,
            Axis::Col,
            self.index,
            &self.top_half,
            self.axis_path,
        )
        .ok()
    }
}

impl Encode for StoredColumn {
    fn encode_to(&self, out: &mut Writer) {
        out.u8(ENCODING_VERSION);
        self.params.encode_to(out);
        out.u16(self.index);
        out.bytes(&self.top_half);
        out.hashes(&self.axis_path);
    }
}

impl Decode for StoredColumn {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("stored column version")?;
        Ok(StoredColumn {
            params: SquareParams::decode_from(r)?,
            index: r.u16("column index")?,
            top_half: r.bytes(MAX_K * SHARE_SIZE, "column shares")?.to_vec(),
            axis_path: r.hashes(9, "axis path")?,
        })
    }
}

/// A column as custodians receive it: its index, first `k` shares and root path.
#[derive(Debug, Clone, Copy)]
pub struct ColumnHalf<'a> {
    /// The column index.
    pub index: u16,
    /// The column's first `k` shares.
    pub top_half: &'a [u8],
    /// The column root's path to the DA root.
    pub axis_path: &'a [Hash],
}

impl Store {
    /// Stores columns sent as top halves (and the header): each is extended and checked
    /// against the DA root first, and nothing is written unless all verify. Cheaper than
    /// [`Store::put_columns`] because an extended half is a codeword by construction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a column that does not verify, or an engine error.
    pub fn put_column_halves(
        &self,
        header: &SquareHeader,
        halves: &[ColumnHalf<'_>],
    ) -> Result<(), StoreError> {
        let root = header.da_root();
        let mut ops = vec![Op::Put(key(Kind::Header, &[&root.0 .0]), header.to_bytes())];
        for half in halves {
            ops.push(StoredColumn::from_half(&root, header.params, half)?.op(&root));
            ops.push(Op::Delete(RepairItem::Column(root, half.index).key_bytes()));
        }
        self.commit(ops)
    }

    /// Stores columns of the square under `header` (and the header), each checked first;
    /// nothing is written unless all verify.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a column that does not verify, or an engine error.
    pub fn put_columns(&self, header: &SquareHeader, columns: &[Line]) -> Result<(), StoreError> {
        let root = header.da_root();
        let mut ops = vec![Op::Put(key(Kind::Header, &[&root.0 .0]), header.to_bytes())];
        for line in columns {
            ops.push(StoredColumn::verified(&root, line)?.op(&root));
            ops.push(Op::Delete(RepairItem::Column(root, line.index).key_bytes()));
        }
        self.commit(ops)
    }

    /// Column `index` of the square under `root`, rebuilt from its stored half and verified.
    ///
    /// # Errors
    /// [`StoreError::Corrupted`] (and the column is listed for repair) when the stored record
    /// does not decode or no longer matches `root`, or an engine error.
    pub fn column(&self, root: &DaRoot, index: u16) -> Result<Option<Line>, StoreError> {
        let Some(bytes) = self.backend.get(&column_key(root, index))? else {
            return Ok(None);
        };
        let line = StoredColumn::from_bytes(&bytes)
            .ok()
            .and_then(StoredColumn::into_line)
            .filter(|line| line.index == index && line.verify(root).is_ok());
        match line {
            Some(line) => Ok(Some(line)),
            None => Err(self.corrupted(
                RepairItem::Column(*root, index),
                format!("column {index} of {root}"),
            )),
        }
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
            .filter_map(|(k, _)| Some(u16::from_be_bytes(k.get(33..35)?.try_into().ok()?)))
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

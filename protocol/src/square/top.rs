//! The top half of an extended square: `Q0` and its row extension `Q1`, which hold the first
//! `k` shares of every column. That is all a custodian is sent, and it takes only the row
//! extension to make: no column extension and no hashing. Dispersal builds it again from a
//! chunk whose header an earlier full encoding gave.

use super::{extend_rows, lay_out, SquareError, SquareParams, SHARE_SIZE};
use crate::codec::CodecId;

/// `Q0 | Q1` of a chunk's extended square, row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct TopHalf {
    params: SquareParams,
    data: Vec<u8>,
}

impl std::fmt::Debug for TopHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopHalf")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Drop for TopHalf {
    fn drop(&mut self) {
        super::buffers::recycle(std::mem::take(&mut self.data));
    }
}

impl TopHalf {
    /// Lays `chunk` out as [`super::ExtendedSquare::encode`] does and extends its rows.
    ///
    /// # Errors
    /// [`SquareError::Params`] if the chunk exceeds 8 MiB, or a codec error.
    pub fn encode(chunk: &[u8], codec: CodecId) -> Result<Self, SquareError> {
        let params = SquareParams::for_chunk(codec, chunk.len())?;
        let mut data = super::buffers::zeroed(params.k() * params.line_bytes());
        lay_out(&params, chunk, &mut data);
        extend_rows(&params, &mut data)?;
        Ok(TopHalf { params, data })
    }

    /// The top half from its `k` extended rows, as the full encoding made them.
    pub(super) fn from_rows(params: SquareParams, data: Vec<u8>) -> Self {
        TopHalf { params, data }
    }

    /// The square's parameters.
    pub fn params(&self) -> &SquareParams {
        &self.params
    }

    /// The first `k` shares of column `index`, top to bottom.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`].
    pub fn column(&self, index: usize) -> Result<Vec<u8>, SquareError> {
        let width = self.params.width();
        if index >= width {
            return Err(SquareError::IndexOutOfRange { index, width });
        }
        let mut half = Vec::with_capacity(self.params.k() * SHARE_SIZE);
        for row in self.data.chunks_exact(self.params.line_bytes()) {
            half.extend_from_slice(&row[index * SHARE_SIZE..][..SHARE_SIZE]);
        }
        Ok(half)
    }
}

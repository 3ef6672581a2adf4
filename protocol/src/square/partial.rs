//! Rebuilding a square from whatever shares are known, by decoding any row or column that has
//! at least `k` of its `2k` shares, over and over, until the square is whole or stuck
//! (crossword decoding).

use super::{Axis, ExtendedSquare, Line, SquareError, SquareParams, SHARE_SIZE};

/// A square under reconstruction: the shares known so far.
#[derive(Debug, Clone)]
pub struct PartialSquare {
    params: SquareParams,
    data: Vec<u8>,
    known: Vec<bool>,
}

impl PartialSquare {
    /// An empty square with these parameters.
    ///
    /// # Errors
    /// [`SquareError::Params`].
    pub fn new(params: SquareParams) -> Result<Self, SquareError> {
        params.validate()?;
        let w = params.width();
        Ok(PartialSquare {
            params,
            data: vec![0u8; w * w * SHARE_SIZE],
            known: vec![false; w * w],
        })
    }

    /// How many shares are known.
    pub fn known(&self) -> usize {
        self.known.iter().filter(|k| **k).count()
    }

    /// Records the share at `(row, col)`; a share already known is left as it was.
    ///
    /// # Errors
    /// [`SquareError::IndexOutOfRange`] or [`SquareError::WrongLength`].
    pub fn insert(&mut self, row: usize, col: usize, share: &[u8]) -> Result<(), SquareError> {
        let w = self.params.width();
        for index in [row, col] {
            if index >= w {
                return Err(SquareError::IndexOutOfRange { index, width: w });
            }
        }
        if share.len() != SHARE_SIZE {
            return Err(SquareError::WrongLength {
                expected: SHARE_SIZE,
                got: share.len(),
            });
        }
        let i = row * w + col;
        if !self.known[i] {
            self.data[i * SHARE_SIZE..][..SHARE_SIZE].copy_from_slice(share);
            self.known[i] = true;
        }
        Ok(())
    }

    /// Records every share of a row or column.
    ///
    /// # Errors
    /// [`SquareError::ParamsMismatch`] if the line belongs to a square of other parameters, or the
    /// errors of [`PartialSquare::insert`].
    pub fn insert_line(&mut self, line: &Line) -> Result<(), SquareError> {
        if line.params != self.params {
            return Err(SquareError::ParamsMismatch {
                expected: self.params,
                got: line.params,
            });
        }
        for (pos, share) in line.shares.chunks(SHARE_SIZE).enumerate() {
            let (row, col) = line.coordinates(pos);
            self.insert(row, col, share)?;
        }
        Ok(())
    }

    /// Decodes rows and columns until every share is known, then commits to the result.
    ///
    /// The result is committed as rebuilt; compare it with the expected commitment (as
    /// [`ExtendedSquare::reconstruct`] does) before trusting it.
    ///
    /// # Errors
    /// [`SquareError::NotEnoughShares`] when no line can make progress.
    pub fn solve(mut self) -> Result<ExtendedSquare, SquareError> {
        let (w, k) = (self.params.width(), self.params.k());
        while self.known.iter().any(|k| !k) {
            let mut progress = false;
            for axis in [Axis::Row, Axis::Col] {
                for index in 0..w {
                    let have = (0..w)
                        .filter(|p| self.known[self.cell(axis, index, *p)])
                        .count();
                    if have >= k && have < w {
                        self.decode_line(axis, index)?;
                        progress = true;
                    }
                }
            }
            if !progress {
                return Err(SquareError::NotEnoughShares {
                    known: self.known(),
                    total: w * w,
                    needed: k,
                });
            }
        }
        ExtendedSquare::from_shares_unchecked(self.params, self.data)
    }

    fn cell(&self, axis: Axis, index: usize, pos: usize) -> usize {
        let w = self.params.width();
        match axis {
            Axis::Row => index * w + pos,
            Axis::Col => pos * w + index,
        }
    }

    fn decode_line(&mut self, axis: Axis, index: usize) -> Result<(), SquareError> {
        let w = self.params.width();
        let cells: Vec<usize> = (0..w).map(|p| self.cell(axis, index, p)).collect();
        let present: Vec<bool> = cells.iter().map(|c| self.known[*c]).collect();
        let mut line: Vec<u8> = cells
            .iter()
            .flat_map(|c| &self.data[c * SHARE_SIZE..][..SHARE_SIZE])
            .copied()
            .collect();
        let mut shards: Vec<&mut [u8]> = line.chunks_mut(SHARE_SIZE).collect();
        self.params
            .codec
            .code()
            .reconstruct(&mut shards, &present)?;
        for (pos, c) in cells.iter().enumerate() {
            if !self.known[*c] {
                self.data[c * SHARE_SIZE..][..SHARE_SIZE]
                    .copy_from_slice(&line[pos * SHARE_SIZE..][..SHARE_SIZE]);
                self.known[*c] = true;
            }
        }
        Ok(())
    }
}

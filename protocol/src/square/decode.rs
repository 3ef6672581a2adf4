//! Decoding a chunk straight from `k` whole lines of one axis, all at once.
//!
//! Every row is a codeword across columns, and every column across rows. So the top halves of
//! `k` columns, taken as `k` long shards, decode every row of `Q0` in a single codec call (and
//! the left halves of `k` rows decode every column). One call on long shards is far cheaper
//! than `k` calls on 512-byte ones, and nothing below `Q0` is touched.

use std::collections::BTreeMap;

use super::{Axis, Line, SquareError, SquareParams, SHARE_SIZE};

/// The chunk's bytes decoded from the lines, if at least `k` distinct lines of one axis with
/// these parameters are among them; `None` otherwise. The result is unverified.
///
/// # Errors
/// A codec error.
pub(crate) fn chunk_from_lines(
    params: &SquareParams,
    lines: &[Line],
) -> Result<Option<Vec<u8>>, SquareError> {
    let (k, w) = (params.k(), params.width());
    for axis in [Axis::Col, Axis::Row] {
        let halves: BTreeMap<usize, &[u8]> = lines
            .iter()
            .filter(|l| {
                l.axis == axis && l.params == *params && l.shares.len() == params.line_bytes()
            })
            .map(|l| (usize::from(l.index), l.top_half()))
            .filter(|(index, _)| *index < w)
            .collect();
        if halves.len() < k {
            continue;
        }
        let mut shards = vec![vec![0u8; k * SHARE_SIZE]; w];
        let mut present = vec![false; w];
        for (index, half) in halves {
            shards[index].copy_from_slice(half);
            present[index] = true;
        }
        let mut refs: Vec<&mut [u8]> = shards.iter_mut().map(Vec::as_mut_slice).collect();
        params
            .codec
            .code()
            .reconstruct_originals(&mut refs, &present)?;
        let mut chunk = match axis {
            Axis::Row => shards[..k].concat(),
            Axis::Col => {
                let mut rows = Vec::with_capacity(k * k * SHARE_SIZE);
                for r in 0..k {
                    for column in &shards[..k] {
                        rows.extend_from_slice(&column[r * SHARE_SIZE..][..SHARE_SIZE]);
                    }
                }
                rows
            }
        };
        chunk.truncate(params.chunk_len as usize);
        return Ok(Some(chunk));
    }
    Ok(None)
}

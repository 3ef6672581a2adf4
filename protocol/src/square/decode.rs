//! Decoding `Q0` straight from `k` halves of one axis, all at once.
//!
//! Every row is a codeword across columns, and every column across rows. So the top halves of
//! `k` columns, taken as `k` long shards, decode every row of `Q0` in a single codec call (and
//! the left halves of `k` rows decode every column). One call on long shards is far cheaper
//! than `k` calls on 512-byte ones, and nothing below `Q0` is touched. When the `k` original
//! lines are all there, no codec call is made at all.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{Axis, Line, SquareError, SquareParams, SHARE_SIZE};

/// Halves of distinct lines of one axis, by line index: each a line's first `k` shares.
pub(crate) type Halves<'a> = BTreeMap<usize, &'a [u8]>;

/// The halves of the lines of `axis` among `lines` that belong to a square of `params`, if
/// there are at least `k` distinct ones.
pub(crate) fn halves_of<'a>(
    params: &SquareParams,
    axis: Axis,
    lines: &'a [Line],
) -> Option<Halves<'a>> {
    let halves: Halves<'a> = lines
        .iter()
        .filter(|l| l.axis == axis && l.params == *params)
        .filter(|l| l.shares.len() == params.line_bytes() && usize::from(l.index) < params.width())
        .map(|l| (usize::from(l.index), l.top_half()))
        .collect();
    (halves.len() >= params.k()).then_some(halves)
}

/// Writes `Q0`, decoded from `halves` of lines of `axis` (at least `k`, each exactly `k`
/// shares at an index below `2k`), into the first `k` rows of `data` (rows of `2k` shares),
/// and zeroes the padding after the chunk's last byte so the square is the one its chunk
/// encodes to. The result is unverified.
///
/// # Errors
/// A codec error.
pub(crate) fn q0_into(
    params: &SquareParams,
    axis: Axis,
    halves: &Halves<'_>,
    data: &mut [u8],
) -> Result<(), SquareError> {
    let (k, w, line) = (params.k(), params.width(), params.line_bytes());
    let originals: Vec<&[u8]> = (0..k).filter_map(|i| halves.get(&i).copied()).collect();
    let decoded: Vec<Vec<u8>>;
    let originals = if originals.len() == k {
        originals
    } else {
        let mut shards = vec![vec![0u8; k * SHARE_SIZE]; w];
        let mut present = vec![false; w];
        for (index, half) in halves {
            shards[*index].copy_from_slice(half);
            present[*index] = true;
        }
        let mut refs: Vec<&mut [u8]> = shards.iter_mut().map(Vec::as_mut_slice).collect();
        params
            .codec
            .code()
            .reconstruct_originals(&mut refs, &present)?;
        shards.truncate(k);
        decoded = shards;
        decoded.iter().map(Vec::as_slice).collect()
    };
    let top = &mut data[..k * line];
    top.par_chunks_mut(line).enumerate().for_each(|(r, row)| {
        let row = &mut row[..k * SHARE_SIZE];
        match axis {
            Axis::Row => row.copy_from_slice(originals[r]),
            Axis::Col => {
                for (c, share) in row.chunks_exact_mut(SHARE_SIZE).enumerate() {
                    share.copy_from_slice(&originals[c][r * SHARE_SIZE..][..SHARE_SIZE]);
                }
            }
        }
    });
    zero_padding(params, top);
    Ok(())
}

/// Zeroes the bytes of `Q0` after the chunk's length, row-major, in the top rows `top`.
fn zero_padding(params: &SquareParams, top: &mut [u8]) {
    let (row_bytes, line) = (params.k() * SHARE_SIZE, params.line_bytes());
    let len = params.chunk_len as usize;
    for (r, row) in top.chunks_mut(line).enumerate() {
        let start = len.saturating_sub(r * row_bytes).min(row_bytes);
        row[start..row_bytes].fill(0);
    }
}

//! The maximal spans of an output that occur in a version's text, from its matching
//! statistics.
//!
//! For each character boundary `i` of the output, `ℓ(i)` is the length of the longest
//! prefix of `output[i..]` that occurs in some shard, cut back to end on a character
//! boundary. The span `[i, i + ℓ(i))` is reported when `ℓ(i) >= min_len` and it ends after
//! the span of the previous character boundary, that is when no earlier span contains it.
//!
//! Because `output[i..i + ℓ(i)]` occurs, so does every suffix of it: the next boundary's
//! span reaches at least as far. Each position therefore only asks whether a shard holds
//! one byte more than that (or `min_len` bytes, if more), and narrows its suffix array
//! range byte by byte from there.

use std::ops::Range;
use std::sync::Arc;

use super::search::narrow;
use crate::shard::Shard;

/// The maximal spans of `output` of at least `min_len` bytes found in `shards`, in order.
pub(crate) fn maximal_spans(
    shards: &[Arc<Shard>],
    output: &str,
    min_len: usize,
) -> Vec<Range<usize>> {
    let bytes = output.as_bytes();
    let mut spans = Vec::new();
    let mut reach: usize = 0;
    for (i, _) in output.char_indices() {
        let rest = &bytes[i..];
        // `rest[..known]` occurs. A match shorter than `min_len` is never reported, and any
        // later span of `min_len` or more reaches past it, so such matches need not be
        // measured: the shards are only asked for more than `target` bytes.
        let known = reach.saturating_sub(i);
        let target = known.max(min_len.saturating_sub(1));
        let mut longest = known;
        if target < rest.len() {
            for shard in shards {
                longest = longest.max(longest_in(shard, rest, target));
            }
        }
        let end = floor_char_boundary(output, i + longest);
        if end > reach {
            if end - i >= min_len {
                spans.push(i..end);
            }
            reach = end;
        }
    }
    spans
}

/// The longest prefix of `rest` found in `shard` if longer than `target` bytes, else 0.
/// Needs `target < rest.len()`.
fn longest_in(shard: &Shard, rest: &[u8], target: usize) -> usize {
    let mut depth = target + 1;
    let mut range = narrow(shard, &rest[..depth], 0..shard.text_len(), 0);
    if range.is_empty() {
        return 0;
    }
    while depth < rest.len() {
        let next = narrow(shard, &rest[..depth + 1], range.clone(), depth);
        if next.is_empty() {
            break;
        }
        range = next;
        depth += 1;
    }
    depth
}

/// The largest character boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

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
//! one byte more than that, and narrows its suffix array range byte by byte from there.

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
        let mut longest = reach.saturating_sub(i);
        for shard in shards {
            longest = longest.max(longest_in(shard, &bytes[i..], longest));
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

/// The longest prefix of `rest` found in `shard`, if longer than `known`; else at most
/// `known`. `known` bytes of `rest` are already known to occur somewhere.
fn longest_in(shard: &Shard, rest: &[u8], known: usize) -> usize {
    if known >= rest.len() {
        return known;
    }
    let mut depth = known + 1;
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

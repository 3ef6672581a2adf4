//! Binary search of one shard's suffix array for the suffixes that start with a pattern.
//!
//! The searches skip the bytes both ends of the current range already share with the
//! pattern (Manber and Myers' "mlr" heuristic), so a search for a pattern of `m` bytes reads
//! about `m + log n` text bytes, not `m log n`.

use std::cmp::Ordering;
use std::ops::Range;

use crate::shard::Shard;

/// How the suffix at `start` compares to `pattern`, reading from byte `skip` (the first
/// `skip` bytes are known to be equal), and how many bytes they share.
///
/// `Equal` means the suffix starts with the whole pattern. A suffix that ends first is less.
fn compare(text: &[u8], start: usize, pattern: &[u8], skip: usize) -> (usize, Ordering) {
    let suffix = text.get(start..).unwrap_or_default();
    let mut shared = skip;
    while shared < pattern.len() {
        match suffix.get(shared) {
            None => return (shared, Ordering::Less),
            Some(&b) if b == pattern[shared] => shared += 1,
            Some(&b) => return (shared, b.cmp(&pattern[shared])),
        }
    }
    (shared, Ordering::Equal)
}

/// The first rank in `range` whose suffix is not below `pattern` (`after` false) or is above
/// it (`after` true), given that every suffix in `range` starts with `pattern[..known]`.
fn bound(shard: &Shard, pattern: &[u8], range: Range<usize>, known: usize, after: bool) -> usize {
    let text = shard.text();
    let (mut lo, mut hi) = (range.start, range.end);
    let (mut lo_shared, mut hi_shared) = (known, known);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let skip = lo_shared.min(hi_shared);
        let (shared, order) = match shard.suffix(mid) {
            Some(start) => compare(text, start, pattern, skip),
            None => (skip, Ordering::Less),
        };
        let right = match order {
            Ordering::Less => true,
            Ordering::Equal => after,
            Ordering::Greater => false,
        };
        if right {
            lo = mid + 1;
            lo_shared = shared;
        } else {
            hi = mid;
            hi_shared = shared;
        }
    }
    lo
}

/// The ranks of the suffixes in `range` that start with `pattern`, given that all of them
/// start with `pattern[..known]`. Empty if none does.
pub(crate) fn narrow(
    shard: &Shard,
    pattern: &[u8],
    range: Range<usize>,
    known: usize,
) -> Range<usize> {
    let first = bound(shard, pattern, range.clone(), known, false);
    let starts_with = shard
        .suffix(first)
        .filter(|_| first < range.end)
        .is_some_and(|start| compare(shard.text(), start, pattern, known).1 == Ordering::Equal);
    if !starts_with {
        return first..first;
    }
    first..bound(shard, pattern, first..range.end, known, true)
}

/// The ranks of all the shard's suffixes that start with `pattern`.
pub(crate) fn find(shard: &Shard, pattern: &[u8]) -> Range<usize> {
    narrow(shard, pattern, 0..shard.text_len(), 0)
}

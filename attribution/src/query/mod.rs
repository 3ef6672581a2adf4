//! Queries: the spans of a model's output found in a version's shards, where they occur,
//! and the weights they give each contribution and contributor.

mod search;
mod spans;
mod weights;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::attribution::{Attribution, Location, Span};
use crate::error::AttributionError;
use crate::id::Id;
use crate::shard::Shard;
use search::find;
use spans::maximal_spans;
use weights::{span_weight, Totals};

/// The most locations reported for one span.
pub const MAX_LOCATIONS: usize = 16;
/// A span occurring more often than this across a version is common: it is reported with
/// its count, but without locations or contributions, and weighs nothing. This bounds a
/// query's work, and a span that common says little about where an output came from.
pub const COMMON_LIMIT: u64 = 4096;
/// The longest output, in bytes, a query accepts.
pub const MAX_OUTPUT_LEN: usize = 1 << 20;

/// A version of a datanet: the shards of its epoch batches, searched together.
#[derive(Debug, Default)]
pub struct Version {
    shards: Vec<Arc<Shard>>,
}

impl Version {
    /// A version of `shards`; a location's `shard` is its position here. Shards may be
    /// shared (`Arc<Shard>`), so a node keeps each opened once for every version holding it.
    pub fn new<S: Into<Arc<Shard>>>(shards: impl IntoIterator<Item = S>) -> Self {
        Version {
            shards: shards.into_iter().map(Into::into).collect(),
        }
    }

    /// Opens the shard files at `paths` as one version.
    ///
    /// # Errors
    ///
    /// As [`Shard::open`], for the first file that fails.
    pub fn open(paths: &[PathBuf]) -> Result<Self, AttributionError> {
        let shards = paths
            .iter()
            .map(|p| Shard::open(p).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Version { shards })
    }

    /// The version's shards.
    pub fn shards(&self) -> &[Arc<Shard>] {
        &self.shards
    }

    /// The maximal spans of `output` of at least `min_len` bytes that occur in the version,
    /// and the weights they give (see the crate documentation for both rules).
    ///
    /// # Errors
    ///
    /// [`AttributionError::EmptyOutput`], [`AttributionError::OutputTooLong`] past
    /// [`MAX_OUTPUT_LEN`], and [`AttributionError::ZeroMinLen`].
    pub fn query(&self, output: &str, min_len: usize) -> Result<Attribution, AttributionError> {
        if output.is_empty() {
            return Err(AttributionError::EmptyOutput);
        }
        if output.len() > MAX_OUTPUT_LEN {
            return Err(AttributionError::OutputTooLong {
                len: output.len(),
                max: MAX_OUTPUT_LEN,
            });
        }
        if min_len == 0 {
            return Err(AttributionError::ZeroMinLen);
        }
        let mut totals = Totals::default();
        let spans = maximal_spans(&self.shards, output, min_len)
            .into_iter()
            .map(|range| self.describe(output, range, &mut totals))
            .collect();
        let (contributions, contributors, total_weight) = totals.finish();
        Ok(Attribution {
            min_len,
            spans,
            contributions,
            contributors,
            total_weight,
        })
    }

    /// As [`Version::query`], for an output not yet checked to be UTF-8.
    ///
    /// # Errors
    ///
    /// [`AttributionError::InvalidUtf8`], and those of [`Version::query`].
    pub fn query_bytes(
        &self,
        output: &[u8],
        min_len: usize,
    ) -> Result<Attribution, AttributionError> {
        let output = std::str::from_utf8(output).map_err(|_| AttributionError::InvalidUtf8)?;
        self.query(output, min_len)
    }

    /// The count, locations and contributions of one span, its weight shared into `totals`.
    fn describe(&self, output: &str, range: Range<usize>, totals: &mut Totals) -> Span {
        let pattern = &output.as_bytes()[range.clone()];
        let ranks: Vec<Range<usize>> = self.shards.iter().map(|s| find(s, pattern)).collect();
        let count: u64 = ranks.iter().map(|r| r.len() as u64).sum();
        let mut span = Span {
            start: range.start,
            end: range.end,
            text: output[range.clone()].to_string(),
            count,
            common: count > COMMON_LIMIT,
            weight: 0,
            locations: Vec::new(),
            contributions: Vec::new(),
        };
        if span.common {
            return span;
        }
        let mut holders: BTreeMap<Id, Id> = BTreeMap::new();
        for (index, (shard, ranks)) in self.shards.iter().zip(ranks).enumerate() {
            let mut starts: Vec<usize> = ranks.filter_map(|rank| shard.suffix(rank)).collect();
            let mut contributions: Vec<u32> = starts
                .iter()
                .filter_map(|&start| shard.contribution_at(start))
                .collect();
            contributions.sort_unstable();
            contributions.dedup();
            for contribution in contributions {
                if let Some((id, contributor)) = shard.contribution(contribution as usize) {
                    holders.entry(id).or_insert(contributor);
                }
            }
            let wanted = MAX_LOCATIONS - span.locations.len();
            if wanted < starts.len() {
                starts.select_nth_unstable(wanted);
                starts.truncate(wanted);
            }
            starts.sort_unstable();
            for start in starts {
                let Some(place) = shard.place(start) else {
                    continue;
                };
                let Some((contribution, _)) = shard.contribution(place.contribution as usize)
                else {
                    continue;
                };
                span.locations.push(Location {
                    shard: index as u32,
                    batch: shard.batch(),
                    contribution,
                    record: place.record,
                    offset: place.offset,
                });
            }
        }
        let holders: Vec<(Id, Id)> = holders.into_iter().collect();
        if !holders.is_empty() {
            span.weight = span_weight(range.len());
            totals.share(span.weight, &holders);
        }
        span.contributions = holders.into_iter().map(|(c, _)| c).collect();
        span
    }
}

//! What a query returns: the spans an output shares with the indexed text, and the weight
//! each contribution and contributor earns from them. Serialisable as JSON, ids in hex.

use serde::{Deserialize, Serialize};

use crate::id::Id;

/// The attribution of one output to the contributions of a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The shortest span, in bytes, that was looked for.
    pub min_len: usize,
    /// The maximal spans found, by start in the output.
    pub spans: Vec<Span>,
    /// Contributions holding a weighted span, by weight descending then id ascending.
    pub contributions: Vec<ContributionWeight>,
    /// Their contributors, by weight descending then id ascending.
    pub contributors: Vec<ContributorWeight>,
    /// The weights of all spans that are not common; the contributions' weights add up to it.
    pub total_weight: u64,
}

/// One maximal span of the output that occurs in the indexed text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the span's start in the output.
    pub start: usize,
    /// Byte offset just past the span's end in the output.
    pub end: usize,
    /// The span's text.
    pub text: String,
    /// How many times it occurs across all shards.
    pub count: u64,
    /// It occurs more than [`COMMON_LIMIT`](crate::COMMON_LIMIT) times: reported with its
    /// count only, without locations or contributions, and weighing nothing.
    pub common: bool,
    /// The span's weight: the square of its length, or zero if common.
    pub weight: u64,
    /// Up to [`MAX_LOCATIONS`](crate::MAX_LOCATIONS) occurrences, by shard then text offset.
    pub locations: Vec<Location>,
    /// Every distinct contribution holding the span, by id ascending.
    pub contributions: Vec<Id>,
}

/// One occurrence of a span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The shard's position in the version.
    pub shard: u32,
    /// The shard's epoch batch.
    pub batch: u64,
    /// The contribution holding the occurrence.
    pub contribution: Id,
    /// The record's index in the contribution's payload.
    pub record: u32,
    /// Byte offset of the occurrence in the record's text.
    pub offset: u32,
}

/// The weight one contribution earns from an output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionWeight {
    /// The contribution.
    pub contribution: Id,
    /// Who contributed it.
    pub contributor: Id,
    /// Its share of the spans it holds.
    pub weight: u64,
}

/// The weight one contributor earns from an output: the sum of its contributions'.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorWeight {
    /// The contributor.
    pub contributor: Id,
    /// The sum of its contributions' weights.
    pub weight: u64,
}

//! `datanet-attribution`: which accepted contributions a model's output quotes, and how much
//! each one and its contributor weigh in it, by Infini-gram-style exact span matching.
//!
//! A node builds one [`Shard`] per final epoch batch of a datanet over the text of that
//! batch's accepted contributions ([`records`] reads the text out of a payload, a
//! [`ShardBuilder`] indexes it). A [`Version`] is a set of shards; [`Version::query`] finds
//! the maximal spans of an output that occur in any of them, where, how often, and weighs
//! the contributions that hold them.
//!
//! # Spans
//!
//! For each character boundary `i` of the output, `ℓ(i)` is the length in bytes of the
//! longest prefix of `output[i..]` that occurs in the indexed text of some shard, cut back
//! to end on a character boundary. The span `[i, i + ℓ(i))` is reported when
//! `ℓ(i) >= min_len` and it ends after the previous boundary's span does (it is not part of
//! an earlier span). Spans therefore start and end on character boundaries. Records are
//! kept apart in the index by the byte `0xFF`, which no UTF-8 text holds, so no span crosses
//! from one record into the next; record text that is not UTF-8 is not indexed.
//!
//! A span occurring more than [`COMMON_LIMIT`] times across the version is *common*: it is
//! reported with its count, but no locations or contributions, and weighs nothing. Other
//! spans list up to [`MAX_LOCATIONS`] occurrences, by shard then position in the shard's
//! text, and every distinct contribution holding them.
//!
//! # Weighting rule
//!
//! All arithmetic is on unsigned 64-bit integers, so every node gets the same numbers:
//!
//! 1. A span of `L` bytes that is not common weighs `L²`; a common span weighs 0.
//! 2. A span's weight is split among the `k` distinct contributions holding it: each gets
//!    `⌊L² / k⌋`, and the remainder `L² mod k` is given one unit at a time to the
//!    contributions in ascending id order (the first `L² mod k` of them get one more).
//! 3. A contribution's weight is the sum of its shares over all spans; a contributor's
//!    weight is the sum of its contributions' weights; the total weight is the sum of the
//!    span weights, which equals the sum of the contributions' weights.
//! 4. Contributions and contributors are listed by weight descending, then id ascending.
//!
//! Squaring makes one long quoted passage outweigh many short common phrases. Outputs are
//! at most [`MAX_OUTPUT_LEN`] (2²⁰) bytes, so no sum can overflow.
//!
//! # Shard files
//!
//! A header (magic, format version, batch, counts), the text, a 32-bit suffix array, a
//! record table, a contribution table, and a BLAKE3 hash of all of it; written to a
//! temporary file in the same folder, fsync'd, then renamed. The [`shard`] module documents
//! the layout. A damaged file fails [`Shard::open`] with [`AttributionError::Corrupt`].
//!
//! The suffix array is built by [`libsais`](https://github.com/IlyaGrebnov/libsais) through
//! the `libsais` crate, on one thread unless the builder is given more (OpenMP); it addresses at most 2³¹ − 1 text bytes, so
//! a shard holds at most [`MAX_SHARD_TEXT`] bytes and larger ones are refused with
//! [`AttributionError::ShardTooLarge`].
//!
//! ```
//! use datanet_attribution::{ContributionText, Shard, Version};
//!
//! let folder = tempfile::tempdir().unwrap();
//! let quoted = ContributionText {
//!     contribution: [1; 32],
//!     contributor: [9; 32],
//!     records: vec![(0, b"the river bends twice before the sea".to_vec())],
//! };
//! let shard = Shard::build(&folder.path().join("batch-0"), 0, &[quoted]).unwrap();
//! let version = Version::new(vec![shard]);
//! let found = version.query("as the river bends twice, we", 10).unwrap();
//! assert_eq!(found.spans[0].text, "the river bends twice");
//! assert_eq!(found.spans[0].weight, 21 * 21);
//! assert_eq!(found.contributors[0].weight, 21 * 21);
//! ```

mod attribution;
mod error;
mod id;
mod query;
pub mod records;
pub mod shard;

pub use attribution::{Attribution, ContributionWeight, ContributorWeight, Location, Span};
pub use error::AttributionError;
pub use id::Id;
pub use query::{Version, COMMON_LIMIT, MAX_LOCATIONS, MAX_OUTPUT_LEN};
pub use records::{records, TextSource};
pub use shard::{suffix_array, ContributionText, Shard, ShardBuilder, MAX_SHARD_TEXT};

//! Checks of a contribution's content, run as its payload streams in: records cut out of the
//! bytes (JSON Lines or CSV), each checked against the datanet's rules, counted, and hashed to
//! find records that repeat earlier ones.
//!
//! [`Rules`] compiles a policy once (its JSON Schema above all); [`Rules::check`] starts a
//! [`ContentCheck`] for one payload, which takes the payload in pieces cut anywhere and holds
//! at most one record at a time, plus the 32-byte hash of each record (at most the policy's
//! `max_records` of them) to find repeats when the payload ends, in memory or spilled to
//! sorted runs on disk ([`ContentCheck::spill_to`]). The verdict depends only on the
//! payload's bytes, the policy and the answers of [`SeenRecords`]: never on where the pieces
//! were cut, on timing, on spilling, or on the iteration order of a hash map.

mod checker;
mod csv_rows;
mod json_lines;
mod lines;
mod new_records;
mod parallel_lines;
mod repeats;
mod seen;
mod spill;
#[cfg(test)]
mod tests;

pub use checker::{Accepted, ContentCheck, Rules, SchemaError};
pub use new_records::{Hashes, NewRecords};
pub use seen::{record_hash, SeenRecords};

/// The most characters of a value or message quoted in a violation.
const QUOTED_CHARS: usize = 80;

/// `s`, cut to [`QUOTED_CHARS`] characters with `…` when longer.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// `s` cut as [`truncate`] does, in double quotes with Rust's escapes, so control characters
/// and quotes in data cannot garble a message.
fn quote(s: &str) -> String {
    format!("{:?}", truncate(s))
}

//! What a contribution breaks: one [`Violation`] per rule, with the reason code a validator
//! attests and a message that every node words the same way.

use datanet_protocol::signed::{ReasonCode, PPM};

/// How many failing records a [`Violation::Records`] quotes.
pub const QUOTED_FAILURES: usize = 3;

/// One record that breaks the datanet's record rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// Where it is: `line N` for JSON Lines, `row N` for CSV (the header is row 1).
    pub place: String,
    /// What is wrong with it, quoting at most a short prefix of the offending value.
    pub why: String,
}

impl std::fmt::Display for RecordFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.why)
    }
}

/// A rule of a datanet's policy that a contribution breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The media type is not one the datanet accepts.
    #[error(
        "media type {got} is not accepted: this datanet accepts {}",
        .accepted.join(", ")
    )]
    MediaType {
        /// The media types the datanet accepts.
        accepted: Vec<String>,
        /// The contribution's media type.
        got: String,
    },
    /// The payload is larger than the datanet, or one manifest, allows.
    #[error(
        "the payload is {}, over the limit of {} for contributions to this datanet",
        bytes(*.len),
        bytes(*.limit)
    )]
    TooLarge {
        /// The payload's length in bytes.
        len: u64,
        /// The largest accepted length in bytes, [`crate::size_limit`].
        limit: u64,
    },
    /// The payload has no bytes.
    #[error("the payload is empty: a contribution needs at least one byte")]
    Empty,
    /// A CSV payload's header does not name the datanet's columns.
    #[error("the CSV header does not match this datanet's columns: {why}")]
    Header {
        /// Where and how it differs.
        why: String,
    },
    /// Records break the record rules: format, schema, column types, size.
    #[error(
        "{failing} of {records} records break this datanet's record rules: {}{}",
        quote(.first),
        if *.failing as usize > .first.len() { "; …" } else { "" }
    )]
    Records {
        /// How many records the payload holds.
        records: u64,
        /// How many of them fail.
        failing: u64,
        /// The first failures, in payload order, at most [`QUOTED_FAILURES`].
        first: Vec<RecordFailure>,
    },
    /// The payload holds too few or too many records.
    #[error(
        "the payload holds {records} records; this datanet accepts {min} to {max} per contribution"
    )]
    RecordCount {
        /// How many records the payload holds.
        records: u64,
        /// The fewest accepted.
        min: u64,
        /// The most accepted.
        max: u64,
    },
    /// Too many records repeat records already in the datanet or earlier in the payload.
    #[error(
        "{repeated} of {records} records repeat a record already in this datanet or earlier in \
         the payload; at most {} may",
        ppm(*.max_ppm)
    )]
    Repeats {
        /// How many records the payload holds.
        records: u64,
        /// How many of them repeat.
        repeated: u64,
        /// The most that may, in parts per million of the records.
        max_ppm: u32,
    },
}

impl Violation {
    /// The reason code a validator attests for this violation.
    pub fn reason(&self) -> ReasonCode {
        match self {
            Violation::MediaType { .. } | Violation::Empty => ReasonCode::Format,
            Violation::TooLarge { .. } => ReasonCode::TooLarge,
            Violation::Header { .. }
            | Violation::Records { .. }
            | Violation::RecordCount { .. } => ReasonCode::Schema,
            Violation::Repeats { .. } => ReasonCode::Duplicate,
        }
    }
}

fn quote(failures: &[RecordFailure]) -> String {
    failures
        .iter()
        .map(RecordFailure::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A fraction in parts per million as a percentage, exactly: `0%`, `1.5%`, `0.0001%`.
fn ppm(parts: u32) -> String {
    let whole = parts / (PPM / 100);
    let rest = parts % (PPM / 100);
    if rest == 0 {
        return format!("{whole}%");
    }
    let digits = format!("{rest:04}");
    format!("{whole}.{}%", digits.trim_end_matches('0'))
}

/// `n` bytes for a reader: the exact count, and from 1 KiB on the size in the largest binary
/// unit it reaches, to one decimal.
fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    let Some((unit, size)) = UNITS.into_iter().find(|(_, size)| n >= *size) else {
        return format!("{n} bytes");
    };
    let tenths = (u128::from(n) * 10 + u128::from(size) / 2) / u128::from(size);
    let (whole, tenth) = (tenths / 10, tenths % 10);
    if tenth == 0 {
        format!("{n} bytes ({whole} {unit})")
    } else {
        format!("{n} bytes ({whole}.{tenth} {unit})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_largest_binary_unit_they_reach() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1023), "1023 bytes");
        assert_eq!(bytes(1024), "1024 bytes (1 KiB)");
        assert_eq!(bytes(1536), "1536 bytes (1.5 KiB)");
        assert_eq!(bytes(8 << 20), "8388608 bytes (8 MiB)");
        assert_eq!(bytes((4 << 30) + 1), "4294967297 bytes (4 GiB)");
        assert_eq!(bytes(u64::MAX), "18446744073709551615 bytes (16777216 TiB)");
    }

    #[test]
    fn fractions_read_as_exact_percentages() {
        assert_eq!(ppm(0), "0%");
        assert_eq!(ppm(10_000), "1%");
        assert_eq!(ppm(15_000), "1.5%");
        assert_eq!(ppm(1), "0.0001%");
        assert_eq!(ppm(PPM), "100%");
    }
}

//! The one error type of this crate: what can go wrong building, opening or querying an index.

use std::io;
use std::path::PathBuf;

/// Why building, opening or querying an attribution index failed.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    /// Reading or writing a shard file failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A shard file is damaged, truncated or not a shard at all: the caller should rebuild it.
    #[error("shard {path} is corrupt: {reason}")]
    Corrupt {
        /// The shard file.
        path: PathBuf,
        /// What check failed.
        reason: String,
    },
    /// A shard would hold more text than its 32-bit suffix array can address.
    #[error("shard text of {len} bytes exceeds the limit of {max} bytes")]
    ShardTooLarge {
        /// The text length the shard would have had.
        len: u64,
        /// The most text bytes one shard may hold.
        max: u64,
    },
    /// A record was added before any contribution to hold it.
    #[error("a record was added before its contribution")]
    NoContribution,
    /// The suffix array library refused the text.
    #[error("suffix array construction failed: {0}")]
    SuffixArray(String),
    /// A query was made with an empty output.
    #[error("the output to attribute is empty")]
    EmptyOutput,
    /// A query was made with an output longer than [`crate::MAX_OUTPUT_LEN`].
    #[error("the output to attribute is {len} bytes, more than the limit of {max}")]
    OutputTooLong {
        /// The output's length in bytes.
        len: usize,
        /// The longest output a query accepts.
        max: usize,
    },
    /// A query's output bytes are not UTF-8.
    #[error("the output to attribute is not valid UTF-8")]
    InvalidUtf8,
    /// A query was made with a minimum span length of zero.
    #[error("the minimum span length must be at least one byte")]
    ZeroMinLen,
}

impl AttributionError {
    /// An [`AttributionError::Io`] on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        AttributionError::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`AttributionError::Corrupt`] on `path` for `reason`.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        AttributionError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

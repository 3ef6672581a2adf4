//! The store's error type: every failure is typed, so callers can tell a full disk from a
//! corrupted record from a bug.

use std::io;

use datanet_protocol::encoding::DecodeError;

/// Why a store operation failed. A failed write changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk is full (ENOSPC); free space and retry.
    #[error("disk full while {context}")]
    DiskFull {
        /// What the store was doing.
        context: String,
    },
    /// The home folder or a file in it cannot be written (permissions or a read-only mount).
    #[error("not writable while {context}: {source}")]
    NotWritable {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Any other I/O error.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Stored bytes no longer match their content address or commitment. They are never
    /// returned; a corrupted chunk or column is also listed for repair.
    #[error("corrupted {what}")]
    Corrupted {
        /// Which record.
        what: String,
    },
    /// A stored record does not decode.
    #[error("stored {what} does not decode: {source}")]
    Decode {
        /// Which record.
        what: String,
        /// The decoding error.
        source: DecodeError,
    },
    /// The store was written by a newer version of datanet.
    #[error("store format version {found} is newer than this build supports ({supported}); upgrade datanet to open it")]
    NewerFormat {
        /// The version on disk.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The store holds datanet records of an older encoding version, which no migration can
    /// rewrite because their owners signed their bytes.
    #[error(
        "the store holds datanet records of an older encoding version ({}), which this build \
         cannot read; a signed record cannot be re-encoded, so the store is left as it was: open \
         it with the build that wrote it, or start a new home and have each owner create the \
         datanet again",
        .ids.join(", ")
    )]
    OldDatanetRecords {
        /// The ids of the old records, in hex.
        ids: Vec<String>,
    },
    /// The store holds data but no format version: it is not a datanet store.
    #[error("the folder holds data that is not a datanet store")]
    NotAStore,
    /// Input was refused before anything was written.
    #[error("refused: {0}")]
    Invalid(String),
    /// A record conflicts with one already stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database engine reported an error of its own.
    #[error("database error: {0}")]
    Engine(String),
    /// The blocking worker running a store call stopped.
    #[error("store worker stopped: {0}")]
    WorkerDied(String),
}

impl StoreError {
    /// Classifies an I/O error, so a full disk and a permission problem get their own variants.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        const ENOSPC: i32 = 28;
        const EDQUOT: i32 = 122;
        const EROFS: i32 = 30;
        match (source.kind(), source.raw_os_error()) {
            (io::ErrorKind::StorageFull, _) | (_, Some(ENOSPC | EDQUOT)) => {
                StoreError::DiskFull { context }
            }
            (io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem, _)
            | (_, Some(EROFS)) => StoreError::NotWritable { context, source },
            _ => StoreError::Io { context, source },
        }
    }

    /// Classifies a sled error.
    pub(crate) fn sled(context: impl Into<String>, error: sled::Error) -> Self {
        match error {
            sled::Error::Io(source) => StoreError::io(context, source),
            sled::Error::Corruption { .. } => StoreError::Corrupted {
                what: format!("database ({})", context.into()),
            },
            other => StoreError::Engine(format!("{}: {other}", context.into())),
        }
    }

    /// A record that does not decode.
    pub(crate) fn decode(what: impl Into<String>, source: DecodeError) -> Self {
        StoreError::Decode {
            what: what.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_values_map_to_their_variants() {
        let err = |code| StoreError::io("writing", io::Error::from_raw_os_error(code));
        assert!(matches!(err(28), StoreError::DiskFull { .. }));
        assert!(matches!(err(13), StoreError::NotWritable { .. }));
        assert!(matches!(err(30), StoreError::NotWritable { .. }));
        assert!(matches!(err(5), StoreError::Io { .. }));
    }
}

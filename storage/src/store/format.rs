//! The store format version, the refusal to open a newer one, and the migration hook that
//! upgrades an older one step by step.

use std::collections::BTreeMap;

use datanet_protocol::encoding::Decode;
use datanet_protocol::signed::DATANET_VERSION;
use datanet_protocol::{DaRoot, Manifest};

use super::columns::{write_columns, StoredColumn};
use super::contributions::listed_key;
use super::records::migrate_record_keys;
use crate::backend::{Backend, Op};
use crate::keys::{column_of_key, key, Kind};
use crate::{Store, StoreError};

/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 6;

/// One upgrade step from format `from` to `from + 1`, applied before the store is used.
#[derive(Clone, Copy)]
pub struct Migration {
    /// The version this step upgrades from.
    pub from: u32,
    /// The step: returns the ops to commit atomically with the new version number.
    pub run: fn(&dyn Backend) -> Result<Vec<Op>, StoreError>,
}

/// The migrations of this build: format 1 to 2 moves column shares out of their records
/// into one blob per square; format 2 to 3 rewrites nothing (format 3 writes column records
/// without their axis path and still reads the format-2 ones that have it) and exists so
/// that a build that only knows format 2 refuses the store instead of finding records it
/// cannot read; format 3 to 4 indexes every stored contribution under its datanet; format 4
/// to 5 holds datanet records of encoding version 2 only, and refuses a store with an older
/// one ([`check_datanet_versions`]); format 5 to 6 moves each datanet's record index from one
/// key per record into runs ([`migrate_record_keys`]).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        from: 1,
        run: migrate_inline_columns,
    },
    Migration {
        from: 2,
        run: |_| Ok(Vec::new()),
    },
    Migration {
        from: 3,
        run: index_contributions,
    },
    Migration {
        from: 4,
        run: check_datanet_versions,
    },
    Migration {
        from: 5,
        run: migrate_record_keys,
    },
];

/// Format 5 holds datanet records of the version this build reads. An older record is signed
/// by its owner over its own bytes, so no migration can rewrite it into the new layout: a
/// store holding one is refused, naming the datanets, and stays at format 4 for the build that
/// wrote it.
fn check_datanet_versions(backend: &dyn Backend) -> Result<Vec<Op>, StoreError> {
    let prefix = key(Kind::Datanet, &[]);
    let old: Vec<String> = backend
        .scan(&prefix)?
        .into_iter()
        .filter(|(_, bytes)| bytes.first() != Some(&DATANET_VERSION))
        .map(|(k, _)| {
            k[prefix.len()..]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    if old.is_empty() {
        return Ok(Vec::new());
    }
    Err(StoreError::OldDatanetRecords { ids: old })
}

/// Format 4 lists each contribution under its datanet (see [`Kind::Listed`]).
fn index_contributions(backend: &dyn Backend) -> Result<Vec<Op>, StoreError> {
    backend
        .scan(&key(Kind::Manifest, &[]))?
        .into_iter()
        .map(|(_, bytes)| {
            let manifest =
                Manifest::from_bytes(&bytes).map_err(|e| StoreError::decode("manifest", e))?;
            Ok(Op::Put(
                listed_key(&manifest.body().datanet, &manifest.id()),
                Vec::new(),
            ))
        })
        .collect()
}

/// Format 1 kept each column's shares inline in its record; format 2 moves them into one blob
/// per square.
fn migrate_inline_columns(backend: &dyn Backend) -> Result<Vec<Op>, StoreError> {
    let mut squares: BTreeMap<DaRoot, Vec<StoredColumn<'static>>> = BTreeMap::new();
    for (k, v) in backend.scan(&key(Kind::Column, &[]))? {
        let Some((root, index)) = column_of_key(&k) else {
            continue;
        };
        let column = StoredColumn::from_inline_record(&v).map_err(|_| StoreError::Corrupted {
            what: format!("format-1 column {index} of {root}"),
        })?;
        squares.entry(root).or_default().push(column);
    }
    let mut ops = Vec::new();
    for (root, columns) in squares {
        ops.extend(write_columns(backend, &root, columns)?);
    }
    Ok(ops)
}

fn version_key() -> Vec<u8> {
    key(Kind::Format, &[])
}

/// Checks the stored version: writes it into an empty store, refuses a newer one, and runs
/// `migrations` in order on an older one, each atomically with its version bump.
pub(crate) fn open_format(store: &Store, migrations: &[Migration]) -> Result<(), StoreError> {
    let backend = store.backend.as_ref();
    let found = match backend.get(&version_key())? {
        Some(bytes) => {
            let raw: [u8; 4] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::NotAStore)?;
            u32::from_be_bytes(raw)
        }
        None if backend.scan(&[])?.is_empty() && backend.blob_ids()?.is_empty() => {
            return backend.commit(vec![Op::Put(
                version_key(),
                FORMAT_VERSION.to_be_bytes().to_vec(),
            )]);
        }
        None => return Err(StoreError::NotAStore),
    };
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            found,
            supported: FORMAT_VERSION,
        });
    }
    for version in found..FORMAT_VERSION {
        let step = migrations
            .iter()
            .find(|m| m.from == version)
            .ok_or_else(|| StoreError::Engine(format!("no migration from format {version}")))?;
        let mut ops = (step.run)(backend)?;
        ops.push(Op::Put(version_key(), (version + 1).to_be_bytes().to_vec()));
        backend.commit(ops)?;
    }
    Ok(())
}

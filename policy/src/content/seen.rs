//! The records a datanet already holds, as the checker asks about them, and the hash that
//! names a record.

use std::collections::{BTreeSet, HashSet};

use datanet_protocol::hash::{hash, Domain, Hash};

/// The hashes of the records already accepted in a datanet. A node implements it over its
/// per-datanet record index; the checker only asks whether a hash is there.
pub trait SeenRecords {
    /// Whether a record with this hash ([`record_hash`]) was already accepted.
    fn contains(&self, record: &Hash) -> bool;
}

impl SeenRecords for BTreeSet<Hash> {
    fn contains(&self, record: &Hash) -> bool {
        BTreeSet::contains(self, record)
    }
}

impl SeenRecords for HashSet<Hash> {
    fn contains(&self, record: &Hash) -> bool {
        HashSet::contains(self, record)
    }
}

/// The hash of a record's bytes, in the `Record` domain. A JSON line's record bytes are the
/// line without its terminator; a CSV row's are described in the CSV reader (each value
/// preceded by its 4-byte big-endian length).
pub fn record_hash(record: &[u8]) -> Hash {
    hash(Domain::Record, record)
}

//! The key layout: one prefix byte per kind of record, then that record's fixed-width id
//! parts, so a prefix scan lists one kind (or one contribution's part of it) in order.

use datanet_protocol::hash::HASH_LEN;
use datanet_protocol::{DaRoot, Hash};

/// The kinds of record, each with its own key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The store format version.
    Format = b'V' as isize,
    /// Datanet records, by datanet id.
    Datanet = b'D' as isize,
    /// Signed manifests, by contribution id.
    Manifest = b'M' as isize,
    /// Retention pins, by contribution id.
    Pin = b'P' as isize,
    /// Square headers, by DA root.
    Header = b'H' as isize,
    /// Custodied columns, by DA root and column index.
    Column = b'C' as isize,
    /// Chunks written but not yet part of a stored contribution, by chunk id.
    Staged = b'K' as isize,
    /// Attestations, by contribution id and validator key: each validator's first.
    Attestation = b'A' as isize,
    /// Evidence of equivocation, by contribution id and validator key: the first attestation
    /// and a different one the same validator signed.
    Evidence = b'Z' as isize,
    /// Contributions this node's validator accepted whose records are still to be added to
    /// the record index, by contribution id, with the datanet id.
    RecordsOwed = b'O' as isize,
    /// This node's validator's votes, by datanet id and epoch: the root it signed, recorded
    /// before the vote is sent so that it never signs two.
    Vote = b'W' as isize,
    /// Quorum certificates, by contribution id.
    Certificate = b'Q' as isize,
    /// The accepted contribution of each payload, by datanet id and payload hash: what an
    /// exact duplicate is checked against.
    AcceptedPayload = b'Y' as isize,
    /// Final epoch batches, by datanet id and epoch.
    Batch = b'B' as isize,
    /// The epoch each batched contribution went into, by contribution id.
    Batched = b'J' as isize,
    /// Anchors, queued or confirmed, by datanet id and epoch.
    Anchor = b'N' as isize,
    /// The contributions of each datanet, by datanet id and contribution id (no value): the
    /// index a listing pages through.
    Listed = b'L' as isize,
    /// The peer book, by peer id.
    Peer = b'S' as isize,
    /// Records found corrupted, awaiting repair.
    Repair = b'R' as isize,
    /// Squares proven badly encoded, by DA root, with the fraud proof.
    Invalid = b'X' as isize,
    /// The records accepted in each datanet, by datanet id and record hash (no value): the
    /// record index of store format 5, moved into runs ([`Kind::RecordRun`]) by format 6.
    Record = b'E' as isize,
    /// The runs of each datanet's record index, by datanet id and run number: the run's
    /// length and fences; its hashes are in a blob. The index the content checker asks
    /// whether a record repeats an earlier one.
    RecordRun = b'G' as isize,
    /// The validator sets a chain gave each datanet, by datanet id and the epoch each
    /// applies from.
    ChainSet = b'T' as isize,
    /// Model records, by model id.
    Model = b'I' as isize,
    /// Attribution records with their outputs, recomputed here, by datanet and record id.
    Attribution = b'U' as isize,
}

/// The key of a record: its kind's prefix, then each part in order.
pub(crate) fn key(kind: Kind, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    key.push(kind as u8);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// The parts of a key, after its kind's prefix.
pub(crate) fn parts(key: &[u8]) -> &[u8] {
    key.get(1..).unwrap_or_default()
}

/// The 32-byte id a key's parts begin with: the DA root of a header or column key, the chunk
/// id of a staged key; `None` for a key too short to hold one.
pub(crate) fn leading_hash(key: &[u8]) -> Option<Hash> {
    Some(Hash(parts(key).get(..HASH_LEN)?.try_into().ok()?))
}

/// The key of column `index` of the square under `root`.
pub(crate) fn column_key(root: &DaRoot, index: u16) -> Vec<u8> {
    key(Kind::Column, &[&root.0 .0, &index.to_be_bytes()])
}

/// The DA root and column index a column key names; `None` for a key of another shape.
pub(crate) fn column_of_key(key: &[u8]) -> Option<(DaRoot, u16)> {
    let root = leading_hash(key)?;
    let index = parts(key).get(HASH_LEN..)?.try_into().ok()?;
    Some((DaRoot(root), u16::from_be_bytes(index)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_key_names_its_root_and_index_and_other_shapes_name_none() {
        let root = DaRoot(Hash([7; 32]));
        let k = column_key(&root, 300);
        assert_eq!(column_of_key(&k), Some((root, 300)));
        assert_eq!(leading_hash(&k), Some(root.0));
        assert_eq!(column_of_key(&k[..34]), None);
        assert_eq!(column_of_key(&[k.as_slice(), &[0]].concat()), None);
        assert_eq!(leading_hash(&k[..32]), None);
        assert_eq!(parts(&[]), &[] as &[u8]);
    }
}

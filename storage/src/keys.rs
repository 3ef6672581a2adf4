//! The key layout: one prefix byte per kind of record, then that record's fixed-width id
//! parts, so a prefix scan lists one kind (or one contribution's part of it) in order.

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
    /// Attestations, by contribution id and validator key.
    Attestation = b'A' as isize,
    /// Quorum certificates, by contribution id.
    Certificate = b'Q' as isize,
    /// Epoch batches, by datanet id and epoch.
    Batch = b'B' as isize,
    /// Anchors, queued or confirmed, by datanet id and epoch.
    Anchor = b'N' as isize,
    /// The peer book, by peer id.
    Peer = b'S' as isize,
    /// Records found corrupted, awaiting repair.
    Repair = b'R' as isize,
    /// Squares proven badly encoded, by DA root, with the fraud proof.
    Invalid = b'X' as isize,
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

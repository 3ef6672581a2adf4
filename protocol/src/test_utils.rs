//! Fixtures for tests of this crate and of the crates built on it (with the `test-utils`
//! feature): a signed sample contribution with everything a node stores for it, a manifest
//! body with the fields a test does not care about filled in, squares whose DA root commits
//! to a bad encoding, a validator set and a model record.
//!
//! Fixtures are deterministic, and panic on input no test should give them (see each
//! `# Panics`) rather than return errors a test would only unwrap.

#![allow(clippy::expect_used)]

use crate::chunking;
use crate::codec::CodecId;
use crate::hash::{hash, Domain};
use crate::ids::{DaRoot, DatanetId};
use crate::signed::{ChunkEntry, Manifest, ManifestBody, PublicKey, SecretKey};
use crate::square::{ExtendedSquare, Line, SquareHeader, SHARE_SIZE};

/// A contribution with everything a node stores for it.
#[derive(Debug, Clone)]
pub struct SampleContribution {
    /// The signed manifest.
    pub manifest: Manifest,
    /// The header of each chunk's square, in order.
    pub headers: Vec<SquareHeader>,
    /// Every column of every chunk's square, with that square's DA root.
    pub columns: Vec<(DaRoot, Line)>,
    /// The chunk bytes, in order.
    pub chunks: Vec<Vec<u8>>,
}

/// A contribution of `len` deterministic bytes signed by the key of seed `[seed; 32]`, its
/// squares under [`CodecId::RsLeopard`]; the payload and the manifest differ for each
/// `(seed, nonce)`, and the other fields are those of [`manifest_body`].
///
/// # Panics
/// When `len` is over [`crate::signed::MAX_CONTRIBUTION_BYTES`].
pub fn sample_contribution(seed: u8, nonce: u64, len: usize) -> SampleContribution {
    let key = SecretKey::from_seed([seed; 32]);
    let payload: Vec<u8> = (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(nonce | 1)
                .wrapping_add(u64::from(seed)) as u8
        })
        .collect();
    let chunks: Vec<Vec<u8>> = chunking::chunks(&payload).map(<[u8]>::to_vec).collect();
    let squares: Vec<ExtendedSquare> = chunks
        .iter()
        .map(|c| ExtendedSquare::encode(c, CodecId::RsLeopard).expect("a chunk fits a square"))
        .collect();
    let entries = chunks
        .iter()
        .zip(&squares)
        .map(|(c, s)| ChunkEntry::new(c, s))
        .collect();
    let body = ManifestBody {
        nonce,
        ..manifest_body(key.public(), &payload, entries)
    };
    let columns = squares
        .iter()
        .flat_map(|s| {
            (0..s.params().width())
                .map(move |c| (s.da_root(), s.column(c).expect("a column of the square")))
        })
        .collect();
    SampleContribution {
        manifest: Manifest::sign(body, &key).expect("a sample manifest within the bounds"),
        headers: squares.iter().map(ExtendedSquare::header).collect(),
        columns,
        chunks,
    }
}

/// The body of a manifest by `contributor` for `payload`, listing `chunks`: length and hash
/// are the payload's; the datanet is a fixed sample one, the media type
/// `application/octet-stream`, the codec [`CodecId::RsLeopard`], with no metadata, timestamp
/// 1 and nonce 0. Change a field with struct update syntax.
pub fn manifest_body(
    contributor: PublicKey,
    payload: &[u8],
    chunks: Vec<ChunkEntry>,
) -> ManifestBody {
    ManifestBody {
        datanet: DatanetId(hash(Domain::Datanet, b"sample datanet")),
        contributor,
        payload_len: payload.len() as u64,
        payload_hash: hash(Domain::Payload, payload),
        media_type: "application/octet-stream".into(),
        codec: CodecId::RsLeopard,
        chunks,
        metadata: Vec::new(),
        timestamp_ms: 1,
        nonce: 0,
    }
}

/// What was done to a correctly encoded square to make it mis-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Share `(row, col)` altered after extension: neither its row nor its column is a
    /// codeword.
    Share {
        /// The altered share's row.
        row: usize,
        /// The altered share's column.
        col: usize,
    },
    /// Share `(row, col)`, with `row` in the top half, altered and then column `col`
    /// extended again from its altered top half: every column is a codeword, so custodians
    /// of columns accept each, and only rows (row `row` and the bottom half's) are not.
    RowsOnly {
        /// The altered share's row, below `k`.
        row: usize,
        /// The altered share's column.
        col: usize,
    },
}

/// `good` with `fault` made in it, committed as it then is: a square under a DA root that
/// commits to an encoding of no chunk, which a bad-encoding fraud proof shows.
///
/// # Panics
/// When the share is outside the square, or a [`Fault::RowsOnly`] row is not below `k`.
pub fn mis_encoded_square(good: &ExtendedSquare, fault: Fault) -> ExtendedSquare {
    let params = *good.params();
    let (k, width) = (params.k(), params.width());
    let mut rows: Vec<Vec<u8>> = (0..width)
        .map(|r| good.row(r).expect("a row of the square").shares)
        .collect();
    let (Fault::Share { row, col } | Fault::RowsOnly { row, col }) = fault;
    let share = col * SHARE_SIZE..(col + 1) * SHARE_SIZE;
    rows[row][share.start] ^= 0xff;
    if matches!(fault, Fault::RowsOnly { .. }) {
        assert!(
            row < k,
            "row {row} is not in the top half of a k = {k} square"
        );
        let top: Vec<&[u8]> = rows[..k].iter().map(|r| &r[share.clone()]).collect();
        let mut bottom = vec![vec![0u8; SHARE_SIZE]; k];
        let mut recovery: Vec<&mut [u8]> = bottom.iter_mut().map(Vec::as_mut_slice).collect();
        params
            .codec
            .code()
            .encode(&top, &mut recovery)
            .expect("k shares of one column extend");
        for (r, extended) in bottom.iter().enumerate() {
            rows[k + r][share.clone()].copy_from_slice(extended);
        }
    }
    ExtendedSquare::from_shares_unchecked(params, rows.concat()).expect("a whole square")
}

/// The validator set of `keys`, each with stake 10, and the default two-thirds threshold.
///
/// # Panics
/// When `keys` is empty or repeats a key.
pub fn equal_set(keys: &[SecretKey]) -> crate::ValidatorSet {
    let validators = keys
        .iter()
        .map(|k| crate::signed::Validator {
            key: k.public(),
            stake: 10,
        })
        .collect();
    crate::ValidatorSet::new(validators, crate::signed::Threshold::TWO_THIRDS)
        .expect("distinct keys make a set")
}

/// A model record operated by `operator`, trained on `version` alone, with no weights hash
/// and no adapter.
///
/// # Panics
/// Never: the record is valid by construction.
pub fn sample_model(
    operator: &SecretKey,
    version: crate::signed::TrainedOn,
) -> crate::signed::ModelRecord {
    let body = crate::signed::ModelBody {
        name: "sample-model".into(),
        base_model: "base".into(),
        weights: None,
        versions: vec![version],
        adapter: None,
        operator: operator.public(),
        created_ms: 1,
        nonce: 1,
    };
    crate::signed::ModelRecord::sign(body, operator).expect("a valid model record")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_contribution_verifies_and_differs_by_seed_and_nonce() {
        let s = sample_contribution(3, 9, chunking::MAX_CHUNK_LEN + 10);
        s.manifest.verify().unwrap();
        s.manifest.body().validate().unwrap();
        assert_eq!(s.chunks.len(), 2);
        assert_eq!(s.headers.len(), 2);
        let widths: usize = s.headers.iter().map(|h| h.params.width()).sum();
        assert_eq!(s.columns.len(), widths);
        for (root, line) in &s.columns {
            line.verify(root).unwrap();
        }
        let id = |seed, nonce| sample_contribution(seed, nonce, 100).manifest.id();
        assert_eq!(id(1, 1), id(1, 1));
        assert_ne!(id(1, 1), id(2, 1));
        assert_ne!(id(1, 1), id(1, 2));
    }

    #[test]
    fn a_mis_encoded_square_breaks_the_lines_its_fault_says() {
        for codec in CodecId::ALL {
            let good = ExtendedSquare::encode(&[3u8; 20_000], codec).unwrap();
            let width = good.params().width();
            let codewords = |square: &ExtendedSquare, axis| {
                (0..width)
                    .filter(|&i| square.line(axis, i).unwrap().is_codeword().unwrap())
                    .count()
            };
            let bad = mis_encoded_square(&good, Fault::Share { row: 1, col: 2 });
            assert_ne!(bad.da_root(), good.da_root());
            assert!(!bad.row(1).unwrap().is_codeword().unwrap());
            assert!(!bad.column(2).unwrap().is_codeword().unwrap());
            assert_eq!(codewords(&bad, crate::Axis::Row), width - 1);

            let hidden = mis_encoded_square(&good, Fault::RowsOnly { row: 1, col: 2 });
            assert_eq!(codewords(&hidden, crate::Axis::Col), width);
            assert!(!hidden.row(1).unwrap().is_codeword().unwrap());
        }
    }
}

//! Tests of shard files: identical rebuilds, corruption detection, record lookup.

use super::*;

fn sample() -> Vec<ContributionText> {
    vec![
        ContributionText {
            contribution: [1; 32],
            contributor: [7; 32],
            records: vec![(0, b"alpha beta".to_vec()), (2, b"gamma".to_vec())],
        },
        ContributionText {
            contribution: [2; 32],
            contributor: [8; 32],
            records: vec![
                (0, b"".to_vec()),
                (1, b"\xffbad".to_vec()),
                (3, b"delta".to_vec()),
            ],
        },
    ]
}

#[test]
fn building_twice_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    Shard::build(&a, 3, &sample()).unwrap();
    Shard::build(&b, 3, &sample()).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary file is left behind");
}

#[test]
fn opened_shard_holds_the_records_in_order_and_skips_bad_text() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::build(&dir.path().join("s"), 3, &sample()).unwrap();
    assert_eq!(shard.batch(), 3);
    assert_eq!(shard.text(), b"alpha beta\xffgamma\xffdelta\xff");
    assert_eq!(shard.record_count(), 3);
    assert_eq!(shard.contribution_count(), 2);
    assert_eq!(shard.contribution(1), Some((Id([2; 32]), Id([8; 32]))));
    assert_eq!(shard.contribution(2), None);
    let place = |record, contribution, offset| {
        Some(Place {
            record,
            contribution,
            offset,
        })
    };
    assert_eq!(shard.place(6), place(0, 0, 6));
    assert_eq!(shard.place(11), place(2, 0, 0));
    assert_eq!(shard.place(21), place(3, 1, 4));
    assert_eq!(shard.place(10), None, "a separator is in no record");
    assert_eq!(shard.contribution_at(6), Some(0));
    assert_eq!(shard.contribution_at(21), Some(1));
    let mut suffixes: Vec<usize> = (0..shard.text_len())
        .map(|r| shard.suffix(r).unwrap())
        .collect();
    assert!(suffixes
        .windows(2)
        .all(|w| shard.text()[w[0]..] < shard.text()[w[1]..]));
    suffixes.sort_unstable();
    assert_eq!(suffixes, (0..shard.text_len()).collect::<Vec<_>>());
}

#[test]
fn every_flipped_byte_and_every_truncation_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    Shard::build(&good, 3, &sample()).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad");
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80] {
            let mut damaged = bytes.clone();
            damaged[i] ^= flip;
            std::fs::write(&bad, &damaged).unwrap();
            let result = Shard::open(&bad);
            assert!(
                matches!(result, Err(AttributionError::Corrupt { .. })),
                "byte {i} flipped by {flip:#x} gave {result:?}"
            );
        }
    }
    for len in 0..bytes.len() {
        std::fs::write(&bad, &bytes[..len]).unwrap();
        let result = Shard::open(&bad);
        assert!(
            matches!(result, Err(AttributionError::Corrupt { .. })),
            "truncated to {len} bytes gave {result:?}"
        );
    }
}

#[test]
fn a_forged_hash_over_a_bad_record_table_is_still_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let shard = Shard::build(&path, 3, &sample()).unwrap();
    let records_at = shard.layout.records;
    drop(shard);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[records_at + 12] = 9; // first record's contribution index
    let body_len = bytes.len() - HASH_LEN;
    let hash = blake3::hash(&bytes[..body_len]);
    bytes[body_len..].copy_from_slice(hash.as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let result = Shard::open(&path);
    assert!(
        matches!(result, Err(AttributionError::Corrupt { .. })),
        "{result:?}"
    );
}

#[test]
fn empty_shard_builds_and_opens() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::build(&dir.path().join("e"), 0, &[]).unwrap();
    assert_eq!(shard.text_len(), 0);
    assert_eq!(shard.place(0), None);
    assert_eq!(shard.suffix(0), None);
}

#[test]
fn a_record_before_any_contribution_is_refused() {
    let mut builder = ShardBuilder::new(0);
    assert!(matches!(
        builder.add_record(0, b"text"),
        Err(AttributionError::NoContribution)
    ));
}

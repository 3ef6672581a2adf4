//! Query behaviour on hand-made corpora: refused inputs, common spans, record boundaries,
//! and the JSON form of an attribution.

#![allow(
    clippy::unwrap_used,
    reason = "test setup: a failure is a test failure"
)]

use datanet_attribution::{
    Attribution, AttributionError, ContributionText, Shard, Version, COMMON_LIMIT, MAX_OUTPUT_LEN,
};

fn one_shard(records: Vec<&str>) -> (tempfile::TempDir, Version) {
    let dir = tempfile::tempdir().unwrap();
    let contribution = ContributionText {
        contribution: [1; 32],
        contributor: [2; 32],
        records: records
            .into_iter()
            .enumerate()
            .map(|(i, t)| (i as u32, t.as_bytes().to_vec()))
            .collect(),
    };
    let shard = Shard::build(&dir.path().join("s"), 0, &[contribution]).unwrap();
    (dir, Version::new(vec![shard]))
}

#[test]
fn bad_queries_are_refused() {
    let (_dir, version) = one_shard(vec!["some text"]);
    assert!(matches!(
        version.query("", 3),
        Err(AttributionError::EmptyOutput)
    ));
    assert!(matches!(
        version.query("text", 0),
        Err(AttributionError::ZeroMinLen)
    ));
    assert!(matches!(
        version.query_bytes(b"te\xffxt", 3),
        Err(AttributionError::InvalidUtf8)
    ));
    let long = "a".repeat(MAX_OUTPUT_LEN + 1);
    assert!(matches!(
        version.query(&long, 3),
        Err(AttributionError::OutputTooLong { .. })
    ));
    assert_eq!(version.query_bytes(b"text", 3).unwrap().spans.len(), 1);
}

#[test]
fn a_span_past_the_common_limit_is_counted_but_weighs_nothing() {
    let many = "ab".repeat(COMMON_LIMIT as usize + 10);
    let (_dir, version) = one_shard(vec![&many, "xyz rare"]);
    let got = version.query("abab|xyz rare", 4).unwrap();
    assert_eq!(got.spans.len(), 2);
    let common = &got.spans[0];
    assert_eq!(common.text, "abab");
    assert!(common.common);
    assert_eq!(common.count, COMMON_LIMIT + 10 - 1);
    assert_eq!((common.weight, common.locations.len()), (0, 0));
    assert!(common.contributions.is_empty());
    assert!(!got.spans[1].common);
    assert_eq!(got.total_weight, 8 * 8);
}

#[test]
fn spans_do_not_cross_records() {
    let (_dir, version) = one_shard(vec!["hello", "world"]);
    let got = version.query("helloworld", 3).unwrap();
    let texts: Vec<&str> = got.spans.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, vec!["hello", "world"]);
}

#[test]
fn spans_end_on_character_boundaries() {
    let (_dir, version) = one_shard(vec!["café"]);
    // 'é' is 0xC3 0xA9, 'è' is 0xC3 0xA8: the shared byte 0xC3 is not reported.
    let got = version.query("cafè", 1).unwrap();
    assert_eq!(got.spans[0].text, "caf");
}

#[test]
fn attribution_json_round_trips_with_hex_ids() {
    let (_dir, version) = one_shard(vec!["a quoted passage"]);
    let got = version.query("the quoted passage", 5).unwrap();
    let json = serde_json::to_string(&got).unwrap();
    assert!(json.contains(&"01".repeat(32)));
    assert!(json.contains(&format!("\"contributor\":\"{}\"", "02".repeat(32))));
    assert_eq!(serde_json::from_str::<Attribution>(&json).unwrap(), got);
}

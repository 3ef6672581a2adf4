//! The checker's rules, one table row per case, and the property that any cutting of a
//! payload into pieces gives the same verdict.

use std::collections::BTreeSet;

use datanet_protocol::hash::Hash;
use datanet_protocol::signed::{Column, ColumnType, Policy, RecordFormat, RecordRules};
use proptest::prelude::*;

use super::{record_hash, Rules};
use crate::{Violation, QUOTED_FAILURES};

/// What an accepted payload holds, its new records read into memory, to compare verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    records: u64,
    repeats: u64,
    new_records: Vec<Hash>,
}

fn jsonl(change: impl FnOnce(&mut RecordRules)) -> Policy {
    let mut rules = RecordRules::new(RecordFormat::JsonLines {
        schema: r#"{"type":"object","required":["q"],"properties":{"q":{"type":"string"}}}"#.into(),
    });
    change(&mut rules);
    Policy {
        records: Some(rules),
        max_contribution_bytes: 1 << 20,
        ..Policy::default()
    }
}

fn csv(change: impl FnOnce(&mut RecordRules)) -> Policy {
    let columns = [
        ("id", ColumnType::Integer),
        ("text", ColumnType::String),
        ("score", ColumnType::Number),
        ("ok", ColumnType::Boolean),
    ]
    .map(|(name, kind)| Column {
        name: name.into(),
        kind,
    })
    .to_vec();
    let mut rules = RecordRules::new(RecordFormat::Csv { columns });
    change(&mut rules);
    Policy {
        records: Some(rules),
        ..Policy::default()
    }
}

fn check_in(
    policy: &Policy,
    seen: &BTreeSet<Hash>,
    pieces: &[&[u8]],
) -> Result<Checked, Violation> {
    let rules = Rules::new(policy).unwrap();
    let mut check = rules.check(seen);
    for piece in pieces {
        check.feed(piece);
    }
    check.finish().unwrap().map(|accepted| Checked {
        records: accepted.records,
        repeats: accepted.repeats,
        new_records: accepted.new_records.into_vec().unwrap(),
    })
}

fn check(policy: &Policy, payload: &[u8]) -> Result<Checked, Violation> {
    check_in(policy, &BTreeSet::new(), &[payload])
}

/// The verdict's message, or `ok N` for an accepted payload of N records.
fn verdict(policy: &Policy, payload: &[u8]) -> String {
    match check(policy, payload) {
        Ok(accepted) => format!("ok {}", accepted.records),
        Err(violation) => violation.to_string(),
    }
}

#[test]
fn json_lines_rules() {
    let p = jsonl(|_| {});
    let cases: &[(&[u8], &str)] = &[
        (b"{\"q\":\"a\"}\n{\"q\":\"b\"}\n", "ok 2"),
        (b"{\"q\":\"a\"}\r\n{\"q\":\"b\"}", "ok 2"),
        (b"", "the payload is empty: a contribution needs at least one byte"),
        (
            b"{\"q\":\"a\"}\n[1]\n",
            "1 of 2 records break this datanet's record rules: line 2: not a JSON object but an array",
        ),
        (
            b"{\"q\":\"\xc3\"}\n",
            "1 of 1 records break this datanet's record rules: line 1: not valid UTF-8 (byte 7 of the record)",
        ),
        (
            b"{\"q\":1}\n{}\n{\"q\":\n\n{\"q\":\"ok\"}\n",
            "4 of 5 records break this datanet's record rules: line 1: at /q: 1 is not of type \"string\"; \
             line 2: at /: \"q\" is a required property; line 3: not JSON: ends early at column 5; …",
        ),
        (
            b"\n",
            "1 of 1 records break this datanet's record rules: line 1: not JSON: ends early at column 0",
        ),
        (
            b"{\"q\":\"a\"}\n{\"q\":\"a\"}\n",
            "1 of 2 records repeat a record already in this datanet or earlier in the payload; at most 0% may",
        ),
    ];
    for (payload, expected) in cases {
        assert_eq!(
            verdict(&p, payload),
            *expected,
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
}

#[test]
fn record_count_size_and_repeat_limits() {
    let two_to_three = jsonl(|r| {
        r.min_records = 2;
        r.max_records = 3;
    });
    let one = b"{\"q\":\"1\"}\n".as_slice();
    let four = b"{\"q\":\"1\"}\n{\"q\":\"2\"}\n{\"q\":\"3\"}\n{\"q\":\"4\"}\n".as_slice();
    assert_eq!(
        verdict(&two_to_three, one),
        "the payload holds 1 records; this datanet accepts 2 to 3 per contribution"
    );
    assert_eq!(verdict(&two_to_three, &four[..30]), "ok 3");
    assert!(matches!(
        check(&two_to_three, four),
        Err(Violation::RecordCount { records: 4, .. })
    ));

    let small = jsonl(|r| r.max_record_bytes = 9);
    assert_eq!(verdict(&small, b"{\"q\":\"1\"}\r\n"), "ok 1");
    assert_eq!(
        verdict(&small, b"{\"q\":\"12\"}\n"),
        "1 of 1 records break this datanet's record rules: line 1: 10 bytes, over the limit of 9"
    );

    let quarter = jsonl(|r| r.max_repeat_ppm = 250_000);
    let a: &[u8] = b"{\"q\":\"a\"}\n";
    let b: &[u8] = b"{\"q\":\"b\"}\n";
    let c: &[u8] = b"{\"q\":\"c\"}\n";
    assert_eq!(
        verdict(&quarter, &[a, b, a, b].concat()),
        "2 of 4 records repeat a record already in this datanet or earlier in the payload; \
         at most 25% may"
    );
    assert_eq!(verdict(&quarter, &[a, b, c, a].concat()), "ok 4");

    let seen: BTreeSet<Hash> = [record_hash(&a[..a.len() - 1])].into();
    let accepted = check_in(&quarter, &seen, &[&[a, b, c, c].concat()]);
    assert!(matches!(
        accepted,
        Err(Violation::Repeats { repeated: 2, .. })
    ));
    let accepted = check_in(&quarter, &seen, &[&[a, b, c].concat(), b"{\"q\":\"d\"}"]).unwrap();
    assert_eq!(accepted.repeats, 1);
    let mut new: Vec<Hash> = [b, c, b"{\"q\":\"d\"}\n"]
        .iter()
        .map(|r| record_hash(&r[..r.len() - 1]))
        .collect();
    new.sort();
    assert_eq!(accepted.new_records, new);
}

#[test]
fn csv_rules() {
    let p = csv(|_| {});
    let head = "id,text,score,ok\n";
    let cases: &[(&str, &str)] = &[
        ("id,text,score,ok\n1,hi,1.5,true\n-2,\"a, \"\"b\"\"\",0,false", "ok 2"),
        ("\u{feff}id,text,score,ok\r\n1,hi,1.5,true\r\n\r\n", "ok 1"),
        ("id,text,score,ok\n", "the payload holds 0 records; this datanet accepts 1 to 10000000 per contribution"),
        (
            "id,txt,score,ok\n1,a,1,true\n",
            "the CSV header does not match this datanet's columns: row 1: the header names \
             column 2 \"txt\" where this datanet names it \"text\"",
        ),
        (
            "id,text\n",
            "the CSV header does not match this datanet's columns: row 1: 2 fields where there are 4 columns",
        ),
        (
            "id,text,score,ok\n1,a,1\n2,b,2,true,extra\nx,c,1e3,false\n4,d,.5,yes\n",
            "4 of 4 records break this datanet's record rules: row 2: 3 fields where there are 4 columns; \
             row 3: 5 fields where there are 4 columns; row 4: column \"id\": \"x\" is not an integer; …",
        ),
    ];
    for (payload, expected) in cases {
        assert_eq!(verdict(&p, payload.as_bytes()), *expected, "{payload}");
    }
    let bad_utf8 = [head.as_bytes(), b"1,\xff,1,true\n"].concat();
    assert_eq!(
        verdict(&p, &bad_utf8),
        "1 of 1 records break this datanet's record rules: row 2: column \"text\": not valid UTF-8 (byte 1 of the value)"
    );

    let small = csv(|r| r.max_record_bytes = 11);
    assert_eq!(
        verdict(&small, format!("{head}1,\"abc\",1.5,true\n").as_bytes()),
        "ok 1"
    );
    assert_eq!(
        verdict(&small, format!("{head}1,abcd,1.5,true\n").as_bytes()),
        "1 of 1 records break this datanet's record rules: row 2: its values are over the limit of 11 bytes"
    );
}

#[test]
fn a_csv_value_quoted_or_not_is_the_same_record() {
    let p = csv(|_| {});
    assert!(matches!(
        check(&p, b"id,text,score,ok\n1,a,1,true\n\"1\",\"a\",1,true\n"),
        Err(Violation::Repeats { repeated: 1, .. })
    ));
    assert_eq!(
        verdict(&p, b"id,text,score,ok\n1,ab,1,true\n1,a,1,true\n"),
        "ok 2"
    );
}

#[test]
fn size_limits_and_opaque_payloads() {
    let opaque = Policy {
        max_contribution_bytes: 4,
        ..Policy::default()
    };
    assert_eq!(verdict(&opaque, b"\xff\x00\n"), "ok 0");
    assert!(matches!(check(&opaque, b""), Err(Violation::Empty)));
    assert!(matches!(
        check_in(&opaque, &BTreeSet::new(), &[b"abc", b"de"]),
        Err(Violation::TooLarge { len: 5, limit: 4 })
    ));
}

#[test]
fn a_schema_that_is_not_json_or_not_a_schema_is_refused() {
    let with = |schema: &str| {
        jsonl(|r| {
            r.format = RecordFormat::JsonLines {
                schema: schema.into(),
            }
        })
    };
    assert!(matches!(
        Rules::new(&with("{")),
        Err(super::SchemaError::NotJson(_))
    ));
    assert!(matches!(
        Rules::new(&with(r#"{"type": 5}"#)),
        Err(super::SchemaError::Invalid(_))
    ));
    assert!(Rules::new(&with("")).is_ok());
}

/// Payloads that exercise every rule, for the split property.
fn payloads() -> Vec<(Policy, Vec<u8>)> {
    let jsonl_payload = b"{\"q\":\"\xc3\xa9t\xc3\xa9\"}\r\n{\"q\":\"a\"}\n[1]\n{\"q\":\"a\"}\n\xff\n{\"q\":\"0123456789abcdef\"}";
    let csv_payload = "\u{feff}id,text,score,ok\r\n1,\"multi\nline, \"\"quoted\"\"\",2.5,true\n\n2,b,x,false\n3,c\n4,\"0123456789abcdef\",1,true\n1,\"multi\nline, \"\"quoted\"\"\",2.5,true";
    vec![
        (jsonl(|_| {}), jsonl_payload.to_vec()),
        (jsonl(|r| r.max_record_bytes = 16), jsonl_payload.to_vec()),
        (
            jsonl(|r| r.max_repeat_ppm = 500_000),
            jsonl_payload[..jsonl_payload.len() - 40].to_vec(),
        ),
        (csv(|_| {}), csv_payload.as_bytes().to_vec()),
        (
            csv(|r| r.max_record_bytes = 18),
            csv_payload.as_bytes().to_vec(),
        ),
        (
            csv(|r| r.max_repeat_ppm = 500_000),
            csv_payload.as_bytes()[..60].to_vec(),
        ),
    ]
}

proptest! {
    #[test]
    fn any_cutting_of_the_payload_gives_the_same_verdict(
        cuts in prop::collection::vec(0usize..400, 0..12),
    ) {
        for (policy, payload) in payloads() {
            let whole = check(&policy, &payload);
            let mut at: Vec<usize> = cuts.iter().map(|c| c % (payload.len() + 1)).collect();
            at.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in at {
                pieces.push(&payload[start..cut]);
                start = cut;
            }
            pieces.push(&payload[start..]);
            prop_assert_eq!(check_in(&policy, &BTreeSet::new(), &pieces), whole.clone());
            let bytewise: Vec<&[u8]> = payload.chunks(1).collect();
            prop_assert_eq!(check_in(&policy, &BTreeSet::new(), &bytewise), whole);
        }
    }
}

#[test]
fn a_payload_checked_across_threads_gets_the_verdict_of_one_checked_line_by_line() {
    let mut payload = Vec::new();
    for i in 0..20_000u32 {
        let line = match i % 4_999 {
            17 => "[1]".to_owned(),
            400 => format!("{{\"q\":\"{}\"}}", "x".repeat(200)),
            _ => format!("{{\"q\":\"{}\"}}", i % 19_000),
        };
        payload.extend_from_slice(line.as_bytes());
        payload.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
    }
    let policy = jsonl(|r| {
        r.max_record_bytes = 100;
        r.max_repeat_ppm = 1_000_000;
    });
    let whole = check(&policy, &payload);
    assert!(
        matches!(&whole, Err(Violation::Records { failing: 8, first, .. }) if first.len() == QUOTED_FAILURES),
        "{whole:?}"
    );
    let small: Vec<&[u8]> = payload.chunks(1000).collect();
    assert_eq!(check_in(&policy, &BTreeSet::new(), &small), whole);
    let bytewise: Vec<&[u8]> = payload.chunks(1).collect();
    assert_eq!(check_in(&policy, &BTreeSet::new(), &bytewise), whole);

    let good: Vec<u8> = payload
        .split(|b| *b == b'\n')
        .filter(|line| line.starts_with(b"{\"q\":\"") && line.len() < 40)
        .flat_map(|line| [line, b"\n"].concat())
        .collect();
    let distinct: BTreeSet<&[u8]> = good
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .collect();
    let accepted = check(&policy, &good).unwrap();
    assert_eq!(accepted.records, 20_000 - 8);
    assert_eq!(accepted.repeats, accepted.records - distinct.len() as u64);
    assert!(accepted.repeats > 900, "{}", accepted.repeats);
    let pieces: Vec<&[u8]> = good.chunks(777).collect();
    assert_eq!(check_in(&policy, &BTreeSet::new(), &pieces), Ok(accepted));
}

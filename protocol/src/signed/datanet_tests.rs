//! Tests of datanet records: version 2's layout, its bounds, the refusal of version 1, and the
//! test vector of `docs/protocol.md` 13.3.

use super::*;
use crate::encoding::{Decode, DecodeError, Encode};

fn seed(i: u8) -> SecretKey {
    SecretKey::from_seed([i; 32])
}

/// The record of `docs/protocol.md` 13.3: owned by `seed(1)`, validated by `seed(2)` and
/// `seed(3)` with stake 1 each, JSON Lines with a schema.
fn vector_body() -> DatanetBody {
    let validators = [2, 3]
        .map(|i| Validator {
            key: seed(i).public(),
            stake: 1,
        })
        .to_vec();
    DatanetBody {
        name: "qa".into(),
        description: "question and answer pairs".into(),
        owner: seed(1).public(),
        policy: Policy {
            max_contribution_bytes: 1 << 30,
            media_types: vec!["application/jsonl".into()],
            duplicates: DuplicateRule::Reject,
            records: Some(RecordRules {
                format: RecordFormat::JsonLines {
                    schema: r#"{"type":"object","required":["q","a"]}"#.into(),
                },
                min_records: 1,
                max_records: 1_000_000,
                max_record_bytes: 65_536,
                max_repeat_ppm: 10_000,
            }),
        },
        validators: Some(ValidatorSet::new(validators, Threshold::TWO_THIRDS).unwrap()),
        created_ms: 1_700_000_000_000,
        nonce: 7,
    }
}

/// `docs/protocol.md`, whose section 13.3 shows the record byte by byte.
const PROTOCOL_DOC: &str = include_str!("../../../docs/protocol.md");

/// The hex of the datanet record's block in 13.3: each line's hex before its comment.
fn doc_record_hex() -> String {
    let from = PROTOCOL_DOC
        .find("**Datanet record** signed by")
        .expect("13.3 shows the datanet record");
    let block = PROTOCOL_DOC[from..]
        .split("```")
        .nth(1)
        .expect("the record's bytes are in a code block");
    block
        .lines()
        .map(|l| l.split("    ").next().unwrap_or("").replace(' ', ""))
        .collect()
}

const VECTOR_SIGNATURE: &str = "783c137d6aea4c81be87fafb678dcc6193c16716dd9527380d66c47484dc5ce8\
                                871f92907489386d808a4450639038d5da03218be0564d8f7ac395ed8f811e05";
const VECTOR_ID: &str = "34ce0cf57bf15cb9294113da3cbba9e8ede01a59ee4348287b401d0bb386e4c7";
const VECTOR_SET_ID: &str = "75edcac9b9e66f1d234053c8afd0c85fb1171be94de4b10b001180825bc387d0";

#[test]
fn the_record_of_the_protocol_document_has_its_bytes_and_id() {
    let datanet = Datanet::sign(vector_body(), &seed(1)).unwrap();
    let bytes = datanet.to_bytes();
    let expected = doc_record_hex();
    assert_eq!(expected.len() / 2, 279);
    assert_eq!(hex::encode(&bytes), format!("{expected}{VECTOR_SIGNATURE}"));
    assert_eq!(datanet.id().to_string(), VECTOR_ID);
    let set = datanet.body().validators.as_ref().expect("two validators");
    assert_eq!(set.id().to_string(), VECTOR_SET_ID);
    for shown in [VECTOR_SIGNATURE, VECTOR_ID, VECTOR_SET_ID] {
        assert!(PROTOCOL_DOC.contains(shown), "13.3 shows {shown}");
    }
    assert_eq!(Datanet::from_bytes(&bytes).unwrap(), datanet);
    datanet.verify().unwrap();
}

#[test]
fn a_version_1_record_is_refused_with_a_reason() {
    let mut bytes = Datanet::sign(vector_body(), &seed(1)).unwrap().to_bytes();
    bytes[0] = 1;
    let error = Datanet::from_bytes(&bytes).unwrap_err();
    assert!(matches!(
        error,
        DecodeError::Invalid {
            context: "datanet record",
            ..
        }
    ));
    assert!(error.to_string().contains("encoding version 1"), "{error}");
    for other in [0, 3, 255] {
        bytes[0] = other;
        assert!(Datanet::from_bytes(&bytes).is_err());
    }
}

#[test]
fn every_policy_shape_round_trips() {
    let csv = RecordFormat::Csv {
        columns: ["id", "text", "score", "ok"]
            .into_iter()
            .zip([
                ColumnType::Integer,
                ColumnType::String,
                ColumnType::Number,
                ColumnType::Boolean,
            ])
            .map(|(name, kind)| Column {
                name: name.into(),
                kind,
            })
            .collect(),
    };
    let policies = [
        Policy::default(),
        Policy {
            duplicates: DuplicateRule::Allow,
            records: Some(RecordRules::new(csv)),
            ..Policy::default()
        },
        Policy {
            records: Some(RecordRules::new(RecordFormat::JsonLines {
                schema: String::new(),
            })),
            ..Policy::default()
        },
    ];
    for policy in policies {
        for validators in [None, vector_body().validators] {
            let body = DatanetBody {
                policy: policy.clone(),
                validators,
                ..vector_body()
            };
            let datanet = Datanet::sign(body, &seed(1)).unwrap();
            assert_eq!(Datanet::from_bytes(&datanet.to_bytes()).unwrap(), datanet);
            assert_eq!(
                RecordValidators.validator_set(&datanet),
                Ok(datanet.body().validators.clone())
            );
        }
    }
}

/// A JSON Lines policy changed by `change`.
fn records(change: impl FnOnce(&mut RecordRules)) -> Policy {
    let mut rules = RecordRules::new(RecordFormat::JsonLines {
        schema: String::new(),
    });
    change(&mut rules);
    Policy {
        records: Some(rules),
        ..Policy::default()
    }
}

fn csv(names: &[&str]) -> Policy {
    let columns = names
        .iter()
        .map(|name| Column {
            name: (*name).into(),
            kind: ColumnType::String,
        })
        .collect();
    Policy {
        records: Some(RecordRules::new(RecordFormat::Csv { columns })),
        ..Policy::default()
    }
}

#[test]
fn policies_out_of_range_are_neither_signed_nor_decoded() {
    let long_name = "c".repeat(MAX_COLUMN_NAME + 1);
    let many: Vec<String> = (0..=MAX_COLUMNS).map(|i| i.to_string()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let cases = [
        records(|r| {
            r.min_records = 5;
            r.max_records = 5;
        }),
        records(|r| {
            r.min_records = 5;
            r.max_records = 4;
        }),
        records(|r| r.max_record_bytes = 0),
        records(|r| r.max_record_bytes = MAX_RECORD_BYTES + 1),
        records(|r| r.max_repeat_ppm = PPM + 1),
        records(|r| {
            r.format = RecordFormat::JsonLines {
                schema: " ".repeat(MAX_SCHEMA + 1),
            }
        }),
        csv(&[]),
        csv(&["a", "b", "a"]),
        csv(&[""]),
        csv(&[long_name.as_str()]),
        csv(&many),
        Policy {
            media_types: vec![String::new()],
            ..Policy::default()
        },
        Policy {
            media_types: vec!["a/b".into(); MAX_MEDIA_TYPES + 1],
            ..Policy::default()
        },
    ];
    for (i, policy) in cases.into_iter().enumerate() {
        let body = DatanetBody {
            policy,
            ..vector_body()
        };
        if i == 0 {
            Datanet::sign(body, &seed(1)).unwrap();
            continue;
        }
        assert!(
            matches!(
                Datanet::sign(body.clone(), &seed(1)),
                Err(SignatureError::InvalidBody(_))
            ),
            "case {i} signed"
        );
        let unsigned = Datanet::from_parts(body, Signature([0; 64]));
        assert!(
            Datanet::from_bytes(&unsigned.to_bytes()).is_err(),
            "case {i} decoded"
        );
    }
}

#[test]
fn unknown_tags_are_refused() {
    let bytes = Datanet::sign(vector_body(), &seed(1)).unwrap().to_bytes();
    let format_at = 1 + 6 + 29 + 32 + 8 + 4 + 4 + 17 + 1;
    assert_eq!(bytes[format_at], 1);
    let validators_at = format_at + 1 + 42 + 8 + 8 + 4 + 4;
    assert_eq!(bytes[validators_at], 1);
    for (at, context) in [
        (format_at - 1, "duplicate rule"),
        (format_at, "record format"),
        (validators_at, "validators tag"),
    ] {
        let mut bad = bytes.clone();
        bad[at] = 9;
        assert_eq!(
            Datanet::from_bytes(&bad),
            Err(DecodeError::InvalidTag { context, value: 9 })
        );
    }
}

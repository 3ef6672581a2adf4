//! The records and schema the validation benchmarks share (`benches/validate.rs` and
//! `examples/validate_file.rs`): five fields of the usual JSON types, about 150 bytes a record.

/// A JSON Schema that requires the five fields with their types and forbids others.
pub(crate) const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["id", "text", "score", "label", "verified"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "integer", "minimum": 0},
    "text": {"type": "string", "maxLength": 1000},
    "score": {"type": "number"},
    "label": {"enum": ["question", "answer", "note"]},
    "verified": {"type": "boolean"}
  }
}"#;

/// Record `i`, with its line feed: distinct for every `i`.
pub(crate) fn record(i: u64) -> String {
    let labels = ["question", "answer", "note"];
    format!(
        "{{\"id\":{i},\"text\":\"record {i} of the benchmark, with some words to read\",\
         \"score\":{}.{},\"label\":\"{}\",\"verified\":{}}}\n",
        i % 97,
        i % 10,
        labels[(i % 3) as usize],
        i % 2 == 0
    )
}

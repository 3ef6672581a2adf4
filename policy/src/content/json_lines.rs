//! One JSON Lines record: UTF-8, a JSON object, valid against the datanet's JSON Schema.

use datanet_protocol::hash::Hash;
use jsonschema::Validator;
use serde_json::Value;

use super::lines::Line;
use super::seen::record_hash;
use super::truncate;

/// The verdict on one line as the splitter hands it, for records of at most `limit` bytes:
/// the record's hash, or why it fails.
pub(crate) fn line_verdict(
    line: Line<'_>,
    schema: Option<&Validator>,
    limit: usize,
) -> Result<Hash, String> {
    match line {
        Line::Whole(bytes) => check_line(bytes, schema).map(|()| record_hash(bytes)),
        Line::TooLong { len } => Err(format!("{len} bytes, over the limit of {limit}")),
    }
}

/// Checks one line's record bytes; the error says why it fails.
pub(crate) fn check_line(line: &[u8], schema: Option<&Validator>) -> Result<(), String> {
    let text = std::str::from_utf8(line).map_err(|e| {
        format!(
            "not valid UTF-8 (byte {} of the record)",
            e.valid_up_to() + 1
        )
    })?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON: {} at column {}", json_error_kind(&e), e.column()))?;
    if !value.is_object() {
        return Err(format!("not a JSON object but {}", kind_of(&value)));
    }
    match schema {
        Some(validator) if !validator.is_valid(&value) => {
            Err(first_schema_error(validator, &value))
        }
        _ => Ok(()),
    }
}

/// The schema error to quote: the least by (instance path, message), so the wording does not
/// depend on the order in which the validator happens to report errors.
fn first_schema_error(validator: &Validator, value: &Value) -> String {
    validator
        .iter_errors(value)
        .map(|e| {
            let path = e.instance_path.to_string();
            let place = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            format!("at {place}: {}", truncate(&e.to_string()))
        })
        .min()
        .unwrap_or_else(|| "does not match the schema".to_owned())
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "invalid value",
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_bad_line_says_what_it_is() {
        let schema = jsonschema::validator_for(&serde_json::json!({
            "type": "object",
            "required": ["q"],
            "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}
        }))
        .unwrap();
        let cases: [(&[u8], Result<(), &str>); 8] = [
            (br#"{"q":"x","n":1}"#, Ok(())),
            (
                b"{\"q\":\"\xff\"}",
                Err("not valid UTF-8 (byte 7 of the record)"),
            ),
            (b"{\"q\":", Err("not JSON: ends early at column 5")),
            (b"", Err("not JSON: ends early at column 0")),
            (b"[1,2]", Err("not a JSON object but an array")),
            (b"\"q\"", Err("not a JSON object but a string")),
            (br#"{"n":1}"#, Err(r#"at /: "q" is a required property"#)),
            (
                br#"{"q":"x","n":"one"}"#,
                Err(r#"at /n: "one" is not of type "integer""#),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(
                check_line(line, Some(&schema)),
                expected.map_err(str::to_owned),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(check_line(b"{}", None), Ok(()));
    }
}

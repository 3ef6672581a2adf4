//! A datanet's contribution policy as its record carries it: size and media type limits, the
//! exact-duplicate rule, and the rules for the records inside a payload (their format, a JSON
//! Schema or CSV columns, how many, how large, how many may repeat earlier ones).
//!
//! Every field is an integer, a string or a tag, so every node reads the same policy from the
//! same bytes and decides the same way; the checks themselves live in `datanet-policy`.

use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::hash::{hash, Domain, Hash};

use super::MAX_MEDIA_TYPE;

/// The most accepted media types.
pub const MAX_MEDIA_TYPES: usize = 32;
/// The longest record schema, in bytes.
pub const MAX_SCHEMA: usize = 16 * 1024;
/// The most CSV columns.
pub const MAX_COLUMNS: usize = 256;
/// The longest CSV column name, in bytes.
pub const MAX_COLUMN_NAME: usize = 128;
/// The largest `max_record_bytes` a policy may set: a checker holds at most one record of
/// this size in memory at a time.
pub const MAX_RECORD_BYTES: u32 = 16 << 20;
/// The denominator of [`RecordRules::max_repeat_ppm`]: parts per million.
pub const PPM: u32 = 1_000_000;

/// What a datanet does with a contribution whose payload exactly repeats an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DuplicateRule {
    /// Accept it.
    Allow = 0,
    /// Reject it with reason `Duplicate`.
    Reject = 1,
}

/// The type every value of a CSV column must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Any UTF-8 text, the empty string included.
    String = 0,
    /// An optional `-` or `+` and 1 to 19 ASCII digits that fit an `i64`.
    Integer = 1,
    /// A decimal number as JSON writes one (`-1.5e3`), with no `NaN`, infinity or hex.
    Number = 2,
    /// `true` or `false`, lower case.
    Boolean = 3,
}

impl ColumnType {
    /// The name used in text forms: `string`, `integer`, `number` or `boolean`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Integer => "integer",
            ColumnType::Number => "number",
            ColumnType::Boolean => "boolean",
        }
    }

    /// The type named `name` (see [`ColumnType::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ColumnType::String,
            ColumnType::Integer,
            ColumnType::Number,
            ColumnType::Boolean,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    fn from_tag(tag: u8) -> Result<Self, DecodeError> {
        match tag {
            0 => Ok(ColumnType::String),
            1 => Ok(ColumnType::Integer),
            2 => Ok(ColumnType::Number),
            3 => Ok(ColumnType::Boolean),
            v => Err(DecodeError::InvalidTag {
                context: "column type",
                value: v.into(),
            }),
        }
    }
}

/// One CSV column: the name its header must give and the type of its values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// The header name, matched byte for byte.
    pub name: String,
    /// The type of its values.
    pub kind: ColumnType,
}

impl Encode for Column {
    fn encode_to(&self, out: &mut Writer) {
        out.str(&self.name);
        out.u8(self.kind as u8);
    }
}

impl Decode for Column {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Column {
            name: r.str(MAX_COLUMN_NAME, "column name")?,
            kind: ColumnType::from_tag(r.u8("column type")?)?,
        })
    }
}

/// How a payload is cut into records, and what each record must be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// JSON Lines: one JSON object per line, each valid against `schema` (a JSON Schema;
    /// empty accepts any object).
    JsonLines {
        /// The JSON Schema, as JSON text.
        schema: String,
    },
    /// CSV with a header row naming `columns` in order; every row has one value per column.
    Csv {
        /// The columns, in header order.
        columns: Vec<Column>,
    },
}

/// The rules for the records inside a payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRules {
    /// How records are written.
    pub format: RecordFormat,
    /// The fewest records a contribution may hold.
    pub min_records: u64,
    /// The most records a contribution may hold; a checker keeps the hash of each distinct
    /// record, so this also bounds its memory.
    pub max_records: u64,
    /// The largest record, in bytes, at most [`MAX_RECORD_BYTES`].
    pub max_record_bytes: u32,
    /// The most records of a contribution, in parts per million of its records, that may
    /// repeat a record already accepted in the datanet or an earlier record of the same
    /// contribution; 0 lets none repeat.
    pub max_repeat_ppm: u32,
}

impl RecordRules {
    /// Rules for `format` with the defaults: 1 to 10 million records (a checker keeps 32 bytes
    /// per distinct record to find repeats, so the count bounds its memory), records up to
    /// 1 MiB, none repeated.
    pub fn new(format: RecordFormat) -> Self {
        RecordRules {
            format,
            min_records: 1,
            max_records: 10_000_000,
            max_record_bytes: 1 << 20,
            max_repeat_ppm: 0,
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.min_records > self.max_records {
            return Err(format!(
                "min_records {} is above max_records {}",
                self.min_records, self.max_records
            ));
        }
        if self.max_record_bytes == 0 || self.max_record_bytes > MAX_RECORD_BYTES {
            return Err(format!(
                "max_record_bytes must be 1..={MAX_RECORD_BYTES}, not {}",
                self.max_record_bytes
            ));
        }
        if self.max_repeat_ppm > PPM {
            return Err(format!(
                "max_repeat_ppm must be 0..={PPM}, not {}",
                self.max_repeat_ppm
            ));
        }
        match &self.format {
            RecordFormat::JsonLines { schema } if schema.len() > MAX_SCHEMA => {
                Err(format!("the schema is over {MAX_SCHEMA} bytes"))
            }
            RecordFormat::JsonLines { .. } => Ok(()),
            RecordFormat::Csv { columns } => check_columns(columns),
        }
    }
}

fn check_columns(columns: &[Column]) -> Result<(), String> {
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(format!("a CSV policy needs 1..={MAX_COLUMNS} columns"));
    }
    for (i, column) in columns.iter().enumerate() {
        if column.name.is_empty() || column.name.len() > MAX_COLUMN_NAME {
            return Err(format!(
                "column {} needs a name of 1..={MAX_COLUMN_NAME} bytes",
                i + 1
            ));
        }
        if columns[..i].iter().any(|c| c.name == column.name) {
            return Err(format!("column {:?} appears twice", column.name));
        }
    }
    Ok(())
}

/// The rules every contribution to a datanet must follow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Policy {
    /// The largest accepted payload, in bytes.
    pub max_contribution_bytes: u64,
    /// Accepted media types; empty accepts any.
    pub media_types: Vec<String>,
    /// What to do with exact duplicates of an earlier payload.
    pub duplicates: DuplicateRule,
    /// The rules for the records of a payload; `None` treats a payload as opaque bytes.
    pub records: Option<RecordRules>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_contribution_bytes: 1 << 30,
            media_types: Vec::new(),
            duplicates: DuplicateRule::Reject,
            records: None,
        }
    }
}

impl Policy {
    /// `H(Policy, enc(Policy))`: what a datanet registers on chain as its policy hash, so
    /// anyone can tell which rules its contributions were judged by.
    pub fn hash(&self) -> Hash {
        hash(Domain::Policy, &self.to_bytes())
    }

    /// Checks the rules the decoder enforces: bounded lists and strings, record rules in
    /// range, CSV columns named and distinct.
    ///
    /// # Errors
    /// A description of the broken rule.
    pub fn check(&self) -> Result<(), String> {
        if self.media_types.len() > MAX_MEDIA_TYPES {
            return Err(format!("at most {MAX_MEDIA_TYPES} media types"));
        }
        if let Some(m) = self
            .media_types
            .iter()
            .find(|m| m.is_empty() || m.len() > MAX_MEDIA_TYPE)
        {
            return Err(format!(
                "media type {m:?} is not 1..={MAX_MEDIA_TYPE} bytes"
            ));
        }
        self.records.as_ref().map_or(Ok(()), RecordRules::check)
    }
}

/// Record format tags on the wire.
const FORMAT_NONE: u8 = 0;
const FORMAT_JSON_LINES: u8 = 1;
const FORMAT_CSV: u8 = 2;

impl Encode for Policy {
    fn encode_to(&self, out: &mut Writer) {
        out.u64(self.max_contribution_bytes);
        out.u32(self.media_types.len() as u32);
        for media_type in &self.media_types {
            out.str(media_type);
        }
        out.u8(self.duplicates as u8);
        let Some(rules) = &self.records else {
            out.u8(FORMAT_NONE);
            return;
        };
        match &rules.format {
            RecordFormat::JsonLines { schema } => {
                out.u8(FORMAT_JSON_LINES);
                out.str(schema);
            }
            RecordFormat::Csv { columns } => {
                out.u8(FORMAT_CSV);
                out.list(columns);
            }
        }
        out.u64(rules.min_records);
        out.u64(rules.max_records);
        out.u32(rules.max_record_bytes);
        out.u32(rules.max_repeat_ppm);
    }
}

impl Decode for Policy {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let max_contribution_bytes = r.u64("max contribution bytes")?;
        let count = r.len(MAX_MEDIA_TYPES, "media types")?;
        let mut media_types = Vec::with_capacity(count);
        for _ in 0..count {
            media_types.push(r.str(MAX_MEDIA_TYPE, "media type")?);
        }
        let duplicates = match r.u8("duplicate rule")? {
            0 => DuplicateRule::Allow,
            1 => DuplicateRule::Reject,
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "duplicate rule",
                    value: v.into(),
                })
            }
        };
        let format = match r.u8("record format")? {
            FORMAT_NONE => None,
            FORMAT_JSON_LINES => Some(RecordFormat::JsonLines {
                schema: r.str(MAX_SCHEMA, "schema")?,
            }),
            FORMAT_CSV => Some(RecordFormat::Csv {
                columns: r.list(MAX_COLUMNS, "columns")?,
            }),
            v => {
                return Err(DecodeError::InvalidTag {
                    context: "record format",
                    value: v.into(),
                })
            }
        };
        let records = match format {
            None => None,
            Some(format) => Some(RecordRules {
                format,
                min_records: r.u64("min records")?,
                max_records: r.u64("max records")?,
                max_record_bytes: r.u32("max record bytes")?,
                max_repeat_ppm: r.u32("max repeat")?,
            }),
        };
        let policy = Policy {
            max_contribution_bytes,
            media_types,
            duplicates,
            records,
        };
        policy
            .check()
            .map_err(|reason| DecodeError::invalid("policy", reason))?;
        Ok(policy)
    }
}

//! CSV rows read as they arrive: a header naming the datanet's columns, then rows with one
//! value of the right type per column.
//!
//! The dialect is RFC 4180's as `csv-core` reads it: comma separated, fields optionally quoted
//! with `"` (a quote inside doubled), rows ended by LF, CRLF or CR; blank lines are skipped and
//! a UTF-8 byte order mark opening the payload is dropped. A row's size is the total of its
//! unquoted values' bytes; a row over the record limit is measured, not held. A row's record
//! bytes, hashed to find repeats, are its values each preceded by its length as a 4-byte
//! big-endian integer, so quoting a value or not does not make a row new.

use csv_core::{ReadRecordResult, Reader};
use datanet_protocol::hash::{Domain, Hash, Hasher};
use datanet_protocol::signed::{Column, ColumnType};

use super::quote;

/// Reads a CSV payload piece by piece, holding at most one row.
pub(crate) struct CsvRows {
    reader: Reader,
    columns: Vec<Column>,
    /// The most bytes of values a data row may hold.
    limit: usize,
    /// The current row's values: up to the record limit, or the header's length if longer,
    /// and one byte more (the reader reports a full buffer before it writes past its end).
    values: Vec<u8>,
    /// The end of each value in `values`, one more slot than there are columns.
    ends: Vec<usize>,
    /// Bytes and ends written for the current row so far.
    values_len: usize,
    ends_len: usize,
    /// The current row overflowed `values` or `ends`.
    too_long: bool,
    too_many: bool,
    /// How many fields the current row has had so far.
    fields: usize,
    /// The row number of the current row; the header is row 1.
    row: u64,
    /// The first bytes of the payload, held until there are three so that a byte order mark
    /// is recognised however the payload is cut.
    head: Vec<u8>,
}

/// One row, as handed to the caller.
pub(crate) enum Row {
    /// A header that names the columns.
    Header,
    /// A data row that follows the columns, and the hash of its record bytes.
    Good(Hash),
    /// A header or data row that does not, and why.
    Bad(String),
}

impl CsvRows {
    /// A reader for rows of `columns`, each of at most `limit` bytes of values.
    pub(crate) fn new(columns: &[Column], limit: usize) -> Self {
        let header: usize = columns.iter().map(|c| c.name.len()).sum();
        CsvRows {
            reader: Reader::new(),
            columns: columns.to_vec(),
            limit,
            values: vec![0; limit.max(header) + 1],
            ends: vec![0; columns.len() + 1],
            values_len: 0,
            ends_len: 0,
            too_long: false,
            too_many: false,
            fields: 0,
            row: 1,
            head: Vec::new(),
        }
    }

    /// Reads `bytes`, handing every row it completes to `on_row` with its row number.
    pub(crate) fn feed(&mut self, bytes: &[u8], on_row: &mut impl FnMut(u64, Row)) {
        if self.head.len() < 3 {
            let take = bytes.len().min(3 - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
            if self.head.len() < 3 {
                return;
            }
            let head = std::mem::take(&mut self.head);
            self.read(&head, false, on_row);
            self.head = head;
            self.read(&bytes[take..], false, on_row);
        } else {
            self.read(bytes, false, on_row);
        }
    }

    /// Reads the end of the payload, handing the last row if it had no terminator.
    pub(crate) fn finish(mut self, on_row: &mut impl FnMut(u64, Row)) {
        if self.head.len() < 3 {
            let head = std::mem::take(&mut self.head);
            self.read(&head, false, on_row);
        }
        self.read(&[], true, on_row);
    }

    /// Runs the reader over `input`; at the end of the payload, `input` is empty and `at_end`
    /// true.
    fn read(&mut self, mut input: &[u8], at_end: bool, on_row: &mut impl FnMut(u64, Row)) {
        if input.is_empty() && !at_end {
            return;
        }
        loop {
            let values = if self.too_long {
                &mut self.values[..]
            } else {
                &mut self.values[self.values_len..]
            };
            let ends = if self.too_many {
                &mut self.ends[..]
            } else {
                &mut self.ends[self.ends_len..]
            };
            let (result, read, written, ended) = self.reader.read_record(input, values, ends);
            input = &input[read..];
            self.fields += ended;
            if !self.too_long {
                self.values_len += written;
            }
            if !self.too_many {
                self.ends_len += ended;
            }
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return,
                ReadRecordResult::OutputFull => self.too_long = true,
                ReadRecordResult::OutputEndsFull => self.too_many = true,
                ReadRecordResult::Record => {
                    let row = self.take_row();
                    on_row(self.row, row);
                    self.row += 1;
                }
            }
        }
    }

    /// Judges the row just read and clears the state for the next one.
    fn take_row(&mut self) -> Row {
        let row = if self.row == 1 && self.too_long {
            Row::Bad("the header is longer than the column names".to_owned())
        } else if self.too_long || (self.row > 1 && self.values_len > self.limit) {
            Row::Bad(format!(
                "its values are over the limit of {} bytes",
                self.limit
            ))
        } else if self.fields != self.columns.len() {
            Row::Bad(format!(
                "{} fields where there are {} columns",
                self.fields,
                self.columns.len()
            ))
        } else if self.row == 1 {
            self.check_header()
        } else {
            self.check_values()
        };
        self.values_len = 0;
        self.ends_len = 0;
        self.too_long = false;
        self.too_many = false;
        self.fields = 0;
        row
    }

    fn value(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.values[start..self.ends[i]]
    }

    fn check_header(&self) -> Row {
        for (i, column) in self.columns.iter().enumerate() {
            if self.value(i) != column.name.as_bytes() {
                return Row::Bad(format!(
                    "the header names column {} {} where this datanet names it {}",
                    i + 1,
                    quote(&String::from_utf8_lossy(self.value(i))),
                    quote(&column.name)
                ));
            }
        }
        Row::Header
    }

    fn check_values(&self) -> Row {
        let mut hasher = Hasher::new(Domain::Record);
        for (i, column) in self.columns.iter().enumerate() {
            let value = self.value(i);
            if let Err(why) = check_value(value, column.kind) {
                return Row::Bad(format!("column {}: {why}", quote(&column.name)));
            }
            hasher.update(&(value.len() as u32).to_be_bytes());
            hasher.update(value);
        }
        Row::Good(hasher.finalize())
    }
}

/// Checks that `value` is UTF-8 text of type `kind`.
fn check_value(value: &[u8], kind: ColumnType) -> Result<(), String> {
    let text = std::str::from_utf8(value).map_err(|e| {
        format!(
            "not valid UTF-8 (byte {} of the value)",
            e.valid_up_to() + 1
        )
    })?;
    let fits = match kind {
        ColumnType::String => true,
        ColumnType::Integer => text.parse::<i64>().is_ok(),
        ColumnType::Number => is_json_number(text.as_bytes()),
        ColumnType::Boolean => text == "true" || text == "false",
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{} is not {}", quote(text), article(kind)))
    }
}

fn article(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::String => "a string",
        ColumnType::Integer => "an integer",
        ColumnType::Number => "a number",
        ColumnType::Boolean => "a boolean",
    }
}

/// Whether `s` is a number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(s: &[u8]) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut i = usize::from(s.first() == Some(&b'-'));
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(&s[i..]),
        _ => return false,
    }
    if s.get(i) == Some(&b'.') {
        let n = digits(&s[i + 1..]);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(&s[i..]);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_json_grammar() {
        for good in ["0", "-0", "12", "1.5", "-1.5e3", "2E-7", "1e+2", "0.25"] {
            assert!(is_json_number(good.as_bytes()), "{good}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "+1", "NaN", "inf", "0x10", " 1", "1 ",
        ] {
            assert!(!is_json_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn values_are_checked_against_their_column_type() {
        use ColumnType::*;
        let cases: [(&[u8], ColumnType, bool); 12] = [
            (b"", String, true),
            (b"any text", String, true),
            (b"\xff", String, false),
            (b"-42", Integer, true),
            (b"+7", Integer, true),
            (b"9223372036854775808", Integer, false),
            (b"4.0", Integer, false),
            (b"", Integer, false),
            (b"4.0", Number, true),
            (b"true", Boolean, true),
            (b"True", Boolean, false),
            (b"1", Boolean, false),
        ];
        for (value, kind, fits) in cases {
            assert_eq!(check_value(value, kind).is_ok(), fits, "{value:?} {kind:?}");
        }
        assert_eq!(
            check_value(b"x", Integer),
            Err("\"x\" is not an integer".to_owned())
        );
    }
}

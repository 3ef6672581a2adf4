//! The text of a contribution's records, taken from its payload for indexing.
//!
//! A payload is split into records the way its datanet's policy reads it, and each record
//! gives the text that outputs are matched against. Records are numbered from 0 in payload
//! order; a record whose text is empty (a JSON line that does not parse, or has none of the
//! named fields) is not yielded but keeps its number, so numbers match the payload's records.
//! Text that is not valid UTF-8 is yielded here and left out by the
//! [`ShardBuilder`](crate::ShardBuilder), since outputs are always UTF-8 and could not match it.

use std::borrow::Cow;

use csv_core::{ReadRecordResult, Reader};
use memchr::memchr;

/// How to read the text out of a contribution's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextSource {
    /// One JSON value per non-blank line. The text is the named top-level fields that hold
    /// JSON strings, their decoded values joined with `\n` in the order of `fields`; with no
    /// fields named, the whole line (if it parses as JSON).
    JsonLines {
        /// The top-level fields whose string values form the text.
        fields: Vec<String>,
    },
    /// RFC 4180 CSV with a header row: each data row's raw bytes, without its line terminator.
    Csv,
    /// Each non-blank line, without its line terminator.
    PlainText,
}

/// The records of `payload` read as `source`: `(record index, text)` pairs in payload order.
///
/// Never fails: what cannot be read gives no text and is skipped.
pub fn records<'a>(source: &'a TextSource, payload: &'a [u8]) -> Records<'a> {
    let kind = match source {
        TextSource::JsonLines { fields } => Kind::JsonLines(fields),
        TextSource::Csv => Kind::Csv(Box::new(CsvState {
            reader: Reader::new(),
            scratch: vec![0; 4096],
            ends: vec![0; 64],
            header_done: false,
            finished: false,
        })),
        TextSource::PlainText => Kind::PlainText,
    };
    Records {
        payload,
        pos: 0,
        next_index: 0,
        kind,
    }
}

/// Iterator over a payload's records, made by [`records`].
pub struct Records<'a> {
    payload: &'a [u8],
    /// Where the next record's bytes start in `payload`.
    pos: usize,
    /// The number the next record read gets.
    next_index: u32,
    kind: Kind<'a>,
}

/// The reading state for each [`TextSource`].
enum Kind<'a> {
    JsonLines(&'a [String]),
    Csv(Box<CsvState>),
    PlainText,
}

/// A CSV reader's state; `scratch` and `ends` receive field values this module ignores.
struct CsvState {
    reader: Reader,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    header_done: bool,
    finished: bool,
}

impl<'a> Records<'a> {
    /// The next non-blank line, without its terminator, or `None` at the end.
    fn next_line(&mut self) -> Option<&'a [u8]> {
        while self.pos < self.payload.len() {
            let rest = &self.payload[self.pos..];
            let len = memchr(b'\n', rest).unwrap_or(rest.len());
            self.pos += (len + 1).min(rest.len());
            let line = trim_terminator(&rest[..len]);
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Some(line);
            }
        }
        None
    }

    /// The next CSV row's raw bytes, without line terminators, or `None` at the end.
    fn next_row(&mut self) -> Option<&'a [u8]> {
        let Kind::Csv(state) = &mut self.kind else {
            return None;
        };
        let start = self.pos;
        loop {
            if state.finished {
                return None;
            }
            let input = &self.payload[self.pos..];
            let (result, read, _, _) =
                state
                    .reader
                    .read_record(input, &mut state.scratch, &mut state.ends);
            self.pos += read;
            match result {
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    return Some(trim_row(&self.payload[start..self.pos]));
                }
                ReadRecordResult::End => {
                    state.finished = true;
                    return None;
                }
            }
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = (u32, Cow<'a, [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = match &self.kind {
                Kind::PlainText => Cow::Borrowed(self.next_line()?),
                Kind::JsonLines(fields) => {
                    let fields = *fields;
                    json_text(self.next_line()?, fields)
                }
                Kind::Csv(state) => {
                    if !state.header_done {
                        self.next_row()?;
                        if let Kind::Csv(state) = &mut self.kind {
                            state.header_done = true;
                        }
                    }
                    Cow::Borrowed(self.next_row()?)
                }
            };
            let index = self.next_index;
            self.next_index = self.next_index.saturating_add(1);
            if !text.is_empty() {
                return Some((index, text));
            }
        }
    }
}

/// The text of one JSON line for `fields`; empty if it does not parse or has none of them.
fn json_text<'a>(line: &'a [u8], fields: &[String]) -> Cow<'a, [u8]> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return Cow::Borrowed(&[]);
    };
    if fields.is_empty() {
        return Cow::Borrowed(line);
    }
    let Some(object) = value.as_object() else {
        return Cow::Borrowed(&[]);
    };
    let parts: Vec<&str> = fields
        .iter()
        .filter_map(|field| object.get(field)?.as_str())
        .collect();
    Cow::Owned(parts.join("\n").into_bytes())
}

/// `line` without a trailing carriage return.
fn trim_terminator(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A CSV row's raw bytes without the line terminators (and skipped blank lines) around it.
fn trim_row(row: &[u8]) -> &[u8] {
    let is_end = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = row.iter().position(|b| !is_end(b)).unwrap_or(row.len());
    let end = row
        .iter()
        .rposition(|b| !is_end(b))
        .map_or(start, |i| i + 1);
    &row[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(source: &TextSource, payload: &[u8]) -> Vec<(u32, String)> {
        records(source, payload)
            .map(|(i, t)| (i, String::from_utf8(t.into_owned()).unwrap()))
            .collect()
    }

    #[test]
    fn json_lines_join_named_string_fields_in_field_order() {
        let source = TextSource::JsonLines {
            fields: vec!["title".into(), "body".into()],
        };
        let payload = b"{\"body\":\"b1\",\"title\":\"t1\"}\n{\"title\":\"t2\",\"body\":7}\r\n\n{\"body\":\"line\\nbreak\"}";
        assert_eq!(
            collect(&source, payload),
            vec![
                (0, "t1\nb1".into()),
                (1, "t2".into()),
                (2, "line\nbreak".into())
            ]
        );
    }

    #[test]
    fn json_lines_skip_bad_lines_but_keep_their_numbers() {
        let source = TextSource::JsonLines {
            fields: vec!["text".into()],
        };
        let payload = b"not json\n[1,2]\n{\"other\":\"x\"}\n{\"text\":\"kept\"}\n{\"text\":";
        assert_eq!(collect(&source, payload), vec![(3, "kept".into())]);
    }

    #[test]
    fn json_lines_without_fields_give_whole_parsing_lines() {
        let source = TextSource::JsonLines { fields: vec![] };
        let payload = b"{\"a\": 1}\nbroken{\n\"s\"\n";
        assert_eq!(
            collect(&source, payload),
            vec![(0, "{\"a\": 1}".into()), (2, "\"s\"".into())]
        );
    }

    #[test]
    fn csv_skips_the_header_and_keeps_quoted_newlines() {
        let payload = b"name,text\r\nann,\"hello\nworld\"\r\n\r\nbob,plain\nlast,row";
        assert_eq!(
            collect(&TextSource::Csv, payload),
            vec![
                (0, "ann,\"hello\nworld\"".into()),
                (1, "bob,plain".into()),
                (2, "last,row".into())
            ]
        );
    }

    #[test]
    fn csv_with_only_a_header_has_no_records() {
        assert!(collect(&TextSource::Csv, b"a,b\n").is_empty());
        assert!(collect(&TextSource::Csv, b"").is_empty());
    }

    #[test]
    fn plain_text_gives_non_blank_lines() {
        let payload = b"first\r\n\n  \nsecond\nthird";
        assert_eq!(
            collect(&TextSource::PlainText, payload),
            vec![
                (0, "first".into()),
                (1, "second".into()),
                (2, "third".into())
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_yielded_for_the_builder_to_skip() {
        let payload = b"ok\n\xff\xfe\n";
        let got: Vec<_> = records(&TextSource::PlainText, payload).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(&*got[1].1, b"\xff\xfe");
    }
}

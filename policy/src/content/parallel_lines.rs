//! The whole lines of one piece checked on every core: cut into spans at line ends, each span
//! checked on its own, and the verdicts handed back in line order, so the outcome is the one
//! of checking line by line.

use datanet_protocol::hash::Hash;
use jsonschema::Validator;
use rayon::prelude::*;

use super::json_lines::line_verdict;
use super::lines::{Line, LineSplitter};

/// The bytes of lines one task checks at least: some 400 records of 150 bytes, so handing a
/// task to a thread costs little beside it, and a 1 MiB piece makes 16 tasks.
const SPAN_BYTES: usize = 64 << 10;

/// Checks `whole` (lines each ending in LF, as [`LineSplitter::feed_around`] returns them)
/// against `schema`, for records of at most `limit` bytes, and hands each line's verdict to
/// `on_verdict` in line order.
pub(crate) fn check_whole_lines(
    whole: &[u8],
    limit: usize,
    schema: Option<&Validator>,
    on_verdict: &mut impl FnMut(Result<Hash, String>),
) {
    let check_span = |span: &[u8]| {
        let mut verdicts = Vec::new();
        let mut on_line = |line: Line<'_>| verdicts.push(line_verdict(line, schema, limit));
        let mut splitter = LineSplitter::new(limit);
        splitter.feed(span, &mut on_line);
        splitter.finish(&mut on_line);
        verdicts
    };
    let spans = spans(whole);
    let verdicts: Vec<Vec<Result<Hash, String>>> = match spans.as_slice() {
        [] => return,
        [one] => vec![check_span(one)],
        many => many.par_iter().map(|span| check_span(span)).collect(),
    };
    verdicts.into_iter().flatten().for_each(on_verdict);
}

/// `whole` cut after the first LF at or past every [`SPAN_BYTES`].
fn spans(whole: &[u8]) -> Vec<&[u8]> {
    let mut spans = Vec::new();
    let mut rest = whole;
    while rest.len() > SPAN_BYTES {
        let end =
            memchr::memchr(b'\n', &rest[SPAN_BYTES - 1..]).map_or(rest.len(), |at| SPAN_BYTES + at);
        let (span, tail) = rest.split_at(end);
        spans.push(span);
        rest = tail;
    }
    if !rest.is_empty() {
        spans.push(rest);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::seen::record_hash;

    #[test]
    fn spans_end_at_line_ends_and_cover_every_byte() {
        let line = b"{\"a\": 12345}\n";
        let whole: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * 20_000)
            .collect();
        let spans = spans(&whole);
        assert!(spans.len() > 2, "{} spans", spans.len());
        let (last, full) = spans.split_last().unwrap();
        assert!(full
            .iter()
            .all(|s| s.ends_with(b"\n") && s.len() >= SPAN_BYTES));
        assert!(last.ends_with(b"\n") && last.len() <= SPAN_BYTES);
        assert_eq!(spans.concat(), whole);
        assert!(super::spans(&[]).is_empty());
    }

    #[test]
    fn verdicts_come_back_in_line_order() {
        let mut whole = Vec::new();
        for i in 0..30_000u32 {
            if i % 7_919 == 0 {
                whole.extend_from_slice(format!("[{i}]\n").as_bytes());
            } else {
                whole.extend_from_slice(format!("{{\"n\": {i}}}\n").as_bytes());
            }
        }
        let mut verdicts = Vec::new();
        check_whole_lines(&whole, 100, None, &mut |v| verdicts.push(v));
        assert_eq!(verdicts.len(), 30_000);
        for (i, verdict) in verdicts.iter().enumerate() {
            if i % 7_919 == 0 {
                assert_eq!(
                    verdict,
                    &Err("not a JSON object but an array".to_owned()),
                    "line {i}"
                );
            } else {
                assert_eq!(
                    verdict,
                    &Ok(record_hash(format!("{{\"n\": {i}}}").as_bytes())),
                    "line {i}"
                );
            }
        }
    }
}

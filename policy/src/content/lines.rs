//! Cutting a payload that arrives in pieces into lines, holding at most one line of at most
//! the record limit (plus one byte) at a time.
//!
//! A line ends at LF (`0x0A`); a CR (`0x0D`) just before the LF belongs to the terminator.
//! The last line needs no terminator, and a payload ending in LF has no empty line after it.
//! A line's record bytes are the line without its terminator.

/// One line, as handed to the caller.
pub(crate) enum Line<'a> {
    /// A line no longer than the limit, without its terminator.
    Whole(&'a [u8]),
    /// A line over the limit, of `len` bytes; only its length is known.
    TooLong {
        /// Its length in bytes, terminator excluded.
        len: u64,
    },
}

/// Assembles lines from pieces.
pub(crate) struct LineSplitter {
    /// The start of the current line, at most `limit + 1` bytes.
    partial: Vec<u8>,
    /// The length of the current line so far, including a trailing CR.
    len: u64,
    /// Whether the current line's last byte so far is a CR.
    ends_in_cr: bool,
    /// The longest record, in bytes.
    limit: usize,
}

impl LineSplitter {
    /// A splitter for records of at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        LineSplitter {
            partial: Vec::new(),
            len: 0,
            ends_in_cr: false,
            limit,
        }
    }

    /// The longest record, in bytes.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Cuts `bytes` into lines, handing every line it completes to `on_line`.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], on_line: &mut impl FnMut(Line<'_>)) {
        while let Some(end) = memchr::memchr(b'\n', bytes) {
            let (line, rest) = (&bytes[..end], &bytes[end + 1..]);
            if self.len == 0 {
                let cr = line.last() == Some(&b'\r');
                on_line(self.classify(line, line.len() as u64, cr));
            } else {
                self.push(line);
                self.complete(on_line);
            }
            bytes = rest;
        }
        self.push(bytes);
    }

    /// Like [`LineSplitter::feed`], except for the lines that lie whole in `bytes`: hands only
    /// the line in progress to `on_line` (when `bytes` completes it), keeps the start of the
    /// next one, and returns the bytes in between, which are whole lines, each ending in LF,
    /// for the caller to cut ([`LineSplitter::new`] on them hands each line as `feed` would).
    pub(crate) fn feed_around<'b>(
        &mut self,
        bytes: &'b [u8],
        on_line: &mut impl FnMut(Line<'_>),
    ) -> &'b [u8] {
        let Some(last) = memchr::memrchr(b'\n', bytes) else {
            self.push(bytes);
            return &[];
        };
        let (mut whole, tail) = bytes.split_at(last + 1);
        if self.len > 0 {
            let first = memchr::memchr(b'\n', whole).unwrap_or(last);
            self.feed(&whole[..=first], on_line);
            whole = &whole[first + 1..];
        }
        self.push(tail);
        whole
    }

    /// Hands the last line, if the payload did not end with a terminator.
    pub(crate) fn finish(mut self, on_line: &mut impl FnMut(Line<'_>)) {
        if self.len > 0 {
            self.complete(on_line);
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = (self.limit + 1).saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.len += bytes.len() as u64;
        if let Some(last) = bytes.last() {
            self.ends_in_cr = *last == b'\r';
        }
    }

    fn complete(&mut self, on_line: &mut impl FnMut(Line<'_>)) {
        let partial = std::mem::take(&mut self.partial);
        on_line(self.classify(&partial, self.len, self.ends_in_cr));
        self.partial = partial;
        self.partial.clear();
        self.len = 0;
        self.ends_in_cr = false;
    }

    /// `held` is the start of a line of `len` bytes (all of it when `len <= limit + 1`), whose
    /// last byte is a CR when `cr`.
    fn classify<'a>(&self, held: &'a [u8], len: u64, cr: bool) -> Line<'a> {
        let record_len = len - u64::from(cr);
        if record_len > self.limit as u64 {
            return Line::TooLong { len: record_len };
        }
        Line::Whole(&held[..record_len as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pieces: &[&[u8]], limit: usize) -> Vec<Result<Vec<u8>, u64>> {
        let mut out = Vec::new();
        let mut on_line = |line: Line<'_>| {
            out.push(match line {
                Line::Whole(bytes) => Ok(bytes.to_vec()),
                Line::TooLong { len } => Err(len),
            })
        };
        let mut splitter = LineSplitter::new(limit);
        for piece in pieces {
            splitter.feed(piece, &mut on_line);
        }
        splitter.finish(&mut on_line);
        out
    }

    #[test]
    fn terminators_are_lf_or_crlf_and_a_final_lf_makes_no_empty_line() {
        let expected = vec![Ok(b"a".to_vec()), Ok(b"bc".to_vec()), Ok(Vec::new())];
        assert_eq!(lines(&[b"a\nbc\r\n\n"], 10), expected);
        assert_eq!(lines(&[b"a\nbc\r\n\n", b""], 10), expected);
        assert_eq!(lines(&[b"a", b"\nb", b"c\r", b"\n", b"\n"], 10), expected);
        assert_eq!(
            lines(&[b"x\ny"], 10),
            vec![Ok(b"x".to_vec()), Ok(b"y".to_vec())]
        );
        assert_eq!(lines(&[b"a\rb\n"], 10), vec![Ok(b"a\rb".to_vec())]);
    }

    #[test]
    fn feeding_around_the_whole_lines_cuts_the_same_lines() {
        let pieces: [&[u8]; 5] = [b"ab", b"c\r\nde\nf", b"gh", b"\r\ni\nabcdefg\n\nj", b"k"];
        let mut out = Vec::new();
        let mut on_line = |line: Line<'_>| {
            out.push(match line {
                Line::Whole(bytes) => Ok(bytes.to_vec()),
                Line::TooLong { len } => Err(len),
            })
        };
        let mut splitter = LineSplitter::new(4);
        for piece in pieces {
            let whole = splitter.feed_around(piece, &mut on_line);
            let mut inner = LineSplitter::new(4);
            inner.feed(whole, &mut on_line);
            assert_eq!(inner.len, 0, "only whole lines are handed back");
        }
        splitter.finish(&mut on_line);
        assert_eq!(out, lines(&pieces, 4));
        assert_eq!(out.len(), 7);
    }

    #[test]
    fn a_line_over_the_limit_is_measured_not_held() {
        assert_eq!(
            lines(&[b"abc\r\nabcd\n"], 3),
            vec![Ok(b"abc".to_vec()), Err(4)]
        );
        assert_eq!(
            lines(&[b"ab", b"c\r", b"\nab", b"cd", b"ef", b"\r\nz"], 3),
            vec![Ok(b"abc".to_vec()), Err(6), Ok(b"z".to_vec())]
        );
        let mut splitter = LineSplitter::new(3);
        splitter.feed(&[b'x'; 1000], &mut |_| {});
        assert!(splitter.partial.len() <= 4);
    }
}

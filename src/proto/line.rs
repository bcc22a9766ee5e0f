//! Line framing for text protocols (RFC 5321 §2.3.8, RFC 1939 §3).
//!
//! Commands end with CRLF; a bare LF also ends a command line so that people
//! typing with `nc` or `telnet` are understood (the SPEC's rule). Lines are
//! bounded: a line longer than the limit is reported once as
//! [`Line::TooLong`] and its bytes are discarded up to its end, so a peer can
//! never make us buffer more than the limit.

pub use crate::util::crlf_size;

/// One framed item taken from a [`LineBuffer`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its line end (CRLF or bare LF).
    Complete(&'a [u8]),
    /// A line that exceeded the limit; its bytes were discarded.
    TooLong,
}

/// Accumulates input and yields lines of at most `limit` octets (line end
/// included). Storage is allocated only while a partial line is pending.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out as lines (compacted lazily).
    start: usize,
    /// Discarding the rest of an over-long line until its LF.
    discarding: bool,
    /// While discarding: whether the last discarded byte was a CR, so a
    /// CRLF split between the discarded part and the next read is seen.
    last_discarded_cr: bool,
}

/// A line with the kind of line end it had, from [`LineBuffer::next_raw_line`].
#[derive(Debug, PartialEq, Eq)]
pub enum RawLine<'a> {
    /// A complete line without its line end.
    Complete {
        /// The line's bytes, CR and LF removed.
        text: &'a [u8],
        /// True for CRLF, false for a bare LF.
        crlf: bool,
    },
    /// A line over the limit, discarded; `crlf` tells how it ended.
    TooLong {
        /// True for CRLF, false for a bare LF.
        crlf: bool,
    },
}

impl LineBuffer {
    /// An empty buffer; allocates nothing until input arrives.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends input bytes.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Unconsumed bytes (a partial line, or whole lines not yet taken).
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Number of unconsumed bytes.
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// True when no unconsumed bytes are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `n` pending bytes as consumed (used by readers that frame the
    /// data themselves, such as the DATA reader).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        self.compact();
    }

    /// Takes the next line of at most `limit` octets including its line end.
    /// Returns `None` when no complete line is buffered yet.
    pub fn next_line(&mut self, limit: usize) -> Option<Line<'_>> {
        self.next_raw_line(limit).map(|raw| match raw {
            RawLine::Complete { text, .. } => Line::Complete(text),
            RawLine::TooLong { .. } => Line::TooLong,
        })
    }

    /// Like [`LineBuffer::next_line`], but also says whether the line ended
    /// with CRLF or a bare LF: the DATA reader needs that to tell a real
    /// `CRLF . CRLF` from a smuggling attempt (RFC 5321 §4.1.1.4).
    pub fn next_raw_line(&mut self, limit: usize) -> Option<RawLine<'_>> {
        let pending = &self.buf[self.start..];
        match memchr::memchr(b'\n', pending) {
            Some(i) => {
                let begin = self.start;
                self.start += i + 1;
                let crlf = if i > 0 {
                    self.buf[begin + i - 1] == b'\r'
                } else {
                    self.last_discarded_cr
                };
                if self.discarding || i + 1 > limit {
                    self.discarding = false;
                    self.last_discarded_cr = false;
                    return Some(RawLine::TooLong { crlf });
                }
                let end = if crlf { begin + i - 1 } else { begin + i };
                Some(RawLine::Complete {
                    text: &self.buf[begin..end],
                    crlf,
                })
            }
            None => {
                if self.discarding || pending.len() >= limit {
                    // Over the limit with no line end yet: drop what we
                    // have and remember to drop the rest of the line.
                    if let Some(&last) = pending.last() {
                        self.last_discarded_cr = last == b'\r';
                    }
                    self.discarding = true;
                    self.buf = Vec::new();
                    self.start = 0;
                    return None;
                }
                self.compact();
                None
            }
        }
    }

    /// Frees consumed space; releases the allocation when empty.
    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf = Vec::new();
            self.start = 0;
        } else if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Option<Vec<u8>>> {
        let mut b = LineBuffer::new();
        b.extend(input);
        let mut out = Vec::new();
        while let Some(l) = b.next_line(limit) {
            out.push(match l {
                Line::Complete(s) => Some(s.to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn crlf_and_bare_lf_end_lines() {
        assert_eq!(
            lines(b"HELO a\r\nNOOP\nQUIT\r\npart", 512),
            vec![
                Some(b"HELO a".to_vec()),
                Some(b"NOOP".to_vec()),
                Some(b"QUIT".to_vec())
            ]
        );
    }

    #[test]
    fn too_long_line_is_reported_once_and_discarded() {
        let mut input = b"NOOP ".to_vec();
        input.extend([b'x'; 2000]);
        input.extend(b"\r\nNOOP\r\n");
        assert_eq!(lines(&input, 512), vec![None, Some(b"NOOP".to_vec())]);
    }

    #[test]
    fn too_long_line_split_across_reads_is_bounded() {
        let mut b = LineBuffer::new();
        for _ in 0..100 {
            b.extend(&[b'y'; 300]);
            assert!(b.next_line(512).is_none());
            assert!(b.len() < 1024, "buffer grew to {}", b.len());
        }
        b.extend(b"\r\nNOOP\r\n");
        assert_eq!(b.next_line(512), Some(Line::TooLong));
        assert_eq!(b.next_line(512), Some(Line::Complete(b"NOOP")));
    }

    #[test]
    fn split_at_every_offset() {
        let input = b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\n";
        for cut in 0..input.len() {
            let mut b = LineBuffer::new();
            let mut got = Vec::new();
            for part in [&input[..cut], &input[cut..]] {
                b.extend(part);
                while let Some(Line::Complete(l)) = b.next_line(512) {
                    got.push(l.to_vec());
                }
            }
            assert_eq!(
                got,
                vec![
                    b"EHLO x".to_vec(),
                    b"MAIL FROM:<a@b>".to_vec(),
                    b"RCPT TO:<c@d>".to_vec()
                ],
                "cut {cut}"
            );
        }
    }
}

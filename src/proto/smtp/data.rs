//! The DATA reader (RFC 5321 §4.1.1.4, §4.5.2): removes dot-stuffing, finds
//! the end of the message, converts CRLF to the store's LF, and enforces the
//! size and line-length limits.
//!
//! Only `CRLF . CRLF` ends a message: a `.` line ended by a bare LF, or one
//! that follows a line ended by a bare LF, is content. That closes the SMTP
//! smuggling class (`\n.\n`, `\n.\r\n`, `\r.\r`, `\r\n.\n`), where a server
//! and a downstream peer disagree about where a message ends.

use std::sync::Arc;

use crate::proto::line::{LineBuffer, RawLine};
use crate::util::budget::{Held, MemoryBudget};

/// The longest text line, CRLF included (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;

/// How a DATA phase ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOutcome {
    /// The message, with LF line ends and dot-stuffing removed.
    Message(Vec<u8>),
    /// Over the size limit; the content was discarded as it came (552).
    TooBig,
    /// A line longer than 1000 octets was seen (500 5.5.2).
    LineTooLong,
    /// The server-wide memory budget ran out; the content was discarded as
    /// it came (452 4.3.1).
    NoMemory,
}

/// State of one DATA phase.
#[derive(Debug)]
pub struct DataReader {
    content: Vec<u8>,
    /// Message size as transmitted: unstuffed lines plus CRLF each
    /// (the measure SIZE uses, RFC 1870 §3).
    wire_size: usize,
    max_size: usize,
    /// Whether the previous line ended with CRLF (true at the start: the
    /// DATA command's own line end counts).
    prev_crlf: bool,
    too_big: bool,
    line_too_long: bool,
    /// Where the content's memory comes from, if anywhere.
    budget: Option<Arc<MemoryBudget>>,
    held: Held,
    no_memory: bool,
}

impl DataReader {
    /// A reader that accepts messages up to `max_size` octets.
    pub fn new(max_size: usize) -> Self {
        DataReader {
            content: Vec::new(),
            wire_size: 0,
            max_size,
            prev_crlf: true,
            too_big: false,
            line_too_long: false,
            budget: None,
            held: Held::new(),
            no_memory: false,
        }
    }

    /// Counts the content against a budget shared with other readers.
    pub fn with_budget(mut self, budget: Arc<MemoryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The budget taken for the content returned as
    /// [`DataOutcome::Message`]: keep it as long as the bytes are kept.
    pub fn take_held(&mut self) -> Held {
        std::mem::take(&mut self.held)
    }

    /// Takes budget for `more` bytes of content, in doubling steps (few
    /// atomic operations per message); false when it is exhausted.
    fn reserve(&mut self, more: usize) -> bool {
        match &self.budget {
            Some(b) => b.reserve(&mut self.held, self.content.len() + more),
            None => true,
        }
    }

    /// Octets received so far, as SIZE counts them.
    pub fn size(&self) -> usize {
        self.wire_size
    }

    /// Consumes complete lines from `input`; returns the outcome once the
    /// terminating `CRLF . CRLF` is seen (bytes after it stay in `input`).
    pub fn read(&mut self, input: &mut LineBuffer) -> Option<DataOutcome> {
        while let Some(line) = input.next_raw_line(MAX_TEXT_LINE) {
            match line {
                RawLine::TooLong { crlf } => {
                    self.line_too_long = true;
                    self.discard();
                    self.wire_size = self.wire_size.saturating_add(MAX_TEXT_LINE);
                    self.prev_crlf = crlf;
                }
                RawLine::Complete { text, crlf } => {
                    if crlf && self.prev_crlf && text == b"." {
                        return Some(self.finish());
                    }
                    self.prev_crlf = crlf;
                    let text = crate::proto::dotstuff::unstuff(text);
                    self.wire_size = self.wire_size.saturating_add(text.len() + 2);
                    if self.wire_size > self.max_size {
                        self.too_big = true;
                        self.discard();
                    }
                    let keeping = !self.too_big && !self.line_too_long && !self.no_memory;
                    if keeping && self.reserve(text.len() + 1) {
                        self.content.extend_from_slice(text);
                        self.content.push(b'\n');
                    } else if keeping {
                        self.no_memory = true;
                        self.discard();
                    }
                }
            }
        }
        None
    }

    /// Drops what was kept of a message that will not be accepted (and
    /// its share of the budget).
    fn discard(&mut self) {
        self.content = Vec::new();
        self.held = Held::new();
    }

    fn finish(&mut self) -> DataOutcome {
        if self.too_big {
            DataOutcome::TooBig
        } else if self.line_too_long {
            DataOutcome::LineTooLong
        } else if self.no_memory {
            DataOutcome::NoMemory
        } else {
            DataOutcome::Message(std::mem::take(&mut self.content))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], max: usize) -> (Option<DataOutcome>, Vec<u8>) {
        let mut buf = LineBuffer::new();
        buf.extend(input);
        let mut r = DataReader::new(max);
        let out = r.read(&mut buf);
        (out, buf.pending().to_vec())
    }

    #[test]
    fn unstuffs_and_converts_line_ends() {
        let (out, rest) = run(b"a\r\n..b\r\n.c\r\n...\r\n\r\n.\r\nQUIT\r\n", 1000);
        assert_eq!(
            out,
            Some(DataOutcome::Message(b"a\n.b\nc\n..\n\n".to_vec()))
        );
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn smuggling_variants_are_content() {
        for fake in [&b"\n.\n"[..], b"\n.\r\n", b"\r.\r", b"\r\n.\n", b"\r\n.\r"] {
            let mut input = b"text".to_vec();
            input.extend_from_slice(fake);
            input.extend_from_slice(b"MAIL FROM:<m@evil>\r\n.\r\n");
            let (out, rest) = run(&input, 10_000);
            match out {
                Some(DataOutcome::Message(m)) => {
                    assert!(m.windows(10).any(|w| w == b"MAIL FROM:"), "{fake:?}: {m:?}")
                }
                other => panic!("{fake:?}: {other:?}"),
            }
            assert!(rest.is_empty(), "{fake:?}");
        }
    }

    #[test]
    fn split_at_every_offset_gives_the_same_message() {
        let input = b"Subject: x\r\n\r\n..dot\nbare\r\nline\r\n.\r\nNOOP\r\n";
        let whole = run(input, 1000);
        for cut in 0..input.len() {
            let mut buf = LineBuffer::new();
            let mut r = DataReader::new(1000);
            buf.extend(&input[..cut]);
            let mut out = r.read(&mut buf);
            if out.is_none() {
                buf.extend(&input[cut..]);
                out = r.read(&mut buf);
            } else {
                buf.extend(&input[cut..]);
            }
            assert_eq!(out, whole.0, "cut {cut}");
            assert_eq!(buf.pending(), &whole.1[..], "cut {cut}");
        }
    }

    #[test]
    fn size_limit_discards_content() {
        let mut input = Vec::new();
        for _ in 0..100 {
            input.extend_from_slice(&[b'y'; 70]);
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b".\r\n");
        assert_eq!(run(&input, 1000).0, Some(DataOutcome::TooBig));
        assert!(matches!(
            run(&input, 100_000).0,
            Some(DataOutcome::Message(_))
        ));
    }

    #[test]
    fn long_line_is_refused_but_end_still_found() {
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\r\n.\r\n");
        assert_eq!(run(&input, 1 << 20).0, Some(DataOutcome::LineTooLong));
        let mut ok = vec![b'x'; 998];
        ok.extend_from_slice(b"\r\n.\r\n");
        assert!(matches!(run(&ok, 1 << 20).0, Some(DataOutcome::Message(_))));
    }

    #[test]
    fn a_spent_budget_discards_the_message_and_says_so() {
        let budget = MemoryBudget::new(10_000);
        let mut first = DataReader::new(1 << 20).with_budget(budget.clone());
        let mut buf = LineBuffer::new();
        buf.extend(&[b"x".repeat(998).as_slice(), b"\r\n"].concat().repeat(6));
        buf.extend(b".\r\n");
        assert!(matches!(first.read(&mut buf), Some(DataOutcome::Message(m)) if m.len() == 5994));
        let held = first.take_held();
        assert!(held.bytes() >= 5994 && budget.used() == held.bytes());
        // A second message does not fit beside the first: discarded, the
        // end still found, and nothing of the budget kept.
        let mut second = DataReader::new(1 << 20).with_budget(budget.clone());
        buf.extend(&[b"y".repeat(998).as_slice(), b"\r\n"].concat().repeat(6));
        buf.extend(b".\r\nQUIT\r\n");
        assert_eq!(second.read(&mut buf), Some(DataOutcome::NoMemory));
        assert_eq!(buf.pending(), b"QUIT\r\n");
        assert_eq!(budget.used(), held.bytes());
        drop(held);
        assert_eq!(budget.used(), 0);
    }
}

//! The BDAT reader (RFC 3030 CHUNKING): a message's chunks, each read
//! exactly by its size. Nothing inside a chunk ends the message (no
//! dot-stuffing, no end-of-data line): only `BDAT n LAST` does. The
//! bytes are converted to the store's LF line ends as DATA's are (a CRLF
//! split between two chunks included), counted against the size limit
//! and the shared memory budget, and kept until the last chunk.

use std::sync::Arc;

use super::data::{DataOutcome, MAX_TEXT_LINE};
use crate::util::budget::{Held, MemoryBudget};

/// The chunks of one message so far.
#[derive(Debug)]
pub struct ChunkReader {
    content: Vec<u8>,
    /// Octets received, as transmitted (the measure SIZE uses).
    size: usize,
    max_size: usize,
    /// The previous chunk ended with a CR whose LF may open the next.
    pending_cr: bool,
    /// Octets in the current line so far (for the 1000-octet limit).
    line: usize,
    /// BODY=BINARYMIME (RFC 3030 §3): no line-length limit.
    binary: bool,
    too_big: bool,
    line_too_long: bool,
    no_memory: bool,
    budget: Option<Arc<MemoryBudget>>,
    held: Held,
}

impl ChunkReader {
    /// A reader for a message of at most `max_size` octets; `binary` for
    /// BODY=BINARYMIME.
    pub fn new(max_size: usize, binary: bool) -> Self {
        ChunkReader {
            content: Vec::new(),
            size: 0,
            max_size,
            pending_cr: false,
            line: 0,
            binary,
            too_big: false,
            line_too_long: false,
            no_memory: false,
            budget: None,
            held: Held::new(),
        }
    }

    /// Counts the content against a budget shared with other readers.
    pub fn with_budget(mut self, budget: Arc<MemoryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Octets received so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the message already cannot be accepted (over the size
    /// limit, a line too long, no memory): the rest is read and dropped.
    pub fn failed(&self) -> Option<DataOutcome> {
        if self.too_big {
            Some(DataOutcome::TooBig)
        } else if self.line_too_long {
            Some(DataOutcome::LineTooLong)
        } else if self.no_memory {
            Some(DataOutcome::NoMemory)
        } else {
            None
        }
    }

    /// Takes budget for `more` bytes, in doubling steps.
    fn reserve(&mut self, more: usize) -> bool {
        match &self.budget {
            Some(b) => b.reserve(&mut self.held, self.content.len() + more),
            None => true,
        }
    }

    fn discard(&mut self) {
        self.content = Vec::new();
        self.held = Held::new();
    }

    /// Takes bytes of the current chunk (any split).
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.size = self.size.saturating_add(bytes.len());
        if self.size > self.max_size && !self.too_big {
            self.too_big = true;
            self.discard();
        }
        if !self.binary && !self.line_too_long {
            // The longest line so far, CR LF counted in the 1000 (RFC 5321
            // §4.5.3.1.6): octets between line feeds, found with memchr.
            let mut start = 0;
            let mut longest = 0;
            for i in memchr::memchr_iter(b'\n', bytes) {
                longest = longest.max(self.line + (i - start));
                self.line = 0;
                start = i + 1;
            }
            self.line += bytes.len() - start;
            if longest.max(self.line) > MAX_TEXT_LINE - 1 {
                self.line_too_long = true;
                self.discard();
            }
        }
        if self.failed().is_some() {
            self.pending_cr = false;
            return;
        }
        if !self.reserve(bytes.len() + 1) {
            self.no_memory = true;
            self.discard();
            return;
        }
        let mut rest = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if rest.first() != Some(&b'\n') {
                self.content.push(b'\r');
            }
        }
        // CRLF -> LF; a bare CR or LF stays as it is.
        while let Some(i) = memchr::memchr(b'\r', rest) {
            self.content.extend_from_slice(&rest[..i]);
            match rest.get(i + 1) {
                Some(b'\n') => {
                    rest = &rest[i + 1..];
                }
                Some(_) => {
                    self.content.push(b'\r');
                    rest = &rest[i + 1..];
                }
                None => {
                    self.pending_cr = true;
                    rest = &[];
                }
            }
        }
        self.content.extend_from_slice(rest);
    }

    /// The last chunk is in: the message (LF line ends), or why not.
    pub fn finish(&mut self) -> DataOutcome {
        if let Some(f) = self.failed() {
            return f;
        }
        if std::mem::take(&mut self.pending_cr) {
            self.content.push(b'\r');
        }
        DataOutcome::Message(std::mem::take(&mut self.content))
    }

    /// The budget taken for the content returned by [`ChunkReader::finish`].
    pub fn take_held(&mut self) -> Held {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(chunks: &[&[u8]], max: usize, binary: bool) -> DataOutcome {
        let mut r = ChunkReader::new(max, binary);
        for c in chunks {
            r.push(c);
        }
        r.finish()
    }

    #[test]
    fn crlf_becomes_lf_at_every_split_and_nothing_ends_a_chunk() {
        let msg = b"Subject: x\r\n\r\n.\r\nQUIT\r\n.\r\nbare\rcr and bare\nlf\r";
        let want =
            DataOutcome::Message(b"Subject: x\n\n.\nQUIT\n.\nbare\rcr and bare\nlf\r".to_vec());
        assert_eq!(read(&[msg], 1000, false), want);
        for cut in 0..=msg.len() {
            for cut2 in cut..=msg.len() {
                assert_eq!(
                    read(&[&msg[..cut], &msg[cut..cut2], &msg[cut2..]], 1000, false),
                    want,
                    "{cut} {cut2}"
                );
            }
        }
    }

    #[test]
    fn limits_fail_the_message_but_the_bytes_are_still_taken() {
        assert_eq!(
            read(&[&[b'x'; 600], &[b'y'; 600]], 1000, true),
            DataOutcome::TooBig
        );
        let long = [b'x'; 1200];
        assert_eq!(
            read(&[&long[..700], &long[700..]], 1 << 20, false),
            DataOutcome::LineTooLong
        );
        assert!(
            matches!(read(&[&long], 1 << 20, true), DataOutcome::Message(m) if m.len() == 1200)
        );
        let ok = [&[b'x'; 998][..], b"\r\n"].concat();
        assert!(matches!(
            read(&[&ok], 1 << 20, false),
            DataOutcome::Message(_)
        ));
        let budget = MemoryBudget::new(5000);
        let mut r = ChunkReader::new(1 << 20, true).with_budget(budget.clone());
        r.push(&[b'z'; 8000]);
        assert_eq!(r.finish(), DataOutcome::NoMemory);
        drop(r);
        assert_eq!(budget.used(), 0);
    }
}

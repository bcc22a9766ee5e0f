//! Streamed output: a body a session hands the loop instead of one buffer
//! (POP3 RETR and TOP now; IMAP FETCH and HTTP downloads next). The loop
//! pulls the next chunk only when the socket has drained the last one, so
//! a transfer holds a chunk of memory, not the message, however large it
//! is and however many clients fetch it at once.
//!
//! The session never reads the source (it stays sans-IO): it passes on
//! what its owner opened (a file range from the store) with the transform
//! the protocol needs.

use std::fmt;
use std::io::{self, Read};

use super::dotstuff::Encoder;

/// A source of body bytes and the transform applied on the way out.
pub struct Body {
    source: Box<dyn Read + Send>,
    /// `None`: bytes go out as they are.
    encoder: Option<Encoder>,
    scratch: Vec<u8>,
    done: bool,
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("encoder", &self.encoder)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Body {
    /// The source's bytes unchanged (IMAP literals, HTTP bodies).
    pub fn raw(source: Box<dyn Read + Send>) -> Body {
        Body {
            source,
            encoder: None,
            scratch: Vec::new(),
            done: false,
        }
    }

    /// The source as a dot-stuffed multi-line body (see [`Encoder`]),
    /// without the terminating line.
    pub fn dot_stuffed(source: Box<dyn Read + Send>, encoder: Encoder) -> Body {
        Body {
            source,
            encoder: Some(encoder),
            scratch: Vec::new(),
            done: false,
        }
    }

    /// Appends the next piece of output (read about `chunk` bytes from
    /// the source) to `out`. Returns `Ok(true)` once the body is complete.
    pub fn fill(&mut self, out: &mut Vec<u8>, chunk: usize) -> io::Result<bool> {
        if self.done {
            return Ok(true);
        }
        let Some(enc) = self.encoder.as_mut() else {
            let start = out.len();
            out.resize(start + chunk, 0);
            let n = read_some(&mut self.source, &mut out[start..]);
            out.truncate(start + n.as_ref().map_or(0, |n| *n));
            self.done = n? == 0;
            return Ok(self.done);
        };
        if enc.is_done() {
            self.done = true;
            return Ok(true);
        }
        // Grown as reads fill it: a small message costs a small buffer.
        let want = if self.scratch.is_empty() {
            chunk.min(16 * 1024)
        } else {
            self.scratch.len()
        };
        self.scratch.resize(want, 0);
        let n = read_some(&mut self.source, &mut self.scratch)?;
        if n == self.scratch.len() && n < chunk {
            self.scratch.resize((n * 2).min(chunk), 0);
        }
        if n == 0 {
            enc.finish(out);
            self.done = true;
            self.scratch = Vec::new();
        } else {
            enc.encode(&self.scratch[..n], out);
        }
        Ok(self.done)
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut b: Body, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !b.fill(&mut out, chunk).unwrap() {}
        out
    }

    #[test]
    fn raw_and_stuffed_in_small_chunks() {
        let data = b"a\n.b\nc".to_vec();
        assert_eq!(
            drain(Body::raw(Box::new(io::Cursor::new(data.clone()))), 2),
            data
        );
        let stuffed = drain(
            Body::dot_stuffed(Box::new(io::Cursor::new(data)), Encoder::new()),
            3,
        );
        assert_eq!(stuffed, b"a\r\n..b\r\nc\r\n");
    }

    #[test]
    fn top_stops_reading() {
        let data = b"H: 1\n\nx\ny\n".to_vec();
        let out = drain(
            Body::dot_stuffed(Box::new(io::Cursor::new(data)), Encoder::top(1)),
            1,
        );
        assert_eq!(out, b"H: 1\r\n\r\nx\r\n");
    }
}

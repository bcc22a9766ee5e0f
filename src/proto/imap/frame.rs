//! Framing of an IMAP byte stream into whole messages (RFC 9051 §4.3,
//! §7.5): a message is lines up to a line that does not end in a literal
//! announcement (`{n}`, `{n+}`, `~{n}`), each announced literal's `n`
//! octets taken whole whatever they contain.
//!
//! The client reads FETCH responses of many megabytes through this, so it
//! works on one contiguous buffer with `memchr` and copies each octet
//! once; `imap-codec`'s `Fragmentizer` moves every octet through a
//! `VecDeque` one at a time, which was a third of `fetch --protocol
//! imap`'s time. Parsing the framed message stays with `imap-codec`.

/// A message (or one announced literal) would exceed the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// Splits input into whole messages, holding at most `max` octets of
/// one message.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    /// Where the message being framed starts in `buf`.
    start: usize,
    /// How far it has been framed.
    scan: usize,
    /// Octets of an announced literal not yet framed.
    literal: usize,
    max: usize,
}

impl Framer {
    /// A framer for messages of at most `max` octets.
    pub fn new(max: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            start: 0,
            scan: 0,
            literal: 0,
            max,
        }
    }

    /// Adds input.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && (self.start == self.buf.len() || self.start >= 64 * 1024) {
            self.buf.drain(..self.start);
            self.scan -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, if one is in; `Err` once one grows past
    /// the bound (the stream cannot be framed further).
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, TooLarge> {
        loop {
            if self.literal > 0 {
                let have = self.buf.len() - self.scan;
                if have < self.literal {
                    self.scan = self.buf.len();
                    self.literal -= have;
                    return Ok(None);
                }
                self.scan += self.literal;
                self.literal = 0;
            }
            let Some(i) = memchr::memchr(b'\n', &self.buf[self.scan..]) else {
                self.scan = self.buf.len();
                if self.scan - self.start > self.max {
                    return Err(TooLarge);
                }
                return Ok(None);
            };
            let end = self.scan + i + 1;
            if end - self.start > self.max {
                return Err(TooLarge);
            }
            match announced(&self.buf[self.start..end]) {
                Some(n) if n > self.max - (end - self.start) => return Err(TooLarge),
                Some(n) => {
                    self.literal = n;
                    self.scan = end;
                }
                None => {
                    let msg = self.buf[self.start..end].to_vec();
                    self.start = end;
                    self.scan = end;
                    return Ok(Some(msg));
                }
            }
        }
    }
}

/// The literal a line (with its line end) announces at its end:
/// `{n}`, `{n+}` (RFC 7888) or `~{n}` (RFC 3516), `n` at most ten digits.
fn announced(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let inner = inner.strip_suffix(b"+").unwrap_or(inner);
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &[u8] =
        b"* 1 FETCH (BODY[] {11}\r\nab\r\n{3}\r\nxy) \r\n* 2 EXISTS\r\nt1 OK ~{2}\r\n\r\n done\r\n";

    fn frames(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut f = Framer::new(1000);
        let mut out = Vec::new();
        for c in chunks {
            f.push(c);
            while let Some(m) = f.next_message().unwrap() {
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn literals_are_taken_whole_at_every_split() {
        let whole = frames(&[STREAM]);
        assert_eq!(
            whole,
            [
                b"* 1 FETCH (BODY[] {11}\r\nab\r\n{3}\r\nxy) \r\n".to_vec(),
                b"* 2 EXISTS\r\n".to_vec(),
                b"t1 OK ~{2}\r\n\r\n done\r\n".to_vec(),
            ]
        );
        for i in 0..STREAM.len() {
            for j in i..STREAM.len() {
                let got = frames(&[&STREAM[..i], &STREAM[i..j], &STREAM[j..]]);
                assert_eq!(got, whole, "split at {i} and {j}");
            }
        }
        let bytes: Vec<&[u8]> = STREAM.chunks(1).collect();
        assert_eq!(frames(&bytes), whole);
    }

    #[test]
    fn announcements() {
        assert_eq!(announced(b"a {5}\r\n"), Some(5));
        assert_eq!(announced(b"a {5+}\r\n"), Some(5));
        assert_eq!(announced(b"a ~{0}\n"), Some(0));
        assert_eq!(announced(b"a {}\r\n"), None);
        assert_eq!(announced(b"a {x}\r\n"), None);
        assert_eq!(announced(b"a {12345678901}\r\n"), None);
        assert_eq!(announced(b"a }\r\n"), None);
    }

    #[test]
    fn bounded() {
        let mut f = Framer::new(20);
        f.push(b"* 1 FETCH (BODY[] {100}\r\n");
        assert_eq!(f.next_message(), Err(TooLarge));
        let mut f = Framer::new(20);
        f.push(b"* 1 OK xxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_eq!(f.next_message(), Err(TooLarge));
        let mut f = Framer::new(20);
        f.push(b"* 1 OK short\r\n");
        assert_eq!(f.next_message(), Ok(Some(b"* 1 OK short\r\n".to_vec())));
    }
}

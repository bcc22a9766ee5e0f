//! SMTP replies (RFC 5321 §4.2): emitting them, and reading them back with
//! continuation lines (`250-...`) grouped into one reply.

use std::fmt::Write as _;

/// One complete SMTP reply: a code and one or more text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line, without the code and separator.
    pub lines: Vec<String>,
}

impl Reply {
    /// True for 2xx (positive completion).
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The reply as it goes on the wire, CRLF line ends.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = String::new();
        let n = self.lines.len().max(1);
        for i in 0..n {
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            let sep = if i + 1 == n { ' ' } else { '-' };
            let _ = write!(out, "{}{}{}\r\n", self.code, sep, text);
        }
        out.into_bytes()
    }
}

/// Appends a one-line reply `CODE [ENHANCED ]TEXT\r\n` to `out`.
pub fn emit(out: &mut Vec<u8>, code: u16, enhanced: Option<&str>, text: &str) {
    let text = ascii_text(text);
    let _ = match enhanced {
        Some(e) => write!(Bytes(out), "{code} {e} {text}\r\n"),
        None => write!(Bytes(out), "{code} {text}\r\n"),
    };
}

/// Appends a multi-line reply, one `CODE-` line per entry and `CODE ` last.
pub fn emit_lines(out: &mut Vec<u8>, code: u16, lines: &[&str]) {
    for (i, text) in lines.iter().enumerate() {
        let text = ascii_text(text);
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        let _ = write!(Bytes(out), "{code}{sep}{text}\r\n");
    }
}

/// Reply text as RFC 5321 §4.2 allows it: printable US-ASCII, spaces and
/// tabs. `§` (in our own texts) is spelled out; anything else that is not
/// (UTF-8 echoed from an address, a control character) becomes `?`.
pub fn ascii_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '§' => out.push_str("section "),
            '\t' | ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    std::borrow::Cow::Owned(out)
}

struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Why a reply line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// The line does not start with three digits and a separator.
    Malformed(String),
    /// A continuation line's code differs from the first line's.
    CodeChanged,
    /// More continuation lines than we are willing to hold.
    TooManyLines,
}

/// Groups reply lines (`250-a`, `250 b`) into [`Reply`] values.
#[derive(Debug, Default)]
pub struct ReplyReader {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyReader {
    /// Most lines one reply may have (EHLO lists stay far below this).
    pub const MAX_LINES: usize = 100;

    /// Feeds one line (without CRLF); returns a reply when it was the last.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let (code, last, text) = parse_line(line)?;
        if let Some(prev) = self.code {
            if prev != code {
                self.code = None;
                self.lines.clear();
                return Err(ReplyError::CodeChanged);
            }
        }
        self.code = Some(code);
        if self.lines.len() >= Self::MAX_LINES {
            self.code = None;
            self.lines.clear();
            return Err(ReplyError::TooManyLines);
        }
        self.lines.push(text);
        if last {
            self.code = None;
            return Ok(Some(Reply {
                code,
                lines: std::mem::take(&mut self.lines),
            }));
        }
        Ok(None)
    }
}

/// Splits one reply line into (code, is-last, text) (RFC 5321 §4.2.1).
pub fn parse_line(line: &[u8]) -> Result<(u16, bool, String), ReplyError> {
    let malformed = || ReplyError::Malformed(String::from_utf8_lossy(line).into_owned());
    if line.len() < 3
        || !line[..3].iter().all(u8::is_ascii_digit)
        || !(b'2'..=b'5').contains(&line[0])
    {
        return Err(malformed());
    }
    let code =
        (line[0] - b'0') as u16 * 100 + (line[1] - b'0') as u16 * 10 + (line[2] - b'0') as u16;
    let (last, text) = match line.get(3) {
        None => (true, &line[3..]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return Err(malformed()),
    };
    Ok((code, last, String::from_utf8_lossy(text).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_single_and_multi_line() {
        let mut out = Vec::new();
        emit(&mut out, 250, Some("2.0.0"), "OK");
        emit(&mut out, 220, None, "hamburger.edu");
        emit_lines(&mut out, 250, &["hamburger.edu", "PIPELINING", "SIZE 10"]);
        assert_eq!(
            out,
            b"250 2.0.0 OK\r\n220 hamburger.edu\r\n250-hamburger.edu\r\n250-PIPELINING\r\n250 SIZE 10\r\n"
        );
    }

    #[test]
    fn groups_continuation_lines() {
        let mut r = ReplyReader::default();
        assert_eq!(r.push_line(b"250-hamburger.edu"), Ok(None));
        assert_eq!(r.push_line(b"250-PIPELINING"), Ok(None));
        let reply = r.push_line(b"250 SIZE 100").unwrap().unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, vec!["hamburger.edu", "PIPELINING", "SIZE 100"]);
        assert_eq!(
            reply.to_wire(),
            b"250-hamburger.edu\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
        );
        assert_eq!(r.push_line(b"354").unwrap().unwrap().code, 354);
    }

    #[test]
    fn rejects_malformed() {
        let mut r = ReplyReader::default();
        assert!(r.push_line(b"hello").is_err());
        assert!(r.push_line(b"25").is_err());
        assert!(r.push_line(b"250x").is_err());
        assert!(r.push_line(b"650 no").is_err());
        assert_eq!(r.push_line(b"250-a"), Ok(None));
        assert_eq!(r.push_line(b"251 b"), Err(ReplyError::CodeChanged));
    }
}

//! Dot-stuffing, both ways: the transparency of SMTP's DATA (RFC 5321
//! §4.5.2) and POP3's multi-line responses (RFC 1939 §3). One encoder for
//! every sender (`send`, the relay client, POP3 RETR and TOP), streaming so
//! a message can go out a chunk at a time; one decoder rule for every
//! reader.

/// Streams a stored message (LF or CRLF line ends) into its wire form:
/// every line end CRLF, a line that starts with `.` gets a second one, a
/// last line without a line end gets one. A CR not followed by LF stays
/// as it is (so the output has exactly [`crate::proto::line::crlf_size`]
/// octets before stuffing). With [`Encoder::top`], only the header, the
/// blank line and that many body lines (POP3 TOP, RFC 1939 §7). The
/// terminating `.` line is the caller's ([`TERMINATOR`]).
#[derive(Debug, Clone)]
pub struct Encoder {
    at_line_start: bool,
    /// A CR was the last byte seen: whether it ends a line depends on the
    /// next byte, which may be in the next chunk.
    pending_cr: bool,
    /// The current line has had no bytes yet (for the blank line that ends
    /// the header).
    line_empty: bool,
    in_body: bool,
    body_lines: usize,
    top: Option<usize>,
    done: bool,
}

/// The line that ends a dot-stuffed body.
pub const TERMINATOR: &[u8] = b".\r\n";

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// The whole message.
    pub fn new() -> Encoder {
        Encoder {
            at_line_start: true,
            pending_cr: false,
            line_empty: true,
            in_body: false,
            body_lines: 0,
            top: None,
            done: false,
        }
    }

    /// The header and the first `lines` lines of the body (POP3 TOP).
    pub fn top(lines: usize) -> Encoder {
        Encoder {
            top: Some(lines),
            ..Encoder::new()
        }
    }

    /// Whether the rest of the input would be dropped (TOP's limit is
    /// reached): the caller may stop reading its source.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Encodes the next piece of the message onto `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() && !self.done {
            if self.at_line_start {
                if self.in_body {
                    if self.top.is_some_and(|n| self.body_lines >= n) {
                        self.done = true;
                        return;
                    }
                    self.body_lines += 1;
                }
                self.at_line_start = false;
                self.line_empty = true;
                if input[i] == b'.' {
                    out.push(b'.');
                }
            }
            let b = input[i];
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    out.extend_from_slice(b"\r\n");
                    self.end_line();
                    i += 1;
                    continue;
                }
                out.push(b'\r');
                self.line_empty = false;
            }
            match b {
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.end_line();
                    i += 1;
                }
                b'\r' => {
                    self.pending_cr = true;
                    i += 1;
                }
                _ => {
                    let end =
                        memchr::memchr2(b'\r', b'\n', &input[i..]).map_or(input.len(), |p| i + p);
                    out.extend_from_slice(&input[i..end]);
                    self.line_empty = false;
                    i = end;
                }
            }
        }
    }

    fn end_line(&mut self) {
        if !self.in_body && self.line_empty {
            self.in_body = true;
        }
        self.at_line_start = true;
    }

    /// The input has ended: ends an unterminated last line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
    }
}

/// A whole message in wire form, terminator included (for messages that
/// are in memory anyway: `send`'s, the relay queue's).
pub fn encode(data: &[u8], top: Option<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 40 + 8);
    let mut e = top.map_or_else(Encoder::new, Encoder::top);
    e.encode(data, &mut out);
    e.finish(&mut out);
    out.extend_from_slice(TERMINATOR);
    out
}

/// A received line (line end removed) without its stuffing: "if the first
/// character is a period and there are other characters on the line, the
/// first character is deleted" (RFC 5321 §4.5.2).
pub fn unstuff(line: &[u8]) -> &[u8] {
    match line {
        [b'.', rest @ ..] if !rest.is_empty() => rest,
        _ => line,
    }
}

/// Reading a dot-stuffed body line by line (line end removed): `None` for
/// the terminating `.` line, else the line unstuffed.
pub fn decode_line(line: &[u8]) -> Option<&[u8]> {
    if line == b"." {
        return None;
    }
    Some(unstuff(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_every_split(data: &[u8], top: Option<usize>) -> Vec<u8> {
        let whole = encode(data, top);
        for cut in 0..=data.len() {
            let mut out = Vec::new();
            let mut e = top.map_or_else(Encoder::new, Encoder::top);
            e.encode(&data[..cut], &mut out);
            e.encode(&data[cut..], &mut out);
            e.finish(&mut out);
            out.extend_from_slice(TERMINATOR);
            assert_eq!(out, whole, "split at {cut} of {data:?}");
        }
        whole
    }

    #[test]
    fn line_ends_and_dots() {
        assert_eq!(at_every_split(b"a\nb\r\n", None), b"a\r\nb\r\n.\r\n");
        assert_eq!(
            at_every_split(b".x\n..\n.", None),
            b"..x\r\n...\r\n..\r\n.\r\n"
        );
        assert_eq!(at_every_split(b"no end", None), b"no end\r\n.\r\n");
        assert_eq!(at_every_split(b"", None), b".\r\n");
        // A lone CR is data; one at the end still gets a line end after it.
        assert_eq!(at_every_split(b"a\rb\nc\r", None), b"a\rb\r\nc\r\r\n.\r\n");
        assert_eq!(at_every_split(b"\r\r\n", None), b"\r\r\n.\r\n");
    }

    #[test]
    fn output_size_is_crlf_size_before_stuffing() {
        for data in [&b"a\nb"[..], b"x\r\ny\r", b"\n\n\r\n", b"..\n", b"q\rw"] {
            let out = encode(data, None);
            let dots = out.len() - TERMINATOR.len() - crate::proto::line::crlf_size(data);
            let stuffed_lines = out
                .split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b".."))
                .count();
            assert_eq!(dots, stuffed_lines, "{data:?}");
        }
    }

    #[test]
    fn top_counts_body_lines_after_the_blank_line() {
        let m = b"A: 1\nB: 2\n\nl1\n.l2\nl3\n";
        assert_eq!(at_every_split(m, Some(0)), b"A: 1\r\nB: 2\r\n\r\n.\r\n");
        assert_eq!(
            at_every_split(m, Some(2)),
            b"A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n"
        );
        assert_eq!(at_every_split(m, Some(9)), encode(m, None));
        // A CRLF blank line ends the header too; no blank line: all header.
        assert_eq!(
            at_every_split(b"A: 1\r\n\r\nx\r\n", Some(0)),
            b"A: 1\r\n\r\n.\r\n"
        );
        assert_eq!(at_every_split(b"A: 1\nB\n", Some(0)), b"A: 1\r\nB\r\n.\r\n");
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_line(b"."), None);
        assert_eq!(decode_line(b".."), Some(&b"."[..]));
        assert_eq!(decode_line(b"..x"), Some(&b".x"[..]));
        assert_eq!(decode_line(b"x"), Some(&b"x"[..]));
        // Not at a terminator's place (SMTP after a bare LF): data.
        assert_eq!(unstuff(b"."), b".");
        assert_eq!(unstuff(b".."), b".");
    }
}

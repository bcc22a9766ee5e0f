//! Small helpers with no better home: dates, sizes, the host name.

pub mod budget;
pub mod cidr;
pub mod mutf7;
pub mod time;

use std::fmt;

/// A value given on the command line (or in a variable standing in for
/// one) that is not of the form its flag takes: the value and what the
/// flag expects, so the message tells the user how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// The value as given.
    pub value: String,
    /// What would be accepted ("a number of bytes, optionally with K, M
    /// or G").
    pub expected: String,
}

impl BadValue {
    /// `value` is wrong; `expected` says what is right.
    pub fn new(value: &str, expected: impl Into<String>) -> Self {
        BadValue {
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: expected {}", self.value, self.expected)
    }
}

impl std::error::Error for BadValue {}

/// LF line ends made CRLF (a lone CR kept), as the wire carries them.
pub fn lf_to_crlf(d: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(d.len() + d.len() / 40);
    lf_to_crlf_into(&mut out, d);
    out
}

/// [`lf_to_crlf`] appended to `out`.
pub fn lf_to_crlf_into(out: &mut Vec<u8>, d: &[u8]) {
    out.reserve(d.len() + d.len() / 40);
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', d) {
        if i == 0 || d[i - 1] != b'\r' {
            out.extend_from_slice(&d[start..i]);
            out.extend_from_slice(b"\r\n");
            start = i + 1;
        }
    }
    out.extend_from_slice(&d[start..]);
}

/// Parses a size such as `52428800`, `50M`, `512K` or `1G` (binary units).
pub fn parse_size(s: &str) -> Result<usize, BadValue> {
    let t = s.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 1024),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 1024 * 1024),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| BadValue::new(s, "a size: a number of bytes, optionally with K, M or G"))
}

/// Parses a duration such as `90s`, `30m`, `12h`, `7d` or `2w` (a bare
/// number is seconds), as `--max-age` takes it.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, BadValue> {
    let t = s.trim().to_ascii_lowercase();
    let bad = || {
        BadValue::new(
            s,
            "a duration: a number with s, m, h, d or w (90s, 30m, 12h, 7d)",
        )
    };
    let (digits, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3600),
        Some((i, 'd')) => (&t[..i], 86_400),
        Some((i, 'w')) => (&t[..i], 7 * 86_400),
        _ => (t.as_str(), 1),
    };
    let n: u64 = digits.trim().parse().map_err(|_| bad())?;
    n.checked_mul(mult)
        .filter(|&secs| secs > 0)
        .map(std::time::Duration::from_secs)
        .ok_or_else(bad)
}

/// `HOST[:PORT]` with `port` added when the text has none (IPv6 literals
/// with or without brackets), ready for `to_socket_addrs`.
pub fn with_default_port(server: &str, port: u16) -> String {
    if server.starts_with('[') {
        if server.contains("]:") {
            server.to_string()
        } else {
            format!("{server}:{port}")
        }
    } else if server.matches(':').count() == 1 {
        server.to_string()
    } else if server.contains(':') {
        format!("[{server}]:{port}")
    } else {
        format!("{server}:{port}")
    }
}

/// CRLF line ends made LF (a lone CR kept): how the store keeps messages
/// that arrive with CRLF (SPEC, "The mail store"); used by IMAP APPEND and
/// by fetch.
pub fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut start = 0;
    for i in memchr::memmem::find_iter(data, b"\r\n") {
        out.extend_from_slice(&data[start..i]);
        start = i + 1;
    }
    out.extend_from_slice(&data[start..]);
    out
}

/// The size of `data` with every line end as CRLF and a final line end
/// added when it lacks one: what a message occupies on the wire before
/// dot-stuffing (SMTP SIZE, RFC 1870 §3; POP3 LIST and STAT, RFC 1939 §5).
pub fn crlf_size(data: &[u8]) -> usize {
    let lf = memchr::memchr_iter(b'\n', data).count();
    let crlf = memchr::memmem::find_iter(data, b"\r\n").count();
    let unterminated = !data.is_empty() && !data.ends_with(b"\n");
    data.len() + (lf - crlf) + if unterminated { 2 } else { 0 }
}

/// The mailbox directory name for an address: the address lowercased
/// (Unicode lowercase, for SMTPUTF8 addresses), or `None` when it could
/// name a path outside the store (a `/`, a leading `.`, control characters)
/// or is too long to be a file name.
pub fn mailbox_name(address: &str) -> Option<String> {
    let name = address.to_lowercase();
    let bad = name.is_empty()
        || name.len() > 255
        || name.starts_with('.')
        || name.contains('/')
        || name.contains('\\')
        || name.chars().any(|c| c.is_control());
    (!bad).then_some(name)
}

/// The host part of `HOST[:PORT]` (brackets of an IPv6 literal removed),
/// the name a client checks the server's certificate against.
pub fn server_host(server: &str) -> String {
    if let Some(rest) = server.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match server.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
        _ => server.to_owned(),
    }
}

/// `n` and the noun, singular for one: `1 message`, `2 messages`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// This machine's host name, or `localhost` when it cannot be read.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // within it on success (we also stop at the end).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        if let Ok(s) = std::str::from_utf8(&buf[..end]) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    "localhost".to_string()
}

/// Text safe to print on a terminal: control characters (escape sequences
/// included) written as `\xNN`; tabs kept when `keep_tab`.
pub fn escape_controls(s: &str, keep_tab: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && !(keep_tab && c == '\t') {
            o.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            o.push(c);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10000"), Ok(10000));
        assert_eq!(parse_size("50M"), Ok(50 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn crlf_to_lf_keeps_lone_crs() {
        assert_eq!(crlf_to_lf(b""), b"");
        assert_eq!(crlf_to_lf(b"a\r\nb\nc\r"), b"a\nb\nc\r");
        assert_eq!(crlf_to_lf(b"\r\r\n\r\n"), b"\r\n\n");
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_duration("7D").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(
            parse_duration("0h").is_err()
                && parse_duration("x").is_err()
                && parse_duration("9999999999999999w").is_err()
        );
    }

    #[test]
    fn crlf_at_every_kind_of_line_end() {
        assert_eq!(lf_to_crlf(b""), b"");
        assert_eq!(lf_to_crlf(b"x"), b"x");
        assert_eq!(lf_to_crlf(b"\n"), b"\r\n");
        assert_eq!(lf_to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(lf_to_crlf(b"\r\n\n\rd"), b"\r\n\r\n\rd");
    }
}

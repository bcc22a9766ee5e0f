//! Header and body encodings that keep a composed message 7-bit clean:
//! RFC 2047 encoded words, RFC 2231 parameters, quoted-printable and
//! base64 bodies (RFC 2045 §6), all with CRLF line ends.

use data_encoding::BASE64;

/// Longest encoded word (RFC 2047 §2).
const MAX_WORD: usize = 75;

/// An unstructured header value (Subject, comments, custom fields) made
/// 7-bit: unchanged when ASCII, else RFC 2047 `B` encoded words of at most
/// 75 characters, split on character boundaries and separated by folding
/// white space (`CRLF SP`).
pub fn unstructured(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    encoded_words(value).join("\r\n ")
}

/// Splits text into `=?utf-8?B?...?=` words, each within 75 characters.
pub fn encoded_words(text: &str) -> Vec<String> {
    // Each word carries at most 39 bytes of UTF-8: 52 base64 characters
    // plus the 12 of `=?utf-8?B??=` is 64, so even `Subject: ` and the
    // first word fit in 78 characters (RFC 5322 §2.1.1).
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(word(&chunk));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(word(&chunk));
    }
    words
}

fn word(chunk: &str) -> String {
    let w = format!("=?utf-8?B?{}?=", BASE64.encode(chunk.as_bytes()));
    debug_assert!(w.len() <= MAX_WORD);
    w
}

/// A display name for an address header: as is when it is a plain
/// sequence of atoms, quoted when it has specials, encoded when not ASCII
/// (RFC 5322 §3.4, RFC 2047 §5(3)).
pub fn display_name(name: &str) -> String {
    if !name.is_ascii() {
        return encoded_words(name).join(" ");
    }
    let atoms = name.split(' ').all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
    });
    if atoms {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A `name="value"` MIME parameter, or RFC 2231 `name*=utf-8''pct` when
/// the value is not plain ASCII.
pub fn parameter(name: &str, value: &str) -> String {
    if value.is_ascii() && !value.chars().any(|c| c.is_control()) {
        format!(
            "{name}=\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        )
    } else {
        let mut pct = String::new();
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                pct.push(b as char);
            } else {
                pct.push_str(&format!("%{b:02X}"));
            }
        }
        format!("{name}*=utf-8''{pct}")
    }
}

/// Base64 with 76-character lines and CRLF (RFC 2045 §6.8).
pub fn base64_lines(data: &[u8]) -> Vec<u8> {
    let text = BASE64.encode(data);
    let mut out = Vec::with_capacity(text.len() + text.len() / 76 * 2 + 2);
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Quoted-printable with CRLF line ends and soft breaks (RFC 2045 §6.7);
/// the text's own line breaks stay hard breaks.
pub fn quoted_printable(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let normalized = text.replace("\r\n", "\n");
    let mut lines: Vec<&str> = normalized.split('\n').collect();
    if normalized.ends_with('\n') {
        lines.pop();
    }
    for line in lines {
        let encoded = quoted_printable::encode_to_str(line.as_bytes());
        out.extend_from_slice(encoded.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Text with CRLF line ends and a final line end.
pub fn crlf_text(text: &str) -> Vec<u8> {
    let normalized = text.replace("\r\n", "\n");
    let mut out = normalized.replace('\n', "\r\n").into_bytes();
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_round_trip_and_stay_short() {
        let s = "Grüße aus Köln — ça va? 日本語のテキストがとても長い場合でも大丈夫";
        let header = format!("Subject: {}", unstructured(s));
        for line in header.split("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        let raw = format!("{header}\r\n");
        let (parsed, _) = mailparse::parse_header(raw.as_bytes()).unwrap();
        assert_eq!(parsed.get_value(), s);
        assert_eq!(unstructured("plain"), "plain");
    }

    #[test]
    fn names_and_parameters() {
        assert_eq!(display_name("Alice Liddell"), "Alice Liddell");
        assert_eq!(display_name("Liddell, Alice"), "\"Liddell, Alice\"");
        assert!(display_name("José").starts_with("=?utf-8?B?"));
        assert_eq!(parameter("filename", "a b.txt"), "filename=\"a b.txt\"");
        assert_eq!(
            parameter("filename", "Grüße.txt"),
            "filename*=utf-8''Gr%C3%BC%C3%9Fe.txt"
        );
    }

    #[test]
    fn bodies() {
        let qp = quoted_printable("Zweite Zeile: äöü ß\n.dot\n");
        assert!(qp.is_ascii());
        assert_eq!(
            quoted_printable::decode(&qp, quoted_printable::ParseMode::Strict).unwrap(),
            "Zweite Zeile: äöü ß\r\n.dot\r\n".as_bytes()
        );
        let b = base64_lines(&[0u8; 100]);
        assert!(b.split(|&c| c == b'\n').all(|l| l.len() <= 77));
        assert_eq!(crlf_text("a\nb"), b"a\r\nb\r\n");
    }
}

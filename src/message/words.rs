//! RFC 2047 encoded words (`=?charset?B|Q?text?=`) decoded to UTF-8, with a
//! report of each word that does not decode, so the validator can say so.
//!
//! mailparse decodes words too, silently; this decoder exists because
//! `parse --validate` must name the words it could not decode (RFC 2047 §6.3:
//! an unrecognised charset or a malformed word is shown as it is).

use std::borrow::Cow;

/// Why one encoded word was shown as it is instead of decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordProblem {
    /// The charset is not one we know (RFC 2047 §6.3).
    UnknownCharset(String),
    /// The encoding letter is neither B nor Q (RFC 2047 §4).
    UnknownEncoding(char),
    /// The encoded text is not valid base64 (RFC 2047 §4.1).
    BadBase64,
    /// The decoded bytes are not valid in the named charset.
    BadBytes(String),
}

impl std::fmt::Display for WordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WordProblem::UnknownCharset(c) => write!(f, "unknown charset {c:?}"),
            WordProblem::UnknownEncoding(e) => write!(f, "unknown encoding {e:?} (B or Q)"),
            WordProblem::BadBase64 => f.write_str("invalid base64"),
            WordProblem::BadBytes(c) => write!(f, "bytes not valid in {c}"),
        }
    }
}

/// Decodes the encoded words in an unfolded header value. Linear white
/// space between two adjacent encoded words is dropped (RFC 2047 §6.2); a
/// word that does not decode is kept as it is and reported.
pub fn decode(text: &str) -> (Cow<'_, str>, Vec<WordProblem>) {
    if !text.contains("=?") {
        return (Cow::Borrowed(text), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut problems = Vec::new();
    let mut rest = text;
    // Whitespace seen since the last decoded word, held back in case the
    // next token is an encoded word too.
    let mut pending_ws: Option<&str> = None;
    let mut after_word = false;
    while !rest.is_empty() {
        if let Some(start) = rest.find("=?") {
            let (before, from) = rest.split_at(start);
            match split_word(from) {
                Some((word, len)) => {
                    let only_ws =
                        !before.is_empty() && before.chars().all(|c| c == ' ' || c == '\t');
                    if !(after_word && (before.is_empty() || only_ws)) {
                        if let Some(ws) = pending_ws.take() {
                            out.push_str(ws);
                        }
                        out.push_str(before);
                    }
                    pending_ws = None;
                    match decode_word(word) {
                        Ok(s) => {
                            out.push_str(&s);
                            after_word = true;
                        }
                        Err(p) => {
                            problems.push(p);
                            out.push_str(word);
                            after_word = false;
                        }
                    }
                    rest = &from[len..];
                    // Hold back whitespace that follows, in case another word comes.
                    let ws_len = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                    if ws_len > 0 && after_word {
                        pending_ws = Some(&rest[..ws_len]);
                        rest = &rest[ws_len..];
                    }
                }
                None => {
                    if let Some(ws) = pending_ws.take() {
                        out.push_str(ws);
                    }
                    out.push_str(&rest[..start + 2]);
                    rest = &rest[start + 2..];
                    after_word = false;
                }
            }
        } else {
            if let Some(ws) = pending_ws.take() {
                out.push_str(ws);
            }
            out.push_str(rest);
            break;
        }
    }
    if let Some(ws) = pending_ws {
        out.push_str(ws);
    }
    (Cow::Owned(out), problems)
}

/// If `s` starts with a syntactically complete encoded word, returns it and
/// its length (RFC 2047 §2: no spaces or `?` inside the charset, encoding or text).
fn split_word(s: &str) -> Option<(&str, usize)> {
    let body = s.strip_prefix("=?")?;
    let q1 = body.find('?')?;
    let after_charset = &body[q1 + 1..];
    let q2 = after_charset.find('?')?;
    if q2 != 1 {
        return None;
    }
    let text = &after_charset[2..];
    let end = text.find("?=")?;
    let word_len = 2 + q1 + 1 + 2 + end + 2;
    let word = &s[..word_len];
    if word.contains([' ', '\t']) || q1 == 0 {
        return None;
    }
    Some((word, word_len))
}

/// Decodes one complete encoded word.
fn decode_word(word: &str) -> Result<String, WordProblem> {
    let inner = &word[2..word.len() - 2];
    let mut it = inner.splitn(3, '?');
    let charset = it.next().unwrap_or("");
    let enc = it.next().unwrap_or("");
    let text = it.next().unwrap_or("");
    // RFC 2231 §5: a language may follow the charset after '*'.
    let label = charset.split('*').next().unwrap_or(charset);
    let bytes = match enc {
        "B" | "b" => decode_b(text).ok_or(WordProblem::BadBase64)?,
        "Q" | "q" => decode_q(text),
        other => {
            return Err(WordProblem::UnknownEncoding(
                other.chars().next().unwrap_or('?'),
            ))
        }
    };
    to_utf8(label, &bytes)
}

/// Bytes in the named charset as UTF-8 (errors for an unknown charset or
/// invalid bytes). Shared with body decoding.
pub fn to_utf8(label: &str, bytes: &[u8]) -> Result<String, WordProblem> {
    let lower = label.trim().to_ascii_lowercase();
    if matches!(lower.as_str(), "us-ascii" | "ascii" | "utf-8" | "utf8") {
        return match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(WordProblem::BadBytes(label.to_owned())),
        };
    }
    let cs = charset::Charset::for_label(lower.as_bytes())
        .ok_or_else(|| WordProblem::UnknownCharset(label.to_owned()))?;
    let (text, had_errors) = cs.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(WordProblem::BadBytes(label.to_owned()));
    }
    Ok(text.into_owned())
}

/// RFC 2047 §4.1 "B": base64, padding optional in practice.
fn decode_b(text: &str) -> Option<Vec<u8>> {
    let t = text.trim_end_matches('=');
    data_encoding::BASE64_NOPAD.decode(t.as_bytes()).ok()
}

/// RFC 2047 §4.2 "Q": `_` is space, `=XX` an octet.
fn decode_q(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'='),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_words_and_joins_adjacent_ones() {
        let (s, p) =
            decode("=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?IOKAlCByw6lzdW3DqQ==?= attached");
        assert_eq!(s, "Grüße — résumé attached");
        assert!(p.is_empty());
        let (s, _) = decode("a =?iso-8859-1?q?caf=E9?= b");
        assert_eq!(s, "a café b");
        assert_eq!(decode("no words here").0, "no words here");
        assert_eq!(decode("=?x").0, "=?x");
    }

    #[test]
    fn reports_words_that_do_not_decode() {
        let (s, p) = decode("=?klingon?q?x?= =?utf-8?b?***?=");
        assert_eq!(s, "=?klingon?q?x?= =?utf-8?b?***?=");
        assert_eq!(
            p,
            vec![
                WordProblem::UnknownCharset("klingon".into()),
                WordProblem::BadBase64
            ]
        );
        let (_, p) = decode("=?utf-8?q?=FF?=");
        assert_eq!(p, vec![WordProblem::BadBytes("utf-8".into())]);
    }
}

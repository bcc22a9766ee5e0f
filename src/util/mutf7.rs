//! Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP mailbox names
//! that Dovecot also uses for Maildir++ folder names on disk (`.Entw&APw-rfe`
//! for "Entwürfe"), so folders made by either show the same names.
//!
//! Printable US-ASCII stands for itself, except `&`, written `&-`;
//! anything else is `&`, the UTF-16BE code units in base64 with `,` for
//! `/` and no padding, then `-`.

use data_encoding::{Encoding, Specification};

/// RFC 3501's base64 alphabet: `,` instead of `/`, no padding.
fn alphabet() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols
        .push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,");
    spec.encoding().unwrap_or(data_encoding::BASE64_NOPAD)
}

/// Encodes a mailbox name.
pub fn encode(name: &str) -> String {
    let b64 = alphabet();
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&b64.encode(&bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// A hierarchical name (`/` between levels) in modified UTF-7, level by
/// level, as IMAP puts it on the wire.
pub fn encode_path(name: &str) -> String {
    name.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Decodes a mailbox name; `None` when it is not modified UTF-7 as RFC
/// 3501 writes it (bytes outside printable ASCII, a shift not closed by
/// `-`, bad base64, broken UTF-16, or ASCII that should not have been
/// encoded), so every name has one spelling.
pub fn decode(text: &str) -> Option<String> {
    let b64 = alphabet();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The previous piece was a shifted run, with nothing between: a second
    // run there is a second spelling of one longer run.
    let mut after_run = false;
    while let Some(i) = rest.find('&') {
        let plain = &rest[..i];
        if !plain.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return None;
        }
        out.push_str(plain);
        let after = &rest[i + 1..];
        let end = after.find('-')?;
        let run = &after[..end];
        if run.is_empty() {
            out.push('&');
            after_run = false;
        } else {
            if after_run && i == 0 {
                return None;
            }
            after_run = true;
            let bytes = b64.decode(run.as_bytes()).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            let s = String::from_utf16(&units).ok()?;
            // Printable ASCII must not hide in a shift; the encoder never
            // puts it there, so it has one spelling.
            if s.chars().any(|c| (' '..='~').contains(&c)) || b64.encode(&bytes) != run {
                return None;
            }
            out.push_str(&s);
        }
        rest = &after[end + 1..];
    }
    if !rest.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3501_examples_and_round_trips() {
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        for name in ["INBOX", "Entwürfe", "a&b", "😀 emoji", "", "Ünïcödé/sub"] {
            assert_eq!(decode(&encode(name)).as_deref(), Some(name), "{name}");
        }
    }

    #[test]
    fn only_one_spelling_is_accepted() {
        for bad in [
            "&",
            "&U,BTFw",
            "Entw\u{fc}rfe",
            "&AGE-",
            "&U,BTF-",
            "&2D0-",
            "&+II-&+II-",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}

//! Small pieces of IMAP response syntax (RFC 9051 §9) that the session and
//! the FETCH renderer share: strings as quoted strings or literals, flag
//! lists, dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// `s` as an IMAP string: a quoted string when it can be one (RFC 9051
/// §4.3: no CR, LF or NUL, 8-bit only when UTF-8 is enabled; we keep to
/// 7-bit), else a literal.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    let quotable = s.len() < 1024
        && s.iter()
            .all(|&b| (0x01..0x80).contains(&b) && b != b'\r' && b != b'\n');
    if quotable {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        literal(out, s);
    }
}

/// A tag (or any text of tag characters) as a quoted string, for
/// ESEARCH's `(TAG "...")` (tags cannot hold `"` or `\\`, RFC 9051 §9).
pub fn quoted(s: &str) -> String {
    let mut out = Vec::new();
    string(&mut out, s.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// Ascending numbers as a sequence set, runs as ranges: `1:3,7,9:10`
/// (empty for none).
pub fn sequence_set(nums: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < nums.len() {
        let mut j = i;
        while j + 1 < nums.len() && nums[j + 1] == nums[j].wrapping_add(1) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&nums[i].to_string());
        if j > i {
            out.push(':');
            out.push_str(&nums[j].to_string());
        }
        i = j + 1;
    }
    out
}

/// `s` as an IMAP nstring: NIL when absent.
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// `s` as a synchronizing literal (`{n}` CRLF bytes).
pub fn literal(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
    out.extend_from_slice(s);
}

/// A parenthesised flag list: `(\Seen $Junk)`.
pub fn flag_list(out: &mut Vec<u8>, flags: &[String]) {
    out.push(b'(');
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(f.as_bytes());
    }
    out.push(b')');
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An internal date as RFC 9051's date-time: `"01-Jan-2024 10:00:00 +0000"`
/// (in UTC; the store keeps no zone).
pub fn date_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "\"{d:02}-{}-{y:04} {:02}:{:02}:{:02} +0000\"",
        MONTHS[(m - 1) as usize],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// civil-from-days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn strings_dates_and_flags() {
        let mut o = Vec::new();
        string(&mut o, b"a \"b\" \\c");
        assert_eq!(o, b"\"a \\\"b\\\" \\\\c\"");
        o.clear();
        string(&mut o, b"two\r\nlines");
        assert_eq!(o, b"{10}\r\ntwo\r\nlines");
        o.clear();
        nstring(&mut o, None);
        flag_list(&mut o, &["\\Seen".into(), "$Junk".into()]);
        assert_eq!(o, b"NIL(\\Seen $Junk)");
        let t = UNIX_EPOCH + Duration::from_secs(1_704_103_200);
        assert_eq!(date_time(t), "\"01-Jan-2024 10:00:00 +0000\"");
        assert_eq!(
            date_time(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "\"29-Feb-2000 00:00:00 +0000\""
        );
    }
}

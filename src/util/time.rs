//! Calendar formatting without a date crate: RFC 5322 §3.3 dates for
//! `Received:` and compact UTC stamps for file names.

use std::time::{SystemTime, UNIX_EPOCH};

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01
/// (Howard Hinnant's civil-from-days algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parts(t: SystemTime) -> (i64, i64, u32, u32, u64) {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil(days);
    (days, y, m, d, secs % 86_400)
}

/// An RFC 5322 date-time in UTC: `Sat, 28 Nov 2026 21:10:04 +0000`.
pub fn rfc5322(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, y, m, d, s) = parts(t);
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The asctime form mbox `From ` lines use: `Sat Nov 28 21:10:04 2026`.
pub fn asctime(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, y, m, d, s) = parts(t);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {y}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A compact UTC stamp for file names: `20261128T211004Z`.
pub fn compact_utc(t: SystemTime) -> String {
    let (_, y, m, d, s) = parts(t);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// RFC 3339 in UTC with milliseconds: `2026-11-28T21:10:04.123Z` (the
/// form JSON APIs give times in, Mailpit's `Created` among them).
pub fn rfc3339(t: SystemTime) -> String {
    let (_, y, m, d, s) = parts(t);
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_millis())
        .unwrap_or(0);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, for listings (`mailkit queue list`).
pub fn iso_utc(t: SystemTime) -> String {
    let (_, y, m, d, s) = parts(t);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_900_204);
        assert_eq!(rfc5322(t), "Sat, 28 Nov 2026 21:10:04 +0000");
        assert_eq!(compact_utc(t), "20261128T211004Z");
        assert_eq!(asctime(t), "Sat Nov 28 21:10:04 2026");
        assert_eq!(
            rfc3339(t + Duration::from_millis(7)),
            "2026-11-28T21:10:04.007Z"
        );
        assert_eq!(rfc5322(UNIX_EPOCH), "Thu, 1 Jan 1970 00:00:00 +0000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(compact_utc(leap), "20000229T000000Z");
    }
}

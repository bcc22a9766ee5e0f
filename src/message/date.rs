//! RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two- and
//! three-digit years, zone names, military zones) accepted and reported,
//! and RFC 3339 output for `parse --json`.

use super::error::SyntaxError;
/// A parsed Date field: the local time as written and its zone offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// Four-digit year (two-digit years mapped as RFC 5322 §4.3 says).
    pub year: i64,
    /// 1-12.
    pub month: u32,
    /// 1-31, checked against the month.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-60 (a leap second is allowed).
    pub second: u32,
    /// Offset from UTC in minutes (east positive).
    pub offset: i32,
}

/// A date that parsed, and the obsolete forms it used.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The date.
    pub date: DateTime,
    /// Obsolete syntax found (RFC 5322 §4.3).
    pub obsolete: Vec<&'static str>,
    /// The day of the week named does not match the date (§3.3: MUST).
    pub wrong_weekday: Option<&'static str>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Strips comments (nested parentheses) and returns words split on white
/// space, with ',' and ':' as their own tokens.
fn tokens(s: &str) -> Result<Vec<String>, SyntaxError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut chars = s.chars();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    while let Some(c) = chars.next() {
        if depth > 0 {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '\\' => {
                    chars.next();
                }
                _ => {}
            }
            continue;
        }
        match c {
            '(' => {
                flush(&mut cur, &mut out);
                depth = 1;
            }
            ')' => return Err("unbalanced ')'".into()),
            ' ' | '\t' | '\r' | '\n' => flush(&mut cur, &mut out),
            ',' | ':' => {
                flush(&mut cur, &mut out);
                out.push(c.to_string());
            }
            _ => cur.push(c),
        }
    }
    if depth > 0 {
        return Err("unterminated comment".into());
    }
    flush(&mut cur, &mut out);
    Ok(out)
}

fn number(
    t: Option<&String>,
    what: &str,
    digits: std::ops::RangeInclusive<usize>,
) -> Result<u32, SyntaxError> {
    let t = t.ok_or_else(|| format!("missing {what}"))?;
    if !digits.contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{what} {t:?} is not a number of {}-{} digits",
            digits.start(),
            digits.end()
        )
        .into());
    }
    t.parse()
        .map_err(|_| format!("{what} {t:?} is out of range").into())
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses a date-time (RFC 5322 §3.3, §4.3). Errors say what is wrong.
pub fn parse(s: &str) -> Result<Parsed, SyntaxError> {
    let toks = tokens(s)?;
    let mut i = 0;
    let mut obsolete = Vec::new();
    let mut weekday = None;
    if let Some(t) = toks.first() {
        if t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            let lower = t.to_ascii_lowercase();
            let idx = DAYS
                .iter()
                .position(|d| *d == lower)
                .ok_or_else(|| format!("{t:?} is not a day of the week (Mon-Sun)"))?;
            weekday = Some(idx);
            if toks.get(1).map(String::as_str) != Some(",") {
                return Err("missing ',' after the day of the week".into());
            }
            i = 2;
        }
    }
    let day = number(toks.get(i), "day", 1..=2)?;
    let month_tok = toks.get(i + 1).ok_or("missing month")?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_tok))
        .ok_or_else(|| format!("{month_tok:?} is not a month (Jan-Dec)"))? as u32
        + 1;
    let year_tok = toks.get(i + 2).ok_or("missing year")?;
    let mut year = i64::from(number(Some(year_tok), "year", 2..=9)?);
    match year_tok.len() {
        2 => {
            obsolete.push("two-digit year");
            year += if year < 50 { 2000 } else { 1900 };
        }
        3 => {
            obsolete.push("three-digit year");
            year += 1900;
        }
        _ => {}
    }
    if year < 1900 {
        return Err(format!("year {year} is before 1900").into());
    }
    i += 3;
    let hour = number(toks.get(i), "hour", 2..=2)?;
    if toks.get(i + 1).map(String::as_str) != Some(":") {
        return Err("missing ':' in the time".into());
    }
    let minute = number(toks.get(i + 2), "minute", 2..=2)?;
    i += 3;
    let mut second = 0;
    if toks.get(i).map(String::as_str) == Some(":") {
        second = number(toks.get(i + 1), "second", 2..=2)?;
        i += 2;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("time {hour:02}:{minute:02}:{second:02} is out of range").into());
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!("day {day} does not exist in {}", MONTHS[month as usize - 1]).into());
    }
    let zone = toks.get(i).ok_or("missing time zone")?;
    let offset = if let Some(sign) = zone.strip_prefix(['+', '-']) {
        if sign.len() != 4 || !sign.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("zone {zone:?} is not +hhmm or -hhmm").into());
        }
        let h: i32 = sign[..2].parse().unwrap_or(0);
        let m: i32 = sign[2..].parse().unwrap_or(0);
        if m > 59 {
            return Err(format!("zone {zone:?} has minutes over 59").into());
        }
        if zone.starts_with('-') {
            -(h * 60 + m)
        } else {
            h * 60 + m
        }
    } else {
        obsolete.push("time zone name instead of +hhmm (obs-zone)");
        match zone.to_ascii_uppercase().as_str() {
            "UT" | "GMT" | "Z" => 0,
            "EDT" => -4 * 60,
            "EST" | "CDT" => -5 * 60,
            "CST" | "MDT" => -6 * 60,
            "MST" | "PDT" => -7 * 60,
            "PST" => -8 * 60,
            z if z.len() == 1 && z.bytes().all(|b| b.is_ascii_alphabetic()) && z != "J" => 0,
            _ => return Err(format!("unknown time zone {zone:?}").into()),
        }
    };
    if let Some(extra) = toks.get(i + 1) {
        return Err(format!("unexpected {extra:?} after the time zone").into());
    }
    let wrong_weekday = weekday.and_then(|w| {
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let actual = (days_from_civil(year, month, day) + 3).rem_euclid(7) as usize;
        (actual != w).then(|| {
            [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ][actual]
        })
    });
    Ok(Parsed {
        date: DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            offset,
        },
        obsolete,
        wrong_weekday,
    })
}

impl DateTime {
    /// RFC 3339 form, the local time and offset as written (`Z` for zero).
    pub fn rfc3339(&self) -> String {
        let zone = if self.offset == 0 {
            "Z".to_owned()
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let a = self.offset.unsigned_abs();
            format!("{sign}{:02}:{:02}", a / 60, a % 60)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let p = parse("Tue, 02 Jan 2024 09:30:00 +0100").unwrap();
        assert_eq!(p.date.rfc3339(), "2024-01-02T09:30:00+01:00");
        assert!(p.obsolete.is_empty() && p.wrong_weekday.is_none());
        let p = parse("2 Jan 2024 09:30 -0000 (no weekday)").unwrap();
        assert_eq!(p.date.rfc3339(), "2024-01-02T09:30:00Z");
        let p = parse("Sun, 02 Oct 16 07:06:22 PDT").unwrap();
        assert_eq!(p.date.rfc3339(), "2016-10-02T07:06:22-07:00");
        assert_eq!(p.obsolete.len(), 2);
        assert_eq!(
            parse("Mon, 02 Jan 2024 09:30:00 +0100")
                .unwrap()
                .wrong_weekday,
            Some("Tuesday")
        );
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "yesterday",
            "Tue 02 Jan 2024 09:30:00 +0100",
            "31 Feb 2024 09:30:00 +0100",
            "02 Jan 2024 25:30:00 +0100",
            "02 Jan 2024 09:30:00",
            "02 Jan 2024 09:30:00 +01",
            "02 Jan 2024 09:30:00 +0100 extra",
            "2024-01-02T09:30:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }
}

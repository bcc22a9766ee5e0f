//! SEARCH (RFC 9051 §6.4.4; every key of RFC 3501 §6.4.4, and OLDER and
//! YOUNGER of RFC 5032) over a folder. Flag, size and date keys need no
//! message text; header and text keys read the message, once, only when
//! a key needs it. Strings match case-insensitively as substrings of the
//! decoded header values (RFC 2047) or of the text (bodies decoded from
//! their transfer encoding and charset).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use imap_codec::imap_types::search::SearchKey;
use mailparse::MailHeaderMap;

use crate::proto::imap::server::Refusal;
use crate::store::folder::{Folder, Message};

/// Deepest nesting of NOT/OR/AND evaluated (the parser bounds it too).
const MAX_DEPTH: usize = 64;

/// The UIDs among `uids` (the session's view, in sequence order) that
/// match every key of `criteria`.
pub fn search(
    f: &Folder,
    uids: &[u32],
    criteria: &[SearchKey<'static>],
) -> Result<Vec<u32>, Refusal> {
    let mut found = Vec::new();
    let largest_uid = uids.last().copied().unwrap_or(1);
    for (i, &uid) in uids.iter().enumerate() {
        let Some(m) = f.get(uid) else { continue };
        let mut ctx = Ctx {
            f,
            m,
            seq: i as u32 + 1,
            count: uids.len() as u32,
            largest_uid,
            text: None,
        };
        if criteria.iter().all(|k| ctx.eval(k, 0)) {
            found.push(uid);
        }
    }
    Ok(found)
}

struct Ctx<'a> {
    f: &'a Folder,
    m: &'a Message,
    seq: u32,
    count: u32,
    largest_uid: u32,
    /// The message, CRLF, read when a key first needs it.
    text: Option<Vec<u8>>,
}

impl Ctx<'_> {
    fn data(&mut self) -> &[u8] {
        if self.text.is_none() {
            let d = std::fs::read(self.m.path(self.f.dir())).unwrap_or_default();
            self.text = Some(crate::util::lf_to_crlf(&d));
        }
        self.text.as_deref().unwrap_or(b"")
    }

    fn header_has(&mut self, name: &str, needle: &[u8]) -> bool {
        let needle = lower(needle);
        let (header, _) = super::fetch::split(self.data());
        let Ok((headers, _)) = mailparse::parse_headers(header) else {
            return false;
        };
        headers
            .get_all_values(name)
            .iter()
            .any(|v| contains(&lower(v.as_bytes()), &needle))
    }

    fn eval(&mut self, k: &SearchKey<'static>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let flags = self.m.flags;
        match k {
            SearchKey::All => true,
            SearchKey::And(keys) => keys.as_ref().iter().all(|k| self.eval(k, depth + 1)),
            SearchKey::Or(a, b) => self.eval(a, depth + 1) || self.eval(b, depth + 1),
            SearchKey::Not(a) => !self.eval(a, depth + 1),
            SearchKey::SequenceSet(set) => in_set(set, self.seq, self.count),
            SearchKey::Uid(set) => in_set(set, self.m.uid, self.largest_uid),
            SearchKey::Answered => flags.has('R'),
            SearchKey::Deleted => flags.has('T'),
            SearchKey::Draft => flags.has('D'),
            SearchKey::Flagged => flags.has('F'),
            SearchKey::Seen => flags.has('S'),
            SearchKey::Unanswered => !flags.has('R'),
            SearchKey::Undeleted => !flags.has('T'),
            SearchKey::Undraft => !flags.has('D'),
            SearchKey::Unflagged => !flags.has('F'),
            SearchKey::Unseen => !flags.has('S'),
            SearchKey::Recent => self.m.in_new,
            SearchKey::New => self.m.in_new && !flags.has('S'),
            SearchKey::Old => !self.m.in_new,
            SearchKey::Keyword(k) => self.keyword(k.inner()),
            SearchKey::Unkeyword(k) => !self.keyword(k.inner()),
            SearchKey::Larger(n) => self.size() > u64::from(*n),
            SearchKey::Smaller(n) => self.size() < u64::from(*n),
            SearchKey::Before(d) => day(self.m.internal_date) < days(d),
            SearchKey::On(d) => day(self.m.internal_date) == days(d),
            SearchKey::Since(d) => day(self.m.internal_date) >= days(d),
            SearchKey::Older(s) => {
                self.m.internal_date + Duration::from_secs(u64::from(s.get())) <= SystemTime::now()
            }
            SearchKey::Younger(s) => {
                self.m.internal_date + Duration::from_secs(u64::from(s.get())) > SystemTime::now()
            }
            SearchKey::SentBefore(d) => self.sent().is_some_and(|s| s < days(d)),
            SearchKey::SentOn(d) => self.sent().is_some_and(|s| s == days(d)),
            SearchKey::SentSince(d) => self.sent().is_some_and(|s| s >= days(d)),
            SearchKey::Subject(s) => self.header_has("Subject", s.as_ref()),
            SearchKey::From(s) => self.header_has("From", s.as_ref()),
            SearchKey::To(s) => self.header_has("To", s.as_ref()),
            SearchKey::Cc(s) => self.header_has("Cc", s.as_ref()),
            SearchKey::Bcc(s) => self.header_has("Bcc", s.as_ref()),
            SearchKey::Header(name, s) => {
                let name = String::from_utf8_lossy(name.as_ref()).into_owned();
                if s.as_ref().is_empty() {
                    // An empty string matches every message with the field.
                    let (header, _) = super::fetch::split(self.data());
                    mailparse::parse_headers(header)
                        .map(|(h, _)| h.get_first_header(&name).is_some())
                        .unwrap_or(false)
                } else {
                    self.header_has(&name, s.as_ref())
                }
            }
            SearchKey::Body(s) => {
                let needle = lower(s.as_ref());
                let text = self.body_text();
                contains(&text, &needle)
            }
            SearchKey::Text(s) => {
                let needle = lower(s.as_ref());
                let (header, _) = super::fetch::split(self.data());
                let header = lower(header);
                contains(&header, &needle) || contains(&self.body_text(), &needle)
            }
        }
    }

    fn keyword(&self, name: &str) -> bool {
        self.m.flags.keyword_letters().any(|c| {
            self.f
                .keyword(c)
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
        })
    }

    fn size(&mut self) -> u64 {
        match self.m.wire_size {
            Some(w) => w,
            None => self.data().len() as u64,
        }
    }

    /// The Date field's day, in its own zone (RFC 9051 §6.4.4 SENTON).
    fn sent(&mut self) -> Option<i64> {
        let (header, _) = super::fetch::split(self.data());
        let (headers, _) = mailparse::parse_headers(header).ok()?;
        let v = headers.get_first_value("Date")?;
        let t = mailparse::dateparse(&v).ok()?;
        // The day as written: the local time's date.
        let offset = zone_offset(&v).unwrap_or(0);
        Some((t + offset).div_euclid(86_400))
    }

    /// Every text part's content, decoded, lower-cased.
    fn body_text(&mut self) -> Vec<u8> {
        let data = self.data().to_vec();
        let mut out = Vec::new();
        if let Ok(p) = mailparse::parse_mail(&data) {
            collect_text(&p, &mut out, 0);
        }
        if out.is_empty() {
            out = super::fetch::split(&data).1.to_vec();
        }
        lower(&out)
    }
}

fn collect_text(p: &mailparse::ParsedMail<'_>, out: &mut Vec<u8>, depth: usize) {
    if depth > 20 {
        return;
    }
    if p.subparts.is_empty() {
        if p.ctype.mimetype.starts_with("text/") || p.ctype.mimetype.is_empty() {
            if let Ok(b) = p.get_body() {
                out.extend_from_slice(b.as_bytes());
                out.push(b'\n');
            }
        }
    } else {
        for s in &p.subparts {
            collect_text(s, out, depth + 1);
        }
    }
}

/// The numeric zone of a Date value, in seconds (`+0200` → 7200).
fn zone_offset(v: &str) -> Option<i64> {
    let z = v.split_whitespace().find(|w| {
        w.len() == 5
            && (w.starts_with('+') || w.starts_with('-'))
            && w[1..].bytes().all(|b| b.is_ascii_digit())
    })?;
    let h: i64 = z[1..3].parse().ok()?;
    let m: i64 = z[3..5].parse().ok()?;
    let s = h * 3600 + m * 60;
    Some(if z.starts_with('-') { -s } else { s })
}

fn in_set(set: &imap_codec::imap_types::sequence::SequenceSet, n: u32, largest: u32) -> bool {
    use imap_codec::imap_types::sequence::Sequence;
    let largest = std::num::NonZeroU32::new(largest).unwrap_or(std::num::NonZeroU32::MIN);
    set.0.as_ref().iter().any(|s| match s {
        Sequence::Single(v) => v.expand(largest).get() == n,
        Sequence::Range(a, b) => {
            let (a, b) = (a.expand(largest).get(), b.expand(largest).get());
            a.min(b) <= n && n <= a.max(b)
        }
    })
}

/// Days since 1970 of an internal date (in UTC, as the store keeps it).
fn day(t: SystemTime) -> i64 {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    secs.div_euclid(86_400)
}

/// Days since 1970 of a SEARCH date.
fn days(d: &imap_codec::imap_types::datetime::NaiveDate) -> i64 {
    d.as_ref()
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
        .div_euclid(86_400)
}

fn lower(b: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(b).to_lowercase().into_bytes()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_days() {
        assert_eq!(zone_offset("Mon, 1 Jan 2024 10:00:00 +0200"), Some(7200));
        assert_eq!(zone_offset("Mon, 1 Jan 2024 10:00:00 -0130"), Some(-5400));
        assert_eq!(day(UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 5)), 3);
    }
}

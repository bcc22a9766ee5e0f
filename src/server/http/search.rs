//! Mailpit's search syntax (internal/storage/search.go and
//! internal/tools/argsparser.go), matched against the index: terms split
//! on white space, `"..."` groups a phrase, a leading `-` or `!` negates,
//! every term must hold (AND), case-insensitive substrings. Fields:
//! `from: to: cc: bcc: reply-to: addressed: subject: message-id:`,
//! `is:read is:unread has:attachment`, `larger: smaller:` (sizes with
//! k/m/g = 1024 powers, strict), `after: before:` (dates, against the time
//! received). A bare word or phrase is looked for in the addresses,
//! Subject, Return-Path, the body text and attachment names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use memchr::memmem::Finder;

use super::index::Entry;
use crate::message::date::days_from_civil;

/// A lowercased word or phrase with its SIMD searcher (built once per
/// query, so matching 100,000 messages allocates nothing).
#[derive(Debug, Clone)]
pub struct Needle(Finder<'static>);

impl Needle {
    fn new(word: &str) -> Needle {
        Needle(Finder::new(word.as_bytes()).into_owned())
    }

    fn in_(&self, hay: &str) -> bool {
        self.0.find(hay.as_bytes()).is_some()
    }
}

impl PartialEq for Needle {
    fn eq(&self, other: &Needle) -> bool {
        self.0.needle() == other.0.needle()
    }
}

impl Eq for Needle {}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// A word or phrase anywhere.
    Text(Needle),
    /// A word in address fields (indexes into
    /// [`super::summary::ADDRESS_FIELDS`]).
    Address(&'static [usize], Needle),
    /// A word in the Subject.
    Subject(Needle),
    /// A word in the Message-ID.
    MessageId(Needle),
    /// Read (the `S` flag) or not.
    Read(bool),
    /// Has an attachment.
    Attachment,
    /// Larger than this many octets.
    Larger(u64),
    /// Smaller than this many octets.
    Smaller(u64),
    /// Received after this instant.
    After(SystemTime),
    /// Received before this instant.
    Before(SystemTime),
    /// A term that can never hold (`larger:xyz`): Mailpit ignores some,
    /// we match nothing rather than everything for a typo.
    Never,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    terms: Vec<(bool, Test)>,
}

/// Splits a query into terms: white space separates, double quotes group
/// (and are dropped), as Mailpit's argsparser.
fn split(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A size with an optional k/m/g suffix (powers of 1024; `kb`, `mb` too).
fn size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix('b').unwrap_or(&s);
    let (num, mul) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1024),
        'm' => (&s[..s.len() - 1], 1024 * 1024),
        'g' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    let n: f64 = num.trim().parse().ok()?;
    (n >= 0.0).then_some((n * mul as f64) as u64)
}

/// A date `YYYY-MM-DD` (or with `T` and a time, or `/` separators) as the
/// instant it starts, UTC.
fn date(s: &str) -> Option<SystemTime> {
    let day = s.split(['T', ' ']).next()?;
    let mut it = day.split(['-', '/']);
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let secs = u64::try_from(days.checked_mul(86_400)?).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

impl Query {
    /// Parses Mailpit's syntax. An empty query matches everything.
    pub fn parse(q: &str) -> Query {
        let mut terms = Vec::new();
        for word in split(q) {
            let (neg, word) = match word.strip_prefix(['-', '!']) {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, word.as_str()),
            };
            let lower = word.to_lowercase();
            let test = match lower.split_once(':') {
                Some((field, value)) if !value.is_empty() => {
                    let v = Needle::new(value);
                    match field {
                        "from" => Test::Address(&[0], v),
                        "to" => Test::Address(&[1], v),
                        "cc" => Test::Address(&[2], v),
                        "bcc" => Test::Address(&[3], v),
                        "reply-to" => Test::Address(&[4], v),
                        "addressed" => Test::Address(&[0, 1, 2, 3, 4], v),
                        "subject" => Test::Subject(v),
                        "message-id" => {
                            Test::MessageId(Needle::new(value.trim_matches(['<', '>'])))
                        }
                        "is" if value == "read" || value == "seen" => Test::Read(true),
                        "is" if value == "unread" || value == "unseen" => Test::Read(false),
                        "has" if value == "attachment" || value == "attachments" => {
                            Test::Attachment
                        }
                        "larger" => size(value).map_or(Test::Never, Test::Larger),
                        "smaller" => size(value).map_or(Test::Never, Test::Smaller),
                        "after" => date(value).map_or(Test::Never, Test::After),
                        "before" => date(value).map_or(Test::Never, Test::Before),
                        _ => Test::Text(Needle::new(&lower)),
                    }
                }
                _ => Test::Text(Needle::new(&lower)),
            };
            terms.push((neg, test));
        }
        Query { terms }
    }

    /// The (word-index field, needle) of each term that narrows the
    /// messages down: positive word terms of one field.
    pub fn prefilters(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        use super::words::field;
        self.terms
            .iter()
            .filter(|(neg, _)| !neg)
            .filter_map(|(_, t)| {
                let (f, n) = match t {
                    Test::Text(n) => (field::TEXT, n),
                    Test::Subject(n) => (field::SUBJECT, n),
                    Test::MessageId(n) => (field::MESSAGE_ID, n),
                    Test::Address([i], n) => (field::FROM + i, n),
                    _ => return None,
                };
                Some((f, std::str::from_utf8(n.0.needle()).ok()?))
            })
    }

    /// Whether the query has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `e` matches every term.
    pub fn matches(&self, e: &Entry) -> bool {
        self.terms.iter().all(|(neg, t)| test(t, e) != *neg)
    }
}

fn test(t: &Test, e: &Entry) -> bool {
    let h = &e.summary.hay;
    match t {
        Test::Text(w) => w.in_(&e.summary.text),
        Test::Address(fields, w) => fields.iter().any(|&i| w.in_(&h.addresses[i])),
        Test::Subject(w) => w.in_(&h.subject),
        Test::MessageId(w) => w.in_(&h.message_id),
        Test::Read(r) => e.read() == *r,
        Test::Attachment => e.summary.attachments > 0,
        Test::Larger(n) => e.size > *n,
        Test::Smaller(n) => e.size < *n,
        Test::After(t) => e.created > *t,
        Test::Before(t) => e.created < *t,
        Test::Never => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http::summary::Summary;
    use crate::store::flags::Flags;
    use std::sync::Arc;

    fn entry(data: &[u8], read: bool, size: u64, days: u64) -> Entry {
        Entry {
            id: "x".into(),
            mailbox: "bob@x".into(),
            folder: "INBOX".into(),
            dir: std::path::Path::new("/nonexistent").into(),
            uid: 1,
            base: "b".into(),
            in_new: !read,
            flags: if read {
                Flags::from_info("S")
            } else {
                Flags::empty()
            },
            size,
            created: UNIX_EPOCH + Duration::from_secs(days * 86_400 + 3600),
            summary: Arc::new(Summary::of(data)),
            slot: 0,
        }
    }

    #[test]
    fn the_syntax_of_mailpit() {
        assert_eq!(
            split(r#"subject:"quarterly report" -from:alice  "a b""#),
            ["subject:quarterly report", "-from:alice", "a b"]
        );
        assert_eq!(size("10k"), Some(10_240));
        assert_eq!(size("1.5MB"), Some(1_572_864));
        assert_eq!(size("x"), None);
        assert_eq!(
            date("1970-01-02"),
            Some(UNIX_EPOCH + Duration::from_secs(86_400))
        );
        let e = entry(
            b"From: Alice Liddell <alice@crepes.fr>\nTo: bob@x\nReply-To: r@crepes.fr\nSubject: Quarterly report draft\nMessage-ID: <m0.1@t>\n\nthe numbers look fine\n",
            false,
            500,
            1,
        );
        let q = |s: &str| Query::parse(s).matches(&e);
        assert!(q("from:alice") && q("FROM:ALICE") && q("from:liddell"));
        assert!(q("reply-to:r@crepes") && q("addressed:r@crepes") && !q("to:alice"));
        assert!(q(r#"subject:"quarterly report""#) && !q(r#""report quarterly""#));
        assert!(q("numbers") && q("NUMBERS") && q("-ketchup") && !q("!numbers"));
        assert!(q("message-id:m0.1") && q("is:unread") && !q("is:read"));
        assert!(!q("has:attachment") && q("-has:attachment"));
        assert!(q("larger:499") && !q("larger:500") && q("smaller:1k") && !q("larger:xyz"));
        assert!(q("after:1970-01-02") && !q("after:1970-01-03") && q("before:1970-01-03"));
        assert!(q("") && q("alice numbers"));
    }
}

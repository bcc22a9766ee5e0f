//! Dovecot's `dovecot-uidlist`: the IMAP UID of every message in a Maildir,
//! with the folder's UIDVALIDITY and next UID (SPEC, "The mail store"), in
//! the format Dovecot reads and writes, so Dovecot and mailkit can serve
//! the same Maildir and show the same UIDs.
//!
//! Version 3 (Dovecot 1.1 and later; what we write):
//!
//! ```text
//! 3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
//! 25020 W2345 :1275660208.M1P2.host
//! 25021 :1275660209.M2P2.host,S=1234
//! ```
//!
//! The header is the version and `<key><value>` fields (V the UIDVALIDITY,
//! N the next UID, G the mailbox GUID; others are kept); each record is a
//! UID, `<key><value>` fields (W virtual size, S size, G GUID, ...; kept as
//! they are) and `:` before the file's base name (the part before `:2,`).
//! Version 1 (Courier's `courierimapuiddb` shape: `1 <uidvalidity>
//! <nextuid>`, records `<uid> <name>`) is read too. This file is written
//! by other programs: reading never trusts it (UIDs must rise, names must
//! be plain file names), and errors say which line.

/// The name of the file in each Maildir folder.
pub const FILE_NAME: &str = "dovecot-uidlist";

/// Its lock, a dotlock file made with `O_EXCL` beside it (Dovecot's).
pub const LOCK_NAME: &str = "dovecot-uidlist.lock";

/// One message: its UID, extension fields and file base name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The IMAP UID (RFC 9051 §2.3.1.1), never 0.
    pub uid: u32,
    /// Extension fields in file order, `(key, value)`: `W` virtual size,
    /// `S` size, `G` GUID and any others, kept for writing back.
    pub ext: Vec<(u8, String)>,
    /// The file's base name: its name up to the `:2,` info.
    pub name: String,
}

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uidlist {
    /// UIDVALIDITY (RFC 9051 §2.3.1.1), never 0.
    pub uid_validity: u32,
    /// The UID the next message gets: above every record's.
    pub next_uid: u32,
    /// The mailbox GUID (128 bits, hex), when there is one.
    pub guid: Option<String>,
    /// Other header fields in file order, kept for writing back.
    pub header_ext: Vec<(u8, String)>,
    /// The records, by rising UID.
    pub records: Vec<Record>,
}

/// A line that cannot be used (its file is [`FILE_NAME`]).
pub type UidlistError = super::FileLineError;

/// Most records read from one file (a Maildir this large is far past what
/// one folder holds in practice); more is an error, not unbounded memory.
pub const MAX_RECORDS: usize = 10_000_000;

/// Splits `<key><value>` fields: the key is one ASCII letter.
fn fields<'a>(
    words: impl Iterator<Item = &'a str>,
    line: usize,
) -> Result<Vec<(u8, String)>, UidlistError> {
    words
        .filter(|w| !w.is_empty())
        .map(|w| {
            let key = w.as_bytes()[0];
            // Values are printable: a control character (a stray CR) would
            // not survive being written back.
            if !key.is_ascii_alphabetic() || w.chars().any(char::is_control) {
                return Err(UidlistError {
                    file: FILE_NAME,
                    line,
                    problem: format!("{w:?} is not a <key><value> field"),
                });
            }
            Ok((key, w[1..].to_owned()))
        })
        .collect()
}

fn number(text: &str, what: &str, line: usize) -> Result<u32, UidlistError> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UidlistError {
            file: FILE_NAME,
            line,
            problem: format!("{what} {text:?} is not a number from 1 to 4294967295"),
        }),
    }
}

/// A file base name as a record may hold it: not empty, no `/`, no
/// leading `.`, no control characters, no `:` (that starts the info).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.chars().any(|c| c == '/' || c == ':' || c.is_control())
}

impl Uidlist {
    /// A new, empty list for a new folder.
    pub fn new(uid_validity: u32) -> Uidlist {
        Uidlist {
            uid_validity: uid_validity.max(1),
            next_uid: 1,
            guid: None,
            header_ext: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Reads a `dovecot-uidlist` (version 3 or 1).
    pub fn parse(text: &str) -> Result<Uidlist, UidlistError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let (_, header) = lines.next().ok_or(UidlistError {
            file: FILE_NAME,
            line: 1,
            problem: "empty file: no header".into(),
        })?;
        let mut words = header.split(' ');
        let version = words.next().unwrap_or("");
        let mut list = match version {
            "3" => {
                let mut list = Uidlist::new(1);
                let mut validity = None;
                let mut next = None;
                for (key, value) in fields(words, 1)? {
                    match key {
                        b'V' => validity = Some(number(&value, "UIDVALIDITY", 1)?),
                        b'N' => next = Some(number(&value, "next UID", 1)?),
                        b'G' => list.guid = Some(value),
                        _ => list.header_ext.push((key, value)),
                    }
                }
                list.uid_validity = validity.ok_or(UidlistError {
                    file: FILE_NAME,
                    line: 1,
                    problem: "no UIDVALIDITY (V) in the header".into(),
                })?;
                list.next_uid = next.unwrap_or(1);
                list
            }
            "1" => {
                let v = words.next().unwrap_or("");
                let n = words.next().unwrap_or("");
                let mut list = Uidlist::new(number(v, "UIDVALIDITY", 1)?);
                list.next_uid = number(n, "next UID", 1)?;
                list
            }
            other => {
                return Err(UidlistError {
                    file: FILE_NAME,
                    line: 1,
                    problem: format!("version {other:?} is not 1 or 3"),
                })
            }
        };
        let v3 = version == "3";
        let mut last = 0u32;
        for (n, line) in lines {
            if line.is_empty() {
                continue;
            }
            if list.records.len() >= MAX_RECORDS {
                return Err(UidlistError {
                    file: FILE_NAME,
                    line: n,
                    problem: format!("more than {MAX_RECORDS} records"),
                });
            }
            let (head, name) = if v3 {
                line.split_once(" :").ok_or(UidlistError {
                    file: FILE_NAME,
                    line: n,
                    problem: "no \" :\" before the file name".into(),
                })?
            } else {
                line.split_once(' ').ok_or(UidlistError {
                    file: FILE_NAME,
                    line: n,
                    problem: "expected <uid> <file name>".into(),
                })?
            };
            let mut words = head.split(' ');
            let uid = number(words.next().unwrap_or(""), "UID", n)?;
            if uid <= last {
                return Err(UidlistError {
                    file: FILE_NAME,
                    line: n,
                    problem: format!("UID {uid} does not rise above {last}"),
                });
            }
            last = uid;
            let ext = if v3 { fields(words, n)? } else { Vec::new() };
            if !plain_name(name) {
                return Err(UidlistError {
                    file: FILE_NAME,
                    line: n,
                    problem: format!("{name:?} is not a plain file name"),
                });
            }
            list.records.push(Record {
                uid,
                ext,
                name: name.to_owned(),
            });
        }
        // Dovecot repairs a next UID at or below a record's: so do we.
        if list.next_uid <= last {
            list.next_uid = last.saturating_add(1);
        }
        Ok(list)
    }

    /// The file's text in version 3, records by rising UID.
    pub fn render(&self) -> String {
        let mut out = format!("3 V{} N{}", self.uid_validity, self.next_uid);
        if let Some(g) = &self.guid {
            out.push_str(&format!(" G{g}"));
        }
        for (k, v) in &self.header_ext {
            out.push(' ');
            out.push(char::from(*k));
            out.push_str(v);
        }
        out.push('\n');
        for r in &self.records {
            out.push_str(&r.uid.to_string());
            for (k, v) in &r.ext {
                out.push(' ');
                out.push(char::from(*k));
                out.push_str(v);
            }
            out.push_str(" :");
            out.push_str(&r.name);
            out.push('\n');
        }
        out
    }

    /// The record of the message whose file base name is `name`.
    pub fn find(&self, name: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.name == name)
    }

    /// Gives the message `name` the next UID and returns it; `None` when
    /// UIDs are used up (the folder then needs a new UIDVALIDITY) or the
    /// name is not a plain file name.
    pub fn add(&mut self, name: &str) -> Option<u32> {
        if !plain_name(name) || self.next_uid == u32::MAX {
            return None;
        }
        let uid = self.next_uid;
        self.next_uid += 1;
        self.records.push(Record {
            uid,
            ext: Vec::new(),
            name: name.to_owned(),
        });
        Some(uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOVECOT: &str = "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n25020 W2345 :1275660208.M1P2.host\n25021 :1275660209.M2P2.host,S=1234\n";

    #[test]
    fn reads_and_writes_dovecot_version_3() {
        let l = Uidlist::parse(DOVECOT).unwrap();
        assert_eq!(l.uid_validity, 1275660208);
        assert_eq!(l.next_uid, 25022);
        assert_eq!(l.guid.as_deref(), Some("3085f01b7f11094c501100008c4a11c1"));
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].ext, vec![(b'W', "2345".to_string())]);
        assert_eq!(
            l.find("1275660209.M2P2.host,S=1234").map(|r| r.uid),
            Some(25021)
        );
        assert_eq!(l.render(), DOVECOT);
    }

    #[test]
    fn reads_version_1_and_repairs_next_uid() {
        let l = Uidlist::parse("1 7 2\n5 a.host\n9 b.host\n").unwrap();
        assert_eq!((l.uid_validity, l.next_uid), (7, 10));
        assert_eq!(l.render(), "3 V7 N10\n5 :a.host\n9 :b.host\n");
    }

    #[test]
    fn unknown_fields_round_trip_and_add_takes_the_next_uid() {
        let mut l = Uidlist::parse("3 V1 N3 Xsomething\n2 Pxyz S10 :m.host\n").unwrap();
        assert_eq!(l.add("n.host"), Some(3));
        assert_eq!(l.next_uid, 4);
        assert_eq!(
            l.render(),
            "3 V1 N4 Xsomething\n2 Pxyz S10 :m.host\n3 :n.host\n"
        );
        assert_eq!(l.add("../x"), None);
    }

    #[test]
    fn damage_is_reported_with_its_line() {
        for (text, line, what) in [
            ("", 1, "empty"),
            ("2 V1 N1\n", 1, "version"),
            ("3 N5\n", 1, "UIDVALIDITY"),
            ("3 V0 N1\n", 1, "UIDVALIDITY"),
            ("3 V1 N9\n4 :a\n4 :b\n", 3, "does not rise"),
            ("3 V1 N9\n4 a\n", 2, "\" :\""),
            ("3 V1 N9\n4 :../etc/passwd\n", 2, "plain file name"),
            ("3 V1 N9\nx :a\n", 2, "UID"),
            ("3 V1 N9\n4 9 :a\n", 2, "<key><value>"),
            ("3 V1 N9 X\r", 1, "<key><value>"),
        ] {
            let e = Uidlist::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.to_string().contains(what), "{text:?}: {e}");
        }
    }
}

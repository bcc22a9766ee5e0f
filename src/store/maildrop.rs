//! A mailbox opened for POP3 (RFC 1939 §8 "maildrop"): its messages in a
//! fixed order, with stable unique ids and wire sizes; reading them; and
//! the UPDATE step (delete, mark seen by moving `new/` → `cur/` with the
//! `S` flag, as the Maildir spec says a reader does).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::maildir::sync_dir;

/// One message as a maildrop lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its unique id (RFC 1939 §7 UIDL: 1-70 printable characters): the
    /// Maildir unique name, or a hash of one that does not fit.
    pub uid: String,
    /// Its size with CRLF line ends (what POP3 LIST and IMAP RFC822.SIZE
    /// report), from `,W=` in the name when there.
    pub size: u64,
}

/// The size of a message file with CRLF line ends
/// ([`crate::util::crlf_size`]), read a chunk at a time: listing a
/// maildrop of large messages must not hold one whole.
fn wire_size(path: &Path) -> io::Result<u64> {
    let mut f = fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut len, mut bare_lf) = (0u64, 0u64);
    let mut last = None;
    loop {
        let n = match io::Read::read(&mut f, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        for i in memchr::memchr_iter(b'\n', chunk) {
            let before = if i == 0 { last } else { Some(chunk[i - 1]) };
            if before != Some(b'\r') {
                bare_lf += 1;
            }
        }
        len += n as u64;
        last = chunk.last().copied();
    }
    let unterminated = last.is_some_and(|b| b != b'\n');
    Ok(len + bare_lf + if unterminated { 2 } else { 0 })
}

/// One message of the maildrop.
#[derive(Debug, Clone)]
struct Entry {
    /// Its file, as listed.
    path: PathBuf,
    /// The unique part of its name (before `:2,`).
    unique: String,
    /// Whether it sits in `new/`.
    in_new: bool,
    listed: Listed,
}

/// A locked maildrop's listing.
#[derive(Debug)]
pub struct Maildrop {
    dir: PathBuf,
    entries: Vec<Entry>,
}

/// A UIDL from a Maildir unique name: the name itself when it is 1-70
/// printable characters (RFC 1939 §7), else a hash of it.
fn uid_of(unique: &str) -> String {
    if !unique.is_empty()
        && unique.len() <= 70
        && unique.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        return unique.to_string();
    }
    // FNV-1a, 64 bits: stable across runs and machines.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in unique.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("h{h:016x}")
}

/// The wire size from a `,W=` in the name (Dovecot's, and ours), if any.
fn size_from_name(unique: &str) -> Option<u64> {
    unique
        .split(',')
        .find_map(|p| p.strip_prefix("W="))
        .and_then(|v| v.parse().ok())
}

impl Maildrop {
    /// Lists `root/mailbox/{new,cur}`, oldest first (by modification time,
    /// then name). A mailbox that does not exist yet is empty.
    pub fn open(root: &Path, mailbox: &str) -> io::Result<Maildrop> {
        let dir = root.join(mailbox);
        super::maildir::no_links(&dir)?;
        let mut found: Vec<(std::time::SystemTime, String, Entry)> = Vec::new();
        for (in_new, ent) in super::maildir::message_entries(&dir)? {
            let name = ent.file_name().to_string_lossy().into_owned();
            let meta = match ent.metadata() {
                Ok(m) if m.is_file() => m,
                _ => continue,
            };
            let unique = name.split(":2,").next().unwrap_or(&name).to_string();
            let size = match size_from_name(&unique) {
                Some(s) => s,
                None => wire_size(&ent.path())?,
            };
            let entry = Entry {
                path: ent.path(),
                listed: Listed {
                    uid: uid_of(&unique),
                    size,
                },
                unique,
                in_new,
            };
            found.push((
                meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                name,
                entry,
            ));
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(Maildrop {
            dir,
            entries: found.into_iter().map(|(_, _, e)| e).collect(),
        })
    }

    /// The listing for the session.
    pub fn listing(&self) -> Vec<Listed> {
        self.entries.iter().map(|e| e.listed.clone()).collect()
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the maildrop is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes of message `i` (see [`Maildrop::open_message`]).
    pub fn read(&self, i: usize) -> io::Result<Vec<u8>> {
        let mut data = Vec::new();
        io::Read::read_to_end(&mut self.open_message(i)?, &mut data)?;
        Ok(data)
    }

    /// Message `i`'s file, opened for streaming (found again by its
    /// unique name when another reader moved it).
    pub fn open_message(&self, i: usize) -> io::Result<fs::File> {
        let e = self
            .entries
            .get(i)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such message"))?;
        match fs::File::open(&e.path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => match self.find(&e.unique) {
                Some(p) => fs::File::open(p),
                None => Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "the message was removed by another client",
                )),
            },
            other => other,
        }
    }

    fn find(&self, unique: &str) -> Option<PathBuf> {
        for sub in ["cur", "new"] {
            for ent in fs::read_dir(self.dir.join(sub)).ok()?.flatten() {
                let name = ent.file_name().to_string_lossy().into_owned();
                if name.split(":2,").next() == Some(unique) {
                    return Some(ent.path());
                }
            }
        }
        None
    }

    /// The UPDATE state (RFC 1939 §6): removes the deleted messages, marks
    /// the retrieved ones seen, and syncs the directories. Returns how many
    /// messages are left.
    pub fn update(&self, delete: &[usize], seen: &[usize]) -> Result<usize, String> {
        let mut errors = Vec::new();
        for &i in delete {
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            let path = if e.path.exists() {
                Some(e.path.clone())
            } else {
                self.find(&e.unique)
            };
            if let Some(p) = path {
                if let Err(err) = fs::remove_file(&p) {
                    if err.kind() != io::ErrorKind::NotFound {
                        errors.push(format!("{}: {err}", p.display()));
                    }
                }
            }
        }
        for &i in seen {
            let Some(e) = self.entries.get(i) else {
                continue;
            };
            if e.in_new {
                let target = self.dir.join("cur").join(format!("{}:2,S", e.unique));
                let _ = fs::create_dir_all(self.dir.join("cur"));
                if let Err(err) = fs::rename(&e.path, &target) {
                    if err.kind() != io::ErrorKind::NotFound {
                        errors.push(format!("{}: {err}", e.path.display()));
                    }
                }
            } else if let Some(name) = e.path.file_name().map(|n| n.to_string_lossy().into_owned())
            {
                if let Some((base, flags)) = name.split_once(":2,") {
                    if !flags.contains('S') {
                        let mut f: Vec<char> = flags.chars().chain(['S']).collect();
                        f.sort_unstable();
                        let target = e.path.with_file_name(format!(
                            "{base}:2,{}",
                            f.into_iter().collect::<String>()
                        ));
                        let _ = fs::rename(&e.path, target);
                    }
                }
            }
        }
        for sub in ["new", "cur"] {
            let d = self.dir.join(sub);
            if d.is_dir() {
                if let Err(e) = sync_dir(&d) {
                    errors.push(e.to_string());
                }
            }
        }
        if errors.is_empty() {
            Ok(self.entries.len() - delete.len())
        } else {
            Err(errors.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_size_of_a_file_matches_crlf_size_across_chunks() {
        let dir = std::env::temp_dir().join(format!("mk-ws-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("m");
        // A CRLF split across the 64 KiB chunk boundary, bare LFs, no final end.
        let mut data = vec![b'a'; 64 * 1024 - 1];
        data.extend_from_slice(b"\r\nb\nc\r\n\nend");
        for d in [&data[..], b"", b"x\n", b"\r\n", b"\r"] {
            fs::write(&p, d).unwrap();
            assert_eq!(wire_size(&p).unwrap(), crate::util::crlf_size(d) as u64);
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn lists_reads_and_updates() {
        let root = std::env::temp_dir().join(format!("mailkit-maildrop-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let mut md = crate::store::Maildir::open(&root, "h").unwrap();
        let b = vec!["bob@x".to_string()];
        for body in [&b"one\n"[..], b"two\n", b"three\n"] {
            md.deliver(crate::store::Delivery {
                mailboxes: &b,
                header: b"",
                body,
            })
            .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let drop = Maildrop::open(&root, "bob@x").unwrap();
        assert_eq!(drop.len(), 3);
        let l = drop.listing();
        assert_eq!(l.iter().map(|m| m.size).collect::<Vec<_>>(), [5, 5, 7]);
        assert_eq!(drop.read(1).unwrap(), b"two\n");
        assert_eq!(drop.update(&[0], &[2]).unwrap(), 2);
        let again = Maildrop::open(&root, "bob@x").unwrap();
        assert_eq!(
            again
                .listing()
                .iter()
                .map(|m| m.uid.clone())
                .collect::<Vec<_>>(),
            [l[1].uid.clone(), l[2].uid.clone()]
        );
        let cur: Vec<String> = fs::read_dir(root.join("bob@x/cur"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(cur.len(), 1);
        assert!(cur[0].ends_with(":2,S"));
        assert!(Maildrop::open(&root, "nobody@x").unwrap().is_empty());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn uids_are_valid() {
        assert_eq!(
            uid_of("1795.M1P2Q3.host,S=1,W=2"),
            "1795.M1P2Q3.host,S=1,W=2"
        );
        let long = "x".repeat(100);
        assert!(uid_of(&long).len() <= 70 && uid_of(&long) == uid_of(&long));
        assert!(uid_of("a b").starts_with('h'));
    }
}

//! A mailbox opened for POP3 (RFC 1939 §8 "maildrop"), over the store's
//! folder API: its messages in UID order, with stable unique ids (the
//! Maildir unique names, so `fetch --new-only` state stays valid) and wire
//! sizes; reading them; and the UPDATE step (expunge, mark \Seen).
//!
//! RFC 1939 §8 asks for exclusive access to a maildrop for the length of a
//! session. A maildrop is held by an exclusive `flock(2)` on
//! [`SESSION_LOCK`] in its Maildir, taken when it is opened and let go
//! when the [`Maildrop`] is dropped (after UPDATE, or when the session
//! ends however it ends). The kernel lets go of it when the process dies,
//! so a crashed server leaves no stale lock and no time limit is needed,
//! however long a session lasts; and a second mailkit serving the same
//! store is refused as a second session in this process is.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use super::folder::{Folder, Message};

/// The file in a maildrop's Maildir whose lock marks a POP3 session on it.
/// It is left in place after the session (removing a lock file races with
/// the next locker); Dovecot and other Maildir readers ignore it.
pub const SESSION_LOCK: &str = "mailkit-pop3.lock";

/// Why a maildrop could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Another session, in this process or another, holds the maildrop
    /// (RFC 1939 §8: the server answers -ERR [IN-USE], RFC 2449 §8.1.2).
    InUse,
    /// The disk said no.
    Io(io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::InUse => f.write_str("the maildrop is in use by another session"),
            OpenError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

/// Takes the session lock of the Maildir `dir`, or says it is held.
fn lock_session(dir: &Path) -> Result<fs::File, OpenError> {
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(SESSION_LOCK))?;
    // flock(2) rather than File::try_lock, which needs Rust 1.89 (the
    // MSRV is Debian's 1.85).
    // SAFETY: the descriptor is open for the call's length (`f` lives).
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(f);
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        Err(OpenError::InUse)
    } else {
        Err(OpenError::Io(e))
    }
}

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

/// A locked maildrop: the mailbox's INBOX folder ([`Folder`]) in UID
/// order, with the wire sizes POP3 reports.
#[derive(Debug)]
pub struct Maildrop {
    folder: Option<Folder>,
    listing: Vec<Listed>,
    /// The session lock ([`SESSION_LOCK`]), held while this lives.
    _lock: Option<fs::File>,
}

impl Maildrop {
    /// Opens `root/mailbox` as a folder (UIDs synced with
    /// `dovecot-uidlist`), messages in UID order. A mailbox that does not
    /// exist yet is empty (and is not created: any name may be tried).
    /// The maildrop is locked for as long as the value lives; one held by
    /// another session is [`OpenError::InUse`].
    pub fn open(root: &Path, mailbox: &str) -> Result<Maildrop, OpenError> {
        let dir = root.join(mailbox);
        super::maildir::no_links(&dir)?;
        if !dir.is_dir() {
            return Ok(Maildrop {
                folder: None,
                listing: Vec::new(),
                _lock: None,
            });
        }
        let lock = lock_session(&dir)?;
        let folder = Folder::open(&dir)?;
        let mut listing = Vec::with_capacity(folder.messages().len());
        for m in folder.messages() {
            let size = match m.wire_size {
                Some(w) => w,
                None => wire_size(&m.path(folder.dir()))?,
            };
            listing.push(Listed {
                uid: uid_of(&m.base),
                size,
            });
        }
        Ok(Maildrop {
            folder: Some(folder),
            listing,
            _lock: Some(lock),
        })
    }

    /// The listing for the session.
    pub fn listing(&self) -> Vec<Listed> {
        self.listing.clone()
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.listing.len()
    }

    /// True when the maildrop is empty.
    pub fn is_empty(&self) -> bool {
        self.listing.is_empty()
    }

    /// The bytes of message `i` (see [`Maildrop::open_message`]).
    pub fn read(&self, i: usize) -> io::Result<Vec<u8>> {
        let mut data = Vec::new();
        io::Read::read_to_end(&mut self.open_message(i)?, &mut data)?;
        Ok(data)
    }

    /// Message `i`'s file, opened for streaming (found again by its
    /// unique name when another reader changed its flags meanwhile).
    pub fn open_message(&self, i: usize) -> io::Result<fs::File> {
        let (folder, m) = self.message(i)?;
        match fs::File::open(m.path(folder.dir())) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                match find(folder.dir(), &m.base) {
                    Some(p) => fs::File::open(p),
                    None => Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        "the message was removed by another client",
                    )),
                }
            }
            other => other,
        }
    }

    fn message(&self, i: usize) -> io::Result<(&Folder, &Message)> {
        let folder = self.folder.as_ref();
        folder
            .and_then(|f| f.messages().get(i).map(|m| (f, m)))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such message"))
    }

    /// The UPDATE state (RFC 1939 §6): removes the deleted messages and
    /// marks the retrieved ones \Seen (moving them from `new/` to `cur/`,
    /// as the Maildir spec says a reader does), durably. Returns how many
    /// messages are left.
    pub fn update(mut self, delete: &[usize], seen: &[usize]) -> io::Result<usize> {
        let Some(folder) = self.folder.as_mut() else {
            return Ok(0);
        };
        let uid = |i: usize| folder.messages().get(i).map(|m| m.uid);
        let dele: Vec<u32> = delete.iter().filter_map(|&i| uid(i)).collect();
        let seen: Vec<u32> = seen.iter().filter_map(|&i| uid(i)).collect();
        let mut errors = Vec::new();
        let doomed: std::collections::HashSet<u32> = dele.iter().copied().collect();
        let marks: Vec<(u32, super::flags::Flags)> = seen
            .into_iter()
            .filter(|u| !doomed.contains(u))
            .filter_map(|u| {
                let mut flags = folder.get(u)?.flags;
                flags.set('S', true);
                Some((u, flags))
            })
            .collect();
        if let Err(e) = folder.set_flags_many(&marks) {
            errors.push(e.to_string());
        }
        if let Err(e) = folder.expunge(&dele) {
            errors.push(e.to_string());
        }
        if errors.is_empty() {
            Ok(folder.messages().len())
        } else {
            Err(io::Error::other(errors.join("; ")))
        }
    }
}

/// The current path of the message whose base name is `base` (another
/// reader may have moved it to `cur/` or changed its flags).
fn find(dir: &Path, base: &str) -> Option<PathBuf> {
    for sub in ["cur", "new"] {
        for ent in fs::read_dir(dir.join(sub)).ok()?.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            if super::folder::base_name(&name) == base {
                return Some(ent.path());
            }
        }
    }
    None
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
    fn a_maildrop_is_held_until_its_session_lets_go() {
        let root = std::env::temp_dir().join(format!("mailkit-mdlock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("bob@x/new")).unwrap();
        let first = Maildrop::open(&root, "bob@x").unwrap();
        // A second opener (its own open file, as another process's is).
        assert!(matches!(
            Maildrop::open(&root, "bob@x"),
            Err(OpenError::InUse)
        ));
        // UPDATE consumes the maildrop and lets go of it when done.
        first.update(&[], &[]).unwrap();
        let second = Maildrop::open(&root, "bob@x").unwrap();
        drop(second);
        Maildrop::open(&root, "bob@x").unwrap();
        // A mailbox that does not exist is not created to be locked.
        Maildrop::open(&root, "nobody@x").unwrap();
        assert!(!root.join("nobody@x").exists());
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

//! A Maildir folder's UIDs (SPEC, "The mail store"; RFC 9051 §2.3.1.1):
//! every message in `new/` and `cur/` has a UID in `dovecot-uidlist`,
//! kept across restarts and shared with Dovecot.
//!
//! [`Folder`] is the protocol-neutral view of one folder that IMAP, HTTP
//! and POP3 read and change: messages by UID with flags, keywords, sizes
//! and internal dates; flag changes, append, copy, move and expunge, each
//! durable before it returns.
//!
//! [`sync_uids`] brings the list up to date under Dovecot's dotlock, as
//! Dovecot does: messages that are gone lose their records, messages
//! without one get the next UIDs, in name order (a Maildir name starts
//! with its delivery time), and a changed list is written into the lock
//! file and renamed over `dovecot-uidlist` (which also releases the lock),
//! so a reader never sees half a list.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::dotlock::Dotlock;
use super::feed::{Change, Feed};
use super::flags::Flags;
use super::keywords::{self, Keywords};
use super::uidlist::{self, Uidlist};

/// How long to wait for another process's lock on the list.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Reads a message file whole, refusing a symbolic link in its place
/// (`O_NOFOLLOW`): a file swapped for a link to `/etc/passwd` between a
/// listing and the read must not be served as a message.
pub fn read_message(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// A message file's base name: its name up to the `:2,` info, the part
/// that stays when flags change.
pub fn base_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

/// The messages of a Maildir: base names in `new/` and `cur/` (hidden
/// files skipped), sorted.
fn messages(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for (_, ent) in super::maildir::message_entries(dir)? {
        if !ent.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        // Names that are not UTF-8 are no Maildir names of ours or
        // Dovecot's: they get no UID.
        if let Some(name) = ent.file_name().to_str() {
            out.push(base_name(name).to_owned());
        }
    }
    out.sort_by(|a, b| delivery_order(a, b));
    out.dedup();
    Ok(out)
}

/// A folder's message files by base name: whether in `new/`, and the
/// file's name (hidden files, and names that are not UTF-8, skipped).
type Files = std::collections::HashMap<String, (bool, String)>;

/// Reads `new/` and `cur/` once.
fn files(dir: &Path) -> io::Result<Files> {
    let mut out = Files::new();
    for (in_new, ent) in super::maildir::message_entries(dir)? {
        if !ent.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(name) = ent.file_name().into_string() {
            out.insert(base_name(&name).to_owned(), (in_new, name));
        }
    }
    Ok(out)
}

/// `dovecot-uidlist` as it is now, read without the lock (it is only
/// ever replaced whole); none when there is none yet.
fn read_list(path: &Path) -> io::Result<Option<Uidlist>> {
    match fs::read_to_string(path) {
        Ok(text) => Uidlist::parse(&text)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `list` numbers exactly the messages in `files`: then nothing
/// needs to be written, and no lock taken.
fn matches(list: &Uidlist, files: &Files) -> bool {
    list.records.len() == files.len() && list.records.iter().all(|r| files.contains_key(&r.name))
}

/// The order new messages get their UIDs in: the order of the names with
/// runs of digits compared as numbers (so `1700000000.M99016P1` comes
/// before `1700000000.M105122P1`: its microseconds are fewer, though not
/// as text), as Dovecot orders a Maildir's new names by their time and
/// microseconds; ties by bytes.
pub fn delivery_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (p, q) = (&x[..n], &y[..m]);
                let trim = |v: &[u8]| -> usize { v.iter().take_while(|&&c| c == b'0').count() };
                let (p, q) = (&p[trim(p)..], &q[trim(q)..]);
                let ord = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if ord.is_ne() {
                    return ord;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// Brings the folder's `dovecot-uidlist` up to date with its files and
/// returns it. A folder without one gets a new list whose UIDVALIDITY is
/// the current time (as Dovecot chooses it). A list that cannot be read
/// is an error, not replaced: UIDs clients have seen must not change
/// silently.
pub fn sync_uids(dir: &Path) -> io::Result<Uidlist> {
    super::maildir::no_links(dir)?;
    let lock = Dotlock::acquire(&dir.join(uidlist::LOCK_NAME), LOCK_WAIT)?;
    let path = dir.join(uidlist::FILE_NAME);
    let (mut list, existed) = match fs::read_to_string(&path) {
        Ok(text) => (
            Uidlist::parse(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            true,
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs());
            (Uidlist::new(u32::try_from(now).unwrap_or(u32::MAX)), false)
        }
        Err(e) => return Err(e),
    };
    let present = messages(dir)?;
    let here: HashSet<&str> = present.iter().map(String::as_str).collect();
    let before = list.records.len();
    list.records.retain(|r| here.contains(r.name.as_str()));
    let mut changed = list.records.len() != before || !existed;
    let known: HashSet<String> = list.records.iter().map(|r| r.name.clone()).collect();
    for name in present.iter().filter(|n| !known.contains(*n)) {
        if list.add(name).is_none() {
            return Err(io::Error::other(format!(
                "{}: no UIDs left; the folder needs a new UIDVALIDITY",
                path.display()
            )));
        }
        changed = true;
    }
    if changed {
        lock.replace(list.render().as_bytes(), &path)?;
    }
    Ok(list)
}

/// One message of an opened folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its UID (RFC 9051 §2.3.1.1).
    pub uid: u32,
    /// Its file name's base (up to `:2,`): stays when flags change.
    pub base: String,
    /// Whether the file is in `new/` (not yet seen by any reader: IMAP's
    /// \Recent for the first session to see it).
    pub in_new: bool,
    /// Its flags and keyword letters.
    pub flags: Flags,
    /// Its size in octets as stored (`,S=` in the name, else the file's).
    pub size: u64,
    /// Its size with CRLF line ends, when the name says (`,W=`).
    pub wire_size: Option<u64>,
    /// The internal date (RFC 9051 §2.3.3): the file's modification time.
    pub internal_date: SystemTime,
}

impl Message {
    /// The file's name as it is now.
    pub fn file_name(&self) -> String {
        if self.in_new {
            self.base.clone()
        } else {
            self.flags.file_name(&self.base)
        }
    }

    /// The file's path in folder `dir`.
    pub fn path(&self, dir: &Path) -> PathBuf {
        dir.join(if self.in_new { "new" } else { "cur" })
            .join(self.file_name())
    }
}

/// A number from `,KEY=N` in a Maildir base name.
fn name_field(base: &str, key: &str) -> Option<u64> {
    base.split(',')
        .skip(1)
        .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// Tells `feed`, if any, that the folder in `dir` changed.
fn tell(feed: Option<&Feed>, dir: &Path) {
    if let Some(feed) = feed {
        feed.publish(Change::Folder {
            dir: dir.to_path_buf(),
        });
    }
}

/// A Maildir folder opened for reading and changing: its messages in UID
/// order with their flags, UIDVALIDITY and UIDNEXT, and the keyword names
/// of `dovecot-keywords`. Every change is durable (the directory entry
/// synced) when the call returns, so a protocol may acknowledge it then.
#[derive(Debug, Clone)]
pub struct Folder {
    dir: PathBuf,
    uid_validity: u32,
    uid_next: u32,
    messages: Vec<Message>,
    keywords: Keywords,
    /// Where this folder's changes are told ([`Folder::with_feed`]).
    feed: Option<Feed>,
}

impl Folder {
    /// Publishes every change made through this handle on `feed` (as
    /// [`Change::Folder`], once the change is durable), so other sessions
    /// with the folder open hear of it at once.
    pub fn with_feed(mut self, feed: Feed) -> Folder {
        self.feed = Some(feed);
        self
    }

    /// Tells the feed, if any, that `dir` changed.
    fn changed(&self, dir: &Path) {
        tell(self.feed.as_ref(), dir);
    }

    /// Opens the Maildir `dir` (creating `tmp/ new/ cur/` when missing):
    /// brings its UID list up to date ([`sync_uids`]) and lists its
    /// messages.
    pub fn open(dir: &Path) -> io::Result<Folder> {
        Folder::open_with(dir, None)
    }

    /// [`Folder::open`], taking each message's size and internal date
    /// from `hint` (an earlier opening of the same folder) where its file
    /// is still there, instead of asking the file system: a message's
    /// file never changes but for its name's flags, so only new files
    /// are looked at. The UID list is read without its lock and locked
    /// (and written) only when it does not match the files.
    pub fn open_with(dir: &Path, hint: Option<&Folder>) -> io::Result<Folder> {
        for sub in ["tmp", "new", "cur"] {
            let d = dir.join(sub);
            if !d.is_dir() {
                fs::create_dir_all(d)?;
            }
        }
        super::maildir::no_links(dir)?;
        let path = dir.join(uidlist::FILE_NAME);
        let mut files = files(dir)?;
        let list = match read_list(&path)? {
            Some(list) if matches(&list, &files) => list,
            _ => {
                // Synced under the lock; the files read again after it,
                // so every one it numbered is seen.
                let list = sync_uids(dir)?;
                files = self::files(dir)?;
                list
            }
        };
        let keywords = match fs::read_to_string(dir.join(keywords::FILE_NAME)) {
            Ok(t) => {
                Keywords::parse(&t).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Keywords::default(),
            Err(e) => return Err(e),
        };
        let mut messages = Vec::with_capacity(list.records.len());
        for r in list.records {
            let Some((in_new, name)) = files.remove(&r.name) else {
                continue;
            };
            let known = hint
                .and_then(|h| h.get(r.uid))
                .filter(|m| m.base == r.name)
                .map(|m| (m.size, m.internal_date));
            let (size, internal_date) = match known {
                Some(k) => k,
                None => {
                    let sub = if in_new { "new" } else { "cur" };
                    let Ok(meta) = fs::metadata(dir.join(sub).join(&name)) else {
                        continue;
                    };
                    (
                        name_field(&r.name, "S").unwrap_or(meta.len()),
                        meta.modified().unwrap_or(UNIX_EPOCH),
                    )
                }
            };
            messages.push(Message {
                uid: r.uid,
                wire_size: name_field(&r.name, "W"),
                base: r.name,
                in_new,
                flags: if in_new {
                    Flags::empty()
                } else {
                    Flags::from_file_name(&name)
                },
                size,
                internal_date,
            });
        }
        messages.sort_by_key(|m| m.uid);
        Ok(Folder {
            dir: dir.to_path_buf(),
            uid_validity: list.uid_validity,
            uid_next: list.next_uid,
            messages,
            keywords,
            feed: None,
        })
    }

    /// The folder's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// UIDVALIDITY (RFC 9051 §2.3.1.1).
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The UID the next message will get.
    pub fn uid_next(&self) -> u32 {
        self.uid_next
    }

    /// The messages, in UID order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The message with UID `uid`.
    pub fn get(&self, uid: u32) -> Option<&Message> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| &self.messages[i])
    }

    /// The keyword name of letter `c`, if it has one.
    pub fn keyword(&self, c: char) -> Option<&str> {
        self.keywords.keyword(c)
    }

    /// The letter for keyword `name`, assigning a free one (and writing
    /// `dovecot-keywords`, under the UID list's lock as Dovecot does)
    /// when it is new. `None` when all 26 are taken or the name is not a
    /// keyword.
    pub fn keyword_letter(&mut self, name: &str) -> io::Result<Option<char>> {
        if !keywords::valid_keyword(name) {
            return Ok(None);
        }
        let before = self.keywords.render();
        let Some(c) = self.keywords.letter(name) else {
            return Ok(None);
        };
        let after = self.keywords.render();
        if after != before {
            let lock = Dotlock::acquire(&self.dir.join(uidlist::LOCK_NAME), LOCK_WAIT)?;
            let tmp = self
                .dir
                .join("tmp")
                .join(format!(".keywords.{}", std::process::id()));
            let mut f = fs::File::create(&tmp)?;
            io::Write::write_all(&mut f, after.as_bytes())?;
            f.sync_data()?;
            fs::rename(&tmp, self.dir.join(keywords::FILE_NAME))?;
            sync_dir(&self.dir)?;
            drop(lock);
        }
        Ok(Some(c))
    }

    /// Gives message `uid` the flags `flags`: its file moves to `cur/`
    /// with the new info part, durably. Returns whether anything changed.
    pub fn set_flags(&mut self, uid: u32, flags: Flags) -> io::Result<bool> {
        self.index(uid)?;
        Ok(!self.set_flags_many(&[(uid, flags)])?.is_empty())
    }

    /// Gives each message its flags (IMAP STORE over a set, POP3's seen
    /// marks): every file renamed, then each directory synced once, so a
    /// thousand changes cost two flushes, not two thousand. Returns the
    /// UIDs that changed; a message another client removed meanwhile is
    /// skipped.
    pub fn set_flags_many(&mut self, changes: &[(u32, Flags)]) -> io::Result<Vec<u32>> {
        let (mut new_dir, mut cur_dir) = (false, false);
        let mut changed = Vec::new();
        for &(uid, flags) in changes {
            let Ok(i) = self.index(uid) else { continue };
            let m = &self.messages[i];
            if !m.in_new && m.flags == flags {
                continue;
            }
            let from = m.path(&self.dir);
            let mut moved = m.clone();
            moved.in_new = false;
            moved.flags = flags;
            match fs::rename(&from, moved.path(&self.dir)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            new_dir |= m.in_new;
            cur_dir = true;
            self.messages[i] = moved;
            changed.push(uid);
        }
        if cur_dir {
            sync_dir(&self.dir.join("cur"))?;
        }
        if new_dir {
            sync_dir(&self.dir.join("new"))?;
        }
        if !changed.is_empty() {
            self.changed(&self.dir);
        }
        Ok(changed)
    }

    /// Removes the messages `uids` (IMAP EXPUNGE, POP3 DELE after QUIT),
    /// durably, and drops them from the UID list. Returns the UIDs removed
    /// (one another process removed first counts as removed).
    pub fn expunge(&mut self, uids: &[u32]) -> io::Result<Vec<u32>> {
        let mut removed = Vec::new();
        let (mut new_dir, mut cur_dir) = (false, false);
        for &uid in uids {
            let Ok(i) = self.index(uid) else { continue };
            let m = &self.messages[i];
            match fs::remove_file(m.path(&self.dir)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            new_dir |= m.in_new;
            cur_dir |= !m.in_new;
            removed.push(uid);
            self.messages.remove(i);
        }
        if new_dir {
            sync_dir(&self.dir.join("new"))?;
        }
        if cur_dir {
            sync_dir(&self.dir.join("cur"))?;
        }
        if !removed.is_empty() {
            sync_uids(&self.dir)?;
            self.changed(&self.dir);
        }
        Ok(removed)
    }

    /// Adds a message (IMAP APPEND) with `flags` and internal date `date`,
    /// durably: written to `tmp/` and synced, its time set, then linked
    /// into `cur/` and the directory synced. Returns its UID.
    pub fn append(
        &mut self,
        data: &[u8],
        flags: Flags,
        date: SystemTime,
        host: &str,
    ) -> io::Result<u32> {
        let base = unique_base(data, host);
        let tmp = self.dir.join("tmp").join(&base);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let written = io::Write::write_all(&mut f, data)
            .and_then(|()| f.set_modified(date))
            .and_then(|()| f.sync_data());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        // Without flags it is new mail, as a delivery is (in new/, so
        // \Recent to the next session that selects the folder, RFC 3501
        // §2.3.2; Dovecot saves it there too); with flags, in cur/.
        let (sub, name) = if flags == Flags::empty() {
            ("new", base.clone())
        } else {
            ("cur", flags.file_name(&base))
        };
        let to = self.dir.join(sub).join(name);
        let linked = fs::rename(&tmp, &to).and_then(|()| sync_dir(&self.dir.join(sub)));
        if let Err(e) = linked {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let uid = self.refresh_after_add(&base, flags, date, data.len() as u64)?;
        if let (Ok(i), "new") = (self.index(uid), sub) {
            self.messages[i].in_new = true;
        }
        self.changed(&self.dir);
        Ok(uid)
    }

    /// Copies the messages `uids` into `dest` (hard links where the file
    /// system allows, else copies), with their flags; durable in `dest`.
    /// Returns (old UID, new UID) pairs for COPYUID (RFC 4315).
    pub fn copy_to(
        &self,
        uids: &[u32],
        dest: &mut Folder,
        host: &str,
    ) -> io::Result<Vec<(u32, u32)>> {
        let mut made = Vec::new();
        for &uid in uids {
            let Ok(i) = self.index(uid) else { continue };
            let m = &self.messages[i];
            let from = m.path(&self.dir);
            let base = copy_base(&m.base, host);
            let to = dest.dir.join("cur").join(m.flags.file_name(&base));
            if fs::hard_link(&from, &to).is_err() {
                let tmp = dest.dir.join("tmp").join(&base);
                fs::copy(&from, &tmp).map_err(|e| gone(e, uid))?;
                let f = fs::OpenOptions::new().write(true).open(&tmp)?;
                f.set_modified(m.internal_date)?;
                f.sync_data()?;
                fs::rename(&tmp, &to)?;
            }
            made.push((uid, base, m.flags, m.internal_date, m.size));
        }
        sync_dir(&dest.dir.join("cur"))?;
        let mut pairs = Vec::new();
        for (uid, base, flags, date, size) in made {
            pairs.push((uid, dest.refresh_after_add(&base, flags, date, size)?));
        }
        if !pairs.is_empty() {
            tell(self.feed.as_ref().or(dest.feed.as_ref()), &dest.dir);
        }
        Ok(pairs)
    }

    /// Moves the messages `uids` into `dest` (RFC 6851): copied, then
    /// expunged here. Returns (old UID, new UID) pairs.
    pub fn move_to(
        &mut self,
        uids: &[u32],
        dest: &mut Folder,
        host: &str,
    ) -> io::Result<Vec<(u32, u32)>> {
        let pairs = self.copy_to(uids, dest, host)?;
        let moved: Vec<u32> = pairs.iter().map(|(u, _)| *u).collect();
        self.expunge(&moved)?;
        Ok(pairs)
    }

    /// Numbers a message just linked in and adds it to the listing.
    fn refresh_after_add(
        &mut self,
        base: &str,
        flags: Flags,
        date: SystemTime,
        size: u64,
    ) -> io::Result<u32> {
        let list = sync_uids(&self.dir)?;
        self.uid_validity = list.uid_validity;
        self.uid_next = list.next_uid;
        let uid = list
            .find(base)
            .map(|r| r.uid)
            .ok_or_else(|| io::Error::other(format!("{base} got no UID")))?;
        if self.get(uid).is_none() {
            self.messages.push(Message {
                uid,
                base: base.to_owned(),
                in_new: false,
                flags,
                size: name_field(base, "S").unwrap_or(size),
                wire_size: name_field(base, "W"),
                internal_date: date,
            });
            self.messages.sort_by_key(|m| m.uid);
        }
        Ok(uid)
    }

    fn index(&self, uid: u32) -> io::Result<usize> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no message with UID {uid}"),
                )
            })
    }
}

/// A file another process removed: said with the UID.
fn gone(e: io::Error, uid: u32) -> io::Error {
    if e.kind() == io::ErrorKind::NotFound {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("message UID {uid} was removed by another client"),
        )
    } else {
        e
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// A new Maildir base name for `data`: time, microseconds, pid and a
/// counter, the host, and its sizes (`,S=` stored, `,W=` with CRLF).
fn unique_base(data: &[u8], host: &str) -> String {
    let size = data.len() as u64;
    let wire = crate::util::crlf_size(data) as u64;
    next_base(host, &format!(",S={size},W={wire}"))
}

/// A base name for a copy: a new unique part, the original's sizes.
fn copy_base(original: &str, host: &str) -> String {
    let fields: String = original
        .split(',')
        .skip(1)
        .filter(|p| p.starts_with("S=") || p.starts_with("W="))
        .map(|p| format!(",{p}"))
        .collect();
    next_base(host, &fields)
}

fn next_base(host: &str, fields: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    // '/' and ':' cannot be in a name; ',' would start a field.
    let host: String = host
        .chars()
        .map(|c| if matches!(c, '/' | ':' | ',') { '_' } else { c })
        .collect();
    format!(
        "{}.M{}P{}Q{seq}.{host}{fields}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-folder-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(d.join(sub)).unwrap();
        }
        d
    }

    /// Four processes (this test binary run again as children) each add
    /// 40 messages and number the folder after each, all at once: the
    /// dotlock must serialise them so that every message has one UID in
    /// every process's eyes and no UID is given to two messages.
    #[test]
    fn processes_numbering_one_folder_at_once_agree() {
        const CHILD: &str = "MAILKIT_UIDLIST_CHILD";
        if let Ok(d) = std::env::var(CHILD) {
            // What this process was told, for the parent to compare.
            let d = PathBuf::from(d);
            let mut seen = String::new();
            for i in 0..40 {
                let name = format!("1700000000.M{i}P{}.h", std::process::id());
                fs::write(d.join("new").join(name), "x").unwrap();
                for r in sync_uids(&d).unwrap().records {
                    seen.push_str(&format!("{} {}\n", r.uid, r.name));
                }
            }
            let out = d.join(format!("seen.{}", std::process::id()));
            fs::write(out, seen).unwrap();
            return;
        }
        let d = maildir("processes");
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--exact",
                        "store::folder::tests::processes_numbering_one_folder_at_once_agree",
                        "--test-threads=1",
                    ])
                    .env(CHILD, &d)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "a child failed");
        }
        let list = sync_uids(&d).unwrap();
        assert_eq!(list.records.len(), 160);
        let uids: Vec<u32> = list.records.iter().map(|r| r.uid).collect();
        assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
        assert!(list.next_uid > *uids.last().unwrap());
        let mut names: Vec<&str> = list.records.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 160);
        assert!(!d.join(uidlist::LOCK_NAME).exists());
        // Everything any process saw agrees with the final list.
        let last: std::collections::HashMap<String, u32> = list
            .records
            .iter()
            .map(|r| (r.name.clone(), r.uid))
            .collect();
        for ent in fs::read_dir(&d).unwrap().flatten() {
            let file = ent.file_name().to_string_lossy().into_owned();
            if !file.starts_with("seen.") {
                continue;
            }
            for line in fs::read_to_string(ent.path()).unwrap().lines() {
                let (uid, name) = line.split_once(' ').unwrap();
                assert_eq!(
                    last.get(name).copied(),
                    Some(uid.parse().unwrap()),
                    "{file} saw {name} as UID {uid}"
                );
            }
        }
    }

    #[test]
    fn changes_made_through_a_handle_are_published_once_durable() {
        let d = maildir("feed");
        let other = maildir("feed-dest");
        let feed = Feed::new();
        let rx = feed.subscribe(std::sync::Arc::new(|| {}));
        let mut f = Folder::open(&d).unwrap().with_feed(feed.clone());
        let mut dest = Folder::open(&other).unwrap();
        let here = Change::Folder { dir: d.clone() };
        let uid = f
            .append(b"a", Flags::default(), SystemTime::now(), "h")
            .unwrap();
        assert_eq!(rx.try_recv().ok(), Some(here.clone()));
        let seen = Flags::from_info("S");
        f.set_flags(uid, seen).unwrap();
        assert_eq!(rx.try_recv().ok(), Some(here.clone()));
        // Nothing changed, nothing told.
        f.set_flags(uid, seen).unwrap();
        assert!(rx.try_recv().is_err());
        f.copy_to(&[uid], &mut dest, "h").unwrap();
        assert_eq!(
            rx.try_recv().ok(),
            Some(Change::Folder { dir: other.clone() })
        );
        f.expunge(&[uid]).unwrap();
        assert_eq!(rx.try_recv().ok(), Some(here));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn uids_are_given_kept_and_dropped_with_their_files() {
        let d = maildir("uids");
        fs::write(d.join("new/1700000002.M2P1.h"), "b").unwrap();
        fs::write(d.join("cur/1700000001.M1P1.h:2,S"), "a").unwrap();
        let first = sync_uids(&d).unwrap();
        let uids: Vec<(u32, &str)> = first
            .records
            .iter()
            .map(|r| (r.uid, r.name.as_str()))
            .collect();
        assert_eq!(uids, [(1, "1700000001.M1P1.h"), (2, "1700000002.M2P1.h")]);
        assert!(!d.join(uidlist::LOCK_NAME).exists());
        // A flag change (a rename in cur/) keeps the UID; a new message
        // gets the next; an expunged one's UID is never reused.
        fs::rename(
            d.join("new/1700000002.M2P1.h"),
            d.join("cur/1700000002.M2P1.h:2,FS"),
        )
        .unwrap();
        fs::remove_file(d.join("cur/1700000001.M1P1.h:2,S")).unwrap();
        fs::write(d.join("new/1700000003.M3P1.h"), "c").unwrap();
        let second = sync_uids(&d).unwrap();
        let uids: Vec<(u32, &str)> = second
            .records
            .iter()
            .map(|r| (r.uid, r.name.as_str()))
            .collect();
        assert_eq!(uids, [(2, "1700000002.M2P1.h"), (3, "1700000003.M3P1.h")]);
        assert_eq!(second.uid_validity, first.uid_validity);
        assert_eq!(second.next_uid, 4);
        // What is on disk is what Dovecot would read.
        let text = fs::read_to_string(d.join(uidlist::FILE_NAME)).unwrap();
        assert_eq!(Uidlist::parse(&text).unwrap(), second);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_damaged_list_is_an_error_not_replaced() {
        let d = maildir("damaged");
        fs::write(d.join(uidlist::FILE_NAME), "3 V1 N5\n4 :a\n3 :b\n").unwrap();
        let e = sync_uids(&d).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("dovecot-uidlist:3"), "{e}");
        assert!(fs::read_to_string(d.join(uidlist::FILE_NAME))
            .unwrap()
            .contains("3 :b"));
        assert!(!d.join(uidlist::LOCK_NAME).exists());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn new_names_are_numbered_in_delivery_order() {
        let mut names = vec![
            "1796125258.M105122P21252Q2.h",
            "1796125258.M99016P21252Q1.h",
            "1796125258.M105122P21252Q10.h",
            "1796125257.M999999P1Q1.h",
        ];
        names.sort_by(|a, b| delivery_order(a, b));
        assert_eq!(
            names,
            [
                "1796125257.M999999P1Q1.h",
                "1796125258.M99016P21252Q1.h",
                "1796125258.M105122P21252Q2.h",
                "1796125258.M105122P21252Q10.h",
            ]
        );
    }

    #[test]
    fn append_flags_expunge_and_reopen() {
        let d = maildir("api");
        let mut f = Folder::open(&d).unwrap();
        let date = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let a = f
            .append(b"Subject: a\n\nx\n", Flags::from_info("S"), date, "h")
            .unwrap();
        let b = f
            .append(b"Subject: b\n\ny\n", Flags::empty(), date, "h")
            .unwrap();
        assert!(b > a);
        fs::write(d.join("new/1.M1P1.h"), "Subject: c\n\n").unwrap();
        let mut f = Folder::open(&d).unwrap();
        let c = f.messages().last().unwrap().uid;
        assert!(c > b && f.get(c).unwrap().in_new);
        assert_eq!(f.get(a).unwrap().flags.to_string(), "S");
        assert_eq!(f.get(a).unwrap().internal_date, date);
        assert_eq!(f.get(a).unwrap().size, 14);
        assert_eq!(f.get(a).unwrap().wire_size, Some(17));
        // A flag change moves a new/ message to cur/ with its info.
        let k = f.keyword_letter("$Label1").unwrap().unwrap();
        let mut fl = Flags::from_info("F");
        fl.set(k, true);
        assert!(f.set_flags(c, fl).unwrap());
        assert!(!f.set_flags(c, fl).unwrap(), "no change, no rename");
        assert!(d.join("cur").join(format!("1.M1P1.h:2,F{k}")).exists());
        f.expunge(&[b]).unwrap();
        let f = Folder::open(&d).unwrap();
        let uids: Vec<u32> = f.messages().iter().map(|m| m.uid).collect();
        assert_eq!(uids, [a, c]);
        assert_eq!(f.get(c).unwrap().flags, fl);
        assert_eq!(f.keyword(k), Some("$Label1"));
        // An expunged UID is never given again.
        assert!(f.uid_next() > c);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn copy_and_move_keep_flags_and_dates() {
        let (d1, d2) = (maildir("copy1"), maildir("copy2"));
        let mut src = Folder::open(&d1).unwrap();
        let date = UNIX_EPOCH + Duration::from_secs(1_500_000_000);
        let a = src
            .append(b"a\n", Flags::from_info("RS"), date, "h")
            .unwrap();
        let b = src.append(b"b\n", Flags::empty(), date, "h").unwrap();
        let mut dst = Folder::open(&d2).unwrap();
        let pairs = src.copy_to(&[a], &mut dst, "h").unwrap();
        assert_eq!(pairs.len(), 1);
        let moved = src.move_to(&[b], &mut dst, "h").unwrap();
        let dst = Folder::open(&d2).unwrap();
        let copy = dst.get(pairs[0].1).unwrap();
        assert_eq!(
            (copy.flags.to_string().as_str(), copy.internal_date),
            ("RS", date)
        );
        assert!(dst.get(moved[0].1).is_some());
        let src = Folder::open(&d1).unwrap();
        assert_eq!(src.messages().len(), 1, "moved away, copied stays");
        let _ = fs::remove_dir_all(&d1);
        let _ = fs::remove_dir_all(&d2);
    }

    #[test]
    fn a_message_file_swapped_for_a_link_is_not_read() {
        let dir = std::env::temp_dir().join(format!("mailkit-nofollow-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("secret"), b"root:x:0:0\n").unwrap();
        fs::write(dir.join("msg"), b"Subject: x\n\nbody\n").unwrap();
        std::os::unix::fs::symlink(dir.join("secret"), dir.join("link")).unwrap();
        assert_eq!(
            read_message(&dir.join("msg")).unwrap(),
            b"Subject: x\n\nbody\n"
        );
        assert!(read_message(&dir.join("link")).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}

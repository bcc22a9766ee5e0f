//! A user's folders as Maildir++ lays them out, as Dovecot does: INBOX is
//! the mailbox's own Maildir (`DIR/<mailbox>/`), every other folder a
//! Maildir in a dot-directory beside it (`DIR/<mailbox>/.Sent`,
//! `.Archive.2026` for `Archive/2026`), marked with an empty
//! `maildirfolder` file. On disk each level of a name is in modified
//! UTF-7 (RFC 3501 §5.1.3) and `.` separates levels; this API takes and
//! gives names in UTF-8 with `/` between levels, the separator IMAP will
//! show. Subscriptions are Dovecot's `subscriptions` file (version 2: a
//! `V\t2` line, a blank line, then one name a line with a tab between
//! levels), so either server sees the other's.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::feed::{Change, Feed};
use super::mutf7;

/// The subscriptions file, in the INBOX Maildir.
pub const SUBSCRIPTIONS: &str = "subscriptions";

/// Why a folder operation was refused.
#[derive(Debug)]
pub enum FolderError {
    /// The name cannot be a folder name (empty level, a `.` in a level,
    /// a control character, too long).
    BadName(String),
    /// No such folder.
    NotFound(String),
    /// A folder of that name exists.
    Exists(String),
    /// INBOX cannot be deleted.
    Inbox,
    /// The file system said no.
    Io(io::Error),
}

impl fmt::Display for FolderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderError::BadName(n) => write!(
                f,
                "{n:?} is not a folder name: levels are separated by '/', may not be empty or contain '.'"
            ),
            FolderError::NotFound(n) => write!(f, "no folder {n:?}"),
            FolderError::Exists(n) => write!(f, "a folder {n:?} exists already"),
            FolderError::Inbox => f.write_str("INBOX cannot be deleted"),
            FolderError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FolderError {}

impl From<io::Error> for FolderError {
    fn from(e: io::Error) -> Self {
        FolderError::Io(e)
    }
}

/// Whether `name` is INBOX (any case, RFC 9051 §5.1).
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case("INBOX")
}

/// A user's mailbox: INBOX and its folders.
#[derive(Debug, Clone)]
pub struct Mailbox {
    root: PathBuf,
    /// Where changes to the folder list are told ([`Mailbox::with_feed`]).
    feed: Option<Feed>,
}

impl Mailbox {
    /// The mailbox whose INBOX is the Maildir `root`.
    pub fn new(root: &Path) -> Mailbox {
        Mailbox {
            root: root.to_path_buf(),
            feed: None,
        }
    }

    /// Publishes each change to the folder list or the subscriptions on
    /// `feed` ([`Change::Folders`]), once it is durable.
    pub fn with_feed(mut self, feed: Feed) -> Mailbox {
        self.feed = Some(feed);
        self
    }

    /// Tells the feed, if any, that the folder list changed; passes
    /// `result` through.
    fn changed<T>(&self, result: Result<T, FolderError>) -> Result<T, FolderError> {
        if let (Ok(_), Some(feed)) = (&result, &self.feed) {
            feed.publish(Change::Folders {
                root: self.root.clone(),
            });
        }
        result
    }

    /// The on-disk name of folder `name` (`Archive/2026` → `.Archive.2026`).
    fn disk_name(name: &str) -> Result<String, FolderError> {
        let bad = || FolderError::BadName(name.to_owned());
        if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
            return Err(bad());
        }
        let mut out = String::new();
        for level in name.split('/') {
            if level.is_empty() || level.contains('.') || level == ".." {
                return Err(bad());
            }
            out.push('.');
            out.push_str(&mutf7::encode(level));
        }
        Ok(out)
    }

    /// The Maildir of folder `name` (INBOX: the root).
    pub fn folder_dir(&self, name: &str) -> Result<PathBuf, FolderError> {
        if is_inbox(name) {
            return Ok(self.root.clone());
        }
        Ok(self.root.join(Self::disk_name(name)?))
    }

    /// Every folder, INBOX first, then the others by name.
    pub fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec!["INBOX".into()]),
            Err(e) => return Err(e),
        };
        for ent in entries.flatten() {
            let Some(file) = ent.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Some(rest) = file.strip_prefix('.') else {
                continue;
            };
            if rest.is_empty() || rest.starts_with('.') || !ent.path().join("cur").is_dir() {
                continue;
            }
            let levels: Option<Vec<String>> = rest.split('.').map(mutf7::decode).collect();
            if let Some(levels) = levels {
                names.push(levels.join("/"));
            }
        }
        names.sort();
        names.insert(0, "INBOX".into());
        Ok(names)
    }

    /// Makes folder `name` (its Maildir and `maildirfolder` marker),
    /// durably.
    pub fn create(&self, name: &str) -> Result<(), FolderError> {
        if is_inbox(name) {
            return Err(FolderError::Exists(name.to_owned()));
        }
        let dir = self.folder_dir(name)?;
        if dir.exists() {
            return Err(FolderError::Exists(name.to_owned()));
        }
        fs::create_dir_all(&self.root)?;
        let tmp = self
            .root
            .join(format!(".tmp-create.{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(tmp.join(sub))?;
        }
        fs::File::create(tmp.join("maildirfolder"))?;
        sync(&tmp)?;
        // Appears whole or not at all.
        fs::rename(&tmp, &dir)?;
        sync(&self.root)?;
        self.changed(Ok(()))
    }

    /// Removes folder `name` and its messages (not its sub-folders, which
    /// are folders of their own, RFC 9051 §6.3.5), durably.
    pub fn delete(&self, name: &str) -> Result<(), FolderError> {
        if is_inbox(name) {
            return Err(FolderError::Inbox);
        }
        let dir = self.folder_dir(name)?;
        if !dir.is_dir() {
            return Err(FolderError::NotFound(name.to_owned()));
        }
        // Renamed out of sight first, so no reader sees half a folder.
        let doomed = self
            .root
            .join(format!(".tmp-delete.{}", std::process::id()));
        fs::rename(&dir, &doomed)?;
        sync(&self.root)?;
        fs::remove_dir_all(&doomed)?;
        self.changed(Ok(()))
    }

    /// Renames folder `from` to `to` with its sub-folders (RFC 9051
    /// §6.3.6), durably. (Renaming INBOX, which moves its messages, is
    /// left to the protocol layer.)
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FolderError> {
        if is_inbox(from) || is_inbox(to) {
            return Err(FolderError::BadName(
                if is_inbox(from) { from } else { to }.to_owned(),
            ));
        }
        let src = Self::disk_name(from)?;
        let dst = Self::disk_name(to)?;
        if !self.root.join(&src).is_dir() {
            return Err(FolderError::NotFound(from.to_owned()));
        }
        if self.root.join(&dst).exists() {
            return Err(FolderError::Exists(to.to_owned()));
        }
        let children = format!("{src}.");
        let mut moves = vec![(src.clone(), dst.clone())];
        for ent in fs::read_dir(&self.root)?.flatten() {
            if let Some(f) = ent.file_name().to_str() {
                if let Some(rest) = f.strip_prefix(&children) {
                    moves.push((f.to_owned(), format!("{dst}.{rest}")));
                }
            }
        }
        for (a, b) in moves {
            fs::rename(self.root.join(a), self.root.join(b))?;
        }
        sync(&self.root)?;
        self.changed(Ok(()))
    }

    /// The subscribed folder names.
    pub fn subscriptions(&self) -> io::Result<Vec<String>> {
        let text = match fs::read_to_string(self.root.join(SUBSCRIPTIONS)) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut lines = text.lines();
        let mut names = Vec::new();
        let v2 = text.starts_with("V\t");
        if v2 {
            // "V\t2" and the blank line after it.
            lines.next();
            lines.next();
        }
        for l in lines.filter(|l| !l.is_empty()) {
            // Version 2 separates levels with a tab; the old format had the
            // on-disk separator.
            let levels: Vec<&str> = if v2 {
                l.split('\t').collect()
            } else {
                l.split('.').collect()
            };
            let decoded: Option<Vec<String>> = levels.into_iter().map(mutf7::decode).collect();
            if let Some(d) = decoded {
                names.push(d.join("/"));
            }
        }
        Ok(names)
    }

    /// Subscribes to `name` (RFC 9051 §6.3.7; the folder need not exist).
    pub fn subscribe(&self, name: &str) -> Result<(), FolderError> {
        Self::disk_name(if is_inbox(name) { "INBOX" } else { name })?;
        let mut names = self.subscriptions()?;
        let name = if is_inbox(name) { "INBOX" } else { name };
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
            self.write_subscriptions(&names)?;
            return self.changed(Ok(()));
        }
        Ok(())
    }

    /// Unsubscribes from `name`.
    pub fn unsubscribe(&self, name: &str) -> Result<(), FolderError> {
        let mut names = self.subscriptions()?;
        let before = names.len();
        names.retain(|n| n != name && !(is_inbox(n) && is_inbox(name)));
        if names.len() == before {
            return Err(FolderError::NotFound(name.to_owned()));
        }
        self.write_subscriptions(&names)?;
        self.changed(Ok(()))
    }

    fn write_subscriptions(&self, names: &[String]) -> io::Result<()> {
        let mut text = String::from("V\t2\n\n");
        for n in names {
            let levels: Vec<String> = n.split('/').map(mutf7::encode).collect();
            text.push_str(&levels.join("\t"));
            text.push('\n');
        }
        fs::create_dir_all(&self.root)?;
        let tmp = self
            .root
            .join(format!(".subscriptions.{}", std::process::id()));
        fs::write(&tmp, text)?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, self.root.join(SUBSCRIPTIONS))?;
        sync(&self.root)
    }
}

fn sync(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-mbox-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn folder_list_changes_are_published() {
        let r = root("feed");
        let feed = Feed::new();
        let rx = feed.subscribe(std::sync::Arc::new(|| {}));
        let m = Mailbox::new(&r).with_feed(feed);
        let told = Change::Folders { root: r.clone() };
        m.create("A").unwrap();
        m.rename("A", "B").unwrap();
        m.subscribe("B").unwrap();
        m.subscribe("B").unwrap();
        m.unsubscribe("B").unwrap();
        m.delete("B").unwrap();
        m.create("B/../x").unwrap_err();
        let got: Vec<Change> = rx.try_iter().collect();
        assert_eq!(got, vec![told; 5]);
    }

    #[test]
    fn create_list_rename_delete_with_non_ascii_names() {
        let r = root("ops");
        let m = Mailbox::new(&r);
        m.create("Foo/Bär").unwrap();
        m.create("Sent").unwrap();
        assert!(r.join(".Foo.B&AOQ-r/maildirfolder").exists());
        assert_eq!(m.list().unwrap(), ["INBOX", "Foo/Bär", "Sent"]);
        assert!(matches!(
            m.create("sent").map_err(|e| e.to_string()),
            Ok(())
        ));
        assert!(matches!(m.create("Sent"), Err(FolderError::Exists(_))));
        assert!(matches!(m.create("a.b"), Err(FolderError::BadName(_))));
        assert!(matches!(m.create("a//b"), Err(FolderError::BadName(_))));
        assert!(matches!(m.create("../x"), Err(FolderError::BadName(_))));
        m.rename("Foo", "Old").unwrap_err();
        m.create("Foo").unwrap();
        m.rename("Foo", "Old").unwrap();
        assert_eq!(
            m.list().unwrap(),
            ["INBOX", "Old", "Old/Bär", "Sent", "sent"]
        );
        m.delete("Old").unwrap();
        assert_eq!(m.list().unwrap(), ["INBOX", "Old/Bär", "Sent", "sent"]);
        assert!(matches!(m.delete("inbox"), Err(FolderError::Inbox)));
        let _ = fs::remove_dir_all(&r);
    }

    #[test]
    fn subscriptions_in_dovecots_format() {
        let r = root("subs");
        let m = Mailbox::new(&r);
        m.subscribe("inbox").unwrap();
        m.subscribe("Foo/Bär").unwrap();
        m.subscribe("Foo/Bär").unwrap();
        // What Dovecot 2.3 writes for the same subscriptions.
        assert_eq!(
            fs::read_to_string(r.join(SUBSCRIPTIONS)).unwrap(),
            "V\t2\n\nINBOX\nFoo\tB&AOQ-r\n"
        );
        assert_eq!(m.subscriptions().unwrap(), ["INBOX", "Foo/Bär"]);
        m.unsubscribe("INBOX").unwrap();
        assert!(m.unsubscribe("Nope").is_err());
        assert_eq!(m.subscriptions().unwrap(), ["Foo/Bär"]);
        let _ = fs::remove_dir_all(&r);
    }
}

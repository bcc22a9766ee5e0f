//! Opened folders kept between requests, so that a protocol serving many
//! requests on one folder (an IMAP client fetching a large mailbox in
//! batches, a hundred clients with the same INBOX selected) does not read
//! and stat every message file for each.
//!
//! A folder is reused as it is only when nothing in it can have changed:
//! the modification times (and sizes, inodes) of `new/`, `cur/`,
//! `dovecot-uidlist` and `dovecot-keywords` are what they were when it
//! was read, and that moment was well after the last of them, so a
//! change within one tick of the file system's clock cannot hide behind
//! an equal time (the rule Dovecot's Maildir code follows too): [`SETTLE`]
//! after it where times have whole seconds only, [`SETTLE_FINE`] where
//! they carry nanoseconds (ext4, XFS, Btrfs and tmpfs stamp with the
//! kernel's clock tick, a few milliseconds). Otherwise the folder is read again with the cached one as a
//! hint ([`Folder::open_with`]): one directory read, a stat only for new
//! files.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::folder::Folder;
use super::{keywords, uidlist};

/// How long after the last change a folder's times are trusted, on a
/// file system whose times are whole seconds.
const SETTLE: Duration = Duration::from_secs(2);

/// The same where the times carry nanoseconds.
const SETTLE_FINE: Duration = Duration::from_millis(100);

/// What identifies one state of a file or directory.
type Stamp = Option<(i64, i64, u64, u64)>;

/// The four stamps of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamps([Stamp; 4]);

impl Stamps {
    fn of(dir: &Path) -> Stamps {
        let one = |p: PathBuf| -> Stamp {
            fs::metadata(p)
                .ok()
                .map(|m| (m.mtime(), m.mtime_nsec(), m.size(), m.ino()))
        };
        Stamps([
            one(dir.join("new")),
            one(dir.join("cur")),
            one(dir.join(uidlist::FILE_NAME)),
            one(dir.join(keywords::FILE_NAME)),
        ])
    }

    /// Whether every time is long enough before `at` ([`SETTLE`], or
    /// [`SETTLE_FINE`] when every time has a fraction of a second).
    fn settled(&self, at: SystemTime) -> bool {
        let Ok(at) = at.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let fine = self.0.iter().flatten().all(|&(_, ns, _, _)| ns != 0);
        let limit = at.saturating_sub(if fine { SETTLE_FINE } else { SETTLE });
        self.0.iter().flatten().all(|&(s, ns, _, _)| {
            let (Ok(s), Ok(ns)) = (u64::try_from(s), u32::try_from(ns)) else {
                return false;
            };
            Duration::new(s, ns.min(999_999_999)) < limit
        })
    }
}

struct Entry {
    stamps: Stamps,
    /// When the stamps were taken (before the folder was read).
    at: SystemTime,
    folder: Arc<Folder>,
    used: u64,
}

/// Opened folders by directory, the least recently used dropped once
/// they hold more than a set number of messages in all.
pub struct FolderCache {
    inner: Mutex<Inner>,
    max_messages: usize,
}

impl std::fmt::Debug for FolderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderCache")
            .field("folders", &self.lock().entries.len())
            .finish()
    }
}

struct Inner {
    entries: HashMap<PathBuf, Entry>,
    clock: u64,
}

impl FolderCache {
    /// A cache holding at most about `max_messages` messages' records
    /// (about 150 bytes each).
    pub fn new(max_messages: usize) -> FolderCache {
        FolderCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                clock: 0,
            }),
            max_messages,
        }
    }

    /// The folder in `dir` as it is now, as [`Folder::open`] would read
    /// it (without a feed), to change.
    pub fn open(&self, dir: &Path) -> io::Result<Folder> {
        self.open_shared(dir).map(|f| (*f).clone())
    }

    /// [`FolderCache::open`] for reading only: the cached reading itself,
    /// shared with other readers.
    pub fn open_shared(&self, dir: &Path) -> io::Result<Arc<Folder>> {
        let at = SystemTime::now();
        let stamps = Stamps::of(dir);
        let hint = {
            let mut inner = self.lock();
            inner.clock += 1;
            let clock = inner.clock;
            match inner.entries.get_mut(dir) {
                Some(e) if e.stamps == stamps && e.stamps.settled(e.at) => {
                    e.used = clock;
                    return Ok(e.folder.clone());
                }
                Some(e) => Some(e.folder.clone()),
                None => None,
            }
        };
        let folder = Arc::new(Folder::open_with(dir, hint.as_deref())?);
        self.put(dir, stamps, at, folder.clone());
        Ok(folder)
    }

    fn put(&self, dir: &Path, stamps: Stamps, at: SystemTime, folder: Arc<Folder>) {
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        if folder.messages().len() > self.max_messages {
            inner.entries.remove(dir);
            return;
        }
        inner.entries.insert(
            dir.to_path_buf(),
            Entry {
                stamps,
                at,
                folder,
                used,
            },
        );
        let mut total: usize = inner
            .entries
            .values()
            .map(|e| e.folder.messages().len())
            .sum();
        while total > self.max_messages {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                total -= e.folder.messages().len();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mk-fcache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        for s in ["tmp", "new", "cur"] {
            fs::create_dir_all(d.join(s)).unwrap();
        }
        d
    }

    fn age(dir: &Path) {
        let old = fs::FileTimes::new().set_modified(SystemTime::now() - Duration::from_secs(60));
        for p in ["new", "cur", uidlist::FILE_NAME] {
            if let Ok(f) = fs::File::open(dir.join(p)) {
                f.set_times(old).unwrap();
            }
        }
    }

    #[test]
    fn reuses_a_settled_folder_and_sees_every_change() {
        let d = maildir("reuse");
        fs::write(d.join("cur/1.a.host:2,"), "a").unwrap();
        fs::write(d.join("new/2.b.host"), "bb").unwrap();
        let cache = FolderCache::new(1000);
        let f = cache.open(&d).unwrap();
        assert_eq!(f.messages().len(), 2);
        age(&d);
        // Read again (the times changed), then reused: a file changed
        // behind the directory's back (which Maildir never does) shows
        // that the second open did not look.
        let f1 = cache.open(&d).unwrap();
        fs::write(d.join("new/2.b.host"), "changed").unwrap();
        age(&d);
        let f2 = cache.open(&d).unwrap();
        assert_eq!(f1.messages(), f2.messages());
        // A flag change (a rename in cur/) is seen.
        fs::rename(d.join("cur/1.a.host:2,"), d.join("cur/1.a.host:2,S")).unwrap();
        let f3 = cache.open(&d).unwrap();
        assert!(f3.messages()[0].flags.has('S'));
        // A new message within the same second as the last read is seen
        // (the times are not settled, so the folder is read again).
        fs::write(d.join("new/3.c.host"), "ccc").unwrap();
        let f4 = cache.open(&d).unwrap();
        assert_eq!(f4.messages().len(), 3);
        assert_eq!(f4.messages()[2].size, 3);
        // An expunge is seen.
        fs::remove_file(d.join("new/2.b.host")).unwrap();
        assert_eq!(cache.open(&d).unwrap().messages().len(), 2);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn bounded_by_messages() {
        let (a, b) = (maildir("bound-a"), maildir("bound-b"));
        for (d, n) in [(&a, 3), (&b, 3)] {
            for i in 0..n {
                fs::write(d.join(format!("new/{i}.x.host")), "x").unwrap();
            }
        }
        let cache = FolderCache::new(4);
        cache.open(&a).unwrap();
        cache.open(&b).unwrap();
        let inner = cache.lock();
        assert_eq!(inner.entries.len(), 1);
        assert!(inner.entries.contains_key(&b));
        drop(inner);
        let _ = fs::remove_dir_all(&a);
        let _ = fs::remove_dir_all(&b);
    }
}

//! Durable Maildir delivery (the cr.yp.to format; SPEC, "The mail store").
//!
//! A message is written to `tmp/`, its data synced, then linked into the
//! `new/` of every recipient mailbox, and each `new/` directory synced: only
//! then does the client get its 250. A reader never sees a partial file in
//! `new/` or `cur/`, and a crash loses nothing that was acknowledged.
//!
//! [`Maildir::deliver_batch`] is the group commit: every message of a batch
//! is written first, and one round of syncs then covers them all, so intake
//! is not capped at one disk flush per message.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// One message to store: its mailboxes, the trace fields to prepend, and
/// the message itself (LF line ends).
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// Mailbox names (see [`crate::store::mailbox_name`]); at least one.
    pub mailboxes: &'a [String],
    /// `Return-Path:` and `Received:` lines, LF-ended.
    pub header: &'a [u8],
    /// The message as received.
    pub body: &'a [u8],
}

/// Why a delivery failed.
#[derive(Debug)]
pub struct StoreError {
    /// What was being done.
    pub action: String,
    /// The I/O error.
    pub source: io::Error,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.source)
    }
}

impl std::error::Error for StoreError {}

fn err(action: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
    let action = action.into();
    move |source| StoreError { action, source }
}

/// Refuses a Maildir (`dir` or its `tmp/`, `new/`, `cur/`) that is a
/// symbolic link: following it would read or write outside the store.
/// Parts that do not exist yet are fine (they are made as directories).
pub fn no_links(dir: &Path) -> io::Result<()> {
    for p in [
        dir.to_path_buf(),
        dir.join("tmp"),
        dir.join("new"),
        dir.join("cur"),
    ] {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{} is a symbolic link; mailkit does not follow links out of the store (replace it with a directory)",
                        p.display()
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The message files of the Maildir `dir`: the entries of `new/` (marked
/// `true`) and then `cur/`, hidden names (leading `.`) left out, a
/// missing subdirectory read as empty. Callers check the file type as
/// they need it (a `DirEntry` knows it without another system call).
pub fn message_entries(dir: &Path) -> io::Result<Vec<(bool, fs::DirEntry)>> {
    let mut out = Vec::new();
    for (sub, in_new) in [("new", true), ("cur", false)] {
        let rd = match fs::read_dir(dir.join(sub)) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for ent in rd {
            let ent = ent?;
            if !ent.file_name().as_encoded_bytes().starts_with(b".") {
                out.push((in_new, ent));
            }
        }
    }
    Ok(out)
}

/// A store root holding one Maildir per mailbox.
#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    host: String,
    pid: u32,
    seq: u64,
    /// Mailboxes whose `tmp/new/cur` are known to exist durably.
    ready: HashSet<String>,
}

impl Maildir {
    /// Opens (creating) the store root. `host` goes into unique file names.
    pub fn open(root: &Path, host: &str) -> Result<Self, StoreError> {
        fs::create_dir_all(root).map_err(err(format!("create mail store {}", root.display())))?;
        // '/' and ':' cannot appear in a Maildir host part (cr.yp.to).
        let host = host.replace('/', "\\057").replace(':', "\\072");
        Ok(Maildir {
            root: root.to_path_buf(),
            host,
            pid: std::process::id(),
            seq: 0,
            ready: HashSet::new(),
        })
    }

    /// The store root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one mailbox.
    pub fn mailbox_path(&self, mailbox: &str) -> PathBuf {
        self.root.join(mailbox)
    }

    /// Creates `tmp/`, `new/` and `cur/` of a mailbox (durably) if needed.
    /// A mailbox directory or subdirectory that is a symbolic link is
    /// refused, on every delivery: mail never goes outside the store.
    pub fn ensure_mailbox(&mut self, mailbox: &str) -> Result<(), StoreError> {
        let dir = self.mailbox_path(mailbox);
        no_links(&dir).map_err(err(format!("deliver to {}", dir.display())))?;
        if self.ready.contains(mailbox) {
            return Ok(());
        }
        let existed =
            dir.join("new").is_dir() && dir.join("tmp").is_dir() && dir.join("cur").is_dir();
        if !existed {
            for sub in ["tmp", "new", "cur"] {
                let p = dir.join(sub);
                fs::create_dir_all(&p).map_err(err(format!("create {}", p.display())))?;
            }
            sync_dir(&dir)?;
            sync_dir(&self.root)?;
        }
        self.ready.insert(mailbox.to_string());
        Ok(())
    }

    fn unique_name(&mut self, size: usize, wire_size: usize) -> String {
        self.seq += 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        format!(
            "{}.M{}P{}Q{}.{},S={},W={}",
            now.as_secs(),
            now.subsec_micros(),
            self.pid,
            self.seq,
            self.host,
            size,
            wire_size
        )
    }

    /// Stores one message durably; see [`Maildir::deliver_batch`].
    pub fn deliver(&mut self, d: Delivery<'_>) -> Result<String, StoreError> {
        self.deliver_batch(&[d]).pop().unwrap_or_else(|| {
            Err(StoreError {
                action: "deliver".into(),
                source: io::Error::other("empty batch"),
            })
        })
    }

    /// Stores a batch of messages durably and returns, for each, its unique
    /// file name or why it failed: [`Maildir::stage_batch`] then
    /// [`Publisher::publish_batch`].
    pub fn deliver_batch(&mut self, batch: &[Delivery<'_>]) -> Vec<Result<String, StoreError>> {
        let staged = self.stage_batch(batch);
        self.publisher().publish_batch(batch, staged)
    }

    /// Step one of delivery: writes every message into `tmp/` of its first
    /// mailbox and makes the data durable, with one `fdatasync` for a single
    /// message or one `syncfs` for a batch (one journal commit for all).
    pub fn stage_batch(&mut self, batch: &[Delivery<'_>]) -> Vec<Result<Staged, StoreError>> {
        let staged: Vec<Result<(String, PathBuf, File), StoreError>> =
            batch.iter().map(|d| self.stage(d)).collect();
        let files: Vec<&File> = staged
            .iter()
            .filter_map(|s| s.as_ref().ok().map(|(_, _, f)| f))
            .collect();
        let synced = sync_files(&files);
        if staged.iter().any(Result::is_err) {
            // A mailbox may have been removed under us: check again next time.
            self.ready.clear();
        }
        staged
            .into_iter()
            .map(|s| {
                let (name, tmp, _file) = s?;
                if let Err(e) = &synced {
                    let _ = fs::remove_file(&tmp);
                    return Err(StoreError {
                        action: "sync message data".into(),
                        source: io::Error::new(e.kind(), e.to_string()),
                    });
                }
                Ok(Staged { name, tmp })
            })
            .collect()
    }

    /// The second step's worker, which can run on another thread so that
    /// one batch's directory sync overlaps the next batch's data sync.
    pub fn publisher(&self) -> Publisher {
        Publisher {
            root: self.root.clone(),
        }
    }

    /// Writes one message into `tmp/` of its first mailbox, without syncing:
    /// the caller syncs (see [`crate::store::writer`]). Returns its unique
    /// name, its `tmp/` path and the open file.
    pub fn write_tmp(&mut self, d: &Delivery<'_>) -> Result<(String, PathBuf, File), StoreError> {
        let r = self.stage(d);
        if r.is_err() {
            self.ready.clear();
        }
        r
    }

    fn stage(&mut self, d: &Delivery<'_>) -> Result<(String, PathBuf, File), StoreError> {
        let first = d.mailboxes.first().ok_or_else(|| StoreError {
            action: "deliver".into(),
            source: io::Error::other("no mailbox"),
        })?;
        for m in d.mailboxes {
            self.ensure_mailbox(m)?;
        }
        let size = d.header.len() + d.body.len();
        let lines = memchr::memchr_iter(b'\n', d.header).count()
            + memchr::memchr_iter(b'\n', d.body).count();
        let name = self.unique_name(size, size + lines);
        let tmp = self.mailbox_path(first).join("tmp").join(&name);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(err(format!("create {}", tmp.display())))?;
        let written = f.write_all(d.header).and_then(|()| f.write_all(d.body));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(StoreError {
                action: format!("write {}", tmp.display()),
                source: e,
            });
        }
        Ok((name, tmp, f))
    }
}

/// A message whose data is durable in `tmp/`, not yet visible.
#[derive(Debug)]
pub struct Staged {
    name: String,
    tmp: PathBuf,
}

/// Step two of delivery: links staged messages into `new/` of every
/// mailbox and syncs each directory once per batch.
#[derive(Debug, Clone)]
pub struct Publisher {
    root: PathBuf,
}

impl Publisher {
    fn mailbox_path(&self, mailbox: &str) -> PathBuf {
        self.root.join(mailbox)
    }

    /// Publishes staged messages (`batch[i]` goes with `staged[i]`) and
    /// returns each one's unique name or why it failed.
    pub fn publish_batch(
        &self,
        batch: &[Delivery<'_>],
        staged: Vec<Result<Staged, StoreError>>,
    ) -> Vec<Result<String, StoreError>> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        let mut results: Vec<Result<String, StoreError>> = batch
            .iter()
            .zip(staged)
            .map(|(d, s)| {
                let Staged { name, tmp } = s?;
                self.link(d, &name, &tmp, &mut dirs).map(|()| name)
            })
            .collect();
        // Make the directory entries durable, once per directory.
        for dir in &dirs {
            if let Err(e) = sync_dir(dir) {
                for r in results.iter_mut().filter(|r| r.is_ok()) {
                    *r = Err(StoreError {
                        action: e.action.clone(),
                        source: io::Error::new(e.source.kind(), e.source.to_string()),
                    });
                }
                break;
            }
        }
        results
    }

    /// Links one message whose data is durable into `new/` of each of its
    /// mailboxes and removes its `tmp/` name; adds each `new/` directory to
    /// `dirs` (to be synced by the caller).
    pub fn link(
        &self,
        d: &Delivery<'_>,
        name: &str,
        tmp: &Path,
        dirs: &mut Vec<PathBuf>,
    ) -> Result<(), StoreError> {
        let r = self.publish(d, name, tmp, dirs);
        if !matches!(r, Ok(true)) {
            let _ = fs::remove_file(tmp);
        }
        r.map(|_| ())
    }

    fn publish(
        &self,
        d: &Delivery<'_>,
        name: &str,
        tmp: &Path,
        dirs: &mut Vec<PathBuf>,
    ) -> Result<bool, StoreError> {
        // Hard links into every mailbox but the last, which gets the file
        // itself by rename; returns whether the tmp name is gone.
        let mut renamed = false;
        for (i, m) in d.mailboxes.iter().enumerate() {
            let new_dir = self.mailbox_path(m).join("new");
            let target = new_dir.join(name);
            let last = i + 1 == d.mailboxes.len();
            let moved = if last {
                fs::rename(tmp, &target)
            } else {
                fs::hard_link(tmp, &target)
            };
            renamed = last && moved.is_ok();
            if let Err(e) = moved {
                // A file system without hard links: write this copy on its own.
                if e.kind() == io::ErrorKind::AlreadyExists {
                    return Err(StoreError {
                        action: format!("link {}", target.display()),
                        source: e,
                    });
                }
                self.copy_into(m, name, d)?;
            }
            if !dirs.contains(&new_dir) {
                dirs.push(new_dir);
            }
        }
        Ok(renamed)
    }

    fn copy_into(&self, mailbox: &str, name: &str, d: &Delivery<'_>) -> Result<(), StoreError> {
        let dir = self.mailbox_path(mailbox);
        let tmp = dir.join("tmp").join(name);
        let target = dir.join("new").join(name);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(err(format!("create {}", tmp.display())))?;
        f.write_all(d.header)
            .and_then(|()| f.write_all(d.body))
            .and_then(|()| f.sync_data())
            .map_err(err(format!("write {}", tmp.display())))?;
        fs::rename(&tmp, &target).map_err(err(format!("rename into {}", target.display())))
    }
}

/// fsyncs a directory so the entries made in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(err(format!("sync directory {}", dir.display())))
}

/// Makes the data of `files` durable: one `fdatasync` for a single file,
/// one `syncfs` for several (which also covers every directory entry made
/// before it on the same file system).
pub fn sync_files(files: &[&File]) -> io::Result<()> {
    match files {
        [] => Ok(()),
        [one] => one.sync_data(),
        [first, ..] => syncfs(first),
    }
}

/// Flushes the whole file system holding `f` (Linux `syncfs(2)`; elsewhere
/// `fsync` of `f` alone).
#[cfg(target_os = "linux")]
pub fn syncfs(f: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs only reads the descriptor, which `f` keeps open.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Flushes `f` (no `syncfs` on this system).
#[cfg(not(target_os = "linux"))]
pub fn syncfs(f: &File) -> io::Result<()> {
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-test-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn delivers_to_every_mailbox_and_leaves_tmp_empty() {
        let root = tempdir("deliver");
        let mut md = Maildir::open(&root, "host/with:odd").unwrap();
        let boxes = vec![
            "bob@hamburger.edu".to_string(),
            "carol@hamburger.edu".to_string(),
        ];
        let name = md
            .deliver(Delivery {
                mailboxes: &boxes,
                header: b"Return-Path: <a@b>\n",
                body: b"Subject: x\n\nhi\n",
            })
            .unwrap();
        assert!(name.contains("host\\057with\\072odd,S=34,W=38"), "{name}");
        for b in &boxes {
            let f = files(&root.join(b).join("new"));
            assert_eq!(f.len(), 1);
            assert_eq!(
                fs::read(&f[0]).unwrap(),
                b"Return-Path: <a@b>\nSubject: x\n\nhi\n"
            );
            assert!(files(&root.join(b).join("tmp")).is_empty());
            assert!(root.join(b).join("cur").is_dir());
        }
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_mailbox_removed_under_us_is_made_again() {
        let root = tempdir("removed");
        let mut md = Maildir::open(&root, "h").unwrap();
        let a = vec!["a@x".to_string()];
        md.deliver(Delivery {
            mailboxes: &a,
            header: b"",
            body: b"one\n",
        })
        .unwrap();
        fs::remove_dir_all(root.join("a@x")).unwrap();
        assert!(md
            .deliver(Delivery {
                mailboxes: &a,
                header: b"",
                body: b"two\n"
            })
            .is_err());
        md.deliver(Delivery {
            mailboxes: &a,
            header: b"",
            body: b"three\n",
        })
        .unwrap();
        assert_eq!(files(&root.join("a@x").join("new")).len(), 1);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn batch_gives_one_result_each() {
        let root = tempdir("batch");
        let mut md = Maildir::open(&root, "h").unwrap();
        let a = vec!["a@x".to_string()];
        let bodies: Vec<Vec<u8>> = (0..10).map(|i| format!("m{i}\n").into_bytes()).collect();
        let batch: Vec<Delivery> = bodies
            .iter()
            .map(|b| Delivery {
                mailboxes: &a,
                header: b"",
                body: b,
            })
            .collect();
        let r = md.deliver_batch(&batch);
        assert_eq!(r.len(), 10);
        assert!(r.iter().all(|x| x.is_ok()));
        assert_eq!(files(&root.join("a@x").join("new")).len(), 10);
        let _ = fs::remove_dir_all(&root);
    }
}

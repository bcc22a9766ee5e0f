//! Dot-locking as Dovecot does it for `dovecot-uidlist` (and as mutt and
//! procmail do for mbox): a lock file created with `O_EXCL` beside the
//! file it guards, removed when done. It works across processes and
//! programs that know nothing of each other but the name, which is why
//! the shared Maildir files use it rather than `flock`.
//!
//! A lock file older than [`STALE_AFTER`] whose holder did not touch it is
//! taken to be left by a crash and replaced (Dovecot waits 2 minutes for
//! `dovecot-uidlist.lock`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A lock file not modified for this long is stale.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// A held dotlock; dropping it removes the lock file.
#[derive(Debug)]
pub struct Dotlock {
    path: PathBuf,
}

impl Dotlock {
    /// Takes `lock` (e.g. `DIR/dovecot-uidlist.lock`), waiting up to
    /// `wait` for another holder to let go. `WouldBlock` when it is still
    /// held after that.
    pub fn acquire(lock: &Path, wait: Duration) -> io::Result<Dotlock> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(1);
        loop {
            match OpenOptions::new().write(true).create_new(true).open(lock) {
                Ok(mut f) => {
                    // Who holds it, for a person looking at a stuck lock.
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Dotlock {
                        path: lock.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if is_stale(lock) {
                        // Left by a crash: take it over. Another process
                        // may race us to it; O_EXCL decides who wins.
                        let _ = fs::remove_file(lock);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!("{} is held by another process", lock.display()),
                        ));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `content` into the lock file, syncs it and renames it over
    /// `target` (Dovecot's `file_dotlock_replace`): the new file appears
    /// whole, and the same rename releases the lock. The lock path is not
    /// removed afterwards: it may already be another process's new lock.
    pub fn replace(self, content: &[u8], target: &Path) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.path)?;
        f.write_all(content)?;
        f.sync_data()?;
        fs::rename(&self.path, target)?;
        // Renamed away: nothing of ours is left at the lock path.
        std::mem::forget(self);
        if let Some(dir) = target.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Keeps a long holder's lock from looking stale (Dovecot's
    /// `maildir_uidlist_lock_touch`).
    pub fn touch(&self) -> io::Result<()> {
        File::options()
            .write(true)
            .open(&self.path)?
            .set_modified(SystemTime::now())
    }
}

impl Drop for Dotlock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn is_stale(lock: &Path) -> bool {
    fs::metadata(lock)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age > STALE_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-dotlock-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let d = tmp("hold");
        let lock = d.join("dovecot-uidlist.lock");
        let first = Dotlock::acquire(&lock, Duration::ZERO).unwrap();
        let e = Dotlock::acquire(&lock, Duration::from_millis(20)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        // A waiter gets it once the holder lets go.
        let waiter = std::thread::spawn({
            let lock = lock.clone();
            move || Dotlock::acquire(&lock, Duration::from_secs(5)).map(|_| ())
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        waiter.join().unwrap().unwrap();
        assert!(!lock.exists());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_stale_lock_is_taken_over() {
        let d = tmp("stale");
        let lock = d.join("dovecot-uidlist.lock");
        fs::write(&lock, "12345\n").unwrap();
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(5);
        File::options()
            .write(true)
            .open(&lock)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let held = Dotlock::acquire(&lock, Duration::ZERO).unwrap();
        held.touch().unwrap();
        assert!(!is_stale(&lock));
        drop(held);
        let _ = fs::remove_dir_all(&d);
    }
}

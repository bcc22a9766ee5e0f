//! Retention for a long-running throwaway server (Mailpit's
//! `--max-messages` and `--max-age`): each mailbox's INBOX keeps at most N
//! messages (the oldest, by time received, removed first) and none older
//! than an age. Removal is IMAP's expunge, through the store's [`Folder`],
//! so every protocol's view and the web page follow. A thread looks at a
//! mailbox after each delivery the change feed reports, and at every
//! mailbox once a minute (ages pass without deliveries, and another
//! process's deliveries are not on this process's feed).

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::store::feed::{Change, Feed};
use crate::store::folder::Folder;

/// What to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Most messages an INBOX keeps.
    pub max_messages: Option<usize>,
    /// Oldest message an INBOX keeps.
    pub max_age: Option<Duration>,
}

impl Policy {
    /// Whether the policy removes anything ever.
    pub fn is_off(&self) -> bool {
        self.max_messages.is_none() && self.max_age.is_none()
    }
}

/// How often every mailbox is looked at for messages past their age.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Applies `policy` to the Maildir `dir` at `now`: the UIDs removed.
pub fn prune(
    dir: &Path,
    policy: Policy,
    now: SystemTime,
    feed: Option<&Feed>,
) -> io::Result<usize> {
    let mut folder = Folder::open(dir)?;
    if let Some(f) = feed {
        folder = folder.with_feed(f.clone());
    }
    let mut by_age: Vec<(SystemTime, u32)> = folder
        .messages()
        .iter()
        .map(|m| (m.internal_date, m.uid))
        .collect();
    by_age.sort();
    let mut victims: HashSet<u32> = HashSet::new();
    if let Some(max) = policy.max_messages {
        let extra = by_age.len().saturating_sub(max);
        victims.extend(by_age.iter().take(extra).map(|(_, uid)| *uid));
    }
    if let Some(age) = policy.max_age {
        if let Some(cutoff) = now.checked_sub(age) {
            victims.extend(by_age.iter().filter(|(t, _)| *t < cutoff).map(|(_, u)| *u));
        }
    }
    if victims.is_empty() {
        return Ok(0);
    }
    let uids: Vec<u32> = victims.into_iter().collect();
    Ok(folder.expunge(&uids)?.len())
}

/// The INBOX Maildirs of the store at `root`.
fn mailboxes(root: &Path) -> Vec<(String, PathBuf)> {
    crate::store::mailboxes(root).unwrap_or_default()
}

/// Starts the retention thread over the store at `root`.
pub fn spawn(root: PathBuf, policy: Policy, feed: Feed) -> io::Result<()> {
    let rx = feed.subscribe(Arc::new(|| {}));
    std::thread::Builder::new()
        .name("mailkit-retention".into())
        .spawn(move || {
            let run =
                |name: &str, dir: &Path| match prune(dir, policy, SystemTime::now(), Some(&feed)) {
                    Ok(0) => {}
                    Ok(n) => eprintln!(
                        "mailkit: retention: removed {} from {name}",
                        crate::util::count(n, "old message")
                    ),
                    Err(e) => eprintln!("mailkit: retention: cannot prune {name}: {e}"),
                };
            for (name, dir) in mailboxes(&root) {
                run(&name, &dir);
            }
            let mut last_sweep = std::time::Instant::now();
            loop {
                let mut due: HashSet<String> = HashSet::new();
                match rx.recv_timeout(SWEEP_EVERY) {
                    Ok(Change::Delivered { mailbox, .. }) => {
                        due.insert(mailbox);
                    }
                    Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                while let Ok(c) = rx.try_recv() {
                    if let Change::Delivered { mailbox, .. } = c {
                        due.insert(mailbox);
                    }
                }
                if last_sweep.elapsed() >= SWEEP_EVERY {
                    last_sweep = std::time::Instant::now();
                    due.extend(mailboxes(&root).into_iter().map(|(n, _)| n));
                }
                for name in due {
                    if crate::store::mailbox_name(&name).as_deref() == Some(name.as_str()) {
                        run(&name, &root.join(&name));
                    }
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_go_first_and_old_ones_go() {
        let dir = std::env::temp_dir().join(format!("mailkit-retention-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for s in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(s)).unwrap();
        }
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for i in 0..5u64 {
            let p = dir.join("new").join(format!("{i}.M1P1.t"));
            std::fs::write(&p, format!("Subject: {i}\n\nx\n")).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(base + Duration::from_secs(i * 100))
                .unwrap();
        }
        let keep3 = Policy {
            max_messages: Some(3),
            max_age: None,
        };
        assert_eq!(prune(&dir, keep3, base, None).unwrap(), 2);
        let left: Vec<String> = Folder::open(&dir)
            .unwrap()
            .messages()
            .iter()
            .map(|m| m.base.clone())
            .collect();
        assert_eq!(left, ["2.M1P1.t", "3.M1P1.t", "4.M1P1.t"]);
        let young = Policy {
            max_messages: None,
            max_age: Some(Duration::from_secs(150)),
        };
        // At base+450 s, messages received before base+300 s are too old.
        assert_eq!(
            prune(&dir, young, base + Duration::from_secs(450), None).unwrap(),
            1
        );
        assert_eq!(Folder::open(&dir).unwrap().messages().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

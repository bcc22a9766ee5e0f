//! The index's thread: builds the index from the store at start (with a
//! progress bar on a terminal when the store is large), then keeps it
//! current. Changes come from the store's change feed (this process's
//! deliveries and changes at once, other processes' within the feed
//! watcher's interval); new mailboxes and folders are found by watching
//! the modification times of the store's root and each mailbox's
//! directory (a new subdirectory changes its parent's time).

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::events::Hub;
use super::index::{discover, FolderRef, Shared};
use crate::store::feed::{Change as FeedChange, Feed};

/// Stores with at least this many messages get a progress bar on a terminal.
const PROGRESS_FROM: u64 = 10_000;

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The times of the root and of each mailbox directory.
fn stamps(root: &Path) -> HashMap<PathBuf, Option<SystemTime>> {
    let mut out = HashMap::new();
    out.insert(root.to_path_buf(), mtime(root));
    if let Ok(entries) = std::fs::read_dir(root) {
        for ent in entries.flatten() {
            let p = ent.path();
            if ent.file_type().is_ok_and(|t| t.is_dir()) {
                out.insert(p.clone(), mtime(&p));
            }
        }
    }
    out
}

/// How many message files the folders hold (for the progress bar).
fn count_files(folders: &[FolderRef]) -> u64 {
    folders
        .iter()
        .flat_map(|(_, _, d)| [d.join("new"), d.join("cur")])
        .filter_map(|d| std::fs::read_dir(d).ok())
        .map(|e| e.count() as u64)
        .sum()
}

/// Builds the index, then follows the store until the feed ends.
/// Subscribes to the feed before the build, so nothing delivered during
/// it is missed.
pub fn spawn(shared: Arc<Shared>, feed: Feed, hub: Hub, every: Duration) -> std::io::Result<()> {
    let rx = feed.subscribe(Arc::new(|| {}));
    std::thread::Builder::new()
        .name("mailkit-http-index".into())
        .spawn(move || {
            let root = shared.root.clone();
            let started = Instant::now();
            let folders = discover(&root).unwrap_or_default();
            let total = if std::io::stderr().is_terminal() {
                count_files(&folders)
            } else {
                0
            };
            let bar = (total >= PROGRESS_FROM).then(|| {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "mailkit: http: indexing {bar:40} {pos}/{len} messages ({eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
            let tick = || {
                if let Some(b) = &bar {
                    b.inc(1);
                }
            };
            let mut stamp = stamps(&root);
            for (mailbox, folder, dir) in &folders {
                feed.watch(dir);
                shared.rescan(mailbox, folder, dir, &tick);
            }
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let n = shared.read().len();
            // Said for a store big enough for the build to take a moment
            // (a small one is ready before anyone could read the line).
            if n as u64 >= PROGRESS_FROM || started.elapsed() >= Duration::from_secs(1) {
                eprintln!(
                    "mailkit: http: indexed {} in {} folders in {:.1} s",
                    crate::util::count(n, "message"),
                    folders.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            shared.ready.store(true, Ordering::Release);
            let mut last_look = Instant::now();
            loop {
                let mut dirs: HashSet<PathBuf> = HashSet::new();
                let mut delivered: Vec<(String, String)> = Vec::new();
                let mut look = false;
                let mut take = |c: FeedChange, look: &mut bool| match c {
                    FeedChange::Folder { dir } => {
                        dirs.insert(dir);
                    }
                    FeedChange::Delivered { mailbox, file } => delivered.push((mailbox, file)),
                    FeedChange::Folders { .. } => *look = true,
                };
                match rx.recv_timeout(every) {
                    Ok(c) => take(c, &mut look),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                while let Ok(c) = rx.try_recv() {
                    take(c, &mut look);
                }
                // This process's deliveries: each file indexed at once; a
                // mailbox not indexed yet is found by a look at the store.
                for (mailbox, file) in delivered {
                    match shared.delivered(&mailbox, &file) {
                        Some(changes) => hub.publish(&shared, &changes),
                        None => {
                            dirs.insert(root.join(&mailbox));
                            look = true;
                        }
                    }
                }
                let mut known: HashMap<PathBuf, (String, String)> = shared
                    .known_folders()
                    .into_iter()
                    .map(|(m, f, d)| (d, (m, f)))
                    .collect();
                if look || last_look.elapsed() >= every {
                    last_look = Instant::now();
                    let now = stamps(&root);
                    if look || now != stamp {
                        stamp = now;
                        let found = discover(&root).unwrap_or_default();
                        let found_dirs: HashSet<&PathBuf> =
                            found.iter().map(|(_, _, d)| d).collect();
                        for (dir, _) in known.iter() {
                            if !found_dirs.contains(dir) {
                                feed.unwatch(dir);
                                dirs.insert(dir.clone());
                            }
                        }
                        for (m, f, d) in &found {
                            if !known.contains_key(d) {
                                feed.watch(d);
                                dirs.insert(d.clone());
                                known.insert(d.clone(), (m.clone(), f.clone()));
                            }
                        }
                    }
                }
                for dir in dirs {
                    let Some((mailbox, folder)) = known.get(&dir) else {
                        continue;
                    };
                    let changes = shared.rescan(mailbox, folder, &dir, &|| {});
                    hub.publish(&shared, &changes);
                }
            }
        })?;
    Ok(())
}

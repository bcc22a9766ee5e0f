//! The writer thread: durable Maildir delivery off the event loop.
//!
//! The loop must never wait for a disk flush, so deliveries go over a
//! channel to one thread that stores them in batches (group commit: while
//! one round is being synced the next batch gathers). Each message needs
//! two ordered syncs, its data before it becomes visible in `new/`, and
//! its directory entry before the 250; the thread merges one batch's
//! second sync with the next batch's first, so the disk sees
//! about one flush per round.
//!
//! Measured and left out (BENCHMARKS.md): waiting a moment for more
//! messages before a round (slower: the wait adds to every sender's
//! cycle); several writer threads, and a second thread overlapping the two
//! syncs (no gain or slower on this disk: flushes contend).

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::feed::{Change, Feed};
use super::maildir::{sync_dir, sync_files, syncfs, Delivery, Maildir, Publisher, StoreError};

/// Most messages stored in one batch.
pub const MAX_BATCH: usize = 256;

/// Called with the outcome of one job: the message's file name, or what
/// failed.
pub type Done = Box<dyn FnOnce(Result<String, StoreError>) + Send>;

/// One message to store and what to do when it is durable.
pub struct WriteJob {
    /// Mailbox names.
    pub mailboxes: Vec<String>,
    /// Trace fields to prepend.
    pub header: Vec<u8>,
    /// The message.
    pub body: Vec<u8>,
    /// Receives the outcome, on the writer thread.
    pub done: Done,
}

impl WriteJob {
    fn delivery(&self) -> Delivery<'_> {
        Delivery {
            mailboxes: &self.mailboxes,
            header: &self.header,
            body: &self.body,
        }
    }
}

/// Handle to the writer thread.
pub struct Writer {
    tx: Option<mpsc::Sender<WriteJob>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread over a store.
    pub fn spawn(maildir: Maildir) -> std::io::Result<Writer> {
        Writer::spawn_with_feed(maildir, None)
    }

    /// Starts the writer thread over a store; each message, once durable,
    /// is published on `feed` ([`Change::Delivered`], one per mailbox).
    pub fn spawn_with_feed(mut maildir: Maildir, feed: Option<Feed>) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<WriteJob>();
        let thread = std::thread::Builder::new()
            .name("mailkit-writer".into())
            .spawn(move || run(&mut maildir, &rx, feed.as_ref()))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues a job. If the thread is gone the job fails at once.
    pub fn submit(&self, job: WriteJob) {
        let Some(tx) = &self.tx else {
            (job.done)(Err(stopped()));
            return;
        };
        if let Err(mpsc::SendError(job)) = tx.send(job) {
            (job.done)(Err(stopped()));
        }
    }

    /// Stops the thread after everything queued is stored.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The error of a job submitted after the writer stopped.
fn stopped() -> StoreError {
    StoreError {
        action: "store the message".into(),
        source: io::Error::other("the store writer has stopped"),
    }
}

/// A batch whose data is durable in `tmp/`, waiting to be linked into `new/`.
type StagedBatch = (Vec<WriteJob>, Vec<Result<(String, PathBuf), StoreError>>);

/// The writer loop. Each round writes the new batch into `tmp/`, links the
/// previous round's batch (whose data is already durable) into `new/`, and
/// then one `syncfs` makes both durable: the new data and the previous
/// directory entries. The previous batch is answered. So every message
/// still gets its two ordered syncs (data before it is visible, the entry
/// before the 250) but the disk sees one flush per round, not two. When no
/// new batch comes, the waiting one is published on its own (link, sync
/// the directories). Where `syncfs` is missing, rounds are not merged.
fn run(md: &mut Maildir, rx: &mpsc::Receiver<WriteJob>, feed: Option<&Feed>) {
    let publisher = md.publisher();
    let merge = cfg!(target_os = "linux");
    let mut waiting: Option<StagedBatch> = None;
    loop {
        let jobs = if waiting.is_some() && merge {
            let mut jobs = Vec::new();
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            jobs
        } else if let Some(w) = waiting.take() {
            publish_alone(&publisher, w, feed);
            continue;
        } else {
            match rx.recv() {
                Ok(first) => gather(first, rx),
                Err(_) => return,
            }
        };
        if jobs.is_empty() {
            if let Some(w) = waiting.take() {
                publish_alone(&publisher, w, feed);
            }
            continue;
        }
        // 1. The new batch into tmp/.
        let written: Vec<Result<(String, PathBuf, File), StoreError>> =
            jobs.iter().map(|j| md.write_tmp(&j.delivery())).collect();
        // 2. The waiting batch into new/.
        let mut dirs = Vec::new();
        let linked = waiting.take().map(|(wjobs, staged)| {
            let results = link_batch(&publisher, &wjobs, staged, &mut dirs);
            (wjobs, results)
        });
        // 3. One sync for both.
        let files: Vec<&File> = written
            .iter()
            .filter_map(|w| w.as_ref().ok().map(|(_, _, f)| f))
            .collect();
        let synced = match (&linked, files.first()) {
            (Some(_), Some(f)) => syncfs(f),
            // Every new message failed: the waiting batch still needs its
            // directories synced.
            (Some(_), None) => dirs
                .iter()
                .try_for_each(|d| sync_dir(d).map_err(|e| e.source)),
            (None, _) => sync_files(&files),
        };
        // 4. Answer the batch that is now durable and visible.
        if let Some((wjobs, results)) = linked {
            answer(wjobs, results, &synced, feed);
        }
        // 5. The new batch waits for the next round.
        let staged = written
            .into_iter()
            .map(|w| {
                let (name, tmp, _file) = w?;
                match &synced {
                    Ok(()) => Ok((name, tmp)),
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(StoreError {
                            action: "sync message data".into(),
                            source: io::Error::new(e.kind(), e.to_string()),
                        })
                    }
                }
            })
            .collect();
        waiting = Some((jobs, staged));
    }
}

/// Links each staged message of a batch into `new/`; the directories to
/// sync are added to `dirs`.
fn link_batch(
    publisher: &Publisher,
    jobs: &[WriteJob],
    staged: Vec<Result<(String, PathBuf), StoreError>>,
    dirs: &mut Vec<PathBuf>,
) -> Vec<Result<String, StoreError>> {
    jobs.iter()
        .zip(staged)
        .map(|(j, s)| {
            let (name, tmp) = s?;
            publisher
                .link(&j.delivery(), &name, &tmp, dirs)
                .map(|()| name)
        })
        .collect()
}

/// Links a waiting batch into `new/` and syncs its directories.
fn publish_alone(publisher: &Publisher, (jobs, staged): StagedBatch, feed: Option<&Feed>) {
    let mut dirs = Vec::new();
    let results = link_batch(publisher, &jobs, staged, &mut dirs);
    let synced = dirs
        .iter()
        .try_for_each(|d| sync_dir(d).map_err(|e| e.source));
    answer(jobs, results, &synced, feed);
}

fn answer(
    jobs: Vec<WriteJob>,
    results: Vec<Result<String, StoreError>>,
    synced: &io::Result<()>,
    feed: Option<&Feed>,
) {
    for (job, r) in jobs.into_iter().zip(results) {
        let r = match (r, synced) {
            (Ok(name), Ok(())) => Ok(name),
            (Ok(_), Err(e)) => Err(StoreError {
                action: "sync directory".into(),
                source: io::Error::new(e.kind(), e.to_string()),
            }),
            (Err(e), _) => Err(e),
        };
        if let (Some(feed), Ok(file)) = (feed, &r) {
            for mailbox in &job.mailboxes {
                feed.publish(Change::Delivered {
                    mailbox: mailbox.clone(),
                    file: file.clone(),
                });
            }
        }
        (job.done)(r);
    }
}

/// Takes everything queued now, up to [`MAX_BATCH`].
fn gather(first: WriteJob, rx: &mpsc::Receiver<WriteJob>) -> Vec<WriteJob> {
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    jobs
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn every_job_is_answered_and_stored() {
        let root = std::env::temp_dir().join(format!("mailkit-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let feed = Feed::new();
        let news = feed.subscribe(Arc::new(|| {}));
        let writer =
            Writer::spawn_with_feed(Maildir::open(&root, "h").unwrap(), Some(feed)).unwrap();
        let results = Arc::new(Mutex::new(Vec::new()));
        for i in 0..500 {
            let results = results.clone();
            writer.submit(WriteJob {
                mailboxes: vec![format!("u{}@x", i % 3)],
                header: b"Return-Path: <>\n".to_vec(),
                body: format!("Subject: {i}\n\nbody\n").into_bytes(),
                done: Box::new(move |r| results.lock().unwrap().push(r)),
            });
        }
        writer.finish();
        let results = results.lock().unwrap();
        assert_eq!(results.len(), 500);
        assert!(results.iter().all(Result::is_ok));
        let stored: usize = (0..3)
            .map(|i| {
                std::fs::read_dir(root.join(format!("u{i}@x/new")))
                    .unwrap()
                    .count()
            })
            .sum();
        assert_eq!(stored, 500);
        // Each durable message was published, with the file it is in.
        let published: Vec<Change> = news.try_iter().collect();
        assert_eq!(published.len(), 500);
        let Change::Delivered { mailbox, file } = &published[0] else {
            panic!("{:?}", published[0]);
        };
        assert!(root.join(mailbox).join("new").join(file).exists());
        assert_eq!(std::fs::read_dir(root.join("u0@x/tmp")).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&root);
    }
}

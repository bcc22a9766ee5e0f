//! The spool worker: the one thread that writes queue files. New messages
//! and state saves are group-committed in pipelined rounds (one flush a
//! round, as the Maildir writer does), so relayed intake is not capped at
//! one flush a message and the loop never waits for the disk.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::SystemTime;

use super::spool::{Entry, NewEntry, Spool};

/// What the worker is told to do.
enum Work {
    /// Write an entry's new state (attempts, next try, delivered
    /// recipients). It rides on the rounds' flushes like new messages.
    Save(Entry),
    /// Remove a finished entry, without a flush (a removal lost to a crash
    /// only means one more delivery: at least once, never lost).
    Remove(String),
    /// A new message to queue; `done` hears the outcome.
    Enqueue(NewEntry, Done),
    /// Read a queued message for a report about it; in order with the
    /// other work, so a removal submitted after it cannot come first.
    Read(String, Box<dyn FnOnce(std::io::Result<Vec<u8>>) + Send>),
}

/// Most new messages committed together.
const MAX_BATCH: usize = 256;

/// The thread that does every queue file write. New messages that arrive
/// together are committed together (two flushes a batch, as the Maildir
/// writer does), so relayed intake is not capped at one flush a message.
#[derive(Clone)]
pub struct SpoolWorker {
    tx: mpsc::Sender<Work>,
    spool: Arc<Spool>,
}

/// Hears the outcome of queueing a message: its entry, or why not.
pub type Done = Box<dyn FnOnce(std::io::Result<Entry>) + Send>;

/// The queue thread. New messages and state saves are group-committed
/// in pipelined rounds, as the Maildir writer does: each round puts the
/// previous round's files in place (their data was flushed last round),
/// stages the new ones in `tmp/`, and flushes once, which makes the
/// previous ones durable (their senders get their 250) and the new ones'
/// data. One flush a round, however many messages and saves.
fn worker_loop(s: &Spool, rx: &mpsc::Receiver<Work>) {
    let mut prev: Vec<(std::io::Result<Entry>, Done)> = Vec::new();
    let mut prev_saves: Vec<(String, PathBuf)> = Vec::new();
    let mut seq: u64 = 0;
    loop {
        // Block for work only when nothing waits to be put in place.
        let mut batch = Vec::new();
        if prev.is_empty() && prev_saves.is_empty() {
            match rx.recv() {
                Ok(w) => batch.push(w),
                Err(_) => return,
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        // 1. Last round's files in place, before anything of this round
        // (a removal below must come after a save staged earlier).
        let published: Vec<(std::io::Result<Entry>, Done)> = prev
            .drain(..)
            .map(|(r, done)| (r.and_then(|e| s.publish(&e).map(|()| e)), done))
            .collect();
        let saved = !prev_saves.is_empty();
        for (id, tmp) in prev_saves.drain(..) {
            if let Err(err) = s.publish_env(&tmp, &id) {
                eprintln!("mailkit: queue: cannot save {id}: {err}");
                let _ = std::fs::remove_file(&tmp);
            }
        }
        // 2. This round's work, in order.
        let mut items = Vec::new();
        let mut dones = Vec::new();
        let mut saves: Vec<(String, PathBuf)> = Vec::new();
        for w in batch {
            match w {
                Work::Save(e) => {
                    seq += 1;
                    match s.stage_env(&e, seq) {
                        Ok(tmp) => saves.push((e.id, tmp)),
                        Err(err) => eprintln!("mailkit: queue: cannot save {}: {err}", e.id),
                    }
                }
                Work::Remove(id) => {
                    // A save of it staged this round is moot.
                    saves.retain(|(sid, tmp)| {
                        let keep = *sid != id;
                        if !keep {
                            let _ = std::fs::remove_file(tmp);
                        }
                        keep
                    });
                    if let Err(err) = s.remove_delivered(&id) {
                        eprintln!("mailkit: queue: cannot remove {id}: {err}");
                    }
                }
                Work::Enqueue(item, done) => {
                    items.push(item);
                    dones.push(done);
                }
                Work::Read(id, done) => done(s.message(&id)),
            }
        }
        let staged = s.stage(&items, SystemTime::now());
        if published.is_empty() && staged.is_empty() && saves.is_empty() && !saved {
            continue;
        }
        // 3. One flush for all of it.
        let synced = s.sync();
        if let Err(e) = &synced {
            eprintln!("mailkit: queue: cannot flush the queue: {e}");
        }
        for (r, done) in published {
            match (&synced, r) {
                (Ok(()), r) => done(r),
                (Err(e), _) => done(Err(std::io::Error::new(e.kind(), e.to_string()))),
            }
        }
        prev = staged
            .into_iter()
            .map(|r| match (&synced, r) {
                (Ok(()), r) => r,
                (Err(e), _) => Err(std::io::Error::new(e.kind(), e.to_string())),
            })
            .zip(dones)
            .collect();
        // A save whose data may not be durable is not put in place: the
        // entry keeps its older state (tried again, never lost).
        match &synced {
            Ok(()) => prev_saves = saves,
            Err(_) => {
                for (_, tmp) in saves {
                    let _ = std::fs::remove_file(tmp);
                }
            }
        }
    }
}

impl SpoolWorker {
    /// Starts the worker for `spool`.
    pub fn spawn(spool: Arc<Spool>) -> std::io::Result<SpoolWorker> {
        let (tx, rx) = mpsc::channel::<Work>();
        let s = spool.clone();
        std::thread::Builder::new()
            .name("mailkit-queue".into())
            .spawn(move || worker_loop(&s, &rx))?;
        Ok(SpoolWorker { tx, spool })
    }

    /// Saves an entry's new state on the worker (durable two rounds on),
    /// in order with everything submitted before it.
    pub fn save(&self, e: Entry) {
        let _ = self.tx.send(Work::Save(e));
    }

    /// Removes a finished entry on the worker, in order with everything
    /// submitted before it.
    pub fn remove_delivered(&self, id: String) {
        let _ = self.tx.send(Work::Remove(id));
    }

    /// Queues a message durably on the worker; `done` hears the entry.
    pub fn enqueue(&self, item: NewEntry, done: Done) {
        let _ = self.tx.send(Work::Enqueue(item, done));
    }

    /// Reads queued message `id` on the worker, after everything
    /// submitted before (its removal included, which then shows as
    /// NotFound) and before anything submitted after; `done` hears the
    /// bytes. For the delivery reports, which quote the original's header
    /// and must not read the disk on the loop.
    pub fn read_message(&self, id: String, done: Box<dyn FnOnce(std::io::Result<Vec<u8>>) + Send>) {
        let _ = self.tx.send(Work::Read(id, done));
    }

    /// The spool (for reads at start).
    pub fn spool(&self) -> &Arc<Spool> {
        &self.spool
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Queues a message through the worker and waits for it: everything
    /// submitted before it is in place and durable by then.
    fn barrier(w: &SpoolWorker) -> Entry {
        let (tx, rx) = mpsc::channel();
        w.enqueue(
            NewEntry {
                id: None,
                from: None,
                rcpts: vec!["x@y.z".into()],
                data: b"barrier\n".to_vec(),
                ..Default::default()
            },
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()
    }

    #[test]
    fn saves_ride_on_rounds_in_order_and_removals_cancel_them() {
        let d = std::env::temp_dir().join(format!("mailkit-worker-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let spool = Arc::new(Spool::open(&d).unwrap());
        let w = SpoolWorker::spawn(spool.clone()).unwrap();
        let mut a = barrier(&w);
        let b = barrier(&w);
        // Three saves of `a` in a row: the last one wins.
        for n in 1..=3 {
            a.rcpts[0].attempts = n;
            a.rcpts[0].last_reply = format!("451 try {n}");
            w.save(a.clone());
        }
        // A save of `b` and then its removal: nothing of `b` is left.
        w.save(b.clone());
        w.remove_delivered(b.id.clone());
        let c = barrier(&w);
        let (all, aside) = spool.load().unwrap();
        assert!(aside.is_empty());
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, [a.id.as_str(), c.id.as_str()]);
        assert_eq!(all[0].rcpts[0].attempts, 3);
        assert_eq!(all[0].rcpts[0].last_reply, "451 try 3");
        assert!(!d.join("env").join(&b.id).exists());
        // Nothing is left half-done in tmp/ once the worker is idle.
        barrier(&w);
        assert_eq!(std::fs::read_dir(d.join("tmp")).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A report's read submitted before the entry's removal sees the
    /// message; one submitted after sees NotFound (the runner then sends
    /// no report, as for a deleted entry).
    #[test]
    fn reads_keep_their_place_among_removals() {
        let d = std::env::temp_dir().join(format!("mailkit-worker-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let spool = Arc::new(Spool::open(&d).unwrap());
        let w = SpoolWorker::spawn(spool).unwrap();
        let a = barrier(&w);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        w.read_message(
            a.id.clone(),
            Box::new(move |r| {
                let _ = tx.send(r.map_err(|e| e.kind()));
            }),
        );
        w.remove_delivered(a.id.clone());
        w.read_message(
            a.id.clone(),
            Box::new(move |r| {
                let _ = tx2.send(r.map_err(|e| e.kind()));
            }),
        );
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let second = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(first.as_deref(), Ok(&b"barrier\n"[..]));
        assert_eq!(second, Err(std::io::ErrorKind::NotFound));
        let _ = std::fs::remove_dir_all(&d);
    }
}

//! The writer thread: durable Maildir delivery off the event loop.
//!
//! The loop must never wait for a disk flush, so deliveries go to one
//! thread over a channel. The thread takes everything queued at once and
//! stores it as one batch ([`Maildir::deliver_batch`]): while one batch is
//! being synced the next one gathers, which is group commit with no timer.

use std::sync::mpsc;
use std::thread::JoinHandle;

use super::maildir::{Delivery, Maildir};

/// Most messages stored in one batch.
pub const MAX_BATCH: usize = 256;

/// Called with the outcome of one job (unique file name, or the error text).
pub type Done = Box<dyn FnOnce(Result<String, String>) + Send>;

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

/// Handle to the writer thread.
pub struct Writer {
    tx: Option<mpsc::Sender<WriteJob>>,
    handle: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread over a store.
    pub fn spawn(mut maildir: Maildir) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<WriteJob>();
        let handle = std::thread::Builder::new()
            .name("mailkit-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => jobs.push(j),
                            Err(_) => break,
                        }
                    }
                    let batch: Vec<Delivery> = jobs
                        .iter()
                        .map(|j| Delivery {
                            mailboxes: &j.mailboxes,
                            header: &j.header,
                            body: &j.body,
                        })
                        .collect();
                    let results = maildir.deliver_batch(&batch);
                    drop(batch);
                    for (job, r) in jobs.into_iter().zip(results) {
                        (job.done)(r.map_err(|e| e.to_string()));
                    }
                }
            })?;
        Ok(Writer {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    /// Queues a job. If the thread is gone the job fails at once.
    pub fn submit(&self, job: WriteJob) {
        let Some(tx) = &self.tx else {
            (job.done)(Err("the store writer has stopped".into()));
            return;
        };
        if let Err(mpsc::SendError(job)) = tx.send(job) {
            (job.done)(Err("the store writer has stopped".into()));
        }
    }

    /// Stops the thread after it has stored everything queued.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.tx.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

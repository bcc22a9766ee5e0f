//! The worker pool: a few threads for the blocking work a session's events
//! need (password hashes, opening and listing a maildrop, the POP3 UPDATE
//! step, reading a spool file), so nothing on the loop thread waits for the
//! disk or a slow hash. A job answers through its service's
//! [`super::Completer`], like the store's writer does.
//!
//! The queue in front of the threads is bounded: a job that does not fit
//! is refused at once ([`Pool::try_run`]), and the session answers "try
//! again later" instead of letting a flood of work queue without bound.

use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// A unit of blocking work.
pub type Job = Box<dyn FnOnce() + Send>;

/// Handle to the pool's threads (cloning shares them).
#[derive(Clone)]
pub struct Pool {
    tx: SyncSender<Job>,
}

/// Why a job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full: try again later.
    Busy,
    /// The threads have stopped.
    Stopped,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Busy => "the server is busy, try again",
            Refused::Stopped => "the server is shutting down",
        })
    }
}

impl std::error::Error for Refused {}

impl Pool {
    /// Starts `threads` workers (at least one) behind a queue of `queue` jobs.
    pub fn spawn(name: &str, threads: usize, queue: usize) -> std::io::Result<Pool> {
        let (tx, rx) = mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("mailkit-{name}-{n}"))
                .spawn(move || loop {
                    let next = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })?;
        }
        Ok(Pool { tx })
    }

    /// The number of workers that suits this machine for CPU-bound jobs
    /// (hashes): its cores, between 2 and 8.
    pub fn default_threads() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 8)
    }

    /// Queues `job`, or says why not.
    pub fn try_run(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Refused> {
        self.tx.try_send(Box::new(job)).map_err(|e| match e {
            TrySendError::Full(_) => Refused::Busy,
            TrySendError::Disconnected(_) => Refused::Stopped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_and_refuses_when_full() {
        let pool = Pool::spawn("test", 1, 1).unwrap();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel::<u32>();
        // The worker blocks on the gate; one more job fits the queue.
        pool.try_run(move || {
            let _ = gate_rx.recv();
        })
        .unwrap();
        let mut queued = 0;
        let mut refused = false;
        for n in 0..3 {
            let tx = done_tx.clone();
            match pool.try_run(move || tx.send(n).unwrap()) {
                Ok(()) => queued += 1,
                Err(Refused::Busy) => refused = true,
                Err(Refused::Stopped) => panic!("stopped"),
            }
        }
        assert!(refused, "a full queue refuses");
        gate_tx.send(()).unwrap();
        for _ in 0..queued {
            done_rx.recv().unwrap();
        }
    }
}

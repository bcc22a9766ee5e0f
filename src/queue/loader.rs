//! The loader: the thread that gets a relay connection's work ready off
//! the loop. For each job it resolves the next hop's name (a route or
//! smarthost `HOST:PORT`; MX hosts come resolved from [`super::dns`]) and
//! reads the queued messages from the spool, then wakes the loop. So
//! neither the system resolver nor a cold disk can stall the sessions the
//! loop carries.
//!
//! Between jobs it also looks, once a second, for a flush request
//! (`mailkit queue flush`, [`Spool::take_flush`]) and raises
//! [`Loader::take_flush`]'s flag, waking the loop: the loop itself never
//! touches the spool directory.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::ResolveError;
use super::spool::Spool;

/// Wakes the loop when an answer is waiting (the runner's owner supplies
/// it: the loop's waker).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Where a job's connection goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// Already resolved (an MX host from the DNS answer).
    Known(SocketAddr),
    /// A `HOST:PORT` to resolve.
    Resolve(String),
}

/// A job to get ready.
#[derive(Debug)]
pub struct Request {
    /// The runner's number for the job.
    pub no: u64,
    /// The next hop.
    pub target: Target,
    /// The queue entries whose messages the connection carries.
    pub ids: Vec<String>,
}

/// A job made ready (or not).
#[derive(Debug)]
pub struct Ready {
    /// The job's number.
    pub no: u64,
    /// The address to connect to, or why there is none.
    pub addr: Result<SocketAddr, ResolveError>,
    /// Each message, in the order asked (not read when the address failed).
    pub bodies: Vec<io::Result<Vec<u8>>>,
}

/// The runner's handle on the loader thread.
pub struct Loader {
    tx: mpsc::Sender<Request>,
    rx: mpsc::Receiver<Ready>,
    /// Raised by the thread when it took a flush request.
    flush: Arc<AtomicBool>,
}

/// How often the thread looks for a flush request.
const FLUSH_CHECK: Duration = Duration::from_secs(1);

impl Loader {
    /// Starts the thread over `spool`; `wake` is called after each answer.
    pub fn spawn(spool: Arc<Spool>, wake: Wake) -> io::Result<Loader> {
        let (tx, jobs) = mpsc::channel::<Request>();
        let (done, rx) = mpsc::channel::<Ready>();
        let flush = Arc::new(AtomicBool::new(false));
        let flagged = flush.clone();
        std::thread::Builder::new()
            .name("mailkit-queue-load".into())
            .spawn(move || {
                let mut checked = Instant::now();
                loop {
                    match jobs.recv_timeout(FLUSH_CHECK) {
                        Ok(r) => {
                            let ready = load(&spool, r);
                            if done.send(ready).is_err() {
                                return;
                            }
                            wake();
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    if checked.elapsed() >= FLUSH_CHECK {
                        checked = Instant::now();
                        if spool.take_flush() {
                            flagged.store(true, Ordering::Release);
                            wake();
                        }
                    }
                }
            })?;
        Ok(Loader { tx, rx, flush })
    }

    /// Whether a flush request came since the last call.
    pub fn take_flush(&self) -> bool {
        self.flush.swap(false, Ordering::AcqRel)
    }

    /// Asks for a job to be made ready.
    pub fn request(&self, r: Request) {
        let _ = self.tx.send(r);
    }

    /// A job made ready since the last call, if any.
    pub fn try_ready(&self) -> Option<Ready> {
        self.rx.try_recv().ok()
    }
}

fn load(spool: &Spool, r: Request) -> Ready {
    let addr = match r.target {
        Target::Known(a) => Ok(a),
        Target::Resolve(hop) => match hop.to_socket_addrs() {
            Ok(mut a) => a.next().ok_or(ResolveError { hop, source: None }),
            Err(e) => Err(ResolveError {
                hop,
                source: Some(e),
            }),
        },
    };
    let bodies = match addr {
        Ok(_) => r.ids.iter().map(|id| spool.message(id)).collect(),
        Err(_) => Vec::new(),
    };
    Ready {
        no: r.no,
        addr,
        bodies,
    }
}

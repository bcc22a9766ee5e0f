//! The loop itself: a switchboard between the poller and the services'
//! hosts. Each turn: poll with the nearest deadline; route socket events
//! to the host that owns the connection; accept on every listener; hand
//! completions to their sessions; fire timers; drive every connection
//! that has something to do. Stops on SIGINT/SIGTERM or when a service
//! asks, after a grace period for the work in flight.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use super::completer::{channel, Completer, Inbox};
use super::host::{untoken, ClientHost, Ctx, Host, ServerHost, ACCEPT_RETRY, CONN_BASE};
use super::service::{ClientService, ServerService};
use super::StopMode;

const WAKER: Token = Token(CONN_BASE - 1);
const SIGNALS: Token = Token(CONN_BASE - 2);

/// A listening socket and how its connections start.
pub struct Listener {
    /// The socket ([`super::listen`]).
    pub socket: TcpListener,
    /// Connections start with TLS (SMTPS/POP3S/IMAPS style, `--tls-listen`).
    pub implicit_tls: bool,
}

/// A service's settings on the loop.
#[derive(Debug, Clone)]
pub struct ServiceOpts {
    /// Protocol name for log lines ("smtp").
    pub name: &'static str,
    /// Most simultaneous connections; more get the busy reply.
    pub max_connections: usize,
    /// Write a transcript of each session here (`--record`).
    pub record_dir: Option<PathBuf>,
}

/// The event loop. Build it, add services (each with the inbox of its
/// [`Completer`]s), then [`Runtime::run`]. Services are borrowed, so the
/// caller reads their results afterwards.
pub struct Runtime<'a> {
    poll: Poll,
    waker: Arc<Waker>,
    pending: Arc<AtomicBool>,
    hosts: Vec<Box<dyn Host + 'a>>,
    /// Listeners and the host each belongs to.
    listeners: Vec<(Option<TcpListener>, usize, bool)>,
    grace: Duration,
}

impl<'a> Runtime<'a> {
    /// A new loop (creates the epoll instance and the waker). `grace` is
    /// how long work in flight may run on after a stop request.
    pub fn new(grace: Duration) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(Runtime {
            poll,
            waker,
            pending: Arc::default(),
            hosts: Vec::new(),
            listeners: Vec::new(),
            grace,
        })
    }

    /// A completion channel for a service: the [`Completer`] goes to the
    /// threads that work for it, the [`Inbox`] to [`Runtime::add_server`]
    /// or [`Runtime::add_client`] with the service.
    pub fn channel<C: Send + 'static>(&self) -> (Completer<C>, Inbox<C>) {
        channel(self.waker.clone(), self.pending.clone())
    }

    fn next_index(&self) -> io::Result<u16> {
        u16::try_from(self.hosts.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too many services"))
    }

    /// Adds a server service with its listeners.
    pub fn add_server<S: ServerService + 'a>(
        &mut self,
        service: &'a mut S,
        inbox: Inbox<S::Completion>,
        opts: ServiceOpts,
        listeners: Vec<Listener>,
    ) -> io::Result<()> {
        let me = self.next_index()?;
        for mut l in listeners {
            let token = Token(self.listeners.len());
            self.poll
                .registry()
                .register(&mut l.socket, token, Interest::READABLE)?;
            self.listeners
                .push((Some(l.socket), me as usize, l.implicit_tls));
        }
        self.hosts
            .push(Box::new(ServerHost::new(service, inbox, me, opts)));
        Ok(())
    }

    /// Adds a client service (it opens connections through
    /// [`ClientService::poll_connect`]).
    pub fn add_client<S: ClientService + 'a>(
        &mut self,
        service: &'a mut S,
        inbox: Inbox<S::Completion>,
        opts: ServiceOpts,
    ) -> io::Result<()> {
        let me = self.next_index()?;
        self.hosts
            .push(Box::new(ClientHost::new(service, inbox, me, opts)));
        Ok(())
    }

    /// Runs until stopped by a signal or by a service, and every
    /// connection has ended (or the grace period is over).
    pub fn run(self) -> io::Result<()> {
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        self.poll
            .registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let mut lp = Loop {
            poll: self.poll,
            pending: self.pending,
            hosts: self.hosts,
            listeners: self.listeners,
            grace: self.grace,
            scratch: vec![0u8; 64 * 1024],
            session_no: 0,
            accept_retry: None,
            stop: None,
        };
        let _keep_waker = self.waker;
        lp.run(&mut signals)
    }
}

#[derive(Debug, Clone, Copy)]
enum StopState {
    /// Waiting for sessions to end until the deadline.
    Grace(Instant),
    /// Everyone was told goodbye; drop whatever is left at the deadline.
    Final(Instant),
}

struct Loop<'a> {
    poll: Poll,
    pending: Arc<AtomicBool>,
    hosts: Vec<Box<dyn Host + 'a>>,
    listeners: Vec<(Option<TcpListener>, usize, bool)>,
    grace: Duration,
    scratch: Vec<u8>,
    session_no: u64,
    accept_retry: Option<Instant>,
    stop: Option<StopState>,
}

impl Loop<'_> {
    /// Runs `f` on every host with this turn's context; returns whether
    /// it returned true for any.
    fn each_host(
        &mut self,
        now: Instant,
        mut f: impl FnMut(&mut dyn Host, &mut Ctx) -> bool,
    ) -> bool {
        let Loop {
            poll,
            hosts,
            scratch,
            session_no,
            ..
        } = self;
        let mut ctx = Ctx {
            registry: poll.registry(),
            scratch,
            session_no,
            now,
        };
        let mut any = false;
        for h in hosts.iter_mut() {
            any |= f(h.as_mut(), &mut ctx);
        }
        any
    }

    /// Drives every host's connections that have something to do;
    /// returns whether some stopped for fairness.
    fn drive_all(&mut self, now: Instant) -> bool {
        self.each_host(now, |h, ctx| h.drive_marked(ctx))
    }

    /// Lets client services open the connections they want; returns
    /// whether any were opened.
    fn connect_all(&mut self, now: Instant) -> bool {
        self.each_host(now, |h, ctx| h.connect_all(ctx))
    }

    /// Whether every connection left is only lingering (a stopping loop
    /// does not wait for those).
    fn idle(&self) -> bool {
        self.hosts.iter().all(|h| h.live() == h.lingering())
    }

    fn run(&mut self, signals: &mut Signals) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut again = false;
        loop {
            let now = Instant::now();
            if self.stop.is_none() {
                again |= self.connect_all(now);
            }
            // Asked here, after the previous turn's work, so that a service
            // whose last session just ended is heard before we sleep.
            let asked = self.hosts.iter_mut().find_map(|h| h.stop_requested());
            if let Some(mode) = asked {
                self.request_stop(mode, now);
            }
            if self.stop.is_some() && self.idle() {
                return Ok(());
            }
            let timeout = if again {
                Some(Duration::ZERO)
            } else {
                self.next_timeout(now)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            let now = Instant::now();
            let mut accept = self.accept_retry.is_some_and(|t| now >= t);
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    SIGNALS => {
                        for _ in signals.pending() {
                            self.request_stop(StopMode::Graceful, now);
                        }
                    }
                    t => match untoken(t) {
                        Some((service, idx)) => {
                            if let Some(h) = self.hosts.get_mut(service) {
                                let closed = ev.is_read_closed() || ev.is_error();
                                h.ready(
                                    idx,
                                    ev.is_readable() || closed,
                                    ev.is_writable() || ev.is_write_closed() || ev.is_error(),
                                    closed,
                                );
                            }
                        }
                        None => accept = true,
                    },
                }
            }
            if accept {
                self.accept_all(now);
            }
            // Completions from worker threads. Clear the flag first: a
            // completion sent after this point wakes us again.
            self.pending.store(false, Ordering::Release);
            for h in self.hosts.iter_mut() {
                h.completions(now);
                h.fire_timers(now);
            }
            self.advance_stop(now);
            again = self.drive_all(now);
            if self.stop.is_some() && self.idle() {
                return Ok(());
            }
        }
    }

    fn next_timeout(&self, now: Instant) -> Option<Duration> {
        let stop_at = match self.stop {
            Some(StopState::Grace(t)) | Some(StopState::Final(t)) => Some(t),
            None => None,
        };
        let hosts = self
            .hosts
            .iter()
            .flat_map(|h| [h.next_deadline(), h.poll_wakeup()]);
        hosts
            .chain([stop_at, self.accept_retry])
            .flatten()
            .min()
            .map(|t| t.saturating_duration_since(now))
    }

    fn request_stop(&mut self, mode: StopMode, now: Instant) {
        match self.stop {
            None => {
                for (l, _, _) in self.listeners.iter_mut() {
                    if let Some(mut l) = l.take() {
                        let _ = self.poll.registry().deregister(&mut l);
                    }
                }
                self.accept_retry = None;
                self.stop = Some(StopState::Grace(now + self.grace));
                if mode == StopMode::Graceful {
                    for h in self.hosts.iter_mut() {
                        eprintln!(
                            "mailkit: {}: stopping; sessions in progress may finish",
                            h.name()
                        );
                        h.shutdown_all(false);
                    }
                    self.drive_all(now);
                }
            }
            Some(StopState::Grace(_)) if mode == StopMode::Graceful => {
                // A second signal: stop now.
                self.stop = Some(StopState::Grace(now));
            }
            _ => {}
        }
    }

    fn advance_stop(&mut self, now: Instant) {
        match self.stop {
            Some(StopState::Grace(t)) if now >= t => {
                for h in self.hosts.iter_mut() {
                    h.shutdown_all(true);
                }
                self.stop = Some(StopState::Final(now + Duration::from_secs(1)));
            }
            Some(StopState::Final(t)) if now >= t => {
                let registry = self.poll.registry();
                for h in self.hosts.iter_mut() {
                    h.remove_all(registry);
                }
            }
            _ => {}
        }
    }

    fn accept_all(&mut self, now: Instant) {
        self.accept_retry = None;
        let Loop {
            poll,
            hosts,
            scratch,
            session_no,
            listeners,
            accept_retry,
            ..
        } = self;
        let mut ctx = Ctx {
            registry: poll.registry(),
            scratch,
            session_no,
            now,
        };
        for (listener, host, tls) in listeners.iter() {
            let Some(listener) = listener.as_ref() else {
                continue;
            };
            let Some(h) = hosts.get_mut(*host) else {
                continue;
            };
            loop {
                match listener.accept() {
                    Ok((stream, peer)) => h.accept(&mut ctx, stream, peer, *tls),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e)
                        if e.kind() == io::ErrorKind::Interrupted
                            || e.kind() == io::ErrorKind::ConnectionAborted =>
                    {
                        continue
                    }
                    Err(e) => {
                        // Out of file descriptors or similar: try again soon
                        // rather than spin; pending clients wait in the backlog.
                        eprintln!(
                            "mailkit: {}: accept failed: {e}; retrying in 100 ms",
                            h.name()
                        );
                        *accept_retry = Some(now + ACCEPT_RETRY);
                        break;
                    }
                }
            }
        }
    }
}

/// Runs one client service on a loop of its own until it asks to stop
/// (`send`, `fetch`, `replay`): the runtime, the (unused) completion
/// channel and the service in one call.
pub fn run_client<S: ClientService>(
    service: &mut S,
    opts: ServiceOpts,
    grace: Duration,
) -> io::Result<()> {
    let mut rt = Runtime::new(grace)?;
    let (_, inbox) = rt.channel();
    rt.add_client(service, inbox, opts)?;
    rt.run()
}

/// Runs one server service on a loop of its own (`replay --serve`, tests).
pub fn run_server<S: ServerService>(
    service: &mut S,
    opts: ServiceOpts,
    listeners: Vec<Listener>,
    grace: Duration,
) -> io::Result<()> {
    let mut rt = Runtime::new(grace)?;
    let (_, inbox) = rt.channel();
    rt.add_server(service, inbox, opts, listeners)?;
    rt.run()
}

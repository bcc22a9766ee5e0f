//! The mio event loop: one thread owns the listeners, every connection,
//! the timers and the signal handling, and drives sans-IO sessions
//! ([`crate::proto::Session`]) for any protocol.
//!
//! Each turn: poll with the nearest deadline; accept until WouldBlock; read
//! into `handle_input` while the session wants input; hand events to the
//! [`Service`]; write until WouldBlock; fire expired timers. Work that may
//! block (fsync) runs elsewhere and comes back through a [`Completer`],
//! which wakes the loop with a [`mio::Waker`].
//!
//! Sockets are registered once, edge-triggered, for both directions; the
//! connection keeps "readable"/"writable" flags, so interest never has to be
//! re-registered. Buffers are per connection, bounded, and released when
//! empty: an idle connection costs its small session and nothing else.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::proto::{Output, Session};
use crate::transcript::Recorder;

pub mod tls;

/// Identifies a connection across slot reuse (index + generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    index: u32,
    gen: u32,
}

/// Where an accepted connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The client's address.
    pub peer: SocketAddr,
    /// Our address on this connection (with a wildcard listener, the
    /// interface's address, not the listener's).
    pub local: SocketAddr,
    /// The listener is an implicit-TLS one (`--tls-listen`): the session
    /// is inside TLS from its first byte. Known from the listener, not
    /// from addresses (a wildcard listener's connections never carry its
    /// address).
    pub implicit_tls: bool,
}

/// How the server should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// SIGINT/SIGTERM: stop accepting, tell idle clients 421 now, let
    /// transactions in flight finish within the grace period.
    Graceful,
    /// `--exit-after`: stop accepting and let sessions end on their own
    /// within the grace period.
    Drain,
}

/// What a server plugs into the loop: how to make sessions and what to do
/// with their events.
pub trait Service {
    /// The session type.
    type Session: Session;
    /// Answers to events, produced off the loop (e.g. "message stored").
    type Completion: Send + 'static;
    /// A new connection was accepted.
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> Self::Session;
    /// A session emitted an event.
    fn event(
        &mut self,
        id: ConnId,
        session: &mut Self::Session,
        event: <Self::Session as Session>::Event,
        now: Instant,
    );
    /// A completion sent through a [`Completer`] arrived for a live session.
    fn complete(&mut self, session: &mut Self::Session, completion: Self::Completion, now: Instant);
    /// The reply for a connection refused because the server is full.
    fn busy_reply(&self) -> &[u8];
    /// Polled once per turn: an outbound connection to open (clients such
    /// as `send` and the relay queue use the same loop as the servers).
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        None
    }
    /// The session for an outbound connection from [`Service::poll_connect`].
    fn open_outbound(
        &mut self,
        _id: ConnId,
        _addr: SocketAddr,
        _now: Instant,
    ) -> Option<Self::Session> {
        None
    }
    /// An outbound connection could not be established.
    fn connect_failed(&mut self, _id: ConnId, _session: Self::Session, _error: io::Error) {}
    /// A transcript recorder for a new connection, when `--record` (in
    /// [`LoopConfig`]) does not apply (e.g. `send --transcript FILE`).
    fn recorder(&mut self, _id: ConnId, _outbound: bool) -> Option<Recorder> {
        None
    }
    /// A connection ended; its session is handed back (for results).
    fn closed(&mut self, _id: ConnId, _session: Self::Session) {}
    /// Polled once per turn: whether the service wants the server to stop.
    fn stop_requested(&mut self) -> Option<StopMode> {
        None
    }
    /// A TLS connection for `id`: asked for by its session
    /// ([`Output::StartTls`]), or at once on an implicit-TLS listener
    /// ([`LoopConfig::implicit_tls`]) or for an outbound connection when
    /// [`Service::outbound_tls`] says so. `None` (no TLS configured)
    /// closes the connection.
    fn start_tls(&mut self, _id: ConnId, _outbound: bool) -> Option<rustls::Connection> {
        None
    }
    /// When the service wants the loop to turn even if nothing happens
    /// (a queued message's next attempt), so [`Service::poll_connect`] runs.
    fn poll_wakeup(&self) -> Option<Instant> {
        None
    }
    /// Whether outbound connections start with TLS (implicit TLS, `--tls`).
    fn outbound_tls(&self) -> bool {
        false
    }
    /// The TLS handshake of `id` completed (certificate details are in `conn`).
    fn tls_ready(&mut self, _id: ConnId, _session: &mut Self::Session, _conn: &rustls::Connection) {
    }
    /// The TLS handshake or a record failed; the connection is closing.
    fn tls_failed(&mut self, _id: ConnId, _session: &mut Self::Session, _error: &rustls::Error) {}
}

/// Binds a listening socket (non-blocking, SO_REUSEADDR, backlog 1024)
/// with an error that says what to try.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::AddrInUse => {
                "another server is using it; pick another --listen, or port 0 for a free one"
            }
            io::ErrorKind::PermissionDenied => "ports below 1024 need root; use a higher port",
            io::ErrorKind::AddrNotAvailable => "this machine has no such address",
            _ => "check the --listen address",
        };
        io::Error::new(e.kind(), format!("cannot listen on {addr}: {e} ({hint})"))
    })
}

/// Raises the open-file limit to its hard maximum, so thousands of
/// connections fit; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

/// Sends completions to the loop from any thread and wakes it.
pub struct Completer<C> {
    tx: mpsc::Sender<(ConnId, C)>,
    waker: Arc<Waker>,
    /// Set while a wake-up is on its way and the loop has not yet drained
    /// the channel: a batch of completions costs one wake-up, not one each.
    pending: Arc<AtomicBool>,
}

impl<C> Clone for Completer<C> {
    fn clone(&self) -> Self {
        Completer {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
            pending: self.pending.clone(),
        }
    }
}

impl<C> Completer<C> {
    /// Delivers `c` to the session `id` (dropped if it has gone).
    pub fn complete(&self, id: ConnId, c: C) {
        if self.tx.send((id, c)).is_ok() && !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }
}

/// Limits and options of the loop.
#[derive(Debug, Clone)]
pub struct LoopConfig {
    /// Most simultaneous connections; more get the busy reply.
    pub max_connections: usize,
    /// Write a transcript of each session here (`--record`).
    pub record_dir: Option<PathBuf>,
    /// How long transactions may run on after a stop request.
    pub grace: Duration,
    /// Protocol name for log lines ("smtp").
    pub name: &'static str,
    /// Indexes of the listeners whose connections start with TLS
    /// (SMTPS/POP3S style, `--tls-listen`).
    pub implicit_tls: Vec<usize>,
}

const WAKER: Token = Token(usize::MAX - 1);
const SIGNALS: Token = Token(usize::MAX - 2);
const CONN_BASE: usize = 1 << 20;
/// Stop reading a connection while this much output waits to be written.
const OUT_HIGH_WATER: usize = 256 * 1024;
/// Reads per connection per turn before others get a go.
const READS_PER_TURN: usize = 16;
/// How long a closing connection may take to drain its output.
const LINGER: Duration = Duration::from_secs(10);
/// How long a closed connection waits for the peer's FIN.
const LINGER_CLOSE: Duration = Duration::from_secs(2);
/// Most input swallowed from a closed connection before giving up.
const LINGER_MAX_BYTES: usize = 1 << 20;

struct Conn<S> {
    stream: TcpStream,
    session: S,
    out: Vec<u8>,
    out_pos: usize,
    readable: bool,
    writable: bool,
    eof: bool,
    /// The peer hung up (an edge said so): read until EOF.
    hup: bool,
    /// An outbound connect still in progress.
    connecting: bool,
    /// We opened this connection: in transcripts the peer is the server.
    outbound: bool,
    /// Our side is shut down; swallowing the peer's input until its FIN.
    lingering: bool,
    /// Bytes swallowed while lingering.
    discarded: usize,
    dead: bool,
    /// Set once the session said Close: drain output until then.
    closing: Option<Instant>,
    /// The deadline of this connection's entry in the timer heap.
    timer_at: Option<Instant>,
    recorder: Option<Recorder>,
    /// TLS around the stream, once started.
    tls: Option<Box<rustls::Connection>>,
    /// Plaintext the session sent that has not yet gone into TLS: rustls
    /// takes a bounded amount at a time, so a large reply or message goes
    /// in pieces as the socket drains (see [`tls_push`]).
    tls_pending: Vec<u8>,
    /// How much of `tls_pending` is already in TLS.
    tls_pending_pos: usize,
    /// The session closed a TLS connection: send close_notify once
    /// `tls_pending` is through (not before the data it follows).
    tls_close: bool,
}

impl<S> Conn<S> {
    /// Output waiting for the socket: encrypted or plain bytes in `out`,
    /// plus plaintext still to go through TLS.
    fn backlog(&self) -> usize {
        (self.out.len() - self.out_pos) + (self.tls_pending.len() - self.tls_pending_pos)
    }
}

/// The event loop. Build it, take [`Completer`]s for the service's worker
/// threads, then [`Runtime::run`].
pub struct Runtime<C> {
    poll: Poll,
    waker: Arc<Waker>,
    pending: Arc<AtomicBool>,
    tx: mpsc::Sender<(ConnId, C)>,
    rx: mpsc::Receiver<(ConnId, C)>,
}

impl<C: Send + 'static> Runtime<C> {
    /// A new loop (creates the epoll instance and the waker).
    pub fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = mpsc::channel();
        Ok(Runtime {
            poll,
            waker,
            pending: Arc::default(),
            tx,
            rx,
        })
    }

    /// A handle for sending completions back to the loop.
    pub fn completer(&self) -> Completer<C> {
        Completer {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
            pending: self.pending.clone(),
        }
    }

    /// Serves `listeners` until stopped by a signal or by the service.
    pub fn run<S>(
        self,
        mut service: S,
        listeners: Vec<TcpListener>,
        cfg: LoopConfig,
    ) -> io::Result<()>
    where
        S: Service<Completion = C>,
    {
        self.run_with(&mut service, listeners, cfg)
    }

    /// Like [`Runtime::run`], leaving the service with the caller (to read
    /// its results afterwards).
    pub fn run_with<S>(
        self,
        service: &mut S,
        listeners: Vec<TcpListener>,
        cfg: LoopConfig,
    ) -> io::Result<()>
    where
        S: Service<Completion = C>,
    {
        let mut lp = Loop {
            poll: self.poll,
            rx: self.rx,
            pending: self.pending.clone(),
            listeners: Vec::new(),
            conns: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            live: 0,
            lingering: 0,
            timers: BinaryHeap::new(),
            scratch: vec![0u8; 64 * 1024],
            cfg,
            session_no: 0,
            accept_retry: None,
            stop: None,
        };
        for (i, mut l) in listeners.into_iter().enumerate() {
            lp.poll
                .registry()
                .register(&mut l, Token(i), Interest::READABLE)?;
            lp.listeners.push(Some(l));
        }
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        lp.poll
            .registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let _keep_waker = self.waker;
        lp.run(service, &mut signals)
    }
}

#[derive(Debug, Clone, Copy)]
enum StopState {
    /// Waiting for sessions to end until the deadline.
    Grace(Instant),
    /// Everyone was told 421; drop whatever is left at the deadline.
    Final(Instant),
}

struct Loop<S: Service> {
    poll: Poll,
    rx: mpsc::Receiver<(ConnId, S::Completion)>,
    pending: Arc<AtomicBool>,
    listeners: Vec<Option<TcpListener>>,
    conns: Vec<Option<Conn<S::Session>>>,
    gens: Vec<u32>,
    free: Vec<usize>,
    live: usize,
    /// Connections among `live` that are only lingering after close: a
    /// stopping server does not wait for them.
    lingering: usize,
    timers: BinaryHeap<Reverse<(Instant, usize, u32)>>,
    scratch: Vec<u8>,
    cfg: LoopConfig,
    session_no: u64,
    accept_retry: Option<Instant>,
    stop: Option<StopState>,
}

impl<S: Service> Loop<S> {
    fn run(&mut self, service: &mut S, signals: &mut Signals) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut to_drive: Vec<usize> = Vec::new();
        let mut again: Vec<usize> = Vec::new();
        loop {
            let now = Instant::now();
            if self.stop.is_none() {
                self.connect_all(service, now, &mut again);
            }
            // Asked here, after the previous turn's work, so that a service
            // whose last session just ended is heard before we sleep.
            if let Some(mode) = service.stop_requested() {
                self.request_stop(service, mode, now);
            }
            if self.stop.is_some() && self.live == self.lingering {
                return Ok(());
            }
            let timeout = if !again.is_empty() {
                Some(Duration::ZERO)
            } else {
                let wake = service
                    .poll_wakeup()
                    .map(|t| t.saturating_duration_since(now));
                match (self.next_timeout(now), wake) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            let now = Instant::now();
            let mut accept = self.accept_retry.is_some_and(|t| now >= t);
            to_drive.append(&mut again);
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    SIGNALS => {
                        for _ in signals.pending() {
                            self.request_stop(service, StopMode::Graceful, now);
                        }
                    }
                    Token(t) if t >= CONN_BASE => {
                        let idx = t - CONN_BASE;
                        if let Some(Some(c)) = self.conns.get_mut(idx) {
                            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                                c.readable = true;
                            }
                            if ev.is_read_closed() || ev.is_error() {
                                c.hup = true;
                            }
                            if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
                                c.writable = true;
                            }
                            to_drive.push(idx);
                        }
                    }
                    Token(_) => accept = true,
                }
            }
            if accept {
                self.accept_all(service, now, &mut to_drive);
            }
            // Completions from worker threads. Clear the flag first: a
            // completion sent after this point wakes us again.
            self.pending.store(false, Ordering::Release);
            while let Ok((id, c)) = self.rx.try_recv() {
                if let Some(conn) = self.get_mut(id) {
                    service.complete(&mut conn.session, c, now);
                    to_drive.push(id.index as usize);
                }
            }
            self.fire_timers(now, &mut to_drive);
            self.advance_stop(service, now, &mut to_drive);
            to_drive.sort_unstable();
            to_drive.dedup();
            for idx in to_drive.drain(..) {
                if self.drive(idx, service, now) {
                    again.push(idx);
                }
            }
            if self.stop.is_some() && self.live == self.lingering {
                return Ok(());
            }
        }
    }

    fn get_mut(&mut self, id: ConnId) -> Option<&mut Conn<S::Session>> {
        let idx = id.index as usize;
        if self.gens.get(idx) != Some(&id.gen) {
            return None;
        }
        self.conns.get_mut(idx)?.as_mut()
    }

    fn next_timeout(&self, now: Instant) -> Option<Duration> {
        let mut next = self.timers.peek().map(|Reverse((t, _, _))| *t);
        let stop_at = match self.stop {
            Some(StopState::Grace(t)) | Some(StopState::Final(t)) => Some(t),
            None => None,
        };
        for t in [stop_at, self.accept_retry].into_iter().flatten() {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
        next.map(|t| t.saturating_duration_since(now))
    }

    fn request_stop(&mut self, service: &mut S, mode: StopMode, now: Instant) {
        match self.stop {
            None => {
                for l in self.listeners.iter_mut() {
                    if let Some(mut l) = l.take() {
                        let _ = self.poll.registry().deregister(&mut l);
                    }
                }
                self.accept_retry = None;
                self.stop = Some(StopState::Grace(now + self.cfg.grace));
                if mode == StopMode::Graceful {
                    eprintln!(
                        "mailkit: {}: stopping; sessions in progress may finish",
                        self.cfg.name
                    );
                    for c in self.conns.iter_mut().flatten() {
                        c.session.shutdown(false);
                    }
                    self.drive_all(service, now);
                }
            }
            Some(StopState::Grace(_)) if mode == StopMode::Graceful => {
                // A second signal: stop now.
                self.stop = Some(StopState::Grace(now));
            }
            _ => {}
        }
    }

    fn advance_stop(&mut self, service: &mut S, now: Instant, to_drive: &mut Vec<usize>) {
        match self.stop {
            Some(StopState::Grace(t)) if now >= t => {
                for (idx, c) in self.conns.iter_mut().enumerate() {
                    if let Some(c) = c {
                        c.session.shutdown(true);
                        to_drive.push(idx);
                    }
                }
                self.stop = Some(StopState::Final(now + Duration::from_secs(1)));
            }
            Some(StopState::Final(t)) if now >= t => {
                for idx in 0..self.conns.len() {
                    self.remove(idx, service);
                }
            }
            _ => {}
        }
    }

    fn drive_all(&mut self, service: &mut S, now: Instant) {
        for idx in 0..self.conns.len() {
            if self.conns[idx].is_some() {
                self.drive(idx, service, now);
            }
        }
    }

    fn accept_all(&mut self, service: &mut S, now: Instant, to_drive: &mut Vec<usize>) {
        self.accept_retry = None;
        for li in 0..self.listeners.len() {
            while let Some(listener) = self.listeners[li].as_ref() {
                match listener.accept() {
                    Ok((stream, peer)) => {
                        if self.live >= self.cfg.max_connections {
                            let mut s = stream;
                            let _ = s.write(service.busy_reply());
                            continue;
                        }
                        let local = stream.local_addr().unwrap_or(peer);
                        let tls = self.cfg.implicit_tls.contains(&li);
                        if let Some(idx) = self.insert(service, stream, peer, Some(local), tls, now)
                        {
                            to_drive.push(idx);
                        }
                    }
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
                            self.cfg.name
                        );
                        self.accept_retry = Some(now + Duration::from_millis(100));
                        break;
                    }
                }
            }
        }
    }

    fn insert(
        &mut self,
        service: &mut S,
        mut stream: TcpStream,
        peer: SocketAddr,
        local: Option<SocketAddr>,
        tls: bool,
        now: Instant,
    ) -> Option<usize> {
        let connecting = local.is_none();
        let _ = stream.set_nodelay(true);
        let idx = self.alloc_slot();
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(CONN_BASE + idx),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            eprintln!(
                "mailkit: {}: cannot register connection: {e}",
                self.cfg.name
            );
            self.free.push(idx);
            return None;
        }
        self.gens[idx] = self.gens[idx].wrapping_add(1);
        let id = ConnId {
            index: idx as u32,
            gen: self.gens[idx],
        };
        self.session_no += 1;
        let recorder = match &self.cfg.record_dir {
            Some(dir) => match Recorder::create(dir, self.session_no) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("mailkit: {}: cannot record session: {e}", self.cfg.name);
                    None
                }
            },
            None => service.recorder(id, connecting),
        };
        let session = match local {
            Some(local) => service.open(
                id,
                Accepted {
                    peer,
                    local,
                    implicit_tls: tls,
                },
                now,
            ),
            None => match service.open_outbound(id, peer, now) {
                Some(s) => s,
                None => {
                    let _ = self.poll.registry().deregister(&mut stream);
                    self.free.push(idx);
                    return None;
                }
            },
        };
        self.conns[idx] = Some(Conn {
            stream,
            session,
            out: Vec::new(),
            out_pos: 0,
            readable: !connecting,
            writable: !connecting,
            eof: false,
            hup: false,
            connecting,
            outbound: connecting,
            lingering: false,
            discarded: 0,
            dead: false,
            closing: None,
            timer_at: None,
            recorder,
            tls: None,
            tls_pending: Vec::new(),
            tls_pending_pos: 0,
            tls_close: false,
        });
        self.live += 1;
        if tls {
            let conn = service.start_tls(id, connecting);
            if let Some(Some(c)) = self.conns.get_mut(idx) {
                match conn {
                    Some(t) => {
                        c.tls = Some(Box::new(t));
                        // A client's hello goes out as soon as it connects.
                        tls_out(c);
                    }
                    None => c.dead = true,
                }
            }
        }
        Some(idx)
    }

    /// A free connection slot (reused, or a new one at the end).
    fn alloc_slot(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.gens.push(0);
            self.conns.len() - 1
        })
    }

    fn remove(&mut self, idx: usize, service: &mut S) {
        if let Some(mut c) = self.conns.get_mut(idx).and_then(Option::take) {
            let _ = self.poll.registry().deregister(&mut c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            if let Some(r) = c.recorder.take() {
                r.finish();
            }
            self.free.push(idx);
            self.live -= 1;
            if c.lingering {
                self.lingering -= 1;
            }
            let id = ConnId {
                index: idx as u32,
                gen: self.gens[idx],
            };
            service.closed(id, c.session);
        }
    }

    /// Opens the outbound connections the service asks for.
    fn connect_all(&mut self, service: &mut S, now: Instant, to_drive: &mut Vec<usize>) {
        while let Some(addr) = service.poll_connect(now) {
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    let tls = service.outbound_tls();
                    if let Some(idx) = self.insert(service, stream, addr, None, tls, now) {
                        to_drive.push(idx);
                    }
                }
                Err(e) => {
                    // Fails at once (no route, bad address): report through
                    // the same path as a refused connection.
                    if let Some(session) = self.fake_id(service, addr, now) {
                        service.connect_failed(session.0, session.1, e);
                    }
                }
            }
        }
    }

    /// An id and session for a connection that never got a socket.
    fn fake_id(
        &mut self,
        service: &mut S,
        addr: SocketAddr,
        now: Instant,
    ) -> Option<(ConnId, S::Session)> {
        let idx = self.alloc_slot();
        self.gens[idx] = self.gens[idx].wrapping_add(1);
        let id = ConnId {
            index: idx as u32,
            gen: self.gens[idx],
        };
        self.free.push(idx);
        service.open_outbound(id, addr, now).map(|s| (id, s))
    }

    fn fire_timers(&mut self, now: Instant, to_drive: &mut Vec<usize>) {
        while let Some(Reverse((t, idx, gen))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            if self.gens.get(idx) != Some(&gen) {
                continue;
            }
            let Some(Some(c)) = self.conns.get_mut(idx) else {
                continue;
            };
            if c.timer_at != Some(t) {
                continue;
            }
            c.timer_at = None;
            if c.closing.is_some_and(|d| now >= d) {
                c.dead = true;
            } else if c.session.poll_timeout().is_some_and(|d| now >= d) {
                c.session.handle_timeout(now);
            }
            to_drive.push(idx);
        }
    }

    /// Runs one connection as far as it can go. Returns true when it had to
    /// stop for fairness and should be driven again next turn.
    fn drive(&mut self, idx: usize, service: &mut S, now: Instant) -> bool {
        let gen = self.gens[idx];
        let id = ConnId {
            index: idx as u32,
            gen,
        };
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        if c.connecting {
            if !c.writable && !c.hup && !c.dead {
                // Still connecting: only the session's own deadline matters.
                pump(c, service, id, now);
                if c.closing.is_some() {
                    let e = io::Error::new(io::ErrorKind::TimedOut, "connection timed out");
                    return self.fail_connect(idx, service, e);
                }
                self.schedule(idx);
                return false;
            }
            match c.stream.take_error() {
                Ok(None) => match c.stream.peer_addr() {
                    Ok(_) => {
                        c.connecting = false;
                        c.readable = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotConnected && !c.hup => {
                        c.writable = false;
                        return false;
                    }
                    Err(e) => return self.fail_connect(idx, service, e),
                },
                Ok(Some(e)) | Err(e) => return self.fail_connect(idx, service, e),
            }
        }
        if c.lingering {
            // Its linger time is up (the timer marks it dead): a peer that
            // never closes its end must not keep the connection, and what
            // its service holds for it (a maildrop lock), for ever.
            if c.dead {
                self.remove(idx, service);
                return false;
            }
            return self.linger(idx, service);
        }
        let mut reads = 0;
        let mut resumes = 0;
        let mut more = false;
        loop {
            pump(c, service, id, now);
            flush(c);
            if c.dead || c.closing.is_some() {
                break;
            }
            // Everything written: a session holding back pipelined
            // commands (its output budget spent) answers the next ones.
            if c.backlog() == 0 && !c.connecting {
                if resumes == READS_PER_TURN {
                    more = true;
                    break;
                }
                if c.session.resume(now) {
                    resumes += 1;
                    continue;
                }
            }
            if !c.readable || c.eof || !c.session.wants_input() || c.backlog() >= OUT_HIGH_WATER {
                break;
            }
            if reads == READS_PER_TURN {
                more = true;
                break;
            }
            reads += 1;
            match c.stream.read(&mut self.scratch) {
                Ok(0) => {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
                Ok(n) => {
                    if n < self.scratch.len() && !c.hup {
                        // A short read drained the socket; more data will
                        // raise a new edge, so skip the read that would
                        // only say WouldBlock. (Not after a hang-up edge:
                        // the EOF behind the data must still be read.)
                        c.readable = false;
                    }
                    if c.tls.is_some() {
                        tls_in(c, service, id, now, &self.scratch[..n]);
                        continue;
                    }
                    if let Some(r) = c.recorder.as_mut() {
                        if c.outbound {
                            r.server(&self.scratch[..n]);
                        } else {
                            r.client(&self.scratch[..n]);
                        }
                    }
                    c.session.handle_input(now, &self.scratch[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => c.dead = true,
            }
        }
        if let Some(r) = c.recorder.as_mut() {
            r.flush();
        }
        let drained = c.backlog() == 0 && !c.tls_close;
        if c.dead || (c.closing.is_some() && drained && c.eof) {
            self.remove(idx, service);
            return false;
        }
        if c.closing.is_some() && drained {
            // Send our FIN, then swallow what the peer still sends until
            // its FIN: closing with unread input makes the kernel send RST,
            // which can destroy our last reply (a 221 or 421) unread.
            let _ = c.stream.shutdown(Shutdown::Write);
            c.lingering = true;
            self.lingering += 1;
            c.closing = Some(now + LINGER_CLOSE);
            return self.linger(idx, service);
        }
        self.schedule(idx);
        more
    }
}

impl<S: Service> Loop<S> {
    /// Reads and discards a closing connection's input until EOF, an error,
    /// [`LINGER_MAX_BYTES`] or (by timer) [`LINGER_CLOSE`].
    fn linger(&mut self, idx: usize, service: &mut S) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        loop {
            match c.stream.read(&mut self.scratch) {
                Ok(n) if n > 0 && c.discarded + n <= LINGER_MAX_BYTES => c.discarded += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                _ => {
                    self.remove(idx, service);
                    return false;
                }
            }
        }
        self.schedule(idx);
        false
    }

    /// Puts the connection's next deadline in the timer heap, unless an
    /// earlier entry for it is already there.
    fn schedule(&mut self, idx: usize) {
        let gen = self.gens[idx];
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return;
        };
        let deadline = match (c.session.poll_timeout(), c.closing) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(d) = deadline {
            if c.timer_at.is_none_or(|t| d < t) {
                c.timer_at = Some(d);
                self.timers.push(Reverse((d, idx, gen)));
            }
        }
    }

    fn fail_connect(&mut self, idx: usize, service: &mut S, e: io::Error) -> bool {
        if let Some(mut c) = self.conns.get_mut(idx).and_then(Option::take) {
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.free.push(idx);
            self.live -= 1;
            let id = ConnId {
                index: idx as u32,
                gen: self.gens[idx],
            };
            service.connect_failed(id, c.session, e);
        }
        false
    }
}

/// Moves session output into the write buffer and events to the service.
fn pump<S: Service>(c: &mut Conn<S::Session>, service: &mut S, id: ConnId, now: Instant) {
    while let Some(o) = c.session.poll_output() {
        match o {
            Output::Transmit(bytes) => {
                if let Some(r) = c.recorder.as_mut() {
                    if c.outbound {
                        r.client(&bytes);
                    } else {
                        r.server(&bytes);
                    }
                }
                match c.tls.as_mut() {
                    Some(_) => {
                        if c.tls_pending_pos >= c.tls_pending.len() {
                            c.tls_pending = bytes;
                            c.tls_pending_pos = 0;
                        } else {
                            c.tls_pending.extend_from_slice(&bytes);
                        }
                        tls_push(c);
                    }
                    None if c.out.is_empty() => {
                        c.out = bytes;
                        c.out_pos = 0;
                    }
                    None => c.out.extend_from_slice(&bytes),
                }
            }
            Output::Event(e) => service.event(id, &mut c.session, e, now),
            Output::Close => {
                if c.closing.is_none() {
                    c.closing = Some(now + LINGER);
                    if c.tls.is_some() {
                        c.tls_close = true;
                        tls_push(c);
                    }
                }
            }
            Output::StartTls => {
                if c.tls.is_some() {
                    continue;
                }
                match service.start_tls(id, c.outbound) {
                    Some(t) => {
                        c.tls = Some(Box::new(t));
                        tls_out(c);
                    }
                    None => c.dead = true,
                }
            }
        }
    }
}

/// Moves plaintext from `tls_pending` into TLS, a record's worth at a
/// time, while the encrypted output waiting for the socket is under the
/// high-water mark (rustls holds at most 64 KiB itself; a write it cannot
/// take waits here, not dropped). [`flush`] calls it again as the socket
/// drains. Sends close_notify once everything before it is in.
fn tls_push<S>(c: &mut Conn<S>) {
    loop {
        let Some(t) = c.tls.as_mut() else { return };
        if c.tls_pending_pos >= c.tls_pending.len() {
            c.tls_pending = Vec::new();
            c.tls_pending_pos = 0;
            if c.tls_close {
                c.tls_close = false;
                t.send_close_notify();
                tls_out(c);
            }
            return;
        }
        if c.out.len() - c.out_pos >= OUT_HIGH_WATER {
            return;
        }
        let end = c.tls_pending.len().min(c.tls_pending_pos + 16 * 1024);
        match t.writer().write(&c.tls_pending[c.tls_pending_pos..end]) {
            Ok(0) => {
                // rustls is full (or still handshaking): its records go out
                // first; try again when the socket has taken them.
                tls_out(c);
                return;
            }
            Ok(n) => {
                c.tls_pending_pos += n;
                tls_out(c);
            }
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
}

/// Moves TLS records waiting in rustls into the output buffer.
fn tls_out<S>(c: &mut Conn<S>) {
    if let Some(t) = c.tls.as_mut() {
        if c.out_pos >= c.out.len() {
            c.out.clear();
            c.out_pos = 0;
        }
        while t.wants_write() {
            if t.write_tls(&mut c.out).is_err() {
                break;
            }
        }
    }
}

/// Feeds bytes read from the socket through TLS: handshake records are
/// answered, plaintext goes to the session. Reports the handshake's end
/// and failures to the service.
fn tls_in<S: Service>(
    c: &mut Conn<S::Session>,
    service: &mut S,
    id: ConnId,
    now: Instant,
    mut data: &[u8],
) {
    let mut plain = [0u8; 16 * 1024];
    while !data.is_empty() && !c.dead {
        let Some(t) = c.tls.as_mut() else { return };
        let was_handshaking = t.is_handshaking();
        match t.read_tls(&mut data) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => {
                c.dead = true;
                break;
            }
        }
        match t.process_new_packets() {
            Ok(state) => {
                let mut want = state.plaintext_bytes_to_read();
                let peer_closed = state.peer_has_closed();
                if was_handshaking && !t.is_handshaking() {
                    service.tls_ready(id, &mut c.session, t);
                }
                while want > 0 {
                    let n = match c.tls.as_mut().map(|t| t.reader().read(&mut plain)) {
                        Some(Ok(n)) => n,
                        _ => break,
                    };
                    if n == 0 {
                        break;
                    }
                    want = want.saturating_sub(n);
                    if let Some(r) = c.recorder.as_mut() {
                        if c.outbound {
                            r.server(&plain[..n]);
                        } else {
                            r.client(&plain[..n]);
                        }
                    }
                    c.session.handle_input(now, &plain[..n]);
                    // The session may have answered: send it before reading on.
                    pump(c, service, id, now);
                }
                if peer_closed && !c.eof {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
            }
            Err(e) => {
                // Send the alert rustls prepared, then close.
                tls_out(c);
                service.tls_failed(id, &mut c.session, &e);
                // Nothing more can be read: the session learns the peer is gone.
                if !c.eof {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
                pump(c, service, id, now);
                if c.closing.is_none() {
                    c.closing = Some(now + LINGER_CLOSE);
                }
                break;
            }
        }
        tls_out(c);
    }
}

/// Writes buffered output until done or WouldBlock, refilling it from
/// plaintext waiting to go through TLS.
fn flush<S>(c: &mut Conn<S>) {
    tls_push(c);
    while c.writable && c.out_pos < c.out.len() {
        match c.stream.write(&c.out[c.out_pos..]) {
            Ok(0) => {
                c.dead = true;
                return;
            }
            Ok(n) => {
                c.out_pos += n;
                if c.out_pos >= c.out.len() {
                    tls_push(c);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
    if c.out_pos >= c.out.len() && !c.out.is_empty() {
        // Release the buffer: idle connections hold no output memory.
        c.out = Vec::new();
        c.out_pos = 0;
    } else if c.out_pos > 64 * 1024 {
        c.out.drain(..c.out_pos);
        c.out_pos = 0;
    }
}

#[cfg(test)]
mod tests;

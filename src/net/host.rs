//! One service's connections on the loop: a slab of [`Conn`]s whose
//! sessions are that service's type, their timers, and the code that
//! drives a connection as far as it can go. The loop ([`super::runtime`])
//! sees a host only through the object-safe [`Host`], so any number of
//! services of different session types share one loop with no enum of
//! session kinds and no forwarding code.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use super::completer::Inbox;
use super::conn::{flush, output_full, pump, Conn};
use super::limits::{LINGER_CLOSE, LINGER_MAX_BYTES, READS_PER_TURN};
use super::service::{ClientService, ServerService, Service};
use super::tls_io::{tls_in, tls_out};
use super::{Accepted, ConnId, ServiceOpts, StopMode};
use crate::proto::Session;
use crate::transcript::Recorder;

/// Tokens of connections start here; below are listeners and the loop's own.
pub(super) const CONN_BASE: usize = 1 << 20;
/// A token carries the service index above these bits, the slot below.
const SLOT_BITS: u32 = 32;

/// The token of slot `idx` of service `service`.
pub(super) fn token(service: u16, idx: usize) -> Token {
    Token(CONN_BASE + ((service as usize) << SLOT_BITS) + idx)
}

/// The service and slot a connection token stands for.
pub(super) fn untoken(t: Token) -> Option<(usize, usize)> {
    let v = t.0.checked_sub(CONN_BASE)?;
    Some((v >> SLOT_BITS, v & ((1 << SLOT_BITS) - 1)))
}

/// What the loop needs of every turn: the registry to (de)register
/// sockets with, a read buffer, the session counter for recordings.
pub(super) struct Ctx<'r> {
    pub registry: &'r Registry,
    pub scratch: &'r mut [u8],
    pub session_no: &'r mut u64,
    pub now: Instant,
}

/// A service's connections as the loop drives them.
pub(super) trait Host {
    /// For log lines ("smtp").
    fn name(&self) -> &'static str;
    /// Connections open (lingering ones included).
    fn live(&self) -> usize;
    /// Connections that are only lingering after close.
    fn lingering(&self) -> usize;
    /// A socket event for slot `idx`.
    fn ready(&mut self, idx: usize, readable: bool, writable: bool, hup: bool);
    /// A connection accepted on one of this service's listeners.
    fn accept(&mut self, ctx: &mut Ctx, stream: TcpStream, peer: SocketAddr, implicit_tls: bool);
    /// Opens the connections a client service asks for; returns whether
    /// it opened any (they need driving before the loop sleeps).
    fn connect_all(&mut self, ctx: &mut Ctx) -> bool;
    /// Hands the completions that arrived to their sessions.
    fn completions(&mut self, now: Instant);
    /// Handles deadlines that have passed.
    fn fire_timers(&mut self, now: Instant);
    /// The earliest deadline, if any.
    fn next_deadline(&self) -> Option<Instant>;
    /// Drives every connection that has something to do; returns whether
    /// some had to stop for fairness (the loop then does not sleep).
    fn drive_marked(&mut self, ctx: &mut Ctx) -> bool;
    /// The loop is stopping: every session says goodbye (now, or after
    /// its work in progress).
    fn shutdown_all(&mut self, immediate: bool);
    /// Drops every connection (the grace period is over).
    fn remove_all(&mut self, registry: &Registry);
    /// Whether the service wants the loop to stop.
    fn stop_requested(&mut self) -> Option<StopMode>;
    /// When the service wants a turn regardless of events.
    fn poll_wakeup(&self) -> Option<Instant>;
}

/// The part of a host every role shares.
pub(super) struct Slots<'a, S: Service> {
    pub service: &'a mut S,
    inbox: Inbox<S::Completion>,
    pub me: u16,
    pub name: &'static str,
    pub max_connections: usize,
    record_dir: Option<PathBuf>,
    conns: Vec<Option<Conn<S::Session>>>,
    gens: Vec<u32>,
    free: Vec<usize>,
    live: usize,
    lingering: usize,
    timers: BinaryHeap<Reverse<(Instant, usize, u32)>>,
    /// Slots with something to do this turn.
    marked: Vec<usize>,
    /// Slots that stopped for fairness and go on next turn.
    again: Vec<usize>,
    /// What to tell the service when an outbound connect fails (only
    /// client services open connections).
    connect_failed: ConnectFailed<S>,
}

/// Tells a service that one of its connections could not be established.
type ConnectFailed<S> = fn(&mut S, ConnId, <S as Service>::Session, io::Error);

impl<'a, S: Service> Slots<'a, S> {
    pub fn new(
        service: &'a mut S,
        inbox: Inbox<S::Completion>,
        me: u16,
        opts: ServiceOpts,
        connect_failed: ConnectFailed<S>,
    ) -> Self {
        Slots {
            service,
            inbox,
            me,
            name: opts.name,
            max_connections: opts.max_connections,
            record_dir: opts.record_dir,
            conns: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            live: 0,
            lingering: 0,
            timers: BinaryHeap::new(),
            marked: Vec::new(),
            again: Vec::new(),
            connect_failed,
        }
    }

    fn id(&self, idx: usize) -> ConnId {
        ConnId {
            service: self.me,
            index: idx as u32,
            gen: self.gens[idx],
        }
    }

    /// A free slot with a new generation (reused, or a new one at the end).
    fn alloc(&mut self) -> usize {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.gens.push(0);
            self.conns.len() - 1
        });
        self.gens[idx] = self.gens[idx].wrapping_add(1);
        idx
    }

    /// Registers `stream` in slot `idx` around `session`; starts TLS at
    /// once when `tls`.
    fn insert(
        &mut self,
        ctx: &mut Ctx,
        idx: usize,
        mut stream: TcpStream,
        session: S::Session,
        outbound: bool,
        tls: bool,
    ) {
        let id = self.id(idx);
        if let Err(e) = ctx.registry.register(
            &mut stream,
            token(self.me, idx),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            eprintln!("mailkit: {}: cannot register connection: {e}", self.name);
            self.free.push(idx);
            if outbound {
                (self.connect_failed)(self.service, id, session, e);
            } else {
                self.service.closed(id, session);
            }
            return;
        }
        let _ = stream.set_nodelay(true);
        *ctx.session_no += 1;
        let recorder = match &self.record_dir {
            Some(dir) => match Recorder::create(dir, *ctx.session_no) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("mailkit: {}: cannot record session: {e}", self.name);
                    None
                }
            },
            None => self.service.recorder(id),
        };
        let mut c = Conn::new(stream, session, outbound, recorder);
        if tls {
            match self.service.start_tls(id) {
                Some(t) => {
                    c.tls = Some(Box::new(t));
                    // A client's hello goes out as soon as it connects.
                    tls_out(&mut c);
                }
                None => c.dead = true,
            }
        }
        self.conns[idx] = Some(c);
        self.live += 1;
        self.marked.push(idx);
    }

    fn remove(&mut self, idx: usize, registry: &Registry) {
        if let Some(mut c) = self.conns.get_mut(idx).and_then(Option::take) {
            let _ = registry.deregister(&mut c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            if let Some(r) = c.recorder.take() {
                r.finish();
            }
            self.free.push(idx);
            self.live -= 1;
            if c.lingering {
                self.lingering -= 1;
            }
            let id = self.id(idx);
            self.service.closed(id, c.session);
        }
    }

    fn ready(&mut self, idx: usize, readable: bool, writable: bool, hup: bool) {
        if let Some(Some(c)) = self.conns.get_mut(idx) {
            c.readable |= readable;
            c.hup |= hup;
            c.writable |= writable;
            self.marked.push(idx);
        }
    }

    fn completions(&mut self, now: Instant) {
        while let Ok((id, done)) = self.inbox.rx.try_recv() {
            let idx = id.index as usize;
            match self.conns.get_mut(idx) {
                Some(Some(c)) if self.gens.get(idx) == Some(&id.gen) => {
                    self.service.complete(id, &mut c.session, done, now);
                    self.marked.push(idx);
                }
                _ => self.service.orphan(id, done),
            }
        }
    }

    fn fire_timers(&mut self, now: Instant) {
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
            self.marked.push(idx);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _, _))| *t)
    }

    fn shutdown_all(&mut self, immediate: bool) {
        for (idx, c) in self.conns.iter_mut().enumerate() {
            if let Some(c) = c {
                c.session.shutdown(immediate);
                self.marked.push(idx);
            }
        }
    }

    fn remove_all(&mut self, registry: &Registry) {
        for idx in 0..self.conns.len() {
            self.remove(idx, registry);
        }
    }

    fn drive_marked(&mut self, ctx: &mut Ctx) -> bool {
        let mut marked = std::mem::take(&mut self.marked);
        marked.append(&mut self.again);
        marked.sort_unstable();
        marked.dedup();
        for idx in marked.drain(..) {
            if self.drive(ctx, idx) {
                self.again.push(idx);
            }
        }
        self.marked = marked;
        !self.again.is_empty()
    }

    /// Runs one connection as far as it can go. Returns true when it had to
    /// stop for fairness and should be driven again next turn.
    fn drive(&mut self, ctx: &mut Ctx, idx: usize) -> bool {
        let now = ctx.now;
        let id = self.id(idx);
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        if c.connecting {
            if !c.writable && !c.hup && !c.dead {
                // Still connecting: only the session's own deadline matters.
                pump(c, self.service, id, now);
                if c.closing.is_some() {
                    let e = io::Error::new(io::ErrorKind::TimedOut, "connection timed out");
                    return self.fail_connect(idx, ctx.registry, e);
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
                    Err(e) => return self.fail_connect(idx, ctx.registry, e),
                },
                Ok(Some(e)) | Err(e) => return self.fail_connect(idx, ctx.registry, e),
            }
        }
        if c.lingering {
            // Its linger time is up (the timer marks it dead): a peer that
            // never closes its end must not keep the connection, and what
            // its service holds for it (a maildrop lock), for ever.
            if c.dead {
                self.remove(idx, ctx.registry);
                return false;
            }
            return self.linger(idx, ctx);
        }
        let mut reads = 0;
        let mut resumes = 0;
        let mut chunks = 0;
        let mut more = false;
        loop {
            pump(c, self.service, id, now);
            flush(c);
            if c.dead || c.closing.is_some() && c.body.is_none() {
                break;
            }
            // A streaming body: the socket took the last chunk, so pull
            // the next (a bounded number per turn).
            if c.body.is_some() && c.writable && !output_full(c) {
                if chunks == READS_PER_TURN {
                    more = true;
                    break;
                }
                chunks += 1;
                continue;
            }
            // Everything written: a session holding back pipelined
            // commands (its output budget spent) answers the next ones.
            if c.drained() && !c.connecting {
                if resumes == READS_PER_TURN {
                    more = true;
                    break;
                }
                if c.session.resume(now) {
                    resumes += 1;
                    continue;
                }
            }
            if !c.readable || c.eof || !c.session.wants_input() || output_full(c) {
                break;
            }
            if reads == READS_PER_TURN {
                more = true;
                break;
            }
            reads += 1;
            match c.stream.read(ctx.scratch) {
                Ok(0) => {
                    c.eof = true;
                    c.session.handle_eof(now);
                }
                Ok(n) => {
                    if n < ctx.scratch.len() && !c.hup {
                        // A short read drained the socket; more data will
                        // raise a new edge, so skip the read that would
                        // only say WouldBlock. (Not after a hang-up edge:
                        // the EOF behind the data must still be read.)
                        c.readable = false;
                    }
                    if c.tls.is_some() {
                        tls_in(c, self.service, id, now, &ctx.scratch[..n]);
                        continue;
                    }
                    c.record_theirs(&ctx.scratch[..n]);
                    c.session.handle_input(now, &ctx.scratch[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => c.dead = true,
            }
        }
        if let Some(r) = c.recorder.as_mut() {
            r.flush();
        }
        let drained = c.drained() && !c.tls_close;
        if c.dead || (c.closing.is_some() && drained && c.eof) {
            self.remove(idx, ctx.registry);
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
            return self.linger(idx, ctx);
        }
        self.schedule(idx);
        more
    }

    /// Reads and discards a closing connection's input until EOF, an error,
    /// [`LINGER_MAX_BYTES`] or (by timer) [`LINGER_CLOSE`].
    fn linger(&mut self, idx: usize, ctx: &mut Ctx) -> bool {
        let Some(Some(c)) = self.conns.get_mut(idx) else {
            return false;
        };
        loop {
            match c.stream.read(ctx.scratch) {
                Ok(n) if n > 0 && c.discarded + n <= LINGER_MAX_BYTES => c.discarded += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                _ => {
                    self.remove(idx, ctx.registry);
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

    fn fail_connect(&mut self, idx: usize, registry: &Registry, e: io::Error) -> bool {
        if let Some(mut c) = self.conns.get_mut(idx).and_then(Option::take) {
            let _ = registry.deregister(&mut c.stream);
            self.free.push(idx);
            self.live -= 1;
            let id = self.id(idx);
            (self.connect_failed)(self.service, id, c.session, e);
        }
        false
    }
}

/// A server service's host: sessions for accepted connections.
pub(super) struct ServerHost<'a, S: ServerService>(pub Slots<'a, S>);

/// A client service's host: sessions for the connections it opens.
pub(super) struct ClientHost<'a, S: ClientService>(pub Slots<'a, S>);

impl<'a, S: ServerService> ServerHost<'a, S> {
    pub fn new(
        service: &'a mut S,
        inbox: Inbox<S::Completion>,
        me: u16,
        opts: ServiceOpts,
    ) -> Self {
        // A server opens no connections, so none can fail to connect.
        let never = |s: &mut S, id, session, _e| s.closed(id, session);
        ServerHost(Slots::new(service, inbox, me, opts, never))
    }
}

impl<'a, S: ClientService> ClientHost<'a, S> {
    pub fn new(
        service: &'a mut S,
        inbox: Inbox<S::Completion>,
        me: u16,
        opts: ServiceOpts,
    ) -> Self {
        let failed = |s: &mut S, id, session, e| s.connect_failed(id, session, e);
        ClientHost(Slots::new(service, inbox, me, opts, failed))
    }
}

/// The [`Host`] methods every role implements the same way.
macro_rules! shared_host_methods {
    () => {
        fn name(&self) -> &'static str {
            self.0.name
        }
        fn live(&self) -> usize {
            self.0.live
        }
        fn lingering(&self) -> usize {
            self.0.lingering
        }
        fn ready(&mut self, idx: usize, readable: bool, writable: bool, hup: bool) {
            self.0.ready(idx, readable, writable, hup)
        }
        fn completions(&mut self, now: Instant) {
            self.0.completions(now)
        }
        fn fire_timers(&mut self, now: Instant) {
            self.0.fire_timers(now)
        }
        fn next_deadline(&self) -> Option<Instant> {
            self.0.next_deadline()
        }
        fn drive_marked(&mut self, ctx: &mut Ctx) -> bool {
            self.0.drive_marked(ctx)
        }
        fn shutdown_all(&mut self, immediate: bool) {
            self.0.shutdown_all(immediate)
        }
        fn remove_all(&mut self, registry: &Registry) {
            self.0.remove_all(registry)
        }
        fn stop_requested(&mut self) -> Option<StopMode> {
            self.0.service.stop_requested()
        }
        fn poll_wakeup(&self) -> Option<Instant> {
            self.0.service.poll_wakeup()
        }
    };
}

impl<S: ServerService> Host for ServerHost<'_, S> {
    shared_host_methods!();

    fn accept(&mut self, ctx: &mut Ctx, stream: TcpStream, peer: SocketAddr, implicit_tls: bool) {
        let h = &mut self.0;
        if h.live >= h.max_connections {
            let mut s = stream;
            let _ = s.write(h.service.busy_reply());
            return;
        }
        let local = stream.local_addr().unwrap_or(peer);
        let idx = h.alloc();
        let id = h.id(idx);
        let from = Accepted {
            peer,
            local,
            implicit_tls,
        };
        let session = h.service.open(id, from, ctx.now);
        h.insert(ctx, idx, stream, session, false, implicit_tls);
    }

    fn connect_all(&mut self, _ctx: &mut Ctx) -> bool {
        false
    }
}

impl<S: ClientService> Host for ClientHost<'_, S> {
    shared_host_methods!();

    fn accept(&mut self, _: &mut Ctx, _: TcpStream, _: SocketAddr, _: bool) {}

    fn connect_all(&mut self, ctx: &mut Ctx) -> bool {
        let h = &mut self.0;
        let before = h.marked.len();
        while let Some(addr) = h.service.poll_connect(ctx.now) {
            let idx = h.alloc();
            let id = h.id(idx);
            let Some(session) = h.service.open_outbound(id, addr, ctx.now) else {
                h.free.push(idx);
                continue;
            };
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    let tls = h.service.outbound_tls();
                    h.insert(ctx, idx, stream, session, true, tls);
                }
                Err(e) => {
                    // Fails at once (no route, bad address): reported like
                    // a refused connection.
                    h.free.push(idx);
                    h.service.connect_failed(id, session, e);
                }
            }
        }
        h.marked.len() > before
    }
}

/// The pause between attempts when accept fails (out of descriptors).
pub(super) const ACCEPT_RETRY: Duration = Duration::from_millis(100);

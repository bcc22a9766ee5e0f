//! `mailkit serve-smtp`: flags → [`ServerConfig`] → the event loop with an
//! SMTP [`Service`] that stores messages through the writer thread, and,
//! with `--route`/`--relay-to`, queues mail for other domains and relays it
//! (the queue runner's client sessions share the loop).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use crate::cli::ServeSmtp;
use crate::net::tls::{ClientTls, ServerTls};
use crate::net::{Completer, ConnId, LoopConfig, Runtime, Service, StopMode};
use crate::proto::smtp::client::{self, ClientSession};
use crate::proto::smtp::server::{AuthPolicy, Event, ServerConfig, ServerSession};
use crate::proto::smtp::trace::{IdSource, QueueId};
use crate::proto::{Output, Session};
use crate::queue::runner::{Runner, RunnerConfig, SpoolWorker};
use crate::queue::{Entry, NewEntry, Spool};
use crate::store::Users;
use crate::store::{Maildir, WriteJob, Writer};
use crate::util::time::rfc5322;

/// The outcome of storing one message, sent back to the loop.
pub struct Stored {
    result: Result<String, String>,
    id: QueueId,
    from: String,
    to: String,
    size: usize,
    /// The queue entry for its remote recipients, once durable.
    queued: Option<Entry>,
}

/// What the worker threads tell the loop.
pub enum Done {
    /// A message was stored (or not).
    Stored(Stored),
    /// A password was checked (off the loop: Argon2 takes milliseconds).
    Auth {
        /// It matched.
        ok: bool,
        /// The login, for the log line.
        addr: String,
        /// The client, for the log line.
        peer: String,
    },
}

/// A login waiting for its password check: connection, address,
/// password, client.
type Check = (ConnId, String, String, String);

/// Logins that may wait for a password check; more get 454 at once, so a
/// flood of bogus AUTHs cannot queue without bound in front of real ones.
const MAX_PENDING_CHECKS: usize = 32;

/// Threads that check passwords (Argon2 takes milliseconds of CPU each).
const CHECKERS: usize = 2;

/// Starts the threads that check AUTH passwords against the users file,
/// so a slow hash never holds up the loop. The queue in front of them is
/// bounded ([`MAX_PENDING_CHECKS`]).
fn spawn_verifier(
    users: Arc<Users>,
    completer: Completer<Done>,
) -> std::io::Result<std::sync::mpsc::SyncSender<Check>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Check>(MAX_PENDING_CHECKS);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for n in 0..CHECKERS {
        let (users, completer, rx) = (users.clone(), completer.clone(), rx.clone());
        std::thread::Builder::new()
            .name(format!("mailkit-auth-{n}"))
            .spawn(move || loop {
                let next = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok((id, addr, password, peer)) = next else {
                    return;
                };
                let ok = users.verify(&addr, &password);
                completer.complete(id, Done::Auth { ok, addr, peer });
            })?;
    }
    Ok(tx)
}

/// A connection of serve-smtp: a client's session with us, or the queue
/// runner's session with a next hop.
// Inbound sessions are the many: kept inline (no allocation per
// connection); the few outbound ones are boxed.
#[allow(clippy::large_enum_variant)]
pub enum SmtpConn {
    /// Inbound: a client talking to our server session.
    In(ServerSession),
    /// Outbound: relaying queued mail (boxed: few, and bigger than a
    /// server session, which idle connections should not pay for).
    Out(Box<ClientSession>),
}

/// An event of either kind of session.
pub enum SmtpEvent {
    /// From a server session.
    In(Event),
    /// From a relay client session.
    Out(client::Event),
}

fn lift<E>(o: Output<E>, f: impl FnOnce(E) -> SmtpEvent) -> Output<SmtpEvent> {
    match o {
        Output::Transmit(b) => Output::Transmit(b),
        Output::Event(e) => Output::Event(f(e)),
        Output::Close => Output::Close,
        Output::StartTls => Output::StartTls,
    }
}

impl Session for SmtpConn {
    type Event = SmtpEvent;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        match self {
            SmtpConn::In(s) => s.handle_input(now, bytes),
            SmtpConn::Out(s) => s.handle_input(now, bytes),
        }
    }
    fn handle_eof(&mut self, now: Instant) {
        match self {
            SmtpConn::In(s) => s.handle_eof(now),
            SmtpConn::Out(s) => s.handle_eof(now),
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        match self {
            SmtpConn::In(s) => s.handle_timeout(now),
            SmtpConn::Out(s) => s.handle_timeout(now),
        }
    }
    fn poll_output(&mut self) -> Option<Output<SmtpEvent>> {
        match self {
            SmtpConn::In(s) => s.poll_output().map(|o| lift(o, SmtpEvent::In)),
            SmtpConn::Out(s) => s.poll_output().map(|o| lift(o, SmtpEvent::Out)),
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            SmtpConn::In(s) => s.poll_timeout(),
            SmtpConn::Out(s) => s.poll_timeout(),
        }
    }
    fn wants_input(&self) -> bool {
        match self {
            SmtpConn::In(s) => s.wants_input(),
            SmtpConn::Out(s) => s.wants_input(),
        }
    }
    fn resume(&mut self, now: Instant) -> bool {
        match self {
            SmtpConn::In(s) => Session::resume(s, now),
            SmtpConn::Out(_) => false,
        }
    }
    fn shutdown(&mut self, immediate: bool) {
        match self {
            SmtpConn::In(s) => s.shutdown(immediate),
            SmtpConn::Out(s) => Session::shutdown(s.as_mut(), immediate),
        }
    }
}

/// SMTP on the event loop: makes sessions, stores their messages.
struct SmtpService {
    cfg: Arc<ServerConfig>,
    writer: Writer,
    completer: Completer<Done>,
    /// Requests to the password checker: (connection, address, password, peer).
    verifier: Option<std::sync::mpsc::SyncSender<Check>>,
    accepted: u64,
    exit_after: Option<u64>,
    stop_sent: bool,
    quiet: bool,
    busy: Vec<u8>,
    tls: Option<ServerTls>,
    users: Option<Users>,
    domains: Vec<String>,
    peers: std::collections::HashMap<ConnId, SocketAddr>,
    /// The queue and its runner, when relaying is configured.
    runner: Option<Runner>,
    /// A worker for queue writes (a clone of the runner's).
    spool: Option<SpoolWorker>,
    /// When the flush request file was last looked for.
    flush_checked: Instant,
}

impl SmtpService {
    /// Stores the runner's bounces for local senders.
    fn do_todo(&mut self) {
        let Some(r) = self.runner.as_mut() else {
            return;
        };
        for b in r.take_todo() {
            let Some(mailbox) = crate::store::mailbox_name(&b.rcpt) else {
                continue;
            };
            self.writer.submit(WriteJob {
                mailboxes: vec![mailbox],
                header: b"Return-Path: <>\n".to_vec(),
                body: b.data,
                done: Box::new(|r| {
                    if let Err(e) = r {
                        eprintln!("mailkit: queue: cannot store a bounce: {e}");
                    }
                }),
            });
        }
    }
}

impl Service for SmtpService {
    type Session = SmtpConn;
    type Completion = Done;

    fn open(&mut self, id: ConnId, from: crate::net::Accepted, now: Instant) -> SmtpConn {
        let peer = from.peer;
        let mut s = ServerSession::new(self.cfg.clone(), Some(peer), now);
        if from.implicit_tls {
            s.set_secure();
        }
        self.peers.insert(id, peer);
        SmtpConn::In(s)
    }

    fn closed(&mut self, id: ConnId, session: SmtpConn) {
        self.peers.remove(&id);
        if let (SmtpConn::Out(_), Some(r)) = (session, self.runner.as_mut()) {
            r.closed(id, "the connection closed");
            self.do_todo();
        }
    }

    fn poll_connect(&mut self, now: Instant) -> Option<SocketAddr> {
        let r = self.runner.as_mut()?;
        if now.duration_since(self.flush_checked) >= Duration::from_secs(1) {
            self.flush_checked = now;
            if r.worker().spool().take_flush() {
                eprintln!("mailkit: queue: flush requested");
                r.flush();
            }
        }
        let addr = r.poll_connect();
        self.do_todo();
        addr
    }

    fn open_outbound(&mut self, id: ConnId, _addr: SocketAddr, now: Instant) -> Option<SmtpConn> {
        self.runner
            .as_mut()?
            .open(id, now)
            .map(|s| SmtpConn::Out(Box::new(s)))
    }

    fn connect_failed(&mut self, id: ConnId, _s: SmtpConn, error: std::io::Error) {
        if let Some(r) = self.runner.as_mut() {
            r.connect_failed(id, &format!("cannot connect: {error}"));
        }
        self.do_todo();
    }

    fn poll_wakeup(&self) -> Option<Instant> {
        let r = self.runner.as_ref()?;
        let now = Instant::now();
        let second = now + Duration::from_secs(1);
        Some(r.next_wakeup(now).map_or(second, |t| t.min(second)))
    }

    fn start_tls(&mut self, id: ConnId, outbound: bool) -> Option<rustls::Connection> {
        if !outbound {
            return self.tls.as_ref()?.accept();
        }
        // Opportunistic TLS to the next hop (RFC 3207 §4): encrypted, the
        // certificate not checked, as MTAs do without DANE or MTA-STS.
        let host = self.runner.as_ref()?.hop_of(id)?.to_owned();
        let name = crate::net::tls::server_name(&super::common::server_host(&host))
            .or_else(|_| crate::net::tls::server_name("localhost"))
            .ok()?;
        let config = crate::net::tls::client_config(&crate::net::tls::Verify::Insecure).ok()?;
        ClientTls { config, name }.connect()
    }

    fn tls_failed(&mut self, id: ConnId, _s: &mut SmtpConn, error: &rustls::Error) {
        if !self.quiet {
            let peer = self
                .peers
                .get(&id)
                .map(|p| p.to_string())
                .unwrap_or_default();
            eprintln!("mailkit: smtp: TLS with {peer} failed: {error}");
        }
    }

    fn event(&mut self, id: ConnId, session: &mut SmtpConn, event: SmtpEvent, now: Instant) {
        let (session, event) = match (session, event) {
            (SmtpConn::In(s), SmtpEvent::In(e)) => (s, e),
            (SmtpConn::Out(_), SmtpEvent::Out(e)) => {
                if let Some(r) = self.runner.as_mut() {
                    r.event(id, e);
                }
                self.do_todo();
                return;
            }
            _ => return,
        };
        let tx = match event {
            Event::Message(tx) => tx,
            Event::Authenticate { user, password } => {
                let addr = super::common::login_address(&user, &self.domains);
                let peer = self
                    .peers
                    .get(&id)
                    .map(|p| p.ip().to_string())
                    .unwrap_or_default();
                match self
                    .verifier
                    .as_ref()
                    .map(|v| v.try_send((id, addr.clone(), password, peer.clone())))
                {
                    Some(Ok(())) => {}
                    Some(Err(std::sync::mpsc::TrySendError::Full(_))) => {
                        eprintln!("mailkit: smtp: too many logins in progress; 454 to {addr:?} from {peer}");
                        session.auth_unavailable();
                    }
                    _ => {
                        eprintln!("mailkit: smtp: authentication failed for {addr:?} from {peer}");
                        session.authenticated(false, now);
                    }
                }
                return;
            }
        };
        let tx = *tx;
        let from = tx.from.clone().unwrap_or_default();
        let received = tx.trace.received(&rfc5322(SystemTime::now()));
        let mut header = format!("Return-Path: <{from}>\n").into_bytes();
        header.extend_from_slice(received.as_bytes());
        let completer = self.completer.clone();
        let conn = id;
        let info = (tx.id, from.clone(), tx.recipients.join(","), tx.data.len());
        // Remote recipients: the message with our Received field, queued
        // durably (on the queue thread) before the 250.
        let relay = match (&self.spool, tx.remote.is_empty()) {
            (Some(w), false) => {
                let mut data = received.into_bytes();
                data.extend_from_slice(&tx.data);
                Some((
                    w.clone(),
                    NewEntry {
                        // One id from the 250 to the log to `mailkit queue`.
                        id: Some(tx.id.to_string()),
                        from: tx.from.clone(),
                        rcpts: tx.remote.clone(),
                        data,
                    },
                ))
            }
            _ => None,
        };
        // The message's share of --max-memory goes back when it is stored
        // (or has failed), with the last copy of its bytes.
        let held = tx.held;
        let finish = move |result: Result<String, String>, queued: Option<Entry>| {
            drop(held);
            let (id, from, to, size) = info;
            completer.complete(
                conn,
                Done::Stored(Stored {
                    result,
                    id,
                    from,
                    to,
                    size,
                    queued,
                }),
            );
        };
        let queue_then = move |local: Result<String, String>| match (local, relay) {
            (Err(e), _) => finish(Err(e), None),
            (Ok(l), None) => finish(Ok(l), None),
            (Ok(_), Some((worker, item))) => worker.enqueue(
                item,
                Box::new(move |r: Result<Entry, String>| match r {
                    Ok(e) => finish(Ok(e.id.clone()), Some(e)),
                    Err(e) => finish(Err(e), None),
                }),
            ),
        };
        if tx.mailboxes.is_empty() {
            queue_then(Ok(String::new()));
        } else {
            self.writer.submit(WriteJob {
                mailboxes: tx.mailboxes,
                header,
                body: tx.data,
                done: Box::new(queue_then),
            });
        }
    }

    fn complete(&mut self, session: &mut SmtpConn, done: Done, now: Instant) {
        let SmtpConn::In(session) = session else {
            return;
        };
        let s = match done {
            Done::Stored(s) => s,
            Done::Auth { ok, addr, peer } => {
                if !ok {
                    eprintln!("mailkit: smtp: authentication failed for {addr:?} from {peer}");
                }
                session.authenticated(ok, now);
                return;
            }
        };
        if let (Some(e), Some(r)) = (s.queued.clone(), self.runner.as_mut()) {
            eprintln!(
                "mailkit: queue: {} queued for {}",
                e.id,
                e.rcpts
                    .iter()
                    .map(|r| format!("<{}>", r.addr))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            r.add(e);
        }
        match &s.result {
            Ok(_) => {
                self.accepted += 1;
                if !self.quiet {
                    eprintln!(
                        "mailkit: smtp: accepted {} from=<{}> to=<{}> size={}",
                        s.id, s.from, s.to, s.size
                    );
                }
            }
            Err(e) => eprintln!(
                "mailkit: smtp: could not store message from=<{}>: {e}",
                s.from
            ),
        }
        session.delivered(s.result.map(|_| ()));
    }

    fn busy_reply(&self) -> &[u8] {
        &self.busy
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        match self.exit_after {
            Some(n) if !self.stop_sent && self.accepted >= n => {
                self.stop_sent = true;
                Some(StopMode::Drain)
            }
            _ => None,
        }
    }
}

/// Runs the SMTP server until it is stopped.
pub fn run(args: ServeSmtp) -> anyhow::Result<()> {
    if args.max_message_size > args.max_memory {
        bail!(
            "--max-message-size {} is more than --max-memory {}: no message that large could be received; raise --max-memory or lower --max-message-size",
            args.max_message_size,
            args.max_memory
        );
    }
    let common = super::common::settings(
        args.hostname.as_deref(),
        &args.domains,
        args.users.as_deref(),
        args.record.as_ref(),
    )?;
    let (hostname, domains, users) = (common.hostname, common.domains, common.users);
    let maildir = Maildir::open(&args.maildir, &hostname)
        .with_context(|| format!("cannot use --maildir {}", args.maildir.display()))?;
    let tls = super::common::server_tls(&args.tls, &hostname, "smtp")?;
    let super::common::Bound {
        listeners,
        implicit_tls,
        asked: everywhere,
    } = super::common::bind_all(&args.listen, &args.tls.tls_listen)?;

    let mut routes = crate::queue::route::Routes::default();
    for r in &args.routes {
        routes.add(r).map_err(anyhow::Error::msg)?;
    }
    routes.smarthost = args.relay_to.clone();
    // Relaying by MX (RFC 5321 §5.1) where clients can relay at all:
    // authenticated ones (--users) or --relay-from networks.
    routes.mx = routes.smarthost.is_none()
        && !domains.is_empty()
        && (users.is_some() || !args.relay_from.is_empty());
    let relay_from = args
        .relay_from
        .iter()
        .map(|c| {
            crate::queue::route::Cidr::parse(c).map_err(|e| anyhow::anyhow!("--relay-from {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if (!routes.routes.is_empty() || routes.smarthost.is_some()) && domains.is_empty() {
        anyhow::bail!(
            "relaying needs --domain (mail for the local domains is stored, the rest relayed)"
        );
    }
    // Held until the server exits (see below).
    let mut _queue_lock = None;
    let runner = if routes.is_empty() {
        None
    } else {
        let dir = args
            .queue
            .clone()
            .unwrap_or_else(|| args.maildir.join(".queue"));
        let spool = Arc::new(
            Spool::open(&dir).with_context(|| format!("cannot use --queue {}", dir.display()))?,
        );
        // One server per queue (two would deliver every entry twice); the
        // lock lives as long as the process.
        let lock = spool.lock().map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => anyhow::anyhow!(
                "the queue {} is in use by another serve-smtp; give each server its own --queue",
                dir.display()
            ),
            _ => anyhow::anyhow!("cannot lock the queue {}: {e}", dir.display()),
        })?;
        _queue_lock = Some(lock);
        // The queue is ours now: leftovers of a crash in its tmp/ were
        // never acknowledged.
        let _ = spool.clean_tmp();
        let (entries, aside) = spool
            .load()
            .with_context(|| format!("cannot read the queue {}", dir.display()))?;
        for a in aside {
            eprintln!(
                "mailkit: queue: set aside {} (unreadable: {}), see {}/corrupt",
                a.id,
                a.why,
                dir.display()
            );
        }
        if !entries.is_empty() {
            eprintln!(
                "mailkit: queue: {} queued messages from before, retrying",
                entries.len()
            );
        }
        let auth = match &args.relay_auth {
            Some(a) => {
                let (user, password) = a
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("--relay-auth wants USER:PASS"))?;
                Some(client::AuthConfig {
                    user: user.to_owned(),
                    password: password.to_owned(),
                    mechanism: None,
                })
            }
            None => None,
        };
        let worker = SpoolWorker::spawn(spool).context("cannot start the queue thread")?;
        Some(
            Runner::new(
                RunnerConfig {
                    hostname: hostname.clone(),
                    routes: routes.clone(),
                    auth,
                    retry_base: Duration::from_secs(args.retry_base),
                    max_age: Duration::from_secs(args.max_queue_age),
                    delay_warning: Duration::from_secs(args.delay_warning),
                    max_outbound: args.max_outbound as usize,
                    timeout: Duration::from_secs(args.timeout.min(300)),
                    quiet: args.quiet,
                    local_domains: domains.clone(),
                },
                worker,
                entries,
            )
            .with_resolver(crate::queue::dns::Resolver {
                server: args
                    .resolver
                    .unwrap_or_else(crate::queue::dns::system_server),
                timeout: Duration::from_secs(5),
                smtp_port: args.mx_port,
            })
            .context("cannot start the DNS resolver thread")?,
        )
    };

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(1);
    let cfg = Arc::new(ServerConfig {
        hostname: hostname.clone(),
        max_message_size: args.max_message_size,
        max_recipients: args.max_recipients as usize,
        timeout: Duration::from_secs(args.timeout),
        max_session_time: Duration::from_secs(args.max_session_time),
        local_domains: (!domains.is_empty())
            .then(|| domains.iter().cloned().collect::<HashSet<_>>()),
        users: users.as_ref().map(|u| u.addresses().cloned().collect()),
        ids: Arc::new(IdSource::new(seed)),
        starttls: tls.is_some(),
        require_tls: args.tls.require_tls,
        auth: if users.is_some() {
            AuthPolicy::Users
        } else {
            AuthPolicy::Any
        },
        auth_without_tls: super::common::clear_logins_ok(
            &args.tls,
            tls.is_some(),
            users.is_some(),
            &everywhere,
        ),
        max_auth_failures: args.max_auth_failures,
        auth_delay: Duration::from_millis(args.auth_delay_ms),
        routes: routes.clone(),
        relay_from,
        memory: crate::util::budget::MemoryBudget::new(args.max_memory),
        max_hops: usize::try_from(args.max_hops).unwrap_or(usize::MAX),
        output_budget: crate::proto::OUTPUT_BUDGET,
    });

    let rt = Runtime::new().context("cannot start the event loop")?;
    let writer = Writer::spawn(maildir).context("cannot start the store writer thread")?;
    let service = SmtpService {
        cfg,
        writer,
        completer: rt.completer(),
        verifier: match &users {
            Some(u) => Some(
                spawn_verifier(Arc::new(u.clone()), rt.completer())
                    .context("cannot start the password checker thread")?,
            ),
            None => None,
        },
        accepted: 0,
        exit_after: args.exit_after,
        stop_sent: false,
        quiet: args.quiet,
        busy: format!("421 4.7.0 {hostname} Error: too many connections; try again later\r\n")
            .into_bytes(),
        tls,
        users,
        domains: domains.clone(),
        peers: Default::default(),
        spool: runner.as_ref().map(|r| r.worker().clone()),
        runner,
        flush_checked: Instant::now(),
    };

    if domains.is_empty() {
        eprintln!(
            "mailkit: smtp: catch-all mode: every domain is local (use --domain to restrict)"
        );
    }
    let mut warn = vec![if domains.is_empty() {
        "it accepts mail for every domain (--domain restricts it)"
    } else {
        "anyone can send to the local domains"
    }];
    if service.tls.is_none() {
        warn.push("without TLS, mail and passwords cross the network in clear text (--tls-cert/--tls-key or --tls-self-signed)");
    }
    if service.users.is_none() {
        warn.push("without --users any AUTH login is accepted");
    }
    let warn = warn.join("; ");
    super::common::announce("smtp", &listeners, Some(&warn))?;
    if let Some(n) = args.exit_after {
        if n == 0 {
            return Ok(());
        }
    }
    let loop_cfg = LoopConfig {
        max_connections: args.max_connections as usize,
        record_dir: args.record.clone(),
        grace: Duration::from_secs(args.shutdown_grace),
        name: "smtp",
        implicit_tls,
    };
    rt.run(service, listeners, loop_cfg)
        .context("the event loop failed")?;
    eprintln!("mailkit: smtp: stopped");
    Ok(())
}

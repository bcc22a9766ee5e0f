//! The relay queue on the loop: the queue runner's outbound SMTP sessions
//! as a client service beside the SMTP server. The server hands it each
//! entry it has made durable ([`RelayService::intake`]); the runner's
//! bounces for local senders go into the store through the writer.
//! [`Outbox`] lets other services of the process queue a message too.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::net::{ClientService, ConnId, Service};
use crate::proto::smtp::client::{ClientSession, Event};
use crate::proto::smtp::trace::{IdSource, Trace};
use crate::queue::runner::{Clock, Runner};
use crate::queue::worker::SpoolWorker;
use crate::queue::{Entry, NewEntry};
use crate::store::{mailbox_name, WriteJob, Writer};
use crate::util::time::rfc5322;

/// Where the SMTP server sends entries it queued, for the relay to try.
pub type Intake = mpsc::Sender<Entry>;

/// The queue runner as a client service.
pub struct RelayService {
    runner: Runner,
    writer: Arc<Writer>,
    intake: mpsc::Receiver<Entry>,
}

impl RelayService {
    /// The service around `runner`, and the sender the SMTP server uses to
    /// hand it new entries.
    pub fn new(runner: Runner, writer: Arc<Writer>) -> (RelayService, Intake) {
        let (tx, rx) = mpsc::channel();
        let service = RelayService {
            runner,
            writer,
            intake: rx,
        };
        (service, tx)
    }

    /// Stores the runner's bounces for local senders.
    fn store_bounces(&mut self) {
        for b in self.runner.take_todo() {
            store_report(
                &self.writer,
                &b.rcpt,
                b.data,
                "queue: cannot store a bounce",
            );
        }
    }
}

/// Stores a report from the null sender (a bounce, a delay warning, a
/// success report) in the mailbox of local address `rcpt`; `what` starts
/// the log line when it cannot be stored.
pub fn store_report(writer: &Writer, rcpt: &str, data: Vec<u8>, what: &'static str) {
    let Some(mailbox) = mailbox_name(rcpt) else {
        return;
    };
    let rcpt = rcpt.to_owned();
    writer.submit(WriteJob {
        mailboxes: vec![mailbox],
        header: b"Return-Path: <>\n".to_vec(),
        body: data,
        done: Box::new(move |r| {
            if let Err(e) = r {
                eprintln!("mailkit: {what} for <{rcpt}>: {e}");
            }
        }),
    });
}

impl ClientService for RelayService {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        let clock = Clock::now();
        while let Ok(e) = self.intake.try_recv() {
            self.runner.add(e, clock);
        }
        if self.runner.flush_requested() {
            eprintln!("mailkit: queue: flush requested");
            self.runner.flush(clock);
        }
        let addr = self.runner.poll_connect(clock);
        self.store_bounces();
        addr
    }

    fn open_outbound(
        &mut self,
        id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<ClientSession> {
        self.runner.open(id, now)
    }

    fn connect_failed(&mut self, id: ConnId, _s: ClientSession, error: std::io::Error) {
        self.runner
            .connect_failed(id, &format!("cannot connect: {error}"), Clock::now());
        self.store_bounces();
    }
}

impl Service for RelayService {
    type Session = ClientSession;
    type Completion = ();

    fn event(&mut self, id: ConnId, _s: &mut ClientSession, e: Event, _now: Instant) {
        self.runner.event(id, e, Clock::now());
        self.store_bounces();
    }

    fn closed(&mut self, id: ConnId, _s: ClientSession) {
        self.runner
            .closed(id, "the connection closed", Clock::now());
        self.store_bounces();
    }

    fn poll_wakeup(&self) -> Option<Instant> {
        // Only the runner's own times: entries the server queued come with
        // the completion that woke the loop, and the loader (answers and
        // flush requests) and the resolver wake it themselves.
        self.runner.next_wakeup(Clock::now())
    }

    fn start_tls(&mut self, id: ConnId) -> Option<rustls::Connection> {
        // Opportunistic TLS to the next hop (RFC 3207 §4): encrypted, the
        // certificate not checked, as MTAs do without DANE or MTA-STS.
        let host = self.runner.hop_of(id)?.to_owned();
        let name = crate::net::tls::server_name(&crate::util::server_host(&host))
            .or_else(|_| crate::net::tls::server_name("localhost"))
            .ok()?;
        let config = crate::net::tls::client_config(&crate::net::tls::Verify::Insecure).ok()?;
        crate::net::tls::ClientTls { config, name }.connect()
    }
}

/// Why a message could not be put into the outgoing queue by [`Outbox`].
#[derive(Debug)]
pub enum OutboxError {
    /// A recipient is in a local domain: it would be stored here, not sent on.
    Local(String),
    /// No route and no smarthost reaches the recipient's domain.
    NoRoute(String),
    /// The queue could not take it.
    Queue(std::io::Error),
}

impl std::fmt::Display for OutboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboxError::Local(r) => write!(
                f,
                "{r} is in a local domain of this server: releasing sends a message on to another server"
            ),
            OutboxError::NoRoute(r) => write!(
                f,
                "no next hop for {r}: give --relay-to HOST:PORT, or --route DOMAIN=HOST:PORT for its domain"
            ),
            OutboxError::Queue(e) => write!(f, "cannot queue the message: {e}"),
        }
    }
}

impl std::error::Error for OutboxError {}

/// The outgoing queue as other services of the process see it (the web
/// API's release, Mailpit's `POST /api/v1/message/{ID}/release`): a
/// message is queued durably with a `Received:` field of its own, then
/// handed to the relay, as the SMTP server does with mail it relays.
#[derive(Clone)]
pub struct Outbox {
    /// The queue's writer thread.
    pub worker: SpoolWorker,
    /// The relay's intake.
    pub intake: Intake,
    /// Wakes the loop so the relay takes the entry at once.
    pub wake: crate::queue::loader::Wake,
    /// Where each domain's mail goes.
    pub routes: crate::queue::route::Routes,
    /// The local domains (lowercase), which are not sent on.
    pub local_domains: Vec<String>,
    /// Our host name, for the `Received:` field.
    pub hostname: String,
    /// Queue ids, shared with the SMTP server so none repeats.
    pub ids: Arc<IdSource>,
}

impl Outbox {
    /// Queues `message` (a stored message, LF line ends) for `rcpts`
    /// from `from` (`None`: the null sender), durably, and hands it to the
    /// relay. `client` is who asked, for the `Received:` field. Blocks
    /// until the queue has it; returns its queue id.
    pub fn send(
        &self,
        from: Option<String>,
        rcpts: Vec<String>,
        message: &[u8],
        client: Option<std::net::IpAddr>,
    ) -> Result<String, OutboxError> {
        for r in &rcpts {
            let domain = r.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            let domain = domain.to_ascii_lowercase();
            if self.local_domains.contains(&domain) {
                return Err(OutboxError::Local(r.clone()));
            }
            if self.routes.next_hop(&domain).is_none() {
                return Err(OutboxError::NoRoute(r.clone()));
            }
        }
        let id = self.ids.next_id();
        // RFC 5321 §4.4: the sending host adds a Received field; the
        // Return-Path of the final delivery here does not travel on.
        let trace = Trace {
            helo: match client {
                Some(std::net::IpAddr::V4(a)) => format!("[{a}]"),
                Some(std::net::IpAddr::V6(a)) => format!("[IPv6:{a}]"),
                None => "localhost".into(),
            },
            peer: None,
            by: self.hostname.clone(),
            protocol: "HTTP",
            id,
            for_rcpt: (rcpts.len() == 1).then(|| rcpts[0].clone()),
        };
        let mut data = trace.received(&rfc5322(SystemTime::now())).into_bytes();
        data.extend_from_slice(&without_return_path(message));
        let (tx, rx) = mpsc::channel();
        self.worker.enqueue(
            NewEntry {
                id: Some(id.to_string()),
                from,
                rcpts,
                data,
                ..Default::default()
            },
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        let entry = rx
            .recv()
            .map_err(|_| OutboxError::Queue(std::io::Error::other("the queue thread has stopped")))?
            .map_err(OutboxError::Queue)?;
        eprintln!(
            "mailkit: queue: {} queued for {} (released over HTTP)",
            entry.id,
            entry
                .rcpts
                .iter()
                .map(|r| format!("<{}>", r.addr))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let queued = entry.id.clone();
        let _ = self.intake.send(entry);
        (self.wake)();
        Ok(queued)
    }
}

impl Outbox {
    /// Queues a report from the null sender to `rcpt` (a success report
    /// for a sender elsewhere) without waiting: durably on the queue
    /// thread, then handed to the relay; a failure is logged.
    pub fn post_report(&self, rcpt: String, data: Vec<u8>) {
        let (intake, wake) = (self.intake.clone(), self.wake.clone());
        self.worker.enqueue(
            NewEntry {
                id: None,
                from: None,
                rcpts: vec![rcpt.clone()],
                data,
                ..Default::default()
            },
            Box::new(move |r: std::io::Result<Entry>| match r {
                Ok(e) => {
                    let _ = intake.send(e);
                    wake();
                }
                Err(e) => eprintln!("mailkit: queue: cannot queue a report to <{rcpt}>: {e}"),
            }),
        );
    }
}

/// The message without its `Return-Path:` fields (header section only).
pub fn without_return_path(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    let mut rest = message;
    let mut dropping = false;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        rest = &rest[end..];
        if line == b"\n" || line == b"\r\n" {
            out.extend_from_slice(line);
            out.extend_from_slice(rest);
            return out;
        }
        let continuation = line.first().is_some_and(|c| *c == b' ' || *c == b'\t');
        if !continuation {
            dropping = line.len() >= 12 && line[..12].eq_ignore_ascii_case(b"return-path:");
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out
}

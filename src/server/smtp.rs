//! The SMTP server's service: sessions for accepted connections, each
//! message made durable (local mailboxes through the writer's group
//! commit, remote recipients into the relay queue) before the session
//! says 250, AUTH passwords checked on the worker pool.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::net::pool::{Pool, Refused};
use crate::net::tls::ServerTls;
use crate::net::{Accepted, Completer, ConnId, ServerService, Service, StopMode};
use crate::proto::smtp::server::{Event, ServerConfig, ServerSession};
use crate::proto::smtp::trace::QueueId;
use crate::queue::worker::SpoolWorker;
use crate::queue::{Entry, NewEntry};
use crate::store::users::login_address;
use crate::store::{StoreError, Users, WriteJob, Writer};
use crate::util::time::rfc5322;

use super::relay::Intake;

/// Why a message was not stored (the client gets a 451 and tries again).
#[derive(Debug)]
enum NotStored {
    /// A local mailbox's Maildir could not take it.
    Maildir(StoreError),
    /// The relay queue could not take it.
    Queue(std::io::Error),
}

impl std::fmt::Display for NotStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotStored::Maildir(e) => e.fmt(f),
            NotStored::Queue(e) => write!(f, "cannot queue: {e}"),
        }
    }
}

/// The outcome of storing one message, sent back to the loop.
pub struct Stored {
    result: Result<(), NotStored>,
    id: QueueId,
    from: String,
    to: String,
    size: usize,
    /// The queue entry for its remote recipients, once durable.
    queued: Option<Entry>,
    /// The report of delivery its sender asked for (NOTIFY=SUCCESS on
    /// local recipients, RFC 3461), sent once it is stored.
    report: Option<SuccessReport>,
}

/// What a success report says: who asked, about whom, the original's
/// header.
struct SuccessReport {
    sender: String,
    rcpts: Vec<(String, Option<(String, String)>)>,
    envid: Option<String>,
    header: Vec<u8>,
}

/// What the worker threads tell the loop.
pub enum Done {
    /// A message was stored (or not).
    Stored(Box<Stored>),
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

/// What the SMTP service needs besides the session settings.
pub struct SmtpSettings {
    /// The sessions' settings.
    pub session: Arc<ServerConfig>,
    /// The users file, for AUTH (none: any login is taken).
    pub users: Option<Arc<Users>>,
    /// Local domains (a bare login name is qualified with the one domain).
    pub domains: Vec<String>,
    /// The certificate for STARTTLS and implicit TLS.
    pub tls: Option<ServerTls>,
    /// Stop after this many accepted messages (`--exit-after`).
    pub exit_after: Option<u64>,
    /// No log line per message.
    pub quiet: bool,
    /// The outgoing queue, for success reports to senders elsewhere.
    pub outbox: Option<super::relay::Outbox>,
}

/// SMTP on the event loop: makes sessions, stores their messages.
pub struct SmtpService {
    settings: SmtpSettings,
    writer: Arc<Writer>,
    completer: Completer<Done>,
    pool: Pool,
    /// The relay queue, when relaying is configured: its spool (entries
    /// are written there before the 250) and the relay that sends them.
    relay: Option<(SpoolWorker, Intake)>,
    accepted: u64,
    stop_sent: bool,
    busy: Vec<u8>,
    peers: HashMap<ConnId, SocketAddr>,
}

impl SmtpService {
    /// The service. `completer` is the one whose inbox goes to the loop
    /// with it; `pool` checks passwords; `relay` takes mail for other
    /// domains.
    pub fn new(
        settings: SmtpSettings,
        writer: Arc<Writer>,
        completer: Completer<Done>,
        pool: Pool,
        relay: Option<(SpoolWorker, Intake)>,
    ) -> SmtpService {
        let busy = format!(
            "421 4.7.0 {} Error: too many connections; try again later\r\n",
            settings.session.hostname
        )
        .into_bytes();
        SmtpService {
            settings,
            writer,
            completer,
            pool,
            relay,
            accepted: 0,
            stop_sent: false,
            busy,
            peers: HashMap::new(),
        }
    }

    /// Messages accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    fn peer(&self, id: ConnId) -> String {
        self.peers
            .get(&id)
            .map(|p| p.ip().to_string())
            .unwrap_or_default()
    }

    /// AUTH: the password is checked on the pool; a full pool is 454.
    fn authenticate(
        &mut self,
        id: ConnId,
        session: &mut ServerSession,
        user: &str,
        password: String,
        now: Instant,
    ) {
        let addr = login_address(user, &self.settings.domains);
        let peer = self.peer(id);
        let Some(users) = self.settings.users.clone() else {
            eprintln!("mailkit: smtp: authentication failed for {addr:?} from {peer}");
            session.authenticated(false, now);
            return;
        };
        let completer = self.completer.clone();
        let (a, p) = (addr.clone(), peer.clone());
        let job = move || {
            let ok = users.verify(&a, &password);
            completer.complete(
                id,
                Done::Auth {
                    ok,
                    addr: a,
                    peer: p,
                },
            );
        };
        match self.pool.try_run(job) {
            Ok(()) => {}
            Err(Refused::Busy) => {
                eprintln!(
                    "mailkit: smtp: too many logins in progress; 454 to {addr:?} from {peer}"
                );
                session.auth_unavailable();
            }
            Err(Refused::Stopped) => {
                eprintln!("mailkit: smtp: authentication failed for {addr:?} from {peer}");
                session.authenticated(false, now);
            }
        }
    }

    /// A message: stored in the local mailboxes, queued for the remote
    /// recipients, then answered through the completer.
    fn store(&mut self, id: ConnId, tx: crate::proto::smtp::server::Transaction) {
        let from = tx.from.clone().unwrap_or_default();
        let received = tx.trace.received(&rfc5322(SystemTime::now()));
        let mut header = format!("Return-Path: <{from}>\n").into_bytes();
        header.extend_from_slice(received.as_bytes());
        let completer = self.completer.clone();
        // NOTIFY=SUCCESS on recipients stored here (RFC 3461 §4.1):
        // reported once the message is durable.
        let wants: Vec<(String, Option<(String, String)>)> = tx
            .recipients
            .iter()
            .zip(&tx.rcpt_dsn)
            .filter(|(r, d)| d.on_success() && !tx.remote.contains(r))
            .map(|(r, d)| (r.clone(), d.orcpt.clone()))
            .collect();
        let report = (!wants.is_empty() && crate::queue::bounce::may_notify(tx.from.as_deref()))
            .then(|| SuccessReport {
                sender: from.clone(),
                rcpts: wants,
                envid: tx.dsn.envid.clone(),
                header: crate::queue::bounce::header_block(&tx.data).to_vec(),
            });
        let info = (tx.id, from, tx.recipients.join(","), tx.data.len(), report);
        // Remote recipients: the message with our Received field, queued
        // durably (on the queue thread) before the 250.
        let relay = match (&self.relay, tx.remote.is_empty()) {
            (Some((w, _)), false) => {
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
                        dsn: tx.dsn.clone(),
                        binary: tx.binary,
                        rcpt_dsn: tx
                            .remote
                            .iter()
                            .map(|r| {
                                tx.recipients
                                    .iter()
                                    .position(|x| x == r)
                                    .and_then(|i| tx.rcpt_dsn.get(i).cloned())
                                    .unwrap_or_default()
                            })
                            .collect(),
                    },
                ))
            }
            _ => None,
        };
        // The message's share of --max-memory goes back when it is stored
        // (or has failed), with the last copy of its bytes.
        let held = tx.held;
        let finish = move |result: Result<(), NotStored>, queued: Option<Entry>| {
            drop(held);
            let (qid, from, to, size, report) = info;
            completer.complete(
                id,
                Done::Stored(Box::new(Stored {
                    result,
                    id: qid,
                    from,
                    to,
                    size,
                    queued,
                    report,
                })),
            );
        };
        let queue_then = move |local: Result<String, StoreError>| match (local, relay) {
            (Err(e), _) => finish(Err(NotStored::Maildir(e)), None),
            (Ok(_), None) => finish(Ok(()), None),
            (Ok(_), Some((worker, item))) => worker.enqueue(
                item,
                Box::new(move |r: std::io::Result<Entry>| match r {
                    Ok(e) => finish(Ok(()), Some(e)),
                    Err(e) => finish(Err(NotStored::Queue(e)), None),
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
}

impl SmtpService {
    /// Sends the report of delivery a sender asked for: into its mailbox
    /// when it is local here, else through the outgoing queue.
    fn report_success(&self, id: &str, r: &SuccessReport) {
        use crate::queue::bounce::{self, Action, Failed, Returned};
        let about: Vec<Failed> = r
            .rcpts
            .iter()
            .map(|(rcpt, orcpt)| Failed {
                rcpt: rcpt.clone(),
                status: "2.0.0".into(),
                diagnostic: format!("250 2.0.0 delivered to the mailbox (queued as {id})"),
                remote: None,
                orcpt: orcpt.clone(),
            })
            .collect();
        let dsn = bounce::compose(
            &self.settings.session.hostname,
            &r.sender,
            Action::Delivered,
            &about,
            Returned::Headers(&r.header),
            SystemTime::now(),
            &format!("{id}.s"),
            r.envid.as_deref(),
        );
        let domain = r.sender.rsplit_once('@').map(|(_, d)| d.to_lowercase());
        let local = self.settings.domains.is_empty()
            || domain.is_some_and(|d| self.settings.domains.contains(&d));
        if !self.settings.quiet {
            eprintln!(
                "mailkit: smtp: {id}: success report for {} sent to <{}>",
                r.rcpts
                    .iter()
                    .map(|(a, _)| format!("<{a}>"))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.sender
            );
        }
        if local {
            super::relay::store_report(
                &self.writer,
                &r.sender,
                dsn,
                "smtp: cannot store a success report",
            );
        } else if let Some(o) = &self.settings.outbox {
            o.post_report(r.sender.clone(), dsn);
        } else {
            eprintln!(
                "mailkit: smtp: {id}: no route for the success report to <{}> (give --relay-to or --route)",
                r.sender
            );
        }
    }
}

impl ServerService for SmtpService {
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> ServerSession {
        let mut s = ServerSession::new(self.settings.session.clone(), Some(from.peer), now);
        if from.implicit_tls {
            s.set_secure();
        }
        self.peers.insert(id, from.peer);
        s
    }

    fn busy_reply(&self) -> &[u8] {
        &self.busy
    }
}

impl Service for SmtpService {
    type Session = ServerSession;
    type Completion = Done;

    fn event(&mut self, id: ConnId, session: &mut ServerSession, event: Event, now: Instant) {
        match event {
            Event::Message(tx) => self.store(id, *tx),
            Event::Authenticate { user, password } => {
                self.authenticate(id, session, &user, password, now)
            }
        }
    }

    fn complete(&mut self, _id: ConnId, session: &mut ServerSession, done: Done, now: Instant) {
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
        if let (Some(e), Some((_, intake))) = (s.queued.clone(), self.relay.as_ref()) {
            eprintln!(
                "mailkit: queue: {} queued for {}",
                e.id,
                e.rcpts
                    .iter()
                    .map(|r| format!("<{}>", r.addr))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let _ = intake.send(e);
        }
        match &s.result {
            Ok(_) => {
                self.accepted += 1;
                if let Some(r) = &s.report {
                    self.report_success(&s.id.to_string(), r);
                }
                if !self.settings.quiet {
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
        session.delivered(s.result.is_ok());
    }

    fn closed(&mut self, id: ConnId, _session: ServerSession) {
        self.peers.remove(&id);
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.settings.tls.as_ref()?.accept()
    }

    fn tls_failed(&mut self, id: ConnId, _s: &mut ServerSession, error: &rustls::Error) {
        if !self.settings.quiet {
            let peer = self
                .peers
                .get(&id)
                .map(|p| p.to_string())
                .unwrap_or_default();
            eprintln!("mailkit: smtp: TLS with {peer} failed: {error}");
        }
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        match self.settings.exit_after {
            Some(n) if !self.stop_sent && self.accepted >= n => {
                self.stop_sent = true;
                Some(StopMode::Drain)
            }
            _ => None,
        }
    }
}

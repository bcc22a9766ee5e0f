//! The sans-IO SMTP server session (RFC 5321 §3, §4).
//!
//! A [`ServerSession`] is fed bytes with [`ServerSession::handle_input`] in
//! any split and hands back what to write and what happened through
//! [`ServerSession::poll_output`]. When a message is complete it emits
//! [`Event::Message`] and stops reading until the owner reports the outcome
//! with [`ServerSession::delivered`]; only then does the client get its 250.
//! There is no socket, clock or disk here, so tests, fuzzers and `replay`
//! can drive a session directly.

use crate::proto::sasl::{self, Mechanism, SaslError};
use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chunk::ChunkReader;
use super::command::{self, Address, Command, ForwardPath};
use super::data::{DataOutcome, DataReader};
use super::dsn::{MailDsn, RcptDsn};
use super::faults::{self, Faults};
use super::reply::{emit, emit_lines};
use super::trace::{IdSource, QueueId, Trace};
use crate::proto::line::{Line, LineBuffer};

/// The longest command line, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;

/// Errors tolerated before the session is closed with 421 (as Postfix's
/// `smtpd_hard_error_limit`).
pub const MAX_ERRORS: u32 = 20;

/// The longest SASL response line (RFC 4954 §4: at least 12,288 octets).
const MAX_AUTH_LINE: usize = 12_288 + 2;

/// Unprocessed input held before the session stops asking for more.
const INPUT_HIGH_WATER: usize = 64 * 1024;

/// Settings shared by every session of one server.
#[derive(Debug)]
pub struct ServerConfig {
    /// Our host name, for the greeting, replies and `Received:`.
    pub hostname: String,
    /// Largest message accepted, in octets (advertised with SIZE, RFC 1870).
    pub max_message_size: usize,
    /// Most recipients per transaction (RFC 5321 §4.5.3.1.8 asks for ≥ 100).
    pub max_recipients: usize,
    /// Idle time after which the client gets 421 (RFC 5321 §4.5.3.2).
    pub timeout: Duration,
    /// Longest a whole session may last, however busy (bounds slow-drip
    /// clients that reset the idle timer with a byte at a time).
    pub max_session_time: Duration,
    /// Local domains (lowercase); `None` makes every domain local.
    pub local_domains: Option<HashSet<String>>,
    /// Known addresses (lowercase) in local domains; `None` accepts all.
    pub users: Option<HashSet<String>>,
    /// Source of queue ids.
    pub ids: Arc<IdSource>,
    /// STARTTLS is offered (a certificate is configured, RFC 3207).
    pub starttls: bool,
    /// MAIL and AUTH are refused before TLS (530 5.7.0, RFC 3207 §4).
    pub require_tls: bool,
    /// Who may AUTH (RFC 4954).
    pub auth: AuthPolicy,
    /// AUTH is offered without TLS too (`--allow-insecure-auth`, or a
    /// throwaway server on loopback).
    pub auth_without_tls: bool,
    /// Failed AUTH attempts before the connection is closed with 421.
    pub max_auth_failures: u32,
    /// Which other domains mail may be relayed to (the owner's routes,
    /// `--route`, `--relay-to`); by default none.
    pub relay_to: RelayTo,
    /// Clients that may relay without AUTH (`--relay-from`).
    pub relay_from: Vec<crate::util::cidr::Cidr>,
    /// The mailbox a local address is stored in, `None` for an address
    /// the store cannot hold (the owner's naming rule; by default
    /// [`crate::util::mailbox_name`]).
    pub mailbox_of: fn(&str) -> Option<String>,
    /// Delay before the first 535; it doubles with each further failure.
    pub auth_delay: Duration,
    /// Memory for messages being received, shared by every session
    /// (`--max-memory`): past it a message gets 452 4.3.1.
    pub memory: Arc<crate::util::budget::MemoryBudget>,
    /// Most `Received:` fields a message may already carry (`--max-hops`):
    /// more means a mail loop (RFC 5321 §6.3), refused with 554 5.4.6.
    pub max_hops: usize,
    /// Output handed out before the client reads it, after which pipelined
    /// commands wait ([`crate::proto::OUTPUT_BUDGET`]; small in the fuzzer).
    pub output_budget: usize,
    /// Failures to inject (`--chaos`); `None` in normal service.
    pub faults: Option<Arc<dyn Faults>>,
    /// Extensions not offered (upper case; Postfix's
    /// `smtpd_discard_ehlo_keywords`): left out of EHLO and refused as
    /// if unknown. CHUNKING, BINARYMIME, DSN, PIPELINING, SMTPUTF8.
    pub discard: Vec<String>,
}

/// The relay policy the owner hands the session: whether mail for a
/// domain may be relayed (it has a next hop). Data from the owner, so the
/// session knows nothing of the queue.
#[derive(Clone)]
pub struct RelayTo(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl RelayTo {
    /// Nothing is relayed.
    pub fn none() -> RelayTo {
        RelayTo(Arc::new(|_| false))
    }

    /// Domains for which `has_hop` says yes are relayed.
    pub fn new(has_hop: impl Fn(&str) -> bool + Send + Sync + 'static) -> RelayTo {
        RelayTo(Arc::new(has_hop))
    }

    /// Whether mail for `domain` may be relayed.
    pub fn allows(&self, domain: &str) -> bool {
        (self.0)(domain)
    }
}

impl std::fmt::Debug for RelayTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayTo(..)")
    }
}

/// Who may authenticate (RFC 4954).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPolicy {
    /// AUTH is not offered.
    Off,
    /// Throwaway mode: any user name and password are accepted.
    Any,
    /// Credentials are checked by the owner ([`Event::Authenticate`]).
    Users,
}

impl ServerConfig {
    /// A catch-all configuration with the SPEC's defaults.
    pub fn new(hostname: impl Into<String>) -> Self {
        ServerConfig {
            hostname: hostname.into(),
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            timeout: Duration::from_secs(300),
            max_session_time: Duration::from_secs(3600),
            local_domains: None,
            users: None,
            ids: Arc::new(IdSource::new(1)),
            starttls: false,
            require_tls: false,
            auth: AuthPolicy::Off,
            auth_without_tls: false,
            max_auth_failures: 3,
            auth_delay: Duration::from_millis(500),
            memory: crate::util::budget::MemoryBudget::unlimited(),
            relay_to: RelayTo::none(),
            relay_from: Vec::new(),
            mailbox_of: crate::util::mailbox_name,
            max_hops: 50,
            output_budget: crate::proto::OUTPUT_BUDGET,
            faults: None,
            discard: Vec::new(),
        }
    }

    /// Whether extension `keyword` (upper case) is offered.
    pub fn offers(&self, keyword: &str) -> bool {
        !self.discard.iter().any(|d| d == keyword)
    }
}

/// A complete message handed to the owner for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The queue id (also in the trace).
    pub id: QueueId,
    /// The reverse path; `None` for the null sender `<>`.
    pub from: Option<String>,
    /// The accepted recipients as given (lowercased domain), in order.
    pub recipients: Vec<String>,
    /// Each recipient's DSN parameters (RFC 3461), in the same order.
    pub rcpt_dsn: Vec<RcptDsn>,
    /// The message's DSN parameters (RET, ENVID).
    pub dsn: MailDsn,
    /// It came as BODY=BINARYMIME (RFC 3030 §3): a relay may pass it on
    /// only to a hop that offers BINARYMIME.
    pub binary: bool,
    /// Store mailbox names, one per distinct local recipient.
    pub mailboxes: Vec<String>,
    /// Recipients in other domains, to be queued for relay.
    pub remote: Vec<String>,
    /// Trace data for `Received:`.
    pub trace: Trace,
    /// The message with LF line ends, dot-stuffing removed.
    pub data: Vec<u8>,
    /// The share of [`ServerConfig::memory`] that `data` holds: keep it
    /// until `data` is dropped.
    pub held: Arc<crate::util::budget::Held>,
}

/// What the session wants its owner to do besides writing bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Store this message durably, then call [`ServerSession::delivered`].
    Message(Box<Transaction>),
    /// Check these credentials, then call [`ServerSession::authenticated`].
    Authenticate {
        /// The authentication identity (RFC 4616 authcid).
        user: String,
        /// The password, as given.
        password: String,
    },
}

/// One item of session output, in order.
pub type Output = crate::proto::Output<Event>;

/// What the session is waiting for.
#[derive(Debug)]
enum Phase {
    /// A command line (RFC 5321 §4.1.1).
    Command,
    /// Message text after 354, up to `CRLF . CRLF` (RFC 5321 §4.1.1.4).
    Data(Box<DataReader>),
    /// The octets of a BDAT chunk (RFC 3030).
    Chunk(Chunk),
    /// The owner storing the message; input waits (RFC 5321 §4.2.5: the
    /// 250 means the message is ours).
    Delivering,
    /// The session is over; nothing more is read or written.
    Closed,
    /// A SASL exchange wants the client's next line (RFC 4954 §4).
    AuthLine(AuthStep),
    /// The owner is checking credentials; input waits.
    Authenticating,
    /// A failed AUTH is answered (535) at this instant: the brute-force delay.
    AuthDelay(Instant),
}

/// Where a SASL exchange is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AuthStep {
    /// PLAIN without an initial response: the response is next.
    Plain,
    /// LOGIN: the user name (base64) is next.
    LoginUser,
    /// LOGIN: the password is next; the user name was this.
    LoginPassword(String),
}

/// The mail transaction in progress (RFC 5321 §3.3).
#[derive(Debug)]
struct Envelope {
    from: Option<Address>,
    smtputf8: bool,
    recipients: Vec<String>,
    mailboxes: Vec<String>,
    remote: Vec<String>,
    /// BODY=BINARYMIME (RFC 3030 §3): only BDAT may carry it.
    binary: bool,
    /// RET and ENVID (RFC 3461).
    dsn: MailDsn,
    /// NOTIFY and ORCPT of each recipient in `recipients`.
    rcpt_dsn: Vec<RcptDsn>,
    /// The message's chunks so far, once a BDAT came (RFC 3030).
    chunks: Option<Box<ChunkReader>>,
}

/// A BDAT chunk being read (RFC 3030 §2): its bytes are taken by count,
/// whatever they hold, then answered.
#[derive(Debug)]
struct Chunk {
    /// Octets of it still to come.
    remaining: u64,
    /// Its size, for the reply.
    size: u64,
    /// `BDAT n LAST`: the message ends with it.
    last: bool,
    /// The reply when the chunk cannot be taken (no transaction, no
    /// recipients): its bytes are read and dropped first.
    refused: Option<(u16, &'static str, &'static str)>,
}

/// How the server is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopping {
    No,
    /// Finish the current transaction, then 421.
    AfterTransaction,
}

/// One SMTP server session.
#[derive(Debug)]
pub struct ServerSession {
    cfg: Arc<ServerConfig>,
    peer: Option<SocketAddr>,
    phase: Phase,
    input: LineBuffer,
    /// HELO/EHLO name and whether it was EHLO.
    helo: Option<(String, bool)>,
    envelope: Option<Envelope>,
    pending_id: Option<QueueId>,
    out: Vec<u8>,
    queue: VecDeque<Output>,
    deadline: Option<Instant>,
    /// When the session must end regardless of activity.
    end_by: Instant,
    errors: u32,
    eof: bool,
    stopping: Stopping,
    /// TLS is on (after STARTTLS, or an implicit-TLS port).
    secure: bool,
    /// The authenticated user (RFC 4954), once AUTH succeeded.
    authenticated: Option<String>,
    /// Output handed to the loop since the client last read it all;
    /// commands wait in `input` while it is over the budget.
    pacer: crate::proto::Pacer,
    /// The user name of the AUTH being checked.
    auth_pending: Option<String>,
    auth_failures: u32,
    /// The latest time the owner has told the session (for injected delays).
    clock: Instant,
    /// Output is held until then (an injected delay, [`Faults::delay`]).
    held_until: Option<Instant>,
    /// The connection is to be dropped once message text arrives
    /// ([`Faults::disconnect`]).
    drop_in_data: bool,
}

impl ServerSession {
    /// A new session; queues the 220 greeting (RFC 5321 §4.3.1).
    pub fn new(cfg: Arc<ServerConfig>, peer: Option<SocketAddr>, now: Instant) -> Self {
        let mut s = ServerSession {
            deadline: Some(now + cfg.timeout),
            end_by: now + cfg.max_session_time,
            cfg,
            peer,
            phase: Phase::Command,
            input: LineBuffer::new(),
            helo: None,
            envelope: None,
            pending_id: None,
            out: Vec::new(),
            queue: VecDeque::new(),
            errors: 0,
            eof: false,
            stopping: Stopping::No,
            secure: false,
            authenticated: None,
            pacer: crate::proto::Pacer::default(),
            auth_pending: None,
            auth_failures: 0,
            clock: now,
            held_until: None,
            drop_in_data: false,
        };
        let greeting = format!("{} ESMTP mailkit", s.cfg.hostname);
        emit(&mut s.out, 220, None, &greeting);
        s.hold();
        s
    }

    /// Feeds bytes from the client, in any split; pipelined commands are
    /// answered in order (RFC 2920).
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        self.input.extend(bytes);
        self.deadline = Some(now + self.cfg.timeout);
        self.clock = now;
        self.process();
    }

    /// The client closed its side. A message being stored is still stored;
    /// a transaction in progress is dropped (nothing half-received is kept).
    pub fn handle_eof(&mut self, _now: Instant) {
        self.eof = true;
        match self.phase {
            Phase::Delivering | Phase::Closed => {}
            _ => self.close(),
        }
    }

    /// Call when [`ServerSession::poll_timeout`] has passed: an idle client
    /// gets 421 4.4.2 and the connection closes.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.clock = now;
        if let Some(at) = self.held_until {
            if now < at {
                return;
            }
            // The held replies go out before anything that follows them.
            self.held_until = None;
            self.flush_out_to_queue();
            self.process();
            return;
        }
        if let Phase::AuthDelay(at) = self.phase {
            if now >= at {
                self.auth_failed_reply();
            }
            return;
        }
        if matches!(
            self.phase,
            Phase::Delivering | Phase::Closed | Phase::Authenticating
        ) {
            return;
        }
        let text = if now >= self.end_by {
            format!(
                "{} Error: session time limit exceeded, closing connection",
                self.cfg.hostname
            )
        } else if self.deadline.is_some_and(|d| now >= d) {
            format!(
                "{} Error: timeout exceeded, closing connection",
                self.cfg.hostname
            )
        } else {
            return;
        };
        emit(&mut self.out, 421, Some("4.4.2"), &text);
        self.close();
    }

    /// The server is stopping. With `immediate`, or when no transaction is
    /// in progress, the client gets 421 at once; otherwise the current
    /// transaction may finish first (RFC 5321 §3.8).
    pub fn shutdown(&mut self, immediate: bool) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        let idle = matches!(self.phase, Phase::Command) && self.envelope.is_none();
        // A message being stored is answered first: storing takes
        // milliseconds, and a 421 now would make the client send it again.
        let storing = matches!(self.phase, Phase::Delivering);
        if (immediate && !storing) || idle {
            self.say_shutdown();
        } else {
            self.stopping = Stopping::AfterTransaction;
        }
    }

    /// The outcome of storing the message of [`Event::Message`]:
    /// 250 with the queue id once it is durable (`stored`), else 451 (try
    /// again; the server logs why, the client need not know).
    pub fn delivered(&mut self, stored: bool) {
        if !matches!(self.phase, Phase::Delivering) {
            return;
        }
        self.phase = Phase::Command;
        let id = self
            .pending_id
            .take()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match stored {
            true => {
                let text = format!("Message accepted for delivery: queued as {id}");
                emit(&mut self.out, 250, Some("2.0.0"), &text);
            }
            false => emit(
                &mut self.out,
                451,
                Some("4.3.0"),
                "Error: the message could not be stored; try again later",
            ),
        }
        self.envelope = None;
        if self.eof {
            self.close();
        } else if self.stopping != Stopping::No {
            self.say_shutdown();
        } else {
            self.hold();
            self.process();
        }
    }

    /// The connection is TLS from its start (implicit TLS, `--tls-listen`).
    pub fn set_secure(&mut self) {
        self.secure = true;
    }

    /// The authenticated user, if any.
    pub fn user(&self) -> Option<&str> {
        self.authenticated.as_deref()
    }

    /// The answer to [`Event::Authenticate`]: 235, or 535 after the
    /// brute-force delay (421 and close after too many failures).
    pub fn authenticated(&mut self, ok: bool, now: Instant) {
        if !matches!(self.phase, Phase::Authenticating) {
            return;
        }
        let user = self.auth_pending.take().unwrap_or_default();
        if ok {
            self.authenticated = Some(user);
            self.phase = Phase::Command;
            emit(
                &mut self.out,
                235,
                Some("2.7.0"),
                "Authentication successful",
            );
            self.hold();
            self.process();
            return;
        }
        self.auth_failures += 1;
        let delay = self.cfg.auth_delay * (1u32 << (self.auth_failures - 1).min(5));
        self.phase = Phase::AuthDelay(now + delay);
    }

    /// The password could not be checked now (the checker is saturated):
    /// `454 4.7.0`, a temporary failure that is not counted against the
    /// client (RFC 4954 §6).
    pub fn auth_unavailable(&mut self) {
        if !matches!(self.phase, Phase::Authenticating) {
            return;
        }
        self.auth_pending = None;
        self.phase = Phase::Command;
        emit(
            &mut self.out,
            454,
            Some("4.7.0"),
            "Temporary authentication failure: too many logins in progress, try again later",
        );
        self.process();
    }

    /// The next thing to do: bytes to write, an event, or close.
    pub fn poll_output(&mut self) -> Option<Output> {
        // Everything queued was flushed from `out` when it was queued, so
        // the queue is older than `out`.
        if let Some(o) = self.queue.pop_front() {
            if let Output::Transmit(b) = &o {
                self.pacer.sent(b.len());
            }
            return Some(o);
        }
        if !self.out.is_empty() && self.held_until.is_none() {
            self.pacer.sent(self.out.len());
            return Some(Output::Transmit(std::mem::take(&mut self.out)));
        }
        None
    }

    /// The client has read everything sent so far: answer the commands
    /// held back by [`crate::proto::OUTPUT_BUDGET`] (see
    /// [`crate::proto::Session::resume`]).
    pub fn resume(&mut self) -> bool {
        let waiting = self.pacer.resume();
        if waiting {
            self.process();
        }
        waiting
    }

    /// When [`ServerSession::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.held_until.is_some() {
            return self.held_until;
        }
        match self.phase {
            Phase::AuthDelay(at) => Some(at),
            Phase::Delivering | Phase::Closed | Phase::Authenticating => None,
            _ => Some(self.deadline.map_or(self.end_by, |d| d.min(self.end_by))),
        }
    }

    /// Whether the session can take more input now. False while a message
    /// is being stored (its reply must come first) or once closed.
    pub fn wants_input(&self) -> bool {
        matches!(
            self.phase,
            Phase::Command | Phase::Data(_) | Phase::Chunk(_) | Phase::AuthLine(_)
        ) && self.input.len() < INPUT_HIGH_WATER
            && !self.pacer.paused()
            && self.held_until.is_none()
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    // ---------------------------------------------------------------- internals

    fn flush_out_to_queue(&mut self) {
        if !self.out.is_empty() {
            let bytes = std::mem::take(&mut self.out);
            self.queue.push_back(Output::Transmit(bytes));
        }
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.envelope = None;
        self.input = LineBuffer::new();
        self.flush_out_to_queue();
        self.queue.push_back(Output::Close);
    }

    fn say_shutdown(&mut self) {
        let text = format!(
            "{} Service shutting down, closing connection",
            self.cfg.hostname
        );
        emit(&mut self.out, 421, Some("4.3.2"), &text);
        self.close();
    }

    /// An injected failure's reply ([`Faults`]): `code` with its class's
    /// enhanced status; not counted as the client's error.
    fn injected(&mut self, code: u16, what: &str) {
        let text = format!("Error: {what} (injected by --chaos)");
        emit(&mut self.out, code, Some(faults::enhanced(code)), &text);
    }

    /// Holds the replies produced since the last hold for the injected
    /// delay, if any ([`Faults::delay`]): they and the commands after them
    /// wait until then.
    fn hold(&mut self) {
        if self.out.is_empty() {
            return;
        }
        if let Some(d) = self.cfg.faults.as_ref().and_then(|f| f.delay()) {
            self.held_until = Some(self.clock + d);
        }
    }

    fn process(&mut self) {
        loop {
            if self.held_until.is_some() {
                return;
            }
            if self.drop_in_data
                && matches!(self.phase, Phase::Data(_) | Phase::Chunk(_))
                && !self.input.is_empty()
            {
                // Injected (Faults::disconnect): the client is cut off
                // with its message half sent; nothing is stored.
                self.drop_in_data = false;
                self.input = LineBuffer::new();
                self.close();
                return;
            }
            match &mut self.phase {
                Phase::Closed | Phase::Delivering | Phase::Authenticating | Phase::AuthDelay(_) => {
                    return
                }
                Phase::AuthLine(_) => {
                    let line = match self.input.next_line(MAX_AUTH_LINE) {
                        None => return,
                        Some(Line::TooLong) => None,
                        Some(Line::Complete(l)) => Some(l.to_vec()),
                    };
                    self.auth_line(line);
                    self.hold();
                }
                Phase::Chunk(chunk) => {
                    let n = usize::try_from(chunk.remaining)
                        .unwrap_or(usize::MAX)
                        .min(self.input.len());
                    if chunk.refused.is_none() {
                        if let Some(r) = self.envelope.as_mut().and_then(|e| e.chunks.as_mut()) {
                            r.push(&self.input.pending()[..n]);
                        }
                    }
                    self.input.consume(n);
                    chunk.remaining -= n as u64;
                    if chunk.remaining > 0 {
                        return;
                    }
                    let Phase::Chunk(chunk) = std::mem::replace(&mut self.phase, Phase::Command)
                    else {
                        return;
                    };
                    self.chunk_done(chunk);
                    self.hold();
                }
                Phase::Data(reader) => {
                    let Some(outcome) = reader.read(&mut self.input) else {
                        return;
                    };
                    let held = reader.take_held();
                    self.phase = Phase::Command;
                    self.end_of_data(outcome, held);
                    self.hold();
                }
                Phase::Command => {
                    // A client that pipelines and does not read (HELP
                    // answers 27 times its size) waits here until the
                    // replies so far are written.
                    if self.pacer.must_wait(self.out.len(), self.cfg.output_budget) {
                        return;
                    }
                    let line = match self.input.next_line(MAX_COMMAND_LINE) {
                        None => return,
                        Some(Line::TooLong) => None,
                        Some(Line::Complete(l)) => Some(l.to_vec()),
                    };
                    match line {
                        None => self.error(
                            500,
                            "5.5.2",
                            "Error: line too long (RFC 5321 §4.5.3.1.4: 512 octets)",
                        ),
                        Some(l) => self.command(&l),
                    }
                    self.hold();
                }
            }
        }
    }

    /// Replies with an error and counts it; too many close the session.
    fn error(&mut self, code: u16, enhanced: &str, text: &str) {
        emit(&mut self.out, code, Some(enhanced), text);
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            emit(
                &mut self.out,
                421,
                Some("4.7.0"),
                "Error: too many errors, closing connection",
            );
            self.close();
        }
    }

    fn command(&mut self, line: &[u8]) {
        if self.stopping != Stopping::No && self.envelope.is_none() {
            self.say_shutdown();
            return;
        }
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(e) => {
                let (code, enh, text) = e.reply();
                self.error(code, enh, text);
                if e == command::CommandError::BadChunk {
                    self.close();
                }
                return;
            }
        };
        match cmd {
            Command::Helo(name) => {
                self.envelope = None;
                let text = format!("{} Hello {}, pleased to meet you", self.cfg.hostname, name);
                emit(&mut self.out, 250, None, &text);
                self.helo = Some((name, false));
            }
            Command::Ehlo(name) => {
                self.envelope = None;
                let first = format!("{} Hello {}, pleased to meet you", self.cfg.hostname, name);
                let size = format!("SIZE {}", self.cfg.max_message_size);
                let mut lines: Vec<&str> = vec![&first];
                for k in [
                    "PIPELINING",
                    "SIZE",
                    "8BITMIME",
                    "CHUNKING",
                    "BINARYMIME",
                    "DSN",
                    "ENHANCEDSTATUSCODES",
                    "SMTPUTF8",
                ] {
                    if self.cfg.offers(k) {
                        lines.push(if k == "SIZE" { &size } else { k });
                    }
                }
                if self.cfg.starttls && !self.secure {
                    lines.push("STARTTLS");
                }
                if self.auth_offered() {
                    lines.push("AUTH PLAIN LOGIN");
                }
                lines.push("HELP");
                emit_lines(&mut self.out, 250, &lines);
                self.helo = Some((name, true));
            }
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data(),
            Command::Bdat { .. } if !self.cfg.offers("CHUNKING") => {
                self.error(502, "5.5.1", "Error: command not implemented")
            }
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.envelope = None;
                emit(&mut self.out, 250, Some("2.0.0"), "Ok");
            }
            Command::Noop => emit(&mut self.out, 250, Some("2.0.0"), "Ok"),
            Command::Quit => {
                let text = format!("{} closing connection", self.cfg.hostname);
                emit(&mut self.out, 221, Some("2.0.0"), &text);
                self.close();
            }
            Command::Vrfy(_) => emit(
                &mut self.out,
                252,
                Some("2.5.2"),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Command::Expn(_) => self.error(502, "5.5.1", "Error: EXPN is not supported"),
            Command::Help(_) => emit_lines(
                &mut self.out,
                214,
                &[
                    "2.0.0 mailkit SMTP server; commands:",
                    "2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY EXPN HELP",
                    "2.0.0 See RFC 5321",
                ],
            ),
            Command::StartTls => self.starttls(),
            Command::Auth(args) => self.auth(&args),
            Command::NotImplemented(_) => {
                self.error(502, "5.5.1", "Error: command not implemented")
            }
        }
    }

    /// Whether EHLO lists AUTH now (RFC 4954 §4: not after success; not
    /// in the clear unless allowed).
    fn auth_offered(&self) -> bool {
        self.cfg.auth != AuthPolicy::Off
            && self.authenticated.is_none()
            && (self.secure || self.cfg.auth_without_tls)
    }

    /// STARTTLS (RFC 3207 §4): 220, then TLS; everything the client sent
    /// after the command in the clear is dropped (CVE-2011-0411), and the
    /// session starts over (§4.2: no HELO, no transaction, no AUTH).
    fn starttls(&mut self) {
        if !self.cfg.starttls {
            return self.error(
                502,
                "5.5.1",
                "Error: STARTTLS is not available (no certificate configured)",
            );
        }
        if self.secure {
            return self.error(503, "5.5.1", "Error: TLS is already active");
        }
        if self.envelope.is_some() {
            return self.error(503, "5.5.1", "Error: STARTTLS inside a mail transaction");
        }
        emit(&mut self.out, 220, Some("2.0.0"), "Ready to start TLS");
        self.flush_out_to_queue();
        self.queue.push_back(Output::StartTls);
        self.input = LineBuffer::new();
        self.secure = true;
        self.helo = None;
        self.envelope = None;
        self.authenticated = None;
    }

    /// AUTH PLAIN (RFC 4616) or LOGIN, with or without an initial response
    /// (RFC 4954 §4).
    fn auth(&mut self, args: &str) {
        if self.cfg.auth == AuthPolicy::Off {
            return self.error(502, "5.5.1", "Error: authentication is not enabled");
        }
        if self.helo.as_ref().is_none_or(|(_, esmtp)| !esmtp) {
            return self.error(503, "5.5.1", "Error: send EHLO first");
        }
        if self.authenticated.is_some() {
            return self.error(503, "5.5.1", "Error: already authenticated");
        }
        if self.envelope.is_some() {
            return self.error(503, "5.5.1", "Error: AUTH inside a mail transaction");
        }
        if !self.secure && !self.cfg.auth_without_tls {
            return self.error(
                538,
                "5.7.11",
                "Encryption required for requested authentication mechanism",
            );
        }
        let mut words = args.split_whitespace();
        let name = words.next().unwrap_or("");
        let initial = words.next();
        match (Mechanism::parse(name), initial) {
            (Some(Mechanism::Plain), Some(resp)) => self.auth_plain(resp.as_bytes()),
            (Some(Mechanism::Plain), None) => {
                emit(&mut self.out, 334, None, "");
                self.phase = Phase::AuthLine(AuthStep::Plain);
            }
            (Some(Mechanism::Login), Some(user)) => self.auth_login_user(user.as_bytes()),
            (Some(Mechanism::Login), None) => {
                emit(&mut self.out, 334, None, sasl::LOGIN_USER_CHALLENGE);
                self.phase = Phase::AuthLine(AuthStep::LoginUser);
            }
            (None, _) if name.is_empty() => {
                self.error(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]")
            }
            _ => self.error(
                504,
                "5.5.4",
                "Error: unrecognized authentication mechanism (PLAIN, LOGIN)",
            ),
        }
    }

    /// One line of a SASL exchange; `*` cancels it (RFC 4954 §4).
    fn auth_line(&mut self, line: Option<Vec<u8>>) {
        let Phase::AuthLine(step) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return;
        };
        let Some(line) = line else {
            return self.error(500, "5.5.6", "Error: authentication line too long");
        };
        match step {
            AuthStep::Plain => self.auth_plain(&line),
            AuthStep::LoginUser => self.auth_login_user(&line),
            AuthStep::LoginPassword(user) => match sasl::login_value(&line) {
                Ok(pw) => self.check_credentials(user, pw),
                Err(e) => self.sasl_error(e),
            },
        }
    }

    /// A SASL response that cannot be used: 501 (RFC 4954 §4).
    fn sasl_error(&mut self, e: SaslError) {
        match e {
            SaslError::Cancelled => self.error(501, "5.0.0", "Authentication cancelled"),
            SaslError::Authzid => self.error(535, "5.7.8", &format!("Error: {e}")),
            _ => self.error(501, "5.5.2", &format!("Error: {e}")),
        }
    }

    fn auth_plain(&mut self, resp: &[u8]) {
        match sasl::plain(resp) {
            Ok(c) => self.check_credentials(c.user, c.password),
            Err(e) => self.sasl_error(e),
        }
    }

    fn auth_login_user(&mut self, resp: &[u8]) {
        match sasl::login_value(resp) {
            Ok(user) if !user.is_empty() => {
                emit(&mut self.out, 334, None, sasl::LOGIN_PASSWORD_CHALLENGE);
                self.phase = Phase::AuthLine(AuthStep::LoginPassword(user));
            }
            Ok(_) => self.error(501, "5.5.2", "Error: an empty user name"),
            Err(e) => self.sasl_error(e),
        }
    }

    fn check_credentials(&mut self, user: String, password: String) {
        if let Some(code) = self.cfg.faults.as_ref().and_then(|f| f.auth()) {
            return self.injected(code, "authentication failed");
        }
        if self.cfg.auth == AuthPolicy::Any {
            self.authenticated = Some(user);
            return emit(
                &mut self.out,
                235,
                Some("2.7.0"),
                "Authentication successful",
            );
        }
        self.auth_pending = Some(user.clone());
        self.phase = Phase::Authenticating;
        self.flush_out_to_queue();
        self.queue
            .push_back(Output::Event(Event::Authenticate { user, password }));
    }

    /// The 535 after the delay; too many failures end the session.
    fn auth_failed_reply(&mut self) {
        self.phase = Phase::Command;
        if self.auth_failures >= self.cfg.max_auth_failures {
            emit(
                &mut self.out,
                535,
                Some("5.7.8"),
                "Authentication credentials invalid",
            );
            emit(
                &mut self.out,
                421,
                Some("4.7.0"),
                "Error: too many failed authentications, closing connection",
            );
            return self.close();
        }
        emit(
            &mut self.out,
            535,
            Some("5.7.8"),
            "Authentication credentials invalid",
        );
        self.process();
    }

    fn mail(&mut self, from: Option<Address>, params: Vec<command::Param>) {
        let Some((_, esmtp)) = &self.helo else {
            return self.error(503, "5.5.1", "Error: send HELO/EHLO first");
        };
        if self.cfg.require_tls && !self.secure {
            return self.error(530, "5.7.0", "Must issue a STARTTLS command first");
        }
        let esmtp = *esmtp;
        if self.envelope.is_some() {
            return self.error(503, "5.5.1", "Error: nested MAIL command");
        }
        let mut smtputf8 = false;
        let mut binary = false;
        let mut dsn = MailDsn::default();
        for p in &params {
            if !esmtp {
                return self.error(555, "5.5.4", "Error: MAIL parameters need EHLO");
            }
            match (p.keyword.as_str(), p.value.as_deref()) {
                ("SIZE", Some(v)) => match v.parse::<u64>() {
                    Ok(n) if n > self.cfg.max_message_size as u64 => {
                        let text = format!(
                            "Error: message size exceeds the limit of {} octets",
                            self.cfg.max_message_size
                        );
                        return self.error(552, "5.3.4", &text);
                    }
                    Ok(_) => {}
                    Err(_) => return self.error(501, "5.5.4", "Error: bad SIZE value"),
                },
                ("BODY", Some(v))
                    if v.eq_ignore_ascii_case("7BIT") || v.eq_ignore_ascii_case("8BITMIME") =>
                {
                    binary = false
                }
                ("BODY", Some(v))
                    if v.eq_ignore_ascii_case("BINARYMIME") && self.cfg.offers("BINARYMIME") =>
                {
                    binary = true
                }
                // RFC 3461 §4.3, §4.4.
                ("RET", Some(v)) if self.cfg.offers("DSN") => match super::dsn::Ret::parse(v) {
                    Some(_) if dsn.ret.is_some() => {
                        return self.error(501, "5.5.4", "Error: RET given twice")
                    }
                    Some(r) => dsn.ret = Some(r),
                    None => return self.error(501, "5.5.4", "Error: RET takes FULL or HDRS"),
                },
                ("ENVID", Some(v)) if self.cfg.offers("DSN") => {
                    if dsn.envid.is_some() {
                        return self.error(501, "5.5.4", "Error: ENVID given twice");
                    }
                    match super::dsn::parse_envid(v) {
                        Ok(e) => dsn.envid = Some(e),
                        Err(e) => return self.error(501, "5.5.4", &format!("Error: {e}")),
                    }
                }
                ("BODY", _) => {
                    return self.error(
                        555,
                        "5.5.4",
                        "Error: unsupported BODY type (7BIT, 8BITMIME or BINARYMIME)",
                    )
                }
                ("SMTPUTF8", None) if self.cfg.offers("SMTPUTF8") => smtputf8 = true,
                _ => return self.error(555, "5.5.4", "Error: unsupported MAIL parameter"),
            }
        }
        if let Some(a) = &from {
            if !a.is_ascii() && !smtputf8 {
                return self.error(
                    553,
                    "5.6.7",
                    "Error: non-ASCII address needs the SMTPUTF8 parameter",
                );
            }
        }
        if let Some(code) = self.cfg.faults.as_ref().and_then(|f| f.sender()) {
            return self.injected(code, "sender refused");
        }
        let shown = from
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "<>".into());
        emit(
            &mut self.out,
            250,
            Some("2.1.0"),
            &format!("{shown} ... Sender ok"),
        );
        self.envelope = Some(Envelope {
            from,
            smtputf8,
            recipients: Vec::new(),
            mailboxes: Vec::new(),
            remote: Vec::new(),
            binary,
            chunks: None,
            dsn,
            rcpt_dsn: Vec::new(),
        });
    }

    fn rcpt(&mut self, to: ForwardPath, params: Vec<command::Param>) {
        let Some(env) = &self.envelope else {
            return self.error(503, "5.5.1", "Error: need MAIL command");
        };
        let mut dsn = RcptDsn::default();
        for p in &params {
            match (p.keyword.as_str(), p.value.as_deref()) {
                // RFC 3461 §4.1, §4.2.
                ("NOTIFY", Some(v)) if self.cfg.offers("DSN") => {
                    if dsn.notify.is_some() {
                        return self.error(501, "5.5.4", "Error: NOTIFY given twice");
                    }
                    match super::dsn::Notify::parse(v) {
                        Ok(n) => dsn.notify = Some(n),
                        Err(e) => return self.error(501, "5.5.4", &format!("Error: {e}")),
                    }
                }
                ("ORCPT", Some(v)) if self.cfg.offers("DSN") => {
                    if dsn.orcpt.is_some() {
                        return self.error(501, "5.5.4", "Error: ORCPT given twice");
                    }
                    match super::dsn::parse_orcpt(v) {
                        Ok(o) => dsn.orcpt = Some(o),
                        Err(e) => return self.error(501, "5.5.4", &format!("Error: {e}")),
                    }
                }
                _ => return self.error(555, "5.5.4", "Error: unsupported RCPT parameter"),
            }
        }
        if let Some(code) = self.cfg.faults.as_ref().and_then(|f| f.recipient()) {
            return self.injected(code, "recipient refused");
        }
        if env.recipients.len() >= self.cfg.max_recipients {
            emit(
                &mut self.out,
                452,
                Some("4.5.3"),
                "Error: too many recipients",
            );
            return;
        }
        let addr = match to {
            ForwardPath::Postmaster => Address {
                local: "postmaster".into(),
                domain: self.cfg.hostname.clone(),
            },
            ForwardPath::Mailbox(a) => a,
        };
        if !addr.is_ascii() && !env.smtputf8 {
            return self.error(
                553,
                "5.6.7",
                "Error: non-ASCII address needs the SMTPUTF8 parameter on MAIL",
            );
        }
        let domain = addr.domain.to_lowercase();
        if let Some(local) = &self.cfg.local_domains {
            if !local.contains(&domain) {
                // Relaying (SPEC): a client authenticated against the users
                // file, or one from a --relay-from network, to a domain
                // with a next hop. A throwaway server's any-password login
                // proves nothing and never opens the relay.
                let real_login = self.authenticated.is_some() && self.cfg.auth == AuthPolicy::Users;
                let trusted = real_login
                    || self
                        .peer
                        .is_some_and(|p| self.cfg.relay_from.iter().any(|c| c.contains(p.ip())));
                if trusted && self.cfg.relay_to.allows(&domain) {
                    let full = format!("{}@{}", addr.local, domain);
                    if let Some(env) = &mut self.envelope {
                        if !env.remote.contains(&full) {
                            env.remote.push(full.clone());
                        }
                        env.recipients.push(full.clone());
                        env.rcpt_dsn.push(dsn);
                    }
                    return emit(
                        &mut self.out,
                        250,
                        Some("2.1.5"),
                        &format!("{full} ... Recipient ok (relayed)"),
                    );
                }
                return self.error(
                    550,
                    "5.7.1",
                    "Error: relay access denied (not a local domain)",
                );
            }
            // The old open-relay tricks route through the local part
            // (user%other@local, other!user@local, "user@other"@local):
            // refuse them rather than guess (as Postfix's
            // allow_untrusted_routing = no).
            if addr.local.contains(['%', '!', '@']) {
                return self.error(
                    550,
                    "5.7.1",
                    "Error: relay access denied (routing in the local part)",
                );
            }
        }
        let full = format!("{}@{}", addr.local, domain);
        let Some(mailbox) = (self.cfg.mailbox_of)(&full) else {
            return self.error(553, "5.1.3", "Error: this address cannot name a mailbox");
        };
        if let Some(users) = &self.cfg.users {
            if !users.contains(&mailbox) {
                return self.error(550, "5.1.1", "Error: user unknown in local recipient table");
            }
        }
        emit(
            &mut self.out,
            250,
            Some("2.1.5"),
            &format!("{full} ... Recipient ok"),
        );
        if let Some(env) = &mut self.envelope {
            if !env.mailboxes.contains(&mailbox) {
                env.mailboxes.push(mailbox);
            }
            env.recipients.push(full);
            env.rcpt_dsn.push(dsn);
        }
    }

    fn data(&mut self) {
        match &self.envelope {
            None => self.error(503, "5.5.1", "Error: need MAIL command"),
            Some(env) if env.recipients.is_empty() => {
                self.error(554, "5.5.1", "Error: no valid recipients")
            }
            // RFC 3030 §2, §3: one transaction is DATA or BDAT, never
            // both; a BINARYMIME body cannot be dot-stuffed text.
            Some(env) if env.chunks.is_some() => {
                self.error(503, "5.5.1", "Error: DATA after BDAT in one transaction")
            }
            Some(env) if env.binary => self.error(
                503,
                "5.5.1",
                "Error: a BODY=BINARYMIME message must be sent with BDAT",
            ),
            Some(_) => {
                emit(
                    &mut self.out,
                    354,
                    None,
                    "Enter mail, end with \".\" on a line by itself",
                );
                self.phase = Phase::Data(Box::new(
                    DataReader::new(self.cfg.max_message_size).with_budget(self.cfg.memory.clone()),
                ));
                self.drop_in_data = self.cfg.faults.as_ref().is_some_and(|f| f.disconnect());
            }
        }
    }

    /// BDAT (RFC 3030 §2): the chunk is read whatever happens; a chunk
    /// that cannot be taken is answered (503, 554) once it is read.
    fn bdat(&mut self, size: u64, last: bool) {
        let refused = match &self.envelope {
            None => Some((503, "5.5.1", "Error: need MAIL command")),
            Some(env) if env.recipients.is_empty() => {
                Some((554, "5.5.1", "Error: no valid recipients"))
            }
            Some(_) => None,
        };
        if refused.is_none() {
            let first = self.envelope.as_ref().is_some_and(|e| e.chunks.is_none());
            if first {
                self.drop_in_data = self.cfg.faults.as_ref().is_some_and(|f| f.disconnect());
            }
            if let Some(env) = &mut self.envelope {
                if env.chunks.is_none() {
                    env.chunks = Some(Box::new(
                        ChunkReader::new(self.cfg.max_message_size, env.binary)
                            .with_budget(self.cfg.memory.clone()),
                    ));
                }
            }
        }
        self.phase = Phase::Chunk(Chunk {
            remaining: size,
            size,
            last,
            refused,
        });
    }

    /// A whole chunk is in: its reply; after the last, the message.
    fn chunk_done(&mut self, chunk: Chunk) {
        if let Some((code, enhanced, text)) = chunk.refused {
            // RFC 3030 §2: a refused chunk ends the transaction.
            self.envelope = None;
            return self.error(code, enhanced, text);
        }
        let Some(reader) = self.envelope.as_mut().and_then(|e| e.chunks.as_mut()) else {
            return;
        };
        if let Some(failed) = reader.failed() {
            // Too big, a line too long, no memory: the transaction is
            // over; later chunks get 503 (RFC 3030 §2).
            return self.end_of_data(failed, crate::util::budget::Held::new());
        }
        if !chunk.last {
            let text = format!("Ok: {} octets received", chunk.size);
            return emit(&mut self.out, 250, Some("2.0.0"), &text);
        }
        let outcome = reader.finish();
        let held = reader.take_held();
        if let Some(env) = &mut self.envelope {
            env.chunks = None;
        }
        self.end_of_data(outcome, held);
    }

    fn end_of_data(&mut self, outcome: DataOutcome, held: crate::util::budget::Held) {
        // The message was discarded as it came: the transaction is over.
        let (code, status, text) = match outcome {
            DataOutcome::Message(data) => {
                let hops = received_fields(&data);
                if hops < self.cfg.max_hops {
                    if !self.cfg.faults.as_ref().is_some_and(|f| f.tempfail()) {
                        return self.accept(data, held);
                    }
                    self.envelope = None;
                    return emit(
                        &mut self.out,
                        451,
                        Some("4.3.0"),
                        "Error: temporary failure (injected by --chaos); try again later",
                    );
                }
                // RFC 5321 §6.3: a message that has been around this many
                // times is in a loop; refuse it rather than pass it on.
                (
                    554,
                    "5.4.6",
                    format!(
                        "Error: too many hops ({hops} Received: fields); the message is in a mail loop"
                    ),
                )
            }
            DataOutcome::TooBig => (
                552,
                "5.3.4",
                format!(
                    "Error: message too large (limit {} octets)",
                    self.cfg.max_message_size
                ),
            ),
            DataOutcome::LineTooLong => (
                500,
                "5.5.2",
                "Error: line longer than 1000 octets (RFC 5321 §4.5.3.1.6); message refused".into(),
            ),
            DataOutcome::NoMemory => (
                452,
                "4.3.1",
                "Insufficient system storage: too much mail in progress, try again later".into(),
            ),
        };
        self.envelope = None;
        emit(&mut self.out, code, Some(status), &text);
    }

    /// A whole message: hand it to the owner to store (the reply waits for
    /// [`ServerSession::delivered`]).
    fn accept(&mut self, data: Vec<u8>, held: crate::util::budget::Held) {
        let Some(env) = self.envelope.take() else {
            return;
        };
        let id = self.cfg.ids.next_id();
        let (helo, esmtp) = self.helo.clone().unwrap_or_default();
        // RFC 3848 (and RFC 6531 §3.7.3 for UTF8SMTP): S for TLS, A for
        // an authenticated client.
        let auth = self.authenticated.is_some();
        let protocol = match (esmtp, env.smtputf8, self.secure, auth) {
            (false, _, _, _) => "SMTP",
            (true, false, false, false) => "ESMTP",
            (true, false, true, false) => "ESMTPS",
            (true, false, false, true) => "ESMTPA",
            (true, false, true, true) => "ESMTPSA",
            (true, true, false, false) => "UTF8SMTP",
            (true, true, true, false) => "UTF8SMTPS",
            (true, true, false, true) => "UTF8SMTPA",
            (true, true, true, true) => "UTF8SMTPSA",
        };
        let trace = Trace {
            helo,
            peer: self.peer.map(|p| p.ip()),
            by: self.cfg.hostname.clone(),
            protocol,
            id,
            for_rcpt: (env.recipients.len() == 1).then(|| env.recipients[0].clone()),
        };
        let tx = Transaction {
            id,
            from: env.from.as_ref().map(|a| a.to_string()),
            recipients: env.recipients.clone(),
            rcpt_dsn: env.rcpt_dsn.clone(),
            dsn: env.dsn.clone(),
            binary: env.binary,
            mailboxes: env.mailboxes.clone(),
            remote: env.remote.clone(),
            trace,
            data,
            held: Arc::new(held),
        };
        // Keep the envelope until the outcome is known, so a shutdown
        // meanwhile sees a transaction in progress.
        self.envelope = Some(env);
        self.pending_id = Some(id);
        self.phase = Phase::Delivering;
        self.flush_out_to_queue();
        self.queue
            .push_back(Output::Event(Event::Message(Box::new(tx))));
    }
}

/// How many `Received:` fields the header of `data` (LF or CRLF line
/// ends) holds: the hop count of RFC 5321 §6.3.
pub fn received_fields(data: &[u8]) -> usize {
    let mut n = 0;
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.len() >= 9 && line[..9].eq_ignore_ascii_case(b"received:") {
            n += 1;
        }
    }
    n
}

impl crate::proto::Session for ServerSession {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        ServerSession::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        ServerSession::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        ServerSession::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        ServerSession::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ServerSession::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        ServerSession::wants_input(self)
    }
    fn resume(&mut self, _now: Instant) -> bool {
        ServerSession::resume(self)
    }
    fn shutdown(&mut self, immediate: bool) {
        ServerSession::shutdown(self, immediate)
    }
}

#[cfg(test)]
mod tests;

//! The sans-IO POP3 server session (RFC 1939, CAPA RFC 2449, AUTH RFC 5034).
//!
//! States as the RFC names them: AUTHORIZATION (USER/PASS, APOP, AUTH
//! PLAIN), TRANSACTION (STAT LIST RETR DELE NOOP RSET TOP UIDL), UPDATE
//! (after QUIT). Anything that needs the world (checking a password and
//! locking the maildrop, reading a message, deleting) is an [`Event`] the
//! owner answers with a method call. Deletions happen only in UPDATE: a
//! dropped connection deletes nothing.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::proto::dotstuff::{Encoder, TERMINATOR};
use crate::proto::line::{Line, LineBuffer};
use crate::proto::sasl::{self, Mechanism, SaslError};
use crate::proto::Body;

/// The longest command line (RFC 2449 §4: 255 octets; AUTH responses may
/// be longer, RFC 5034 §4).
pub const MAX_LINE: usize = 1024;

/// Where a SASL exchange stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SaslStep {
    /// PLAIN's one response.
    Plain,
    /// LOGIN's user name.
    LoginUser,
    /// LOGIN's password, for this user.
    LoginPassword(String),
}

/// Settings shared by every session.
#[derive(Debug, Clone)]
pub struct Pop3Config {
    /// Our host name, for the greeting and the APOP timestamp.
    pub hostname: String,
    /// Idle time before the session is closed (RFC 1939 §3: ≥ 10 minutes).
    pub timeout: Duration,
    /// Longest a session may last, however busy: a client dripping a byte
    /// at a time cannot hold its maildrop's lock for ever.
    pub max_session_time: Duration,
    /// Output handed out before the client reads it, after which pipelined
    /// commands wait ([`crate::proto::OUTPUT_BUDGET`]; small in the fuzzer).
    pub output_budget: usize,
    /// Offer APOP: the greeting carries a timestamp (RFC 1939 §7).
    pub apop: bool,
    /// Delay before answering a failed login, doubled for each further one.
    pub auth_delay: Duration,
    /// Failed logins before the connection is closed.
    pub max_auth_failures: u32,
    /// STLS is offered (a certificate is configured, RFC 2595 §4).
    pub stls: bool,
    /// USER, PASS, APOP and AUTH are accepted without TLS.
    pub login_without_tls: bool,
}

/// Credentials to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// USER + PASS, or AUTH PLAIN.
    Password {
        /// The login name as given.
        user: String,
        /// The password.
        password: String,
    },
    /// APOP: MD5 of the greeting timestamp and the password (RFC 1939 §7).
    Apop {
        /// The login name.
        user: String,
        /// The timestamp from the greeting, `<...>`.
        timestamp: String,
        /// The hex digest the client sent.
        digest: String,
    },
}

/// One message of a locked maildrop, as the owner lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Unique id (RFC 1939 §7 UIDL: 1-70 printable characters).
    pub uid: String,
    /// Size in octets as sent: CRLF line ends, before dot-stuffing.
    pub size: u64,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Wrong name or password: `-ERR [AUTH]`.
    Invalid,
    /// The maildrop is locked by another session: `-ERR [IN-USE]`.
    InUse,
    /// The maildrop could not be opened: `-ERR [SYS/TEMP]`.
    Temporary(String),
}

/// What the session needs from its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Check these credentials, lock and list the maildrop, then call
    /// [`Pop3Session::authenticated`].
    Authenticate(Credentials),
    /// Read message `index` (0-based in the listing), then call
    /// [`Pop3Session::retrieved`]. `top` is TOP's line count.
    Retrieve {
        /// 0-based index in the listing.
        index: usize,
        /// For TOP: the number of body lines; `None` for RETR.
        top: Option<usize>,
    },
    /// UPDATE state: delete these and mark these seen, then call
    /// [`Pop3Session::updated`].
    Update {
        /// Indexes of messages marked deleted.
        delete: Vec<usize>,
        /// Indexes of messages retrieved and not deleted.
        seen: Vec<usize>,
    },
}

/// One item of session output.
pub type Output = crate::proto::Output<Event>;

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// RFC 1939 §4: waiting for USER/PASS, APOP or AUTH.
    Authorization,
    /// Waiting for the owner to check credentials.
    Checking,
    /// RFC 1939 §5.
    Transaction,
    /// Waiting for a message's bytes.
    Reading,
    /// RFC 1939 §6: QUIT given, the owner is updating the maildrop.
    Update,
    /// Waiting for a base64 response to `AUTH` (RFC 5034 §4).
    AuthContinue,
    Closed,
}

/// One POP3 server session.
#[derive(Debug)]
pub struct Pop3Session {
    cfg: Pop3Config,
    state: State,
    input: LineBuffer,
    out: Vec<u8>,
    queue: VecDeque<Output>,
    timestamp: Option<String>,
    user: Option<String>,
    messages: Vec<Listed>,
    deleted: Vec<bool>,
    seen: Vec<bool>,
    failures: u32,
    /// Where a SASL exchange stands (in [`State::AuthContinue`]).
    sasl: SaslStep,
    /// A failed login's reply is held until then.
    held: Option<(Instant, Vec<u8>)>,
    deadline: Instant,
    /// When the session must end, however busy.
    ends_at: Instant,
    now: Instant,
    /// TLS is on (after STLS, or an implicit-TLS port).
    secure: bool,
    /// Output handed to the loop since the client last read it all;
    /// commands wait in `input` while it is over the budget (12 KB of
    /// pipelined `RETR 1` must not become a gigabyte of replies at once).
    pacer: crate::proto::Pacer,
}

impl Pop3Session {
    /// The connection is TLS from its start (POP3S, `--tls-listen`).
    pub fn set_secure(&mut self) {
        self.secure = true;
    }

    fn logins_allowed(&self) -> bool {
        self.secure || self.cfg.login_without_tls
    }

    /// A new session; queues the greeting. `unique` makes the APOP
    /// timestamp unique (e.g. pid.counter.time).
    pub fn new(cfg: Pop3Config, unique: &str, now: Instant) -> Self {
        let timestamp = cfg.apop.then(|| format!("<{unique}@{}>", cfg.hostname));
        let mut s = Pop3Session {
            deadline: now + cfg.timeout.min(cfg.max_session_time),
            ends_at: now + cfg.max_session_time,
            cfg,
            state: State::Authorization,
            input: LineBuffer::new(),
            out: Vec::new(),
            queue: VecDeque::new(),
            timestamp,
            user: None,
            messages: Vec::new(),
            deleted: Vec::new(),
            seen: Vec::new(),
            failures: 0,
            sasl: SaslStep::Plain,
            held: None,
            now,
            secure: false,
            pacer: crate::proto::Pacer::default(),
        };
        let greeting = match &s.timestamp {
            Some(t) => format!("+OK mailkit POP3 server ready {t}"),
            None => "+OK mailkit POP3 server ready".to_string(),
        };
        s.line(&greeting);
        s
    }

    fn line(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn ok(&mut self, text: &str) {
        self.line(&format!("+OK {text}"));
    }

    fn err(&mut self, text: &str) {
        self.line(&format!("-ERR {text}"));
    }

    fn emit(&mut self, e: Event) {
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.queue.push_back(Output::Transmit(b));
        }
        self.queue.push_back(Output::Event(e));
    }

    fn close(&mut self) {
        self.state = State::Closed;
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.queue.push_back(Output::Transmit(b));
        }
        self.queue.push_back(Output::Close);
    }

    /// Bytes from the client.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        self.now = now;
        self.deadline = (now + self.cfg.timeout).min(self.ends_at);
        self.input.extend(bytes);
        self.process();
    }

    /// The client closed: the session ends and nothing is deleted.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.state != State::Closed && self.state != State::Update {
            self.close();
        }
    }

    /// Fires a held reply or the idle timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if let Some((at, _)) = &self.held {
            if now >= *at {
                if let Some((_, bytes)) = self.held.take() {
                    self.out.extend_from_slice(&bytes);
                }
                if self.failures >= self.cfg.max_auth_failures {
                    self.err("[AUTH] too many failed logins");
                    return self.close();
                }
                self.state = State::Authorization;
                return self.process();
            }
        }
        if now >= self.deadline
            && matches!(
                self.state,
                State::Authorization | State::Transaction | State::AuthContinue
            )
        {
            if now >= self.ends_at {
                self.err("[SYS/TEMP] session too long, closing connection (nothing deleted)");
            } else {
                self.err("idle too long, closing connection (nothing deleted)");
            }
            self.close();
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.queue.pop_front() {
            if let Output::Transmit(b) = &o {
                self.pacer.sent(b.len());
            }
            return Some(o);
        }
        if !self.out.is_empty() {
            self.pacer.sent(self.out.len());
            return Some(Output::Transmit(std::mem::take(&mut self.out)));
        }
        None
    }

    /// The client has read everything sent so far: answer the commands
    /// held back by [`crate::proto::OUTPUT_BUDGET`].
    pub fn resume(&mut self) -> bool {
        let waiting = self.pacer.resume();
        if waiting {
            self.process();
        }
        waiting
    }

    /// When to call [`Pop3Session::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (&self.held, &self.state) {
            (Some((at, _)), _) => Some(*at),
            (None, State::Authorization | State::Transaction | State::AuthContinue) => {
                Some(self.deadline)
            }
            _ => None,
        }
    }

    /// Whether input is welcome now.
    pub fn wants_input(&self) -> bool {
        matches!(
            self.state,
            State::Authorization | State::Transaction | State::AuthContinue
        ) && self.held.is_none()
            && self.input.len() < 64 * 1024
            && !self.pacer.paused()
    }

    /// The maildrop's owner, once logged in.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Answers [`Event::Authenticate`]: the maildrop listing, or why not.
    pub fn authenticated(&mut self, result: Result<(String, Vec<Listed>), AuthFailure>) {
        if self.state != State::Checking {
            return;
        }
        match result {
            Ok((user, messages)) => {
                let n = messages.len();
                let size: u64 = messages.iter().map(|m| m.size).sum();
                self.deleted = vec![false; n];
                self.seen = vec![false; n];
                self.messages = messages;
                self.user = Some(user);
                self.state = State::Transaction;
                self.ok(&format!(
                    "maildrop has {} ({size} octets)",
                    crate::util::count(n, "message")
                ));
                self.process();
            }
            Err(AuthFailure::InUse) => {
                self.state = State::Authorization;
                self.err("[IN-USE] maildrop already locked by another session");
                self.process();
            }
            Err(AuthFailure::Temporary(why)) => {
                self.state = State::Authorization;
                self.err(&format!("[SYS/TEMP] cannot open the maildrop: {why}"));
                self.process();
            }
            Err(AuthFailure::Invalid) => {
                self.failures += 1;
                let delay = self.cfg.auth_delay * (1 << (self.failures - 1).min(5));
                self.held = Some((
                    self.now + delay,
                    b"-ERR [AUTH] invalid user name or password\r\n".to_vec(),
                ));
            }
        }
    }

    /// Answers [`Event::Retrieve`] with a reader of the message as stored
    /// (LF or CRLF line ends). The session streams it as a multi-line
    /// response ([`Output::Body`]: CRLF, dot-stuffed, TOP's lines only),
    /// so the message is never in memory whole.
    pub fn retrieved(
        &mut self,
        index: usize,
        top: Option<usize>,
        result: std::io::Result<Box<dyn std::io::Read + Send>>,
    ) {
        if self.state != State::Reading {
            return;
        }
        self.state = State::Transaction;
        match result {
            Ok(source) => {
                if top.is_none() {
                    self.seen[index] = true;
                }
                let size = self.messages.get(index).map_or(0, |m| m.size);
                self.ok(&format!("{size} octets"));
                let encoder = top.map_or_else(Encoder::new, Encoder::top);
                let b = std::mem::take(&mut self.out);
                self.queue.push_back(Output::Transmit(b));
                // Counted as the whole message: pipelined commands wait
                // for the client to read it (RFC 2449 §6.6 pipelining).
                self.pacer.sent(usize::try_from(size).unwrap_or(usize::MAX));
                self.queue
                    .push_back(Output::Body(Body::dot_stuffed(source, encoder)));
                self.out.extend_from_slice(TERMINATOR);
            }
            Err(why) => self.err(&format!(
                "[SYS/TEMP] message {} cannot be read: {why}",
                index + 1
            )),
        }
        self.process();
    }

    /// Answers [`Event::Update`]; the session then ends.
    pub fn updated(&mut self, result: std::io::Result<usize>) {
        if self.state != State::Update {
            return;
        }
        match result {
            Ok(left) => self.ok(&format!(
                "mailkit POP3 server signing off ({} left)",
                crate::util::count(left, "message")
            )),
            Err(why) => self.err(&format!(
                "[SYS/TEMP] some deleted messages not removed: {why}"
            )),
        }
        self.close();
    }

    fn process(&mut self) {
        while matches!(
            self.state,
            State::Authorization | State::Transaction | State::AuthContinue
        ) && self.held.is_none()
        {
            if self.pacer.must_wait(self.out.len(), self.cfg.output_budget) {
                return;
            }
            let line = match self.input.next_line(MAX_LINE) {
                None => return,
                Some(Line::TooLong) => {
                    self.err("line too long");
                    continue;
                }
                Some(Line::Complete(l)) => String::from_utf8_lossy(l).into_owned(),
            };
            if self.state == State::AuthContinue {
                self.sasl_response(line.trim());
                continue;
            }
            self.command(&line);
        }
    }

    fn command(&mut self, line: &str) {
        let mut parts = line.trim_end().splitn(2, ' ');
        let verb = parts.next().unwrap_or("").to_ascii_uppercase();
        let arg = parts.next().unwrap_or("").trim();
        let auth = self.state == State::Authorization;
        match (verb.as_str(), auth) {
            ("CAPA", _) => {
                self.ok("capability list follows");
                let mut caps = vec![
                    "TOP",
                    "UIDL",
                    "RESP-CODES",
                    "AUTH-RESP-CODE",
                    "PIPELINING",
                    "EXPIRE NEVER",
                    "IMPLEMENTATION mailkit",
                ];
                if auth && self.cfg.stls && !self.secure {
                    caps.push("STLS");
                }
                if auth && self.logins_allowed() {
                    caps.extend(["USER", "SASL PLAIN LOGIN"]);
                }
                for c in caps {
                    self.line(c);
                }
                self.line(".");
            }
            ("QUIT", true) => {
                self.ok("mailkit POP3 server signing off");
                self.close();
            }
            ("QUIT", false) => {
                self.state = State::Update;
                let delete = (0..self.messages.len())
                    .filter(|&i| self.deleted[i])
                    .collect();
                let seen = (0..self.messages.len())
                    .filter(|&i| self.seen[i] && !self.deleted[i])
                    .collect();
                self.emit(Event::Update { delete, seen });
            }
            ("NOOP", false) => self.ok(""),
            ("USER" | "PASS" | "APOP" | "AUTH", true) if !self.logins_allowed() => {
                self.err("[AUTH] logins need TLS here: send STLS first")
            }
            ("USER", true) => {
                if arg.is_empty() {
                    return self.err("USER needs a name");
                }
                self.user = Some(arg.to_string());
                self.ok("send PASS");
            }
            ("PASS", true) => match self.user.take() {
                None => self.err("USER first"),
                Some(user) => {
                    self.state = State::Checking;
                    // RFC 1939 §7: the password may contain spaces.
                    let password = line
                        .trim_end_matches(['\r', '\n'])
                        .get(5..)
                        .unwrap_or("")
                        .to_string();
                    self.emit(Event::Authenticate(Credentials::Password {
                        user,
                        password,
                    }));
                }
            },
            ("APOP", true) => {
                let Some(timestamp) = self.timestamp.clone() else {
                    return self.err("APOP is not offered here");
                };
                let mut a = arg.split_whitespace();
                match (a.next(), a.next()) {
                    (Some(user), Some(digest)) => {
                        self.state = State::Checking;
                        let (user, digest) = (user.to_string(), digest.to_ascii_lowercase());
                        self.emit(Event::Authenticate(Credentials::Apop {
                            user,
                            timestamp,
                            digest,
                        }));
                    }
                    _ => self.err("usage: APOP name digest"),
                }
            }
            ("AUTH", true) => {
                let mut a = arg.split_whitespace();
                let mech = a.next().unwrap_or("").to_ascii_uppercase();
                if mech.is_empty() {
                    self.ok("SASL mechanisms follow");
                    for m in sasl::MECHANISMS {
                        self.line(m.name());
                    }
                    return self.line(".");
                }
                let (step, challenge) = match Mechanism::parse(&mech) {
                    Some(Mechanism::Plain) => (SaslStep::Plain, ""),
                    Some(Mechanism::Login) => (SaslStep::LoginUser, sasl::LOGIN_USER_CHALLENGE),
                    None => return self.err("unsupported SASL mechanism (PLAIN, LOGIN)"),
                };
                self.sasl = step;
                match a.next() {
                    Some(initial) => self.sasl_response(initial),
                    None => {
                        self.state = State::AuthContinue;
                        self.line(&format!("+ {challenge}"));
                    }
                }
            }
            ("STLS", true) if self.cfg.stls && !self.secure => {
                // RFC 2595 §4: +OK, then TLS; what the client sent in the
                // clear after STLS is dropped (CVE-2011-0411), and so is
                // any USER given before.
                self.ok("begin TLS negotiation");
                let bytes = std::mem::take(&mut self.out);
                self.queue.push_back(Output::Transmit(bytes));
                self.queue.push_back(Output::StartTls);
                self.input = LineBuffer::new();
                self.user = None;
                self.secure = true;
            }
            ("STLS", true) if self.secure => self.err("TLS is already active"),
            ("STLS", true) => self.err("STLS is not available on this server"),
            ("STLS", false) => self.err("STLS is only allowed before login"),
            ("STAT", false) => {
                let (n, size) = self
                    .live()
                    .fold((0, 0u64), |(n, s), (_, m)| (n + 1, s + m.size));
                self.ok(&format!("{n} {size}"));
            }
            ("LIST", false) | ("UIDL", false) => {
                let uidl = verb == "UIDL";
                if arg.is_empty() {
                    self.ok(if uidl {
                        "unique-id listing follows"
                    } else {
                        "scan listing follows"
                    });
                    let lines: Vec<String> = self
                        .live()
                        .map(|(i, m)| {
                            if uidl {
                                format!("{} {}", i + 1, m.uid)
                            } else {
                                format!("{} {}", i + 1, m.size)
                            }
                        })
                        .collect();
                    for l in lines {
                        self.line(&l);
                    }
                    self.line(".");
                } else {
                    match self.msg_arg(arg) {
                        Ok(i) => {
                            let m = &self.messages[i];
                            let text = if uidl {
                                format!("{} {}", i + 1, m.uid)
                            } else {
                                format!("{} {}", i + 1, m.size)
                            };
                            self.ok(&text);
                        }
                        Err(e) => self.err(&e.to_string()),
                    }
                }
            }
            ("RETR", false) => match self.msg_arg(arg) {
                Ok(i) => {
                    self.state = State::Reading;
                    self.emit(Event::Retrieve {
                        index: i,
                        top: None,
                    });
                }
                Err(e) => self.err(&e.to_string()),
            },
            ("TOP", false) => {
                let mut a = arg.split_whitespace();
                let (Some(n), Some(lines)) = (a.next(), a.next()) else {
                    return self.err("usage: TOP msg n");
                };
                let Ok(lines) = lines.parse::<usize>() else {
                    return self.err("TOP's line count must be a number");
                };
                match self.msg_arg(n) {
                    Ok(i) => {
                        self.state = State::Reading;
                        self.emit(Event::Retrieve {
                            index: i,
                            top: Some(lines),
                        });
                    }
                    Err(e) => self.err(&e.to_string()),
                }
            }
            ("DELE", false) => match self.msg_arg(arg) {
                Ok(i) => {
                    self.deleted[i] = true;
                    self.ok(&format!("message {} deleted", i + 1));
                }
                Err(e) => self.err(&e.to_string()),
            },
            ("RSET", false) => {
                self.deleted.iter_mut().for_each(|d| *d = false);
                let n = self.messages.len();
                self.ok(&format!(
                    "maildrop has {}",
                    crate::util::count(n, "message")
                ));
            }
            ("STAT" | "LIST" | "UIDL" | "RETR" | "TOP" | "DELE" | "RSET" | "NOOP", true) => {
                self.err("log in first (USER/PASS, APOP or AUTH)")
            }
            ("USER" | "PASS" | "APOP" | "AUTH", false) => self.err("already logged in"),
            _ => self.err("unknown command"),
        }
    }

    /// One response of a SASL exchange (RFC 5034 §4; `*` cancels).
    fn sasl_response(&mut self, b64: &str) {
        self.state = State::Authorization;
        let step = std::mem::replace(&mut self.sasl, SaslStep::Plain);
        let done = match step {
            SaslStep::Plain => sasl::plain(b64.as_bytes()),
            SaslStep::LoginUser => match sasl::login_value(b64.as_bytes()) {
                Ok(user) if !user.is_empty() => {
                    self.sasl = SaslStep::LoginPassword(user);
                    self.state = State::AuthContinue;
                    return self.line(&format!("+ {}", sasl::LOGIN_PASSWORD_CHALLENGE));
                }
                Ok(_) => Err(SaslError::Malformed),
                Err(e) => Err(e),
            },
            SaslStep::LoginPassword(user) => sasl::login_value(b64.as_bytes())
                .map(|password| sasl::Credentials { user, password }),
        };
        match done {
            Ok(c) => {
                self.state = State::Checking;
                self.emit(Event::Authenticate(Credentials::Password {
                    user: c.user,
                    password: c.password,
                }));
            }
            Err(SaslError::Cancelled) => self.err("AUTH cancelled"),
            Err(e) => self.err(&format!("[AUTH] {e}")),
        }
    }

    fn live(&self) -> impl Iterator<Item = (usize, &Listed)> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
    }

    /// The index of the message a command names (RFC 1939 §5: numbers
    /// from 1, a deleted message may not be named).
    fn msg_arg(&self, arg: &str) -> Result<usize, BadMessage> {
        let n: usize = arg.parse().map_err(|_| BadMessage::NotANumber)?;
        if n == 0 || n > self.messages.len() {
            return Err(BadMessage::NoSuch(self.messages.len()));
        }
        if self.deleted[n - 1] {
            return Err(BadMessage::Deleted(n));
        }
        Ok(n - 1)
    }
}

/// The APOP digest for a greeting timestamp and a password: lowercase hex
/// of MD5(timestamp + password) (RFC 1939 §7).
pub fn apop_digest(timestamp: &str, password: &str) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(format!("{timestamp}{password}").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl crate::proto::Session for Pop3Session {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        Pop3Session::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        Pop3Session::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Pop3Session::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        Pop3Session::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Pop3Session::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        Pop3Session::wants_input(self)
    }
    fn resume(&mut self, _now: Instant) -> bool {
        Pop3Session::resume(self)
    }
    fn shutdown(&mut self, _immediate: bool) {
        if matches!(
            self.state,
            State::Authorization | State::Transaction | State::AuthContinue
        ) {
            self.err("server shutting down, nothing deleted");
            self.close();
        }
    }
}

/// Why a command's message number names no message (the -ERR text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadMessage {
    /// The argument is not a number.
    NotANumber,
    /// Out of range; the maildrop holds this many.
    NoSuch(usize),
    /// The message was deleted in this session.
    Deleted(usize),
}

impl std::fmt::Display for BadMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadMessage::NotANumber => f.write_str("a message number is needed"),
            BadMessage::NoSuch(n) => write!(f, "no such message, only {n} in maildrop"),
            BadMessage::Deleted(n) => write!(f, "message {n} already deleted"),
        }
    }
}

#[cfg(test)]
mod tests;

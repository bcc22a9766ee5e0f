//! The sans-IO SMTP client session (RFC 5321 §3, §4; PIPELINING RFC 2920,
//! SIZE RFC 1870, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531).
//!
//! A [`ClientSession`] carries any number of messages over one connection:
//! queue them with [`ClientSession::send`] (before or while the session
//! runs), then [`ClientSession::finish`] to QUIT after the last one. It
//! reports each message's outcome as an [`Event`], naming the stage that
//! failed, so `send` can map it to swaks's exit codes and the relay queue
//! to retry or bounce. Like the server session it has no socket and no
//! clock: bytes and `Instant`s in, bytes, events and deadlines out.

use std::collections::VecDeque;

use super::dsn::{MailDsn, RcptDsn};
use std::time::{Duration, Instant};

use super::reply::{Reply, ReplyError, ReplyReader};
use crate::proto::line::{Line, LineBuffer};

/// Longest reply line we accept (RFC 5321 §4.5.3.1.5 says 512; servers
/// exceed it, so allow more, but not without bound).
const MAX_REPLY_LINE: usize = 4096;

/// Settings of a client session.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The name sent with EHLO/HELO.
    pub helo: String,
    /// Use PIPELINING when the server offers it.
    pub pipelining: bool,
    /// How long to wait for any one reply.
    pub timeout: Duration,
    /// Treat any refused recipient as a failed message (nothing is sent;
    /// recipients are then tried one at a time, without pipelining).
    pub all_recipients: bool,
    /// Require STARTTLS (RFC 3207) before anything else; fail when the
    /// server does not offer it.
    pub starttls: bool,
    /// The connection is already TLS (implicit TLS): never STARTTLS.
    pub tls_active: bool,
    /// Use STARTTLS when the server offers it, go on in the clear when it
    /// does not (opportunistic TLS between MTAs, RFC 3207 §4).
    pub starttls_opportunistic: bool,
    /// AUTH before the first MAIL (RFC 4954).
    pub auth: Option<AuthConfig>,
    /// Send with BDAT when the server offers CHUNKING (RFC 3030); DATA
    /// otherwise. BODY=BINARYMIME messages always need BDAT.
    pub chunking: bool,
}

/// Credentials for AUTH and how to present them.
#[derive(Clone)]
pub struct AuthConfig {
    /// The user name (authcid).
    pub user: String,
    /// The password.
    pub password: String,
    /// `PLAIN` or `LOGIN`; `None` picks PLAIN when offered, else LOGIN.
    pub mechanism: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, not even in debug output.
        write!(
            f,
            "AuthConfig {{ user: {:?}, mechanism: {:?} }}",
            self.user, self.mechanism
        )
    }
}

impl ClientConfig {
    /// Defaults: pipelining on, 300 s per reply (RFC 5321 §4.5.3.2 asks
    /// for minutes; a test tool can shorten it).
    pub fn new(helo: impl Into<String>) -> Self {
        ClientConfig {
            helo: helo.into(),
            pipelining: true,
            timeout: Duration::from_secs(300),
            all_recipients: false,
            starttls: false,
            tls_active: false,
            starttls_opportunistic: false,
            auth: None,
            chunking: true,
        }
    }
}

/// One message to send: the envelope and the message text (LF or CRLF line
/// ends; dot-stuffing and CRLF are applied on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path; `None` is the null sender `<>`.
    pub from: Option<String>,
    /// Forward paths, in order.
    pub to: Vec<String>,
    /// The message.
    pub data: Vec<u8>,
    /// BODY=BINARYMIME (RFC 3030 §3): the bytes go as they are, with
    /// BDAT; a server without CHUNKING and BINARYMIME cannot take it.
    pub binary: bool,
    /// DSN parameters (RFC 3461), sent when the server offers DSN.
    pub dsn: Option<EnvelopeDsn>,
}

/// The DSN parameters of one message (RFC 3461).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvelopeDsn {
    /// RET and ENVID, on MAIL.
    pub mail: MailDsn,
    /// NOTIFY and ORCPT of each recipient, in the order of `to`.
    pub rcpts: Vec<RcptDsn>,
    /// A server without DSN fails the message (`send`: the user asked
    /// for it); otherwise the parameters are left out (a relay, which
    /// then reports "relayed" itself, RFC 3461 §4.1).
    pub required: bool,
}

/// Where a message (or the session) failed, in the order swaks numbers
/// its exit codes (banner 21, HELO 22, MAIL 23, RCPT 24, DATA 25, after
/// data 26).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The greeting was not 220.
    Banner,
    /// Neither EHLO nor HELO was accepted.
    Helo,
    /// MAIL FROM was refused.
    Mail,
    /// No recipient was accepted.
    Rcpt,
    /// DATA was refused.
    Data,
    /// The message was refused after its final dot.
    AfterData,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server refused at a stage, with this reply.
    Refused(Stage, Reply),
    /// Not sent: bigger than the server's SIZE limit.
    TooBig {
        /// The message's size in octets.
        size: usize,
        /// The server's limit.
        limit: usize,
    },
    /// Not sent: the message needs an extension the server lacks
    /// (`8BITMIME` or `SMTPUTF8`).
    Unsupported(&'static str),
    /// The connection closed before the message was done.
    Closed,
    /// No reply within the timeout.
    Timeout,
    /// The server sent something that is not an SMTP reply.
    Protocol(String),
    /// TLS could not be had: STARTTLS not offered or refused, or the
    /// handshake failed (swaks: 29).
    Tls(String),
    /// Authentication failed or is not offered (swaks: 28).
    Auth(String),
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The greeting and EHLO (or HELO) exchange is done.
    Ready {
        /// The greeting reply.
        greeting: Reply,
        /// The EHLO keywords offered (upper-cased lines after the first);
        /// empty after a HELO fallback.
        extensions: Vec<String>,
    },
    /// A recipient was refused; the message goes on to the others.
    RecipientRefused {
        /// Index of the message (order of [`ClientSession::send`]).
        message: usize,
        /// The recipient.
        rcpt: String,
        /// The server's reply.
        reply: Reply,
    },
    /// A message was accepted: the reply after its final dot.
    Delivered {
        /// Index of the message.
        message: usize,
        /// The final reply (with the server's queue id).
        reply: Reply,
    },
    /// A message failed.
    Failed {
        /// Index of the message.
        message: usize,
        /// Why.
        failure: Failure,
    },
    /// The session itself failed before any message could be tried
    /// (banner, HELO, closed, timeout); queued messages are reported as
    /// [`Event::Failed`] too.
    SessionFailed(Failure),
    /// QUIT was answered (or the server closed after it); the session is over.
    Finished,
}

/// One item of session output.
pub type Output = crate::proto::Output<Event>;

/// What the session waits for (RFC 5321 §4.3.2 lists the sequences).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    Mail,
    Rcpt(usize),
    Data,
    EndOfData,
    /// The reply to a BDAT chunk (RFC 3030); `true` for the LAST one.
    Chunk(bool),
    Rset,
    Quit,
    StartTls,
    /// AUTH LOGIN: 334 for the user name (0) or the password (1).
    AuthLogin(u8),
    /// The final AUTH reply (235).
    AuthDone,
}

/// A message in flight.
#[derive(Debug)]
struct Current {
    index: usize,
    env: Envelope,
    /// RCPT commands sent so far (unpipelined mode).
    rcpts_sent: usize,
    accepted: usize,
    last_refusal: Option<Reply>,
    mail_ok: bool,
    failure: Option<Failure>,
    /// Sent with BDAT rather than DATA.
    chunked: bool,
}

/// One SMTP client session.
#[derive(Debug)]
pub struct ClientSession {
    cfg: ClientConfig,
    input: LineBuffer,
    reader: ReplyReader,
    /// Replies we are waiting for, in order.
    expect: VecDeque<Expect>,
    greeting: Option<Reply>,
    extensions: Vec<String>,
    ready: bool,
    queue: VecDeque<(usize, Envelope)>,
    next_index: usize,
    current: Option<Current>,
    /// The transaction pipelined right behind `current`'s final dot
    /// (RFC 2920 §3.1: MAIL may follow the end of data in one batch).
    next: Option<Current>,
    finishing: bool,
    done: bool,
    out: Vec<u8>,
    outputs: VecDeque<Output>,
    deadline: Option<Instant>,
    /// The latest time the session was told (input, timeouts): the start
    /// of a deadline for commands queued between those calls.
    clock: Instant,
    /// TLS is on (STARTTLS done, or implicit).
    tls: bool,
    authenticated: bool,
}

impl ClientSession {
    /// A session that waits for the server's greeting.
    pub fn new(cfg: ClientConfig, now: Instant) -> Self {
        let cfg_tls = cfg.tls_active;
        ClientSession {
            deadline: Some(now + cfg.timeout),
            clock: now,
            cfg,
            input: LineBuffer::new(),
            reader: ReplyReader::default(),
            expect: VecDeque::from([Expect::Greeting]),
            greeting: None,
            extensions: Vec::new(),
            ready: false,
            queue: VecDeque::new(),
            next_index: 0,
            current: None,
            next: None,
            finishing: false,
            done: false,
            out: Vec::new(),
            outputs: VecDeque::new(),
            tls: cfg_tls,
            authenticated: false,
        }
    }

    /// Queues a message; returns its index (used in events).
    pub fn send(&mut self, env: Envelope) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        if self.done {
            self.outputs.push_back(Output::Event(Event::Failed {
                message: index,
                failure: Failure::Closed,
            }));
            return index;
        }
        self.queue.push_back((index, env));
        self.advance();
        index
    }

    /// Sends QUIT once every queued message is done.
    pub fn finish(&mut self) {
        self.finishing = true;
        self.advance();
    }

    /// True when the session can take another message now without
    /// waiting (nothing queued behind the one in flight): the load
    /// generator keeps one message queued so that it can be pipelined
    /// behind the current one's final dot.
    pub fn wants_message(&self) -> bool {
        self.ready && !self.done && !self.finishing && self.queue.is_empty() && self.next.is_none()
    }

    /// True when nothing is queued or in flight.
    pub fn is_idle(&self) -> bool {
        self.ready
            && self.current.is_none()
            && self.next.is_none()
            && self.queue.is_empty()
            && !self.done
    }

    /// The EHLO keywords the server offered (upper-cased).
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Whether the server offered `keyword` (e.g. "PIPELINING").
    pub fn offers(&self, keyword: &str) -> bool {
        self.extension(keyword).is_some()
    }

    fn extension(&self, keyword: &str) -> Option<&str> {
        self.extensions.iter().map(String::as_str).find(|l| {
            l.split(' ')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
        })
    }

    /// Bytes from the server, in any split.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.clock = now;
        self.input.extend(bytes);
        let mut replies = 0;
        while !self.done {
            let line = match self.input.next_line(MAX_REPLY_LINE) {
                None => break,
                Some(Line::TooLong) => {
                    self.fail_session(Failure::Protocol("reply line too long".into()));
                    break;
                }
                Some(Line::Complete(l)) => l.to_vec(),
            };
            match self.reader.push_line(&line) {
                Ok(None) => {}
                Ok(Some(reply)) => {
                    replies += 1;
                    self.on_reply(reply);
                }
                Err(e) => {
                    let text = match e {
                        ReplyError::Malformed(l) => format!("not an SMTP reply: {l:?}"),
                        ReplyError::CodeChanged => {
                            "reply code changed inside a multi-line reply".into()
                        }
                        ReplyError::TooManyLines => "reply has too many lines".into(),
                    };
                    self.fail_session(Failure::Protocol(text));
                }
            }
        }
        // The deadline runs from the last complete reply, not the last
        // byte: a server that drips a byte at a time cannot hold the
        // client past --timeout.
        if self.expect.is_empty() || self.done {
            self.deadline = None;
        } else if replies > 0 || self.deadline.is_none() {
            self.deadline = Some(now + self.cfg.timeout);
        }
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.done {
            return;
        }
        if self.expect.front() == Some(&Expect::Quit) {
            self.end(Event::Finished);
        } else {
            self.fail_session(Failure::Closed);
        }
    }

    /// Call when [`ClientSession::poll_timeout`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) && !self.done {
            self.fail_session(Failure::Timeout);
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        // `outputs` holds what came before the bytes in `out` (each event
        // flushes `out` into it first).
        if let Some(o) = self.outputs.pop_front() {
            return Some(o);
        }
        if !self.out.is_empty() {
            return Some(Output::Transmit(std::mem::take(&mut self.out)));
        }
        None
    }

    /// When [`ClientSession::handle_timeout`] should be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done || self.expect.is_empty() {
            None
        } else {
            self.deadline
        }
    }

    /// Whether input is welcome.
    pub fn wants_input(&self) -> bool {
        !self.done
    }

    /// True once the session has ended.
    pub fn is_done(&self) -> bool {
        self.done
    }

    // ---------------------------------------------------------------- internals

    fn cmd(&mut self, line: &str, expect: Expect) {
        // Commands go out in order; any pending event must come first.
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self.expect.push_back(expect);
        // A command queued while nothing was awaited (the owner handed
        // over the next message) starts the clock for its reply.
        if self.deadline.is_none() && !self.done {
            self.deadline = Some(self.clock + self.cfg.timeout);
        }
    }

    fn event(&mut self, e: Event) {
        if !self.out.is_empty() {
            let bytes = std::mem::take(&mut self.out);
            self.outputs.push_back(Output::Transmit(bytes));
        }
        self.outputs.push_back(Output::Event(e));
    }

    fn end(&mut self, last: Event) {
        self.done = true;
        self.expect.clear();
        self.event(last);
        self.outputs.push_back(Output::Close);
    }

    fn fail_session(&mut self, f: Failure) {
        if self.done {
            return;
        }
        for cur in [self.current.take(), self.next.take()]
            .into_iter()
            .flatten()
        {
            self.event(Event::Failed {
                message: cur.index,
                failure: cur.failure.unwrap_or_else(|| f.clone()),
            });
        }
        while let Some((index, _)) = self.queue.pop_front() {
            self.event(Event::Failed {
                message: index,
                failure: f.clone(),
            });
        }
        self.end(Event::SessionFailed(f));
    }

    fn on_reply(&mut self, reply: Reply) {
        let Some(expect) = self.expect.pop_front() else {
            self.fail_session(Failure::Protocol(format!(
                "unexpected reply {}",
                reply.code
            )));
            return;
        };
        match expect {
            Expect::Greeting => {
                if reply.code != 220 {
                    return self.fail_session(Failure::Refused(Stage::Banner, reply));
                }
                self.greeting = Some(reply);
                let line = format!("EHLO {}", self.cfg.helo);
                self.cmd(&line, Expect::Ehlo);
            }
            Expect::Ehlo => {
                if reply.is_positive() {
                    self.extensions = reply
                        .lines
                        .iter()
                        .skip(1)
                        .map(|l| l.to_ascii_uppercase())
                        .collect();
                    self.after_ehlo();
                } else if (500..600).contains(&reply.code) {
                    // An RFC 821 server: fall back to HELO (RFC 5321 §3.2).
                    let line = format!("HELO {}", self.cfg.helo);
                    self.cmd(&line, Expect::Helo);
                } else {
                    self.fail_session(Failure::Refused(Stage::Helo, reply));
                }
            }
            Expect::Helo => {
                if reply.is_positive() {
                    self.after_ehlo();
                } else {
                    self.fail_session(Failure::Refused(Stage::Helo, reply));
                }
            }
            Expect::Mail => {
                if let Some(cur) = &mut self.current {
                    if reply.is_positive() {
                        cur.mail_ok = true;
                    } else if cur.failure.is_none() {
                        cur.failure = Some(Failure::Refused(Stage::Mail, reply));
                    }
                }
                self.advance();
            }
            Expect::Rcpt(i) => {
                let mut refused = None;
                if let Some(cur) = &mut self.current {
                    if reply.is_positive() {
                        cur.accepted += 1;
                    } else if cur.mail_ok {
                        cur.last_refusal = Some(reply.clone());
                        refused = Some((
                            cur.index,
                            cur.env.to.get(i).cloned().unwrap_or_default(),
                            reply,
                        ));
                    }
                }
                if let Some((message, rcpt, reply)) = refused {
                    self.event(Event::RecipientRefused {
                        message,
                        rcpt,
                        reply,
                    });
                }
                self.advance();
            }
            Expect::Data => self.on_data_reply(reply),
            Expect::Chunk(false) => {
                // A chunk refused: the transaction failed (RFC 3030 §2);
                // the LAST chunk's reply (503) still comes.
                if let Some(cur) = &mut self.current {
                    if !reply.is_positive() && cur.failure.is_none() {
                        cur.failure = Some(if cur.accepted == 0 {
                            Failure::Refused(Stage::Rcpt, cur.last_refusal.clone().unwrap_or(reply))
                        } else {
                            Failure::Refused(Stage::AfterData, reply)
                        });
                    }
                }
            }
            Expect::Chunk(true) | Expect::EndOfData => {
                if let Some(cur) = self.current.take() {
                    let e = match cur.failure {
                        Some(f) => Event::Failed {
                            message: cur.index,
                            failure: f,
                        },
                        None if reply.is_positive() => Event::Delivered {
                            message: cur.index,
                            reply,
                        },
                        // BDAT pipelined behind refused recipients.
                        None if cur.accepted == 0 => Event::Failed {
                            message: cur.index,
                            failure: Failure::Refused(
                                Stage::Rcpt,
                                cur.last_refusal.unwrap_or(reply),
                            ),
                        },
                        None => Event::Failed {
                            message: cur.index,
                            failure: Failure::Refused(Stage::AfterData, reply),
                        },
                    };
                    self.event(e);
                }
                self.current = self.next.take();
                // With BDAT the next message went out with its commands:
                // queue the one after it behind them (RFC 2920, 3030).
                if self.current.as_ref().is_some_and(|c| c.chunked)
                    && self.pipelined()
                    && self.next.is_none()
                {
                    self.next = self.start_transaction();
                }
                self.advance();
            }
            Expect::Rset => self.advance(),
            Expect::Quit => self.end(Event::Finished),
            Expect::StartTls => {
                if reply.code != 220 {
                    return self.fail_session(Failure::Tls(format!(
                        "STARTTLS was refused: {} {}",
                        reply.code,
                        reply.lines.join(" / ")
                    )));
                }
                // Bytes before this point went in the clear; the new EHLO
                // goes inside TLS (RFC 3207 §4.2: start over). Whatever
                // the server sent after its 220 came in the clear too and
                // is dropped, not read as replies inside TLS (a STARTTLS
                // response injection: CVE-2011-0411's client side, Mutt's
                // CVE-2020-14954).
                self.input = LineBuffer::new();
                self.reader = ReplyReader::default();
                self.event_flush();
                self.outputs.push_back(Output::StartTls);
                self.tls = true;
                self.extensions.clear();
                let line = format!("EHLO {}", self.cfg.helo);
                self.cmd(&line, Expect::Ehlo);
            }
            Expect::AuthLogin(step) => {
                if reply.code != 334 {
                    return self.auth_refused(&reply);
                }
                let Some(a) = self.cfg.auth.clone() else {
                    return;
                };
                let (value, next) = if step == 0 {
                    (a.user, Expect::AuthLogin(1))
                } else {
                    (a.password, Expect::AuthDone)
                };
                let line = crate::proto::sasl::login_response(&value);
                self.cmd(&line, next);
            }
            Expect::AuthDone => {
                if reply.code != 235 {
                    return self.auth_refused(&reply);
                }
                self.authenticated = true;
                self.become_ready();
            }
        }
    }

    fn auth_refused(&mut self, reply: &Reply) {
        self.fail_session(Failure::Auth(format!(
            "authentication was refused: {} {}",
            reply.code,
            reply.lines.join(" / ")
        )));
    }

    /// Moves bytes written so far into the output queue.
    fn event_flush(&mut self) {
        if !self.out.is_empty() {
            let bytes = std::mem::take(&mut self.out);
            self.outputs.push_back(Output::Transmit(bytes));
        }
    }

    /// After a positive EHLO/HELO: STARTTLS if asked for and not yet done,
    /// then AUTH if configured, then ready.
    fn after_ehlo(&mut self) {
        if !self.tls && self.cfg.starttls_opportunistic && self.offers("STARTTLS") {
            return self.cmd("STARTTLS", Expect::StartTls);
        }
        if self.cfg.starttls && !self.tls {
            if !self.offers("STARTTLS") {
                return self
                    .fail_session(Failure::Tls("the server does not offer STARTTLS".into()));
            }
            return self.cmd("STARTTLS", Expect::StartTls);
        }
        if let (Some(a), false) = (self.cfg.auth.clone(), self.authenticated) {
            let offered: Vec<String> = self
                .extension("AUTH")
                .map(|l| l.split(' ').skip(1).map(str::to_owned).collect())
                .unwrap_or_default();
            let mech = match &a.mechanism {
                Some(m) => Some(m.to_ascii_uppercase()),
                None => ["PLAIN", "LOGIN"]
                    .into_iter()
                    .find(|m| offered.iter().any(|o| o == m))
                    .map(str::to_owned),
            };
            match mech.as_deref() {
                _ if offered.is_empty() => self.fail_session(Failure::Auth(
                    "the server does not offer AUTH (it may want STARTTLS first: --starttls)"
                        .into(),
                )),
                Some(m) if !offered.iter().any(|o| o == m) => {
                    self.fail_session(Failure::Auth(format!(
                        "the server does not offer AUTH {m} (it offers {})",
                        offered.join(" ")
                    )))
                }
                Some("PLAIN") => {
                    let line = format!(
                        "AUTH PLAIN {}",
                        crate::proto::sasl::plain_response(&a.user, &a.password)
                    );
                    self.cmd(&line, Expect::AuthDone);
                }
                Some("LOGIN") => self.cmd("AUTH LOGIN", Expect::AuthLogin(0)),
                Some(m) => self.fail_session(Failure::Auth(format!(
                    "AUTH {m} is not supported here (PLAIN, LOGIN)"
                ))),
                None => self.fail_session(Failure::Auth(format!(
                    "the server offers neither AUTH PLAIN nor LOGIN (it offers {})",
                    offered.join(" ")
                ))),
            }
            return;
        }
        self.become_ready();
    }

    fn on_data_reply(&mut self, reply: Reply) {
        let Some(cur) = &mut self.current else { return };
        if reply.code == 354 {
            if cur.failure.is_some() || cur.accepted == 0 {
                // A pipelining server said 354 although nothing can be
                // delivered: end the empty message (RFC 2920 §3.1).
                if cur.failure.is_none() {
                    let r = cur.last_refusal.clone().unwrap_or(reply);
                    cur.failure = Some(Failure::Refused(Stage::Rcpt, r));
                }
                self.out.extend_from_slice(b".\r\n");
            } else {
                let body = wire_body(&cur.env.data);
                self.out.extend_from_slice(&body);
            }
            self.expect.push_front(Expect::EndOfData);
            if self.pipelined() && self.next.is_none() {
                self.next = self.start_transaction();
            }
            return;
        }
        let failure = match (&cur.failure, cur.accepted) {
            (Some(f), _) => f.clone(),
            (None, 0) => Failure::Refused(Stage::Rcpt, cur.last_refusal.clone().unwrap_or(reply)),
            (None, _) => Failure::Refused(Stage::Data, reply),
        };
        let index = cur.index;
        let mail_ok = cur.mail_ok;
        self.current = None;
        self.event(Event::Failed {
            message: index,
            failure,
        });
        if mail_ok {
            // The server may still hold the transaction: clear it.
            self.cmd("RSET", Expect::Rset);
        }
        self.advance();
    }

    fn become_ready(&mut self) {
        self.ready = true;
        let greeting = self.greeting.clone().unwrap_or(Reply {
            code: 220,
            lines: vec![],
        });
        let extensions = self.extensions.clone();
        self.event(Event::Ready {
            greeting,
            extensions,
        });
        self.advance();
    }

    /// Starts the next message or QUIT when nothing is outstanding.
    fn advance(&mut self) {
        if self.done || !self.ready {
            return;
        }
        if self.current.is_some() {
            // With BDAT the next message can follow at once (RFC 2920,
            // 3030): its chunks need no 354.
            if self.current.as_ref().is_some_and(|c| c.chunked)
                && self.pipelined()
                && self.next.is_none()
            {
                self.next = self.start_transaction();
            }
            // Without pipelining, one command at a time.
            if self.expect.is_empty() {
                self.step_unpipelined();
            }
            return;
        }
        if !self.expect.is_empty() {
            return;
        }
        self.current = self.start_transaction();
        if let Some(c) = &self.current {
            if c.chunked && self.pipelined() && self.next.is_none() {
                self.next = self.start_transaction();
            }
            return;
        }
        if self.finishing && self.current.is_none() {
            self.cmd("QUIT", Expect::Quit);
        }
    }

    /// Whether commands are pipelined on this connection (RFC 2920).
    fn pipelined(&self) -> bool {
        self.cfg.pipelining && !self.cfg.all_recipients && self.offers("PIPELINING")
    }

    /// Starts the next queued message that can be sent here: MAIL, and
    /// when pipelining every RCPT and DATA in the same write. Messages this
    /// server cannot take (SIZE, 8BITMIME, SMTPUTF8) fail on the way.
    fn start_transaction(&mut self) -> Option<Current> {
        while let Some((index, env)) = self.queue.pop_front() {
            let params = match self.check(&env) {
                Ok(p) => p,
                Err(failure) => {
                    self.event(Event::Failed {
                        message: index,
                        failure,
                    });
                    continue;
                }
            };
            let from = env.from.clone().unwrap_or_default();
            self.cmd(&format!("MAIL FROM:<{from}>{params}"), Expect::Mail);
            let chunked = self.chunked(&env);
            if self.pipelined() {
                for i in 0..env.to.len() {
                    let line = self.rcpt_line(&env, i);
                    self.cmd(&line, Expect::Rcpt(i));
                }
                if chunked {
                    self.chunks(&env);
                } else {
                    self.cmd("DATA", Expect::Data);
                }
            }
            return Some(Current {
                index,
                env,
                rcpts_sent: 0,
                accepted: 0,
                last_refusal: None,
                mail_ok: false,
                failure: None,
                chunked,
            });
        }
        None
    }

    /// The next command of an unpipelined transaction.
    fn step_unpipelined(&mut self) {
        let Some(cur) = &mut self.current else { return };
        if !cur.mail_ok {
            // MAIL was refused: report it; the server holds no transaction.
            let index = cur.index;
            let failure = cur
                .failure
                .take()
                .unwrap_or(Failure::Protocol("MAIL not accepted".into()));
            self.current = None;
            self.event(Event::Failed {
                message: index,
                failure,
            });
            return self.advance();
        }
        let all_tried = cur.rcpts_sent == cur.env.to.len();
        let stop = self.cfg.all_recipients && cur.last_refusal.is_some();
        if stop || (all_tried && cur.accepted == 0) {
            // A refusal that must stop the message (--all-recipients), or
            // every recipient refused: no DATA; clear the transaction.
            let index = cur.index;
            let failure = match cur.last_refusal.take() {
                Some(r) => Failure::Refused(Stage::Rcpt, r),
                None => Failure::Protocol("no recipients".into()),
            };
            self.current = None;
            self.event(Event::Failed {
                message: index,
                failure,
            });
            self.cmd("RSET", Expect::Rset);
            return;
        }
        if !all_tried {
            let i = cur.rcpts_sent;
            cur.rcpts_sent += 1;
            let env = cur.env.clone();
            let line = self.rcpt_line(&env, i);
            return self.cmd(&line, Expect::Rcpt(i));
        }
        if cur.chunked {
            let env = cur.env.clone();
            self.chunks(&env);
        } else {
            self.cmd("DATA", Expect::Data);
        }
    }

    /// RCPT for recipient `i` of `env`, with its DSN parameters when the
    /// server offers DSN (RFC 3461 §4.1, §4.2).
    fn rcpt_line(&self, env: &Envelope, i: usize) -> String {
        let params = match (&env.dsn, self.offers("DSN")) {
            (Some(d), true) => d.rcpts.get(i).map(RcptDsn::params).unwrap_or_default(),
            _ => String::new(),
        };
        format!(
            "RCPT TO:<{}>{params}",
            env.to.get(i).map_or("", String::as_str)
        )
    }

    /// Whether `env` goes with BDAT here (RFC 3030).
    fn chunked(&self, env: &Envelope) -> bool {
        env.binary || (self.cfg.chunking && self.offers("CHUNKING"))
    }

    /// The message as BDAT chunks of at most [`MAX_CHUNK`] octets, the
    /// last one marked LAST, each reply expected in order.
    fn chunks(&mut self, env: &Envelope) {
        let body = chunk_body(env);
        let mut parts = body.chunks(MAX_CHUNK).peekable();
        if parts.peek().is_none() {
            return self.cmd("BDAT 0 LAST", Expect::Chunk(true));
        }
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            let line = format!("BDAT {}{}", part.len(), if last { " LAST" } else { "" });
            self.cmd(&line, Expect::Chunk(last));
            self.out.extend_from_slice(part);
        }
    }

    /// MAIL parameters for a message, or why it cannot be sent here.
    fn check(&self, env: &Envelope) -> Result<String, Failure> {
        let mut params = String::new();
        let size = if env.binary {
            env.data.len()
        } else {
            wire_size(&env.data)
        };
        if let Some(limit) = self
            .extension("SIZE")
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|n| n.parse::<usize>().ok())
        {
            if limit > 0 && size > limit {
                return Err(Failure::TooBig { size, limit });
            }
        }
        if self.offers("SIZE") {
            params.push_str(&format!(" SIZE={size}"));
        }
        if env.binary {
            if !(self.offers("CHUNKING") && self.offers("BINARYMIME")) {
                return Err(Failure::Unsupported("BINARYMIME"));
            }
            params.push_str(" BODY=BINARYMIME");
        } else if !env.data.is_ascii() {
            if !self.offers("8BITMIME") {
                return Err(Failure::Unsupported("8BITMIME"));
            }
            params.push_str(" BODY=8BITMIME");
        }
        if let Some(d) = &env.dsn {
            let asked = !d.mail.is_empty() || d.rcpts.iter().any(|r| *r != RcptDsn::default());
            if self.offers("DSN") {
                params.push_str(&d.mail.params());
            } else if asked && d.required {
                return Err(Failure::Unsupported("DSN"));
            }
        }
        let utf8 =
            !env.from.as_deref().unwrap_or("").is_ascii() || env.to.iter().any(|t| !t.is_ascii());
        if utf8 {
            if !self.offers("SMTPUTF8") {
                return Err(Failure::Unsupported("SMTPUTF8"));
            }
            params.push_str(" SMTPUTF8");
        }
        Ok(params)
    }
}

/// The largest BDAT chunk sent: a bigger message goes in several, so
/// no one chunk needs a megabytes-long read before its reply.
pub const MAX_CHUNK: usize = 1 << 20;

/// The message as BDAT carries it: for BINARYMIME its bytes as they are;
/// otherwise CRLF line ends and a final line end, as [`wire_size`] counts
/// (no dot-stuffing: a chunk is read by count).
pub fn chunk_body(env: &Envelope) -> Vec<u8> {
    if env.binary {
        return env.data.clone();
    }
    let mut out = crate::util::lf_to_crlf(&env.data);
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The message as it goes on the wire after DATA: CRLF line ends, a final
/// line end, dot-stuffing (RFC 5321 §4.5.2), and the `.` line.
pub fn wire_body(data: &[u8]) -> Vec<u8> {
    crate::proto::dotstuff::encode(data, None)
}

/// The size SIZE counts: the message with CRLF line ends, including the
/// final line end [`wire_body`] adds (RFC 1870 §3), without dot-stuffing.
pub fn wire_size(data: &[u8]) -> usize {
    crate::proto::line::crlf_size(data)
}

impl crate::proto::Session for ClientSession {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        ClientSession::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        ClientSession::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        ClientSession::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        ClientSession::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ClientSession::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        ClientSession::wants_input(self)
    }
    fn shutdown(&mut self, _immediate: bool) {
        self.finish();
    }
}

#[cfg(test)]
mod tests;

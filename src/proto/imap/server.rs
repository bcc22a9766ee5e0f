//! The sans-IO IMAP server session (RFC 9051, RFC 3501).
//!
//! States as RFC 9051 §3 names them: not authenticated, authenticated,
//! selected, logout. One command runs at a time: a command that needs the
//! store becomes a [`Request`] (as an [`Event`]), and the commands behind
//! it wait in the input until the owner answers with
//! [`ImapSession::answer`]. Everything else (the grammar, sequence sets,
//! the view of the selected mailbox, the order of untagged responses) is
//! here, with no socket, clock or disk.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use imap_codec::decode::Decoder;
use imap_codec::fragmentizer::{FragmentInfo, Fragmentizer, LiteralAnnouncement};
use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::core::LiteralMode;
use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName};
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::status::StatusDataItemName;
use imap_codec::CommandCodec;

use super::ext;
use imap_types::IntoStatic;

use super::render;
use super::view::{Snapshot, ValidityChanged, View};
use crate::proto::sasl;

/// The longest command line, literals apart (the issue's bound; RFC 7162
/// §4 asks servers to take at least 8,192 octets).
pub const MAX_LINE: usize = 64 * 1024;

/// Settings shared by every session.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    /// Our host name, for the greeting.
    pub hostname: String,
    /// The autologout timer (RFC 9051 §5.4: at least 30 minutes).
    pub timeout: Duration,
    /// The largest literal accepted (APPEND's message): `--max-message-size`.
    pub max_literal: u32,
    /// Delay before answering a failed login, doubled for each further one.
    pub auth_delay: Duration,
    /// Failed logins before the connection is closed.
    pub max_auth_failures: u32,
    /// STARTTLS is offered (a certificate is configured).
    pub starttls: bool,
    /// LOGIN and AUTHENTICATE are accepted without TLS (else
    /// LOGINDISABLED, RFC 9051 §6.2.3).
    pub login_without_tls: bool,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong name or password: `NO [AUTHENTICATIONFAILED]`.
    Invalid,
    /// Too many connections for this user: `NO [LIMIT]`.
    Limit,
    /// The store could not be read: `NO [UNAVAILABLE]`.
    Unavailable(String),
}

/// Why the store refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such mailbox: `NO [NONEXISTENT]`.
    NoMailbox(String),
    /// The mailbox exists already: `NO [ALREADYEXISTS]`.
    Exists(String),
    /// A name the store cannot take: `NO [CANNOT]`.
    BadName(String),
    /// The message is too big: `NO [TOOBIG]`.
    TooBig,
    /// Anything else (the disk): `NO [SERVERBUG]` with the reason.
    Failed(String),
}

/// LIST's extended options (RFC 5258 §3, RFC 5819, RFC 6154 §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Patterns after the first (`LIST "" (INBOX Sent)`).
    pub more_patterns: Vec<String>,
    /// Selection SUBSCRIBED: subscribed names only, with `\Subscribed`
    /// (and `\NonExistent` for those that are gone).
    pub subscribed: bool,
    /// Selection SPECIAL-USE: special-use folders only.
    pub special_use: bool,
    /// RETURN (SUBSCRIBED): `\Subscribed` on subscribed names.
    pub return_subscribed: bool,
    /// RETURN (STATUS (...)): a STATUS response after each selectable
    /// name's LIST response.
    pub status: Vec<StatusDataItemName>,
    /// Names go out in UTF-8 (UTF8=ACCEPT enabled, RFC 6855 §3).
    pub utf8: bool,
}

/// One FETCH item a request asks the owner to render.
pub type FetchItem = MessageDataItemName<'static>;

/// A FETCH's answer: its untagged `* n FETCH (...)` responses rendered
/// whole (handed to the connection as they are, not copied again), and
/// the flags they showed, by UID, for the session's view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetched {
    /// The untagged responses, CRLF-terminated.
    pub wire: Vec<u8>,
    /// The flags each response showed (FLAGS asked, or \Seen set).
    pub flags: Vec<(u32, Vec<String>)>,
    /// The messages left for the next part, as (sequence number, UID):
    /// asked for once this part is written ([`Session::resume`]).
    pub rest: Vec<(u32, u32)>,
}

/// What a session asks of the store, for the logged-in user.
#[derive(Debug, Clone)]
pub enum Request {
    /// Check the password; answer [`Answer::LoggedIn`].
    Login {
        /// The login name as given.
        user: String,
        /// The password.
        password: String,
    },
    /// Open a mailbox (wire name, modified UTF-7); [`Answer::Selected`].
    Select {
        /// The mailbox.
        mailbox: String,
    },
    /// Read the selected mailbox again; [`Answer::Selected`].
    Sync,
    /// CREATE; [`Answer::Done`].
    Create(String),
    /// DELETE; [`Answer::Done`].
    Delete(String),
    /// RENAME; [`Answer::Done`].
    Rename(String, String),
    /// SUBSCRIBE; [`Answer::Done`].
    Subscribe(String),
    /// UNSUBSCRIBE; [`Answer::Done`].
    Unsubscribe(String),
    /// LIST or LSUB; [`Answer::Lines`] (whole untagged lines).
    List {
        /// The reference name.
        reference: String,
        /// The pattern (`*` and `%` wildcards).
        pattern: String,
        /// LSUB: subscribed names only, LSUB responses.
        lsub: bool,
        /// LIST-EXTENDED and LIST-STATUS options (none for plain LIST).
        options: ListOptions,
    },
    /// STATUS; [`Answer::Lines`].
    Status {
        /// The mailbox.
        mailbox: String,
        /// The items asked for.
        items: Vec<StatusDataItemName>,
        /// The name goes out in UTF-8 (UTF8=ACCEPT enabled).
        utf8: bool,
    },
    /// APPEND; [`Answer::Appended`].
    Append {
        /// The mailbox.
        mailbox: String,
        /// Flag names.
        flags: Vec<String>,
        /// The internal date (now when none).
        date: Option<SystemTime>,
        /// The message.
        data: Vec<u8>,
    },
    /// FETCH: the untagged FETCH responses, rendered; [`Answer::Fetched`].
    Fetch {
        /// The messages as (sequence number, UID), ascending.
        seqs: Vec<(u32, u32)>,
        /// The items.
        items: Vec<FetchItem>,
        /// Set \Seen on these first (BODY[] without PEEK, RFC 9051
        /// §6.4.5), unless the mailbox is read-only.
        mark_seen: bool,
    },
    /// STORE: change flags; [`Answer::Stored`].
    Store {
        /// The UIDs.
        uids: Vec<u32>,
        /// Add, remove or replace.
        kind: StoreType,
        /// Flag names.
        flags: Vec<String>,
    },
    /// EXPUNGE the \Deleted messages (only those in `only` when given,
    /// UID EXPUNGE); [`Answer::Expunged`].
    Expunge {
        /// UID EXPUNGE's set.
        only: Option<Vec<u32>>,
    },
    /// COPY or MOVE; [`Answer::Copied`].
    Copy {
        /// The UIDs.
        uids: Vec<u32>,
        /// The destination.
        mailbox: String,
        /// MOVE: expunge them here after.
        remove: bool,
    },
    /// SEARCH over the view's messages (UIDs in sequence order);
    /// [`Answer::Found`] with the matching UIDs.
    Search {
        /// The selected mailbox's UIDs in sequence order.
        uids: Vec<u32>,
        /// The criteria (all must match).
        criteria: Vec<SearchKey<'static>>,
    },
}

/// The owner's answer to a [`Request`].
#[derive(Debug, Clone)]
pub enum Answer {
    /// A login was checked.
    LoggedIn(Result<(), LoginFailure>),
    /// The mailbox, as the store has it now.
    Selected(Result<Snapshot, Refusal>),
    /// Done, or refused.
    Done(Result<(), Refusal>),
    /// Untagged lines to send before OK.
    Lines(Result<Vec<u8>, Refusal>),
    /// APPEND stored the message: UIDVALIDITY and UID (APPENDUID, RFC
    /// 4315).
    Appended(Result<(u32, u32), Refusal>),
    /// The FETCH responses for the messages asked (missing ones left
    /// out, RFC 9051 §6.4.5).
    Fetched(Result<Fetched, Refusal>),
    /// The new flags of each message changed.
    Stored(Result<Vec<(u32, Vec<String>)>, Refusal>),
    /// The UIDs expunged.
    Expunged(Result<Vec<u32>, Refusal>),
    /// COPYUID: the destination's UIDVALIDITY and (source, new) UID pairs;
    /// for MOVE also the UIDs expunged here.
    Copied(Result<(u32, Vec<(u32, u32)>), Refusal>),
    /// The UIDs that match.
    Found(Result<Vec<u32>, Refusal>),
}

/// What the session needs from its owner.
#[derive(Debug, Clone)]
pub enum Event {
    /// Carry out this request and call [`ImapSession::answer`].
    Request(Request),
    /// The session entered IDLE (RFC 2177): tell it of store changes with
    /// [`ImapSession::changed`].
    Idling(bool),
}

/// One item of session output.
pub type Output = crate::proto::Output<Event>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

/// What the session is waiting for.
#[derive(Debug)]
enum Waiting {
    /// Nothing: the next command may run.
    Nothing,
    /// The owner's answer to the command with this tag.
    Answer(Pending),
    /// The client's next SASL line (AUTHENTICATE).
    Sasl { tag: String, step: SaslStep },
    /// IDLE: the client's DONE.
    Idle { tag: String },
    /// A failed login's answer, held until then.
    Held { until: Instant, reply: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SaslStep {
    Plain,
    LoginUser,
    LoginPassword(String),
}

/// A command whose answer is awaited, with what its reply needs.
#[derive(Debug)]
struct Pending {
    tag: String,
    what: Pend,
}

#[derive(Debug)]
enum Pend {
    Login,
    Select {
        name: String,
        read_only: bool,
    },
    /// Read the folder again, then: the tagged line to send, or (None)
    /// back to IDLE.
    Sync {
        then: Option<String>,
    },
    Plain {
        ok: &'static str,
    },
    Append,
    Fetch {
        uid: bool,
        /// The items and \Seen rule, for the next part's request.
        items: Vec<FetchItem>,
        mark_seen: bool,
    },
    Store {
        uid: bool,
        silent: bool,
    },
    Expunge {
        close: bool,
    },
    Copy {
        remove: bool,
    },
    Search {
        uid: bool,
        /// RETURN options (ESEARCH), if any.
        ret: Option<ext::SearchReturn>,
    },
}

/// One IMAP server session.
#[derive(Debug)]
pub struct ImapSession {
    cfg: ImapConfig,
    state: State,
    frag: Fragmentizer,
    /// Bytes received but not yet given to the fragmentizer (while a
    /// command waits, input stays here so it cannot grow the message).
    input: VecDeque<u8>,
    out: Vec<u8>,
    queue: VecDeque<Output>,
    waiting: Waiting,
    view: Option<View>,
    /// ENABLE IMAP4rev2 was given.
    rev2: bool,
    /// ENABLE UTF8=ACCEPT was given (RFC 6855): names in UTF-8.
    utf8: bool,
    secure: bool,
    failures: u32,
    deadline: Instant,
    now: Instant,
    /// A change to the selected mailbox was announced while a command ran
    /// or before the next NOOP/IDLE.
    dirty: bool,
    /// While an answer is turned into replies: hold the tagged line in
    /// `deferred`, so the folder can be read again before it goes out.
    defer: bool,
    deferred: Option<String>,
    /// The request for a FETCH's next part, sent once the last part is
    /// written ([`Session::resume`]).
    next_part: Option<Request>,
    /// SEARCHRES's saved result (RFC 5182): UIDs, `$` in sequence sets.
    saved: Vec<u32>,
    /// What [`ext::take`] took off the command being run.
    taken: ext::Taken,
}

impl ImapSession {
    /// A new session; queues the greeting.
    pub fn new(cfg: ImapConfig, now: Instant) -> ImapSession {
        let max = cfg.max_literal.saturating_add(MAX_LINE as u32);
        let mut s = ImapSession {
            deadline: now + cfg.timeout,
            frag: Fragmentizer::new(max),
            cfg,
            state: State::NotAuthenticated,
            input: VecDeque::new(),
            out: Vec::new(),
            queue: VecDeque::new(),
            waiting: Waiting::Nothing,
            view: None,
            rev2: false,
            utf8: false,
            secure: false,
            failures: 0,
            now,
            dirty: false,
            defer: false,
            deferred: None,
            next_part: None,
            saved: Vec::new(),
            taken: ext::Taken::Nothing,
        };
        let caps = s.capabilities();
        s.line(&format!(
            "* OK [CAPABILITY {caps}] mailkit IMAP4rev2 server ready"
        ));
        s
    }

    /// The connection is TLS from its start (IMAPS, `--tls-listen`).
    pub fn set_secure(&mut self) {
        self.secure = true;
    }

    fn logins_allowed(&self) -> bool {
        self.secure || self.cfg.login_without_tls
    }

    /// The CAPABILITY list for the current state (RFC 9051 §7.2.2).
    fn capabilities(&self) -> String {
        let mut c = vec![
            "IMAP4rev1",
            "IMAP4rev2",
            "LITERAL+",
            "SASL-IR",
            "ENABLE",
            "ID",
            "IDLE",
        ];
        c.extend([
            "NAMESPACE",
            "UNSELECT",
            "UIDPLUS",
            "MOVE",
            "CHILDREN",
            "SPECIAL-USE",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "STATUS=SIZE",
            "ESEARCH",
            "SEARCHRES",
            "UTF8=ACCEPT",
        ]);
        if self.state == State::NotAuthenticated {
            if self.cfg.starttls && !self.secure {
                c.push("STARTTLS");
            }
            if self.logins_allowed() {
                c.extend(["AUTH=PLAIN", "AUTH=LOGIN"]);
            } else {
                c.push("LOGINDISABLED");
            }
        }
        c.join(" ")
    }

    fn line(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn tagged(&mut self, tag: &str, text: &str) {
        if self.defer {
            self.deferred = Some(format!("{tag} {text}"));
        } else {
            self.line(&format!("{tag} {text}"));
        }
    }

    fn flush(&mut self) {
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.queue.push_back(Output::Transmit(b));
        }
    }

    fn request(&mut self, tag: &str, what: Pend, r: Request) {
        self.flush();
        self.waiting = Waiting::Answer(Pending {
            tag: tag.to_owned(),
            what,
        });
        self.queue.push_back(Output::Event(Event::Request(r)));
    }

    /// A request whose success is the tagged `ok` (with any untagged
    /// lines the store sends).
    fn plain(&mut self, tag: &str, ok: &'static str, r: Request) {
        self.request(tag, Pend::Plain { ok }, r);
    }

    fn close(&mut self) {
        self.state = State::Logout;
        self.flush();
        self.queue.push_back(Output::Close);
    }

    /// Bytes from the client.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Logout {
            return;
        }
        self.now = now;
        self.deadline = now + self.cfg.timeout;
        self.input.extend(bytes);
        self.process();
    }

    /// The client closed its side.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.state != State::Logout {
            self.state = State::Logout;
            self.flush();
            self.queue.push_back(Output::Close);
        }
    }

    /// Fires a held reply or the autologout timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if let Waiting::Held { until, .. } = &self.waiting {
            if now >= *until {
                if let Waiting::Held { reply, .. } =
                    std::mem::replace(&mut self.waiting, Waiting::Nothing)
                {
                    self.out.extend_from_slice(&reply);
                }
                if self.failures >= self.cfg.max_auth_failures {
                    self.line("* BYE too many failed logins");
                    return self.close();
                }
                return self.process();
            }
            return;
        }
        if now >= self.deadline && !matches!(self.waiting, Waiting::Answer(_)) {
            self.line("* BYE autologout: idle too long");
            self.close();
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.queue.pop_front() {
            return Some(o);
        }
        if !self.out.is_empty() {
            return Some(Output::Transmit(std::mem::take(&mut self.out)));
        }
        None
    }

    /// When to call [`ImapSession::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.waiting {
            Waiting::Held { until, .. } => Some(*until),
            Waiting::Answer(_) => None,
            _ if self.state == State::Logout => None,
            _ => Some(self.deadline),
        }
    }

    /// Whether input is welcome now: not while a command waits for the
    /// store (pipelined commands wait in the socket), nor after LOGOUT.
    pub fn wants_input(&self) -> bool {
        self.state != State::Logout
            && matches!(
                self.waiting,
                Waiting::Nothing | Waiting::Sasl { .. } | Waiting::Idle { .. }
            )
            && self.input.len() < MAX_LINE
    }

    /// Whether the session is in IDLE.
    pub fn idling(&self) -> bool {
        matches!(self.waiting, Waiting::Idle { .. })
    }

    /// The selected mailbox's wire name, if any.
    pub fn selected(&self) -> Option<&str> {
        self.view.as_ref().map(|v| v.name.as_str())
    }

    /// The store changed the selected mailbox: during IDLE the session
    /// reads it again at once; otherwise at the next NOOP, CHECK or IDLE.
    pub fn changed(&mut self) {
        self.dirty = true;
        if let Waiting::Idle { tag } = &self.waiting {
            let tag = tag.clone();
            self.dirty = false;
            self.flush();
            self.waiting = Waiting::Answer(Pending {
                tag,
                what: Pend::Sync { then: None },
            });
            self.queue
                .push_back(Output::Event(Event::Request(Request::Sync)));
        }
    }

    /// Feeds buffered input through the fragmentizer and runs complete
    /// commands, one at a time.
    fn process(&mut self) {
        loop {
            if self.state == State::Logout
                || matches!(self.waiting, Waiting::Answer(_) | Waiting::Held { .. })
            {
                return;
            }
            let frag = match self.frag.progress() {
                Some(f) => f,
                None => {
                    if self.input.is_empty() {
                        return;
                    }
                    let chunk: Vec<u8> = self.input.drain(..).collect();
                    self.frag.enqueue_bytes(&chunk);
                    continue;
                }
            };
            if let FragmentInfo::Line {
                start,
                end,
                announcement,
                ..
            } = frag
            {
                if end - start > MAX_LINE {
                    self.frag.poison_message();
                }
                if let Some(LiteralAnnouncement { mode, length }) = announcement {
                    if !matches!(self.waiting, Waiting::Nothing) {
                        // SASL lines and DONE carry no literals.
                        self.frag.poison_message();
                    } else if length > self.cfg.max_literal {
                        let tag = self.message_tag();
                        if mode == LiteralMode::Sync {
                            // Refused before the client sends it (RFC 9051
                            // §7.1: TOOBIG); the message ends here.
                            self.tagged(&tag, "NO [TOOBIG] literal too large");
                            self.frag.skip_message();
                            continue;
                        }
                        // A non-synchronizing literal is on its way: the
                        // stream cannot be trusted any more (RFC 7888 §4).
                        self.tagged(&tag, "BAD [TOOBIG] literal too large");
                        self.line("* BYE literal too large");
                        return self.close();
                    } else if mode == LiteralMode::Sync && !self.frag.is_message_poisoned() {
                        self.line("+ OK");
                        self.flush();
                    }
                }
            }
            if !self.frag.is_message_complete() {
                continue;
            }
            let bytes = self.frag.message_bytes().to_vec();
            self.message(&bytes);
        }
    }

    /// One complete message (a command with its literals, a SASL line or
    /// DONE).
    fn message(&mut self, bytes: &[u8]) {
        let line = strip_crlf(bytes);
        match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
            Waiting::Sasl { tag, step } => return self.sasl_line(&tag, step, line),
            Waiting::Idle { tag } => {
                if line.eq_ignore_ascii_case(b"DONE") {
                    self.queue.push_back(Output::Event(Event::Idling(false)));
                    self.tagged(&tag, "OK IDLE terminated");
                } else {
                    self.tagged(&tag, "BAD expected DONE");
                }
                return;
            }
            other => self.waiting = other,
        }
        if self.frag.is_max_message_size_exceeded() || self.frag.is_message_poisoned() {
            let tag = self.message_tag();
            self.tagged(&tag, "BAD command line too long");
            return;
        }
        // SEARCHRES: `$` is the saved result (RFC 5182 §2.1).
        let substituted = if self.state == State::Selected {
            ext::dollar(bytes, |uid| self.saved_set(uid))
        } else {
            None
        };
        if substituted.as_ref().is_some_and(|(_, empty)| *empty) {
            // `$` names no message (none saved, or all expunged since).
            let tag = self.message_tag();
            let search = line
                .split(|&b| b == b' ')
                .take(3)
                .any(|w| w.eq_ignore_ascii_case(b"SEARCH"));
            if search {
                // An empty result, as the client expects one.
                let r = ext::SearchReturn {
                    all: true,
                    ..Default::default()
                };
                let uid = line
                    .split(|&b| b == b' ')
                    .nth(1)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"UID"));
                let text = if self.rev2 {
                    esearch(&tag, uid, &r, &[])
                } else {
                    "* SEARCH".to_owned()
                };
                self.line(&text);
            }
            return self.tagged(&tag, "OK $ names no message: nothing done");
        }
        let bytes = substituted.as_ref().map_or(bytes, |(b, _)| b.as_slice());
        let (plain, taken) = match ext::take(bytes) {
            Ok(t) => t,
            Err(e) => {
                let tag = self.message_tag();
                return self.tagged(&tag, &format!("BAD {e}"));
            }
        };
        let cmd = match CommandCodec::default().decode(&plain) {
            Ok((b"", cmd)) => cmd.into_static(),
            _ => {
                let tag = self.message_tag();
                let what = first_words(line);
                self.tagged(&tag, &format!("BAD syntax error in {what}"));
                return;
            }
        };
        self.command(cmd, taken);
    }

    /// The tag of the message being handled, for replies to what the
    /// parser did not take (`*` when it has none).
    fn message_tag(&self) -> String {
        self.frag
            .decode_tag()
            .map_or("*".to_owned(), |t| t.inner().to_owned())
    }

    /// The saved search result as a sequence set: UIDs, or the messages'
    /// numbers now (those expunged since left out); empty when none is
    /// left.
    fn saved_set(&self, uid: bool) -> String {
        let mut nums: Vec<u32> = match (uid, self.view.as_ref()) {
            (true, _) => self.saved.clone(),
            (false, Some(v)) => self.saved.iter().filter_map(|&u| v.seq(u)).collect(),
            (false, None) => Vec::new(),
        };
        nums.sort_unstable();
        render::sequence_set(&nums)
    }

    fn command(&mut self, cmd: Command<'static>, taken: ext::Taken) {
        self.taken = taken;
        let tag = cmd.tag.inner().to_owned();
        let name = cmd.body.name();
        match cmd.body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.line(&format!("* CAPABILITY {caps}"));
                self.tagged(&tag, "OK CAPABILITY completed");
            }
            CommandBody::Noop | CommandBody::Check => {
                if self.state == State::Selected {
                    self.dirty = false;
                    let ok = if name == "NOOP" {
                        "OK NOOP completed"
                    } else {
                        "OK CHECK completed"
                    };
                    let then = Some(format!("{tag} {ok}"));
                    self.request(&tag, Pend::Sync { then }, Request::Sync);
                } else {
                    self.tagged(&tag, &format!("OK {name} completed"));
                }
            }
            CommandBody::Logout => {
                self.line("* BYE logging out");
                self.tagged(&tag, "OK LOGOUT completed");
                self.close();
            }
            CommandBody::Id { .. } => {
                self.line("* ID (\"name\" \"mailkit\")");
                self.tagged(&tag, "OK ID completed");
            }
            CommandBody::StartTLS => {
                if self.state != State::NotAuthenticated || self.secure || !self.cfg.starttls {
                    self.tagged(&tag, "BAD STARTTLS not available now");
                } else {
                    self.tagged(&tag, "OK begin TLS negotiation now");
                    self.flush();
                    // Input pipelined behind STARTTLS is dropped (the
                    // injection of CVE-2011-0411).
                    self.input.clear();
                    self.frag =
                        Fragmentizer::new(self.cfg.max_literal.saturating_add(MAX_LINE as u32));
                    self.secure = true;
                    self.queue.push_back(Output::StartTls);
                }
            }
            CommandBody::Login { username, password } => {
                if self.state != State::NotAuthenticated {
                    return self.tagged(&tag, "BAD already logged in");
                }
                if !self.logins_allowed() {
                    return self.tagged(
                        &tag,
                        "NO [PRIVACYREQUIRED] LOGIN needs TLS first (STARTTLS)",
                    );
                }
                let user = String::from_utf8_lossy(username.as_ref()).into_owned();
                let password = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
                self.request(&tag, Pend::Login, Request::Login { user, password });
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                if self.state != State::NotAuthenticated {
                    return self.tagged(&tag, "BAD already logged in");
                }
                if !self.logins_allowed() {
                    return self.tagged(
                        &tag,
                        "NO [PRIVACYREQUIRED] AUTHENTICATE needs TLS first (STARTTLS)",
                    );
                }
                let step = match mechanism {
                    AuthMechanism::Plain => SaslStep::Plain,
                    AuthMechanism::Login => SaslStep::LoginUser,
                    _ => {
                        return self
                            .tagged(&tag, "NO [CANNOT] unsupported mechanism (PLAIN, LOGIN)")
                    }
                };
                match initial_response {
                    Some(r) => {
                        let raw = r.declassify().to_vec();
                        // imap-codec decoded the base64; re-encode for the
                        // shared SASL code, which takes wire lines.
                        let line = if raw.is_empty() {
                            b"=".to_vec()
                        } else {
                            data_encoding::BASE64.encode(&raw).into_bytes()
                        };
                        self.sasl_line(&tag, step, &line);
                    }
                    None => {
                        let prompt = match step {
                            SaslStep::LoginUser => "+ VXNlcm5hbWU6",
                            _ => "+ ",
                        };
                        self.line(prompt);
                        self.waiting = Waiting::Sasl { tag, step };
                    }
                }
            }
            CommandBody::Enable { capabilities } => {
                if self.state == State::NotAuthenticated {
                    return self.tagged(&tag, "BAD log in first");
                }
                let mut on = Vec::new();
                for c in capabilities.as_ref() {
                    let c = c.to_string();
                    if c.eq_ignore_ascii_case("IMAP4rev2") {
                        self.rev2 = true;
                        on.push("IMAP4rev2");
                    } else if c.eq_ignore_ascii_case("UTF8=ACCEPT") {
                        self.utf8 = true;
                        on.push("UTF8=ACCEPT");
                    }
                }
                self.line(format!("* ENABLED {}", on.join(" ")).trim_end());
                self.tagged(&tag, "OK ENABLE completed");
            }
            body => {
                if self.state == State::NotAuthenticated {
                    return self.tagged(&tag, &format!("BAD {name} needs a login first"));
                }
                self.authenticated(&tag, body);
            }
        }
    }

    /// A SASL response line (RFC 9051 §6.2.2).
    fn sasl_line(&mut self, tag: &str, step: SaslStep, line: &[u8]) {
        let fail = |s: &mut ImapSession, e: sasl::SaslError| {
            let text = match e {
                sasl::SaslError::Cancelled => "BAD AUTHENTICATE cancelled",
                _ => "BAD malformed SASL response",
            };
            s.tagged(tag, text);
        };
        match step {
            SaslStep::Plain => match sasl::plain(line) {
                Ok(c) => self.request(
                    tag,
                    Pend::Login,
                    Request::Login {
                        user: c.user,
                        password: c.password,
                    },
                ),
                Err(sasl::SaslError::Malformed) => {
                    // Another user's authorization identity, or junk.
                    self.login_failed(tag);
                }
                Err(e) => fail(self, e),
            },
            SaslStep::LoginUser => match sasl::login_value(line) {
                Ok(user) => {
                    self.line("+ UGFzc3dvcmQ6");
                    self.waiting = Waiting::Sasl {
                        tag: tag.to_owned(),
                        step: SaslStep::LoginPassword(user),
                    };
                }
                Err(e) => fail(self, e),
            },
            SaslStep::LoginPassword(user) => match sasl::login_value(line) {
                Ok(password) => self.request(tag, Pend::Login, Request::Login { user, password }),
                Err(e) => fail(self, e),
            },
        }
    }

    fn login_failed(&mut self, tag: &str) {
        self.failures += 1;
        let delay = self.cfg.auth_delay * (1u32 << (self.failures - 1).min(6));
        self.flush();
        self.waiting = Waiting::Held {
            until: self.now + delay,
            reply: format!("{tag} NO [AUTHENTICATIONFAILED] invalid credentials\r\n").into_bytes(),
        };
    }

    /// Commands of the authenticated and selected states.
    fn authenticated(&mut self, tag: &str, body: CommandBody<'static>) {
        let utf8 = self.utf8;
        let name = body.name();
        match body {
            CommandBody::Select { mailbox, .. } | CommandBody::Examine { mailbox, .. } => {
                let read_only = name == "EXAMINE";
                // Selecting closes the current mailbox first, without an
                // expunge (RFC 9051 §6.3.2), with the CLOSED code.
                if self.view.take().is_some() {
                    self.line("* OK [CLOSED] previous mailbox closed");
                    self.state = State::Authenticated;
                }
                let name = wire_name(utf8, &mailbox);
                self.request(
                    tag,
                    Pend::Select {
                        name: name.clone(),
                        read_only,
                    },
                    Request::Select { mailbox: name },
                );
            }
            CommandBody::Create { mailbox } => self.plain(
                tag,
                "OK CREATE completed",
                Request::Create(wire_name(utf8, &mailbox)),
            ),
            CommandBody::Delete { mailbox } => self.plain(
                tag,
                "OK DELETE completed",
                Request::Delete(wire_name(utf8, &mailbox)),
            ),
            CommandBody::Rename { from, to } => {
                let r = Request::Rename(wire_name(utf8, &from), wire_name(utf8, &to));
                self.plain(tag, "OK RENAME completed", r)
            }
            CommandBody::Subscribe { mailbox } => {
                let r = Request::Subscribe(wire_name(utf8, &mailbox));
                self.plain(tag, "OK SUBSCRIBE completed", r)
            }
            CommandBody::Unsubscribe { mailbox } => {
                let r = Request::Unsubscribe(wire_name(utf8, &mailbox));
                self.plain(tag, "OK UNSUBSCRIBE completed", r)
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            }
            | CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                let lsub = name == "LSUB";
                let options = match std::mem::replace(&mut self.taken, ext::Taken::Nothing) {
                    ext::Taken::List(e) => match list_options(e, utf8) {
                        Ok(o) => o,
                        Err(e) => return self.tagged(tag, &format!("BAD {e}")),
                    },
                    _ => ListOptions {
                        utf8,
                        ..Default::default()
                    },
                };
                let r = Request::List {
                    reference: wire_name(utf8, &reference),
                    pattern: list_pattern(utf8, &mailbox_wildcard),
                    lsub,
                    options,
                };
                let ok = if lsub {
                    "OK LSUB completed"
                } else {
                    "OK LIST completed"
                };
                self.plain(tag, ok, r);
            }
            CommandBody::Namespace => {
                self.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                self.tagged(tag, "OK NAMESPACE completed");
            }
            CommandBody::Status {
                mailbox,
                item_names,
            } => {
                let r = Request::Status {
                    mailbox: wire_name(utf8, &mailbox),
                    items: item_names.to_vec(),
                    utf8,
                };
                self.plain(tag, "OK STATUS completed", r);
            }
            CommandBody::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let data = match message {
                    LiteralOrLiteral8::Literal(l) => l.data().to_vec(),
                    LiteralOrLiteral8::Literal8(l) => l.data.to_vec(),
                };
                let date = date.map(|d| {
                    let secs = d.as_ref().timestamp();
                    UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64)
                });
                let r = Request::Append {
                    mailbox: wire_name(utf8, &mailbox),
                    flags: flags.iter().map(|f| f.to_string()).collect(),
                    date,
                    data,
                };
                self.request(tag, Pend::Append, r);
            }
            CommandBody::Idle => {
                self.line("+ idling");
                self.flush();
                self.waiting = Waiting::Idle {
                    tag: tag.to_owned(),
                };
                self.queue.push_back(Output::Event(Event::Idling(true)));
                if self.dirty && self.state == State::Selected {
                    self.changed();
                }
            }
            body => {
                if self.state != State::Selected {
                    return self.tagged(tag, &format!("BAD {name} needs a selected mailbox"));
                }
                self.selected_command(tag, body);
            }
        }
    }

    /// Commands of the selected state.
    fn selected_command(&mut self, tag: &str, body: CommandBody<'static>) {
        let utf8 = self.utf8;
        let name = body.name();
        let Some(view) = self.view.as_ref() else {
            return self.tagged(tag, "BAD no mailbox selected");
        };
        let read_only = view.read_only;
        match body {
            CommandBody::Close => {
                if read_only {
                    self.view = None;
                    self.saved.clear();
                    self.state = State::Authenticated;
                    return self.tagged(tag, "OK CLOSE completed");
                }
                let r = Request::Expunge { only: None };
                self.request(tag, Pend::Expunge { close: true }, r);
            }
            CommandBody::Unselect => {
                self.view = None;
                self.saved.clear();
                self.state = State::Authenticated;
                self.tagged(tag, "OK UNSELECT completed");
            }
            CommandBody::Expunge | CommandBody::ExpungeUid { .. } if read_only => {
                self.tagged(tag, "NO [READ-ONLY] mailbox is read-only")
            }
            CommandBody::Expunge => {
                let r = Request::Expunge { only: None };
                self.request(tag, Pend::Expunge { close: false }, r);
            }
            CommandBody::ExpungeUid { sequence_set } => {
                let uids = match view.resolve(&sequence_set, true) {
                    Ok(v) => v.into_iter().map(|(_, u)| u).collect(),
                    Err(e) => return self.tagged(tag, &format!("BAD {e}")),
                };
                let r = Request::Expunge { only: Some(uids) };
                self.request(tag, Pend::Expunge { close: false }, r);
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => {
                let seqs = match view.resolve(&sequence_set, uid) {
                    Ok(v) => v,
                    Err(e) => return self.tagged(tag, &format!("BAD {e}")),
                };
                let mut items: Vec<FetchItem> = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => {
                        m.expand().into_iter().map(|i| i.into_static()).collect()
                    }
                    MacroOrMessageDataItemNames::MessageDataItemNames(v) => v,
                };
                if uid && !items.contains(&MessageDataItemName::Uid) {
                    items.insert(0, MessageDataItemName::Uid);
                }
                let mark_seen = !read_only
                    && items.iter().any(|i| {
                        matches!(
                            i,
                            MessageDataItemName::BodyExt { peek: false, .. }
                                | MessageDataItemName::Binary { peek: false, .. }
                                | MessageDataItemName::Rfc822
                                | MessageDataItemName::Rfc822Text
                        )
                    });
                let r = Request::Fetch {
                    seqs,
                    items: items.clone(),
                    mark_seen,
                };
                let what = Pend::Fetch {
                    uid,
                    items,
                    mark_seen,
                };
                self.request(tag, what, r);
            }
            CommandBody::Store { .. } if read_only => {
                self.tagged(tag, "NO [READ-ONLY] mailbox is read-only")
            }
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => {
                let uids = match view.resolve(&sequence_set, uid) {
                    Ok(v) => v.into_iter().map(|(_, u)| u).collect(),
                    Err(e) => return self.tagged(tag, &format!("BAD {e}")),
                };
                let flags = flags
                    .iter()
                    .filter(|f| !matches!(f, Flag::Extension(_)))
                    .map(|f| f.to_string())
                    .collect();
                let silent = response == StoreResponse::Silent;
                let r = Request::Store { uids, kind, flags };
                self.request(tag, Pend::Store { uid, silent }, r);
            }
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            }
            | CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => {
                let remove = name == "MOVE";
                if remove && read_only {
                    return self.tagged(tag, "NO [READ-ONLY] mailbox is read-only");
                }
                let uids = match view.resolve(&sequence_set, uid) {
                    Ok(v) => v.into_iter().map(|(_, u)| u).collect(),
                    Err(e) => return self.tagged(tag, &format!("BAD {e}")),
                };
                let r = Request::Copy {
                    uids,
                    mailbox: wire_name(utf8, &mailbox),
                    remove,
                };
                self.request(tag, Pend::Copy { remove }, r);
            }
            CommandBody::Search {
                charset,
                criteria,
                uid,
            } => {
                if let Some(c) = charset {
                    use imap_codec::imap_types::core::Charset;
                    let c: &str = match &c {
                        Charset::Atom(a) => a.inner(),
                        Charset::Quoted(q) => q.inner(),
                    };
                    if !c.eq_ignore_ascii_case("UTF-8") && !c.eq_ignore_ascii_case("US-ASCII") {
                        return self
                            .tagged(tag, "NO [BADCHARSET (UTF-8 US-ASCII)] unknown charset");
                    }
                }
                let ret = match std::mem::replace(&mut self.taken, ext::Taken::Nothing) {
                    ext::Taken::Search(r) => Some(r),
                    _ => None,
                };
                let r = Request::Search {
                    uids: view.uids(),
                    criteria: criteria.into_inner(),
                };
                self.request(tag, Pend::Search { uid, ret }, r);
            }
            _ => self.tagged(tag, &format!("BAD {name} is not supported")),
        }
    }

    /// The owner's answer to the request in flight.
    pub fn answer(&mut self, answer: Answer) {
        let Waiting::Answer(p) = std::mem::replace(&mut self.waiting, Waiting::Nothing) else {
            return;
        };
        let tag = p.tag;
        // Changes to the selected folder (by others, or by this APPEND or
        // COPY into it) are reported before the tagged reply of any
        // command that may show an EXPUNGE (RFC 9051 §7.5.1: not FETCH,
        // STORE or SEARCH by sequence number).
        let may_expunge = !matches!(
            p.what,
            Pend::Fetch { uid: false, .. }
                | Pend::Store { uid: false, .. }
                | Pend::Search { uid: false, .. }
                | Pend::Sync { .. }
                | Pend::Login
                | Pend::Select { .. }
        );
        if matches!(p.what, Pend::Append | Pend::Copy { .. }) && self.state == State::Selected {
            self.dirty = true;
        }
        self.defer = may_expunge;
        self.answer_with(tag, p.what, answer);
        self.defer = false;
        if let Some(line) = self.deferred.take() {
            if self.state == State::Selected
                && self.dirty
                && matches!(self.waiting, Waiting::Nothing)
            {
                self.dirty = false;
                let t = line.split(' ').next().unwrap_or("*").to_owned();
                self.request(&t, Pend::Sync { then: Some(line) }, Request::Sync);
            } else {
                self.line(&line);
            }
        }
        self.process();
    }

    fn answer_with(&mut self, tag: String, what: Pend, answer: Answer) {
        match (what, answer) {
            (Pend::Login, Answer::LoggedIn(r)) => match r {
                Ok(()) => {
                    self.state = State::Authenticated;
                    let caps = self.capabilities();
                    self.tagged(&tag, &format!("OK [CAPABILITY {caps}] logged in"));
                }
                Err(LoginFailure::Invalid) => self.login_failed(&tag),
                Err(LoginFailure::Limit) => {
                    self.tagged(&tag, "NO [LIMIT] too many connections for this user")
                }
                Err(LoginFailure::Unavailable(e)) => {
                    self.tagged(&tag, &format!("NO [UNAVAILABLE] {e}"))
                }
            },
            (Pend::Select { name, read_only }, Answer::Selected(r)) => match r {
                Ok(snap) => self.selected_ok(&tag, name, snap, read_only),
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Sync { then }, Answer::Selected(r)) => {
                match (r, self.view.as_mut()) {
                    (Ok(snap), Some(view)) => {
                        match view.update(snap) {
                            Ok(lines) => self.out.extend_from_slice(&lines),
                            Err(ValidityChanged) => {
                                self.line("* BYE [UIDVALIDITY] the mailbox was recreated; select it again");
                                return self.close();
                            }
                        }
                    }
                    (Err(e), _) if then.is_none() => {
                        self.line(&format!("* NO {}", refusal_text(&e)));
                    }
                    _ => {}
                }
                match then {
                    None => {
                        self.waiting = Waiting::Idle { tag };
                        if self.dirty {
                            self.changed();
                        }
                    }
                    Some(line) => self.line(&line),
                }
            }
            (Pend::Plain { ok }, Answer::Done(r)) => match r {
                Ok(()) => self.tagged(&tag, ok),
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Plain { ok }, Answer::Lines(r)) => match r {
                Ok(lines) => {
                    self.out.extend_from_slice(&lines);
                    self.tagged(&tag, ok);
                }
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Append, Answer::Appended(r)) => match r {
                Ok((validity, uid)) => self.tagged(
                    &tag,
                    &format!("OK [APPENDUID {validity} {uid}] APPEND completed"),
                ),
                Err(e) => self.refused(&tag, e),
            },
            (
                Pend::Fetch {
                    uid,
                    items,
                    mark_seen,
                },
                Answer::Fetched(r),
            ) => match r {
                Ok(Fetched { wire, flags, rest }) => {
                    if let Some(view) = self.view.as_mut() {
                        for (u, f) in flags {
                            view.set_flags(u, f);
                        }
                    }
                    if self.out.is_empty() {
                        self.out = wire;
                    } else {
                        self.out.extend_from_slice(&wire);
                    }
                    if rest.is_empty() {
                        return self.tagged(&tag, "OK FETCH completed");
                    }
                    // More to come: asked for when this part is written.
                    self.flush();
                    self.next_part = Some(Request::Fetch {
                        seqs: rest,
                        items: items.clone(),
                        mark_seen,
                    });
                    self.waiting = Waiting::Answer(Pending {
                        tag,
                        what: Pend::Fetch {
                            uid,
                            items,
                            mark_seen,
                        },
                    });
                }
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Store { uid, silent }, Answer::Stored(r)) => match r {
                Ok(changed) => {
                    for (u, flags) in changed {
                        let seq = self.view.as_ref().and_then(|v| v.seq(u));
                        if let Some(view) = self.view.as_mut() {
                            view.set_flags(u, flags.clone());
                        }
                        if let (Some(seq), false) = (seq, silent) {
                            self.out
                                .extend_from_slice(format!("* {seq} FETCH (").as_bytes());
                            if uid {
                                self.out.extend_from_slice(format!("UID {u} ").as_bytes());
                            }
                            self.out.extend_from_slice(b"FLAGS ");
                            render::flag_list(&mut self.out, &flags);
                            self.out.extend_from_slice(b")\r\n");
                        }
                    }
                    self.tagged(&tag, "OK STORE completed");
                }
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Expunge { close }, Answer::Expunged(r)) => match r {
                Ok(gone) => {
                    if close {
                        self.view = None;
                        self.saved.clear();
                        self.state = State::Authenticated;
                        self.tagged(&tag, "OK CLOSE completed");
                    } else {
                        let lines = self
                            .view
                            .as_mut()
                            .map(|v| v.expunge(&gone))
                            .unwrap_or_default();
                        self.out.extend_from_slice(&lines);
                        self.tagged(&tag, "OK EXPUNGE completed");
                    }
                }
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Copy { remove }, Answer::Copied(r)) => match r {
                Ok((validity, pairs)) => {
                    let code = copy_uid(validity, &pairs);
                    if remove {
                        // RFC 6851 §4.3: COPYUID in an untagged OK first.
                        if let Some(c) = &code {
                            self.line(&format!("* OK [{c}] moved"));
                        }
                        let gone: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                        let lines = self
                            .view
                            .as_mut()
                            .map(|v| v.expunge(&gone))
                            .unwrap_or_default();
                        self.out.extend_from_slice(&lines);
                        self.tagged(&tag, "OK MOVE completed");
                    } else {
                        match code {
                            Some(c) => self.tagged(&tag, &format!("OK [{c}] COPY completed")),
                            None => self.tagged(&tag, "OK COPY completed"),
                        }
                    }
                }
                Err(e) => self.refused(&tag, e),
            },
            (Pend::Search { uid, ret }, Answer::Found(r)) => match r {
                Ok(found) => {
                    let mut nums: Vec<u32> = found
                        .iter()
                        .filter_map(|&u| match uid {
                            true => Some(u),
                            false => self.view.as_ref().and_then(|v| v.seq(u)),
                        })
                        .collect();
                    nums.sort_unstable();
                    if ret.as_ref().is_some_and(|r| r.save) {
                        self.saved = found;
                    }
                    match (ret, self.rev2) {
                        (None, false) => {
                            let mut line = String::from("* SEARCH");
                            for n in &nums {
                                line.push_str(&format!(" {n}"));
                            }
                            self.line(&line);
                        }
                        (ret, _) => {
                            let r = ret.unwrap_or(ext::SearchReturn {
                                all: true,
                                ..Default::default()
                            });
                            // SAVE alone: no ESEARCH (RFC 5182 §2.4).
                            if r.min || r.max || r.all || r.count || !r.save {
                                self.line(&esearch(&tag, uid, &r, &nums));
                            }
                        }
                    }
                    self.tagged(&tag, "OK SEARCH completed");
                }
                Err(e) => {
                    if ret.is_some_and(|r| r.save) {
                        self.saved.clear();
                    }
                    self.refused(&tag, e)
                }
            },
            (_, _) => self.tagged(&tag, "NO [SERVERBUG] unexpected answer"),
        }
    }

    fn selected_ok(&mut self, tag: &str, name: String, snap: Snapshot, read_only: bool) {
        let view = View::new(name, snap.clone(), read_only);
        let mut out = Vec::new();
        out.extend_from_slice(b"* FLAGS ");
        render::flag_list(&mut out, &view.flags_list());
        out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(&out);
        self.line(&format!("* {} EXISTS", view.len()));
        if !self.rev2 {
            self.line(&format!("* {} RECENT", snap.recent));
        }
        let mut perm = String::from("\\Answered \\Flagged \\Deleted \\Seen \\Draft");
        for k in &view.keywords {
            perm.push(' ');
            perm.push_str(k);
        }
        self.line(&format!(
            "* OK [PERMANENTFLAGS ({perm} \\*)] flags permitted"
        ));
        self.line(&format!(
            "* OK [UIDVALIDITY {}] UIDs valid",
            view.uid_validity
        ));
        self.line(&format!(
            "* OK [UIDNEXT {}] predicted next UID",
            view.uid_next
        ));
        if !self.rev2 {
            if let Some(first) = snap
                .messages
                .iter()
                .position(|(_, f)| !f.iter().any(|x| x == "\\Seen"))
            {
                self.line(&format!("* OK [UNSEEN {}] first unseen", first + 1));
            }
        }
        let code = if read_only { "READ-ONLY" } else { "READ-WRITE" };
        let cmd = if read_only { "EXAMINE" } else { "SELECT" };
        self.view = Some(view);
        self.saved.clear();
        self.state = State::Selected;
        self.dirty = false;
        self.tagged(tag, &format!("OK [{code}] {cmd} completed"));
    }

    fn refused(&mut self, tag: &str, e: Refusal) {
        self.tagged(tag, &format!("NO {}", refusal_text(&e)));
    }
}

impl crate::proto::Session for ImapSession {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        ImapSession::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        ImapSession::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        ImapSession::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        ImapSession::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ImapSession::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        ImapSession::wants_input(self)
    }
    fn resume(&mut self, _now: Instant) -> bool {
        // The last part of a FETCH is written: ask for the next.
        match self.next_part.take() {
            Some(r) => {
                self.queue.push_back(Output::Event(Event::Request(r)));
                true
            }
            None => false,
        }
    }
    fn shutdown(&mut self, immediate: bool) {
        // RFC 9051 §7.1.5: BYE, now or once the command in flight is done.
        if self.state != State::Logout && (immediate || !matches!(self.waiting, Waiting::Answer(_)))
        {
            self.line("* BYE server shutting down");
            self.close();
        }
    }
}

/// A refusal as response code and text.
fn refusal_text(e: &Refusal) -> String {
    match e {
        Refusal::NoMailbox(m) => format!("[NONEXISTENT] no mailbox {m}"),
        Refusal::Exists(m) => format!("[ALREADYEXISTS] mailbox {m} exists already"),
        Refusal::BadName(m) => format!("[CANNOT] {m}"),
        Refusal::TooBig => "[TOOBIG] message too large".into(),
        Refusal::Failed(m) => format!("[SERVERBUG] {m}"),
    }
}

/// COPYUID's code (RFC 4315 §3), when anything was copied.
fn copy_uid(validity: u32, pairs: &[(u32, u32)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let from: Vec<String> = pairs.iter().map(|p| p.0.to_string()).collect();
    let to: Vec<String> = pairs.iter().map(|p| p.1.to_string()).collect();
    Some(format!(
        "COPYUID {validity} {} {}",
        from.join(","),
        to.join(",")
    ))
}

/// A mailbox name as the client sent it (modified UTF-7; `INBOX` in any
/// case is INBOX).
/// A mailbox name as the store takes it: modified UTF-7 (RFC 3501
/// §5.1.3); a name sent in UTF-8 once UTF8=ACCEPT is enabled (RFC 6855
/// §3) is encoded so.
fn wire_name(utf8: bool, m: &Mailbox<'_>) -> String {
    match m {
        Mailbox::Inbox => "INBOX".to_owned(),
        Mailbox::Other(o) => {
            let raw = String::from_utf8_lossy(o.as_ref());
            if utf8 {
                crate::util::mutf7::encode_path(&raw)
            } else {
                raw.into_owned()
            }
        }
    }
}

/// A LIST pattern as the client sent it.
fn list_pattern(utf8: bool, m: &ListMailbox<'_>) -> String {
    let raw = match m {
        ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).into_owned(),
        ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).into_owned(),
    };
    if utf8 {
        crate::util::mutf7::encode_path(&raw)
    } else {
        raw
    }
}

/// An ESEARCH response (RFC 4731 §3.1, RFC 9051 §7.3.4) for the found
/// numbers (ascending).
fn esearch(tag: &str, uid: bool, r: &ext::SearchReturn, nums: &[u32]) -> String {
    let mut line = String::from("* ESEARCH (TAG ");
    line.push_str(&render::quoted(tag));
    line.push(')');
    if uid {
        line.push_str(" UID");
    }
    if let (true, Some(n)) = (r.min, nums.first()) {
        line.push_str(&format!(" MIN {n}"));
    }
    if let (true, Some(n)) = (r.max, nums.last()) {
        line.push_str(&format!(" MAX {n}"));
    }
    if r.all && !nums.is_empty() {
        line.push_str(&format!(" ALL {}", render::sequence_set(nums)));
    }
    if r.count {
        line.push_str(&format!(" COUNT {}", nums.len()));
    }
    line
}

/// LIST-EXTENDED options as the request carries them: the extra
/// patterns and STATUS items parsed by imap-codec in their plain forms.
fn list_options(e: ext::ListExtended, utf8: bool) -> Result<ListOptions, String> {
    let mut more = Vec::new();
    for p in e.more_patterns {
        let mut cmd = b"x LIST \"\" ".to_vec();
        cmd.extend_from_slice(&p);
        cmd.extend_from_slice(b"\r\n");
        match CommandCodec::default().decode(&cmd) {
            Ok((
                _,
                Command {
                    body:
                        CommandBody::List {
                            mailbox_wildcard, ..
                        },
                    ..
                },
            )) => more.push(list_pattern(utf8, &mailbox_wildcard)),
            _ => return Err("bad LIST pattern".into()),
        }
    }
    let mut status = Vec::new();
    if let Some(items) = e.status {
        let mut cmd = b"x STATUS INBOX ".to_vec();
        cmd.extend_from_slice(&items);
        cmd.extend_from_slice(b"\r\n");
        match CommandCodec::default().decode(&cmd) {
            Ok((
                _,
                Command {
                    body: CommandBody::Status { item_names, .. },
                    ..
                },
            )) => status = item_names.to_vec(),
            _ => return Err("bad STATUS items in LIST RETURN".into()),
        }
    }
    Ok(ListOptions {
        more_patterns: more,
        subscribed: e.subscribed,
        special_use: e.special_use,
        return_subscribed: e.return_subscribed,
        status,
        utf8,
    })
}

fn strip_crlf(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// The command's name for an error message (the word after the tag).
fn first_words(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(64)]).into_owned();
    let mut w = text.split_whitespace();
    w.next();
    w.next()
        .map_or("the command".to_owned(), |c| c.to_ascii_uppercase())
}

#[cfg(test)]
mod tests;

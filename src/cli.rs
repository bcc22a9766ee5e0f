//! Command-line definitions (clap derive). Only definitions live here: they
//! also generate `completions/` and `man/` (see [`generate`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand};

/// The exit statuses, shown at the end of `--help` and in the man pages.
const EXIT_STATUS: &str = "Exit status: 0 success, 1 an error (explained on stderr as \
                           `mailkit: error: ...`), 2 a bad command line.";

/// serve-smtp's exit statuses: a graceful stop is a success.
const SMTP_EXIT_STATUS: &str = "Exit status: 0 success (a stop by SIGINT/SIGTERM or --exit-after \
                                included), 1 an error (explained on stderr as `mailkit: error: ...`), \
                                2 a bad command line.";

/// serve-pop3's exit statuses: a graceful stop is a success.
const POP3_EXIT_STATUS: &str = "Exit status: 0 success (a stop by SIGINT/SIGTERM included), \
                                1 an error (explained on stderr as `mailkit: error: ...`), \
                                2 a bad command line.";

/// `send`'s exit statuses: swaks's, so scripts written for swaks keep working.
const SEND_EXIT_STATUS: &str = "Exit status (as swaks): 0 delivered, 1 bad command line or other error, \
                                2 could not connect, 6 connection closed unexpectedly, 21 greeting refused, \
                                22 HELO/EHLO refused, 23 sender refused (or the message cannot be sent to \
                                this server: SIZE, 8BITMIME, SMTPUTF8), 24 no recipient accepted, \
                                25 DATA refused, 26 message refused after its data, 28 AUTH refused or not offered, \
                                29 TLS failed (STARTTLS not offered, handshake or certificate).";

/// `fetch`'s exit statuses.
const FETCH_EXIT_STATUS: &str = "Exit status: 0 success, 1 failure, 2 bad command line, \
                                 3 could not connect, 4 authentication refused.";

/// `parse`'s exit statuses.
const PARSE_EXIT_STATUS: &str = "Exit status: 0 success (with --validate: no error found), \
                                 1 an error found by --validate (with --strict: any warning), or an input \
                                 that cannot be read, 2 bad command line.";

/// `replay`'s exit statuses (SPEC).
const REPLAY_EXIT_STATUS: &str = "Exit status: 0 every session matched its transcript, \
                                  1 a mismatch (or a transcript that cannot be read), 2 bad command line, \
                                  3 could not connect to --server.";

/// One binary for Internet mail from a terminal.
#[derive(Debug, Parser)]
#[command(
    name = "mailkit",
    version,
    about = "One binary for Internet mail from a terminal",
    long_about = "mailkit does Internet mail from a terminal: an SMTP server that stores mail \
                  in Maildirs and relays through a durable queue, a POP3 server over the same \
                  store, a swaks-style sender and load generator, a POP3 retriever, a message \
                  parser and validator, and a recorder and replayer of protocol sessions; TLS \
                  and AUTH throughout.\n\n\
                  Start a throwaway SMTP server that stores every message in ./mail:\n    \
                  mailkit serve-smtp",
    propagate_version = true,
    after_long_help = EXIT_STATUS
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per run: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive mail over SMTP and store it in Maildirs (RFC 5321).
    ///
    /// Receives mail over SMTP (RFC 5321 with PIPELINING, SIZE, 8BITMIME,
    /// ENHANCEDSTATUSCODES, SMTPUTF8) and stores each message durably in
    /// DIR/<recipient>/new/ (Maildir). With no --domain every domain is local
    /// (catch-all). A message gets its 250 only once it is on disk (fsync).
    ///
    /// Prints `mailkit: smtp listening on ADDR` on stderr when ready, and one
    /// line per accepted message. SIGINT/SIGTERM stop accepting, tell idle
    /// clients 421, let transactions in flight finish for --shutdown-grace
    /// seconds, then exit 0; a second signal stops at once.
    #[command(name = "serve-smtp", after_long_help = SMTP_EXIT_STATUS)]
    ServeSmtp(ServeSmtp),

    /// Compose and send a message over SMTP, or load a server (swaks-style).
    ///
    /// Composes a 7-bit clean message from the flags (non-ASCII header text
    /// as RFC 2047 encoded words, the body quoted-printable when needed,
    /// attachments as base64 MIME parts), or sends a prepared one with
    /// --message, and prints the server's final reply. With --count and
    /// --connections it sends N messages over C concurrent pipelined
    /// connections and prints messages per second and latency.
    #[command(after_long_help = SEND_EXIT_STATUS)]
    Send(Send),

    /// Serve the mail store over POP3 (RFC 1939).
    ///
    /// Serves each mailbox of the store (DIR/<address>/) to POP3 clients:
    /// USER/PASS, APOP (when the users file holds plain passwords) and
    /// AUTH PLAIN and LOGIN; STAT, LIST, RETR, TOP, UIDL, DELE, RSET, NOOP, QUIT;
    /// CAPA with RESP-CODES. Deletions happen only after QUIT; a dropped
    /// connection deletes nothing. One session per maildrop at a time.
    /// Without --users any password opens any mailbox (throwaway mode).
    #[command(name = "serve-pop3", after_long_help = POP3_EXIT_STATUS)]
    ServePop3(ServePop3),

    /// Serve the mail store over IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1).
    ///
    /// Serves each mailbox of the store (DIR/<address>/, folders as
    /// Maildir++ subfolders) to IMAP clients: LOGIN and AUTHENTICATE
    /// PLAIN/LOGIN, folders (CREATE DELETE RENAME LIST LSUB STATUS
    /// SUBSCRIBE), SELECT/EXAMINE, FETCH (BODY[] sections and partials,
    /// BINARY, ENVELOPE, BODYSTRUCTURE), STORE, SEARCH, COPY, MOVE, APPEND,
    /// EXPUNGE and UID EXPUNGE, IDLE (new mail from any protocol or process
    /// shows up). UIDs, flags and keywords are Dovecot's files, so Dovecot
    /// can serve the same Maildir. Without --users any password opens any
    /// mailbox (throwaway mode).
    #[command(name = "serve-imap", after_long_help = POP3_EXIT_STATUS)]
    ServeImap(ServeImap),

    /// Serve the mail store to browsers and test suites over HTTP.
    ///
    /// The web page at / (message list updated live, search, message view
    /// with the HTML in a sandboxed frame, headers, source, MIME tree,
    /// validation, attachments) and a JSON API shaped like Mailpit's
    /// /api/v1 (messages, search with Mailpit's syntax, message, headers,
    /// raw, part, info; the WebSocket /api/events; /livez and /readyz), so
    /// a test written against Mailpit runs against mailkit. Read state is
    /// the Maildir S flag (shared with POP3 and IMAP); delete removes the
    /// file. Loopback only unless --users (HTTP Basic auth, each user sees
    /// their own mailbox) or --auth-any.
    #[command(name = "serve-http", after_long_help = POP3_EXIT_STATUS)]
    ServeHttp(ServeHttp),

    /// Run every server in one process: SMTP, POP3, IMAP and HTTP.
    ///
    /// One event loop, one store, one users file, one change feed: a
    /// message accepted over SMTP is in IMAP IDLE and on an open web page
    /// at once. Each protocol listens on its usual throwaway port
    /// (--smtp 127.0.0.1:1025, --pop3 127.0.0.1:1110, --imap
    /// 127.0.0.1:1143, --http 127.0.0.1:8025; `off` turns one off), and
    /// every flag of serve-smtp, serve-pop3, serve-imap and serve-http
    /// means the same here.
    #[command(after_long_help = POP3_EXIT_STATUS)]
    Serve(Box<Serve>),

    /// Retrieve mail over POP3 into a Maildir, an mbox or stdout.
    ///
    /// Logs in (USER/PASS), lists the maildrop (UIDL, LIST) and retrieves
    /// every message, or only those not fetched before (--new-only). With
    /// --delete a message is deleted on the server only after its local
    /// copy is durably written, and only once the server answers QUIT.
    #[command(after_long_help = FETCH_EXIT_STATUS)]
    Fetch(Fetch),

    /// Show and validate messages (RFC 5322, MIME): one file or a corpus.
    ///
    /// Shows each message's header fields decoded (RFC 2047 words, RFC 2231
    /// parameters, charsets) and its MIME tree: types, charsets, transfer
    /// encodings, sizes, file names. --json prints one JSON object per
    /// message, one per line; --validate reports RFC 5322/MIME defects as
    /// `FILE:LINE: error|warning: TEXT (RULE)`. Inputs are files, `-` for
    /// stdin, Maildirs (cur/ and new/), folders of .eml files and mbox
    /// files.
    #[command(after_long_help = PARSE_EXIT_STATUS)]
    Parse(Parse),

    /// Replay recorded sessions (S:/C: transcripts) against a server or a client.
    ///
    /// With --server, plays the C: lines of each transcript against the
    /// server and checks its replies (SMTP by code, POP3 by +OK/-ERR, IMAP
    /// by tagged status; --strict: every line). With --serve, listens and
    /// plays the S: lines to each client that connects, checking its
    /// commands by verb (--strict: every line). A mismatch is reported as
    /// `FILE:LINE: expected ..., got ...`.
    #[command(after_long_help = REPLAY_EXIT_STATUS)]
    Replay(Replay),

    /// Print a password hash for a --users file line.
    ///
    /// Reads the password from env MAILKIT_PASSWORD, or the first line of
    /// stdin (asked for without echo on a terminal), and prints
    /// `{ARGON2ID}$argon2id$...` (or `{SHA512-CRYPT}$6$...`): put it after
    /// `address:` in the users file.
    #[command(name = "hash-password", after_long_help = EXIT_STATUS)]
    HashPassword(HashPassword),

    /// Look at and manage the outbound queue (like Postfix's mailq/postqueue).
    ///
    /// `list` shows what waits, for whom, why, and when it is tried next;
    /// `show ID` one entry with its message's header; `delete ID` removes an
    /// entry (no bounce); `flush` makes a running server try everything now.
    #[command(after_long_help = EXIT_STATUS)]
    Queue(Queue),
}

/// The flags every server shares (`serve-smtp`, `serve-pop3`,
/// `serve-imap`, `serve-http`), one definition so they mean the same
/// everywhere: where it listens and its idle timeout (`P` gives the
/// protocol's defaults, [`ServerDefaults`]), and the rest
/// ([`CommonServerArgs`]), which `mailkit serve` shares between the
/// protocols.
#[derive(Debug, Args)]
pub struct ServerArgs<P: ServerDefaults> {
    /// Address to listen on (repeatable); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = P::LISTEN)]
    pub listen: Vec<SocketAddr>,

    /// Also listen here with TLS from the first byte (as SMTPS, POP3S,
    /// IMAPS and HTTPS do; repeatable).
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Vec<SocketAddr>,

    /// Idle time in seconds before a client is disconnected (nothing is lost).
    #[arg(long, value_name = "SECS", default_value = P::TIMEOUT, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// The store, the logins, the limits and TLS.
    #[command(flatten)]
    pub common: CommonServerArgs,

    #[arg(skip)]
    #[doc(hidden)]
    pub _protocol: std::marker::PhantomData<P>,
}

/// The server flags that mean the same for every protocol.
#[derive(Debug, Clone, Args)]
pub struct CommonServerArgs {
    /// The mail store: one Maildir per address.
    #[arg(
        long,
        value_name = "DIR",
        env = "MAILKIT_MAILDIR",
        default_value = "mail"
    )]
    pub maildir: PathBuf,

    /// Host name for the greeting and trace fields [default: this host's name].
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// A local domain (repeatable). SMTP refuses mail for others (550
    /// 5.7.1; without --domain every domain is local); with exactly one, a
    /// bare login name NAME means NAME@DOMAIN.
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Users file (`address:password` lines): the addresses that exist in
    /// the local domains and their passwords. Without it any login works.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,

    /// Most simultaneous connections (more are told to try later and closed).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Longest a session may last in seconds, however busy: a client
    /// dripping bytes cannot hold a connection (or a maildrop's lock) for ever.
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_session_time: u64,

    /// Failed logins before a connection is closed.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_auth_failures: u32,

    /// Delay before answering a failed login, in milliseconds (doubles each time).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub auth_delay_ms: u64,

    /// Write a transcript of every session into DIR (one file per session).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// Keep at most N messages in each mailbox's INBOX, removing the
    /// oldest (by time received) first (Mailpit's --max-messages; off by
    /// default).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_messages: Option<u64>,

    /// Remove messages older than this from each INBOX: 90s, 30m, 12h, 7d
    /// (Mailpit's --max-age; off by default).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_age: Option<std::time::Duration>,

    /// TLS: certificates, STARTTLS/STLS.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

/// A protocol's defaults for [`ServerArgs`] (strings, as clap shows them).
pub trait ServerDefaults: Clone + std::marker::Send + Sync + std::fmt::Debug + 'static {
    /// Where it listens by default.
    const LISTEN: &'static str;
    /// Its idle time limit in seconds.
    const TIMEOUT: &'static str;
}

/// SMTP: port 1025 (25 needs root), 5 minutes idle (RFC 5321 §4.5.3.2).
#[derive(Debug, Clone)]
pub struct Smtp;

impl ServerDefaults for Smtp {
    const LISTEN: &'static str = "127.0.0.1:1025";
    const TIMEOUT: &'static str = "300";
}

/// POP3: port 1110 (110 needs root), 10 minutes idle (RFC 1939 §3).
#[derive(Debug, Clone)]
pub struct Pop3;

impl ServerDefaults for Pop3 {
    const LISTEN: &'static str = "127.0.0.1:1110";
    const TIMEOUT: &'static str = "600";
}

/// IMAP: port 1143 (143 needs root), 30 minutes idle (RFC 9051 §5.4).
#[derive(Debug, Clone)]
pub struct Imap;

impl ServerDefaults for Imap {
    const LISTEN: &'static str = "127.0.0.1:1143";
    const TIMEOUT: &'static str = "1800";
}

/// `serve-http`'s defaults.
#[derive(Debug, Clone)]
pub struct Http;

impl ServerDefaults for Http {
    const LISTEN: &'static str = "127.0.0.1:8025";
    const TIMEOUT: &'static str = "120";
}

/// `mailkit serve-smtp`: the SMTP receiver.
#[derive(Debug, Args)]
pub struct ServeSmtp {
    /// The flags every server shares.
    #[command(flatten)]
    pub server: ServerArgs<Smtp>,

    /// Largest message accepted, in bytes; K, M and G suffixes allowed.
    #[arg(long, value_name = "BYTES", default_value = "50M", value_parser = parse_size)]
    pub max_message_size: usize,

    /// What only SMTP has (limits, the relay and its queue).
    #[command(flatten)]
    pub smtp: SmtpOptions,
}

/// The flags only `serve-smtp` (and `serve`'s SMTP side) has.
#[derive(Debug, Clone, Args)]
pub struct SmtpOptions {
    /// Memory for messages being received, all connections together; past
    /// it a message is discarded with 452 4.3.1 (try again later).
    #[arg(long, value_name = "BYTES", default_value = "1G", value_parser = parse_size)]
    pub max_memory: usize,

    /// Most recipients per message (more get 452 4.5.3).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_recipients: u32,

    /// Refuse a message that already has this many Received: fields: it is
    /// in a mail loop (554 5.4.6; RFC 5321 §6.3, Postfix's hopcount_limit).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_hops: u64,

    /// Exit (status 0) after N messages have been accepted.
    #[arg(long, value_name = "N")]
    pub exit_after: Option<u64>,

    /// Seconds sessions may run on after SIGINT/SIGTERM before they get 421.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub shutdown_grace: u64,

    /// Do not log each accepted message.
    #[arg(long, short)]
    pub quiet: bool,

    /// AUTH succeeds with any user name and password even with --users
    /// (Mailpit's flag of this name, for apps that insist on logging in);
    /// such a login never opens the relay.
    #[arg(long)]
    pub smtp_auth_accept_any: bool,

    /// Inject failures, for testing how an app copes with a failing mail
    /// server (repeatable, or comma-separated): `sender=CODE:PERCENT`,
    /// `recipient=CODE:PERCENT`, `auth=CODE:PERCENT` (Mailpit's triggers;
    /// CODE defaults to 451), `delay=MS` before every reply,
    /// `disconnect=PERCENT` of DATA commands cut off mid-message,
    /// `tempfail-after=N` (451 for every message after N). Every hit is
    /// logged. Changed at run time with PUT /api/v1/chaos under `serve`.
    #[arg(long, value_name = "KIND=VALUE")]
    pub chaos: Vec<String>,

    /// Do not offer this ESMTP extension (repeatable; Postfix's
    /// smtpd_discard_ehlo_keywords): CHUNKING, BINARYMIME, DSN,
    /// PIPELINING or SMTPUTF8, left out of EHLO and refused if used, to
    /// test how clients cope with a server without it.
    #[arg(long, value_name = "KEYWORD", value_parser = ["CHUNKING", "BINARYMIME", "DSN", "PIPELINING", "SMTPUTF8", "chunking", "binarymime", "dsn", "pipelining", "smtputf8"])]
    pub discard_ehlo_keyword: Vec<String>,

    /// Allow chaos to be set at run time (GET/PUT /api/v1/chaos) with
    /// every failure off until then (Mailpit's flag; implied by --chaos).
    #[arg(long)]
    pub enable_chaos: bool,

    /// Relay mail for DOMAIN to HOST:PORT (repeatable; `*.DOMAIN` for its
    /// subdomains). Only authenticated or --relay-from clients may relay,
    /// and only with --domain set.
    #[arg(long = "route", value_name = "DOMAIN=HOST:PORT")]
    pub routes: Vec<String>,

    /// Relay mail for every other domain through this smarthost.
    #[arg(long, value_name = "HOST:PORT")]
    pub relay_to: Option<String>,

    /// AUTH to the smarthost (and routes) as USER:PASS, after STARTTLS when offered.
    #[arg(long, value_name = "USER:PASS")]
    pub relay_auth: Option<String>,

    /// Clients in this network may relay without AUTH (repeatable), e.g. 127.0.0.0/8.
    #[arg(long, value_name = "CIDR")]
    pub relay_from: Vec<String>,

    /// The outbound queue [default: MAILDIR/.queue].
    #[arg(long, value_name = "DIR")]
    pub queue: Option<PathBuf>,

    /// First retry after this many seconds; doubling, at most an hour.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub retry_base: u64,

    /// Give up (and bounce) after this many seconds in the queue [default: 432000, 5 days].
    #[arg(long, value_name = "SECS", default_value_t = 5 * 24 * 3600, hide_default_value = true)]
    pub max_queue_age: u64,

    /// Warn the sender (RFC 3464 delayed) after this many seconds [default: 14400, 4 hours].
    #[arg(long, value_name = "SECS", default_value_t = 4 * 3600, hide_default_value = true)]
    pub delay_warning: u64,

    /// Most outbound connections at once (at most 2 per destination).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_outbound: u32,

    /// The DNS server for MX lookups [default: the first nameserver in /etc/resolv.conf].
    #[arg(long, value_name = "ADDR")]
    pub resolver: Option<SocketAddr>,

    /// The SMTP port of mail hosts found in the DNS (tests run them on loopback).
    #[arg(long, value_name = "PORT", default_value_t = 25, hide = true)]
    pub mx_port: u16,
}

/// A `--smtp`/`--pop3`/`--imap`/`--http` value: an address, or `off`.
fn listen_or_off(s: &str) -> Result<Option<SocketAddr>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| format!("{s:?} is not ADDR:PORT (e.g. 127.0.0.1:1025) or off"))
}

/// `mailkit serve`: every protocol on one loop over one store.
#[derive(Debug, Args)]
pub struct Serve {
    /// SMTP listen address (repeatable; port 0 picks a free port; `off`: no SMTP).
    #[arg(long, value_name = "ADDR|off", default_value = Smtp::LISTEN, value_parser = listen_or_off)]
    pub smtp: Vec<Option<SocketAddr>>,

    /// POP3 listen address (repeatable; `off`: no POP3).
    #[arg(long, value_name = "ADDR|off", default_value = Pop3::LISTEN, value_parser = listen_or_off)]
    pub pop3: Vec<Option<SocketAddr>>,

    /// IMAP listen address (repeatable; `off`: no IMAP).
    #[arg(long, value_name = "ADDR|off", default_value = Imap::LISTEN, value_parser = listen_or_off)]
    pub imap: Vec<Option<SocketAddr>>,

    /// HTTP listen address, the web page and the API (repeatable; `off`: no HTTP).
    #[arg(long, value_name = "ADDR|off", default_value = Http::LISTEN, value_parser = listen_or_off)]
    pub http: Vec<Option<SocketAddr>>,

    /// SMTP with TLS from the first byte, as port 465 (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub smtp_tls_listen: Vec<SocketAddr>,

    /// POP3 with TLS from the first byte, as port 995 (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub pop3_tls_listen: Vec<SocketAddr>,

    /// IMAP with TLS from the first byte, as port 993 (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub imap_tls_listen: Vec<SocketAddr>,

    /// HTTPS (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub http_tls_listen: Vec<SocketAddr>,

    /// Idle time in seconds before a client is disconnected [default: each
    /// protocol's own: SMTP 300, POP3 600, IMAP 1800, HTTP 120].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,

    /// The store, the logins, the limits and TLS, shared by every protocol.
    #[command(flatten)]
    pub common: CommonServerArgs,

    /// Allow throwaway mode (no --users) on a non-loopback address.
    #[arg(long)]
    pub auth_any: bool,

    /// Largest message SMTP accepts and IMAP APPEND takes, in bytes; K, M
    /// and G suffixes allowed.
    #[arg(long, value_name = "BYTES", default_value = "50M", value_parser = parse_size)]
    pub max_message_size: usize,

    /// What only SMTP has.
    #[command(flatten)]
    pub smtp_options: SmtpOptions,

    /// What only IMAP has.
    #[command(flatten)]
    pub imap_options: ImapOptions,

    /// What only HTTP has.
    #[command(flatten)]
    pub http_options: HttpOptions,
}

/// `mailkit serve-pop3`: the POP3 server.
#[derive(Debug, Args)]
pub struct ServePop3 {
    /// The flags every server shares.
    #[command(flatten)]
    pub server: ServerArgs<Pop3>,

    /// Allow throwaway mode (no --users) on a non-loopback --listen.
    #[arg(long)]
    pub auth_any: bool,
}

/// `mailkit serve-imap`: the IMAP server.
#[derive(Debug, Args)]
pub struct ServeImap {
    /// The flags every server shares. (--max-session-time does not apply:
    /// IDLE clients stay connected for hours; --timeout is the autologout
    /// timer, at least 30 minutes by RFC 9051 §5.4.)
    #[command(flatten)]
    pub server: ServerArgs<Imap>,

    /// Allow throwaway mode (no --users) on a non-loopback --listen.
    #[arg(long)]
    pub auth_any: bool,

    /// Largest message APPEND takes, in bytes; K, M and G suffixes allowed.
    #[arg(long, value_name = "BYTES", default_value = "50M", value_parser = parse_size)]
    pub max_message_size: usize,

    /// What only IMAP has.
    #[command(flatten)]
    pub imap: ImapOptions,
}

/// The flags only `serve-imap` (and `serve`'s IMAP side) has.
#[derive(Debug, Clone, Args)]
pub struct ImapOptions {
    /// Most sessions logged in as one user at once.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_user_connections: u32,
}

/// `mailkit serve-http`: the web page and the JSON API.
#[derive(Debug, Args)]
pub struct ServeHttp {
    /// The flags every server shares (--timeout: idle seconds of a
    /// connection between requests; --record writes each connection's
    /// bytes, WebSocket frames included).
    #[command(flatten)]
    pub server: ServerArgs<Http>,

    /// Allow throwaway mode (no --users: everyone sees every mailbox) on a
    /// non-loopback --listen.
    #[arg(long)]
    pub auth_any: bool,

    /// What only HTTP has.
    #[command(flatten)]
    pub http: HttpOptions,
}

/// The flags only `serve-http` (and `serve`'s HTTP side) has.
#[derive(Debug, Clone, Args)]
pub struct HttpOptions {
    /// Let pages of ORIGIN (`https://app.example:3000`, or `*`) call the
    /// API from a browser (CORS; repeatable). The event stream stays
    /// same-origin.
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Vec<String>,

    /// Another host name this server may be called by (the Host header;
    /// repeatable). IP addresses, localhost and --hostname always work;
    /// other names are refused, against DNS rebinding.
    #[arg(long, value_name = "NAME")]
    pub allow_host: Vec<String>,

    /// Print one line per request on stderr (method, path, status, size, time).
    #[arg(long)]
    pub access_log: bool,

    /// Largest request body in bytes; K and M suffixes allowed.
    #[arg(long, value_name = "BYTES", default_value = "1M", value_parser = parse_size)]
    pub max_request_size: usize,

    /// The directory serve-smtp --record writes its transcripts into:
    /// /api/v1/message/{ID}/transcript shows the session that delivered
    /// a message.
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<PathBuf>,
}

/// `mailkit fetch`: the POP3 retriever.
#[derive(Debug, Args)]
pub struct Fetch {
    /// Server, HOST[:PORT] (POP3: port 110 when omitted, 995 with --tls;
    /// IMAP: 143, 993 with --tls) [default: env MAILKIT_FETCH_SERVER, else
    /// 127.0.0.1:1110, or 127.0.0.1:1143 with --protocol imap].
    #[arg(long, value_name = "HOST[:PORT]", value_parser = server_arg)]
    pub server: Option<String>,

    /// Protocol: pop3, or imap (folders, flags kept, UIDs remembered).
    #[arg(long, value_name = "PROTO", default_value = "pop3", value_parser = ["pop3", "imap"])]
    pub protocol: String,

    /// Login name (an address, or the local part the server accepts).
    #[arg(long, short, value_name = "NAME", env = "USER")]
    pub user: String,

    /// Password [or --password-file, or env MAILKIT_PASSWORD].
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Leave the messages on the server (the default).
    #[arg(long, conflicts_with = "delete")]
    pub keep: bool,

    /// Delete each message on the server once it is stored locally.
    #[arg(long)]
    pub delete: bool,

    /// Fetch only messages not fetched before. Their UIDLs are kept in
    /// DEST.mailkit-uidl beside --to-maildir/--to-mbox, and in
    /// ./.mailkit-uidl when writing to stdout, unless --state-file says where.
    #[arg(long)]
    pub new_only: bool,

    /// With --new-only: keep the UIDLs of fetched messages in FILE.
    #[arg(long, value_name = "FILE", requires = "new_only")]
    pub state_file: Option<PathBuf>,

    /// Store into this Maildir (DIR/{tmp,new,cur}, created).
    #[arg(long, value_name = "DIR", group = "dest")]
    pub to_maildir: Option<PathBuf>,

    /// Append to this mbox file (mboxrd quoting).
    #[arg(long, value_name = "FILE", group = "dest")]
    pub to_mbox: Option<PathBuf>,

    /// Write the messages to stdout in mbox form (the default destination).
    #[arg(long, group = "dest")]
    pub stdout: bool,

    /// List number, size, UIDL, From, Subject and Date; fetch no bodies.
    #[arg(long, group = "dest")]
    pub list: bool,

    /// First wait until the mailbox holds at least N messages (up to --timeout).
    #[arg(long, value_name = "N")]
    pub wait: Option<usize>,

    /// Seconds to wait for each reply (and for --wait in all).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// IMAP: a folder to fetch (repeatable) [default: INBOX].
    #[arg(long = "folder", value_name = "NAME")]
    pub folders: Vec<String>,

    /// IMAP: fetch every folder the server lists.
    #[arg(long, conflicts_with = "folders")]
    pub all_folders: bool,

    /// TLS: --starttls (STLS), --tls (POP3S), --insecure, --ca-file.
    #[command(flatten)]
    pub tls: ClientTlsArgs,
}

/// `mailkit send`: the user agent and load generator.
#[derive(Debug, Args)]
pub struct Send {
    /// SMTP server, HOST[:PORT] (port 25 when omitted, 465 with --tls)
    /// [default: env MAILKIT_SMTP_SERVER, else MAILKIT_SERVER, else 127.0.0.1:1025].
    #[arg(long, value_name = "HOST[:PORT]", value_parser = server_arg)]
    pub server: Option<String>,

    /// Envelope sender and From field [default: $USER@this host].
    #[arg(long, short, value_name = "ADDRESS")]
    pub from: Option<String>,

    /// Recipient (repeatable; comma-separated lists too); `Name <addr>` allowed.
    #[arg(long, short, value_name = "ADDRESS")]
    pub to: Vec<String>,

    /// Cc recipient (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,

    /// Blind copy: in the envelope only, never in the message (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub bcc: Vec<String>,

    /// Subject (any Unicode; encoded as RFC 2047 words when needed).
    #[arg(long, short, value_name = "TEXT")]
    pub subject: Option<String>,

    /// Body text [default: stdin when it is not a terminal, else empty].
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Read the body text from a UTF-8 file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<std::path::PathBuf>,

    /// Attach a file (repeatable); its media type comes from its extension.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<std::path::PathBuf>,

    /// Media type of the attachments, in order (overrides the extension's).
    #[arg(long, value_name = "TYPE")]
    pub attach_type: Vec<String>,

    /// An extra header field, "Name: value" (repeatable); replaces a
    /// composed field of the same name.
    #[arg(long, short = 'H', value_name = "NAME: VALUE")]
    pub header: Vec<String>,

    /// Send a prepared message from FILE, or - for stdin, as it is.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["subject", "body", "body_file", "attach", "header"])]
    pub message: Option<std::path::PathBuf>,

    /// Take the recipients from the message's To/Cc/Bcc and remove Bcc (sendmail -t).
    #[arg(long, requires = "message")]
    pub read_recipients: bool,

    /// Print the composed message and send nothing.
    #[arg(long)]
    pub dump: bool,

    /// Name to give in EHLO/HELO [default: this host's name].
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,

    /// Seconds to wait for each server reply.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Fail (exit 24) when any recipient is refused, instead of sending to the others.
    #[arg(long)]
    pub all_recipients: bool,

    /// Do not pipeline commands even when the server offers PIPELINING.
    #[arg(long)]
    pub no_pipelining: bool,

    /// Send with DATA even when the server offers CHUNKING (BDAT, RFC
    /// 3030, is used by default when offered).
    #[arg(long)]
    pub no_chunking: bool,

    /// Ask for delivery status notifications (RFC 3461 NOTIFY, on every
    /// recipient): NEVER, or a comma list of SUCCESS, FAILURE, DELAY.
    /// With any DSN flag each recipient also carries ORCPT=rfc822;ADDR.
    /// The server must offer DSN (else exit 23).
    #[arg(long, value_name = "LIST")]
    pub dsn_notify: Option<String>,

    /// How much of the message a failure report returns (RFC 3461 RET).
    #[arg(long, value_name = "full|hdrs", value_parser = ["full", "hdrs", "FULL", "HDRS"])]
    pub dsn_ret: Option<String>,

    /// The envelope id the reports quote (RFC 3461 ENVID; at most 100
    /// characters).
    #[arg(long, value_name = "ID")]
    pub envid: Option<String>,

    /// Send the message as BODY=BINARYMIME (RFC 3030 §3): its bytes as
    /// they are, with BDAT, no line-length limit; the server must offer
    /// CHUNKING and BINARYMIME.
    #[arg(long)]
    pub binarymime: bool,

    /// Write the session in the S:/C: transcript format to FILE (- for stdout).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<std::path::PathBuf>,

    /// Show the dialogue (C:/S: lines) on stderr.
    #[arg(long, short)]
    pub verbose: bool,

    /// Load: send N messages in all.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,

    /// Load: over C concurrent connections, each pipelined.
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub connections: u32,

    /// TLS: --starttls, --tls, --insecure, --ca-file.
    #[command(flatten)]
    pub tls: ClientTlsArgs,

    /// Authenticate (RFC 4954) as USER with PASS; the mechanism is chosen
    /// from what the server offers (PLAIN, else LOGIN).
    #[arg(long, value_name = "USER:PASS", conflicts_with = "auth_user")]
    pub auth: Option<String>,

    /// Authenticate as USER (password from --auth-password, --password-file or MAILKIT_PASSWORD).
    #[arg(long, value_name = "USER")]
    pub auth_user: Option<String>,

    /// The password for --auth-user.
    #[arg(
        long,
        value_name = "PASS",
        env = "MAILKIT_PASSWORD",
        hide_env_values = true
    )]
    pub auth_password: Option<String>,

    /// Read the password for --auth-user from FILE (first line).
    #[arg(long, value_name = "FILE", requires = "auth_user")]
    pub password_file: Option<PathBuf>,

    /// Force the AUTH mechanism: PLAIN or LOGIN.
    #[arg(long, value_name = "MECH", value_parser = ["PLAIN", "LOGIN"], ignore_case = true)]
    pub auth_mechanism: Option<String>,
}

fn parse_size(s: &str) -> Result<usize, crate::util::BadValue> {
    crate::util::parse_size(s)
}

fn parse_duration(s: &str) -> Result<std::time::Duration, crate::util::BadValue> {
    crate::util::parse_duration(s)
}

/// Writes shell completions (bash, zsh, fish, elvish, powershell) into
/// `dir/completions` and man pages into `dir/man`; the committed copies
/// are checked against this by a test.
pub fn generate(dir: &Path) -> std::io::Result<()> {
    use clap_complete::Shell;
    let completions = dir.join("completions");
    let man = dir.join("man");
    std::fs::create_dir_all(&completions)?;
    std::fs::create_dir_all(&man)?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "mailkit", &completions)?;
    }
    let cmd = Cli::command();
    clap_mangen::generate_to(cmd, &man)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn server_values() {
        for ok in [
            "127.0.0.1",
            "mx.example:25",
            "[::1]",
            "[::1]:2525",
            "::1",
            "h:65535",
        ] {
            assert!(server_arg(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "h:0", "h:99999", "h:x", "[::1", "[::1]x", "[]:25", "a b:25", "h:",
        ] {
            assert!(server_arg(bad).is_err(), "{bad}");
        }
    }
}

/// `mailkit parse`: show and validate messages.
#[derive(Debug, Args)]
pub struct Parse {
    /// Messages to read: files, `-` for stdin, Maildirs, folders of .eml
    /// files, mbox files [default: `-`].
    #[arg(value_name = "FILE|DIR|-")]
    pub inputs: Vec<String>,

    /// One JSON object per message, one per line (jq can stream them).
    #[arg(long)]
    pub json: bool,

    /// With --json: add each text part's body, decoded to UTF-8, as `text`.
    #[arg(long, requires = "json")]
    pub bodies: bool,

    /// Report RFC 5322/MIME defects as `FILE:LINE: error|warning: TEXT (RULE)`;
    /// exit 1 when there is an error.
    #[arg(long)]
    pub validate: bool,

    /// With --validate: warnings count as errors for the exit status.
    #[arg(long, requires = "validate")]
    pub strict: bool,

    /// Allow UTF-8 in header fields (RFC 6532: mail sent with SMTPUTF8).
    #[arg(long)]
    pub utf8: bool,

    /// Write each attachment into DIR (created), with a safe file name;
    /// an existing file is never overwritten.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["json", "part"])]
    pub extract: Option<PathBuf>,

    /// Print part N's decoded body (N as numbered in the default view and
    /// in --json's `part`; 0 is the whole message's body).
    #[arg(long, value_name = "N", conflicts_with = "json")]
    pub part: Option<usize>,

    /// No progress bar, no closing summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `mailkit replay`: play transcripts against a server or a client.
#[derive(Debug, Args)]
pub struct Replay {
    /// Transcripts: files in the S:/C: transcript format (see the README), or folders (every .txt in them).
    #[arg(value_name = "TRANSCRIPT", required = true)]
    pub transcripts: Vec<PathBuf>,

    /// Play the client side against this server, HOST[:PORT] (port 25,
    /// 110 or 143 by the transcript's protocol when omitted).
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "serve",
        conflicts_with = "serve"
    )]
    pub server: Option<String>,

    /// Play the server side: listen, and check each client that connects.
    #[arg(long)]
    pub serve: bool,

    /// With --serve: address to listen on; port 0 picks a free port
    /// [default: 127.0.0.1:1025, :1110 or :1143 by protocol].
    #[arg(long, value_name = "ADDR", requires = "serve")]
    pub listen: Option<SocketAddr>,

    /// With --serve: play one session, then exit with its verdict.
    #[arg(long, requires = "serve")]
    pub once: bool,

    /// Compare every line byte for byte (replies, bodies, commands).
    #[arg(long)]
    pub strict: bool,

    /// Honour `# +SECONDS` lines: pause that long before the next step.
    #[arg(long)]
    pub delay: bool,

    /// Longest wait for the peer's next line, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// With --server: transcripts played at once (concurrent sessions on one loop).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    /// Put this text where a recorded C: line says `<redacted>` (recorders
    /// never write passwords).
    #[arg(
        long,
        value_name = "TEXT",
        env = "MAILKIT_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Print only mismatches and the summary.
    #[arg(long, short)]
    pub quiet: bool,

    /// TLS from the first byte (SMTPS/POP3S/IMAPS style; with --serve it
    /// needs --tls-self-signed).
    /// A STARTTLS or STLS in a transcript starts TLS by itself.
    #[arg(long)]
    pub tls: bool,

    /// With --server: do not verify the server's certificate.
    #[arg(long)]
    pub insecure: bool,

    /// With --server: trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,

    /// With --serve: a certificate made at start, for a STARTTLS/STLS in
    /// the transcript (or every connection, with --tls).
    #[arg(long, requires = "serve")]
    pub tls_self_signed: bool,
}

/// The TLS and AUTH-exposure flags every server shares.
#[derive(Debug, Clone, Args)]
pub struct ServerTlsArgs {
    /// PEM certificate chain (with --tls-key): enables STARTTLS/STLS and --tls-listen.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Make a certificate for --hostname at start (its SHA-256 fingerprint is printed).
    #[arg(long, conflicts_with = "tls_cert")]
    pub tls_self_signed: bool,

    /// Refuse MAIL and AUTH (SMTP), USER, PASS, APOP and AUTH (POP3) before TLS.
    #[arg(long)]
    pub require_tls: bool,

    /// Offer AUTH and password logins without TLS too (they are offered
    /// in the clear only on a loopback-only throwaway server otherwise).
    #[arg(long)]
    pub allow_insecure_auth: bool,
}

/// The TLS flags every client shares (send, fetch).
#[derive(Debug, Clone, Args)]
pub struct ClientTlsArgs {
    /// Upgrade to TLS with STARTTLS (SMTP) or STLS (POP3); fail if the server does not offer it.
    #[arg(long, conflicts_with = "tls")]
    pub starttls: bool,

    /// TLS from the first byte (implicit TLS: SMTPS port 465, POP3S 995).
    #[arg(long)]
    pub tls: bool,

    /// Do not verify the server's certificate (the connection is still encrypted).
    #[arg(long)]
    pub insecure: bool,

    /// Trust the CA certificates in this PEM file instead of the built-in roots.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_file: Option<PathBuf>,
}

/// `mailkit hash-password`: a hash for the users file.
#[derive(Debug, Args)]
pub struct HashPassword {
    /// The scheme: ARGON2ID (default) or SHA512-CRYPT (Dovecot-compatible both).
    #[arg(long, value_name = "SCHEME", default_value = "ARGON2ID", value_parser = ["ARGON2ID", "SHA512-CRYPT", "argon2id", "sha512-crypt"])]
    pub scheme: String,

    /// Prefix the hash with `ADDRESS:`, ready to append to the users file.
    #[arg(long, value_name = "ADDRESS")]
    pub user: Option<String>,
}

/// `mailkit queue`: the outbound queue.
#[derive(Debug, Args)]
pub struct Queue {
    /// What to do.
    #[command(subcommand)]
    pub action: QueueAction,

    /// The queue directory [default: MAILDIR/.queue, i.e. ./mail/.queue].
    #[arg(long, value_name = "DIR", global = true)]
    pub queue: Option<PathBuf>,
}

/// `mailkit queue` actions.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// What waits: id, arrival, sender, and each recipient's state, attempts,
    /// next try and last reply.
    List,
    /// One entry in full, with its message's header.
    Show {
        /// The queue id (from `list`).
        id: String,
    },
    /// Remove an entry without a bounce.
    Delete {
        /// The queue id (from `list`).
        id: String,
    },
    /// Ask a running server to try every pending recipient now.
    Flush,
}

/// Checks a `HOST[:PORT]` value (`--server`, and the environment variables
/// that stand in for it): a host, and a port from 1 to 65535 when one is
/// given (IPv6 literals in brackets, or bare without a port).
pub fn server_arg(s: &str) -> Result<String, crate::util::BadValue> {
    let s = s.trim();
    // The forms the clients accept, read the one way they read them.
    let full = crate::util::with_default_port(s, 1);
    let (host, port) = full.rsplit_once(':').unwrap_or((&full, ""));
    let host_ok = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .is_some_and(|h| !h.is_empty() && !h.contains(['[', ']'])),
        None => !host.is_empty() && !host.contains(['[', ']']),
    };
    if !host_ok || host.contains(char::is_whitespace) {
        return Err(crate::util::BadValue::new(
            s,
            "HOST, HOST:PORT, [IPv6] or [IPv6]:PORT",
        ));
    }
    match port.parse::<u16>() {
        Ok(n) if n > 0 => Ok(s.to_string()),
        _ => Err(crate::util::BadValue::new(
            s,
            "HOST[:PORT]; the port must be a number from 1 to 65535",
        )),
    }
}

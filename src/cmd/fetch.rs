//! `mailkit fetch`: retrieve mail over POP3 into a Maildir, an mbox or
//! stdout, keeping or deleting the server's copies. A message is deleted
//! on the server only after its local copy is durably written, and the
//! deletion takes effect only when the server answers QUIT (RFC 1939 §6).
//! Exit codes: 0 ok, 1 failure, 2 usage, 3 connection, 4 authentication.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context};

use crate::cli::Fetch;
use crate::net::{ClientService, ConnId, Service, ServiceOpts, StopMode};
use crate::proto::pop3::client::{Event, Pop3Client};
use crate::store::{Delivery, Maildir};

/// fetch's failures: [`super::Exit`] (3 connection, 4 authentication, 1 other).
pub type FetchExit = super::Exit;

use super::exit as fail;

/// Where fetched messages go.
pub(super) enum Sink {
    /// Messages wait in `pending` and are delivered together (one group
    /// commit: two flushes a batch, not two a message).
    Maildir {
        md: Maildir,
        mailbox: Vec<String>,
        pending: Vec<Vec<u8>>,
    },
    /// Written as they come; one `fdatasync` a batch.
    Mbox(File),
    Stdout,
}

/// Most messages fetched before they are made durable (and before the
/// DELEs that follow them can be committed by QUIT).
const BATCH_MESSAGES: usize = 256;
/// Most bytes held for one batch.
const BATCH_BYTES: usize = 32 << 20;

impl Sink {
    /// Takes one message (LF line ends); durable only after
    /// [`Sink::commit`].
    pub(super) fn stage(&mut self, msg: Vec<u8>) -> anyhow::Result<()> {
        match self {
            Sink::Maildir { pending, .. } => pending.push(msg),
            Sink::Mbox(f) => f
                .write_all(&mboxrd(&msg))
                .context("cannot write the mbox")?,
            Sink::Stdout => std::io::stdout()
                .write_all(&mboxrd(&msg))
                .context("cannot write to stdout")?,
        }
        Ok(())
    }

    /// Makes every staged message durable: into the Maildir (written in
    /// tmp/, synced, renamed into new/, synced: the store's rule), or the
    /// mbox synced, or stdout flushed.
    pub(super) fn commit(&mut self) -> anyhow::Result<()> {
        match self {
            Sink::Maildir {
                md,
                mailbox,
                pending,
            } => {
                if pending.is_empty() {
                    return Ok(());
                }
                let batch: Vec<Delivery> = pending
                    .iter()
                    .map(|m| Delivery {
                        mailboxes: mailbox,
                        header: b"",
                        body: m,
                    })
                    .collect();
                let results = md.deliver_batch(&batch);
                pending.clear();
                if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
                    return Err(anyhow!("{e}"));
                }
            }
            Sink::Mbox(f) => f.sync_data().context("cannot write the mbox")?,
            Sink::Stdout => std::io::stdout()
                .flush()
                .context("cannot write to stdout")?,
        }
        Ok(())
    }
}

/// One message in mboxrd form: a `From ` line, `>`-quoting of lines that
/// match `^>*From `, and a blank line after.
pub fn mboxrd(msg: &[u8]) -> Vec<u8> {
    let date = crate::util::time::asctime(SystemTime::now());
    let mut out = format!("From MAILER-DAEMON {date}\n").into_bytes();
    out.reserve(msg.len() + 2);
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', msg).map(|i| i + 1);
    for end in ends.chain((!msg.ends_with(b"\n")).then_some(msg.len())) {
        let line = &msg[start..end];
        start = end;
        let quoted = line
            .iter()
            .position(|&b| b != b'>')
            .is_some_and(|i| line[i..].starts_with(b"From "));
        if quoted {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    if !msg.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

/// What the session is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Stls,
    User,
    Pass,
    Stat,
    Uidl,
    List,
    Top(usize),
    Retr(usize),
    Dele(usize),
    Quit,
}

struct FetchService {
    server: SocketAddr,
    user: String,
    password: String,
    timeout: Duration,
    opened: bool,
    live: bool,
    /// `--wait N`: only STAT, to count.
    count_only: bool,
    list: bool,
    delete: bool,
    step: Step,
    uids: Vec<(usize, String)>,
    sizes: Vec<(usize, u64)>,
    todo: Vec<usize>,
    seen: HashSet<String>,
    state_file: Option<PathBuf>,
    sink: Sink,
    /// Messages (and their bytes, UIDLs) staged since the last commit.
    staged: usize,
    staged_bytes: usize,
    staged_uids: Vec<String>,
    fetched: usize,
    bytes: u64,
    deleted: usize,
    stat_count: Option<usize>,
    quit_ok: bool,
    error: Option<anyhow::Error>,
    progress: Option<indicatif::ProgressBar>,
    tls: Option<crate::net::tls::ClientTls>,
    starttls: bool,
    implicit_tls: bool,
}

impl FetchService {
    fn uid(&self, n: usize) -> Option<&str> {
        self.uids
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, u)| u.as_str())
    }

    fn next(&mut self, c: &mut Pop3Client, now: Instant) {
        let step = match self.todo.first().copied() {
            Some(n) if self.list => Step::Top(n),
            Some(n) => Step::Retr(n),
            None => Step::Quit,
        };
        // QUIT commits the DELEs: everything fetched is durable first.
        if step == Step::Quit {
            if let Err(e) = self.commit() {
                return self.abort(c, e, now);
            }
        }
        self.send(c, step, now);
    }

    /// Makes the staged messages durable, then records their UIDLs for
    /// --new-only (after, so a crash between fetches twice, never loses).
    fn commit(&mut self) -> anyhow::Result<()> {
        self.staged = 0;
        self.staged_bytes = 0;
        let uids = std::mem::take(&mut self.staged_uids);
        self.sink.commit()?;
        if let Some(file) = &self.state_file {
            remember(file, &self.user, &self.server, &uids)?;
        }
        Ok(())
    }

    fn send(&mut self, c: &mut Pop3Client, step: Step, now: Instant) {
        self.step = step;
        let (line, multi) = match step {
            Step::Stls => ("STLS".into(), false),
            Step::User => (format!("USER {}", self.user), false),
            Step::Pass => (format!("PASS {}", self.password), false),
            Step::Stat => ("STAT".into(), false),
            Step::Uidl => ("UIDL".into(), true),
            Step::List => ("LIST".into(), true),
            Step::Top(n) => (format!("TOP {n} 0"), true),
            Step::Retr(n) => (format!("RETR {n}"), true),
            Step::Dele(n) => (format!("DELE {n}"), false),
            Step::Quit => ("QUIT".into(), false),
        };
        c.command(0, &line, multi, now);
    }

    fn abort(&mut self, c: &mut Pop3Client, e: anyhow::Error, now: Instant) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        // Keep what was fetched (its DELEs are not committed: see below).
        if let Err(e) = self.commit() {
            eprintln!("mailkit: fetch: {e:#}");
        }
        // Leave without committing deletions: the server deletes only on QUIT,
        // so quit only when nothing was marked; otherwise just hang up.
        if self.deleted == 0 && self.step != Step::Quit {
            self.send(c, Step::Quit, now);
        } else {
            c.shutdown_now();
        }
    }

    fn on_reply(
        &mut self,
        c: &mut Pop3Client,
        ok: bool,
        text: String,
        body: Option<Vec<u8>>,
        now: Instant,
    ) {
        match self.step {
            Step::Stls if !ok => {
                self.error = Some(fail(
                    1,
                    format!("TLS failed: the server refused STLS: {text}"),
                ));
                self.send(c, Step::Quit, now);
            }
            Step::Stls => {
                c.start_tls();
                self.send(c, Step::User, now);
            }
            Step::User | Step::Pass if !ok => {
                // A server that takes logins only over TLS (RFC 2595 §4;
                // serve-pop3 --require-tls, Dovecot's disable_plaintext_auth)
                // says so in its refusal: name the flag that fixes it.
                let wants_tls = !self.starttls
                    && !self.implicit_tls
                    && (text.contains("TLS") || text.contains("[PRIVACY]"));
                let hint = if wants_tls {
                    " (the server wants TLS first: add --starttls, or --tls for an implicit-TLS port)"
                } else {
                    ""
                };
                self.error = Some(fail(
                    4,
                    format!(
                        "the server refused the login as {}: {text}{hint}",
                        self.user
                    ),
                ));
                self.send(c, Step::Quit, now);
            }
            Step::User => self.send(c, Step::Pass, now),
            Step::Pass => self.send(
                c,
                if self.count_only {
                    Step::Stat
                } else {
                    Step::Uidl
                },
                now,
            ),
            Step::Stat => {
                self.stat_count = text.split_whitespace().next().and_then(|n| n.parse().ok());
                self.send(c, Step::Quit, now);
            }
            Step::Uidl => {
                if ok {
                    self.uids = parse_pairs(body.as_deref().unwrap_or(b""))
                        .into_iter()
                        .collect();
                } else if !self.seen.is_empty() || self.state_file.is_some() {
                    return self.abort(
                        c,
                        fail(
                            1,
                            format!("--new-only needs UIDL, which the server refused: {text}"),
                        ),
                        now,
                    );
                }
                self.send(c, Step::List, now);
            }
            Step::List => {
                if !ok {
                    return self.abort(c, fail(1, format!("LIST failed: {text}")), now);
                }
                self.sizes = parse_pairs(body.as_deref().unwrap_or(b""))
                    .into_iter()
                    .map(|(n, s)| (n, s.parse().unwrap_or(0)))
                    .collect();
                let wanted: Vec<usize> = self
                    .sizes
                    .iter()
                    .map(|(n, _)| *n)
                    .filter(|n| self.uid(*n).is_none_or(|u| !self.seen.contains(u)))
                    .collect();
                self.todo = wanted;
                if self.todo.len() > 5 && !self.list && std::io::stderr().is_terminal() {
                    self.progress = Some(indicatif::ProgressBar::new(self.todo.len() as u64));
                }
                self.next(c, now);
            }
            Step::Top(n) => {
                self.todo.remove(0);
                if ok {
                    let head = body.unwrap_or_default();
                    let size = self
                        .sizes
                        .iter()
                        .find(|(m, _)| *m == n)
                        .map_or(0, |(_, s)| *s);
                    println!("{}", list_line(n, size, self.uid(n).unwrap_or("-"), &head));
                }
                self.next(c, now);
            }
            Step::Retr(n) => {
                if !ok {
                    return self.abort(c, fail(1, format!("RETR {n} failed: {text}")), now);
                }
                let raw = body.unwrap_or_default();
                let msg = crate::util::crlf_to_lf(&raw);
                let len = msg.len();
                if let Err(e) = self.sink.stage(msg) {
                    return self.abort(c, e.context(format!("cannot store message {n}")), now);
                }
                self.fetched += 1;
                self.bytes += len as u64;
                self.staged += 1;
                self.staged_bytes += len;
                if let Some(uid) = self.uid(n).map(str::to_owned) {
                    self.staged_uids.push(uid);
                }
                if let Some(p) = &self.progress {
                    p.inc(1);
                }
                if self.staged >= BATCH_MESSAGES || self.staged_bytes >= BATCH_BYTES {
                    if let Err(e) = self.commit() {
                        return self.abort(c, e.context(format!("cannot store message {n}")), now);
                    }
                }
                if self.delete {
                    self.send(c, Step::Dele(n), now);
                } else {
                    self.todo.remove(0);
                    self.next(c, now);
                }
            }
            Step::Dele(n) => {
                if ok {
                    self.deleted += 1;
                } else {
                    eprintln!("mailkit: fetch: DELE {n} refused: {text}");
                }
                self.todo.remove(0);
                self.next(c, now);
            }
            Step::Quit => self.quit_ok = ok,
        }
    }
}

trait ShutdownNow {
    fn shutdown_now(&mut self);
}

impl ShutdownNow for Pop3Client {
    fn shutdown_now(&mut self) {
        crate::proto::Session::shutdown(self, true);
    }
}

impl ClientService for FetchService {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        if self.opened {
            return None;
        }
        self.opened = true;
        self.live = true;
        Some(self.server)
    }

    fn open_outbound(
        &mut self,
        _id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<Pop3Client> {
        Some(Pop3Client::new(self.timeout, now))
    }

    fn connect_failed(&mut self, _id: ConnId, _c: Pop3Client, e: std::io::Error) {
        self.live = false;
        self.error = Some(fail(3, format!("cannot connect to {}: {e}", self.server)));
    }

    fn outbound_tls(&self) -> bool {
        self.implicit_tls
    }
}

impl Service for FetchService {
    type Session = Pop3Client;
    type Completion = ();

    fn event(&mut self, _id: ConnId, c: &mut Pop3Client, e: Event, now: Instant) {
        match e {
            Event::Greeting { ok: true, .. } if self.starttls => self.send(c, Step::Stls, now),
            Event::Greeting { ok: true, .. } => self.send(c, Step::User, now),
            Event::Greeting { ok: false, text } => {
                self.error = Some(fail(
                    3,
                    format!("the server refused the connection: {text}"),
                ))
            }
            Event::Reply { ok, text, body, .. } => self.on_reply(c, ok, text, body, now),
            Event::Closed { reason } => {
                if let Some(r) = reason {
                    if self.error.is_none() && !self.quit_ok {
                        // The connection was made: whatever went wrong
                        // since is not "could not connect" (3).
                        let r = if self.step == Step::User {
                            format!("connected to {}, but {r}", self.server)
                        } else {
                            r
                        };
                        self.error = Some(fail(1, r));
                    }
                }
            }
        }
    }

    fn closed(&mut self, _id: ConnId, _c: Pop3Client) {
        self.live = false;
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.tls.as_ref()?.connect()
    }

    fn tls_failed(&mut self, _id: ConnId, _c: &mut Pop3Client, error: &rustls::Error) {
        if self.error.is_none() {
            self.error = Some(fail(
                1,
                format!("TLS failed: {error} (--insecure skips certificate checks, --ca-file trusts a private CA)"),
            ));
        }
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.opened && !self.live).then_some(StopMode::Drain)
    }
}

/// The client TLS configuration for `--starttls`/`--tls`, or `None`.
pub(super) fn client_tls(
    args: &crate::cli::ClientTlsArgs,
    server: &str,
) -> anyhow::Result<Option<crate::net::tls::ClientTls>> {
    super::common::client_tls(args, server).map_err(|e| fail(1, e))
}

fn parse_pairs(body: &[u8]) -> Vec<(usize, String)> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.parse().ok()?, w.next()?.to_string()))
        })
        .collect()
}

/// `N  SIZE  UIDL  From  Subject  Date` from a message's header block.
fn list_line(n: usize, size: u64, uid: &str, head: &[u8]) -> String {
    let (headers, _) = mailparse::parse_headers(head).unwrap_or_default();
    use mailparse::MailHeaderMap;
    let get = |k: &str| headers.get_first_value(k).unwrap_or_default();
    format!(
        "{n}\t{size}\t{uid}\t{}\t{}\t{}",
        get("From"),
        get("Subject"),
        get("Date")
    )
}

pub(super) fn state_path(args: &Fetch) -> PathBuf {
    if let Some(f) = &args.state_file {
        return f.clone();
    }
    let dest = args.to_maildir.as_ref().or(args.to_mbox.as_ref());
    match dest {
        Some(d) => {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "mail".into());
            d.with_file_name(format!("{name}.mailkit-uidl"))
        }
        None => PathBuf::from(".mailkit-uidl"),
    }
}

fn load_seen(file: &Path, user: &str, server: &SocketAddr) -> anyhow::Result<HashSet<String>> {
    let key = format!("{user}@{server}");
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, _)| *k == key)
            .map(|(_, u)| u.to_string())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(e) => Err(anyhow!(
            "cannot read the --new-only state file {}: {e}",
            file.display()
        )),
    }
}

/// Records fetched UIDLs (appended and synced once the messages are
/// durable, so a run killed half way fetches at most one batch twice).
fn remember(file: &Path, user: &str, server: &SocketAddr, uids: &[String]) -> anyhow::Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot write the state file {}", file.display()))?;
    let lines: String = uids
        .iter()
        .map(|uid| format!("{user}@{server} {uid}\n"))
        .collect();
    f.write_all(lines.as_bytes())
        .and_then(|()| f.sync_data())
        .with_context(|| format!("cannot write the state file {}", file.display()))
}

pub(super) fn password(args: &Fetch) -> anyhow::Result<String> {
    if let Some(p) = &args.password {
        return Ok(p.clone());
    }
    if let Some(f) = &args.password_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read --password-file {}", f.display()))?;
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    std::env::var("MAILKIT_PASSWORD").map_err(|_| {
        fail(
            2,
            "give the password: --password, --password-file or env MAILKIT_PASSWORD",
        )
    })
}

/// The POP3 server without `--server` or MAILKIT_FETCH_SERVER (SPEC).
const DEFAULT_SERVER: &str = "127.0.0.1:1110";

/// The `--server` text, once [`run`] has filled it in.
fn server_name(args: &Fetch) -> &str {
    args.server.as_deref().unwrap_or(DEFAULT_SERVER)
}

/// Resolves `HOST[:PORT]` (port 110 when omitted; 995, POP3S, with `--tls`).
fn resolve(server: &str, tls: bool) -> anyhow::Result<SocketAddr> {
    crate::util::with_default_port(server, if tls { 995 } else { 110 })
        .to_socket_addrs()
        .map_err(|e| fail(3, format!("cannot resolve --server {server}: {e}")))?
        .next()
        .ok_or_else(|| fail(3, format!("--server {server} has no address")))
}

pub(super) fn open_sink(args: &Fetch) -> anyhow::Result<Sink> {
    if let Some(dir) = &args.to_maildir {
        let name = dir
            .file_name()
            .ok_or_else(|| anyhow!("--to-maildir {} needs a directory name", dir.display()))?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut md = Maildir::open(parent, &crate::util::hostname()).map_err(|e| anyhow!("{e}"))?;
        let mailbox = name.to_string_lossy().into_owned();
        md.ensure_mailbox(&mailbox)
            .map_err(|e| anyhow!("cannot create --to-maildir {}: {e}", dir.display()))?;
        return Ok(Sink::Maildir {
            md,
            mailbox: vec![mailbox],
            pending: Vec::new(),
        });
    }
    if let Some(path) = &args.to_mbox {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open --to-mbox {}", path.display()))?;
        return Ok(Sink::Mbox(f));
    }
    Ok(Sink::Stdout)
}

fn session(
    args: &Fetch,
    server: SocketAddr,
    password: &str,
    count_only: bool,
) -> anyhow::Result<FetchService> {
    let state_file = args.new_only.then(|| state_path(args));
    let seen = match &state_file {
        Some(f) => load_seen(f, &args.user, &server)?,
        None => HashSet::new(),
    };
    let mut service = FetchService {
        server,
        user: args.user.clone(),
        password: password.to_string(),
        timeout: Duration::from_secs(args.timeout),
        opened: false,
        live: false,
        count_only,
        list: args.list,
        delete: args.delete,
        step: Step::User,
        uids: Vec::new(),
        sizes: Vec::new(),
        todo: Vec::new(),
        seen,
        state_file,
        sink: if count_only || args.list {
            Sink::Stdout
        } else {
            open_sink(args)?
        },
        staged: 0,
        staged_bytes: 0,
        staged_uids: Vec::new(),
        fetched: 0,
        bytes: 0,
        deleted: 0,
        stat_count: None,
        quit_ok: false,
        error: None,
        progress: None,
        tls: client_tls(&args.tls, server_name(args))?,
        starttls: args.tls.starttls,
        implicit_tls: args.tls.tls,
    };
    let opts = ServiceOpts {
        name: "fetch",
        max_connections: 2,
        record_dir: None,
    };
    crate::net::run_client(&mut service, opts, Duration::from_secs(1))
        .context("the event loop failed")?;
    // A connection that ended early leaves staged messages: keep them.
    if let Err(e) = service.commit() {
        if service.error.is_none() {
            service.error = Some(e);
        }
    }
    if let Some(p) = &service.progress {
        p.finish_and_clear();
    }
    Ok(service)
}

/// Runs `mailkit fetch`.
pub fn run(mut args: Fetch) -> anyhow::Result<()> {
    let default = if args.protocol == "imap" {
        super::fetch_imap::DEFAULT_SERVER
    } else {
        DEFAULT_SERVER
    };
    args.server = Some(
        super::common::server_choice(args.server.as_deref(), &["MAILKIT_FETCH_SERVER"], default)
            .map_err(|e| fail(2, e))?,
    );
    if args.protocol == "imap" {
        return super::fetch_imap::run(args);
    }
    if !args.folders.is_empty() || args.all_folders {
        return Err(fail(
            2,
            "--folder and --all-folders need --protocol imap (POP3 has one maildrop)",
        ));
    }
    let password = password(&args)?;
    if args.user.contains(['\r', '\n']) || password.contains(['\r', '\n']) {
        bail!("--user and the password cannot contain line breaks");
    }
    let server = resolve(server_name(&args), args.tls.tls)?;
    if let Some(n) = args.wait {
        let deadline = Instant::now() + Duration::from_secs(args.timeout);
        loop {
            let s = session(&args, server, &password, true)?;
            if let Some(e) = s.error {
                return Err(e);
            }
            if s.stat_count.unwrap_or(0) >= n {
                break;
            }
            if Instant::now() >= deadline {
                bail!(
                    "timed out after {} s waiting for {n} messages ({} there)",
                    args.timeout,
                    s.stat_count.unwrap_or(0)
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let s = session(&args, server, &password, false)?;
    if let Some(e) = s.error {
        return Err(e);
    }
    if !args.list {
        let deleted = if args.delete && s.quit_ok {
            format!(", deleted {} on the server", s.deleted)
        } else {
            String::new()
        };
        eprintln!(
            "mailkit: fetch: {} ({} bytes) from {} at {}{deleted}",
            crate::util::count(s.fetched, "message"),
            s.bytes,
            args.user,
            server_name(&args)
        );
    }
    if args.delete && s.deleted > 0 && !s.quit_ok {
        bail!("the server did not confirm QUIT, so its copies may not be deleted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mboxrd_quotes_from_lines() {
        let m = mboxrd(b"Subject: x\n\nFrom here\n>From there\nnot From\n");
        let text = String::from_utf8(m).unwrap();
        assert!(text.starts_with("From MAILER-DAEMON "));
        assert!(
            text.ends_with("\n>From here\n>>From there\nnot From\n\n"),
            "{text}"
        );
    }

    #[test]
    fn pairs_and_line_ends() {
        assert_eq!(
            parse_pairs(b"1 abc\r\n2 def\r\n"),
            [(1, "abc".to_string()), (2, "def".to_string())]
        );
        assert_eq!(crate::util::crlf_to_lf(b"a\r\nb\rc\r\n"), b"a\nb\rc\n");
    }
}

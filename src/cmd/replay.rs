//! `mailkit replay`: play transcripts against a server (`--server`, the
//! client side, `--jobs` at once) or to clients (`--serve`, the server
//! side), on the shared mio loop, and report each verdict. The players are
//! in `crate::replay`.

use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::cli::Replay;
use crate::net::{ClientService, ConnId, Listener, ServerService, Service, ServiceOpts, StopMode};
use crate::replay::client::ClientPlayer;
use crate::replay::server::ServerPlayer;
use crate::replay::{Event, Settings, Verdict};
use crate::transcript::parse::{self, Item, Protocol, Transcript, Who};

/// A replay that did not pass: [`super::Exit`] with 1 (mismatch) or 3
/// (cannot connect).
pub use super::Exit as ReplayExit;

/// Transcript files named on the command line: files as given, folders
/// as every `*.txt` in them, sorted.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list {}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "txt"))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("{} holds no .txt transcripts", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Reads and parses one transcript, `<redacted>` in C: lines replaced by
/// `password` when one is given.
fn load(path: &Path, password: Option<&str>) -> Result<Transcript, String> {
    let name = path.display().to_string();
    let data = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let mut t =
        parse::parse(&name, &data).map_err(|e| format!("{name}:{}: {}", e.line, e.message))?;
    if let Some(pw) = password {
        for item in &mut t.items {
            if let Item::Line {
                who: Who::Client,
                text,
                ..
            } = item
            {
                if let Some(i) = memchr::memmem::find(text, b"<redacted>") {
                    text.splice(i..i + b"<redacted>".len(), pw.bytes());
                }
            }
        }
    }
    Ok(t)
}

/// The first `C:` line that still holds `<redacted>` (the recorder's
/// stand-in for a password), if any.
fn redacted_line(t: &Transcript) -> Option<usize> {
    t.items.iter().find_map(|item| match item {
        Item::Line {
            who: Who::Client,
            text,
            line,
        } if memchr::memmem::find(text, b"<redacted>").is_some() => Some(*line),
        _ => None,
    })
}

/// The client TLS settings for `--server`: used for `--tls` and for a
/// STARTTLS/STLS in a transcript.
fn client_tls(args: &Replay, server: &str) -> anyhow::Result<Option<crate::net::tls::ClientTls>> {
    let tls_args = crate::cli::ClientTlsArgs {
        starttls: true,
        tls: args.tls,
        insecure: args.insecure,
        ca_file: args.ca_file.clone(),
    };
    super::common::client_tls(&tls_args, server).map_err(|e| super::exit(1, e))
}

fn default_port(p: Protocol, serve: bool) -> u16 {
    match (p, serve) {
        (Protocol::Smtp, false) => 25,
        (Protocol::Pop3, false) => 110,
        (Protocol::Imap, false) => 143,
        (Protocol::Smtp, true) => 1025,
        (Protocol::Pop3, true) => 1110,
        (Protocol::Imap, true) => 1143,
    }
}

/// Runs `mailkit replay`.
pub fn run(args: Replay) -> anyhow::Result<()> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let files = expand(&args.transcripts)?;
    let settings = Settings {
        strict: args.strict,
        delay: args.delay,
        timeout: Duration::from_secs_f64(args.timeout),
    };
    let mut transcripts = Vec::new();
    let mut unreadable = 0;
    for f in &files {
        match load(f, args.password.as_deref()) {
            Ok(t) => transcripts.push(Arc::new(t)),
            Err(e) => {
                println!("{e}");
                unreadable += 1;
            }
        }
    }
    if transcripts.is_empty() {
        return Err(super::exit(1, "no transcript could be read"));
    }
    if args.serve {
        serve(&args, transcripts, settings, unreadable)
    } else {
        client(&args, transcripts, settings, unreadable, files.len())
    }
}

/// Progress and verdict printing shared by both modes.
struct Report {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    passed: usize,
    failed: usize,
    /// Transcripts (by name) that still say `<redacted>` where the
    /// password went, with that line: a failure then says how to fix it.
    redacted: HashMap<String, usize>,
}

impl Report {
    fn line(&self, text: String) {
        match &self.bar {
            Some(b) => b.println(text),
            None => println!("{text}"),
        }
    }

    fn verdict(&mut self, name: &str, what: &str, v: &Verdict) {
        match v {
            Verdict::Pass => {
                self.passed += 1;
                if !self.quiet {
                    self.line(format!("{name}: passed{what}"));
                }
            }
            Verdict::Fail(m) => {
                self.failed += 1;
                self.line(format!("{name}:{m}{what}"));
                if let Some(line) = self.redacted.get(name) {
                    self.line(format!(
                        "{name}:{line}: this transcript has a redacted password; pass --password (or set MAILKIT_PASSWORD)"
                    ));
                }
            }
        }
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}

/// The client side: each transcript is one outbound session.
struct Clients {
    addr: SocketAddr,
    transcripts: Vec<Arc<Transcript>>,
    settings: Settings,
    queue: VecDeque<usize>,
    jobs: usize,
    running: usize,
    by_conn: HashMap<ConnId, usize>,
    next: Option<usize>,
    report: Report,
    connect_failures: usize,
    started: Instant,
    tls: Option<crate::net::tls::ClientTls>,
    implicit_tls: bool,
    /// Sessions whose TLS failed: already reported as failed.
    tls_broken: std::collections::HashSet<ConnId>,
}

impl ClientService for Clients {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        if self.running >= self.jobs {
            return None;
        }
        let idx = self.queue.pop_front()?;
        self.next = Some(idx);
        self.running += 1;
        Some(self.addr)
    }

    fn open_outbound(
        &mut self,
        id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<ClientPlayer> {
        let idx = self.next.take()?;
        self.by_conn.insert(id, idx);
        Some(ClientPlayer::new(
            self.transcripts[idx].clone(),
            self.settings,
            now,
        ))
    }

    fn connect_failed(&mut self, id: ConnId, _s: ClientPlayer, error: std::io::Error) {
        self.running -= 1;
        self.connect_failures += 1;
        if let Some(idx) = self.by_conn.remove(&id) {
            let name = &self.transcripts[idx].name;
            eprintln!(
                "mailkit: replay: {name}: cannot connect to {}: {error}",
                self.addr
            );
        }
        if let Some(b) = &self.report.bar {
            b.inc(1);
        }
    }

    fn outbound_tls(&self) -> bool {
        self.implicit_tls
    }
}

impl Service for Clients {
    type Session = ClientPlayer;
    type Completion = ();

    fn event(&mut self, id: ConnId, _s: &mut ClientPlayer, e: Event, _now: Instant) {
        let Event::Done(v) = e;
        if self.tls_broken.contains(&id) {
            return;
        }
        if let Some(&idx) = self.by_conn.get(&id) {
            let name = self.transcripts[idx].name.clone();
            self.report.verdict(&name, "", &v);
        }
    }

    fn closed(&mut self, id: ConnId, _s: ClientPlayer) {
        self.running -= 1;
        self.by_conn.remove(&id);
        self.tls_broken.remove(&id);
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.queue.is_empty() && self.running == 0).then_some(StopMode::Drain)
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.tls.as_ref()?.connect()
    }

    fn tls_failed(&mut self, id: ConnId, _s: &mut ClientPlayer, error: &rustls::Error) {
        if let Some(&idx) = self.by_conn.get(&id) {
            let name = self.transcripts[idx].name.clone();
            self.report.failed += 1;
            self.report.line(format!(
                "{name}: TLS failed: {error} (--insecure skips certificate checks)"
            ));
            if let Some(b) = &self.report.bar {
                b.inc(1);
            }
            self.tls_broken.insert(id);
        }
    }
}

fn progress(n: usize, quiet: bool) -> Option<indicatif::ProgressBar> {
    (!quiet && n > 1 && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} transcripts {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

fn client(
    args: &Replay,
    transcripts: Vec<Arc<Transcript>>,
    settings: Settings,
    unreadable: usize,
    total: usize,
) -> anyhow::Result<()> {
    let server = args.server.as_deref().unwrap_or("127.0.0.1");
    let port = default_port(transcripts[0].protocol, false);
    let addr = crate::util::with_default_port(server, port)
        .to_socket_addrs()
        .map_err(|e| super::exit(3, format!("cannot resolve --server {server}: {e}")))?
        .next()
        .ok_or_else(|| super::exit(3, format!("--server {server} has no address")))?;
    let n = transcripts.len();
    let redacted = transcripts
        .iter()
        .filter(|_| args.password.is_none())
        .filter_map(|t| redacted_line(t).map(|l| (t.name.clone(), l)))
        .collect();
    let mut svc = Clients {
        addr,
        queue: (0..n).collect(),
        transcripts,
        settings,
        jobs: usize::from(args.jobs),
        running: 0,
        by_conn: HashMap::new(),
        next: None,
        report: Report {
            bar: progress(n, args.quiet),
            quiet: args.quiet,
            passed: 0,
            failed: unreadable,
            redacted,
        },
        connect_failures: 0,
        started: Instant::now(),
        tls: client_tls(args, server)?,
        implicit_tls: args.tls,
        tls_broken: Default::default(),
    };
    let opts = ServiceOpts {
        name: "replay",
        max_connections: usize::from(args.jobs) + 16,
        record_dir: None,
    };
    crate::net::run_client(&mut svc, opts, Duration::from_secs(1))
        .context("the event loop failed")?;
    if let Some(b) = svc.report.bar.take() {
        b.finish_and_clear();
    }
    let r = &svc.report;
    let failed = r.failed + svc.connect_failures;
    if total > 1 {
        let secs = svc.started.elapsed().as_secs_f64();
        println!("{} passed, {failed} failed", r.passed);
        if !args.quiet {
            eprintln!(
                "mailkit: replay: {total} transcripts in {secs:.2} s ({:.0} sessions/s)",
                total as f64 / secs.max(1e-9)
            );
        }
    }
    if svc.connect_failures > 0 {
        return Err(super::exit(
            3,
            format!(
                "could not connect to {addr} ({} of {total} sessions)",
                svc.connect_failures
            ),
        ));
    }
    if failed > 0 {
        return Err(super::exit(
            1,
            format!(
                "{failed} of {} did not match",
                crate::util::count(total, "transcript")
            ),
        ));
    }
    Ok(())
}

/// The server side: each accepted connection plays the next transcript.
struct Servers {
    transcripts: Vec<Arc<Transcript>>,
    settings: Settings,
    next: usize,
    once: bool,
    peers: HashMap<ConnId, (usize, SocketAddr, u64)>,
    report: Report,
    done_sessions: usize,
    tls: Option<crate::net::tls::ServerTls>,
}

impl ServerService for Servers {
    fn open(&mut self, id: ConnId, from: crate::net::Accepted, now: Instant) -> ServerPlayer {
        let peer = from.peer;
        let idx = self.next % self.transcripts.len();
        self.next += 1;
        self.peers.insert(id, (idx, peer, self.next as u64));
        ServerPlayer::new(self.transcripts[idx].clone(), self.settings, now)
    }

    fn busy_reply(&self) -> &[u8] {
        b""
    }
}

impl Service for Servers {
    type Session = ServerPlayer;
    type Completion = ();

    fn event(&mut self, id: ConnId, _s: &mut ServerPlayer, e: Event, _now: Instant) {
        let Event::Done(v) = e;
        if let Some((idx, peer, n)) = self.peers.get(&id).copied() {
            let name = self.transcripts[idx].name.clone();
            self.report
                .verdict(&name, &format!(" (session {n}, client {peer})"), &v);
        }
        self.done_sessions += 1;
    }

    fn closed(&mut self, id: ConnId, _s: ServerPlayer) {
        self.peers.remove(&id);
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.once && self.done_sessions > 0).then_some(StopMode::Drain)
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.tls.as_ref()?.accept()
    }
}

fn serve(
    args: &Replay,
    transcripts: Vec<Arc<Transcript>>,
    settings: Settings,
    unreadable: usize,
) -> anyhow::Result<()> {
    let proto = transcripts[0].protocol;
    let listen = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port(proto, true))));
    let tls = if args.tls_self_signed {
        let t = crate::net::tls::server_self_signed("localhost").map_err(anyhow::Error::msg)?;
        eprintln!(
            "mailkit: replay: self-signed certificate, SHA-256 fingerprint {}",
            t.fingerprint
        );
        Some(t)
    } else {
        None
    };
    if args.tls && tls.is_none() {
        bail!("--serve --tls needs a certificate: add --tls-self-signed");
    }
    let listeners = super::common::bind(&[listen])?;
    super::common::announce(&format!("replay ({})", proto.name()), &listeners, None)?;
    let mut svc = Servers {
        transcripts,
        settings,
        next: 0,
        once: args.once,
        peers: HashMap::new(),
        report: Report {
            bar: None,
            quiet: args.quiet,
            passed: 0,
            failed: unreadable,
            redacted: HashMap::new(),
        },
        done_sessions: 0,
        tls,
    };
    let opts = ServiceOpts {
        name: "replay",
        max_connections: 1024,
        record_dir: None,
    };
    let listeners = listeners
        .into_iter()
        .map(|socket| Listener {
            socket,
            implicit_tls: args.tls,
        })
        .collect();
    crate::net::run_server(&mut svc, opts, listeners, Duration::from_secs(2))
        .context("the event loop failed")?;
    let r = &svc.report;
    if !args.once && r.passed + r.failed > 1 {
        println!("{} passed, {} failed", r.passed, r.failed);
    }
    if r.failed > 0 {
        return Err(super::exit(
            1,
            format!(
                "{} of {} did not match",
                r.failed,
                crate::util::count(r.passed + r.failed, "session")
            ),
        ));
    }
    Ok(())
}

//! `mailkit send`: compose (or read) a message, then deliver it with the
//! sans-IO SMTP client session on the event loop. With `--count` and
//! `--connections` it is a load generator. Exit codes are swaks's (SPEC).

use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};

use crate::cli::Send;
use crate::message::compose::{self, addr_spec, split_addresses, Attachment, Draft};
use crate::net::{ClientService, ConnId, Service, ServiceOpts, StopMode};
use crate::proto::smtp::client::{
    AuthConfig, ClientConfig, ClientSession, Envelope, EnvelopeDsn, Event, Failure, Stage,
};
use crate::transcript::Recorder;

pub use super::{exit, Exit};

/// swaks's exit code for a failure (0 is success, 1 any other error).
pub fn exit_code(f: &Failure) -> i32 {
    match f {
        Failure::Refused(Stage::Banner, _) => 21,
        Failure::Refused(Stage::Helo, _) => 22,
        Failure::Refused(Stage::Mail, _) | Failure::TooBig { .. } | Failure::Unsupported(_) => 23,
        Failure::Refused(Stage::Rcpt, _) => 24,
        Failure::Refused(Stage::Data, _) => 25,
        Failure::Refused(Stage::AfterData, _) => 26,
        Failure::Closed => 6,
        Failure::Timeout | Failure::Protocol(_) => 1,
        Failure::Auth(_) => 28,
        Failure::Tls(_) => 29,
    }
}

fn describe(f: &Failure) -> String {
    let reply =
        |r: &crate::proto::smtp::reply::Reply| format!("{} {}", r.code, r.lines.join(" / "));
    match f {
        Failure::Tls(why) => format!("TLS failed: {why}"),
        Failure::Auth(why) => why.clone(),
        Failure::Refused(Stage::Banner, r) => {
            format!("the server's greeting was not 220: {}", reply(r))
        }
        Failure::Refused(Stage::Helo, r) => format!("EHLO and HELO were refused: {}", reply(r)),
        Failure::Refused(Stage::Mail, r) => format!("the sender was refused: {}", reply(r)),
        Failure::Refused(Stage::Rcpt, r) => format!("no recipient was accepted: {}", reply(r)),
        Failure::Refused(Stage::Data, r) => format!("DATA was refused: {}", reply(r)),
        Failure::Refused(Stage::AfterData, r) => format!("the message was refused: {}", reply(r)),
        Failure::TooBig { size, limit } => {
            format!("the message ({size} octets) is over the server's SIZE limit ({limit})")
        }
        Failure::Unsupported(ext) => {
            if *ext == "DSN" {
                "the server does not offer DSN (RFC 3461): leave out --dsn-notify, --dsn-ret and --envid".into()
            } else {
                format!("the message needs {ext}, which the server does not offer")
            }
        }
        Failure::Closed => "the server closed the connection unexpectedly".into(),
        Failure::Timeout => "the server did not answer in time (--timeout)".into(),
        Failure::Protocol(t) => format!("the server does not speak SMTP: {t}"),
    }
}

/// Resolves `HOST[:PORT]` (port 25 when omitted, as swaks; 465, SMTPS,
/// with `--tls`).
fn resolve(server: &str, tls: bool) -> anyhow::Result<SocketAddr> {
    crate::util::with_default_port(server, if tls { 465 } else { 25 })
        .to_socket_addrs()
        .map_err(|e| exit(2, format!("cannot resolve --server {server}: {e}")))?
        .next()
        .ok_or_else(|| exit(2, format!("--server {server} has no address")))
}

fn no_line_breaks(name: &str, values: &[String]) -> anyhow::Result<()> {
    if values.iter().any(|v| v.contains(['\r', '\n'])) {
        bail!("--{name} contains a line break; that would inject header fields, so it is refused");
    }
    Ok(())
}

fn unique_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}.{:x}.{}.{}",
        now.as_secs(),
        now.subsec_nanos(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The message to send and its envelope recipients.
struct Prepared {
    from: String,
    rcpts: Vec<String>,
    /// A prepared message as given, or `None` to compose one per send.
    fixed: Option<Vec<u8>>,
    draft: Option<Draft>,
}

impl Prepared {
    fn data(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(d) = &self.fixed {
            return Ok(d.clone());
        }
        let mut draft = self
            .draft
            .clone()
            .ok_or_else(|| anyhow!("nothing to send"))?;
        let token = unique_token();
        let host = addr_spec(&draft.from)
            .rsplit_once('@')
            .map(|(_, h)| h.to_string())
            .unwrap_or_else(crate::util::hostname);
        draft.message_id = format!("<{token}@{host}>");
        draft.boundary = format!("=_mailkit_{token}");
        compose::compose(&draft).map_err(|e| anyhow!("{e}"))
    }
}

fn prepare(args: &Send) -> anyhow::Result<Prepared> {
    for (name, values) in [
        ("from", args.from.iter().cloned().collect::<Vec<_>>()),
        ("to", args.to.clone()),
        ("cc", args.cc.clone()),
        ("bcc", args.bcc.clone()),
        ("subject", args.subject.iter().cloned().collect()),
        ("header", args.header.clone()),
        ("helo", args.helo.iter().cloned().collect()),
    ] {
        no_line_breaks(name, &values)?;
    }
    let list = |v: &[String]| {
        v.iter()
            .flat_map(|s| split_addresses(s))
            .collect::<Vec<_>>()
    };
    let (to, cc, bcc) = (list(&args.to), list(&args.cc), list(&args.bcc));
    let from = args.from.clone().unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "mailkit".into());
        format!("{user}@{}", crate::util::hostname())
    });

    if let Some(path) = &args.message {
        let mut data = Vec::new();
        if path.as_os_str() == "-" {
            std::io::stdin()
                .read_to_end(&mut data)
                .context("cannot read the message from stdin")?;
        } else {
            data = std::fs::read(path)
                .with_context(|| format!("cannot read --message {}", path.display()))?;
        }
        let mut rcpts: Vec<String> = to
            .iter()
            .chain(&cc)
            .chain(&bcc)
            .map(|a| addr_spec(a))
            .collect();
        if args.read_recipients {
            let (found, stripped) = recipients_from_message(&data)?;
            rcpts.extend(found);
            data = stripped;
        }
        if rcpts.is_empty() {
            bail!("no recipients: give --to, or --read-recipients to take them from the message");
        }
        return Ok(Prepared {
            from: addr_spec(&from),
            rcpts,
            fixed: Some(data),
            draft: None,
        });
    }

    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(f)) => {
            let bytes = std::fs::read(f)
                .with_context(|| format!("cannot read --body-file {}", f.display()))?;
            String::from_utf8(bytes).map_err(|_| {
                anyhow!(
                    "--body-file {} is not UTF-8 text; send it with --attach",
                    f.display()
                )
            })?
        }
        (None, None) if !std::io::stdin().is_terminal() => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the body from stdin (not UTF-8?)")?;
            s
        }
        (None, None) => String::new(),
    };
    let mut attachments = Vec::new();
    for (i, path) in args.attach.iter().enumerate() {
        let data = std::fs::read(path)
            .with_context(|| format!("cannot read --attach {}", path.display()))?;
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        let content_type = args
            .attach_type
            .get(i)
            .cloned()
            .unwrap_or_else(|| compose::media_type(&name).to_string());
        attachments.push(Attachment {
            name,
            content_type,
            data,
        });
    }
    let mut headers = Vec::new();
    for h in &args.header {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("--header '{h}' must look like 'Name: value'"))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let rcpts: Vec<String> = to
        .iter()
        .chain(&cc)
        .chain(&bcc)
        .map(|a| addr_spec(a))
        .collect();
    if rcpts.is_empty() {
        bail!("no recipients: give --to (or --cc/--bcc)");
    }
    let draft = Draft {
        from: from.clone(),
        to,
        cc,
        subject: args.subject.clone(),
        body,
        attachments,
        headers,
        date: crate::util::time::rfc5322(SystemTime::now()),
        message_id: String::new(),
        boundary: String::new(),
    };
    Ok(Prepared {
        from: addr_spec(&from),
        rcpts,
        fixed: None,
        draft: Some(draft),
    })
}

/// `sendmail -t`: the addresses of To, Cc and Bcc, and the message with its
/// Bcc fields removed.
fn recipients_from_message(data: &[u8]) -> anyhow::Result<(Vec<String>, Vec<u8>)> {
    let (headers, body_at) = mailparse::parse_headers(data)
        .map_err(|e| anyhow!("cannot read the message's header: {e}"))?;
    let mut rcpts = Vec::new();
    for h in &headers {
        let key = h.get_key().to_ascii_lowercase();
        if key == "to" || key == "cc" || key == "bcc" {
            let list = mailparse::addrparse_header(h)
                .map_err(|e| anyhow!("cannot read the {key} field: {e}"))?;
            for a in list.iter() {
                match a {
                    mailparse::MailAddr::Single(s) => rcpts.push(s.addr.clone()),
                    mailparse::MailAddr::Group(g) => {
                        rcpts.extend(g.addrs.iter().map(|s| s.addr.clone()))
                    }
                }
            }
        }
    }
    // Drop Bcc fields (and their continuation lines) from the header block.
    let head = &data[..body_at.min(data.len())];
    let mut out = Vec::with_capacity(data.len());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        if !continuation {
            skipping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&data[body_at.min(data.len())..]);
    Ok((rcpts, out))
}

/// Sends on the loop: `connections` sessions share `count` messages.
struct SendService {
    server: SocketAddr,
    cfg: ClientConfig,
    prepared: Prepared,
    to_open: usize,
    remaining: u64,
    open_sessions: usize,
    sent_at: std::collections::HashMap<(ConnId, usize), Instant>,
    latencies: Vec<Duration>,
    delivered: u64,
    failed: u64,
    first_failure: Option<Failure>,
    connect_error: Option<std::io::Error>,
    last_reply: Option<String>,
    refused: Vec<String>,
    transcript: Option<Recorder>,
    progress: Option<indicatif::ProgressBar>,
    compose_error: Option<String>,
    tls: Option<crate::net::tls::ClientTls>,
    implicit_tls: bool,
    verbose: bool,
    /// BODY=BINARYMIME (`--binarymime`).
    binary: bool,
    /// `--dsn-notify`, `--dsn-ret`, `--envid` (RFC 3461).
    dsn: Option<EnvelopeDsn>,
}

impl SendService {
    fn feed(&mut self, id: ConnId, s: &mut ClientSession, now: Instant) {
        while s.wants_message() {
            if self.remaining == 0 || self.compose_error.is_some() {
                s.finish();
                return;
            }
            match self.prepared.data() {
                Ok(data) => {
                    self.remaining -= 1;
                    let env = Envelope {
                        from: Some(self.prepared.from.clone()),
                        to: self.prepared.rcpts.clone(),
                        data,
                        binary: self.binary,
                        dsn: self.dsn.clone(),
                    };
                    let idx = s.send(env);
                    self.sent_at.insert((id, idx), now);
                }
                Err(e) => {
                    self.compose_error = Some(e.to_string());
                    s.finish();
                    return;
                }
            }
        }
    }

    fn done_one(&mut self, id: ConnId, message: usize, now: Instant) {
        if let Some(t) = self.sent_at.remove(&(id, message)) {
            self.latencies.push(now - t);
        }
        if let Some(p) = &self.progress {
            p.inc(1);
        }
    }
}

impl ClientService for SendService {
    fn poll_connect(&mut self, _now: Instant) -> Option<SocketAddr> {
        if self.to_open == 0 {
            return None;
        }
        self.to_open -= 1;
        self.open_sessions += 1;
        Some(self.server)
    }

    fn open_outbound(
        &mut self,
        _id: ConnId,
        _addr: SocketAddr,
        now: Instant,
    ) -> Option<ClientSession> {
        Some(ClientSession::new(self.cfg.clone(), now))
    }

    fn connect_failed(&mut self, _id: ConnId, _s: ClientSession, error: std::io::Error) {
        self.open_sessions -= 1;
        if self.connect_error.is_none() {
            self.connect_error = Some(error);
        }
    }

    fn outbound_tls(&self) -> bool {
        self.implicit_tls
    }
}

impl Service for SendService {
    type Session = ClientSession;
    type Completion = ();

    fn recorder(&mut self, _id: ConnId) -> Option<Recorder> {
        // One transcript: the first connection's.
        self.transcript.take()
    }

    fn event(&mut self, id: ConnId, s: &mut ClientSession, e: Event, now: Instant) {
        match e {
            Event::Ready { .. } => {}
            Event::RecipientRefused { rcpt, reply, .. } => {
                let text = format!("{rcpt}: {} {}", reply.code, reply.lines.join(" / "));
                if !self.refused.contains(&text) {
                    eprintln!("mailkit: send: recipient refused: {text}");
                    self.refused.push(text);
                }
            }
            Event::Delivered { message, reply } => {
                self.delivered += 1;
                self.last_reply = Some(format!("{} {}", reply.code, reply.lines.join("\n")));
                self.done_one(id, message, now);
            }
            Event::Failed { message, failure } => {
                self.failed += 1;
                if self.first_failure.is_none() {
                    self.first_failure = Some(failure);
                }
                self.done_one(id, message, now);
            }
            Event::SessionFailed(f) => {
                if self.first_failure.is_none() {
                    self.first_failure = Some(f);
                }
            }
            Event::Finished => {}
        }
        self.feed(id, s, now);
    }

    fn closed(&mut self, _id: ConnId, _s: ClientSession) {
        self.open_sessions -= 1;
    }

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.tls.as_ref()?.connect()
    }

    fn tls_ready(&mut self, _id: ConnId, _s: &mut ClientSession, conn: &rustls::Connection) {
        if self.verbose {
            let fp = conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| crate::net::tls::fingerprint(c))
                .unwrap_or_else(|| "none".into());
            let version = conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default();
            eprintln!("mailkit: send: TLS {version}, server certificate SHA-256 {fp}");
        }
    }

    fn tls_failed(&mut self, _id: ConnId, _s: &mut ClientSession, error: &rustls::Error) {
        if self.first_failure.is_none() {
            self.first_failure = Some(Failure::Tls(format!(
                "{error} (--insecure skips certificate checks, --ca-file trusts a private CA)"
            )));
        }
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        (self.to_open == 0 && self.open_sessions == 0).then_some(StopMode::Drain)
    }
}

/// `--auth USER:PASS`, or `--auth-user` with its password from
/// `--auth-password`, `--password-file` or `MAILKIT_PASSWORD`.
fn auth_config(args: &Send) -> anyhow::Result<Option<AuthConfig>> {
    let mechanism = args.auth_mechanism.as_ref().map(|m| m.to_ascii_uppercase());
    if let Some(a) = &args.auth {
        let Some((user, password)) = a.split_once(':') else {
            return Err(exit(
                1,
                "--auth wants USER:PASS (or use --auth-user and MAILKIT_PASSWORD)",
            ));
        };
        return Ok(Some(AuthConfig {
            user: user.to_owned(),
            password: password.to_owned(),
            mechanism,
        }));
    }
    let Some(user) = &args.auth_user else {
        return Ok(None);
    };
    let password = match (&args.password_file, &args.auth_password) {
        (Some(f), _) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read --password-file {}", f.display()))?
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
        (None, Some(p)) => p.clone(),
        (None, None) => return Err(exit(
            1,
            "--auth-user needs a password: --auth-password, --password-file or MAILKIT_PASSWORD",
        )),
    };
    Ok(Some(AuthConfig {
        user: user.clone(),
        password,
        mechanism,
    }))
}

/// The DSN parameters of `--dsn-notify`, `--dsn-ret`, `--envid` (RFC
/// 3461), each recipient's ORCPT its own address; `None` without them.
fn dsn_of(args: &Send, rcpts: &[String]) -> anyhow::Result<Option<EnvelopeDsn>> {
    use crate::proto::smtp::dsn::{self, MailDsn, Notify, RcptDsn, Ret};
    if args.dsn_notify.is_none() && args.dsn_ret.is_none() && args.envid.is_none() {
        return Ok(None);
    }
    let notify = match &args.dsn_notify {
        Some(n) => Some(Notify::parse(n).map_err(|e| exit(1, format!("--dsn-notify {n:?}: {e}")))?),
        None => None,
    };
    let envid = match &args.envid {
        Some(e) if e.is_empty() || e.chars().count() > dsn::MAX_ENVID => {
            return Err(exit(1, "--envid must be 1 to 100 characters"))
        }
        Some(e) if e.chars().any(char::is_control) => {
            return Err(exit(1, "--envid cannot hold control characters"))
        }
        e => e.clone(),
    };
    Ok(Some(EnvelopeDsn {
        mail: MailDsn {
            ret: args.dsn_ret.as_deref().and_then(Ret::parse),
            envid,
        },
        rcpts: rcpts
            .iter()
            .map(|r| RcptDsn {
                notify,
                orcpt: Some(("rfc822".into(), r.clone())),
            })
            .collect(),
        required: true,
    }))
}

/// Runs `mailkit send`.
pub fn run(args: Send) -> anyhow::Result<()> {
    let prepared = prepare(&args)?;
    if args.dump {
        let data = prepared.data()?;
        std::io::stdout()
            .write_all(&data)
            .context("cannot write to stdout")?;
        return Ok(());
    }
    let server_arg = super::common::server_choice(
        args.server.as_deref(),
        &["MAILKIT_SMTP_SERVER", "MAILKIT_SERVER"],
        "127.0.0.1:1025",
    )
    .map_err(|e| exit(1, e))?;
    let server = resolve(&server_arg, args.tls.tls)?;
    let count = args.count.max(1);
    let connections = (args.connections.max(1) as u64).min(count) as usize;
    let helo = args.helo.clone().unwrap_or_else(crate::util::hostname);
    let mut cfg = ClientConfig::new(helo);
    cfg.timeout = Duration::from_secs(args.timeout);
    cfg.pipelining = !args.no_pipelining;
    cfg.chunking = !args.no_chunking;
    cfg.all_recipients = args.all_recipients;
    cfg.starttls = args.tls.starttls;
    cfg.tls_active = args.tls.tls;
    cfg.auth = auth_config(&args)?;
    let tls = super::common::client_tls(&args.tls, &server_arg).map_err(|e| exit(29, e))?;
    let dsn = dsn_of(&args, &prepared.rcpts)?;

    let transcript = match args.transcript.as_deref() {
        Some(p) if p.as_os_str() == "-" => Some(Recorder::to_writer(Box::new(std::io::stdout()))),
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot create --transcript {}", p.display()))?;
            Some(Recorder::to_writer(Box::new(f)))
        }
        None if args.verbose => Some(Recorder::to_writer(Box::new(std::io::stderr()))),
        None => None,
    };
    let load = count > 1 || connections > 1;
    let progress = (load && std::io::stderr().is_terminal()).then(|| {
        let p = indicatif::ProgressBar::new(count);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages, {per_sec}, eta {eta}",
        ) {
            p.set_style(style);
        }
        p
    });

    let mut service = SendService {
        server,
        cfg,
        prepared,
        to_open: connections,
        remaining: count,
        open_sessions: 0,
        sent_at: Default::default(),
        latencies: Vec::with_capacity(count.min(1 << 20) as usize),
        delivered: 0,
        failed: 0,
        first_failure: None,
        connect_error: None,
        last_reply: None,
        refused: Vec::new(),
        transcript,
        progress,
        compose_error: None,
        tls,
        implicit_tls: args.tls.tls,
        verbose: args.verbose,
        binary: args.binarymime,
        dsn,
    };
    let started = Instant::now();
    let opts = ServiceOpts {
        name: "send",
        max_connections: connections + 1,
        record_dir: None,
    };
    crate::net::run_client(&mut service, opts, Duration::from_secs(1))
        .context("the event loop failed")?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(p) = &service.progress {
        p.finish_and_clear();
    }
    if let Some(e) = service.compose_error {
        bail!("{e}");
    }
    if service.delivered == 0 {
        if let Some(e) = service.connect_error {
            return Err(exit(2, format!("cannot connect to {server}: {e}")));
        }
    }
    if load {
        let mut lat = std::mem::take(&mut service.latencies);
        lat.sort_unstable();
        let pct = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "sent {} of {count} messages ({} failed) over {connections} connections in {secs:.2} s: {:.1} msg/s; latency p50 {:.2} ms, p99 {:.2} ms",
            service.delivered,
            service.failed,
            service.delivered as f64 / secs.max(1e-9),
            pct(0.5),
            pct(0.99)
        );
    } else if let Some(reply) = &service.last_reply {
        println!("{reply}");
    }
    match service.first_failure {
        None if service.delivered == count => Ok(()),
        None => Err(exit(
            6,
            "the connection closed before every message was sent",
        )),
        Some(f) => Err(exit(exit_code(&f), describe(&f))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_is_stripped_and_recipients_found() {
        let msg = b"From: a@b\r\nTo: Bob <bob@h.edu>, carol@h.edu\r\nCc: dave@c.fr\r\nBcc: eve@c.fr,\r\n  mallory@c.fr\r\nSubject: s\r\n\r\nbody\r\nBcc: not a header\r\n";
        let (rcpts, out) = recipients_from_message(msg).unwrap();
        assert_eq!(
            rcpts,
            [
                "bob@h.edu",
                "carol@h.edu",
                "dave@c.fr",
                "eve@c.fr",
                "mallory@c.fr"
            ]
        );
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("eve@") && !text.contains("mallory@"));
        assert!(text.ends_with("\r\n\r\nbody\r\nBcc: not a header\r\n"));
    }

    #[test]
    fn server_addresses() {
        assert_eq!(resolve("127.0.0.1:2525", false).unwrap().port(), 2525);
        assert_eq!(resolve("127.0.0.1", false).unwrap().port(), 25);
        assert_eq!(resolve("127.0.0.1", true).unwrap().port(), 465);
        assert_eq!(resolve("[::1]:26", false).unwrap().port(), 26);
        assert_eq!(resolve("::1", false).unwrap().port(), 25);
    }
}

#[cfg(test)]
mod exit_code_tests {
    use super::*;
    use crate::proto::smtp::reply::Reply;

    #[test]
    fn every_stage_has_swaks_code() {
        let r = || Reply {
            code: 550,
            lines: vec!["no".into()],
        };
        let cases = [
            (Failure::Refused(Stage::Banner, r()), 21),
            (Failure::Refused(Stage::Helo, r()), 22),
            (Failure::Refused(Stage::Mail, r()), 23),
            (Failure::TooBig { size: 2, limit: 1 }, 23),
            (Failure::Unsupported("SMTPUTF8"), 23),
            (Failure::Refused(Stage::Rcpt, r()), 24),
            (Failure::Refused(Stage::Data, r()), 25),
            (Failure::Refused(Stage::AfterData, r()), 26),
            (Failure::Closed, 6),
            (Failure::Timeout, 1),
        ];
        for (f, code) in cases {
            assert_eq!(exit_code(&f), code, "{f:?}");
            assert!(!describe(&f).is_empty());
        }
    }
}

//! `mailkit serve-smtp`: flags → [`ServerConfig`] → the event loop with an
//! SMTP [`Service`] that stores messages through the writer thread.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::cli::ServeSmtp;
use crate::net::tls::ServerTls;
use crate::net::{Completer, ConnId, LoopConfig, Runtime, Service, StopMode};
use crate::proto::smtp::server::{AuthPolicy, Event, ServerConfig, ServerSession};
use crate::proto::smtp::trace::{IdSource, QueueId};
use crate::store::Users;
use crate::store::{Maildir, WriteJob, Writer};
use crate::util::time::rfc5322;

/// The outcome of storing one message, sent back to the loop.
pub struct Stored {
    result: Result<String, String>,
    id: QueueId,
    from: String,
    to: String,
    size: usize,
}

/// SMTP on the event loop: makes sessions, stores their messages.
struct SmtpService {
    cfg: Arc<ServerConfig>,
    writer: Writer,
    completer: Completer<Stored>,
    accepted: u64,
    exit_after: Option<u64>,
    stop_sent: bool,
    quiet: bool,
    busy: Vec<u8>,
    tls: Option<ServerTls>,
    /// Addresses of the implicit-TLS listeners.
    tls_addrs: Vec<SocketAddr>,
    users: Option<Users>,
    domains: Vec<String>,
    peers: std::collections::HashMap<ConnId, SocketAddr>,
}

impl Service for SmtpService {
    type Session = ServerSession;
    type Completion = Stored;

    fn open(
        &mut self,
        id: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
    ) -> ServerSession {
        let mut s = ServerSession::new(self.cfg.clone(), Some(peer), now);
        if self.tls_addrs.contains(&local) {
            s.set_secure();
        }
        self.peers.insert(id, peer);
        s
    }

    fn closed(&mut self, id: ConnId, _session: ServerSession) {
        self.peers.remove(&id);
    }

    fn start_tls(&mut self, _id: ConnId, _outbound: bool) -> Option<rustls::Connection> {
        let cfg = self.tls.as_ref()?.config.clone();
        rustls::ServerConnection::new(cfg)
            .ok()
            .map(rustls::Connection::Server)
    }

    fn tls_failed(&mut self, id: ConnId, _s: &mut ServerSession, error: &rustls::Error) {
        if !self.quiet {
            let peer = self
                .peers
                .get(&id)
                .map(|p| p.to_string())
                .unwrap_or_default();
            eprintln!("mailkit: smtp: TLS with {peer} failed: {error}");
        }
    }

    fn event(&mut self, id: ConnId, session: &mut ServerSession, event: Event, now: Instant) {
        let tx = match event {
            Event::Message(tx) => tx,
            Event::Authenticate { user, password } => {
                let addr = super::common::login_address(&user, &self.domains);
                let ok = self
                    .users
                    .as_ref()
                    .is_some_and(|u| u.verify(&addr, &password));
                if !ok {
                    let peer = self
                        .peers
                        .get(&id)
                        .map(|p| p.ip().to_string())
                        .unwrap_or_default();
                    eprintln!("mailkit: smtp: authentication failed for {addr:?} from {peer}");
                }
                session.authenticated(ok, now);
                return;
            }
        };
        let tx = *tx;
        let from = tx.from.clone().unwrap_or_default();
        let mut header = format!("Return-Path: <{from}>\n").into_bytes();
        header.extend_from_slice(tx.trace.received(&rfc5322(SystemTime::now())).as_bytes());
        let completer = self.completer.clone();
        let conn = id;
        let info = (tx.id, from, tx.recipients.join(","), tx.data.len());
        self.writer.submit(WriteJob {
            mailboxes: tx.mailboxes,
            header,
            body: tx.data,
            done: Box::new(move |result| {
                let (id, from, to, size) = info;
                completer.complete(
                    conn,
                    Stored {
                        result,
                        id,
                        from,
                        to,
                        size,
                    },
                );
            }),
        });
    }

    fn complete(&mut self, session: &mut ServerSession, s: Stored, _now: Instant) {
        match &s.result {
            Ok(_) => {
                self.accepted += 1;
                if !self.quiet {
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
        session.delivered(s.result.map(|_| ()));
    }

    fn busy_reply(&self) -> &[u8] {
        &self.busy
    }

    fn stop_requested(&mut self) -> Option<StopMode> {
        match self.exit_after {
            Some(n) if !self.stop_sent && self.accepted >= n => {
                self.stop_sent = true;
                Some(StopMode::Drain)
            }
            _ => None,
        }
    }
}

/// Runs the SMTP server until it is stopped.
pub fn run(args: ServeSmtp) -> anyhow::Result<()> {
    let common = super::common::settings(
        args.hostname.as_deref(),
        &args.domains,
        args.users.as_deref(),
        args.record.as_ref(),
    )?;
    let (hostname, domains, users) = (common.hostname, common.domains, common.users);
    let maildir = Maildir::open(&args.maildir, &hostname)
        .with_context(|| format!("cannot use --maildir {}", args.maildir.display()))?;
    let tls = super::common::server_tls(&args.tls, &hostname, "smtp")?;
    let super::common::Bound {
        listeners,
        implicit_tls,
        tls_addrs,
        asked: everywhere,
    } = super::common::bind_all(&args.listen, &args.tls.tls_listen)?;

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(1);
    let cfg = Arc::new(ServerConfig {
        hostname: hostname.clone(),
        max_message_size: args.max_message_size,
        max_recipients: args.max_recipients as usize,
        timeout: Duration::from_secs(args.timeout),
        max_session_time: Duration::from_secs(args.max_session_time),
        local_domains: (!domains.is_empty())
            .then(|| domains.iter().cloned().collect::<HashSet<_>>()),
        users: users.as_ref().map(|u| u.addresses().cloned().collect()),
        ids: Arc::new(IdSource::new(seed)),
        starttls: tls.is_some(),
        require_tls: args.tls.require_tls,
        auth: if users.is_some() {
            AuthPolicy::Users
        } else {
            AuthPolicy::Any
        },
        auth_without_tls: super::common::clear_logins_ok(
            &args.tls,
            tls.is_some(),
            users.is_some(),
            &everywhere,
        ),
        max_auth_failures: args.max_auth_failures,
        auth_delay: Duration::from_millis(args.auth_delay_ms),
    });

    let rt = Runtime::new().context("cannot start the event loop")?;
    let writer = Writer::spawn(maildir).context("cannot start the store writer thread")?;
    let service = SmtpService {
        cfg,
        writer,
        completer: rt.completer(),
        accepted: 0,
        exit_after: args.exit_after,
        stop_sent: false,
        quiet: args.quiet,
        busy: format!("421 4.7.0 {hostname} Error: too many connections; try again later\r\n")
            .into_bytes(),
        tls,
        tls_addrs,
        users,
        domains: domains.clone(),
        peers: Default::default(),
    };

    if domains.is_empty() {
        eprintln!(
            "mailkit: smtp: catch-all mode: every domain is local (use --domain to restrict)"
        );
    }
    let mut warn = vec![if domains.is_empty() {
        "it accepts mail for every domain (--domain restricts it)"
    } else {
        "anyone can send to the local domains"
    }];
    if service.tls.is_none() {
        warn.push("without TLS, mail and passwords cross the network in clear text (--tls-cert/--tls-key or --tls-self-signed)");
    }
    if service.users.is_none() {
        warn.push("without --users any AUTH login is accepted");
    }
    let warn = warn.join("; ");
    super::common::announce("smtp", &listeners, Some(&warn))?;
    if let Some(n) = args.exit_after {
        if n == 0 {
            return Ok(());
        }
    }
    let loop_cfg = LoopConfig {
        max_connections: args.max_connections as usize,
        record_dir: args.record.clone(),
        grace: Duration::from_secs(args.shutdown_grace),
        name: "smtp",
        implicit_tls,
    };
    rt.run(service, listeners, loop_cfg)
        .context("the event loop failed")?;
    eprintln!("mailkit: smtp: stopped");
    Ok(())
}

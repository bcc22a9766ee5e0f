//! `mailkit serve-smtp`: flags → [`ServerConfig`] → the event loop with an
//! SMTP [`Service`] that stores messages through the writer thread.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::cli::ServeSmtp;
use crate::net::{Completer, ConnId, LoopConfig, Runtime, Service, StopMode};
use crate::proto::smtp::server::{Event, ServerConfig, ServerSession};
use crate::proto::smtp::trace::{IdSource, QueueId};
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
}

impl Service for SmtpService {
    type Session = ServerSession;
    type Completion = Stored;

    fn open(
        &mut self,
        _id: ConnId,
        peer: SocketAddr,
        _local: SocketAddr,
        now: Instant,
    ) -> ServerSession {
        ServerSession::new(self.cfg.clone(), Some(peer), now)
    }

    fn event(&mut self, id: ConnId, _session: &mut ServerSession, event: Event, _now: Instant) {
        let Event::Message(tx) = event;
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
    let listeners = super::common::bind(&args.listen)?;

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
    };

    if domains.is_empty() {
        eprintln!(
            "mailkit: smtp: catch-all mode: every domain is local (use --domain to restrict)"
        );
    }
    let warn = if domains.is_empty() {
        "it accepts mail for every domain"
    } else {
        "anyone can send to the local domains"
    };
    super::common::announce("smtp", &listeners, Some(warn))?;
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
        implicit_tls: Vec::new(),
    };
    rt.run(service, listeners, loop_cfg)
        .context("the event loop failed")?;
    eprintln!("mailkit: smtp: stopped");
    Ok(())
}

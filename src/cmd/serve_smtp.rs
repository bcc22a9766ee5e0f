//! `mailkit serve-smtp`: flags → settings → the SMTP service
//! ([`crate::server::smtp`]) on the event loop, and, with `--route` or
//! `--relay-to`, the relay queue's client service ([`crate::server::relay`])
//! on the same loop.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use super::common::Prepared;
use crate::cli::ServeSmtp;
use crate::net::pool::Pool;
use crate::net::{Inbox, Runtime, ServiceOpts};
use crate::proto::smtp::client;
use crate::proto::smtp::server::{AuthPolicy, ServerConfig};
use crate::proto::smtp::trace::IdSource;
use crate::queue::runner::{Runner, RunnerConfig};
use crate::queue::worker::SpoolWorker;
use crate::queue::Spool;
use crate::server::chaos::Chaos;
use crate::server::relay::{Outbox, RelayService};
use crate::server::smtp::{SmtpService, SmtpSettings};
use crate::store::feed::Feed;
use crate::store::{Maildir, Writer};

/// Logins that may wait for a password check; more get 454 at once, so a
/// flood of bogus AUTHs cannot queue without bound in front of real ones.
const MAX_PENDING_CHECKS: usize = 32;

/// Runs the SMTP server until it is stopped.
pub fn run(args: ServeSmtp) -> anyhow::Result<()> {
    let rt = Runtime::new(Duration::from_secs(args.smtp.shutdown_grace))
        .context("cannot start the event loop")?;
    // Deliveries are told to a feed only when retention follows them.
    let retention =
        args.server.common.max_messages.is_some() || args.server.common.max_age.is_some();
    let feed = Feed::new();
    super::common::start_retention(&args.server.common, &feed)?;
    let chaos = chaos(&args.smtp)?;
    let mut smtp = prepare(args, &rt, retention.then_some(&feed), chaos)?;
    if smtp.done {
        return Ok(());
    }
    // Declared after the services it borrows, so it is dropped first.
    let mut rt = rt;
    smtp.add(&mut rt)?;
    rt.run().context("the event loop failed")?;
    eprintln!("mailkit: smtp: stopped");
    Ok(())
}

/// The chaos of `--chaos`/`--enable-chaos`, if either was given.
pub fn chaos(o: &crate::cli::SmtpOptions) -> anyhow::Result<Option<Arc<Chaos>>> {
    if o.chaos.is_empty() && !o.enable_chaos {
        return Ok(None);
    }
    let mut s = crate::server::chaos::Settings::default();
    for c in &o.chaos {
        s.apply(c)?;
    }
    eprintln!(
        "mailkit: chaos: on (failures injected on purpose): {}",
        s.to_json()
    );
    Ok(Some(Arc::new(Chaos::new(s))))
}

/// The SMTP service and, with routes, the relay queue's client service.
pub struct SmtpParts {
    smtp: Prepared<SmtpService>,
    relay: Option<(RelayService, Option<Inbox<()>>)>,
    /// The queue's lock, held as long as the services.
    _queue_lock: Option<std::fs::File>,
    /// `--exit-after 0`: nothing to serve.
    pub done: bool,
    /// The outgoing queue, for the web API's release (with routes).
    pub outbox: Option<Outbox>,
}

impl SmtpParts {
    /// Hosts the services on `rt`.
    pub fn add<'a>(&'a mut self, rt: &mut Runtime<'a>) -> anyhow::Result<()> {
        self.smtp.add(rt)?;
        if let Some((relay, inbox)) = self.relay.as_mut() {
            let inbox = inbox.take().context("the queue is on a loop already")?;
            let opts = ServiceOpts {
                name: "queue",
                max_connections: usize::MAX,
                record_dir: None,
            };
            rt.add_client(relay, inbox, opts)
                .context("cannot start the event loop")?;
        }
        Ok(())
    }
}

/// The SMTP service for `args` (and the relay queue's, with routes), its
/// listeners bound and announced, to be hosted on `rt`; deliveries are
/// told to `feed` when given (IMAP IDLE and the web page in one process).
pub fn prepare(
    args: ServeSmtp,
    rt: &Runtime<'_>,
    feed: Option<&Feed>,
    chaos: Option<Arc<Chaos>>,
) -> anyhow::Result<SmtpParts> {
    if args.max_message_size > args.smtp.max_memory {
        bail!(
            "--max-message-size {} is more than --max-memory {}: no message that large could be received; raise --max-memory or lower --max-message-size",
            args.max_message_size,
            args.smtp.max_memory
        );
    }
    let common = super::common::settings(
        args.server.common.hostname.as_deref(),
        &args.server.common.domains,
        args.server.common.users.as_deref(),
        args.server.common.record.as_ref(),
    )?;
    let (hostname, domains, users) = (common.hostname, common.domains, common.users);
    let maildir = Maildir::open(&args.server.common.maildir, &hostname).with_context(|| {
        format!(
            "cannot use --maildir {}",
            args.server.common.maildir.display()
        )
    })?;
    let tls = super::common::server_tls(
        &args.server.common.tls,
        &args.server.tls_listen,
        &hostname,
        "smtp",
    )?;
    let super::common::Bound {
        listeners,
        asked: everywhere,
    } = super::common::bind_all(&args.server.listen, &args.server.tls_listen)?;

    let mut routes = crate::queue::route::Routes::default();
    for r in &args.smtp.routes {
        routes.add(r).map_err(|e| anyhow::anyhow!("--route {e}"))?;
    }
    routes.smarthost = args.smtp.relay_to.clone();
    // Relaying by MX (RFC 5321 §5.1) where clients can relay at all:
    // authenticated ones (--users) or --relay-from networks.
    routes.mx = routes.smarthost.is_none()
        && !domains.is_empty()
        && (users.is_some() || !args.smtp.relay_from.is_empty());
    let relay_from = args
        .smtp
        .relay_from
        .iter()
        .map(|c| {
            crate::queue::route::Cidr::parse(c).map_err(|e| anyhow::anyhow!("--relay-from {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if (!routes.routes.is_empty() || routes.smarthost.is_some()) && domains.is_empty() {
        anyhow::bail!(
            "relaying needs --domain (mail for the local domains is stored, the rest relayed)"
        );
    }
    // Held until the server exits (see below).
    let mut _queue_lock = None;
    // The relay's threads (loader, resolver) wake the loop through it.
    let (relay_completer, relay_inbox) = rt.channel::<()>();
    let wake: crate::queue::loader::Wake = Arc::new(move || relay_completer.wake());
    let runner = if routes.is_empty() {
        None
    } else {
        let dir = args
            .smtp
            .queue
            .clone()
            .unwrap_or_else(|| args.server.common.maildir.join(".queue"));
        let spool = Arc::new(
            Spool::open(&dir).with_context(|| format!("cannot use --queue {}", dir.display()))?,
        );
        // One server per queue (two would deliver every entry twice); the
        // lock lives as long as the process.
        let lock = spool.lock().map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => anyhow::anyhow!(
                "the queue {} is in use by another serve-smtp; give each server its own --queue",
                dir.display()
            ),
            _ => anyhow::anyhow!("cannot lock the queue {}: {e}", dir.display()),
        })?;
        _queue_lock = Some(lock);
        // The queue is ours now: leftovers of a crash in its tmp/ were
        // never acknowledged.
        let _ = spool.clean_tmp();
        let (entries, aside) = spool
            .load()
            .with_context(|| format!("cannot read the queue {}", dir.display()))?;
        for a in aside {
            eprintln!(
                "mailkit: queue: set aside {} (unreadable: {}), see {}/corrupt",
                a.id,
                a.why,
                dir.display()
            );
        }
        if !entries.is_empty() {
            eprintln!(
                "mailkit: queue: {} queued messages from before, retrying",
                entries.len()
            );
        }
        let auth = match &args.smtp.relay_auth {
            Some(a) => {
                let (user, password) = a
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("--relay-auth wants USER:PASS"))?;
                Some(client::AuthConfig {
                    user: user.to_owned(),
                    password: password.to_owned(),
                    mechanism: None,
                })
            }
            None => None,
        };
        let worker = SpoolWorker::spawn(spool).context("cannot start the queue thread")?;
        Some(
            Runner::new(
                RunnerConfig {
                    hostname: hostname.clone(),
                    routes: routes.clone(),
                    auth,
                    retry_base: Duration::from_secs(args.smtp.retry_base),
                    max_age: Duration::from_secs(args.smtp.max_queue_age),
                    delay_warning: Duration::from_secs(args.smtp.delay_warning),
                    max_outbound: args.smtp.max_outbound as usize,
                    timeout: Duration::from_secs(args.server.timeout.min(300)),
                    quiet: args.smtp.quiet,
                    local_domains: domains.clone(),
                },
                worker,
                entries,
                wake.clone(),
                crate::queue::runner::Clock::now(),
            )
            .context("cannot start the queue's loader thread")?
            .with_resolver(crate::queue::dns::Resolver {
                server: args
                    .smtp
                    .resolver
                    .unwrap_or_else(crate::queue::dns::system_server),
                timeout: Duration::from_secs(5),
                smtp_port: args.smtp.mx_port,
            })
            .context("cannot start the DNS resolver thread")?,
        )
    };

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(1);
    let cfg = Arc::new(ServerConfig {
        hostname: hostname.clone(),
        max_message_size: args.max_message_size,
        max_recipients: args.smtp.max_recipients as usize,
        timeout: Duration::from_secs(args.server.timeout),
        max_session_time: Duration::from_secs(args.server.common.max_session_time),
        local_domains: (!domains.is_empty())
            .then(|| domains.iter().cloned().collect::<HashSet<_>>()),
        users: users.as_ref().map(|u| u.addresses().cloned().collect()),
        ids: Arc::new(IdSource::new(seed)),
        starttls: tls.is_some(),
        require_tls: args.server.common.tls.require_tls,
        auth: if users.is_some() && !args.smtp.smtp_auth_accept_any {
            AuthPolicy::Users
        } else {
            AuthPolicy::Any
        },
        auth_without_tls: super::common::clear_logins_ok(
            &args.server.common.tls,
            tls.is_some(),
            users.is_some(),
            &everywhere,
        ),
        max_auth_failures: args.server.common.max_auth_failures,
        auth_delay: Duration::from_millis(args.server.common.auth_delay_ms),
        relay_to: {
            let routes = routes.clone();
            crate::proto::smtp::server::RelayTo::new(move |d| routes.next_hop(d).is_some())
        },
        mailbox_of: crate::store::mailbox_name,
        relay_from,
        memory: crate::util::budget::MemoryBudget::new(args.smtp.max_memory),
        max_hops: usize::try_from(args.smtp.max_hops).unwrap_or(usize::MAX),
        output_budget: crate::proto::OUTPUT_BUDGET,
        faults: chaos.map(|c| c as Arc<dyn crate::proto::smtp::faults::Faults>),
        discard: args
            .smtp
            .discard_ehlo_keyword
            .iter()
            .map(|k| k.to_ascii_uppercase())
            .collect(),
    });

    let writer = Arc::new(
        Writer::spawn_with_feed(maildir, feed.cloned())
            .context("cannot start the store writer thread")?,
    );
    let pool = Pool::spawn("auth", Pool::default_threads(), MAX_PENDING_CHECKS)
        .context("cannot start the worker threads")?;
    let (relay, intake) = match runner {
        Some(r) => {
            let spool = r.worker().clone();
            let (service, intake) = RelayService::new(r, writer.clone());
            (Some(service), Some((spool, intake)))
        }
        None => (None, None),
    };
    let outbox = intake.as_ref().map(|(worker, intake)| Outbox {
        worker: worker.clone(),
        intake: intake.clone(),
        wake: wake.clone(),
        routes: routes.clone(),
        local_domains: domains.clone(),
        hostname: hostname.clone(),
        ids: cfg.ids.clone(),
    });
    let (completer, inbox) = rt.channel();
    let tls_on = tls.is_some();
    let users_on = users.is_some();
    let service = SmtpService::new(
        SmtpSettings {
            session: cfg,
            users: users.map(Arc::new),
            domains: domains.clone(),
            tls,
            exit_after: args.smtp.exit_after,
            quiet: args.smtp.quiet,
            outbox: outbox.clone(),
        },
        writer,
        completer,
        pool,
        intake,
    );

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
    if !tls_on {
        warn.push("without TLS, mail and passwords cross the network in clear text (--tls-cert/--tls-key or --tls-self-signed)");
    }
    if !users_on {
        warn.push("without --users any AUTH login is accepted");
    }
    let warn = warn.join("; ");
    super::common::announce("smtp", listeners.iter().map(|l| &l.socket), Some(&warn))?;
    let opts = ServiceOpts {
        name: "smtp",
        max_connections: args.server.common.max_connections as usize,
        record_dir: args.server.common.record.clone(),
    };
    Ok(SmtpParts {
        smtp: Prepared::new(service, inbox, opts, listeners),
        relay: relay.map(|r| (r, Some(relay_inbox))),
        _queue_lock,
        done: args.smtp.exit_after == Some(0),
        outbox,
    })
}

//! `mailkit serve-pop3`: POP3 over the Maildir store. The service answers
//! the session's events: it checks credentials against `--users` (or takes
//! any password in throwaway mode), locks one session per maildrop, reads
//! messages and applies the UPDATE step.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use crate::cli::ServePop3;
use crate::net::{ConnId, LoopConfig, Runtime, Service};
use crate::proto::pop3::server::{
    apop_digest, AuthFailure, Credentials, Event, Pop3Config, Pop3Session,
};
use crate::store::maildrop::Maildrop;
use crate::store::users::constant_time_eq;
use crate::store::{mailbox_name, Password, Users};

struct Pop3Service {
    cfg: Pop3Config,
    root: PathBuf,
    domains: Vec<String>,
    users: Option<Users>,
    /// Maildrops locked by a session (RFC 1939 §8: one at a time).
    locked: HashSet<String>,
    open: HashMap<ConnId, (SocketAddr, Option<(String, Maildrop)>)>,
    counter: u64,
    tls: Option<crate::net::tls::ServerTls>,
    /// Addresses of the implicit-TLS listeners.
    tls_addrs: Vec<SocketAddr>,
}

impl Pop3Service {
    /// The address a login name stands for: the full address, or the bare
    /// local part qualified with the one --domain.
    fn address(&self, user: &str) -> String {
        super::common::login_address(user, &self.domains)
    }

    fn check(&self, creds: &Credentials) -> Result<String, AuthFailure> {
        let (user, ok) = match creds {
            Credentials::Password { user, password } => {
                let addr = self.address(user);
                let ok = match &self.users {
                    None => true,
                    Some(users) => users.verify(&addr, password),
                };
                (addr, ok)
            }
            Credentials::Apop {
                user,
                timestamp,
                digest,
            } => {
                let addr = self.address(user);
                let ok = match self.users.as_ref().and_then(|u| u.get(&addr)) {
                    Some(Password::Plain(p)) => {
                        constant_time_eq(apop_digest(timestamp, p).as_bytes(), digest.as_bytes())
                    }
                    _ => false,
                };
                (addr, ok)
            }
        };
        if ok {
            Ok(user)
        } else {
            Err(AuthFailure::Invalid)
        }
    }
}

impl Service for Pop3Service {
    type Session = Pop3Session;
    type Completion = ();

    fn open(
        &mut self,
        id: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
    ) -> Pop3Session {
        self.counter += 1;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let unique = format!("{}.{}.{secs}", std::process::id(), self.counter);
        self.open.insert(id, (peer, None));
        let mut s = Pop3Session::new(self.cfg.clone(), &unique, now);
        if self.tls_addrs.contains(&local) {
            s.set_secure();
        }
        s
    }

    fn start_tls(&mut self, _id: ConnId, _outbound: bool) -> Option<rustls::Connection> {
        let cfg = self.tls.as_ref()?.config.clone();
        rustls::ServerConnection::new(cfg)
            .ok()
            .map(rustls::Connection::Server)
    }

    fn event(&mut self, id: ConnId, s: &mut Pop3Session, e: Event, _now: Instant) {
        match e {
            Event::Authenticate(creds) => {
                let peer = self
                    .open
                    .get(&id)
                    .map(|(p, _)| p.ip().to_string())
                    .unwrap_or_default();
                let result = self.check(&creds).and_then(|addr| {
                    let mailbox = mailbox_name(&addr).ok_or(AuthFailure::Invalid)?;
                    if self.locked.contains(&mailbox) {
                        return Err(AuthFailure::InUse);
                    }
                    let drop = Maildrop::open(&self.root, &mailbox)
                        .map_err(|e| AuthFailure::Temporary(e.to_string()))?;
                    Ok((mailbox, drop))
                });
                match result {
                    Ok((mailbox, drop)) => {
                        let listing = drop.listing();
                        self.locked.insert(mailbox.clone());
                        eprintln!(
                            "mailkit: pop3: {mailbox} logged in from {peer} ({} messages)",
                            drop.len()
                        );
                        if let Some(entry) = self.open.get_mut(&id) {
                            entry.1 = Some((mailbox.clone(), drop));
                        }
                        s.authenticated(Ok((mailbox, listing)));
                    }
                    Err(f) => {
                        if f == AuthFailure::Invalid {
                            let user = match &creds {
                                Credentials::Password { user, .. }
                                | Credentials::Apop { user, .. } => user.clone(),
                            };
                            eprintln!("mailkit: pop3: failed login for {user:?} from {peer}");
                        }
                        s.authenticated(Err(f));
                    }
                }
            }
            Event::Retrieve { index, top } => {
                let data = match self.open.get(&id).and_then(|(_, d)| d.as_ref()) {
                    Some((_, drop)) => drop.read(index).map_err(|e| e.to_string()),
                    None => Err("no maildrop".into()),
                };
                s.retrieved(index, top, data);
            }
            Event::Update { delete, seen } => {
                let result = match self.open.get(&id).and_then(|(_, d)| d.as_ref()) {
                    Some((mailbox, drop)) => {
                        let r = drop.update(&delete, &seen);
                        if !delete.is_empty() {
                            eprintln!("mailkit: pop3: {mailbox}: {} deleted", delete.len());
                        }
                        r
                    }
                    None => Ok(0),
                };
                s.updated(result);
            }
        }
    }

    fn complete(&mut self, _s: &mut Pop3Session, _c: (), _now: Instant) {}

    fn busy_reply(&self) -> &[u8] {
        b"-ERR [SYS/TEMP] too many connections, try again later\r\n"
    }

    fn closed(&mut self, id: ConnId, _s: Pop3Session) {
        if let Some((_, Some((mailbox, _)))) = self.open.remove(&id) {
            self.locked.remove(&mailbox);
        }
    }
}

/// Runs the POP3 server until it is stopped.
pub fn run(args: ServePop3) -> anyhow::Result<()> {
    let common = super::common::settings(
        args.hostname.as_deref(),
        &args.domains,
        args.users.as_deref(),
        args.record.as_ref(),
    )?;
    let beyond_loopback = args.listen.iter().any(|a| !a.ip().is_loopback());
    if common.users.is_none() && beyond_loopback && !args.auth_any {
        bail!("without --users any password opens any mailbox; on a non-loopback --listen that needs --auth-any (or give --users FILE)");
    }
    std::fs::create_dir_all(&args.maildir)
        .with_context(|| format!("cannot use --maildir {}", args.maildir.display()))?;
    let tls = super::common::server_tls(&args.tls, &common.hostname, "pop3")?;
    let super::common::Bound {
        listeners,
        implicit_tls,
        tls_addrs,
        asked: everywhere,
    } = super::common::bind_all(&args.listen, &args.tls.tls_listen)?;
    let login_without_tls = super::common::clear_logins_ok(
        &args.tls,
        tls.is_some(),
        common.users.is_some(),
        &everywhere,
    );
    let apop = common.users.as_ref().is_some_and(|u| {
        !u.is_empty()
            && u.addresses()
                .all(|a| matches!(u.get(a), Some(Password::Plain(_))))
    });
    let cfg = Pop3Config {
        hostname: common.hostname.clone(),
        timeout: Duration::from_secs(args.timeout),
        apop,
        auth_delay: Duration::from_millis(args.auth_delay_ms),
        max_auth_failures: args.max_auth_failures,
        stls: tls.is_some(),
        login_without_tls,
    };
    let service = Pop3Service {
        cfg,
        root: args.maildir.clone(),
        domains: common.domains,
        users: common.users,
        locked: HashSet::new(),
        open: HashMap::new(),
        counter: 0,
        tls,
        tls_addrs,
    };
    if service.users.is_none() {
        eprintln!("mailkit: pop3: throwaway mode: any password opens any mailbox (give --users FILE to check passwords)");
    }
    let warn = if service.tls.is_none() {
        "passwords cross the network in clear text: give --tls-cert/--tls-key or --tls-self-signed"
    } else {
        "give --users FILE, or anyone can read the store"
    };
    super::common::announce(
        "pop3",
        &listeners,
        (service.tls.is_none() || service.users.is_none()).then_some(warn),
    )?;
    let rt: Runtime<()> = Runtime::new().context("cannot start the event loop")?;
    let loop_cfg = LoopConfig {
        max_connections: args.max_connections as usize,
        record_dir: args.record.clone(),
        grace: Duration::from_secs(2),
        name: "pop3",
        implicit_tls,
    };
    rt.run(service, listeners, loop_cfg)
        .context("the event loop failed")?;
    eprintln!("mailkit: pop3: stopped");
    Ok(())
}

//! `mailkit serve-pop3`: POP3 over the Maildir store. The service answers
//! the session's events: it checks credentials against `--users` (or takes
//! any password in throwaway mode), locks one session per maildrop, reads
//! messages and applies the UPDATE step.
//!
//! Logins and the UPDATE step run on a store thread, not the event loop:
//! an Argon2 check takes milliseconds, listing a large maildrop reads a
//! directory of thousands of entries, and UPDATE fsyncs `new/` and `cur/`;
//! none of that may hold up the other connections. RETR and TOP read one
//! file on the loop: a client waits for each, and a thread hop per message
//! would cost more than the read of a cached file (BENCHMARKS.md, issue 4).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use crate::cli::ServePop3;
use crate::net::{Completer, ConnId, LoopConfig, Runtime, Service};
use crate::proto::pop3::server::{
    apop_digest, AuthFailure, Credentials, Event, Pop3Config, Pop3Session,
};
use crate::store::maildrop::Maildrop;
use crate::store::users::constant_time_eq;
use crate::store::{mailbox_name, Password, Users};

/// Work for the store thread.
enum Job {
    /// Check a login (`addr` is the address it stands for) and open its
    /// maildrop.
    Login { creds: Credentials, addr: String },
    /// RFC 1939 §6: apply a session's deletions and seen marks.
    Update {
        drop: Maildrop,
        delete: Vec<usize>,
        seen: Vec<usize>,
    },
}

/// What the store thread sends back to the loop.
pub enum Done {
    /// A login was checked: the mailbox name and its opened maildrop.
    Login {
        id: ConnId,
        result: Result<(String, Maildrop), AuthFailure>,
    },
    /// UPDATE is done for connection `id`: messages left, or what went
    /// wrong.
    Updated {
        id: ConnId,
        result: Result<usize, String>,
    },
}

/// Starts the store thread (see the module comment).
fn spawn_store(
    root: PathBuf,
    users: Option<Arc<Users>>,
    completer: Completer<Done>,
) -> std::io::Result<mpsc::Sender<(ConnId, Job)>> {
    let (tx, rx) = mpsc::channel::<(ConnId, Job)>();
    std::thread::Builder::new()
        .name("mailkit-pop3-store".into())
        .spawn(move || {
            for (conn, job) in rx {
                let done = match job {
                    Job::Login { creds, addr } => {
                        let result = if verify(users.as_deref(), &creds, &addr) {
                            mailbox_name(&addr)
                                .ok_or(AuthFailure::Invalid)
                                .and_then(|mailbox| {
                                    Maildrop::open(&root, &mailbox)
                                        .map(|drop| (mailbox, drop))
                                        .map_err(|e| AuthFailure::Temporary(e.to_string()))
                                })
                        } else {
                            Err(AuthFailure::Invalid)
                        };
                        Done::Login { id: conn, result }
                    }
                    Job::Update { drop, delete, seen } => Done::Updated {
                        id: conn,
                        result: drop.update(&delete, &seen),
                    },
                };
                completer.complete(conn, done);
            }
        })?;
    Ok(tx)
}

/// Whether `creds` open `addr`'s maildrop: any password in throwaway mode
/// (no users file), else the users file's password; APOP (RFC 1939 §7)
/// needs the password in clear in the file.
fn verify(users: Option<&Users>, creds: &Credentials, addr: &str) -> bool {
    match creds {
        Credentials::Password { password, .. } => match users {
            None => true,
            Some(users) => users.verify(addr, password),
        },
        Credentials::Apop {
            timestamp, digest, ..
        } => match users.and_then(|u| u.get(addr)) {
            Some(Password::Plain(p)) => {
                constant_time_eq(apop_digest(timestamp, p).as_bytes(), digest.as_bytes())
            }
            _ => false,
        },
    }
}

/// One client connection.
struct Conn {
    peer: SocketAddr,
    /// The locked mailbox, once logged in.
    mailbox: Option<String>,
    /// Its maildrop, until UPDATE hands it to the store thread.
    drop: Option<Maildrop>,
    /// The login name being checked, for the log line of a failure.
    login: String,
}

struct Pop3Service {
    cfg: Pop3Config,
    domains: Vec<String>,
    /// Maildrops locked by a session (RFC 1939 §8: one at a time).
    locked: HashSet<String>,
    open: HashMap<ConnId, Conn>,
    counter: u64,
    tls: Option<crate::net::tls::ServerTls>,
    store: mpsc::Sender<(ConnId, Job)>,
}

impl Pop3Service {
    /// Frees the maildrop connection `id` holds, if any (RFC 1939 §8: one
    /// session at a time): when UPDATE is done, and however else the
    /// session ends.
    fn release(&mut self, id: ConnId) {
        if let Some(mailbox) = self.open.get_mut(&id).and_then(|c| c.mailbox.take()) {
            self.locked.remove(&mailbox);
        }
    }

    /// The address a login name stands for: the full address, or the bare
    /// local part qualified with the one --domain.
    fn address(&self, user: &str) -> String {
        super::common::login_address(user, &self.domains)
    }

    fn peer(&self, id: ConnId) -> String {
        self.open
            .get(&id)
            .map(|c| c.peer.ip().to_string())
            .unwrap_or_default()
    }
}

impl Service for Pop3Service {
    type Session = Pop3Session;
    type Completion = Done;

    fn open(&mut self, id: ConnId, from: crate::net::Accepted, now: Instant) -> Pop3Session {
        let peer = from.peer;
        self.counter += 1;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let unique = format!("{}.{}.{secs}", std::process::id(), self.counter);
        self.open.insert(
            id,
            Conn {
                peer,
                mailbox: None,
                drop: None,
                login: String::new(),
            },
        );
        let mut s = Pop3Session::new(self.cfg.clone(), &unique, now);
        if from.implicit_tls {
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
                let user = match &creds {
                    Credentials::Password { user, .. } | Credentials::Apop { user, .. } => user,
                };
                let addr = self.address(user);
                if let Some(conn) = self.open.get_mut(&id) {
                    conn.login.clone_from(user);
                }
                if self.store.send((id, Job::Login { creds, addr })).is_err() {
                    s.authenticated(Err(AuthFailure::Temporary(
                        "the store thread has stopped".into(),
                    )));
                }
            }
            Event::Retrieve { index, top } => {
                let data = match self.open.get(&id).and_then(|c| c.drop.as_ref()) {
                    Some(drop) => drop.read(index).map_err(|e| e.to_string()),
                    None => Err("no maildrop".into()),
                };
                s.retrieved(index, top, data);
            }
            Event::Update { delete, seen } => {
                let Some(conn) = self.open.get_mut(&id) else {
                    return;
                };
                let (Some(drop), Some(mailbox)) = (conn.drop.take(), conn.mailbox.as_ref()) else {
                    self.release(id);
                    s.updated(Ok(0));
                    return;
                };
                if !delete.is_empty() {
                    eprintln!("mailkit: pop3: {mailbox}: {} deleted", delete.len());
                }
                if self
                    .store
                    .send((id, Job::Update { drop, delete, seen }))
                    .is_err()
                {
                    s.updated(Err("the store thread has stopped".into()));
                }
            }
        }
    }

    fn complete(&mut self, s: &mut Pop3Session, done: Done, _now: Instant) {
        match done {
            Done::Login { id, result } => {
                let peer = self.peer(id);
                match result {
                    Ok((mailbox, _)) if self.locked.contains(&mailbox) => {
                        s.authenticated(Err(AuthFailure::InUse));
                    }
                    Ok((mailbox, drop)) => {
                        self.locked.insert(mailbox.clone());
                        eprintln!(
                            "mailkit: pop3: {mailbox} logged in from {peer} ({})",
                            crate::util::count(drop.len(), "message")
                        );
                        let listing = drop.listing();
                        if let Some(conn) = self.open.get_mut(&id) {
                            conn.mailbox = Some(mailbox.clone());
                            conn.drop = Some(drop);
                        }
                        s.authenticated(Ok((mailbox, listing)));
                    }
                    Err(f) => {
                        if f == AuthFailure::Invalid {
                            let user = self.open.get(&id).map_or("", |c| &c.login);
                            eprintln!("mailkit: pop3: failed login for {user:?} from {peer}");
                        }
                        s.authenticated(Err(f));
                    }
                }
            }
            Done::Updated { id, result } => {
                // The maildrop is free as soon as UPDATE is done, not when
                // the client gets round to closing its socket.
                self.release(id);
                s.updated(result);
            }
        }
    }

    fn busy_reply(&self) -> &[u8] {
        b"-ERR [SYS/TEMP] too many connections, try again later\r\n"
    }

    fn closed(&mut self, id: ConnId, _s: Pop3Session) {
        self.release(id);
        self.open.remove(&id);
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
    let beyond_loopback = args
        .listen
        .iter()
        .chain(&args.tls.tls_listen)
        .any(|a| !a.ip().is_loopback());
    if common.users.is_none() && beyond_loopback && !args.auth_any {
        bail!("without --users any password opens any mailbox; on a non-loopback --listen or --tls-listen that needs --auth-any (or give --users FILE)");
    }
    std::fs::create_dir_all(&args.maildir)
        .with_context(|| format!("cannot use --maildir {}", args.maildir.display()))?;
    let tls = super::common::server_tls(&args.tls, &common.hostname, "pop3")?;
    let super::common::Bound {
        listeners,
        implicit_tls,
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
        max_session_time: Duration::from_secs(args.max_session_time),
        output_budget: crate::proto::OUTPUT_BUDGET,
        apop,
        auth_delay: Duration::from_millis(args.auth_delay_ms),
        max_auth_failures: args.max_auth_failures,
        stls: tls.is_some(),
        login_without_tls,
    };
    let throwaway = common.users.is_none();
    let rt: Runtime<Done> = Runtime::new().context("cannot start the event loop")?;
    let store = spawn_store(
        args.maildir.clone(),
        common.users.map(Arc::new),
        rt.completer(),
    )
    .context("cannot start the store thread")?;
    let service = Pop3Service {
        cfg,
        domains: common.domains,
        locked: HashSet::new(),
        open: HashMap::new(),
        counter: 0,
        tls,
        store,
    };
    if throwaway {
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
        (service.tls.is_none() || throwaway).then_some(warn),
    )?;
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

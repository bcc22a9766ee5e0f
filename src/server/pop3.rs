//! The POP3 server's service: logins checked and maildrops opened on the
//! worker pool, one session per maildrop (RFC 1939 §8), messages streamed
//! from their files, the UPDATE step on the pool.
//!
//! Nothing here waits for the disk on the loop thread: an Argon2 check
//! takes milliseconds, listing a large maildrop reads a directory of
//! thousands of entries, and UPDATE fsyncs `new/` and `cur/`. RETR and TOP
//! open one file on the loop and hand it to the session, which streams it
//! a chunk at a time as the client reads ([`crate::proto::Body`]).
//!
//! Jobs for one maildrop must not overlap: a login whose listing was read
//! while another session's UPDATE was deleting would list messages that
//! are gone. A login for a maildrop being updated waits for the update;
//! one whose listing may predate an update is listed again.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::net::pool::{Pool, Refused};
use crate::net::tls::ServerTls;
use crate::net::{Accepted, Completer, ConnId, ServerService, Service};
use crate::proto::pop3::server::{
    apop_digest, AuthFailure, Credentials, Event, Listed, Pop3Config, Pop3Session,
};
use crate::store::maildrop::{Maildrop, OpenError};
use crate::store::users::{constant_time_eq, login_address};
use crate::store::{mailbox_name, Password, Users};

/// What the pool sends back to the loop.
pub enum Done {
    /// A login was checked (or, after an UPDATE, its maildrop listed
    /// again): its mailbox and the opened maildrop.
    Login {
        mailbox: Option<String>,
        result: Result<Box<Maildrop>, AuthFailure>,
        /// The update count when the listing was started.
        epoch: u64,
    },
    /// UPDATE of `mailbox` is done: messages left, or what went wrong.
    Updated {
        mailbox: String,
        result: std::io::Result<usize>,
    },
}

/// What the POP3 service needs besides the session settings.
pub struct Pop3Settings {
    /// The sessions' settings.
    pub session: Pop3Config,
    /// The store's root (one Maildir per mailbox below it).
    pub root: PathBuf,
    /// The users file (none: throwaway mode, any password opens any
    /// mailbox).
    pub users: Option<Arc<Users>>,
    /// Local domains (a bare login name is qualified with the one domain).
    pub domains: Vec<String>,
    /// The certificate for STLS and implicit TLS.
    pub tls: Option<ServerTls>,
}

/// One client connection.
struct Conn {
    peer: SocketAddr,
    /// The locked mailbox, once logged in.
    mailbox: Option<String>,
    /// Its maildrop, until UPDATE hands it to the pool.
    drop: Option<Maildrop>,
    /// The login name being checked, for the log line of a failure.
    login: String,
}

/// A login waiting for a maildrop's UPDATE to finish.
struct Parked {
    id: ConnId,
    job: Login,
}

/// A login to run on the pool.
#[derive(Clone)]
struct Login {
    creds: Option<Credentials>,
    addr: String,
    mailbox: Option<String>,
}

/// POP3 on the event loop.
pub struct Pop3Service {
    settings: Pop3Settings,
    completer: Completer<Done>,
    pool: Pool,
    /// Maildrops held by a session here (RFC 1939 §8: one at a time).
    /// Another process is kept out by the maildrop's own lock
    /// ([`crate::store::maildrop::SESSION_LOCK`]); this set also covers a
    /// mailbox with no Maildir yet, which has no file to lock.
    locked: HashSet<String>,
    /// Maildrops whose UPDATE is running, with the logins waiting for it.
    updating: HashMap<String, Vec<Parked>>,
    /// Updates started so far, and for each maildrop the count when its
    /// last one started: a listing begun before that may be stale.
    epoch: u64,
    last_update: HashMap<String, u64>,
    open: HashMap<ConnId, Conn>,
    counter: u64,
}

impl Pop3Service {
    /// The service; `completer` is the one whose inbox goes to the loop
    /// with it.
    pub fn new(settings: Pop3Settings, completer: Completer<Done>, pool: Pool) -> Pop3Service {
        Pop3Service {
            settings,
            completer,
            pool,
            locked: HashSet::new(),
            updating: HashMap::new(),
            epoch: 0,
            last_update: HashMap::new(),
            open: HashMap::new(),
            counter: 0,
        }
    }

    /// Frees the maildrop connection `id` holds, if any (RFC 1939 §8: one
    /// session at a time): when UPDATE is done, and however else the
    /// session ends.
    fn release(&mut self, id: ConnId) {
        if let Some(mailbox) = self.open.get_mut(&id).and_then(|c| c.mailbox.take()) {
            self.locked.remove(&mailbox);
        }
    }

    fn peer(&self, id: ConnId) -> String {
        self.open
            .get(&id)
            .map(|c| c.peer.ip().to_string())
            .unwrap_or_default()
    }

    /// Runs a login on the pool, or parks it behind its maildrop's UPDATE.
    fn submit(&mut self, id: ConnId, job: Login, s: &mut Pop3Session) {
        if let Some(waiting) = job.mailbox.as_ref().and_then(|m| self.updating.get_mut(m)) {
            waiting.push(Parked { id, job });
            return;
        }
        if let Err(why) = self.run_login(id, job) {
            s.authenticated(Err(AuthFailure::Temporary(why.to_string())));
        }
    }

    fn run_login(&self, id: ConnId, job: Login) -> Result<(), Refused> {
        let users = self.settings.users.clone();
        let root = self.settings.root.clone();
        let completer = self.completer.clone();
        let epoch = self.epoch;
        self.pool.try_run(move || {
            let ok = match &job.creds {
                Some(c) => verify(users.as_deref(), c, &job.addr),
                None => true,
            };
            let result = match (ok, &job.mailbox) {
                (true, Some(mailbox)) => match Maildrop::open(&root, mailbox) {
                    Ok(drop) => Ok(Box::new(drop)),
                    Err(OpenError::InUse) => Err(AuthFailure::InUse),
                    Err(OpenError::Io(e)) => Err(AuthFailure::Temporary(e.to_string())),
                },
                _ => Err(AuthFailure::Invalid),
            };
            let mailbox = job.mailbox;
            completer.complete(
                id,
                Done::Login {
                    mailbox,
                    result,
                    epoch,
                },
            );
        })
    }

    fn logged_in(
        &mut self,
        id: ConnId,
        s: &mut Pop3Session,
        mailbox: Option<String>,
        result: Result<Box<Maildrop>, AuthFailure>,
        epoch: u64,
    ) {
        let peer = self.peer(id);
        let stale = |m: &String| {
            self.updating.contains_key(m) || self.last_update.get(m).is_some_and(|&e| e > epoch)
        };
        match (mailbox, result) {
            (Some(mailbox), Ok(_)) if self.locked.contains(&mailbox) => {
                s.authenticated(Err(AuthFailure::InUse));
            }
            (Some(mailbox), Ok(_) | Err(AuthFailure::InUse)) if stale(&mailbox) => {
                // Listed (or found held) while an UPDATE ran: list again
                // once it is done (the password was right; no need to
                // check it twice).
                let job = Login {
                    creds: None,
                    addr: String::new(),
                    mailbox: Some(mailbox),
                };
                self.submit(id, job, s);
            }
            (Some(mailbox), Ok(drop)) => {
                self.locked.insert(mailbox.clone());
                eprintln!(
                    "mailkit: pop3: {mailbox} logged in from {peer} ({})",
                    crate::util::count(drop.len(), "message")
                );
                let listing = drop
                    .listing()
                    .into_iter()
                    .map(|l| Listed {
                        uid: l.uid,
                        size: l.size,
                    })
                    .collect();
                if let Some(conn) = self.open.get_mut(&id) {
                    conn.mailbox = Some(mailbox.clone());
                    conn.drop = Some(*drop);
                }
                s.authenticated(Ok((mailbox, listing)));
            }
            (None, Ok(_)) => s.authenticated(Err(AuthFailure::Invalid)),
            (_, Err(f)) => {
                if f == AuthFailure::Invalid {
                    let user = self.open.get(&id).map_or("", |c| &c.login);
                    eprintln!("mailkit: pop3: failed login for {user:?} from {peer}");
                }
                s.authenticated(Err(f));
            }
        }
    }

    /// The UPDATE of `mailbox` finished: the logins parked behind it go.
    fn unpark(&mut self, mailbox: &str) {
        for p in self.updating.remove(mailbox).unwrap_or_default() {
            if let Err(why) = self.run_login(p.id, p.job) {
                // The session waits for an answer: give it one through the
                // completer (this runs without the session at hand).
                let result = Err(AuthFailure::Temporary(why.to_string()));
                let done = Done::Login {
                    mailbox: None,
                    result,
                    epoch: self.epoch,
                };
                self.completer.complete(p.id, done);
            }
        }
    }
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

impl ServerService for Pop3Service {
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> Pop3Session {
        self.counter += 1;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let unique = format!("{}.{}.{secs}", std::process::id(), self.counter);
        self.open.insert(
            id,
            Conn {
                peer: from.peer,
                mailbox: None,
                drop: None,
                login: String::new(),
            },
        );
        let mut s = Pop3Session::new(self.settings.session.clone(), &unique, now);
        if from.implicit_tls {
            s.set_secure();
        }
        s
    }

    fn busy_reply(&self) -> &[u8] {
        b"-ERR [SYS/TEMP] too many connections, try again later\r\n"
    }
}

impl Service for Pop3Service {
    type Session = Pop3Session;
    type Completion = Done;

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.settings.tls.as_ref()?.accept()
    }

    fn event(&mut self, id: ConnId, s: &mut Pop3Session, e: Event, _now: Instant) {
        match e {
            Event::Authenticate(creds) => {
                let user = match &creds {
                    Credentials::Password { user, .. } | Credentials::Apop { user, .. } => user,
                };
                let addr = login_address(user, &self.settings.domains);
                if let Some(conn) = self.open.get_mut(&id) {
                    conn.login.clone_from(user);
                }
                let mailbox = mailbox_name(&addr);
                let job = Login {
                    creds: Some(creds),
                    addr,
                    mailbox,
                };
                self.submit(id, job, s);
            }
            Event::Retrieve { index, top } => {
                let source = match self.open.get(&id).and_then(|c| c.drop.as_ref()) {
                    Some(drop) => drop.open_message(index).map(|f| {
                        Box::new(crate::store::ReadAhead::new(f)) as Box<dyn std::io::Read + Send>
                    }),
                    None => Err(std::io::Error::other("no maildrop")),
                };
                s.retrieved(index, top, source);
            }
            Event::Update { delete, seen } => {
                let Some(conn) = self.open.get_mut(&id) else {
                    return;
                };
                let (Some(drop), Some(mailbox)) = (conn.drop.take(), conn.mailbox.clone()) else {
                    self.release(id);
                    s.updated(Ok(0));
                    return;
                };
                if !delete.is_empty() {
                    eprintln!("mailkit: pop3: {mailbox}: {} deleted", delete.len());
                }
                self.epoch += 1;
                self.last_update.insert(mailbox.clone(), self.epoch);
                self.updating.entry(mailbox.clone()).or_default();
                let completer = self.completer.clone();
                let m = mailbox.clone();
                let job = move || {
                    let result = drop.update(&delete, &seen);
                    completer.complete(id, Done::Updated { mailbox: m, result });
                };
                if self.pool.try_run(job).is_err() {
                    // The maildrop went with the job; nothing was changed.
                    self.release(id);
                    self.unpark(&mailbox);
                    s.updated(Err(std::io::Error::other(
                        "the server is busy; nothing was deleted",
                    )));
                }
            }
        }
    }

    fn complete(&mut self, id: ConnId, s: &mut Pop3Session, done: Done, _now: Instant) {
        match done {
            Done::Login {
                mailbox,
                result,
                epoch,
            } => self.logged_in(id, s, mailbox, result, epoch),
            Done::Updated { mailbox, result } => {
                // The maildrop is free as soon as UPDATE is done, not when
                // the client gets round to closing its socket.
                self.release(id);
                self.unpark(&mailbox);
                s.updated(result);
            }
        }
    }

    fn orphan(&mut self, _id: ConnId, done: Done) {
        // The client left during UPDATE: the update still finished, and
        // the logins waiting for it go on.
        if let Done::Updated { mailbox, .. } = done {
            self.unpark(&mailbox);
        }
    }

    fn closed(&mut self, id: ConnId, _s: Pop3Session) {
        self.release(id);
        self.open.remove(&id);
    }
}

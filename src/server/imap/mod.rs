//! The IMAP server's service: each session's store requests run on the
//! worker pool ([`work`]), answered through the completer; logins checked
//! there too (the same users file, login names and throwaway mode as
//! POP3). Sessions with a mailbox selected hear of changes to it from the
//! store's change feed: deliveries and changes by this process at once,
//! changes by other processes within the feed watcher's half second.
//!
//! Nothing here touches the disk on the loop thread.

pub mod fetch;
pub mod search;
pub mod work;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::net::pool::Pool;
use crate::net::tls::ServerTls;
use crate::net::{Accepted, Completer, ConnId, ServerService, Service};
use crate::proto::imap::server::{Answer, Event, ImapConfig, ImapSession, LoginFailure, Request};
use crate::store::feed::{Change, Feed};
use crate::store::folder_cache::FolderCache;
use crate::store::users::login_address;
use crate::store::{mailbox_name, Users};

/// What the pool (or the feed relay) sends back to the loop.
pub enum Done {
    /// A request's answer; for SELECT the folder's Maildir; for a login
    /// the mailbox logged in to.
    Answer {
        /// The answer for the session.
        answer: Answer,
        /// The folder selected.
        selected: Option<PathBuf>,
        /// The mailbox logged in to.
        login: Option<String>,
    },
    /// The selected folder changed.
    Changed,
}

/// What the IMAP service needs besides the session settings.
pub struct ImapSettings {
    /// The sessions' settings.
    pub session: ImapConfig,
    /// The store's root.
    pub root: PathBuf,
    /// The users file (none: throwaway mode).
    pub users: Option<Arc<Users>>,
    /// Local domains (a bare login name takes the one domain).
    pub domains: Vec<String>,
    /// The certificate for STARTTLS and implicit TLS.
    pub tls: Option<ServerTls>,
    /// Most sessions logged in as one user at once.
    pub max_user_connections: usize,
    /// Our host name (for new message file names).
    pub hostname: String,
}

/// Most message records the folder cache keeps (about 150 bytes each).
const CACHED_MESSAGES: usize = 200_000;

/// Which connections watch which folder, shared with the feed relay.
type Watchers = Arc<Mutex<HashMap<PathBuf, Vec<ConnId>>>>;

/// One client connection.
struct Conn {
    peer: SocketAddr,
    /// The mailbox logged in to.
    mailbox: Option<String>,
    /// The selected folder's Maildir.
    selected: Option<PathBuf>,
    /// The login name being checked, for the log.
    login: String,
}

/// IMAP on the event loop.
pub struct ImapService {
    settings: ImapSettings,
    completer: Completer<Done>,
    pool: Pool,
    feed: Feed,
    watchers: Watchers,
    /// Folders read by earlier jobs (see [`FolderCache`]).
    cache: Arc<FolderCache>,
    open: HashMap<ConnId, Conn>,
    per_user: HashMap<String, usize>,
}

impl ImapService {
    /// The service; `feed` is the store's change feed (its deliveries and
    /// watched folders); a thread relays its changes to the sessions that
    /// have the folder selected.
    pub fn new(
        settings: ImapSettings,
        completer: Completer<Done>,
        pool: Pool,
        feed: Feed,
    ) -> std::io::Result<ImapService> {
        let watchers: Watchers = Arc::default();
        let rx = feed.subscribe(Arc::new(|| {}));
        let (w, c, root) = (watchers.clone(), completer.clone(), settings.root.clone());
        std::thread::Builder::new()
            .name("mailkit-imap-feed".into())
            .spawn(move || {
                for change in rx {
                    let dir = match change {
                        Change::Folder { dir } => dir,
                        Change::Delivered { mailbox, .. } => root.join(mailbox),
                        Change::Folders { .. } => continue,
                    };
                    let ids = w
                        .lock()
                        .map(|m| m.get(&dir).cloned().unwrap_or_default())
                        .unwrap_or_default();
                    for id in ids {
                        c.complete(id, Done::Changed);
                    }
                }
            })?;
        Ok(ImapService {
            settings,
            completer,
            pool,
            feed,
            watchers,
            cache: Arc::new(FolderCache::new(CACHED_MESSAGES)),
            open: HashMap::new(),
            per_user: HashMap::new(),
        })
    }

    fn select(&mut self, id: ConnId, dir: Option<PathBuf>) {
        let Some(conn) = self.open.get_mut(&id) else {
            return;
        };
        if conn.selected == dir {
            return;
        }
        if let Some(old) = conn.selected.take() {
            self.feed.unwatch(&old);
            if let Ok(mut w) = self.watchers.lock() {
                if let Some(v) = w.get_mut(&old) {
                    v.retain(|x| *x != id);
                    if v.is_empty() {
                        w.remove(&old);
                    }
                }
            }
        }
        if let Some(new) = dir {
            self.feed.watch(&new);
            if let Ok(mut w) = self.watchers.lock() {
                w.entry(new.clone()).or_default().push(id);
            }
            conn.selected = Some(new);
        }
    }

    fn run(&mut self, id: ConnId, s: &mut ImapSession, r: Request) {
        let completer = self.completer.clone();
        let Some(conn) = self.open.get(&id) else {
            return;
        };
        if let Request::Login { user, password } = r {
            return self.login(id, s, user, password);
        }
        let Some(mailbox) = conn.mailbox.clone() else {
            return s.answer(Answer::Done(Err(
                crate::proto::imap::server::Refusal::Failed("not logged in".into()),
            )));
        };
        let place = work::Place {
            root: self.settings.root.join(&mailbox),
            selected: conn.selected.clone(),
            host: self.settings.hostname.clone(),
            feed: self.feed.clone(),
            cache: self.cache.clone(),
        };
        let job = move || {
            let (answer, selected) = work::run(&place, r);
            completer.complete(
                id,
                Done::Answer {
                    answer,
                    selected,
                    login: None,
                },
            );
        };
        if self.pool.try_run(job).is_err() {
            s.answer(Answer::Done(Err(
                crate::proto::imap::server::Refusal::Failed("the server is busy; try again".into()),
            )));
        }
    }

    fn login(&mut self, id: ConnId, s: &mut ImapSession, user: String, password: String) {
        let addr = login_address(&user, &self.settings.domains);
        if let Some(c) = self.open.get_mut(&id) {
            c.login.clone_from(&user);
        }
        let Some(mailbox) = mailbox_name(&addr) else {
            return s.answer(Answer::LoggedIn(Err(LoginFailure::Invalid)));
        };
        if self.per_user.get(&mailbox).copied().unwrap_or(0) >= self.settings.max_user_connections {
            return s.answer(Answer::LoggedIn(Err(LoginFailure::Limit)));
        }
        let users = self.settings.users.clone();
        let root = self.settings.root.join(&mailbox);
        let completer = self.completer.clone();
        let job = move || {
            let ok = users.as_deref().is_none_or(|u| u.verify(&addr, &password));
            let answer = if ok {
                work::first_login(&root);
                Answer::LoggedIn(Ok(()))
            } else {
                Answer::LoggedIn(Err(LoginFailure::Invalid))
            };
            completer.complete(
                id,
                Done::Answer {
                    answer,
                    selected: None,
                    login: ok.then_some(mailbox),
                },
            );
        };
        if self.pool.try_run(job).is_err() {
            s.answer(Answer::LoggedIn(Err(LoginFailure::Unavailable(
                "the server is busy; try again".into(),
            ))));
        }
    }
}

impl ServerService for ImapService {
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> ImapSession {
        self.open.insert(
            id,
            Conn {
                peer: from.peer,
                mailbox: None,
                selected: None,
                login: String::new(),
            },
        );
        let mut s = ImapSession::new(self.settings.session.clone(), now);
        if from.implicit_tls {
            s.set_secure();
        }
        s
    }

    fn busy_reply(&self) -> &[u8] {
        b"* BYE [UNAVAILABLE] too many connections, try again later\r\n"
    }
}

impl Service for ImapService {
    type Session = ImapSession;
    type Completion = Done;

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.settings.tls.as_ref()?.accept()
    }

    fn event(&mut self, id: ConnId, s: &mut ImapSession, e: Event, _now: Instant) {
        match e {
            Event::Request(r) => self.run(id, s, r),
            Event::Idling(_) => {}
        }
    }

    fn complete(&mut self, id: ConnId, s: &mut ImapSession, done: Done, _now: Instant) {
        match done {
            Done::Changed => s.changed(),
            Done::Answer {
                answer,
                selected,
                login,
            } => {
                if let Some(m) = login {
                    let peer = self.open.get(&id).map(|c| c.peer.ip().to_string());
                    eprintln!(
                        "mailkit: imap: {m} logged in from {}",
                        peer.unwrap_or_default()
                    );
                    *self.per_user.entry(m.clone()).or_default() += 1;
                    if let Some(c) = self.open.get_mut(&id) {
                        c.mailbox = Some(m);
                    }
                } else if matches!(answer, Answer::LoggedIn(Err(LoginFailure::Invalid))) {
                    if let Some(c) = self.open.get(&id) {
                        eprintln!(
                            "mailkit: imap: failed login for {:?} from {}",
                            c.login,
                            c.peer.ip()
                        );
                    }
                }
                if let Answer::Selected(r) = &answer {
                    // SELECT answers with its folder; a failed SELECT
                    // leaves none selected; a Sync keeps what was.
                    if selected.is_some() || r.is_err() {
                        self.select(id, selected);
                    }
                }
                s.answer(answer);
                if s.selected().is_none() {
                    self.select(id, None);
                }
            }
        }
    }

    fn orphan(&mut self, _id: ConnId, _done: Done) {}

    fn closed(&mut self, id: ConnId, _s: ImapSession) {
        self.select(id, None);
        if let Some(c) = self.open.remove(&id) {
            if let Some(m) = c.mailbox {
                if let Some(n) = self.per_user.get_mut(&m) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.per_user.remove(&m);
                    }
                }
            }
        }
    }
}

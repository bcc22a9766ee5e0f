//! `serve-http`'s service: the web page and Mailpit's `/api/v1` over the
//! store, on the loop. On the loop thread: the checks every request
//! passes ([`guard`]: Host, Origin, CORS), the embedded page, `/livez`
//! and `/readyz`. On the worker pool: logins (HTTP Basic against the
//! users file), every API route ([`api`]) and the WebSocket handshake of
//! `/api/events`, whose subscribers hear the index's changes
//! ([`events`]). The index ([`index`]) is built and kept by its own
//! thread ([`watch`]).

pub mod api;
pub mod events;
pub mod guard;
pub mod index;
pub mod json;
pub mod page;
pub mod search;
pub mod summary;
pub mod watch;
pub mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::net::pool::Pool;
use crate::net::tls::ServerTls;
use crate::net::{Accepted, Completer, ConnId, ServerService, Service};
use crate::proto::http::server::{Event, HttpConfig, HttpSession, Request, Response};
use crate::proto::http::websocket;
use crate::store::users::login_address;
use crate::store::{mailbox_name, Users};
use index::Scope;

/// What the pool sends back to the loop.
pub enum Done {
    /// The answer to the request in flight.
    Response(Response),
    /// A 401 for wrong credentials: sent after the login delay.
    Refused(Response),
    /// Accept the WebSocket handshake in flight, for a client that sees `scope`.
    Upgrade {
        /// What the client may see.
        scope: Scope,
        /// Its `Sec-WebSocket-Key`.
        key: Vec<u8>,
    },
    /// Event objects for a WebSocket client.
    Events(Vec<Arc<str>>),
}

/// What the HTTP service needs.
pub struct HttpSettings {
    /// The sessions' limits.
    pub session: HttpConfig,
    /// The users file: Basic auth, each user seeing their own mailbox
    /// (none: throwaway mode, every mailbox to everyone).
    pub users: Option<Arc<Users>>,
    /// Local domains (a bare login name takes the one domain).
    pub domains: Vec<String>,
    /// The certificate for HTTPS listeners.
    pub tls: Option<ServerTls>,
    /// The request checks.
    pub guard: guard::Guard,
    /// Print one line per request on stderr.
    pub access_log: bool,
    /// How long a wrong password waits for its 401 (`--auth-delay-ms`).
    pub auth_delay: std::time::Duration,
}

/// Most remembered good credentials (so a password hash is checked once
/// per client, not on every request of a page).
const CREDENTIAL_CACHE: usize = 1024;

/// HTTP on the event loop.
pub struct HttpService {
    settings: Arc<HttpSettings>,
    completer: Completer<Done>,
    pool: Pool,
    api: Arc<api::Api>,
    hub: events::Hub,
    /// SHA-256 of an `Authorization` value that was checked → the mailbox.
    logins: Arc<Mutex<HashMap<Vec<u8>, String>>>,
    /// The request in flight on each connection, for the access log.
    inflight: HashMap<ConnId, (String, String, Instant)>,
    /// Each connection's client address (a release's `Received:` field).
    peers: HashMap<ConnId, std::net::IpAddr>,
}

impl HttpService {
    /// The service over `api`'s index.
    pub fn new(
        settings: HttpSettings,
        completer: Completer<Done>,
        pool: Pool,
        api: Arc<api::Api>,
    ) -> HttpService {
        HttpService {
            hub: api.hub.clone(),
            settings: Arc::new(settings),
            completer,
            pool,
            api,
            logins: Arc::default(),
            inflight: HashMap::new(),
            peers: HashMap::new(),
        }
    }

    fn respond(&mut self, id: ConnId, s: &mut HttpSession, mut r: Response, now: Instant) {
        guard::secure_headers(&mut r);
        if self.settings.access_log {
            if let Some((m, p, t)) = self.inflight.remove(&id) {
                eprintln!(
                    "mailkit: http: {m} {p} {} {} bytes {:.2} ms",
                    r.status,
                    r.body.len(),
                    now.duration_since(t).as_secs_f64() * 1000.0
                );
            }
        }
        s.respond(now, r);
    }

    fn request(&mut self, id: ConnId, s: &mut HttpSession, req: Request, now: Instant) {
        if self.settings.access_log {
            let target = match &req.query {
                Some(q) => format!("{}?{q}", req.path),
                None => req.path.clone(),
            };
            self.inflight.insert(id, (req.method.clone(), target, now));
        }
        let origin_ok = match self.settings.guard.check(&req) {
            Ok(cors) => cors,
            Err(r) => return self.respond(id, s, r, now),
        };
        if req.method == "OPTIONS" {
            let mut r = Response::new(204, "text/plain", Vec::new());
            self.settings.guard.cors_headers(&req, &mut r, true);
            return self.respond(id, s, r, now);
        }
        let path = req.path.as_str();
        if path == "/livez" {
            return self.respond(id, s, Response::new(200, "text/plain", b"ok".to_vec()), now);
        }
        if path == "/readyz" {
            let listening = self
                .api
                .siblings
                .listening
                .as_ref()
                .is_none_or(|l| l.load(std::sync::atomic::Ordering::Acquire));
            let r = if !listening {
                Response::new(503, "text/plain", b"starting the listeners".to_vec())
            } else if self.api.shared.is_ready() {
                Response::new(200, "text/plain", b"ok".to_vec())
            } else {
                Response::new(503, "text/plain", b"building the index".to_vec())
            };
            return self.respond(id, s, r, now);
        }
        let settings = self.settings.clone();
        let api = self.api.clone();
        let logins = self.logins.clone();
        let completer = self.completer.clone();
        let peer = self.peers.get(&id).copied();
        let job = move || {
            let done = match login(&settings, &logins, &req) {
                Err(r) if req.header("authorization").is_some() => Done::Refused(r),
                Err(r) => Done::Response(r),
                Ok(scope) => serve(&api, &settings, scope, &req, origin_ok, peer),
            };
            completer.complete(id, done);
        };
        if self.pool.try_run(job).is_err() {
            let r = api::error(503, "the server is busy; try again");
            self.respond(id, s, r, now);
        }
    }
}

/// Checks the request's credentials: the scope it may see, or 401.
fn login(
    settings: &HttpSettings,
    logins: &Mutex<HashMap<Vec<u8>, String>>,
    req: &Request,
) -> Result<Scope, Response> {
    let Some(users) = &settings.users else {
        return Ok(Scope::All);
    };
    let unauthorized = || {
        let mut r = api::error(
            401,
            "log in with the address and password of the users file",
        );
        r.headers.push((
            "WWW-Authenticate".into(),
            "Basic realm=\"mailkit\", charset=\"UTF-8\"".into(),
        ));
        r
    };
    let Some(value) = req.header("authorization") else {
        return Err(unauthorized());
    };
    let key = ring::digest::digest(&ring::digest::SHA256, value)
        .as_ref()
        .to_vec();
    if let Some(m) = logins.lock().ok().and_then(|l| l.get(&key).cloned()) {
        return Ok(Scope::Mailbox(m));
    }
    let decoded = value
        .strip_prefix(b"Basic ")
        .or_else(|| value.strip_prefix(b"basic "))
        .and_then(|b| data_encoding::BASE64.decode(b.trim_ascii()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(unauthorized());
    };
    let addr = login_address(user, &settings.domains);
    let Some(mailbox) = mailbox_name(&addr) else {
        return Err(unauthorized());
    };
    if !users.verify(&addr, password) {
        eprintln!("mailkit: http: failed login for {user:?}");
        return Err(unauthorized());
    }
    if let Ok(mut l) = logins.lock() {
        if l.len() >= CREDENTIAL_CACHE {
            l.clear();
        }
        l.insert(key, mailbox.clone());
    }
    Ok(Scope::Mailbox(mailbox))
}

/// Answers a logged-in request (on the pool).
fn serve(
    api: &api::Api,
    settings: &HttpSettings,
    scope: Scope,
    req: &Request,
    cors: bool,
    peer: Option<std::net::IpAddr>,
) -> Done {
    if req.path == "/api/events" {
        return match websocket::upgrade_key(req) {
            Some(key) => Done::Upgrade { scope, key },
            None => Done::Response(api::error(
                400,
                "/api/events is a WebSocket: send the RFC 6455 handshake",
            )),
        };
    }
    let mut r = if req.path.starts_with("/api/") {
        api.handle(&scope, req, peer)
    } else if let Some(rest) = req.path.strip_prefix("/view/") {
        page::view(api, &scope, rest, req.query.as_deref())
    } else {
        page::asset(&req.path)
    };
    if cors {
        settings.guard.cors_headers(req, &mut r, false);
    }
    Done::Response(r)
}

impl ServerService for HttpService {
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> HttpSession {
        self.peers.insert(id, from.peer.ip());
        HttpSession::new(self.settings.session.clone(), now)
    }

    fn busy_reply(&self) -> &[u8] {
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 45\r\nConnection: close\r\n\r\n{\"Error\": \"too many connections, try later\"}\n"
    }
}

impl Service for HttpService {
    type Session = HttpSession;
    type Completion = Done;

    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        self.settings.tls.as_ref()?.accept()
    }

    fn event(&mut self, id: ConnId, s: &mut HttpSession, e: Event, now: Instant) {
        match e {
            Event::Request(r) => self.request(id, s, r, now),
            // The stream is one way; what a client says is ignored.
            Event::Message(_) => {}
        }
    }

    fn complete(&mut self, id: ConnId, s: &mut HttpSession, done: Done, now: Instant) {
        match done {
            Done::Response(r) => self.respond(id, s, r, now),
            Done::Refused(mut r) => {
                guard::secure_headers(&mut r);
                self.inflight.remove(&id);
                s.respond_at(now + self.settings.auth_delay, r);
            }
            Done::Upgrade { scope, key } => {
                self.inflight.remove(&id);
                s.upgrade(now, &key, &[]);
                self.hub.add(id, scope);
            }
            Done::Events(list) => {
                for t in list {
                    s.send_text(&t);
                }
            }
        }
    }

    fn closed(&mut self, id: ConnId, _s: HttpSession) {
        self.hub.remove(id);
        self.inflight.remove(&id);
        self.peers.remove(&id);
    }
}

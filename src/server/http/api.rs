//! The routes of `/api/v1`, run on the worker pool: Mailpit's (list,
//! search, one message and its headers, source and parts, mark read,
//! delete, info) and mailkit's own (mailboxes, validation, structure).
//! Lists and searches read only the index; a message's details read its
//! file; changes go through the store's [`Folder`] (durable before the
//! answer, as IMAP's), then the folder is rescanned so the index and the
//! event stream follow at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use super::events::Hub;
use super::index::{Change, Entry, Filter, Scope, Shared};
use super::json;
use super::search::Query;
use crate::proto::http::server::{Request, Response};
use crate::server::chaos::{Chaos, Settings as ChaosSettings};
use crate::server::relay::{Outbox, OutboxError};
use crate::store::flags::Flags;
use crate::store::folder::{Folder, Message};
use crate::store::folder_cache::FolderCache;

/// Mailpit's default page size (server/apiv1/api.go getStartLimit).
const DEFAULT_LIMIT: usize = 50;

/// Most messages one page may hold.
const MAX_LIMIT: usize = 10_000;

/// What every route needs.
pub struct Api {
    /// The index.
    pub shared: Arc<Shared>,
    /// The event stream's subscribers.
    pub hub: Hub,
    /// Folders opened for changes.
    pub cache: Arc<FolderCache>,
    /// When the server started (`info`'s uptime).
    pub started: Instant,
    /// The store's change feed: changes made here are told to IMAP
    /// sessions of the same process.
    pub feed: crate::store::feed::Feed,
    /// Where serve-smtp's `--record` writes its transcripts, for
    /// `/transcript`.
    pub transcripts: Option<PathBuf>,
    /// What the other services of the process lend (`mailkit serve`).
    pub siblings: Siblings,
}

/// What the other services of the same process lend the web API under
/// `mailkit serve`: the SMTP server's chaos, the outgoing queue, and
/// whether every listener is up.
#[derive(Default, Clone)]
pub struct Siblings {
    /// `GET/PUT /api/v1/chaos` (with `--chaos` or `--enable-chaos`).
    pub chaos: Option<Arc<Chaos>>,
    /// `POST /api/v1/message/{ID}/release` (with `--relay-to` or `--route`).
    pub outbox: Option<Outbox>,
    /// Set once every listener of the process is on the loop (`/readyz`).
    pub listening: Option<Arc<AtomicBool>>,
}

/// Most recipients one release may name (RFC 5321 §4.5.3.1.8's minimum
/// for a server, and serve-smtp's default).
const MAX_RELEASE_RECIPIENTS: usize = 100;

/// Most transcript files `/transcript` looks through (newest first).
const MAX_TRANSCRIPTS: usize = 10_000;

/// Largest transcript file `/transcript` reads.
const MAX_TRANSCRIPT: u64 = 64 * 1024 * 1024;

/// The queue id serve-smtp gave a message: the `id` of its first
/// `Received:` field (RFC 5321 §4.4), which the SMTP transcript's final
/// reply names (`queued as ID`).
pub fn queue_id(data: &[u8]) -> Option<String> {
    let section = crate::message::header::scan(data);
    let received = section.get("Received")?.unfolded();
    let mut words = received.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("id") {
            let id = words.next()?.trim_end_matches(';');
            return (!id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
            .then(|| id.to_owned());
        }
    }
    None
}

/// A JSON response.
pub fn json_response(status: u16, v: &Value) -> Response {
    let mut body = v.to_string().into_bytes();
    body.push(b'\n');
    Response::new(status, "application/json", body)
}

/// An error as Mailpit writes them: `{"Error": text}`.
pub fn error(status: u16, text: &str) -> Response {
    json_response(status, &json!({ "Error": text }))
}

/// `ok` as Mailpit answers a change (text/plain).
fn ok() -> Response {
    Response::new(200, "text/plain; charset=utf-8", b"ok".to_vec())
}

/// Decodes `%XX` escapes (and `+` as a space when `plus`); invalid UTF-8
/// is replaced.
pub fn percent_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hexval = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hexval {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's parameters, decoded (the first of a repeated name wins).
pub fn params(query: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(percent_decode(k, true))
            .or_insert_with(|| percent_decode(v, true));
    }
    out
}

/// A number parameter; a bad one is the client's error.
fn number(p: &HashMap<String, String>, name: &str, default: usize) -> Result<usize, Response> {
    match p.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| error(400, &format!("{name} must be a whole number, not {s:?}"))),
    }
}

/// The body of a change request: JSON (an empty body counts as `{}`).
fn body_json(req: &Request) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| error(400, &format!("the request body is not JSON: {e}")))
}

/// `IDs` of a change request.
fn ids_of(v: &Value) -> Result<Option<Vec<String>>, Response> {
    match v.get("IDs").or_else(|| v.get("ids")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error(400, "IDs must be strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(error(400, "IDs must be a list of message IDs")),
    }
}

impl Api {
    /// Answers one `/api/v1` request for a client that sees `scope`,
    /// connected from `peer`.
    pub fn handle(&self, scope: &Scope, req: &Request, peer: Option<IpAddr>) -> Response {
        let path = req.path.as_str();
        let Some(rest) = path.strip_prefix("/api/v1/") else {
            return error(404, "no such API route");
        };
        let segs: Vec<String> = rest.split('/').map(|s| percent_decode(s, false)).collect();
        let p = params(req.query.as_deref());
        let m = req.method.as_str();
        let get = m == "GET" || m == "HEAD";
        let r = match (
            m,
            segs.iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
        ) {
            (_, ["messages"]) if get => self.list(scope, &p, None),
            ("PUT", ["messages"]) => self.mark(scope, req),
            ("DELETE", ["messages"]) => self.delete(scope, req, &p),
            (_, ["search"]) if get => match p.get("query").filter(|q| !q.trim().is_empty()) {
                Some(q) => self.list(scope, &p, Some(Query::parse(q))),
                None => Err(error(400, "search needs a query: ?query=WORDS")),
            },
            ("DELETE", ["search"]) => self.delete_search(scope, &p),
            (_, ["info"]) if get => Ok(self.info(scope)),
            (_, ["mailboxes"]) if get => Ok(self.mailboxes(scope)),
            (_, ["message", id]) if get => self.message(scope, id),
            (_, ["message", id, what]) if get => self.message_view(scope, id, what),
            (_, ["message", id, "part", part]) if get => self.part(scope, id, part),
            ("POST", ["message", id, "release"]) => self.release(scope, id, req, peer),
            (_, ["chaos"]) if get => self.chaos(None),
            ("PUT", ["chaos"]) => self.chaos(Some(req)),
            (_, ["messages" | "search" | "info" | "mailboxes" | "chaos"]) => {
                Err(error(405, &format!("{m} is not allowed here")))
            }
            (_, ["message", _] | ["message", _, _] | ["message", _, "part", _]) if !get => {
                Err(error(405, &format!("{m} is not allowed here")))
            }
            _ => Err(error(404, "no such API route")),
        };
        r.unwrap_or_else(|e| e)
    }

    /// Mailpit's chaos settings: read (`None`) or replaced by the body of
    /// a PUT; 400 when chaos is not on, as Mailpit.
    fn chaos(&self, put: Option<&Request>) -> Result<Response, Response> {
        let Some(chaos) = &self.siblings.chaos else {
            return Err(error(
                400,
                "Chaos is not enabled: start mailkit serve with --enable-chaos or --chaos KIND=VALUE",
            ));
        };
        if let Some(req) = put {
            let v = body_json(req)?;
            let s = ChaosSettings::from_json(&v).map_err(|e| error(400, &e.0))?;
            chaos.set(s);
        }
        Ok(json_response(200, &chaos.settings().to_json()))
    }

    /// Mailpit's release: the message sent on to `{"To": [...]}` through
    /// the outgoing queue, durably queued before the answer. The envelope
    /// sender is the message's `Return-Path` (else its `From`).
    fn release(
        &self,
        scope: &Scope,
        id: &str,
        req: &Request,
        peer: Option<IpAddr>,
    ) -> Result<Response, Response> {
        let v = body_json(req)?;
        let to = match v.get("To") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            _ => {
                return Err(error(
                    400,
                    "give the recipients as {\"To\": [\"address\", ...]}",
                ))
            }
        };
        if to.len() > MAX_RELEASE_RECIPIENTS {
            return Err(error(
                400,
                &format!("at most {MAX_RELEASE_RECIPIENTS} recipients per release"),
            ));
        }
        let mut rcpts = Vec::with_capacity(to.len());
        for t in to {
            let Some(t) = t.as_str() else {
                return Err(error(400, &format!("{t} is not an address")));
            };
            let bare = t.trim().trim_start_matches('<').trim_end_matches('>');
            match crate::proto::smtp::command::parse_mailbox(bare) {
                Ok(a) if a.is_ascii() && !a.domain.starts_with('[') => rcpts.push(a.to_string()),
                _ => {
                    return Err(error(
                        400,
                        &format!("{t:?} is not an address (local@domain)"),
                    ))
                }
            }
        }
        let Some(outbox) = &self.siblings.outbox else {
            return Err(error(
                400,
                "releasing needs a next hop: run mailkit serve with --relay-to HOST:PORT or --route DOMAIN=HOST:PORT (and --domain)",
            ));
        };
        let (_, data) = self.load(scope, id)?;
        // A sender that is not an address (a hand-made file) is not sent
        // on as one: the release goes from the null sender then.
        let from = envelope_sender(&data)
            .filter(|f| crate::proto::smtp::command::parse_mailbox(f).is_ok_and(|a| a.is_ascii()));
        match outbox.send(from, rcpts, &data, peer) {
            Ok(_) => Ok(ok()),
            Err(e @ (OutboxError::Local(_) | OutboxError::NoRoute(_))) => {
                Err(error(400, &e.to_string()))
            }
            Err(e) => Err(error(500, &e.to_string())),
        }
    }

    /// The entries a change applies to: visible, through the filter,
    /// matching the query; newest first.
    fn selected(
        &self,
        scope: &Scope,
        p: &HashMap<String, String>,
        q: Option<&Query>,
    ) -> Vec<Entry> {
        let filter = filter_of(p);
        self.shared
            .read()
            .newest_first()
            .filter(|e| scope.sees(&e.mailbox) && filter.passes(&e.mailbox, &e.folder))
            .filter(|e| q.is_none_or(|q| q.matches(e)))
            .cloned()
            .collect()
    }

    /// A list (no query) or search page. A list takes its counts from the
    /// index's kept counts and walks only to the end of the page; a search
    /// walks every message the scope sees, counting, keeping the page.
    fn list(
        &self,
        scope: &Scope,
        p: &HashMap<String, String>,
        q: Option<Query>,
    ) -> Result<Response, Response> {
        let start = number(p, "start", 0)?;
        let limit = number(p, "limit", DEFAULT_LIMIT)?;
        let limit = if limit == 0 {
            DEFAULT_LIMIT
        } else {
            limit.min(MAX_LIMIT)
        };
        let filter = filter_of(p);
        let ix = self.shared.read();
        let visible = |e: &&Entry| scope.sees(&e.mailbox) && filter.passes(&e.mailbox, &e.folder);
        let (page, matched) = match q.filter(|q| !q.is_empty()) {
            None => {
                let page: Vec<&Entry> = ix
                    .newest_first()
                    .filter(visible)
                    .skip(start)
                    .take(limit)
                    .collect();
                (page, ix.counts_of(scope, &filter))
            }
            Some(q) => {
                let (mut n, mut unread, mut page) = (0, 0, Vec::new());
                let candidates: Box<dyn Iterator<Item = &Entry>> = match ix.candidates(&q) {
                    Some(c) => c,
                    None => Box::new(ix.newest_first()),
                };
                for e in candidates.filter(visible).filter(|e| q.matches(e)) {
                    if n >= start && page.len() < limit {
                        page.push(e);
                    }
                    n += 1;
                    unread += usize::from(!e.read());
                }
                (page, (n, unread))
            }
        };
        Ok(json_response(
            200,
            &json::page(&ix, scope, &page, start, matched),
        ))
    }

    /// The entry `id` names (`latest`: the newest the scope sees).
    fn entry(&self, scope: &Scope, id: &str) -> Result<Entry, Response> {
        let ix = self.shared.read();
        let e = if id == "latest" {
            ix.newest_first().find(|e| scope.sees(&e.mailbox))
        } else {
            ix.get(id).filter(|e| scope.sees(&e.mailbox))
        };
        e.cloned()
            .ok_or_else(|| error(404, &format!("no message {id:?}")))
    }

    /// The entry `id` names (`latest` too) and its file's bytes; a 404
    /// when the scope does not see it or it is gone.
    pub fn load(&self, scope: &Scope, id: &str) -> Result<(Entry, Vec<u8>), Response> {
        let e = self.entry(scope, id)?;
        match crate::store::folder::read_message(&e.path()) {
            Ok(d) => Ok((e, d)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                // Renamed or removed since the index last looked.
                self.refresh(&e);
                let e = self.entry(scope, id)?;
                crate::store::folder::read_message(&e.path())
                    .map(|d| (e, d))
                    .map_err(|_| error(404, &format!("message {id:?} is gone")))
            }
            Err(err) => Err(error(500, &format!("cannot read the message: {err}"))),
        }
    }

    /// Rescans an entry's folder and tells the event stream.
    fn refresh(&self, e: &Entry) {
        let changes = self.shared.rescan(&e.mailbox, &e.folder, &e.dir, &|| {});
        self.hub.publish(&self.shared, &changes);
    }

    fn message(&self, scope: &Scope, id: &str) -> Result<Response, Response> {
        let (e, data) = self.load(scope, id)?;
        let mut v = json::message(&e, &data);
        // Mailpit marks a message read when it is fetched.
        if !e.read() {
            self.set_read(std::slice::from_ref(&e), true)?;
            v["Read"] = Value::Bool(true);
        }
        Ok(json_response(200, &v))
    }

    fn message_view(&self, scope: &Scope, id: &str, what: &str) -> Result<Response, Response> {
        let (e, data) = self.load(scope, id)?;
        match what {
            "headers" => Ok(json_response(200, &json::headers(&data))),
            "raw" | "source" => Ok(Response::new(
                200,
                "text/plain; charset=utf-8",
                crate::util::lf_to_crlf(&data),
            )),
            "validate" | "validation" => {
                let msg = crate::message::mime::parse(&data);
                let opts = crate::message::validate::Options { utf8: true };
                let diags = crate::message::validate::validate(&data, &msg, 1, opts);
                let list = crate::message::json::diagnostics_json(&diags);
                let errors = diags
                    .iter()
                    .filter(|d| d.severity == crate::message::validate::Severity::Error)
                    .count();
                Ok(json_response(
                    200,
                    &json!({"ID": &*e.id, "valid": errors == 0, "errors": errors, "diagnostics": list}),
                ))
            }
            "transcript" => self.transcript(&data),
            "structure" => {
                let msg = crate::message::mime::parse(&data);
                let doc = crate::message::json::document(
                    &e.id,
                    &msg,
                    crate::message::json::Extras::default(),
                    None,
                );
                Ok(json_response(200, &doc))
            }
            _ => Err(error(404, &format!("no view {what:?} of a message"))),
        }
    }

    /// The SMTP session that delivered the message, from the transcripts
    /// serve-smtp recorded (`--record DIR`, given here as `--transcripts DIR`).
    fn transcript(&self, data: &[u8]) -> Result<Response, Response> {
        let Some(dir) = &self.transcripts else {
            return Err(error(404, "no transcripts: record SMTP sessions with serve-smtp --record DIR and start serve-http with --transcripts DIR"));
        };
        let Some(qid) = queue_id(data) else {
            return Err(error(404, "the message has no queue id in its Received field (not delivered by mailkit serve-smtp)"));
        };
        let needle = format!("queued as {qid}");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| {
                error(
                    404,
                    &format!("cannot read the transcripts in {}: {e}", dir.display()),
                )
            })?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter(|e| e.metadata().is_ok_and(|m| m.len() <= MAX_TRANSCRIPT))
            .map(|e| e.path())
            .collect();
        files.sort_unstable_by(|a, b| b.cmp(a));
        for f in files.into_iter().take(MAX_TRANSCRIPTS) {
            let Ok(text) = crate::store::folder::read_message(&f) else {
                continue;
            };
            if memchr::memmem::find(&text, needle.as_bytes()).is_some() {
                return Ok(Response::new(200, "text/plain; charset=utf-8", text));
            }
        }
        Err(error(
            404,
            &format!("no transcript in {} names queue id {qid}", dir.display()),
        ))
    }

    fn part(&self, scope: &Scope, id: &str, part: &str) -> Result<Response, Response> {
        let (_, data) = self.load(scope, id)?;
        let msg = crate::message::mime::parse(&data);
        let Some(root) = &msg.root else {
            return Err(error(404, "the message has no MIME structure"));
        };
        let Some((_, p)) = super::summary::numbered(root)
            .into_iter()
            .find(|(n, _)| n == part)
        else {
            return Err(error(404, &format!("no part {part:?} in message {id:?}")));
        };
        let ctype = match &p.charset {
            Some(c) if p.is_text() => format!("{}; charset={c}", p.content_type),
            _ => p.content_type.clone(),
        };
        let name = p.filename.clone().unwrap_or_else(|| format!("part-{part}"));
        let mut r = Response::new(200, &ctype, p.decoded());
        r.headers
            .push(("Content-Disposition".into(), content_disposition(&name)));
        Ok(r)
    }

    fn info(&self, scope: &Scope) -> Response {
        let ix = self.shared.read();
        let (messages, unread) = ix.counts(scope);
        json_response(
            200,
            &json!({
                "Version": json::VERSION,
                "LatestVersion": "",
                "Database": self.shared.root.display().to_string(),
                "DatabaseSize": 0,
                "Messages": messages,
                "Unread": unread,
                "Tags": {},
                "RuntimeStats": {
                    "Uptime": self.started.elapsed().as_secs(),
                    "Memory": 0,
                    "MessagesDeleted": 0,
                    "SMTPAccepted": 0,
                    "SMTPAcceptedSize": 0,
                    "SMTPRejected": 0,
                    "SMTPIgnored": 0,
                },
            }),
        )
    }

    fn mailboxes(&self, scope: &Scope) -> Response {
        let ix = self.shared.read();
        let mut boxes: Vec<Value> = Vec::new();
        let mut by: HashMap<String, usize> = HashMap::new();
        for (mailbox, folder, total, unread) in ix.folders(scope) {
            let i = *by.entry(mailbox.to_string()).or_insert_with(|| {
                boxes.push(json!({"Mailbox": &*mailbox, "Total": 0, "Unread": 0, "Folders": []}));
                boxes.len() - 1
            });
            let b = &mut boxes[i];
            b["Total"] = json!(b["Total"].as_u64().unwrap_or(0) + total as u64);
            b["Unread"] = json!(b["Unread"].as_u64().unwrap_or(0) + unread as u64);
            if let Some(Value::Array(f)) = b.get_mut("Folders") {
                f.push(json!({"Name": &*folder, "Total": total, "Unread": unread}));
            }
        }
        json_response(200, &json!({ "mailboxes": boxes }))
    }

    /// The entries a change request names: its IDs, its `Search`, or
    /// (neither) every message the scope sees.
    fn targets(&self, scope: &Scope, v: &Value) -> Result<Vec<Entry>, Response> {
        let ix = self.shared.read();
        if let Some(ids) = ids_of(v)? {
            return Ok(ids
                .iter()
                .filter_map(|id| ix.get(id).filter(|e| scope.sees(&e.mailbox)).cloned())
                .collect());
        }
        let q = v
            .get("Search")
            .and_then(Value::as_str)
            .map(Query::parse)
            .unwrap_or_default();
        Ok(ix
            .newest_first()
            .filter(|e| scope.sees(&e.mailbox) && q.matches(e))
            .cloned()
            .collect())
    }

    fn mark(&self, scope: &Scope, req: &Request) -> Result<Response, Response> {
        let v = body_json(req)?;
        let read = match v.get("Read") {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => false,
            Some(_) => return Err(error(400, "Read must be true or false")),
        };
        let targets = self.targets(scope, &v)?;
        self.set_read(&targets, read)?;
        Ok(ok())
    }

    /// Sets or clears `S` on each entry, folder by folder.
    fn set_read(&self, entries: &[Entry], read: bool) -> Result<(), Response> {
        let changes = self.in_folders(entries, "change the flags", |folder, found| {
            let wanted: Vec<(u32, Flags)> = found
                .iter()
                .map(|m| {
                    let mut f = m.flags;
                    f.set('S', read);
                    (m.uid, f)
                })
                .collect();
            folder.set_flags_many(&wanted).map(drop)
        })?;
        self.hub.publish(&self.shared, &changes);
        Ok(())
    }

    /// Runs `change` on each folder the entries are in, with the folder's
    /// records of those entries (found by base name, so a message another
    /// client renamed meanwhile is still found), then rescans the folder:
    /// the changes it made, for the event stream.
    fn in_folders(
        &self,
        entries: &[Entry],
        what: &str,
        change: impl Fn(&mut Folder, &[Message]) -> std::io::Result<()>,
    ) -> Result<Vec<Change>, Response> {
        let mut changes = Vec::new();
        for (dir, group) in by_folder(entries) {
            let mut folder = self
                .cache
                .open(&dir)
                .map_err(|e| error(500, &format!("cannot open the folder: {e}")))?
                .with_feed(self.feed.clone());
            let by_base: HashMap<&str, &Message> = folder
                .messages()
                .iter()
                .map(|m| (m.base.as_str(), m))
                .collect();
            let found: Vec<Message> = group
                .iter()
                .filter_map(|e| by_base.get(e.base.as_str()).map(|m| (*m).clone()))
                .collect();
            change(&mut folder, &found).map_err(|e| error(500, &format!("cannot {what}: {e}")))?;
            let first = group[0];
            changes.extend(
                self.shared
                    .rescan(&first.mailbox, &first.folder, &dir, &|| {}),
            );
        }
        Ok(changes)
    }

    /// Deletes the IDs, or what `Search` matches, or (neither) every
    /// message the scope sees, or those of the `mailbox=`/`folder=` given.
    fn delete(
        &self,
        scope: &Scope,
        req: &Request,
        p: &HashMap<String, String>,
    ) -> Result<Response, Response> {
        let v = body_json(req)?;
        let all = ids_of(&v)?.is_none() && v.get("Search").is_none();
        let filtered = p.contains_key("mailbox") || p.contains_key("folder");
        if all && filtered {
            let targets = self.selected(scope, p, None);
            self.remove(&targets, None)?;
            return Ok(ok());
        }
        let targets = self.targets(scope, &v)?;
        self.remove(&targets, all.then_some(scope))?;
        Ok(ok())
    }

    fn delete_search(
        &self,
        scope: &Scope,
        p: &HashMap<String, String>,
    ) -> Result<Response, Response> {
        let Some(q) = p.get("query").filter(|q| !q.trim().is_empty()) else {
            return Err(error(400, "search needs a query: ?query=WORDS"));
        };
        let targets = self.selected(scope, p, Some(&Query::parse(q)));
        self.remove(&targets, None)?;
        Ok(ok())
    }

    /// Expunges the entries, folder by folder; `truncated` (delete-all)
    /// tells the stream `truncate` instead of one `delete` each.
    fn remove(&self, entries: &[Entry], truncated: Option<&Scope>) -> Result<(), Response> {
        let changes = self.in_folders(entries, "delete", |folder, found| {
            let uids: Vec<u32> = found.iter().map(|m| m.uid).collect();
            folder.expunge(&uids).map(drop)
        })?;
        match truncated {
            Some(scope) => self.hub.truncate(&self.shared, scope, &changes),
            None => self.hub.publish(&self.shared, &changes),
        }
        Ok(())
    }
}

/// The `mailbox=` and `folder=` parameters.
/// The envelope sender to release a stored message with: its
/// `Return-Path` (`None` for `<>`), else the first `From` address.
fn envelope_sender(data: &[u8]) -> Option<String> {
    let section = crate::message::header::scan(data);
    if let Some(rp) = section.get("Return-Path") {
        let v = rp.unfolded();
        let v = v
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        return (!v.is_empty()).then(|| v.to_owned());
    }
    let from = section.get("From")?.unfolded();
    crate::message::address::parse_list(&from, false)
        .ok()?
        .mailboxes
        .into_iter()
        .next()
        .map(|m| m.address)
}

fn filter_of(p: &HashMap<String, String>) -> Filter {
    Filter {
        mailbox: p
            .get("mailbox")
            .filter(|s| !s.is_empty())
            .map(|s| s.to_lowercase()),
        folder: p.get("folder").filter(|s| !s.is_empty()).cloned(),
    }
}

/// Entries grouped by folder.
fn by_folder(entries: &[Entry]) -> Vec<(PathBuf, Vec<&Entry>)> {
    let mut groups: HashMap<PathBuf, Vec<&Entry>> = HashMap::new();
    for e in entries {
        groups.entry(e.dir.to_path_buf()).or_default().push(e);
    }
    groups.into_iter().collect()
}

/// `attachment; filename="..."` with an RFC 6266 / RFC 8187 `filename*`
/// for names that are not plain ASCII; quotes, controls and path
/// separators never reach the plain form (a browser saving the file
/// strips directories anyway).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut v = format!("attachment; filename=\"{ascii}\"");
    if ascii != name {
        let enc: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        v.push_str(&format!("; filename*=UTF-8''{enc}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_id_of_serve_smtp() {
        let m = b"Return-Path: <a@b.c>\nReceived: from vm ([127.0.0.1])\n\tby vm (mailkit) with ESMTP id 661A07C84D925\n\tfor <bob@x.y>;\n\tWed, 2 Dec 2026 06:09:32 +0000\nSubject: x\n\nbody\n";
        assert_eq!(queue_id(m).as_deref(), Some("661A07C84D925"));
        assert_eq!(queue_id(b"Received: by x id ../../etc;\n\n"), None);
        assert_eq!(queue_id(b"Subject: none\n\n"), None);
    }

    #[test]
    fn query_strings_and_paths_decode() {
        let p = params(Some(
            "query=from%3Aalice+subject%3A%22a%20b%22&limit=5&limit=6",
        ));
        assert_eq!(p["query"], "from:alice subject:\"a b\"");
        assert_eq!(p["limit"], "5");
        assert_eq!(percent_decode("%2e%2E%2f%zz%", false), "../%zz%");
        assert_eq!(
            content_disposition("résumé \"x\".pdf"),
            "attachment; filename=\"r_sum_ _x_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.pdf"
        );
    }
}

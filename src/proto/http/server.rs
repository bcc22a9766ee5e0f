//! The HTTP/1.1 server session: bytes in, [`Request`] events out, one at a
//! time; the owner answers each with [`HttpSession::respond`]. Requests a
//! client pipelines wait in the input buffer until the one before is
//! answered (RFC 9112 §9.3.2: responses go out in request order).
//!
//! Bounds: a request head of at most [`HttpConfig::max_head`] octets and
//! 64 header fields (431 otherwise), a body of at most
//! [`HttpConfig::max_body`] (413), an idle connection closed after
//! [`HttpConfig::timeout`]. A request that cannot be framed gets its
//! error response and the connection is closed (its end is unknown).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Settings of a session.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request head (request line and header fields).
    pub max_head: usize,
    /// Largest request body.
    pub max_body: usize,
    /// Idle time before the connection is closed.
    pub timeout: Duration,
    /// Longest a connection takes requests, however busy (a client
    /// dripping bytes cannot hold it for ever); a WebSocket is exempt,
    /// the event stream is meant to stay.
    pub max_session: Duration,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            max_head: 16 * 1024,
            max_body: 1024 * 1024,
            timeout: Duration::from_secs(120),
            max_session: Duration::from_secs(3600),
        }
    }
}

/// Most header fields in one request head.
const MAX_HEADERS: usize = 64;

/// One request, framed and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (methods are case-sensitive, RFC 9110 §9.1).
    pub method: String,
    /// The request target's path, still percent-encoded.
    pub path: String,
    /// The query after `?`, if any, still encoded.
    pub query: Option<String>,
    /// The header fields in order: names lower-cased, values as sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (chunked bodies decoded).
    pub body: Vec<u8>,
    /// HTTP/1.0 (no keep-alive unless asked for, no chunked responses).
    pub http10: bool,
}

impl Request {
    /// The first value of header field `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether the connection stays open after this request (RFC 9112
    /// §9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n == "connection")
                .flat_map(|(_, v)| v.split(|&b| b == b','))
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        };
        if self.http10 {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// A response the owner gives for the request in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields to send besides Content-Length, Connection and Date
    /// (which the session writes).
    pub headers: Vec<(String, String)>,
    /// The body (none for HEAD, 204 and 304 goes out regardless of this).
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body of content type `content_type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }
}

/// What the owner must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request to answer with [`HttpSession::respond`] (or, for a
    /// WebSocket handshake, [`HttpSession::upgrade`]).
    Request(Request),
    /// A WebSocket message from the client (after [`HttpSession::upgrade`]).
    Message(Vec<u8>),
}

/// How often an idle WebSocket is pinged (RFC 6455 §5.5.2), so proxies
/// and NAT tables keep it and a dead peer is noticed.
pub const PING_EVERY: Duration = Duration::from_secs(30);

/// Largest message a WebSocket client may send (the event stream needs
/// none; a browser's pings and close frames are tiny).
const MAX_WS_MESSAGE: usize = 64 * 1024;

/// Most bytes of WebSocket messages queued for a client that does not
/// read them; past it the client is dropped (1008) rather than letting
/// its backlog grow without bound.
pub const MAX_WS_BACKLOG: usize = 4 * 1024 * 1024;

/// One item of output.
pub type Output = crate::proto::Output<Event>;

/// Where the session is with the request being read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// Waiting for a request head.
    Head,
    /// A request was handed out; its response is awaited.
    Answering { keep_alive: bool, head_only: bool },
    /// The connection was upgraded to a WebSocket (RFC 6455): input is
    /// frames, output is messages.
    WebSocket,
    /// The connection is closing; input is ignored.
    Closed,
}

/// One HTTP/1.1 server connection.
#[derive(Debug)]
pub struct HttpSession {
    cfg: HttpConfig,
    input: Vec<u8>,
    reading: Reading,
    queue: VecDeque<Output>,
    deadline: Instant,
    /// When the connection stops taking requests ([`HttpConfig::max_session`]).
    ends_at: Instant,
    /// The WebSocket's frame decoder, once upgraded.
    ws: Option<super::websocket::Decoder>,
    /// WebSocket bytes handed out since the client last read everything.
    backlog: usize,
    /// A response held back until its time ([`HttpSession::respond_at`]).
    held: Option<(Instant, Response)>,
}

/// Why a request could not be framed: the status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refuse(u16, &'static str);

impl HttpSession {
    /// A session waiting for its first request.
    pub fn new(cfg: HttpConfig, now: Instant) -> HttpSession {
        HttpSession {
            deadline: now + cfg.timeout.min(cfg.max_session),
            ends_at: now + cfg.max_session,
            cfg,
            input: Vec::new(),
            reading: Reading::Head,
            queue: VecDeque::new(),
            ws: None,
            backlog: 0,
            held: None,
        }
    }

    /// Bytes from the client.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.reading == Reading::Closed {
            return;
        }
        if self.reading == Reading::WebSocket {
            self.deadline = now + PING_EVERY;
            return self.frames(now, bytes);
        }
        self.deadline = (now + self.cfg.timeout).min(self.ends_at);
        self.input.extend_from_slice(bytes);
        self.process();
    }

    /// The client closed its side: nothing more will come.
    pub fn handle_eof(&mut self, _now: Instant) {
        if matches!(self.reading, Reading::Head | Reading::WebSocket) {
            self.close();
        }
    }

    /// The idle deadline may have passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((at, r)) = self.held.take() {
            if now >= at {
                return self.respond(now, r);
            }
            self.held = Some((at, r));
            return;
        }
        if self.reading == Reading::WebSocket {
            if now >= self.deadline {
                self.queue
                    .push_back(Output::Transmit(super::websocket::ping(b"mailkit")));
                self.deadline = now + PING_EVERY;
            }
            return;
        }
        if now >= self.deadline && self.reading == Reading::Head {
            if !self.input.is_empty() {
                // A request was begun and never finished (RFC 9110 §15.5.9).
                self.error(408, "the request took too long to arrive");
            } else {
                self.close();
            }
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }

    /// When to call [`HttpSession::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some((at, _)) = &self.held {
            return Some(*at);
        }
        matches!(self.reading, Reading::Head | Reading::WebSocket).then_some(self.deadline)
    }

    /// Whether more input is welcome: not while a request is answered
    /// and enough input is held for the next (pipelining stays bounded).
    pub fn wants_input(&self) -> bool {
        match self.reading {
            Reading::Head | Reading::WebSocket => true,
            Reading::Answering { .. } => self.input.len() < self.cfg.max_head,
            Reading::Closed => false,
        }
    }

    /// The server is stopping: close once the request in flight is
    /// answered (`immediate`: now).
    pub fn shutdown(&mut self, immediate: bool) {
        if self.reading == Reading::WebSocket {
            // 1001: going away (RFC 6455 §7.4.1).
            self.queue
                .push_back(Output::Transmit(super::websocket::close(1001)));
            return self.close();
        }
        if immediate || self.reading == Reading::Head {
            self.close();
        }
    }

    /// Whether the connection is a WebSocket now.
    pub fn is_websocket(&self) -> bool {
        self.reading == Reading::WebSocket
    }

    /// Accepts the WebSocket handshake of the request in flight (the owner
    /// checked it with [`super::websocket::upgrade_key`]): `101` with the
    /// accept key and `headers`, then the connection carries frames.
    pub fn upgrade(&mut self, now: Instant, key: &[u8], headers: &[(String, String)]) {
        if !matches!(self.reading, Reading::Answering { .. }) {
            return;
        }
        let mut out = String::from(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
        );
        out.push_str(&format!(
            "Sec-WebSocket-Accept: {}\r\n",
            super::websocket::accept_key(key)
        ));
        for (n, v) in headers {
            if !n.contains(['\r', '\n', ':']) && !v.contains(['\r', '\n']) {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        out.push_str("\r\n");
        self.queue.push_back(Output::Transmit(out.into_bytes()));
        self.reading = Reading::WebSocket;
        self.ws = Some(super::websocket::Decoder::new(MAX_WS_MESSAGE));
        let early = std::mem::take(&mut self.input);
        self.deadline = now + PING_EVERY;
        if !early.is_empty() {
            self.frames(now, &early);
        }
    }

    /// Sends a WebSocket text message; a client whose backlog passed
    /// [`MAX_WS_BACKLOG`] is closed instead (1008, policy).
    pub fn send_text(&mut self, text: &str) {
        if self.reading != Reading::WebSocket {
            return;
        }
        if self.backlog > MAX_WS_BACKLOG {
            self.queue
                .push_back(Output::Transmit(super::websocket::close(1008)));
            return self.close();
        }
        let frame = super::websocket::text(text);
        self.backlog += frame.len();
        self.queue.push_back(Output::Transmit(frame));
    }

    /// Frames from a WebSocket client.
    fn frames(&mut self, _now: Instant, bytes: &[u8]) {
        use super::websocket::{close, pong, Incoming};
        let Some(ws) = self.ws.as_mut() else {
            return;
        };
        ws.push(bytes);
        while let Some(i) = self.ws.as_mut().and_then(|w| w.next_incoming()) {
            match i {
                Incoming::Message(m) => self.queue.push_back(Output::Event(Event::Message(m))),
                Incoming::Ping(p) => self.queue.push_back(Output::Transmit(pong(&p))),
                Incoming::Close(code) => {
                    // Echo the status (RFC 6455 §5.5.1); none means 1000.
                    let code = code.filter(|c| (1000..5000).contains(c)).unwrap_or(1000);
                    self.queue.push_back(Output::Transmit(close(code)));
                    return self.close();
                }
                Incoming::Fail(code) => {
                    self.queue.push_back(Output::Transmit(close(code)));
                    return self.close();
                }
            }
        }
    }

    /// Answers the request in flight at `at`, not before (a failed login
    /// answered after a delay, so passwords cannot be tried at full
    /// speed); the connection waits meanwhile.
    pub fn respond_at(&mut self, at: Instant, r: Response) {
        if matches!(self.reading, Reading::Answering { .. }) {
            self.held = Some((at, r));
        }
    }

    /// Answers the request in flight; the next pipelined request is read.
    pub fn respond(&mut self, now: Instant, r: Response) {
        let Reading::Answering {
            keep_alive,
            head_only,
        } = self.reading
        else {
            return;
        };
        let keep_alive = keep_alive && now < self.ends_at;
        self.write(&r, keep_alive, head_only);
        if keep_alive {
            self.reading = Reading::Head;
            self.deadline = (now + self.cfg.timeout).min(self.ends_at);
            self.process();
        } else {
            self.close();
        }
    }

    fn write(&mut self, r: &Response, keep_alive: bool, head_only: bool) {
        let mut out = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
        for (n, v) in &r.headers {
            // A value with a line break would split the response.
            if !n.contains(['\r', '\n', ':']) && !v.contains(['\r', '\n']) {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        let no_body = head_only || r.status == 204 || r.status == 304 || r.status < 200;
        if r.status != 204 && r.status >= 200 {
            out.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
        }
        if !keep_alive {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !no_body {
            bytes.extend_from_slice(&r.body);
        }
        self.queue.push_back(Output::Transmit(bytes));
    }

    fn close(&mut self) {
        if self.reading != Reading::Closed {
            self.reading = Reading::Closed;
            self.input.clear();
            self.queue.push_back(Output::Close);
        }
    }

    /// An error response for a request that cannot be framed, then close.
    fn error(&mut self, status: u16, text: &str) {
        let mut body = serde_json::json!({ "Error": text })
            .to_string()
            .into_bytes();
        body.push(b'\n');
        let r = Response::new(status, "application/json", body);
        self.write(&r, false, false);
        self.close();
    }

    /// Frames the next request if it is all here.
    fn process(&mut self) {
        if self.reading != Reading::Head {
            return;
        }
        // Blank lines before a request are ignored (RFC 9112 §2.2).
        let blank = self
            .input
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        self.input.drain(..blank);
        if self.input.is_empty() {
            return;
        }
        match frame(&self.input, &self.cfg) {
            Ok(None) => {}
            Ok(Some((req, used))) => {
                self.input.drain(..used);
                self.reading = Reading::Answering {
                    keep_alive: req.keep_alive(),
                    head_only: req.method == "HEAD",
                };
                self.queue.push_back(Output::Event(Event::Request(req)));
            }
            Err(Refuse(status, text)) => self.error(status, text),
        }
    }
}

/// One request from the front of `input`: the request and the octets it
/// took, or None when more are needed.
fn frame(input: &[u8], cfg: &HttpConfig) -> Result<Option<(Request, usize)>, Refuse> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if input.len() > cfg.max_head {
                return Err(Refuse(431, "the request head is too large"));
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => return Err(Refuse(431, "too many header fields")),
        Err(httparse::Error::Version) => {
            return Err(Refuse(505, "only HTTP/1.0 and HTTP/1.1 are spoken here"))
        }
        Err(_) => return Err(Refuse(400, "the request is not HTTP/1.1")),
    };
    if head > cfg.max_head {
        return Err(Refuse(431, "the request head is too large"));
    }
    let method = req.method.unwrap_or("").to_owned();
    let target = req.path.unwrap_or("");
    if !target.starts_with('/') {
        // Only origin-form (RFC 9112 §3.2.1); absolute-form is for proxies.
        return Err(Refuse(400, "the request target must be a path"));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target.to_owned(), None),
    };
    let http10 = req.version == Some(0);
    let headers: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
        .collect();
    let get = |name: &str| -> Vec<&[u8]> {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .collect()
    };
    let te = get("transfer-encoding");
    let cl = get("content-length");
    let rest = &input[head..];
    let (body, used) = if !te.is_empty() {
        // RFC 9112 §6.1: chunked must be the last coding; with
        // Content-Length too the message is suspect (smuggling): refuse.
        let last = te
            .iter()
            .flat_map(|v| v.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .rfind(|t| !t.is_empty())
            .unwrap_or(b"");
        if !last.eq_ignore_ascii_case(b"chunked") || !cl.is_empty() || http10 {
            return Err(Refuse(400, "unsupported Transfer-Encoding"));
        }
        match dechunk(rest, cfg.max_body)? {
            Some((body, n)) => (body, n),
            None => return Ok(None),
        }
    } else if !cl.is_empty() {
        // Several Content-Length fields must agree (RFC 9112 §6.3).
        let mut n: Option<usize> = None;
        for v in cl.iter().flat_map(|v| v.split(|&b| b == b',')) {
            let t = v.trim_ascii();
            let parsed = std::str::from_utf8(t)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or(Refuse(400, "bad Content-Length"))?;
            if n.is_some_and(|m| m != parsed) {
                return Err(Refuse(400, "conflicting Content-Length"));
            }
            n = Some(parsed);
        }
        let n = n.unwrap_or(0);
        if n > cfg.max_body {
            return Err(Refuse(413, "the request body is too large"));
        }
        if rest.len() < n {
            return Ok(None);
        }
        (rest[..n].to_vec(), n)
    } else {
        (Vec::new(), 0)
    };
    Ok(Some((
        Request {
            method,
            path,
            query,
            headers,
            body,
            http10,
        },
        head + used,
    )))
}

/// A chunked body (RFC 9112 §7.1) from the front of `input`: the decoded
/// body and the octets it took (trailer fields skipped), or None when
/// more are needed.
fn dechunk(input: &[u8], max: usize) -> Result<Option<(Vec<u8>, usize)>, Refuse> {
    let bad = Refuse(400, "bad chunked body");
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = memchr::memchr(b'\n', &input[at..]) else {
            if input.len() - at > 1024 {
                return Err(bad);
            }
            return Ok(None);
        };
        let line = input[at..at + eol].strip_suffix(b"\r").ok_or(bad)?;
        // Chunk extensions after ';' are ignored.
        let size = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or(b"")
            .trim_ascii();
        if size.is_empty() || size.len() > 8 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad);
        }
        let n = usize::from_str_radix(std::str::from_utf8(size).map_err(|_| bad)?, 16)
            .map_err(|_| bad)?;
        at += eol + 1;
        if n == 0 {
            // Trailer fields, then an empty line.
            loop {
                let Some(eol) = memchr::memchr(b'\n', &input[at..]) else {
                    if input.len() - at > 4096 {
                        return Err(bad);
                    }
                    return Ok(None);
                };
                let empty = eol == 0 || (eol == 1 && input[at] == b'\r');
                at += eol + 1;
                if empty {
                    return Ok(Some((body, at)));
                }
            }
        }
        if body.len() + n > max {
            return Err(Refuse(413, "the request body is too large"));
        }
        if input.len() < at + n + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&input[at..at + n]);
        at += n;
        if &input[at..at + 2] != b"\r\n" {
            return Err(bad);
        }
        at += 2;
    }
}

/// The reason phrase of a status code (RFC 9110 §15).
pub fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

impl crate::proto::Session for HttpSession {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        HttpSession::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        HttpSession::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        HttpSession::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        HttpSession::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        HttpSession::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        HttpSession::wants_input(self)
    }
    fn shutdown(&mut self, immediate: bool) {
        HttpSession::shutdown(self, immediate)
    }
    fn resume(&mut self, _now: Instant) -> bool {
        // The client read everything: its WebSocket backlog is empty.
        self.backlog = 0;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks`, answering each request with its path as the body;
    /// returns the requests and every octet written, and whether the
    /// session closed.
    fn run(chunks: &[&[u8]]) -> (Vec<Request>, Vec<u8>, bool) {
        let now = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), now);
        let (mut reqs, mut out, mut closed) = (Vec::new(), Vec::new(), false);
        for c in chunks {
            s.handle_input(now, c);
            while let Some(o) = s.poll_output() {
                match o {
                    Output::Transmit(b) => out.extend(b),
                    Output::Event(Event::Request(r)) => {
                        let body = r.path.clone().into_bytes();
                        reqs.push(r);
                        s.respond(now, Response::new(200, "text/plain", body));
                    }
                    Output::Close => closed = true,
                    _ => {}
                }
            }
        }
        (reqs, out, closed)
    }

    const PIPELINE: &[u8] = b"GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\nPOST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloPUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\nGET /last HTTP/1.1\r\nConnection: close\r\n\r\n";

    #[test]
    fn pipelined_requests_at_every_split_are_answered_in_order() {
        let (reqs, out, closed) = run(&[PIPELINE]);
        assert_eq!(reqs.len(), 4);
        assert_eq!(reqs[1].query.as_deref(), Some("b=c"));
        assert_eq!(reqs[1].body, b"hello");
        assert_eq!(reqs[2].body, b"abcde");
        assert_eq!(reqs[0].header("host"), Some(&b"x"[..]));
        assert!(closed, "Connection: close ends it");
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n/api/v1/info"), "{text}");
        assert!(
            text.ends_with("Content-Length: 5\r\nConnection: close\r\n\r\n/last"),
            "{text}"
        );
        for i in 0..PIPELINE.len() {
            let (r, o, c) = run(&[&PIPELINE[..i], &PIPELINE[i..]]);
            assert_eq!((r, &o, c), (reqs.clone(), &out, true), "split at {i}");
        }
    }

    #[test]
    fn bad_requests_get_their_status_and_the_connection_closes() {
        let cases: &[(&[u8], &str)] = &[
            (b"GARBAGE\r\n\r\n", "400"),
            (b"GET /x HTTP/2.0\r\n\r\n", "505"),
            (b"GET http://evil/ HTTP/1.1\r\n\r\n", "400"),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                "400",
            ),
            (
                b"POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
                "413",
            ),
            (
                b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                "400",
            ),
            (
                b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                "400",
            ),
            (
                b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "400",
            ),
        ];
        for (input, status) in cases {
            let (reqs, out, closed) = run(&[input]);
            let text = String::from_utf8_lossy(&out);
            assert!(reqs.is_empty(), "{text}");
            assert!(
                text.starts_with(&format!("HTTP/1.1 {status} ")),
                "{:?}: {text}",
                String::from_utf8_lossy(input)
            );
            assert!(text.contains("\"Error\""), "{text}");
            assert!(closed);
        }
        let huge = format!("GET /{} HTTP/1.1\r\n", "a".repeat(20_000));
        let (_, out, closed) = run(&[huge.as_bytes()]);
        assert!(
            out.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(closed);
    }

    #[test]
    fn http10_closes_head_has_no_body_and_values_cannot_split_a_response() {
        let (_, out, closed) = run(&[b"GET /a HTTP/1.0\r\n\r\n"]);
        assert!(closed);
        assert!(out.ends_with(b"Connection: close\r\n\r\n/a"));
        let (_, out, closed) = run(&[b"HEAD /abc HTTP/1.1\r\n\r\n"]);
        assert!(!closed);
        assert!(
            out.ends_with(b"Content-Length: 4\r\n\r\n"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        let now = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), now);
        s.handle_input(now, b"GET / HTTP/1.1\r\n\r\n");
        assert!(matches!(s.poll_output(), Some(Output::Event(_))));
        let mut r = Response::new(200, "text/plain", b"x".to_vec());
        r.headers
            .push(("X-Evil".into(), "a\r\nSet-Cookie: b".into()));
        s.respond(now, r);
        let Some(Output::Transmit(b)) = s.poll_output() else {
            panic!()
        };
        assert!(!String::from_utf8_lossy(&b).contains("Set-Cookie"));
    }

    #[test]
    fn an_unfinished_request_times_out_with_408_and_an_idle_one_quietly() {
        let now = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), now);
        s.handle_input(now, b"GET / HT");
        let t = s.poll_timeout().unwrap();
        s.handle_timeout(t);
        let Some(Output::Transmit(b)) = s.poll_output() else {
            panic!()
        };
        assert!(b.starts_with(b"HTTP/1.1 408 "));
        assert!(matches!(s.poll_output(), Some(Output::Close)));
        let mut s = HttpSession::new(HttpConfig::default(), now);
        s.handle_timeout(s.poll_timeout().unwrap());
        assert!(matches!(s.poll_output(), Some(Output::Close)));
    }

    /// A masked client frame (RFC 6455 §5.3) of `opcode` with `payload`.
    fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1u8, 2, 3, 4];
        let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    }

    #[test]
    fn a_websocket_upgrade_carries_frames_both_ways() {
        let t = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), t);
        let mut input = b"GET /api/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".to_vec();
        // A frame sent right behind the handshake is not lost.
        input.extend(client_frame(0x1, b"hi"));
        s.handle_input(t, &input);
        let Some(Output::Event(Event::Request(req))) = s.poll_output() else {
            panic!("no request");
        };
        let key = crate::proto::http::websocket::upgrade_key(&req).expect("a valid handshake");
        s.upgrade(t, &key, &[]);
        assert!(s.is_websocket());
        let Some(Output::Transmit(head)) = s.poll_output() else {
            panic!("no 101");
        };
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(matches!(s.poll_output(), Some(Output::Event(Event::Message(m))) if m == b"hi"));
        s.send_text("{}");
        assert!(matches!(s.poll_output(), Some(Output::Transmit(f)) if f == [0x81, 2, b'{', b'}']));
        s.handle_input(t, &client_frame(0x9, b"p"));
        assert!(matches!(s.poll_output(), Some(Output::Transmit(f)) if f == [0x8A, 1, b'p']));
        // Idle: a ping after PING_EVERY.
        assert_eq!(s.poll_timeout(), Some(t + PING_EVERY));
        s.handle_timeout(t + PING_EVERY);
        assert!(matches!(s.poll_output(), Some(Output::Transmit(f)) if f[0] == 0x89));
        s.handle_input(t, &client_frame(0x8, &1000u16.to_be_bytes()));
        assert!(matches!(s.poll_output(), Some(Output::Transmit(f)) if f == [0x88, 2, 0x03, 0xE8]));
        assert!(matches!(s.poll_output(), Some(Output::Close)));
    }

    #[test]
    fn a_dripping_client_is_cut_off_at_the_session_limit() {
        let t = Instant::now();
        let cfg = HttpConfig {
            timeout: Duration::from_secs(10),
            max_session: Duration::from_secs(25),
            ..HttpConfig::default()
        };
        let mut s = HttpSession::new(cfg, t);
        // One byte every 9 s keeps the idle timer happy ...
        for (i, b) in b"GET / HT".iter().enumerate() {
            let now = t + Duration::from_secs(9 * i as u64);
            if s.poll_timeout().is_some_and(|d| d <= now) {
                s.handle_timeout(now);
                break;
            }
            s.handle_input(now, &[*b]);
        }
        // ... but not past the session limit: 408 and closed.
        let mut out = Vec::new();
        let mut closed = false;
        while let Some(o) = s.poll_output() {
            match o {
                Output::Transmit(b) => out.extend(b),
                Output::Close => closed = true,
                _ => {}
            }
        }
        assert!(
            closed && out.starts_with(b"HTTP/1.1 408 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        // A busy keep-alive connection is told to close once past it.
        let mut s = HttpSession::new(cfg_with(Duration::from_secs(5)), t);
        s.handle_input(
            t + Duration::from_secs(6),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        let _ = s.poll_output();
        s.respond(
            t + Duration::from_secs(6),
            Response::new(200, "text/plain", b"ok".to_vec()),
        );
        let Some(Output::Transmit(head)) = s.poll_output() else {
            panic!("no response");
        };
        assert!(String::from_utf8_lossy(&head).contains("Connection: close\r\n"));
        assert!(matches!(s.poll_output(), Some(Output::Close)));
    }

    #[test]
    fn a_held_response_goes_out_at_its_time() {
        let t = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), t);
        s.handle_input(t, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(matches!(s.poll_output(), Some(Output::Event(_))));
        let at = t + Duration::from_millis(500);
        s.respond_at(at, Response::new(401, "text/plain", b"no".to_vec()));
        assert!(s.poll_output().is_none());
        assert_eq!(s.poll_timeout(), Some(at));
        s.handle_timeout(t + Duration::from_millis(499));
        assert!(s.poll_output().is_none());
        s.handle_timeout(at);
        assert!(
            matches!(s.poll_output(), Some(Output::Transmit(b)) if b.starts_with(b"HTTP/1.1 401 "))
        );
    }

    fn cfg_with(max_session: Duration) -> HttpConfig {
        HttpConfig {
            max_session,
            ..HttpConfig::default()
        }
    }

    #[test]
    fn a_websocket_client_that_never_reads_is_dropped() {
        let t = Instant::now();
        let mut s = HttpSession::new(HttpConfig::default(), t);
        s.handle_input(t, b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        let _ = s.poll_output();
        s.upgrade(t, b"dGhlIHNhbXBsZSBub25jZQ==", &[]);
        let big = "x".repeat(60_000);
        let mut closed = false;
        for _ in 0..200 {
            s.send_text(&big);
        }
        while let Some(o) = s.poll_output() {
            closed |= matches!(o, Output::Close);
        }
        assert!(closed, "the backlog is bounded");
    }
}

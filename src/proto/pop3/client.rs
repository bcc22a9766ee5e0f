//! The sans-IO POP3 client session (RFC 1939): commands in, status lines
//! and multi-line bodies (dot-unstuffed) out, one command at a time (no
//! PIPELINING needed). What to send is the owner's choice — `fetch` drives
//! login, UIDL/LIST, RETR, DELE and QUIT through it; `replay` can too.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::proto::line::{Line, LineBuffer};

/// Longest status or body line accepted (RFC 1939 allows 512 for status;
/// message lines can be up to 998 + CRLF, and real ones longer).
const MAX_LINE: usize = 64 * 1024;
/// Largest multi-line body held (a message).
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// A multi-line reply that grows by this much more gets a fresh deadline
/// (a large message on a slow link is progress; a byte now and then is not).
const BODY_PROGRESS: usize = 64 * 1024;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The greeting (`ok` false for `-ERR`); the text has the APOP
    /// timestamp, if any.
    Greeting {
        /// `+OK`?
        ok: bool,
        /// The text after the status.
        text: String,
    },
    /// The reply to the command sent with `tag`.
    Reply {
        /// The caller's tag.
        tag: u64,
        /// `+OK`?
        ok: bool,
        /// The status line's text.
        text: String,
        /// For a multi-line command answered `+OK`: the body, dot-unstuffed,
        /// CRLF line ends kept.
        body: Option<Vec<u8>>,
    },
    /// The connection ended (after QUIT, or not); `reason` when unexpected.
    Closed {
        /// Why, when it was not asked for.
        reason: Option<String>,
    },
}

/// One item of output.
pub type Output = crate::proto::Output<Event>;

#[derive(Debug)]
struct Pending {
    tag: u64,
    line: String,
    multi: bool,
}

/// One POP3 client session.
#[derive(Debug)]
pub struct Pop3Client {
    timeout: Duration,
    input: LineBuffer,
    greeted: bool,
    queue: VecDeque<Pending>,
    inflight: Option<Pending>,
    /// Status of the in-flight multi-line reply and its body so far.
    body: Option<(String, Vec<u8>)>,
    /// The body's length when the deadline was last extended.
    body_mark: usize,
    out: Vec<u8>,
    outputs: VecDeque<Output>,
    deadline: Option<Instant>,
    quitting: bool,
    done: bool,
}

impl Pop3Client {
    /// A session waiting for the greeting; `timeout` bounds each reply.
    pub fn new(timeout: Duration, now: Instant) -> Self {
        Pop3Client {
            timeout,
            input: LineBuffer::new(),
            greeted: false,
            queue: VecDeque::new(),
            inflight: None,
            body: None,
            body_mark: 0,
            out: Vec::new(),
            outputs: VecDeque::new(),
            deadline: Some(now + timeout),
            quitting: false,
            done: false,
        }
    }

    /// Queues a command; `multi` when a `+OK` reply has a body (LIST and
    /// UIDL without argument, RETR, TOP, CAPA).
    pub fn command(&mut self, tag: u64, line: &str, multi: bool, now: Instant) {
        if line.eq_ignore_ascii_case("QUIT") {
            self.quitting = true;
        }
        self.queue.push_back(Pending {
            tag,
            line: line.to_string(),
            multi,
        });
        self.pump(now);
    }

    fn pump(&mut self, now: Instant) {
        if !self.greeted || self.inflight.is_some() || self.done {
            return;
        }
        if let Some(p) = self.queue.pop_front() {
            self.out.extend_from_slice(p.line.as_bytes());
            self.out.extend_from_slice(b"\r\n");
            self.inflight = Some(p);
            self.deadline = Some(now + self.timeout);
        } else {
            self.deadline = None;
        }
    }

    fn emit(&mut self, e: Event) {
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.outputs.push_back(Output::Transmit(b));
        }
        self.outputs.push_back(Output::Event(e));
    }

    fn end(&mut self, reason: Option<String>) {
        if self.done {
            return;
        }
        self.done = true;
        self.emit(Event::Closed { reason });
        self.outputs.push_back(Output::Close);
    }

    /// After `+OK` to STLS: what follows goes through TLS (RFC 2595 §4).
    pub fn start_tls(&mut self) {
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.outputs.push_back(Output::Transmit(b));
        }
        self.outputs.push_back(Output::StartTls);
        self.input = LineBuffer::new();
    }

    /// Bytes from the server.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.input.extend(bytes);
        loop {
            let line = match self.input.next_line(MAX_LINE) {
                None => break,
                Some(Line::TooLong) => {
                    return self.end(Some("a line from the server is too long".into()))
                }
                Some(Line::Complete(l)) => l.to_vec(),
            };
            if let Some((_, body)) = &mut self.body {
                let Some(l) = crate::proto::dotstuff::decode_line(&line) else {
                    let (status, body) = self.body.take().unwrap_or_default();
                    let p = self.inflight.take();
                    self.emit(Event::Reply {
                        tag: p.map_or(0, |p| p.tag),
                        ok: true,
                        text: status,
                        body: Some(body),
                    });
                    self.pump(now);
                    continue;
                };
                if body.len() + l.len() + 2 > MAX_BODY {
                    return self.end(Some("a reply body is too large".into()));
                }
                body.extend_from_slice(l);
                body.extend_from_slice(b"\r\n");
                continue;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let (ok, rest) = if let Some(r) = text.strip_prefix("+OK") {
                (true, r.trim_start().to_string())
            } else if let Some(r) = text.strip_prefix("-ERR") {
                (false, r.trim_start().to_string())
            } else if text.starts_with('+') && self.inflight.is_some() {
                // A SASL continuation ("+ "): hand it up as a non-final OK.
                (true, text[1..].trim_start().to_string())
            } else {
                return self.end(Some(format!("not a POP3 reply: {text:?}")));
            };
            if !self.greeted {
                self.greeted = true;
                self.emit(Event::Greeting { ok, text: rest });
                if !ok {
                    return self.end(Some("the server refused the connection".into()));
                }
                self.pump(now);
                continue;
            }
            match self.inflight.as_ref() {
                None => return self.end(Some(format!("unexpected reply: {text:?}"))),
                Some(p) if p.multi && ok => {
                    self.body = Some((rest, Vec::new()));
                    self.body_mark = 0;
                }
                Some(_) => {
                    let p = self.inflight.take();
                    self.emit(Event::Reply {
                        tag: p.map_or(0, |p| p.tag),
                        ok,
                        text: rest,
                        body: None,
                    });
                    self.pump(now);
                }
            }
        }
        // The deadline runs per step (set when a command goes out), not
        // from the last byte: a server that drips a byte at a time cannot
        // hold the client past --timeout. A body that keeps arriving in
        // earnest (another BODY_PROGRESS bytes) earns more time.
        if let Some((_, body)) = &self.body {
            if body.len() >= self.body_mark + BODY_PROGRESS {
                self.body_mark = body.len();
                self.deadline = Some(now + self.timeout);
            }
        }
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, _now: Instant) {
        let asked = self.quitting && self.inflight.is_none() && self.queue.is_empty();
        self.end(if asked {
            None
        } else {
            Some("the server closed the connection".into())
        });
    }

    /// Call when [`Pop3Client::poll_timeout`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| now >= d) {
            self.end(Some("the server did not answer in time".into()));
        }
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(o) = self.outputs.pop_front() {
            return Some(o);
        }
        if !self.out.is_empty() {
            return Some(Output::Transmit(std::mem::take(&mut self.out)));
        }
        None
    }

    /// When to call [`Pop3Client::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done {
            None
        } else {
            self.deadline
        }
    }
}

impl crate::proto::Session for Pop3Client {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        Pop3Client::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        Pop3Client::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Pop3Client::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        Pop3Client::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Pop3Client::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        !self.done
    }
    fn shutdown(&mut self, _immediate: bool) {
        self.end(Some("interrupted".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(c: &mut Pop3Client) -> (Vec<u8>, Vec<Event>, bool) {
        let (mut wire, mut events, mut closed) = (Vec::new(), Vec::new(), false);
        while let Some(o) = c.poll_output() {
            match o {
                Output::Transmit(b) => wire.extend(b),
                Output::Event(e) => events.push(e),
                Output::StartTls | Output::Body(_) => {}
                Output::Close => closed = true,
            }
        }
        (wire, events, closed)
    }

    #[test]
    fn commands_one_at_a_time_and_bodies_unstuffed() {
        let now = Instant::now();
        let mut c = Pop3Client::new(Duration::from_secs(5), now);
        c.command(1, "USER bob", false, now);
        c.command(2, "RETR 1", true, now);
        assert!(drain(&mut c).0.is_empty(), "nothing before the greeting");
        c.handle_input(now, b"+OK ready <1.2@h>\r\n");
        let (wire, events, _) = drain(&mut c);
        assert_eq!(wire, b"USER bob\r\n");
        assert_eq!(
            events,
            [Event::Greeting {
                ok: true,
                text: "ready <1.2@h>".into()
            }]
        );
        // Split across reads, with a stuffed dot and a lone-dot lookalike.
        c.handle_input(now, b"+OK\r\n+OK 12 oct");
        c.handle_input(now, b"ets\r\nSubject: x\r\n\r\n..dot\r\n");
        c.handle_input(now, b".\r\n");
        let (wire, events, _) = drain(&mut c);
        assert_eq!(wire, b"RETR 1\r\n");
        assert_eq!(
            events[0],
            Event::Reply {
                tag: 1,
                ok: true,
                text: "".into(),
                body: None
            }
        );
        assert_eq!(
            events[1],
            Event::Reply {
                tag: 2,
                ok: true,
                text: "12 octets".into(),
                body: Some(b"Subject: x\r\n\r\n.dot\r\n".to_vec())
            }
        );
        c.command(3, "QUIT", false, now);
        c.handle_input(now, b"+OK bye\r\n");
        c.handle_eof(now);
        let (_, events, closed) = drain(&mut c);
        assert_eq!(events.last(), Some(&Event::Closed { reason: None }));
        assert!(closed);
    }

    #[test]
    fn errors_and_garbage() {
        let now = Instant::now();
        let mut c = Pop3Client::new(Duration::from_secs(5), now);
        c.command(1, "LIST", true, now);
        c.handle_input(now, b"+OK\r\n-ERR no\r\n");
        let (_, events, _) = drain(&mut c);
        assert_eq!(
            events[1],
            Event::Reply {
                tag: 1,
                ok: false,
                text: "no".into(),
                body: None
            }
        );
        c.handle_input(now, b"HTTP/1.1 400\r\n");
        let (_, events, closed) = drain(&mut c);
        assert!(matches!(&events[0], Event::Closed { reason: Some(_) }));
        assert!(closed);
        let mut c = Pop3Client::new(Duration::from_secs(5), now);
        c.handle_timeout(now + Duration::from_secs(6));
        assert!(matches!(
            drain(&mut c).1[0],
            Event::Closed { reason: Some(_) }
        ));
    }
}

#[cfg(test)]
mod pair_tests {
    //! The client against the server session in memory, split at odd sizes.
    use super::*;
    use crate::proto::pop3::server::{self, Listed, Pop3Config, Pop3Session};

    const MSGS: [&[u8]; 2] = [b"Subject: a\n\n.dot\nbody\n", b"Subject: b\r\n\r\nx\r\n"];

    /// The UPDATE requests the server saw: (deleted, seen).
    type Updates = Vec<(Vec<usize>, Vec<usize>)>;

    fn run(chunk: usize) -> (Vec<Event>, Updates) {
        let now = Instant::now();
        let cfg = Pop3Config {
            hostname: "h".into(),
            timeout: Duration::from_secs(60),
            max_session_time: Duration::from_secs(3600),
            output_budget: crate::proto::OUTPUT_BUDGET,
            apop: false,
            auth_delay: Duration::ZERO,
            max_auth_failures: 3,
            stls: false,
            login_without_tls: true,
        };
        let mut s = Pop3Session::new(cfg, "1", now);
        let mut c = Pop3Client::new(Duration::from_secs(60), now);
        for (i, (line, multi)) in [
            ("USER bob", false),
            ("PASS pw", false),
            ("UIDL", true),
            ("RETR 1", true),
            ("TOP 2 0", true),
            ("DELE 2", false),
            ("QUIT", false),
        ]
        .iter()
        .enumerate()
        {
            c.command(i as u64, line, *multi, now);
        }
        let (mut to_c, mut to_s, mut events, mut updates) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut s_closed, mut c_closed) = (false, false);
        for _ in 0..100_000 {
            while let Some(o) = s.poll_output() {
                match o {
                    server::Output::Transmit(b) => to_c.extend(b),
                    server::Output::Body(mut b) => while !b.fill(&mut to_c, 5).unwrap() {},
                    server::Output::StartTls => {}
                    server::Output::Close => s_closed = true,
                    server::Output::Event(server::Event::Authenticate(_)) => {
                        let l = MSGS
                            .iter()
                            .enumerate()
                            .map(|(i, m)| Listed {
                                uid: format!("u{i}"),
                                size: (crate::util::crlf_size(m) as u64),
                            })
                            .collect();
                        s.authenticated(Ok(("bob".into(), l)));
                    }
                    server::Output::Event(server::Event::Retrieve { index, top }) => s.retrieved(
                        index,
                        top,
                        Ok(Box::new(std::io::Cursor::new(MSGS[index].to_vec()))),
                    ),
                    server::Output::Event(server::Event::Update { delete, seen }) => {
                        updates.push((delete.clone(), seen));
                        s.updated(Ok(1));
                    }
                }
            }
            while let Some(o) = c.poll_output() {
                match o {
                    Output::Transmit(b) => to_s.extend(b),
                    Output::Event(e) => events.push(e),
                    Output::StartTls | Output::Body(_) => {}
                    Output::Close => c_closed = true,
                }
            }
            if c_closed {
                break;
            }
            if to_c.is_empty() && to_s.is_empty() {
                assert!(s_closed, "stuck");
                c.handle_eof(now);
                continue;
            }
            let part: Vec<u8> = to_s.drain(..to_s.len().min(chunk)).collect();
            if !part.is_empty() {
                s.handle_input(now, &part);
            }
            let part: Vec<u8> = to_c.drain(..to_c.len().min(chunk)).collect();
            if !part.is_empty() {
                c.handle_input(now, &part);
            }
        }
        (events, updates)
    }

    #[test]
    fn client_and_server_agree_at_any_split() {
        let (whole, updates) = run(1 << 20);
        assert_eq!(updates, vec![(vec![1], vec![0])]);
        let bodies: Vec<Vec<u8>> = whole
            .iter()
            .filter_map(|e| match e {
                Event::Reply { body: Some(b), .. } => Some(b.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            bodies,
            [
                b"1 u0\r\n2 u1\r\n".to_vec(),
                b"Subject: a\r\n\r\n.dot\r\nbody\r\n".to_vec(),
                b"Subject: b\r\n\r\n".to_vec()
            ]
        );
        assert_eq!(whole.last(), Some(&Event::Closed { reason: None }));
        for chunk in [1, 2, 3, 7, 13] {
            assert_eq!(run(chunk).0, whole, "chunk {chunk}");
        }
    }
}

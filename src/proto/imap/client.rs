//! The sans-IO IMAP client session (RFC 9051/3501): commands in (the
//! owner writes their text, literals as LITERAL+ `{n+}`), each server
//! response out as it is parsed (by `imap-codec`'s `ResponseCodec`, framed
//! by [`super::frame::Framer`]), and the tagged status that ends each
//! command.
//! Commands go out one at a time, but for those the owner marks as
//! pipelined, which may follow each other without waiting (RFC 9051
//! §5.5). `fetch --protocol imap` drives it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use imap_codec::decode::Decoder;
use imap_codec::imap_types::response::{Code, Response, Status, StatusKind};
use imap_codec::{GreetingCodec, ResponseCodec};
use imap_types::IntoStatic;

use super::frame::{Framer, TooLarge};

/// Largest response held (a FETCH of one message with its literal).
pub const MAX_RESPONSE: usize = 256 * 1024 * 1024;

/// What happened.
#[derive(Debug)]
pub enum Event {
    /// The greeting: OK (or PREAUTH) and its text, or a refusal.
    Greeting {
        /// OK or PREAUTH?
        ok: bool,
        /// Its text (without the response code).
        text: String,
        /// The capabilities of a `[CAPABILITY ...]` code, upper case.
        capabilities: Vec<String>,
    },
    /// An untagged response (data or status) while a command runs.
    Untagged(Response<'static>),
    /// A continuation request (`+`), e.g. after IDLE.
    Continue,
    /// The command with `tag` completed.
    Done {
        /// The owner's tag number.
        tag: u64,
        /// OK, NO or BAD.
        kind: StatusKind,
        /// The human-readable text.
        text: String,
    },
    /// The connection ended; `reason` when it was not asked for.
    Closed {
        /// Why.
        reason: Option<String>,
    },
}

/// One item of output.
pub type Output = crate::proto::Output<Event>;

/// One IMAP client session.
#[derive(Debug)]
pub struct ImapClient {
    timeout: Duration,
    frag: Framer,
    greeted: bool,
    /// Commands not yet sent: tag, text, whether it may be pipelined.
    queue: VecDeque<(u64, Vec<u8>, bool)>,
    /// Commands sent and not yet answered, oldest first.
    inflight: VecDeque<u64>,
    /// Whether every command in flight was pipelined.
    inflight_pipelined: bool,
    out: Vec<u8>,
    outputs: VecDeque<Output>,
    deadline: Option<Instant>,
    logging_out: bool,
    done: bool,
}

/// The wire tag of tag number `n`.
fn tag_text(n: u64) -> String {
    format!("m{n}")
}

impl ImapClient {
    /// A session waiting for the greeting; `timeout` bounds each reply.
    pub fn new(timeout: Duration, now: Instant) -> ImapClient {
        ImapClient {
            timeout,
            frag: Framer::new(MAX_RESPONSE),
            greeted: false,
            queue: VecDeque::new(),
            inflight: VecDeque::new(),
            inflight_pipelined: true,
            out: Vec::new(),
            outputs: VecDeque::new(),
            deadline: Some(now + timeout),
            logging_out: false,
            done: false,
        }
    }

    /// Queues a command (`text` without tag or CRLF); it goes out when
    /// every earlier command has been answered.
    pub fn command(&mut self, tag: u64, text: &[u8], now: Instant) {
        self.queue_command(tag, text, false, now);
    }

    /// Queues a command that may go out while earlier pipelined ones are
    /// still running (RFC 9051 §5.5: e.g. UID FETCHes of different
    /// messages); the answers still come back in order.
    pub fn command_pipelined(&mut self, tag: u64, text: &[u8], now: Instant) {
        self.queue_command(tag, text, true, now);
    }

    /// How many commands are sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    fn queue_command(&mut self, tag: u64, text: &[u8], pipelined: bool, now: Instant) {
        if text.eq_ignore_ascii_case(b"LOGOUT") {
            self.logging_out = true;
        }
        self.queue.push_back((tag, text.to_vec(), pipelined));
        self.pump(now);
    }

    /// Sends raw bytes at once (IDLE's `DONE`).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn pump(&mut self, now: Instant) {
        if !self.greeted || self.done {
            return;
        }
        while let Some((_, _, pipelined)) = self.queue.front() {
            let may = self.inflight.is_empty() || (*pipelined && self.inflight_pipelined);
            if !may {
                break;
            }
            let Some((tag, text, pipelined)) = self.queue.pop_front() else {
                break;
            };
            self.out.extend_from_slice(tag_text(tag).as_bytes());
            self.out.push(b' ');
            self.out.extend_from_slice(&text);
            self.out.extend_from_slice(b"\r\n");
            if self.inflight.is_empty() {
                self.inflight_pipelined = true;
            }
            self.inflight_pipelined &= pipelined;
            self.inflight.push_back(tag);
            self.deadline = Some(now + self.timeout);
        }
        if self.inflight.is_empty() {
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

    /// After OK to STARTTLS: what follows goes through TLS (RFC 9051
    /// §6.2.1); anything the server sent before the handshake is dropped.
    pub fn start_tls(&mut self) {
        if !self.out.is_empty() {
            let b = std::mem::take(&mut self.out);
            self.outputs.push_back(Output::Transmit(b));
        }
        self.outputs.push_back(Output::StartTls);
        self.frag = Framer::new(MAX_RESPONSE);
    }

    /// Bytes from the server.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.frag.push(bytes);
        loop {
            let msg = match self.frag.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(TooLarge) => {
                    return self.end(Some("a response from the server is too large".into()))
                }
            };
            // Progress (a whole response) earns the command more time.
            if !self.inflight.is_empty() {
                self.deadline = Some(now + self.timeout);
            }
            if !self.greeted {
                match GreetingCodec::default().decode(&msg) {
                    Ok((_, g)) => {
                        use imap_codec::imap_types::response::GreetingKind;
                        let ok = g.kind != GreetingKind::Bye;
                        let text = g.text.to_string();
                        let capabilities = match &g.code {
                            Some(Code::Capability(caps)) => caps
                                .as_ref()
                                .iter()
                                .map(|c| c.to_string().to_ascii_uppercase())
                                .collect(),
                            _ => Vec::new(),
                        };
                        self.greeted = true;
                        self.emit(Event::Greeting {
                            ok,
                            text,
                            capabilities,
                        });
                        if !ok {
                            return self.end(Some("the server refused the connection".into()));
                        }
                        self.pump(now);
                    }
                    Err(_) => {
                        let t = String::from_utf8_lossy(&msg).trim_end().to_string();
                        return self.end(Some(format!("not an IMAP greeting: {t:?}")));
                    }
                }
                continue;
            }
            let r = match ResponseCodec::default().decode(&msg) {
                Ok((_, r)) => r.into_static(),
                Err(_) => {
                    // Not understood: skipped, as RFC 9051 §7 asks clients
                    // to do with responses they do not know.
                    continue;
                }
            };
            match r {
                Response::Status(Status::Tagged(t)) => {
                    let tag = self.inflight.pop_front().unwrap_or(0);
                    if t.tag.inner() != tag_text(tag) {
                        return self.end(Some(format!(
                            "the server answered tag {} while {} was waiting",
                            t.tag.inner(),
                            tag_text(tag)
                        )));
                    }
                    let text = t.body.text.to_string();
                    self.emit(Event::Done {
                        tag,
                        kind: t.body.kind,
                        text,
                    });
                    self.pump(now);
                }
                Response::Status(Status::Bye(b)) => {
                    if !self.logging_out {
                        let text = b.text.to_string();
                        return self.end(Some(format!("the server said goodbye: {text}")));
                    }
                }
                Response::CommandContinuationRequest(_) => self.emit(Event::Continue),
                other => self.emit(Event::Untagged(other)),
            }
        }
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, _now: Instant) {
        let asked = self.logging_out && self.queue.is_empty();
        self.end(if asked {
            None
        } else {
            Some("the server closed the connection".into())
        });
    }

    /// Call when [`ImapClient::poll_timeout`] has passed.
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

    /// When to call [`ImapClient::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done {
            None
        } else {
            self.deadline
        }
    }
}

impl crate::proto::Session for ImapClient {
    type Event = Event;
    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        ImapClient::handle_input(self, now, bytes)
    }
    fn handle_eof(&mut self, now: Instant) {
        ImapClient::handle_eof(self, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        ImapClient::handle_timeout(self, now)
    }
    fn poll_output(&mut self) -> Option<Output> {
        ImapClient::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        ImapClient::poll_timeout(self)
    }
    fn wants_input(&self) -> bool {
        !self.done
    }
    fn shutdown(&mut self, _immediate: bool) {
        self.end(Some("interrupted".into()));
    }
}

/// `s` as an IMAP astring argument: a quoted string when it can be one,
/// else a LITERAL+ literal (RFC 7888).
pub fn astring(s: &str) -> Vec<u8> {
    let quotable = s.len() < 1024 && s.bytes().all(|b| (0x20..0x7f).contains(&b));
    let mut out = Vec::new();
    if quotable {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(format!("{{{}+}}\r\n", s.len()).as_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_codec::imap_types::response::Data;

    fn drain(c: &mut ImapClient) -> (Vec<u8>, Vec<Event>) {
        let (mut out, mut ev) = (Vec::new(), Vec::new());
        while let Some(o) = c.poll_output() {
            match o {
                Output::Transmit(b) => out.extend(b),
                Output::Event(e) => ev.push(e),
                _ => {}
            }
        }
        (out, ev)
    }

    #[test]
    fn commands_one_at_a_time_and_responses_with_literals_split_anywhere() {
        let now = Instant::now();
        let reply: &[u8] = b"* OK [CAPABILITY IMAP4rev1] hi\r\nm1 OK logged in\r\n* 1 FETCH (UID 7 BODY[] {5}\r\nab\r\nc)\r\nm2 OK done\r\n";
        for cut in 0..reply.len() {
            let mut c = ImapClient::new(Duration::from_secs(5), now);
            c.command(1, b"LOGIN \"bob\" \"x\"", now);
            c.command(2, b"UID FETCH 1:* (UID BODY.PEEK[])", now);
            assert!(drain(&mut c).0.is_empty(), "nothing before the greeting");
            c.handle_input(now, &reply[..cut]);
            c.handle_input(now, &reply[cut..]);
            let (out, ev) = drain(&mut c);
            assert_eq!(
                out,
                b"m1 LOGIN \"bob\" \"x\"\r\nm2 UID FETCH 1:* (UID BODY.PEEK[])\r\n"
            );
            let Event::Greeting {
                ok: true,
                capabilities,
                ..
            } = &ev[0]
            else {
                panic!("{:?}", ev[0]);
            };
            assert_eq!(capabilities, &["IMAP4REV1"]);
            assert!(matches!(
                ev[1],
                Event::Done {
                    tag: 1,
                    kind: StatusKind::Ok,
                    ..
                }
            ));
            let Event::Untagged(Response::Data(Data::Fetch { seq, .. })) = &ev[2] else {
                panic!("{:?}", ev[2]);
            };
            assert_eq!(seq.get(), 1);
            assert!(matches!(ev[3], Event::Done { tag: 2, .. }), "{ev:?}");
        }
    }

    #[test]
    fn pipelined_commands_go_out_together_and_others_wait() {
        let now = Instant::now();
        let mut c = ImapClient::new(Duration::from_secs(5), now);
        c.handle_input(now, b"* OK hi\r\n");
        c.command_pipelined(1, b"UID FETCH 1 BODY.PEEK[]", now);
        c.command_pipelined(2, b"UID FETCH 2 BODY.PEEK[]", now);
        c.command(3, b"LOGOUT", now);
        c.command_pipelined(4, b"NOOP", now);
        assert_eq!(c.in_flight(), 2);
        let (out, _) = drain(&mut c);
        assert_eq!(
            out,
            b"m1 UID FETCH 1 BODY.PEEK[]\r\nm2 UID FETCH 2 BODY.PEEK[]\r\n"
        );
        c.handle_input(now, b"m1 OK a\r\n");
        assert!(drain(&mut c).0.is_empty(), "LOGOUT waits for every answer");
        c.handle_input(now, b"m2 OK b\r\n");
        let (out, ev) = drain(&mut c);
        assert_eq!(out, b"m3 LOGOUT\r\n", "and what follows waits for it");
        assert!(matches!(ev[0], Event::Done { tag: 2, .. }), "{ev:?}");
        c.handle_input(now, b"m3 OK bye\r\n");
        assert_eq!(drain(&mut c).0, b"m4 NOOP\r\n");
        // An answer out of order ends the session.
        c.command_pipelined(5, b"NOOP", now);
        c.handle_input(now, b"m5 OK x\r\n");
        assert!(drain(&mut c)
            .1
            .iter()
            .any(|e| matches!(e, Event::Closed { reason: Some(_) })));
    }

    #[test]
    fn arguments_are_quoted_or_literal() {
        assert_eq!(astring("a \"b\""), b"\"a \\\"b\\\"\"");
        assert_eq!(astring("café"), b"{5+}\r\ncaf\xc3\xa9");
    }
}

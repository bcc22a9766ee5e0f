//! Plays the client side of a transcript: sends each run of `C:` lines in
//! one write (pipelined as recorded), reads the server's replies and
//! compares them with the `S:` lines. On the first mismatch it reports the
//! line and leaves politely (QUIT; for POP3 RSET first, so no DELE is
//! committed; nothing after an unexpected 354, so no message is sent).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::{asks_for_tls, grants_tls, show, verb, Event, Mismatch, Settings, Verdict, MAX_LINE};
use crate::proto::line::{Line, LineBuffer};
use crate::proto::{Output, Session};
use crate::transcript::parse::{Item, Protocol, Transcript, Who};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wait {
    /// Working through steps.
    Nothing,
    /// A reply is due by the deadline.
    Reply,
    /// A `# +SECONDS` pause until the deadline.
    Delay,
}

/// The client-side player (a [`Session`] for an outbound connection).
pub struct ClientPlayer {
    t: Arc<Transcript>,
    s: Settings,
    pos: usize,
    input: LineBuffer,
    out: VecDeque<Output<Event>>,
    wait: Wait,
    deadline: Option<Instant>,
    /// Client lines sent whose replies are still to be read (POP3, IMAP).
    sent: VecDeque<Vec<u8>>,
    /// Server lines read so far for the reply being assembled.
    got: Vec<Vec<u8>>,
    /// POP3: the status line was read and a body follows.
    body: bool,
    /// IMAP: literal octets still to read inside the current line.
    literal: usize,
    /// IMAP: the line being assembled around literals.
    partial: Vec<u8>,
    /// The last complete reply the server gave (to leave politely).
    last_reply: Vec<u8>,
    done: bool,
}

/// Largest IMAP literal accepted in a reply.
const MAX_LITERAL: usize = 64 << 20;
/// Lines of one reply kept for comparison (a RETR body may be longer; the
/// rest is read and dropped).
const MAX_KEPT: usize = 100_000;

impl ClientPlayer {
    /// A player for `t`, starting now (the greeting is due by the timeout).
    pub fn new(t: Arc<Transcript>, s: Settings, now: Instant) -> ClientPlayer {
        let mut p = ClientPlayer {
            t,
            s,
            pos: 0,
            input: LineBuffer::new(),
            out: VecDeque::new(),
            wait: Wait::Nothing,
            deadline: None,
            sent: VecDeque::new(),
            got: Vec::new(),
            body: false,
            literal: 0,
            partial: Vec::new(),
            last_reply: Vec::new(),
            done: false,
        };
        p.advance(now);
        p
    }

    fn finish(&mut self, v: Verdict) {
        if self.done {
            return;
        }
        self.done = true;
        self.wait = Wait::Nothing;
        self.deadline = None;
        let failed = matches!(v, Verdict::Fail(_));
        self.out.push_back(Output::Event(Event::Done(v)));
        if failed {
            let bye: &[u8] = match self.t.protocol {
                Protocol::Smtp if self.last_reply.starts_with(b"354") => b"",
                Protocol::Smtp => b"QUIT\r\n",
                Protocol::Pop3 => b"RSET\r\nQUIT\r\n",
                Protocol::Imap => b"ZZ LOGOUT\r\n",
            };
            if !bye.is_empty() {
                self.out.push_back(Output::Transmit(bye.to_vec()));
            }
        }
        self.out.push_back(Output::Close);
    }

    fn fail(&mut self, line: usize, expected: String, got: String) {
        self.finish(Verdict::Fail(Mismatch {
            line,
            expected,
            got,
        }));
    }

    fn item(&self, i: usize) -> Option<&Item> {
        self.t.items.get(i)
    }

    fn server_line(&self, i: usize) -> Option<(usize, &[u8])> {
        match self.item(i) {
            Some(Item::Line {
                line,
                who: Who::Server,
                text,
            }) => Some((*line, text.as_slice())),
            _ => None,
        }
    }

    /// Runs steps until one needs the peer or time.
    fn advance(&mut self, now: Instant) {
        while !self.done {
            match self.item(self.pos).cloned() {
                None => return self.finish(Verdict::Pass),
                Some(Item::Delay { seconds, .. }) => {
                    self.pos += 1;
                    if self.s.delay && seconds > 0.0 {
                        self.wait = Wait::Delay;
                        self.deadline = Some(now + std::time::Duration::from_secs_f64(seconds));
                        return;
                    }
                }
                Some(Item::Line {
                    who: Who::Client, ..
                }) => {
                    let mut bytes = Vec::new();
                    while let Some(Item::Line {
                        who: Who::Client,
                        text,
                        line,
                    }) = self.item(self.pos).cloned()
                    {
                        bytes.extend_from_slice(&text);
                        bytes.extend_from_slice(b"\r\n");
                        if self.t.protocol == Protocol::Pop3 {
                            let text = text.clone();
                            self.sent.push_back(text);
                        }
                        self.pos += 1;
                        // BDAT (RFC 3030): the chunk's octets follow as
                        // they are, its size taken from the command.
                        if let Some(n) = (self.t.protocol == Protocol::Smtp)
                            .then(|| super::bdat_size(&text))
                            .flatten()
                        {
                            match super::chunk_from(&self.t, self.pos, n) {
                                Ok((chunk, used)) => {
                                    bytes.extend_from_slice(&chunk);
                                    self.pos += used;
                                }
                                Err(why) => {
                                    return self.fail(line, why, "a transcript that adds up".into())
                                }
                            }
                        }
                    }
                    self.out.push_back(Output::Transmit(bytes));
                }
                Some(Item::Line {
                    who: Who::Server, ..
                }) => {
                    if !self.read_reply() {
                        if self.wait != Wait::Reply {
                            self.wait = Wait::Reply;
                            self.deadline = Some(now + self.s.timeout);
                        }
                        return;
                    }
                    self.wait = Wait::Nothing;
                    self.deadline = None;
                }
            }
        }
    }

    /// Next server line; for IMAP a line with literals (`{N}` then N
    /// octets) comes whole. `None` until one is buffered; `Err` for a line
    /// or literal over the limits.
    fn next_line(&mut self) -> Option<Result<Vec<u8>, ()>> {
        loop {
            if self.literal > 0 {
                let take = self.literal.min(self.input.len());
                if take == 0 {
                    return None;
                }
                self.partial
                    .extend_from_slice(&self.input.pending()[..take]);
                self.input.consume(take);
                self.literal -= take;
                if self.literal > 0 {
                    return None;
                }
            }
            let l = match self.input.next_line(MAX_LINE) {
                None => return None,
                Some(Line::TooLong) => return Some(Err(())),
                Some(Line::Complete(l)) => l.to_vec(),
            };
            self.partial.extend_from_slice(&l);
            if self.t.protocol == Protocol::Imap {
                if let Some(n) = imap_literal(&l) {
                    if n > MAX_LITERAL {
                        return Some(Err(()));
                    }
                    self.partial.extend_from_slice(b"\r\n");
                    self.literal = n;
                    continue;
                }
            }
            return Some(Ok(std::mem::take(&mut self.partial)));
        }
    }

    /// Reads lines into `got` until `complete` says the reply is whole.
    /// `Some(false)` when more input is needed, `Some(true)` when whole,
    /// `None` after a failure was reported.
    fn collect(&mut self, mut complete: impl FnMut(&mut Self, &[u8]) -> bool) -> Option<bool> {
        loop {
            match self.next_line() {
                None => return Some(false),
                Some(Err(())) => {
                    let (line, exp) = self.expected_here();
                    self.fail(line, exp, "a line over the length limit".into());
                    return None;
                }
                Some(Ok(l)) => {
                    let whole = complete(self, &l);
                    if self.got.len() < MAX_KEPT {
                        self.got.push(l);
                    }
                    if whole {
                        return Some(true);
                    }
                }
            }
        }
    }

    /// The transcript line and text expected at `pos`.
    fn expected_here(&self) -> (usize, String) {
        match self.item(self.pos) {
            Some(Item::Line { line, text, .. }) => (*line, show(text)),
            Some(Item::Delay { line, .. }) => (*line, "a pause".into()),
            None => (0, "the end".into()),
        }
    }

    /// Reads and checks one reply; true when done with it (matched or failed).
    fn read_reply(&mut self) -> bool {
        match self.t.protocol {
            Protocol::Smtp => self.smtp_reply(),
            Protocol::Pop3 => self.pop3_reply(),
            Protocol::Imap => self.imap_reply(),
        }
    }

    /// Expected S: lines from `pos` up to and including the first for
    /// which `last` holds (or the last S: line of the run).
    fn expected_group(
        &self,
        mut last: impl FnMut(&[u8]) -> bool,
    ) -> (usize, Vec<(usize, Vec<u8>)>) {
        let mut end = self.pos;
        let mut lines = Vec::new();
        while let Some((n, t)) = self.server_line(end) {
            lines.push((n, t.to_vec()));
            end += 1;
            if last(t) {
                break;
            }
        }
        (end, lines)
    }

    /// IMAP: the expected S: lines from `pos` as logical lines (a line
    /// ending in `{N}` continues through its N literal octets, which the
    /// transcript shows as further lines), up to the first logical line
    /// that is not untagged (`* `).
    fn imap_expected_group(&self) -> (usize, Vec<(usize, Vec<u8>)>) {
        let mut end = self.pos;
        let mut out = Vec::new();
        while let Some((n, t)) = self.server_line(end) {
            end += 1;
            let mut acc = t.to_vec();
            let mut tail = t.to_vec();
            while let Some(mut lit) = imap_literal(&tail) {
                acc.extend_from_slice(b"\r\n");
                tail.clear();
                while let Some((_, next)) = self.server_line(end) {
                    end += 1;
                    acc.extend_from_slice(next);
                    if next.len() + 2 <= lit {
                        acc.extend_from_slice(b"\r\n");
                        lit -= next.len() + 2;
                        if lit == 0 {
                            // The line goes on after the literal, on the next line.
                            if let Some((_, cont)) = self.server_line(end) {
                                end += 1;
                                acc.extend_from_slice(cont);
                                tail = cont.to_vec();
                            }
                            break;
                        }
                    } else {
                        tail = next.get(lit..).unwrap_or_default().to_vec();
                        break;
                    }
                }
            }
            let last = !acc.starts_with(b"* ");
            out.push((n, acc));
            if last {
                break;
            }
        }
        (end, out)
    }

    fn settle(&mut self, end: usize, expected: &[(usize, Vec<u8>)], ok: bool) -> bool {
        let got = std::mem::take(&mut self.got);
        self.last_reply = got.last().cloned().unwrap_or_default();
        let (line, exp) = expected
            .last()
            .map(|(n, t)| (*n, t.clone()))
            .unwrap_or_default();
        let strict_ok = !self.s.strict
            || (got.len() == expected.len() && got.iter().zip(expected).all(|(g, (_, e))| g == e));
        if ok && strict_ok {
            // The answer to a STARTTLS/STLS: everything after goes in TLS.
            let asked = super::line_before(&self.t, self.pos);
            if let Some((Who::Client, cmd)) = asked {
                if asks_for_tls(self.t.protocol, &cmd)
                    && grants_tls(self.t.protocol, &self.last_reply)
                {
                    self.out.push_back(Output::StartTls);
                    self.input = LineBuffer::new();
                }
            }
            self.pos = end;
            return true;
        }
        // Under --strict, name the first line that differs.
        if ok {
            for (i, (n, e)) in expected.iter().enumerate() {
                let g = got.get(i).map_or_else(|| "nothing".to_owned(), |g| show(g));
                if got.get(i) != Some(e) {
                    self.fail(*n, show(e), g);
                    return true;
                }
            }
            let extra = got
                .get(expected.len())
                .map_or_else(String::new, |g| show(g));
            self.fail(
                line,
                format!("{} after {}", "nothing more", show(&exp)),
                extra,
            );
            return true;
        }
        let g = got.last().map_or_else(|| "nothing".to_owned(), |g| show(g));
        self.fail(line, show(&exp), g);
        true
    }

    fn smtp_reply(&mut self) -> bool {
        let final_line = |t: &[u8]| !(t.len() >= 4 && t[3] == b'-');
        match self.collect(|_, l| final_line(l)) {
            Some(true) => {}
            Some(false) => return false,
            None => return true,
        }
        let (end, expected) = self.expected_group(final_line);
        let code = |t: &[u8]| t.get(..3).map(<[u8]>::to_vec);
        let ok = match (self.got.last(), expected.last()) {
            (Some(g), Some((_, e))) => code(g).is_some() && code(g) == code(e),
            _ => false,
        };
        self.settle(end, &expected, ok)
    }

    fn pop3_reply(&mut self) -> bool {
        if !self.body {
            let l = match self.next_line() {
                None => return false,
                Some(Err(())) => {
                    let (line, exp) = self.expected_here();
                    self.fail(line, exp, "a line over the length limit".into());
                    return true;
                }
                Some(Ok(l)) => l,
            };
            let cmd = self.sent.front().cloned();
            let multi = l.starts_with(b"+OK") && cmd.as_deref().is_some_and(pop3_multiline);
            self.got.push(l);
            if multi {
                self.body = true;
            }
        }
        if self.body {
            match self.collect(|_, l| l == b".") {
                Some(true) => self.body = false,
                Some(false) => return false,
                None => return true,
            }
        }
        let cmd = self.sent.pop_front();
        let multi_expected = self
            .server_line(self.pos)
            .is_some_and(|(_, t)| t.starts_with(b"+OK"))
            && cmd.as_deref().is_some_and(pop3_multiline);
        let (end, expected) = if multi_expected {
            let mut first = true;
            self.expected_group(move |t| {
                let stop = !first && t == b".";
                first = false;
                stop
            })
        } else {
            let (n, t) = self
                .server_line(self.pos)
                .map(|(n, t)| (n, t.to_vec()))
                .unwrap_or_default();
            (self.pos + 1, vec![(n, t)])
        };
        let status = |t: &[u8]| -> &'static str {
            if t.starts_with(b"+OK") {
                "+OK"
            } else if t.starts_with(b"-ERR") {
                "-ERR"
            } else if t.starts_with(b"+") {
                "+"
            } else {
                "?"
            }
        };
        let ok = match (self.got.first(), expected.first()) {
            (Some(g), Some((_, e))) => status(g) != "?" && status(g) == status(e),
            _ => false,
        };
        if !ok {
            // Name the status line, not the body.
            let got = std::mem::take(&mut self.got);
            let (n, e) = expected.first().cloned().unwrap_or_default();
            let g = got
                .first()
                .map_or_else(|| "nothing".to_owned(), |g| show(g));
            self.fail(n, show(&e), g);
            return true;
        }
        self.settle(end, &expected, true)
    }

    fn imap_reply(&mut self) -> bool {
        let untagged = |t: &[u8]| t.starts_with(b"* ");
        let (end, expected) = self.imap_expected_group();
        // A run of S: lines that ends untagged (the greeting, or data
        // before the client speaks again) is read line for line.
        let count = expected
            .last()
            .is_some_and(|(_, t)| untagged(t))
            .then_some(expected.len());
        match self.collect(|me, l| match count {
            Some(n) => me.got.len() + 1 >= n,
            None => !untagged(l),
        }) {
            Some(true) => {}
            Some(false) => return false,
            None => return true,
        }
        let status = |t: &[u8]| -> Vec<u8> {
            if t.starts_with(b"+") {
                b"+".to_vec()
            } else {
                let mut w = t.split(|&b| b == b' ');
                let tag = w.next().unwrap_or(b"").to_vec();
                let word = w.next().unwrap_or(b"").to_ascii_uppercase();
                [tag, b" ".to_vec(), word].concat()
            }
        };
        let ok = match (self.got.last(), expected.last()) {
            (Some(g), Some((_, e))) => status(g) == status(e),
            _ => false,
        };
        self.settle(end, &expected, ok)
    }
}

/// POP3 commands whose +OK answer is followed by a multi-line body
/// (RFC 1939 §5: LIST and UIDL without an argument, RETR, TOP; RFC 2449 CAPA).
fn pop3_multiline(cmd: &[u8]) -> bool {
    let args = cmd.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
    match verb(cmd).as_slice() {
        b"CAPA" | b"RETR" | b"TOP" => true,
        b"LIST" | b"UIDL" => args == 1,
        _ => false,
    }
}

impl Session for ClientPlayer {
    type Event = Event;

    fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.input.extend(bytes);
        self.advance(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.advance(now);
        if !self.done {
            let (line, exp) = self.expected_here();
            self.fail(line, exp, "the server closed the connection".into());
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let Some(d) = self.deadline else { return };
        if now < d || self.done {
            return;
        }
        match self.wait {
            Wait::Delay => {
                self.wait = Wait::Nothing;
                self.deadline = None;
                self.advance(now);
            }
            Wait::Reply => {
                let (line, exp) = self.expected_here();
                let secs = self.s.timeout.as_secs_f64();
                self.fail(line, exp, format!("no reply within {secs} s"));
            }
            Wait::Nothing => self.deadline = None,
        }
    }

    fn poll_output(&mut self) -> Option<Output<Event>> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn wants_input(&self) -> bool {
        !self.done
    }

    fn shutdown(&mut self, _immediate: bool) {
        let (line, exp) = self.expected_here();
        self.fail(line, exp, "an interrupt".into());
    }
}

/// `{N}` or `{N+}` at the end of an IMAP line: N literal octets follow.
fn imap_literal(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    let n = l[open + 1..].strip_suffix(b"+").unwrap_or(&l[open + 1..]);
    std::str::from_utf8(n).ok()?.parse().ok()
}

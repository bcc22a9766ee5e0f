//! Plays the server side of a transcript to a client: sends each run of
//! `S:` lines as recorded (bodies included), reads the client's lines and
//! compares them with the `C:` lines: the command verb case-insensitively
//! by default, whole lines with `strict`. Message lines inside SMTP DATA,
//! and answers to SASL challenges (`334`, `+ `), are not compared by
//! default. IMAP tags are the client's: a recorded tag in an `S:` line is
//! replaced by the tag the client used for that command.
//!
//! On a mismatch the client hears why (`421`, `-ERR` or `* BYE`) and the
//! connection closes: a scriptable fault server.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use super::{asks_for_tls, grants_tls, show, verb, Event, Mismatch, Settings, Verdict, MAX_LINE};
use crate::proto::line::{Line, LineBuffer};
use crate::proto::{Output, Session};
use crate::transcript::parse::{Item, Protocol, Transcript, Who};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wait {
    Nothing,
    Client,
    Delay,
}

/// A BDAT chunk coming from the client.
struct ChunkRead {
    /// Octets still to read.
    left: u64,
    /// The recorded chunk's size (from the transcript's BDAT line).
    recorded: u64,
    /// The octets, kept only to compare them (`strict`, where the sizes
    /// are equal: bounded by the transcript).
    bytes: Option<Vec<u8>>,
}

/// The server-side player (a [`Session`] for an accepted connection).
pub struct ServerPlayer {
    t: Arc<Transcript>,
    s: Settings,
    pos: usize,
    input: LineBuffer,
    out: VecDeque<Output<Event>>,
    wait: Wait,
    deadline: Option<Instant>,
    /// SMTP: between our 354 and the client's final ".".
    in_data: bool,
    /// The last line we sent was a challenge: the client's next line is a
    /// credential or continuation, not a command.
    challenge: bool,
    /// IMAP: recorded tag → the client's tag.
    tags: HashMap<Vec<u8>, Vec<u8>>,
    /// SMTP BDAT (RFC 3030): the chunk being read.
    chunk: Option<ChunkRead>,
    done: bool,
}

impl ServerPlayer {
    /// A player for one accepted connection; sends the greeting at once.
    pub fn new(t: Arc<Transcript>, s: Settings, now: Instant) -> ServerPlayer {
        let mut p = ServerPlayer {
            t,
            s,
            pos: 0,
            input: LineBuffer::new(),
            out: VecDeque::new(),
            wait: Wait::Nothing,
            deadline: None,
            in_data: false,
            challenge: false,
            tags: HashMap::new(),
            chunk: None,
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
        if let Verdict::Fail(m) = &v {
            let why = format!(
                "replay: transcript line {}: expected {}",
                m.line, m.expected
            );
            let why: String = why.chars().filter(|c| !c.is_control()).take(400).collect();
            let bye = match self.t.protocol {
                Protocol::Smtp => format!("421 4.3.0 {why}\r\n"),
                Protocol::Pop3 => format!("-ERR {why}\r\n"),
                Protocol::Imap => format!("* BYE {why}\r\n"),
            };
            self.out.push_back(Output::Transmit(bye.into_bytes()));
        }
        self.out.push_back(Output::Event(Event::Done(v)));
        self.out.push_back(Output::Close);
    }

    fn fail(&mut self, line: usize, expected: String, got: String) {
        self.finish(Verdict::Fail(Mismatch {
            line,
            expected,
            got,
        }));
    }

    fn client_line_at(&self, i: usize) -> Option<(usize, Vec<u8>)> {
        match self.t.items.get(i) {
            Some(Item::Line {
                line,
                who: Who::Client,
                text,
            }) => Some((*line, text.clone())),
            _ => None,
        }
    }

    /// An `S:` line as sent: for IMAP with the recorded tag replaced.
    fn outgoing(&self, text: &[u8]) -> Vec<u8> {
        if self.t.protocol == Protocol::Imap {
            let tag_end = text.iter().position(|&b| b == b' ').unwrap_or(text.len());
            if let Some(real) = self.tags.get(&text[..tag_end]) {
                return [real.as_slice(), &text[tag_end..]].concat();
            }
        }
        text.to_vec()
    }

    fn advance(&mut self, now: Instant) {
        while !self.done {
            if self.chunk.is_some() {
                let Some(mut c) = self.chunk.take() else {
                    return;
                };
                let n = usize::try_from(c.left)
                    .unwrap_or(usize::MAX)
                    .min(self.input.len());
                if let Some(b) = &mut c.bytes {
                    b.extend_from_slice(&self.input.pending()[..n]);
                }
                self.input.consume(n);
                c.left -= n as u64;
                if c.left > 0 {
                    self.chunk = Some(c);
                    if self.wait != Wait::Client {
                        self.wait = Wait::Client;
                        self.deadline = Some(now + self.s.timeout);
                    }
                    return;
                }
                self.wait = Wait::Nothing;
                self.deadline = None;
                self.check_chunk(c);
                continue;
            }
            match self.t.items.get(self.pos).cloned() {
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
                    who: Who::Server, ..
                }) => {
                    let asked = super::line_before(&self.t, self.pos);
                    let mut bytes = Vec::new();
                    let mut last = Vec::new();
                    while let Some(Item::Line {
                        who: Who::Server,
                        text,
                        ..
                    }) = self.t.items.get(self.pos)
                    {
                        bytes.extend_from_slice(&self.outgoing(text));
                        bytes.extend_from_slice(b"\r\n");
                        last = text.clone();
                        self.pos += 1;
                    }
                    self.challenge = match self.t.protocol {
                        Protocol::Smtp => last.starts_with(b"334"),
                        Protocol::Pop3 | Protocol::Imap => last.starts_with(b"+ ") || last == b"+",
                    };
                    if self.t.protocol == Protocol::Smtp && last.starts_with(b"354") {
                        self.in_data = true;
                    }
                    self.out.push_back(Output::Transmit(bytes));
                    if let Some((Who::Client, cmd)) = asked {
                        if asks_for_tls(self.t.protocol, &cmd) && grants_tls(self.t.protocol, &last)
                        {
                            // Plaintext sent after the command is dropped (CVE-2011-0411).
                            self.out.push_back(Output::StartTls);
                            self.input = LineBuffer::new();
                        }
                    }
                }
                Some(Item::Line {
                    who: Who::Client, ..
                }) => {
                    let got = match self.input.next_line(MAX_LINE) {
                        None => {
                            if self.wait != Wait::Client {
                                self.wait = Wait::Client;
                                self.deadline = Some(now + self.s.timeout);
                            }
                            return;
                        }
                        Some(Line::TooLong) => {
                            let (line, exp) = self.client_line_at(self.pos).unwrap_or_default();
                            return self.fail(
                                line,
                                show(&exp),
                                "a line over the length limit".into(),
                            );
                        }
                        Some(Line::Complete(l)) => l.to_vec(),
                    };
                    self.wait = Wait::Nothing;
                    self.deadline = None;
                    self.check(got);
                }
            }
        }
    }

    /// A whole BDAT chunk from the client against the transcript's:
    /// compared with `strict` only, as DATA's lines are.
    fn check_chunk(&mut self, c: ChunkRead) {
        let (line, _) = self.client_line_at(self.pos).unwrap_or_default();
        match super::chunk_from(&self.t, self.pos, c.recorded) {
            Ok((expected, used)) => {
                if let Some(got) = c.bytes {
                    if expected != got {
                        return self.fail(line, show(&expected), show(&got));
                    }
                }
                self.pos += used;
            }
            Err(why) => self.fail(line, why, "a transcript that adds up".into()),
        }
    }

    /// Compares one client line with the transcript at `pos`.
    fn check(&mut self, got: Vec<u8>) {
        let Some((line, expected)) = self.client_line_at(self.pos) else {
            return;
        };
        if self.in_data && !self.s.strict {
            // Message lines are not compared; both sides run to their ".".
            if got == b"." {
                while let Some((_, t)) = self.client_line_at(self.pos) {
                    self.pos += 1;
                    if t == b"." {
                        break;
                    }
                }
                self.in_data = false;
            } else if expected != b"." {
                self.pos += 1;
            }
            return;
        }
        if self.in_data && got == b"." {
            self.in_data = false;
        }
        let challenge = std::mem::take(&mut self.challenge);
        let ok = if self.s.strict {
            got == expected
        } else if challenge {
            true
        } else if self.t.protocol == Protocol::Imap {
            let mut g = got.splitn(3, |&b| b == b' ');
            let mut e = expected.splitn(3, |&b| b == b' ');
            let (gt, et) = (g.next().unwrap_or(b""), e.next().unwrap_or(b""));
            let same = verb(g.next().unwrap_or(b"")) == verb(e.next().unwrap_or(b""));
            if same && !gt.is_empty() {
                self.tags.insert(et.to_vec(), gt.to_vec());
            }
            same
        } else {
            verb(&got) == verb(&expected)
        };
        if self.s.strict && self.t.protocol == Protocol::Imap && ok {
            let tag_end = got.iter().position(|&b| b == b' ').unwrap_or(got.len());
            self.tags
                .insert(got[..tag_end].to_vec(), got[..tag_end].to_vec());
        }
        if ok {
            self.pos += 1;
            // BDAT: the chunk's octets come next, whatever they hold.
            if self.t.protocol == Protocol::Smtp {
                if let Some(n) = super::bdat_size(&got) {
                    let recorded = super::bdat_size(&expected).unwrap_or(0);
                    self.chunk = Some(ChunkRead {
                        left: n,
                        recorded,
                        bytes: (self.s.strict && n == recorded).then(Vec::new),
                    });
                }
            }
        } else {
            self.fail(line, show(&expected), show(&got));
        }
    }
}

impl Session for ServerPlayer {
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
            let (line, text) = match self.t.items.get(self.pos) {
                Some(Item::Line { line, text, .. }) => (*line, show(text)),
                Some(Item::Delay { line, .. }) => (*line, "a pause".into()),
                None => (0, "the end".into()),
            };
            self.fail(line, text, "the client closed the connection".into());
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
            Wait::Client => {
                let (line, exp) = self.client_line_at(self.pos).unwrap_or_default();
                let secs = self.s.timeout.as_secs_f64();
                self.fail(
                    line,
                    show(&exp),
                    format!("nothing from the client within {secs} s"),
                );
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
        let line = match self.t.items.get(self.pos) {
            Some(Item::Line { line, .. } | Item::Delay { line, .. }) => *line,
            None => 0,
        };
        self.fail(
            line,
            "the rest of the session".into(),
            "an interrupt".into(),
        );
    }
}

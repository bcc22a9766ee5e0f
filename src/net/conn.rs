//! One connection and the code that moves its bytes: the session's output
//! into the write buffer (through TLS when it is on), streamed bodies a
//! chunk at a time, the buffer to the socket.

use std::io::{self, Write};
use std::time::Instant;

use mio::net::TcpStream;

use super::limits::{BODY_CHUNK, BODY_LOW_WATER, LINGER, OUT_HIGH_WATER};
use super::tls_io::{tls_out, tls_push};
use super::{ConnId, Service};
use crate::proto::{Body, Output, Session};
use crate::transcript::Recorder;

/// A connection: its socket, its session and what waits to be written.
pub(super) struct Conn<S> {
    pub stream: TcpStream,
    pub session: S,
    pub out: Vec<u8>,
    pub out_pos: usize,
    pub readable: bool,
    pub writable: bool,
    pub eof: bool,
    /// The peer hung up (an edge said so): read until EOF.
    pub hup: bool,
    /// An outbound connect still in progress.
    pub connecting: bool,
    /// We opened this connection: in transcripts the peer is the server.
    pub outbound: bool,
    /// Our side is shut down; swallowing the peer's input until its FIN.
    pub lingering: bool,
    /// Bytes swallowed while lingering.
    pub discarded: usize,
    pub dead: bool,
    /// Set once the session said Close: drain output until then.
    pub closing: Option<Instant>,
    /// The deadline of this connection's entry in the timer heap.
    pub timer_at: Option<Instant>,
    pub recorder: Option<Recorder>,
    /// TLS around the stream, once started.
    pub tls: Option<Box<rustls::Connection>>,
    /// Plaintext the session sent that has not yet gone into TLS: rustls
    /// takes a bounded amount at a time, so a large reply or message goes
    /// in pieces as the socket drains (see [`tls_push`]).
    pub tls_pending: Vec<u8>,
    /// How much of `tls_pending` is already in TLS.
    pub tls_pending_pos: usize,
    /// The session closed a TLS connection: send close_notify once
    /// `tls_pending` is through (not before the data it follows).
    pub tls_close: bool,
    /// A body being streamed: the session's later output waits for it.
    pub body: Option<Body>,
}

impl<S> Conn<S> {
    /// A new connection around `session`.
    pub fn new(stream: TcpStream, session: S, outbound: bool, recorder: Option<Recorder>) -> Self {
        Conn {
            stream,
            session,
            out: Vec::new(),
            out_pos: 0,
            readable: !outbound,
            writable: !outbound,
            eof: false,
            hup: false,
            connecting: outbound,
            outbound,
            lingering: false,
            discarded: 0,
            dead: false,
            closing: None,
            timer_at: None,
            recorder,
            tls: None,
            tls_pending: Vec::new(),
            tls_pending_pos: 0,
            tls_close: false,
            body: None,
        }
    }

    /// Output waiting for the socket: encrypted or plain bytes in `out`,
    /// plus plaintext still to go through TLS.
    pub fn backlog(&self) -> usize {
        (self.out.len() - self.out_pos) + (self.tls_pending.len() - self.tls_pending_pos)
    }

    /// Whether everything the session produced has gone to the socket (a
    /// body still streaming counts as not).
    pub fn drained(&self) -> bool {
        self.backlog() == 0 && self.body.is_none()
    }

    /// Records what we say (to the transcript, if one is kept).
    pub fn record_ours(&mut self, bytes: &[u8]) {
        self.record(true, bytes);
    }

    /// Records what the peer said.
    pub fn record_theirs(&mut self, bytes: &[u8]) {
        self.record(false, bytes);
    }

    /// In a transcript the client's lines are `C:`: ours when we opened
    /// the connection, the peer's when we accepted it.
    fn record(&mut self, ours: bool, bytes: &[u8]) {
        if let Some(r) = self.recorder.as_mut() {
            if ours == self.outbound {
                r.client(bytes);
            } else {
                r.server(bytes);
            }
        }
    }

    /// Queues bytes for the peer: into TLS, or straight to the buffer.
    pub fn send(&mut self, bytes: Vec<u8>) {
        self.record_ours(&bytes);
        match self.tls.as_mut() {
            Some(_) => {
                if self.tls_pending_pos >= self.tls_pending.len() {
                    self.tls_pending = bytes;
                    self.tls_pending_pos = 0;
                } else {
                    self.tls_pending.extend_from_slice(&bytes);
                }
                tls_push(self);
            }
            None if self.out_pos >= self.out.len() => {
                self.out = bytes;
                self.out_pos = 0;
            }
            None => self.out.extend_from_slice(&bytes),
        }
    }

    /// Pulls chunks of the streaming body while little waits to be
    /// written; returns whether the body is through (or there was none).
    /// A source that cannot be read ends the connection: the reply line
    /// that promised the body has gone, and no protocol can take it back.
    pub fn feed_body(&mut self) -> bool {
        while self.backlog() < BODY_LOW_WATER {
            let Some(body) = self.body.as_mut() else {
                return true;
            };
            let mut chunk = Vec::with_capacity(BODY_CHUNK + BODY_CHUNK / 16);
            let done = match body.fill(&mut chunk, BODY_CHUNK) {
                Ok(done) => done,
                Err(_) => {
                    self.dead = true;
                    self.body = None;
                    return true;
                }
            };
            if done {
                self.body = None;
            }
            if !chunk.is_empty() {
                self.send(chunk);
            }
        }
        self.body.is_none()
    }
}

/// Moves session output into the write buffer and events to the service,
/// until the session has nothing more or a body is streaming.
pub(super) fn pump<S: Service>(
    c: &mut Conn<S::Session>,
    service: &mut S,
    id: ConnId,
    now: Instant,
) {
    loop {
        if !c.feed_body() {
            return;
        }
        let Some(o) = c.session.poll_output() else {
            return;
        };
        match o {
            Output::Transmit(bytes) => c.send(bytes),
            Output::Body(body) => c.body = Some(body),
            Output::Event(e) => service.event(id, &mut c.session, e, now),
            Output::Close => {
                if c.closing.is_none() {
                    c.closing = Some(now + LINGER);
                    if c.tls.is_some() {
                        c.tls_close = true;
                        tls_push(c);
                    }
                }
            }
            Output::StartTls => {
                if c.tls.is_some() {
                    continue;
                }
                match service.start_tls(id) {
                    Some(t) => {
                        c.tls = Some(Box::new(t));
                        tls_out(c);
                    }
                    None => c.dead = true,
                }
            }
        }
    }
}

/// Writes buffered output until done or WouldBlock, refilling it from
/// plaintext waiting to go through TLS.
pub(super) fn flush<S>(c: &mut Conn<S>) {
    tls_push(c);
    while c.writable && c.out_pos < c.out.len() {
        match c.stream.write(&c.out[c.out_pos..]) {
            Ok(0) => {
                c.dead = true;
                return;
            }
            Ok(n) => {
                c.out_pos += n;
                if c.out_pos >= c.out.len() {
                    tls_push(c);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => c.writable = false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
    if c.out_pos >= c.out.len() && !c.out.is_empty() {
        // Release the buffer: idle connections hold no output memory.
        c.out = Vec::new();
        c.out_pos = 0;
    } else if c.out_pos > 64 * 1024 && c.out_pos * 2 >= c.out.len() {
        // Only once the written part is at least half: each octet is
        // moved at most once on average (a 1 MB reply written 64 KB at a
        // time would otherwise be moved sixteen times).
        c.out.drain(..c.out_pos);
        c.out_pos = 0;
    }
}

/// Whether the connection should stop reading for now: enough output is
/// waiting for the peer to read.
pub(super) fn output_full<S>(c: &Conn<S>) -> bool {
    c.backlog() >= OUT_HIGH_WATER
}

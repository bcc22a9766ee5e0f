//! Sans-IO protocol machinery shared by every protocol: line framing with a
//! length bound, dot-stuffing, streamed bodies, and the SMTP and POP3
//! codecs and sessions.
//!
//! Nothing here touches a socket, a clock or a file: sessions take bytes and
//! `Instant`s in and hand back bytes to write and events for the world.

pub mod body;
pub mod dotstuff;
pub mod http;
pub mod imap;
pub mod line;
pub mod pop3;
pub mod sasl;
pub mod smtp;

use std::time::Instant;

pub use body::Body;

/// One item of a session's output, in the order it must happen.
#[derive(Debug)]
pub enum Output<E> {
    /// Bytes to write to the peer.
    Transmit(Vec<u8>),
    /// A body to write to the peer, pulled a chunk at a time as the socket
    /// drains; output after it waits until it is through.
    Body(Body),
    /// Something the owner must act on (store a message, ...) and answer.
    Event(E),
    /// Close the connection once everything before this is written.
    Close,
    /// Everything before this goes out in plaintext; everything after in
    /// TLS (STARTTLS, RFC 3207; STLS, RFC 2595). A server session emits it
    /// after its "ready" reply and drops any input it already holds (the
    /// command injection of CVE-2011-0411); a client after reading that
    /// reply. The loop makes the handshake; the session sees plaintext.
    StartTls,
}

/// The sans-IO session API every protocol and role implements (after
/// quinn-proto and str0m: `handle_*` in, `poll_*` out). The event loop in
/// `net` drives any `Session` without knowing its protocol.
/// Output a session produces before the socket catches up, after which
/// it stops taking pipelined commands until [`Session::resume`].
pub const OUTPUT_BUDGET: usize = 256 * 1024;

/// The output side of backpressure for a server session: counts what it
/// hands to the loop since the client last read everything, and says when
/// to stop taking pipelined commands ([`OUTPUT_BUDGET`]).
#[derive(Debug, Default, Clone)]
pub struct Pacer {
    produced: usize,
    paused: bool,
}

impl Pacer {
    /// `n` bytes of output were handed to the loop.
    pub fn sent(&mut self, n: usize) {
        self.produced += n;
    }

    /// Whether the next command must wait: what was handed out plus
    /// `pending` (not yet handed out) has reached `budget`. Remembers it.
    pub fn must_wait(&mut self, pending: usize, budget: usize) -> bool {
        self.paused = self.produced + pending >= budget;
        self.paused
    }

    /// Whether commands are waiting for [`Pacer::resume`].
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The client read everything: the count starts again. Returns whether
    /// commands were waiting (the session then processes them).
    pub fn resume(&mut self) -> bool {
        self.produced = 0;
        std::mem::take(&mut self.paused)
    }
}

pub trait Session {
    /// Events the owner must act on.
    type Event;
    /// Bytes from the peer, in any split.
    fn handle_input(&mut self, now: Instant, bytes: &[u8]);
    /// The peer closed its side.
    fn handle_eof(&mut self, now: Instant);
    /// The deadline of [`Session::poll_timeout`] may have passed.
    fn handle_timeout(&mut self, now: Instant);
    /// The next output, if any.
    fn poll_output(&mut self) -> Option<Output<Self::Event>>;
    /// When `handle_timeout` should next be called.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether more input is welcome now (false applies backpressure).
    fn wants_input(&self) -> bool;
    /// Everything the session has sent so far is written to the socket.
    /// A session that stopped answering pipelined commands because its
    /// output passed [`OUTPUT_BUDGET`] goes on now; returns whether it did
    /// (the owner then collects its output). So a few kilobytes of
    /// pipelined commands cannot make megabytes of replies at once.
    fn resume(&mut self, _now: Instant) -> bool {
        false
    }
    /// The server is stopping: say goodbye now (`immediate`) or after the
    /// work in progress.
    fn shutdown(&mut self, immediate: bool);
}

//! What a service plugs into the loop. Every service has sessions of one
//! type and answers their events ([`Service`]); a server also makes
//! sessions for accepted connections ([`ServerService`]), a client opens
//! connections of its own ([`ClientService`]). One loop hosts any number of
//! both (`serve-smtp` is an SMTP server and the relay queue's client).

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use super::{Accepted, ConnId, StopMode};
use crate::proto::Session;
use crate::transcript::Recorder;

/// What every service provides, server or client.
pub trait Service {
    /// The session type of its connections.
    type Session: Session;
    /// Answers to events, produced off the loop (e.g. "message stored"),
    /// sent through the service's [`super::Completer`].
    type Completion: Send + 'static;
    /// A session emitted an event.
    fn event(
        &mut self,
        id: ConnId,
        session: &mut Self::Session,
        event: <Self::Session as Session>::Event,
        now: Instant,
    );
    /// A completion sent through the service's [`super::Completer`] for
    /// connection `id` arrived while the connection is still open (one for
    /// a closed connection is dropped).
    fn complete(
        &mut self,
        _id: ConnId,
        _session: &mut Self::Session,
        _completion: Self::Completion,
        _now: Instant,
    ) {
    }
    /// A completion arrived for connection `id` after it closed: what the
    /// service must still do about the work (release what it held).
    fn orphan(&mut self, _id: ConnId, _completion: Self::Completion) {}
    /// A connection ended; its session is handed back (for results).
    fn closed(&mut self, _id: ConnId, _session: Self::Session) {}
    /// A TLS connection for `id`: asked for by its session
    /// ([`crate::proto::Output::StartTls`]), at once on an implicit-TLS
    /// listener, or for an outbound connection when
    /// [`ClientService::outbound_tls`] says so. `None` (no TLS configured)
    /// closes the connection.
    fn start_tls(&mut self, _id: ConnId) -> Option<rustls::Connection> {
        None
    }
    /// The TLS handshake of `id` completed (certificate details are in `conn`).
    fn tls_ready(&mut self, _id: ConnId, _session: &mut Self::Session, _conn: &rustls::Connection) {
    }
    /// The TLS handshake or a record failed; the connection is closing.
    fn tls_failed(&mut self, _id: ConnId, _session: &mut Self::Session, _error: &rustls::Error) {}
    /// A transcript recorder for a new connection, when
    /// [`super::ServiceOpts::record_dir`] does not apply (e.g. `send
    /// --transcript FILE`).
    fn recorder(&mut self, _id: ConnId) -> Option<Recorder> {
        None
    }
    /// Polled once per turn: whether the service wants the loop to stop.
    fn stop_requested(&mut self) -> Option<StopMode> {
        None
    }
    /// When the service wants the loop to turn even if nothing happens
    /// (a queued message's next attempt).
    fn poll_wakeup(&self) -> Option<Instant> {
        None
    }
}

/// A service whose connections are accepted from listeners.
pub trait ServerService: Service {
    /// A new connection was accepted: its session.
    fn open(&mut self, id: ConnId, from: Accepted, now: Instant) -> Self::Session;
    /// The reply for a connection refused because the service is full.
    fn busy_reply(&self) -> &[u8];
}

/// A service that opens connections (`send`, `fetch`, the relay queue,
/// `replay`'s client side).
pub trait ClientService: Service {
    /// Polled once per turn while the loop runs: the next address to
    /// connect to, if any.
    fn poll_connect(&mut self, now: Instant) -> Option<SocketAddr>;
    /// The session for a connection to `addr` from
    /// [`ClientService::poll_connect`]; `None` gives it up.
    fn open_outbound(
        &mut self,
        id: ConnId,
        addr: SocketAddr,
        now: Instant,
    ) -> Option<Self::Session>;
    /// The connection `id` could not be established (refused, timed out,
    /// unreachable).
    fn connect_failed(&mut self, id: ConnId, session: Self::Session, error: io::Error);
    /// Whether connections start with TLS (implicit TLS, `--tls`).
    fn outbound_tls(&self) -> bool {
        false
    }
}

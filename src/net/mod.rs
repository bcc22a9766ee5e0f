//! The mio event loop: one thread owns the listeners, every connection,
//! the timers and the signal handling, and drives sans-IO sessions
//! ([`crate::proto::Session`]) for any protocol, for several services at
//! once (`mailkit serve` runs SMTP, POP3, IMAP and HTTP on one loop).
//!
//! The loop is a switchboard ([`runtime`]): it polls, routes each socket
//! event to the service that owns the connection, and stops on a signal
//! or when a service asks. Each service's connections live in its own
//! [`host`] (a slab of connections whose sessions are that service's type,
//! so nothing forwards between session kinds), driven by the same
//! connection code: read into `handle_input`, hand events to the service,
//! write until WouldBlock ([`conn`], [`tls_io`]). Work that may block
//! (fsync, password hashes, directory listings) runs on other threads
//! ([`pool`], the store's writer) and comes back through a [`Completer`]
//! with the [`ConnId`] it belongs to, waking the loop with a
//! [`mio::Waker`].
//!
//! Sockets are registered once, edge-triggered, for both directions; the
//! connection keeps "readable"/"writable" flags, so interest never has to be
//! re-registered. Buffers are per connection, bounded, and released when
//! empty: an idle connection costs its small session and nothing else.
//! Large bodies are pulled from their source a chunk at a time as the
//! socket drains ([`crate::proto::Body`]), so a transfer costs a chunk of
//! memory, not the message.

use std::io;
use std::net::SocketAddr;

mod completer;
mod conn;
mod host;
mod limits;
pub mod pool;
mod runtime;
mod service;
pub mod tls;
mod tls_io;

pub use completer::{Completer, Inbox};
pub use runtime::{run_client, run_server, Listener, Runtime, ServiceOpts};
pub use service::{ClientService, ServerService, Service};

/// Identifies a connection across services and slot reuse (service,
/// index, generation): a completion that arrives after its connection
/// closed finds no connection, not a newer one in the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    service: u16,
    index: u32,
    gen: u32,
}

/// Where an accepted connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The client's address.
    pub peer: SocketAddr,
    /// Our address on this connection (with a wildcard listener, the
    /// interface's address, not the listener's).
    pub local: SocketAddr,
    /// The listener is an implicit-TLS one (`--tls-listen`): the session
    /// is inside TLS from its first byte. Known from the listener, not
    /// from addresses (a wildcard listener's connections never carry its
    /// address).
    pub implicit_tls: bool,
}

/// How the server should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// SIGINT/SIGTERM: stop accepting, tell idle clients 421 now, let
    /// transactions in flight finish within the grace period.
    Graceful,
    /// `--exit-after`: stop accepting and let sessions end on their own
    /// within the grace period.
    Drain,
}

/// Binds a listening socket (non-blocking, SO_REUSEADDR, backlog 1024)
/// with an error that says what to try.
pub fn listen(addr: SocketAddr) -> io::Result<mio::net::TcpListener> {
    mio::net::TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::AddrInUse => {
                "another server is using it; pick another --listen, or port 0 for a free one"
            }
            io::ErrorKind::PermissionDenied => "ports below 1024 need root; use a higher port",
            io::ErrorKind::AddrNotAvailable => "this machine has no such address",
            _ => "check the --listen address",
        };
        io::Error::new(e.kind(), format!("cannot listen on {addr}: {e} ({hint})"))
    })
}

/// Raises the open-file limit to its hard maximum, so thousands of
/// connections fit; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests;

//! The loop's fixed limits: how much output a connection may have waiting,
//! how long it gets per turn, how long a closing one may linger.

use std::time::Duration;

/// Stop reading a connection while this much output waits to be written.
pub const OUT_HIGH_WATER: usize = 256 * 1024;
/// Pull the next chunk of a streamed body only while less than this waits
/// to be written: a transfer holds about this much, not the message.
pub const BODY_LOW_WATER: usize = 64 * 1024;
/// The size of one chunk pulled from a streamed body.
pub const BODY_CHUNK: usize = 64 * 1024;
/// Reads (or body chunks) per connection per turn before others get a go.
pub const READS_PER_TURN: usize = 16;
/// How long a closing connection may take to drain its output.
pub const LINGER: Duration = Duration::from_secs(10);
/// How long a closed connection waits for the peer's FIN.
pub const LINGER_CLOSE: Duration = Duration::from_secs(2);
/// Most input swallowed from a closed connection before giving up.
pub const LINGER_MAX_BYTES: usize = 1 << 20;
/// Plaintext handed to rustls at a time.
pub const TLS_SLICE: usize = 16 * 1024;

//! Trace information (RFC 5321 §4.4): the queue id a message gets, and the
//! `Received:` field each hop prepends.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// A message's queue id, shown in the 250 reply, the log and `Received:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(pub u64);

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013X}", self.0)
    }
}

/// Hands out queue ids. Seeded with the start time in microseconds, so ids
/// stay unique across restarts as long as fewer than a million messages a
/// second arrive; the session takes ids from it without a clock of its own.
#[derive(Debug)]
pub struct IdSource(AtomicU64);

impl IdSource {
    /// A source whose first id is `seed`.
    pub fn new(seed: u64) -> Self {
        IdSource(AtomicU64::new(seed))
    }

    /// The next id.
    pub fn next_id(&self) -> QueueId {
        QueueId(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a server knows about how a message reached it: everything the
/// `Received:` field needs except the date, which the store adds when it
/// writes the message (keeping the session free of clocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The name the client gave in HELO/EHLO.
    pub helo: String,
    /// The client's IP address, when known.
    pub peer: Option<IpAddr>,
    /// Our own host name.
    pub by: String,
    /// The `with` protocol: SMTP, ESMTP, UTF8SMTP (RFC 3848, RFC 6531 §3.7.3).
    pub protocol: &'static str,
    /// The queue id.
    pub id: QueueId,
    /// The one recipient, when there is exactly one (RFC 5321 §4.4 `for`).
    pub for_rcpt: Option<String>,
}

impl Trace {
    /// The `Received:` field, folded, with LF line ends, ending in LF.
    pub fn received(&self, date: &str) -> String {
        let peer = match self.peer {
            Some(IpAddr::V4(a)) => format!(" ([{a}])"),
            Some(IpAddr::V6(a)) => format!(" ([IPv6:{a}])"),
            None => String::new(),
        };
        let mut s = format!(
            "Received: from {}{}\n\tby {} (mailkit) with {} id {}",
            self.helo, peer, self.by, self.protocol, self.id
        );
        if let Some(rcpt) = &self.for_rcpt {
            s.push_str(&format!("\n\tfor <{rcpt}>"));
        }
        s.push_str(&format!(";\n\t{date}\n"));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_field_shape() {
        let t = Trace {
            helo: "crepes.fr".into(),
            peer: Some("127.0.0.1".parse().unwrap()),
            by: "hamburger.edu".into(),
            protocol: "ESMTP",
            id: QueueId(0xABC),
            for_rcpt: Some("bob@hamburger.edu".into()),
        };
        assert_eq!(
            t.received("Sat, 28 Nov 2026 21:10:04 +0000"),
            "Received: from crepes.fr ([127.0.0.1])\n\tby hamburger.edu (mailkit) with ESMTP id 0000000000ABC\n\tfor <bob@hamburger.edu>;\n\tSat, 28 Nov 2026 21:10:04 +0000\n"
        );
    }

    #[test]
    fn ids_are_sequential() {
        let s = IdSource::new(5);
        assert_eq!(s.next_id(), QueueId(5));
        assert_eq!(s.next_id().to_string(), "0000000000006");
    }
}

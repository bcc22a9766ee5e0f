//! Replaying transcripts: sans-IO players for either side of a recorded
//! session. [`client::ClientPlayer`] plays the `C:` lines against a server
//! and checks its replies; [`server::ServerPlayer`] plays the `S:` lines to
//! a client and checks its commands. Both are [`crate::proto::Session`]s,
//! so the shared mio loop drives them like any other session.
//!
//! Matching follows SPEC ("Transcript format"): by default SMTP replies
//! match by code (continuation lines grouped), POP3 by `+OK`/`-ERR` (bodies
//! read to their `.` and not compared), IMAP by the tagged status; client
//! lines by their command verb; `strict` compares every line exactly.

pub mod client;
pub mod server;

use std::time::Duration;

/// How a player matches and paces.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Compare every line byte for byte.
    pub strict: bool,
    /// Honour `# +SECONDS` lines.
    pub delay: bool,
    /// Longest wait for the peer's next line.
    pub timeout: Duration,
}

/// Where and how a session departed from its transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The transcript line that was expected.
    pub line: usize,
    /// What the transcript says.
    pub expected: String,
    /// What came instead.
    pub got: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.line, self.expected, self.got
        )
    }
}

/// The outcome of one replayed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every step matched.
    Pass,
    /// The first mismatch.
    Fail(Mismatch),
}

/// What a player tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The session's verdict is known (emitted once).
    Done(Verdict),
}

/// Longest line read from a peer while replaying.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// Bytes as text for a message: lossy UTF-8, control characters escaped,
/// at most 200 characters.
pub(crate) fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut o = crate::util::escape_controls(&s.chars().take(200).collect::<String>(), false);
    if s.chars().nth(200).is_some() {
        o.push('…');
    }
    format!("{o:?}")
}

/// The last line before step `pos` (pauses skipped): who sent it and what.
pub(crate) fn line_before(
    t: &crate::transcript::parse::Transcript,
    pos: usize,
) -> Option<(crate::transcript::parse::Who, Vec<u8>)> {
    use crate::transcript::parse::Item;
    t.items[..pos.min(t.items.len())]
        .iter()
        .rev()
        .find_map(|it| match it {
            Item::Line { who, text, .. } => Some((*who, text.clone())),
            Item::Delay { .. } => None,
        })
}

/// Whether a client line asks for TLS: SMTP `STARTTLS` (RFC 3207), POP3
/// `STLS` (RFC 2595), IMAP `tag STARTTLS`.
pub(crate) fn asks_for_tls(protocol: crate::transcript::parse::Protocol, line: &[u8]) -> bool {
    use crate::transcript::parse::Protocol;
    match protocol {
        Protocol::Smtp => verb(line) == b"STARTTLS",
        Protocol::Pop3 => verb(line) == b"STLS",
        Protocol::Imap => line
            .split(|&b| b == b' ')
            .nth(1)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"STARTTLS")),
    }
}

/// Whether a reply line grants TLS: 220, +OK, or a tagged OK.
pub(crate) fn grants_tls(protocol: crate::transcript::parse::Protocol, reply: &[u8]) -> bool {
    use crate::transcript::parse::Protocol;
    match protocol {
        Protocol::Smtp => reply.starts_with(b"220"),
        Protocol::Pop3 => reply.starts_with(b"+OK"),
        Protocol::Imap => reply
            .split(|&b| b == b' ')
            .nth(1)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"OK")),
    }
}

pub use crate::transcript::bdat_size;

/// A BDAT chunk of `n` octets as a transcript holds it: the `C:` lines
/// from step `pos`, joined by CRLF, the last one's CRLF only when the
/// size says the chunk ends with one (SPEC: a chunk's bytes are `C:`
/// lines as DATA's are; a chunk that stops mid-line ends its line there).
/// Returns the bytes and how many steps they took, or why the lines do
/// not add up to the size.
pub(crate) fn chunk_from(
    t: &crate::transcript::parse::Transcript,
    mut pos: usize,
    n: u64,
) -> Result<(Vec<u8>, usize), String> {
    use crate::transcript::parse::{Item, Who};
    let start = pos;
    let mut bytes: Vec<u8> = Vec::new();
    while (bytes.len() as u64) < n {
        match t.items.get(pos) {
            Some(Item::Line {
                who: Who::Client,
                text,
                ..
            }) => {
                bytes.extend_from_slice(text);
                bytes.extend_from_slice(b"\r\n");
                pos += 1;
            }
            Some(Item::Delay { .. }) => pos += 1,
            _ => break,
        }
    }
    let len = bytes.len() as u64;
    if len == n + 2 && bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if len != n {
        return Err(format!(
            "a BDAT chunk of {n} octets, but its C: lines hold {len} (with line ends)"
        ));
    }
    Ok((bytes, pos - start))
}

/// The first word of a line, upper-cased (a command verb).
pub(crate) fn verb(line: &[u8]) -> Vec<u8> {
    line.split(|&b| b == b' ')
        .next()
        .unwrap_or(b"")
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests;

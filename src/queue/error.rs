//! Typed errors of the queue: a queue file that does not read, a next hop
//! that does not resolve, a DNS question without a useful answer.

use std::fmt;
use std::io;

/// Why a queue file (`msg/ID` or `env/ID`) is not an entry the runner can
/// send; the spool sets such files aside in `corrupt/` with this as the
/// note, so it names the line a person would fix.
#[derive(Debug)]
pub enum EntryError {
    /// The envelope is not UTF-8.
    NotUtf8,
    /// The file is empty.
    Empty,
    /// The first line is not the format's magic line.
    NotQueueFile(String),
    /// Line `n` (1-based) is wrong: `why`, and the line as found.
    Line {
        /// The line number.
        n: usize,
        /// What is wrong with it.
        why: &'static str,
        /// The line's text.
        text: String,
    },
    /// No `id` line or no recipient.
    Incomplete,
    /// A message file without its `data` line.
    NoData,
    /// The file names another entry than its file name.
    WrongId(String),
    /// The file could not be read.
    Unreadable(io::Error),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::NotUtf8 => f.write_str("not UTF-8"),
            EntryError::Empty => f.write_str("empty file"),
            EntryError::NotQueueFile(first) => {
                write!(f, "line 1: {first:?} is not {:?}", super::spool::MAGIC)
            }
            EntryError::Line { n, why, text } => write!(f, "line {n}: {why}: {text:?}"),
            EntryError::Incomplete => f.write_str("no id or no recipient"),
            EntryError::NoData => f.write_str("no `data` line (truncated?)"),
            EntryError::WrongId(id) => write!(f, "holds id {id:?}"),
            EntryError::Unreadable(e) => write!(f, "cannot read: {e}"),
        }
    }
}

impl std::error::Error for EntryError {}

/// Why a route's or smarthost's `HOST:PORT` gave no address to connect to
/// (a temporary failure: the message is tried again later).
#[derive(Debug)]
pub struct ResolveError {
    /// The next hop as configured.
    pub hop: String,
    /// The resolver's error; `None` when it answered with no address.
    pub source: Option<io::Error>,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(e) => write!(f, "cannot resolve {}: {e}", self.hop),
            None => write!(f, "cannot resolve {}: no address", self.hop),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Why a DNS question got no usable answer (RFC 1035 §4.1.1): the
/// delivery is deferred, not failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// The name is not a domain name.
    BadName(String),
    /// The query could not be built or sent, or the socket failed.
    Io {
        /// The server asked.
        server: std::net::SocketAddr,
        /// What failed.
        source: io::ErrorKind,
    },
    /// The server answered with an error code (SERVFAIL, REFUSED, ...).
    Answered {
        /// The name asked about, and the record type.
        question: String,
        /// The response code, as the DNS library names it.
        code: String,
    },
    /// No answer came within the timeout, twice.
    NoAnswer {
        /// The server asked.
        server: std::net::SocketAddr,
        /// The name asked about, and the record type.
        question: String,
    },
    /// No resolver is configured (the runner was started without one).
    NoResolver,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsError::BadName(n) => write!(f, "{n:?} is not a domain name"),
            DnsError::Io { server, source } => write!(f, "DNS server {server}: {source}"),
            DnsError::Answered { question, code } => {
                write!(f, "DNS answered {code} for {question}")
            }
            DnsError::NoAnswer { server, question } => {
                write!(f, "no answer from the DNS server {server} for {question}")
            }
            DnsError::NoResolver => f.write_str("no DNS resolver configured"),
        }
    }
}

impl std::error::Error for DnsError {}

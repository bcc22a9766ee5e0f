//! Typed errors of the message readers.

use std::fmt;

/// Why a header value does not parse (an address list, RFC 5322 §3.4; a
/// date, §3.3): one sentence for the user, which `parse` shows as the
/// finding's text beside the RFC rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, in words ("unterminated quoted string").
    pub reason: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for SyntaxError {}

impl From<String> for SyntaxError {
    fn from(reason: String) -> Self {
        SyntaxError { reason }
    }
}

impl From<&str> for SyntaxError {
    fn from(reason: &str) -> Self {
        SyntaxError {
            reason: reason.to_owned(),
        }
    }
}

/// Why an input of `parse` could not be read: the file or directory named
/// on the command line, and the system's reason.
#[derive(Debug)]
pub struct InputError {
    /// The path as the user gave it (`standard input` for `-`).
    pub what: String,
    /// What the operating system said.
    pub source: std::io::Error,
}

impl InputError {
    pub(crate) fn new(what: impl Into<String>, source: std::io::Error) -> Self {
        InputError {
            what: what.into(),
            source,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.what, self.source)
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

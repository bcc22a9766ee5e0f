//! Faults an SMTP server session can be told to inject, for testing how a
//! client copes with a failing server (Mailpit's "chaos", and more).
//!
//! The session asks its [`Faults`] at each decision point; the owner's
//! implementation decides (by chance, by count) and logs what it did. The
//! session stays sans-IO: it holds no random source and no clock, only
//! the answers.

use std::time::Duration;

/// What the owner may make go wrong. Every method is asked once per
/// decision; `None`/`false` is the normal path.
pub trait Faults: Send + Sync + std::fmt::Debug {
    /// MAIL FROM is refused with this reply code (400-599).
    fn sender(&self) -> Option<u16>;
    /// RCPT TO is refused with this reply code.
    fn recipient(&self) -> Option<u16>;
    /// AUTH fails with this reply code once the credentials are in.
    fn auth(&self) -> Option<u16>;
    /// Every reply (the greeting included) is held this long.
    fn delay(&self) -> Option<Duration>;
    /// The connection is dropped in the middle of this DATA: asked at 354.
    fn disconnect(&self) -> bool;
    /// The message that just ended is refused with 451 (asked at the end
    /// of DATA, for messages that would otherwise be accepted).
    fn tempfail(&self) -> bool;
}

/// The enhanced status code (RFC 3463) sent with an injected reply code:
/// class from the code, "other or undefined" detail.
pub fn enhanced(code: u16) -> &'static str {
    if code >= 500 {
        "5.0.0"
    } else {
        "4.0.0"
    }
}

//! Internet messages (RFC 5322, MIME RFC 2045-2049, RFC 2047, RFC 2231):
//! composing them for `send`; parsing and validation come with `parse`.

pub mod compose;
pub mod encode;

//! Internet messages (RFC 5322, MIME RFC 2045-2049, RFC 2047, RFC 2231):
//! composing them for `send`; reading, showing and validating them for
//! `parse` (and for anything else that wants to check a message).

pub mod address;
pub mod compose;
pub mod date;
pub mod encode;
pub mod error;
pub mod header;
pub mod json;
pub mod mime;
pub mod source;
pub mod validate;
pub mod words;

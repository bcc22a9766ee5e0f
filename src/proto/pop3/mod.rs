//! POP3 (RFC 1939, with CAPA RFC 2449 and AUTH RFC 5034): the sans-IO
//! server session.

pub mod client;
pub mod server;

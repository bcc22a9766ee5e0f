//! SMTP (RFC 5321): command and reply codecs, the DATA reader, and the
//! sans-IO server and client sessions.

pub mod chunk;
pub mod client;
pub mod command;
pub mod data;
pub mod dsn;
pub mod faults;
pub mod reply;
pub mod server;
pub mod trace;

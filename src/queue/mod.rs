//! The outbound queue (SPEC: relay, queue): the persistent spool, the
//! retry schedule and the delivery status notifications. The delivery
//! runner that drains it over the shared loop, with the SMTP client
//! session, comes with server-to-server relay.

pub mod bounce;
pub mod dns;
pub mod error;
pub mod loader;
pub mod route;
pub mod runner;
pub mod schedule;
pub mod spool;
pub mod worker;

pub use spool::{Entry, NewEntry, Rcpt, SetAside, Spool, State};

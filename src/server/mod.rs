//! The servers' logic: what each protocol session's events mean (store
//! this message, check that password, open that maildrop, queue mail for
//! another domain), as services the loop hosts ([`crate::net`]). No
//! sockets and no flags here: `cmd/` turns flags into the settings these
//! take, and the same services make up `serve-smtp`, `serve-pop3` and,
//! several on one loop, `mailkit serve`.

pub mod chaos;
pub mod http;
pub mod imap;
pub mod pop3;
pub mod relay;
pub mod retention;
pub mod smtp;

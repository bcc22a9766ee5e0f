//! IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1): the sans-IO server
//! session. Commands are framed by `imap-codec`'s `Fragmentizer` (lines
//! and literals, with a size bound) and parsed by its `CommandCodec`; the
//! IMAP grammar is not written here. What needs the store is an
//! [`server::Request`] the owner answers; the session keeps the protocol
//! state: who is logged in, the selected mailbox's view (sequence numbers
//! to UIDs and flags, RFC 9051 §2.3.1), and when untagged updates may be
//! sent (§7: never an EXPUNGE during a FETCH, STORE or SEARCH by sequence
//! number).

pub mod client;
pub mod ext;
pub mod frame;
pub mod render;
pub mod server;
pub mod view;

//! mailkit: one binary for Internet mail from a terminal.
//!
//! The library holds everything but argument parsing: sans-IO protocol
//! sessions (`proto`), the mio event loop that drives them (`net`), the
//! Maildir store (`store`), the transcript format (`transcript`), and the
//! subcommands (`cmd`), each a thin front over those.

pub mod cli;
pub mod cmd;
pub mod message;
pub mod net;
pub mod proto;
pub mod queue;
pub mod replay;
pub mod server;
pub mod store;
pub mod transcript;
pub mod util;

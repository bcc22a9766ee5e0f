//! The subcommands: each turns its flags into a configuration, calls the
//! core, and reports. Errors are `anyhow` here, with text that says what to do.

pub mod common;
pub mod fetch;
pub mod fetch_imap;
pub mod hash_password;
pub mod parse;
pub mod queue;
pub mod replay;
pub mod send;
pub mod serve;
pub mod serve_http;
pub mod serve_imap;
pub mod serve_pop3;
pub mod serve_smtp;

use crate::cli::{Cli, Command};

/// A command's failure with its own exit status (send: swaks's codes;
/// fetch: 3 connection, 4 authentication; replay: 1 mismatch, 3
/// connection). `main` prints the message and exits with the code.
#[derive(Debug)]
pub struct Exit {
    /// The process exit status.
    pub code: i32,
    /// What went wrong, for stderr.
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// An [`Exit`] as an `anyhow::Error`.
pub fn exit(code: i32, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Exit {
        code,
        message: message.into(),
    })
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let result = dispatch(cli);
    // Transcripts are written by their own thread: let it finish.
    crate::transcript::sink::drain();
    result
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::ServeSmtp(args) => serve_smtp::run(args),
        Command::Send(args) => send::run(args),
        Command::ServePop3(args) => serve_pop3::run(args),
        Command::ServeImap(args) => serve_imap::run(args),
        Command::ServeHttp(args) => serve_http::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Parse(args) => parse::run(args),
        Command::Replay(args) => replay::run(args),
        Command::HashPassword(args) => hash_password::run(args),
        Command::Queue(args) => queue::run(args),
    }
}

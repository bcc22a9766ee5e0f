//! The subcommands: each turns its flags into a configuration, calls the
//! core, and reports. Errors are `anyhow` here, with text that says what to do.

pub mod common;
pub mod fetch;
pub mod parse;
pub mod replay;
pub mod send;
pub mod serve_pop3;
pub mod serve_smtp;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::ServeSmtp(args) => serve_smtp::run(args),
        Command::Send(args) => send::run(args),
        Command::ServePop3(args) => serve_pop3::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Parse(args) => parse::run(args),
        Command::Replay(args) => replay::run(args),
    }
}

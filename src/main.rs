//! The `mailkit` binary: parse arguments, run the subcommand, and turn an
//! error into one line on stderr and an exit status.

use clap::Parser;

fn main() {
    let cli = mailkit::cli::Cli::parse();
    if let Err(e) = mailkit::cmd::run(cli) {
        eprintln!("mailkit: error: {e:#}");
        std::process::exit(1);
    }
}

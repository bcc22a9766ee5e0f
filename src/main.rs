//! The `mailkit` binary: parse arguments, run the subcommand, and turn an
//! error into one line on stderr and an exit status.

use clap::Parser;

fn main() {
    let cli = match mailkit::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `send` keeps swaks's convention: a bad command line is 1.
            let send = std::env::args().nth(1).as_deref() == Some("send");
            let code = if e.use_stderr() && send {
                1
            } else {
                e.exit_code()
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if let Err(e) = mailkit::cmd::run(cli) {
        // `mailkit fetch | head`: the reader has what it wanted. Leave
        // quietly, as cat and grep do (nothing was deleted on a server:
        // fetch commits deletions only after every message is written).
        let broken_pipe = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
        if broken_pipe {
            std::process::exit(0);
        }
        // Commands with their own statuses say so with cmd::Exit.
        let code = e.downcast_ref::<mailkit::cmd::Exit>().map_or(1, |x| x.code);
        eprintln!("mailkit: error: {e:#}");
        std::process::exit(code);
    }
}

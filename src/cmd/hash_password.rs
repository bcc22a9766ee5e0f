//! `mailkit hash-password`: a `{SCHEME}hash` for a users file line, so that
//! no plain password needs to sit in the file.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};

use crate::cli::HashPassword;
use crate::store::users::hash_password;

/// Reads one line from stdin with echo off when it is a terminal.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("MAILKIT_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    // SAFETY: termios calls on fd 0 with a zeroed struct that tcgetattr fills.
    let saved = tty.then(|| unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return None;
        }
        let mut quiet = t;
        quiet.c_lflag &= !libc::ECHO;
        libc::tcsetattr(0, libc::TCSANOW, &quiet);
        Some(t)
    });
    if tty {
        eprint!("password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(Some(t)) = saved {
        // SAFETY: restores the settings read above.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
        eprintln!();
    }
    read.context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs `mailkit hash-password`.
pub fn run(args: HashPassword) -> anyhow::Result<()> {
    let password = read_password()?;
    if password.is_empty() {
        bail!("the password is empty: give it on stdin or in MAILKIT_PASSWORD");
    }
    let hash = hash_password(&password, &args.scheme)?;
    match &args.user {
        Some(u) if u.contains([':', '\n']) => bail!("--user {u:?} cannot hold ':' or a line break"),
        Some(u) => println!("{u}:{hash}"),
        None => println!("{hash}"),
    }
    Ok(())
}

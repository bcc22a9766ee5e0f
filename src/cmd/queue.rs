//! `mailkit queue list|show|delete|flush`: the outbound queue as a person
//! sees it (Postfix's mailq and postqueue -f).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

use crate::cli::{Queue, QueueAction};
use crate::queue::{Entry, Spool, State};
use crate::util::time::iso_utc;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn describe(e: &Entry, now: u64, out: &mut String) {
    out.push_str(&format!(
        "{}  {}  <{}>\n",
        e.id,
        iso_utc(at(e.arrived)),
        e.from.as_deref().unwrap_or("")
    ));
    for r in &e.rcpts {
        let when = match r.state {
            State::Pending if r.next_attempt <= now => "next try now".to_owned(),
            State::Pending => format!(
                "next try {} (in {} s)",
                iso_utc(at(r.next_attempt)),
                r.next_attempt - now
            ),
            _ => String::new(),
        };
        let mut line = format!(
            "    {}  {}, {} attempt{}",
            r.addr,
            match r.state {
                State::Pending => "pending",
                State::Delivered => "delivered",
                State::Failed => "failed",
            },
            r.attempts,
            if r.attempts == 1 { "" } else { "s" }
        );
        if !when.is_empty() {
            line += &format!(", {when}");
        }
        if !r.last_reply.is_empty() {
            line += &format!(": {}", r.last_reply);
        }
        out.push_str(&line);
        out.push('\n');
    }
}

/// Runs `mailkit queue`.
pub fn run(args: Queue) -> anyhow::Result<()> {
    let dir = args.queue.unwrap_or_else(|| {
        let maildir = std::env::var_os("MAILKIT_MAILDIR")
            .map_or_else(|| PathBuf::from("mail"), PathBuf::from);
        maildir.join(".queue")
    });
    if !dir.join("env").is_dir() {
        bail!(
            "{} is not a queue directory (give --queue DIR, the server's --queue)",
            dir.display()
        );
    }
    let spool =
        Spool::open(&dir).with_context(|| format!("cannot open the queue {}", dir.display()))?;
    let now = crate::queue::spool::unix(SystemTime::now());
    match args.action {
        QueueAction::List => {
            let (entries, aside) = spool.load().context("cannot read the queue")?;
            let mut out = String::new();
            for e in &entries {
                describe(e, now, &mut out);
            }
            let pending: usize = entries.iter().map(|e| e.pending().count()).sum();
            out.push_str(&format!(
                "{} message{} queued, {pending} recipient{} pending\n",
                entries.len(),
                if entries.len() == 1 { "" } else { "s" },
                if pending == 1 { "" } else { "s" }
            ));
            for a in aside {
                out.push_str(&format!(
                    "set aside (unreadable, see {}/corrupt): {}: {}\n",
                    dir.display(),
                    a.id,
                    a.why
                ));
            }
            print!("{out}");
        }
        QueueAction::Show { id } => {
            let (entries, _) = spool.load().context("cannot read the queue")?;
            let Some(e) = entries.iter().find(|e| e.id == id) else {
                bail!("no queue entry {id:?} (see `mailkit queue list`)");
            };
            let mut out = String::new();
            describe(e, now, &mut out);
            let msg = spool.message(&id).context("cannot read the message")?;
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(
                crate::queue::bounce::header_block(&msg),
            ));
            print!("{out}");
        }
        QueueAction::Delete { id } => {
            spool.remove(&id).with_context(|| {
                format!("cannot delete queue entry {id:?} (see `mailkit queue list`)")
            })?;
            println!("deleted {id}");
        }
        QueueAction::Flush => {
            spool
                .request_flush()
                .context("cannot write the flush request")?;
            println!(
                "flush requested: a running server tries every pending recipient within a second"
            );
        }
    }
    Ok(())
}

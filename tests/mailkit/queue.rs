//! `mailkit queue` over a spool written by the library (the relay runner
//! that fills it is not built yet): list, show, delete, flush, and a
//! corrupt envelope set aside.

use std::process::Command;
use std::time::SystemTime;

use mailkit::queue::Spool;

use crate::support::{bin, TempDir};

fn queue(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin())
        .arg("queue")
        .args(args)
        .arg("--queue")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_show_delete_flush() {
    let dir = TempDir::new("queue");
    let q = dir.path().join("q");
    let spool = Spool::open(&q).unwrap();
    let mut e = spool
        .enqueue(
            Some("alice@crepes.fr"),
            &["bob@hamburger.edu".into(), "carol@hamburger.edu".into()],
            b"Subject: queued\nFrom: alice@crepes.fr\n\nbody\n",
            SystemTime::now(),
        )
        .unwrap();
    e.rcpts[1].state = mailkit::queue::State::Delivered;
    e.rcpts[0].attempts = 2;
    e.rcpts[0].next_attempt += 600;
    e.rcpts[0].last_reply = "451 4.3.0 try again later".into();
    spool.save(&e).unwrap();
    let (code, out, err) = queue(&q, &["list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with(&format!("{}  ", e.id)), "{out}");
    assert!(out.contains("<alice@crepes.fr>"), "{out}");
    assert!(
        out.contains("    bob@hamburger.edu  pending, 2 attempts, next try "),
        "{out}"
    );
    assert!(
        out.contains("(in 600 s): 451 4.3.0 try again later"),
        "{out}"
    );
    assert!(
        out.contains("    carol@hamburger.edu  delivered, 0 attempts"),
        "{out}"
    );
    assert!(
        out.ends_with("1 message queued, 1 recipient pending\n"),
        "{out}"
    );
    let (_, out, _) = queue(&q, &["show", &e.id]);
    assert!(
        out.contains("Subject: queued\n") && !out.contains("body"),
        "{out}"
    );
    let (code, out, _) = queue(&q, &["flush"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("flush requested"));
    assert!(spool.take_flush());
    assert_eq!(queue(&q, &["delete", &e.id]).0, Some(0));
    assert_eq!(queue(&q, &["delete", &e.id]).0, Some(1));
    assert!(queue(&q, &["list"])
        .1
        .ends_with("0 messages queued, 0 recipients pending\n"));
    // A damaged envelope is set aside with its reason, not lost.
    let bad = spool
        .enqueue(None, &["x@y.z".into()], b"x", SystemTime::now())
        .unwrap();
    std::fs::write(q.join("env").join(&bad.id), "garbage\n").unwrap();
    let (_, out, _) = queue(&q, &["list"]);
    assert!(
        out.contains(&format!(
            "set aside (unreadable, see {}/corrupt): {}: line 1",
            q.display(),
            bad.id
        )),
        "{out}"
    );
    assert!(q.join("corrupt").join(format!("{}.msg", bad.id)).exists());
    assert_eq!(queue(&dir.path().join("nope"), &["list"]).0, Some(1));
}

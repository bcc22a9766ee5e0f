//! `mailkit fetch` against serve-pop3 on loopback.

use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::{DeadPort, Server, TempDir};

fn setup(dir: &TempDir, n: usize) -> Server {
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            format!("From: alice@crepes.fr\nSubject: message {i}\n\nFrom the start\n.dot {i}\n")
                .into_bytes()
        })
        .collect();
    serve(dir, &bodies, Duration::from_millis(5))
}

/// serve-pop3 over bob's maildrop holding `bodies`, stored `gap` apart.
fn serve(dir: &TempDir, bodies: &[Vec<u8>], gap: Duration) -> Server {
    let maildir = dir.path().join("mail");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let mut md = mailkit::store::Maildir::open(&maildir, "h").unwrap();
    let b = vec!["bob@hamburger.edu".to_string()];
    for body in bodies {
        md.deliver(mailkit::store::Delivery {
            mailboxes: &b,
            header: b"",
            body,
        })
        .unwrap();
        std::thread::sleep(gap);
    }
    Server::start(&[
        "serve-pop3",
        "--domain",
        "hamburger.edu",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
        "--auth-delay-ms",
        "10",
    ])
}

fn fetch(srv: &Server) -> Command {
    let mut c = Command::cargo_bin("mailkit").unwrap();
    c.args(["fetch", "--server", &srv.addr.to_string(), "--user", "bob"])
        .env_remove("MAILKIT_PASSWORD")
        .timeout(Duration::from_secs(30));
    c
}

fn count(dir: &std::path::Path) -> usize {
    ["new", "cur"]
        .iter()
        .map(|s| {
            std::fs::read_dir(dir.join(s))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn fetch_delete_new_only_list_and_mbox() {
    let dir = TempDir::new("fetch");
    let srv = setup(&dir, 3);
    let local = dir.path().join("local");
    fetch(&srv)
        .args(["--password", "hungry", "--new-only", "--to-maildir"])
        .arg(&local)
        .assert()
        .success()
        .stderr(predicate::str::contains("3 messages"));
    assert_eq!(count(&local), 3);
    fetch(&srv)
        .args(["--password", "hungry", "--new-only", "--to-maildir"])
        .arg(&local)
        .assert()
        .success()
        .stderr(predicate::str::contains("0 messages"));
    assert_eq!(count(&local), 3);
    assert!(dir.path().join("local.mailkit-uidl").is_file());

    fetch(&srv)
        .args(["--password", "hungry", "--list"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"(?m)^1\t\d+\t\S+\talice@crepes.fr\tmessage 0\t$").unwrap(),
        );

    let mbox = dir.path().join("inbox.mbox");
    fetch(&srv)
        .args(["--password", "hungry", "--delete", "--to-mbox"])
        .arg(&mbox)
        .assert()
        .success()
        .stderr(predicate::str::contains("deleted 3 on the server"));
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert_eq!(
        text.matches("\nFrom MAILER-DAEMON ").count()
            + usize::from(text.starts_with("From MAILER-DAEMON ")),
        3
    );
    assert_eq!(
        text.matches("\n>From the start\n").count(),
        3,
        "mboxrd quoting"
    );
    assert_eq!(
        count(&dir.path().join("mail/bob@hamburger.edu")),
        0,
        "deleted on the server"
    );
}

#[test]
fn failures_have_their_exit_codes() {
    let dir = TempDir::new("fetch-fail");
    let srv = setup(&dir, 1);
    let local = dir.path().join("local");
    fetch(&srv)
        .args(["--password", "wrong", "--delete", "--to-maildir"])
        .arg(&local)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("refused the login"));
    assert_eq!(count(&local), 0);
    assert_eq!(count(&dir.path().join("mail/bob@hamburger.edu")), 1);
    let dead = DeadPort::new();
    let free = dead.addr.to_string();
    Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "fetch",
            "--server",
            &free,
            "--user",
            "bob",
            "--password",
            "x",
        ])
        .assert()
        .code(3);
    fetch(&srv)
        .args([
            "--password",
            "hungry",
            "--wait",
            "5",
            "--timeout",
            "2",
            "--list",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("waiting for 5 messages"));
    fetch(&srv)
        .args(["--password", "hungry", "--wait", "1", "--stdout"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Subject: message 0"));
}

#[test]
fn more_than_one_batch_into_a_maildir_with_delete() {
    // 300 messages: more than one batch (256), so a commit comes mid-run
    // and one before QUIT; every message is kept once, the server emptied.
    let dir = TempDir::new("fetch-batches");
    let bodies: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("Subject: m{i}\n\nbody {i}\n").into_bytes())
        .collect();
    let srv = serve(&dir, &bodies, Duration::ZERO);
    let maildir = dir.path().join("mail");
    let local = dir.path().join("local");
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    fetch(&srv)
        .args([
            "--password",
            "hungry",
            "--delete",
            "--new-only",
            "--to-maildir",
        ])
        .arg(&local)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "300 messages ({bytes} bytes) from bob at"
        )))
        .stderr(predicate::str::contains("deleted 300 on the server"));
    assert_eq!(count(&local), 300);
    assert_eq!(std::fs::read_dir(local.join("tmp")).unwrap().count(), 0);
    let mut subjects: Vec<String> = std::fs::read_dir(local.join("new"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|t| t.lines().next().unwrap_or("").to_string())
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 300);
    assert_eq!(count(&maildir.join("bob@hamburger.edu")), 0);
    let uidls = std::fs::read_to_string(dir.path().join("local.mailkit-uidl")).unwrap();
    assert_eq!(uidls.lines().count(), 300);
}

#[test]
fn fetch_into_a_closed_pipe_leaves_quietly_and_deletes_nothing() {
    let dir = TempDir::new("fetch-pipe");
    let big = "x".repeat(8000);
    let bodies: Vec<Vec<u8>> = (0..60)
        .map(|i| format!("Subject: m{i}\n\n{big}\n").into_bytes())
        .collect();
    let srv = serve(&dir, &bodies, Duration::from_millis(0));
    let cmd = format!(
        "set -o pipefail; {} fetch --server {} --user bob --password hungry --delete | head -c 100 >/dev/null; echo \"status=${{PIPESTATUS[0]}}\"",
        crate::support::bin().display(),
        srv.addr
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &cmd])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status=0\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "not quiet");
    // Nothing was deleted: every message is still there.
    fetch(&srv)
        .args(["--password", "hungry", "--list"])
        .assert()
        .code(0)
        .stdout(predicate::function(|s: &str| s.lines().count() == 60));
}

#[test]
fn new_only_to_stdout_keeps_its_state_where_state_file_says() {
    let dir = TempDir::new("fetch-state");
    let srv = setup(&dir, 2);
    let state = dir.path().join("seen.uidl");
    for expect in [2, 0] {
        fetch(&srv)
            .args(["--password", "hungry", "--new-only", "--state-file"])
            .arg(&state)
            .assert()
            .code(0)
            .stderr(predicate::str::contains(format!(
                "fetch: {expect} messages"
            )));
    }
    assert_eq!(std::fs::read_to_string(&state).unwrap().lines().count(), 2);
}

//! serve-pop3 on loopback, over a store filled by serve-smtp.

use std::time::Duration;

use crate::support::{Client, Server, TempDir};

#[test]
fn smtp_in_pop3_out_and_delete_after_quit() {
    let dir = TempDir::new("pop3");
    let maildir = dir.path().join("mail");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let smtp = Server::start(&[
        "serve-smtp",
        "--quiet",
        "--hostname",
        "hamburger.edu",
        "--maildir",
        maildir.to_str().unwrap(),
    ]);
    let mut c = Client::connect(smtp.addr);
    c.reply();
    c.send(
        b"EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n",
    );
    for _ in 0..4 {
        c.reply();
    }
    c.send(b"Subject: ketchup\r\n\r\nDo you like ketchup?\r\n..dot\r\n.\r\n");
    assert_eq!(c.reply().0, 250);

    let pop = Server::start(&[
        "serve-pop3",
        "--hostname",
        "hamburger.edu",
        "--domain",
        "hamburger.edu",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
    ]);
    let mut p = Client::connect(pop.addr);
    let greeting = p.line().unwrap();
    assert!(
        greeting.starts_with("+OK ") && greeting.contains("@hamburger.edu>"),
        "{greeting}"
    );
    for (cmd, want) in [
        ("user bob", "+OK"),
        ("pass hungry", "+OK maildrop has 1 message"),
        ("STAT", "+OK 1 "),
    ] {
        p.send(format!("{cmd}\r\n").as_bytes());
        let l = p.line().unwrap();
        assert!(l.starts_with(want), "{cmd}: {l}");
    }
    p.send(b"RETR 1\r\n");
    assert!(p.line().unwrap().starts_with("+OK"));
    let mut body = Vec::new();
    loop {
        let l = p.line().unwrap();
        if l == "." {
            break;
        }
        body.push(l);
    }
    assert_eq!(body[0], "Return-Path: <alice@crepes.fr>");
    assert_eq!(body[body.len() - 2..], ["Do you like ketchup?", "..dot"]);
    // A second session is refused while this one holds the maildrop.
    let mut q = Client::connect(pop.addr);
    q.line();
    q.send(b"USER bob\r\nPASS hungry\r\n");
    q.line();
    assert!(q.line().unwrap().starts_with("-ERR [IN-USE]"));
    p.send(b"DELE 1\r\nQUIT\r\n");
    assert!(p.line().unwrap().starts_with("+OK"));
    assert!(p.line().unwrap().starts_with("+OK"));
    assert!(p.closed_within(Duration::from_secs(5)));
    let left: usize = ["new", "cur"]
        .iter()
        .map(|s| {
            std::fs::read_dir(maildir.join("bob@hamburger.edu").join(s))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(left, 0, "deleted after QUIT");
}

#[test]
fn throwaway_mode_needs_auth_any_beyond_loopback() {
    let dir = TempDir::new("pop3-any");
    assert_cmd::Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-pop3", "--listen", "0.0.0.0:0", "--maildir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--auth-any"));
}

#[test]
fn recorded_sessions_never_hold_the_password() {
    let dir = TempDir::new("pop3-rec");
    let rec = dir.path().join("rec");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let maildir = dir.path().join("mail");
    let pop = Server::start(&[
        "serve-pop3",
        "--domain",
        "hamburger.edu",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
    ]);
    let mut p = Client::connect(pop.addr);
    p.line();
    let token = "AGJvYgBodW5ncnk="; // \0bob\0hungry
    p.send(b"USER bob\r\nPASS hungry\r\nQUIT\r\n");
    for _ in 0..3 {
        p.line();
    }
    assert!(p.closed_within(Duration::from_secs(5)));
    let mut q = Client::connect(pop.addr);
    q.line();
    q.send(b"AUTH PLAIN\r\n");
    assert_eq!(q.line().unwrap(), "+ ");
    q.send(format!("{token}\r\nQUIT\r\n").as_bytes());
    q.line();
    q.line();
    assert!(q.closed_within(Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(200));
    let mut all = String::new();
    for f in std::fs::read_dir(&rec).unwrap().flatten() {
        all.push_str(&std::fs::read_to_string(f.path()).unwrap());
    }
    assert!(
        all.contains("C: PASS <redacted>") && all.contains("C: <redacted>"),
        "{all}"
    );
    assert!(!all.contains("hungry") && !all.contains(token), "{all}");
}

#[test]
fn hashed_passwords_log_in() {
    let dir = TempDir::new("pop3-hash");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:{SHA512-CRYPT}$6$saltsaltsalt$zZMEdDt4m0sn2HrsT5e.ZxEC.dCUcgH6SjrqPyddm0CoMNzzCEh60EH0Y5TpthoGkLqdZ.U6d5UNQN2G3VSs01\n").unwrap();
    let maildir = dir.path().join("mail");
    let pop = Server::start(&[
        "serve-pop3",
        "--domain",
        "hamburger.edu",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
        "--auth-delay-ms",
        "1",
    ]);
    let mut p = Client::connect(pop.addr);
    let greeting = p.line().unwrap();
    assert!(
        !greeting.contains('<'),
        "no APOP with hashed passwords: {greeting}"
    );
    p.send(b"USER bob\r\nPASS angry\r\n");
    p.line();
    assert!(p.line().unwrap().starts_with("-ERR [AUTH]"));
    p.send(b"USER bob\r\nPASS hungry\r\n");
    p.line();
    assert!(p.line().unwrap().starts_with("+OK maildrop has 0 messages"));
}

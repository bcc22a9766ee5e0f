//! `mailkit send` against serve-smtp on loopback.

use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::{files, DeadPort, Server, TempDir};

fn server(dir: &TempDir) -> Server {
    let maildir = dir.path().join("mail");
    Server::start(&[
        "serve-smtp",
        "--hostname",
        "hamburger.edu",
        "--quiet",
        "--maildir",
        maildir.to_str().unwrap(),
    ])
}

fn send(addr: &str) -> Command {
    let mut c = Command::cargo_bin("mailkit").unwrap();
    c.args(["send", "--server", addr])
        .env_remove("MAILKIT_SERVER")
        .timeout(Duration::from_secs(30));
    c
}

fn stored(dir: &TempDir, mailbox: &str) -> Vec<String> {
    files(&dir.path().join("mail"), mailbox, "new")
        .iter()
        .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
        .collect()
}

#[test]
fn composed_message_with_attachment_arrives_intact() {
    let dir = TempDir::new("send-compose");
    let srv = server(&dir);
    let att = dir.path().join("notes.txt");
    std::fs::write(&att, "Grüße\n").unwrap();
    send(&srv.addr.to_string())
        .args([
            "--from",
            "Alice <alice@crepes.fr>",
            "--to",
            "bob@hamburger.edu",
            "--cc",
            "carol@hamburger.edu",
        ])
        .args([
            "--bcc",
            "eve@hamburger.edu",
            "--subject",
            "Grüße",
            "--body",
            "Do you like ketchup?\n.dot",
        ])
        .arg("--attach")
        .arg(&att)
        .args(["--header", "X-Test: yes", "--helo", "crepes.fr"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"^250 2\.0\.0 Message accepted for delivery: queued as [0-9A-F]+\n$",
            )
            .unwrap(),
        );
    for mb in [
        "bob@hamburger.edu",
        "carol@hamburger.edu",
        "eve@hamburger.edu",
    ] {
        let msgs = stored(&dir, mb);
        assert_eq!(msgs.len(), 1, "{mb}");
        let m = &msgs[0];
        assert!(m.contains("Received: from crepes.fr"), "{m}");
        assert!(!m.contains("eve@"), "Bcc leaked: {m}");
        let parsed = mailparse::parse_mail(m.as_bytes()).unwrap();
        use mailparse::MailHeaderMap;
        assert_eq!(parsed.headers.get_first_value("Subject").unwrap(), "Grüße");
        assert_eq!(parsed.headers.get_first_value("X-Test").unwrap(), "yes");
        assert_eq!(parsed.subparts.len(), 2);
        assert_eq!(
            parsed.subparts[0].get_body().unwrap().replace("\r\n", "\n"),
            "Do you like ketchup?\n.dot\n"
        );
        assert_eq!(
            parsed.subparts[1].get_body_raw().unwrap(),
            "Grüße\n".as_bytes()
        );
    }
}

#[test]
fn exit_codes_follow_swaks() {
    let dir = TempDir::new("send-exit");
    let maildir = dir.path().join("mail");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:x\n").unwrap();
    let srv = Server::start(&[
        "serve-smtp",
        "--quiet",
        "--maildir",
        maildir.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
        "--users",
        users.to_str().unwrap(),
        "--max-message-size",
        "1K",
    ]);
    let addr = srv.addr.to_string();
    // No recipient accepted: 24, named on stderr.
    send(&addr)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "nobody@hamburger.edu",
            "--body",
            "x",
        ])
        .assert()
        .code(24)
        .stderr(predicate::str::contains("nobody@hamburger.edu"));
    // One of two refused: delivered to the other, exit 0; with --all-recipients, 24 and nothing sent.
    send(&addr)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "bob@hamburger.edu,nobody@hamburger.edu",
            "--body",
            "x",
        ])
        .assert()
        .success();
    assert_eq!(stored(&dir, "bob@hamburger.edu").len(), 1);
    send(&addr)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--to",
            "nobody@hamburger.edu",
            "--body",
            "x",
            "--all-recipients",
        ])
        .assert()
        .code(24);
    assert_eq!(stored(&dir, "bob@hamburger.edu").len(), 1);
    // Over the server's SIZE: refused before sending, 23.
    send(&addr)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--body",
            &"x".repeat(5000),
        ])
        .assert()
        .code(23)
        .stderr(predicate::str::contains("SIZE"));
    // Nothing listens: 2.
    let dead = DeadPort::new();
    let free = dead.addr.to_string();
    send(&free)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--body",
            "x",
        ])
        .assert()
        .code(2);
    // Bad command line and header injection: 1, nothing sent.
    send(&addr).args(["--no-such-flag"]).assert().code(1);
    send(&addr)
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "x\r\nBcc: victim@hamburger.edu",
            "--body",
            "x",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line break"));
    assert_eq!(stored(&dir, "bob@hamburger.edu").len(), 1);
}

#[test]
fn dump_transcript_and_prepared_messages() {
    let dir = TempDir::new("send-dump");
    send("127.0.0.1:1")
        .args([
            "--from",
            "a@crepes.fr",
            "--to",
            "b@hamburger.edu",
            "--subject",
            "hi",
            "--body",
            "x",
            "--dump",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Subject: hi\r\n")
                .and(predicate::str::contains("MIME-Version: 1.0\r\n")),
        );

    let srv = server(&dir);
    let transcript = dir.path().join("t.txt");
    let msg = dir.path().join("m.eml");
    std::fs::write(&msg, "From: a@crepes.fr\nTo: Bob <bob@hamburger.edu>\nBcc: eve@hamburger.edu\nSubject: prepared\n\n.dot line\nbody\n").unwrap();
    send(&srv.addr.to_string())
        .args(["--from", "a@crepes.fr", "--read-recipients", "--message"])
        .arg(&msg)
        .arg("--transcript")
        .arg(&transcript)
        .assert()
        .success();
    let bob = stored(&dir, "bob@hamburger.edu");
    assert_eq!(bob.len(), 1);
    assert!(
        bob[0].ends_with("Subject: prepared\n\n.dot line\nbody\n"),
        "{}",
        bob[0]
    );
    assert!(!bob[0].contains("eve@"));
    assert_eq!(stored(&dir, "eve@hamburger.edu").len(), 1);
    // BDAT (the server offers CHUNKING): the chunk's lines as they are.
    let t = std::fs::read_to_string(&transcript).unwrap();
    for want in [
        "S: 220 hamburger.edu ESMTP mailkit",
        "C: MAIL FROM:<a@crepes.fr> SIZE=",
        "C: BDAT ",
        "C: .dot line",
        "S: 250 2.0.0 Message accepted",
        "C: QUIT",
        "S: 221 2.0.0 hamburger.edu closing connection",
    ] {
        assert!(
            t.lines().any(|l| l.starts_with(want)),
            "{want:?} missing in\n{t}"
        );
    }
    assert!(!t.contains("C: DATA"), "{t}");
    // --no-chunking: DATA, dot-stuffed, the same message stored.
    send(&srv.addr.to_string())
        .args([
            "--from",
            "a@crepes.fr",
            "--read-recipients",
            "--no-chunking",
            "--message",
        ])
        .arg(&msg)
        .arg("--transcript")
        .arg(&transcript)
        .assert()
        .success();
    let t = std::fs::read_to_string(&transcript).unwrap();
    for want in ["C: DATA", "S: 354 ", "C: ..dot line", "C: ."] {
        assert!(
            t.lines().any(|l| l.starts_with(want)),
            "{want:?} missing in\n{t}"
        );
    }
    assert!(!t.contains("C: BDAT"), "{t}");
    let bob = stored(&dir, "bob@hamburger.edu");
    assert_eq!(bob.len(), 2);
    assert_eq!(
        bob[0].split_once("\n\n").map(|x| x.1),
        bob[1].split_once("\n\n").map(|x| x.1)
    );
}

#[test]
fn load_generator_sends_count_over_connections() {
    let dir = TempDir::new("send-load");
    let srv = server(&dir);
    send(&srv.addr.to_string())
        .args(["--from", "a@crepes.fr", "--to", "bob@hamburger.edu", "--subject", "load", "--body", "x", "--count", "300", "--connections", "7"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"^sent 300 of 300 messages \(0 failed\) over 7 connections in [0-9.]+ s: [0-9.]+ msg/s; latency p50 [0-9.]+ ms, p99 [0-9.]+ ms\n$").unwrap());
    let msgs = stored(&dir, "bob@hamburger.edu");
    assert_eq!(msgs.len(), 300);
    let ids: std::collections::HashSet<String> = msgs
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(ids.len(), 300, "every message has its own Message-ID");
}

/// How a scripted server answers each phase (`mail: None`: hang up).
#[derive(Clone, Copy)]
struct Phases {
    greeting: &'static str,
    ehlo: &'static str,
    helo: &'static str,
    mail: Option<&'static str>,
    rcpt: &'static str,
    data: &'static str,
    end: &'static str,
}

const OK: Phases = Phases {
    greeting: "220 x",
    ehlo: "250 ok",
    helo: "250 ok",
    mail: Some("250 ok"),
    rcpt: "250 ok",
    data: "354 go",
    end: "250 ok",
};

/// A one-connection SMTP server on loopback that answers as told.
fn refusing_server(p: Phases) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        let _ = w.write_all(format!("{}\r\n", p.greeting).as_bytes());
        let mut line = String::new();
        let mut in_data = false;
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            let reply = if in_data {
                if l != "." {
                    continue;
                }
                in_data = false;
                p.end
            } else {
                match l.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                    "EHLO" => p.ehlo,
                    "HELO" => p.helo,
                    "MAIL" => match p.mail {
                        Some(m) => m,
                        None => return,
                    },
                    "RCPT" => p.rcpt,
                    "DATA" => {
                        in_data = p.data.starts_with("354");
                        p.data
                    }
                    "QUIT" => "221 bye",
                    _ => "250 ok",
                }
            };
            let _ = w.write_all(format!("{reply}\r\n").as_bytes());
        }
    });
    addr
}

#[test]
fn every_refusing_phase_has_its_exit_code() {
    let cases = [
        (
            Phases {
                greeting: "554 go away",
                ..OK
            },
            21,
        ),
        (
            Phases {
                ehlo: "550 no",
                helo: "550 no",
                ..OK
            },
            22,
        ),
        (
            Phases {
                mail: Some("550 5.7.1 sender rejected"),
                ..OK
            },
            23,
        ),
        (
            Phases {
                rcpt: "550 5.1.1 unknown",
                data: "503 no rcpt",
                ..OK
            },
            24,
        ),
        (
            Phases {
                data: "554 no data",
                ..OK
            },
            25,
        ),
        (
            Phases {
                end: "554 5.6.0 rejected",
                ..OK
            },
            26,
        ),
        (Phases { mail: None, ..OK }, 6),
    ];
    for (phases, code) in cases {
        let addr = refusing_server(phases);
        send(&addr)
            .args([
                "--from",
                "a@crepes.fr",
                "--to",
                "b@hamburger.edu",
                "--body",
                "x",
                "--timeout",
                "5",
            ])
            .assert()
            .code(code)
            .stderr(predicate::str::contains("mailkit: error: "))
            .stdout(predicate::str::is_empty());
    }
}

//! TLS and AUTH on loopback with certificates made at start: STARTTLS and
//! implicit TLS for serve-smtp/send and serve-pop3/fetch, certificate
//! verification (exit 29), AUTH against a users file (exit 28 when wrong),
//! passwords never in transcripts.

use std::process::Command;
use std::time::Duration;

use crate::support::{bin, files, free_port, smtp_server, Client, Server, TempDir};

fn send(server: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(bin())
        .args([
            "send",
            "--server",
            server,
            "--from",
            "alice@crepes.fr",
            "--to",
            "bob@hamburger.edu",
        ])
        .args(["--subject", "tls", "--body", "over tls"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn starttls_and_implicit_tls_deliver_and_verification_fails_closed() {
    let dir = TempDir::new("tls-smtp");
    let tls_port = free_port();
    let tls_listen = format!("127.0.0.1:{tls_port}");
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--tls-self-signed", "--tls-listen", &tls_listen],
    );
    assert!(
        srv.log_text().contains("SHA-256 fingerprint"),
        "{}",
        srv.log_text()
    );
    let addr = srv.addr.to_string();
    // The plain port offers STARTTLS.
    let mut c = Client::connect(srv.addr);
    c.reply();
    c.send(b"EHLO x\r\n");
    assert!(c.reply().1.iter().any(|l| l == "250-STARTTLS"));
    let (code, err) = send(&addr, &["--starttls", "--insecure", "-v"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("server certificate SHA-256"), "{err}");
    assert!(
        err.contains("C: STARTTLS") && err.contains("S: 220 2.0.0 Ready to start TLS"),
        "{err}"
    );
    let (code, err) = send(&tls_listen, &["--tls", "--insecure"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        2
    );
    // Without --insecure the self-signed certificate is refused: 29, nothing sent.
    let (code, err) = send(&addr, &["--starttls"]);
    assert_eq!(code, Some(29), "{err}");
    assert!(err.contains("TLS failed"), "{err}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        2
    );
}

#[test]
fn auth_over_starttls_with_a_users_file() {
    let dir = TempDir::new("tls-auth");
    let users = dir.path().join("users");
    std::fs::write(&users, "alice@crepes.fr:s3cret\nbob@hamburger.edu:hungry\n").unwrap();
    let srv = smtp_server(
        &dir.path().join("mail"),
        &[
            "--tls-self-signed",
            "--users",
            users.to_str().unwrap(),
            "--domain",
            "hamburger.edu",
            "--auth-delay-ms",
            "10",
        ],
    );
    let addr = srv.addr.to_string();
    // AUTH is not offered in the clear once TLS is available.
    let mut c = Client::connect(srv.addr);
    c.reply();
    c.send(b"EHLO x\r\n");
    assert!(!c.reply().1.iter().any(|l| l.contains("AUTH")));
    let (code, err) = send(&addr, &["--auth", "alice@crepes.fr:s3cret"]);
    assert_eq!(code, Some(28), "{err}");
    let tr = dir.path().join("t.txt");
    for mech in ["PLAIN", "LOGIN"] {
        let (code, err) = send(
            &addr,
            &[
                "--starttls",
                "--insecure",
                "--auth",
                "alice@crepes.fr:s3cret",
                "--auth-mechanism",
                mech,
                "--transcript",
                tr.to_str().unwrap(),
            ],
        );
        assert_eq!(code, Some(0), "{mech}: {err}");
        let text = std::fs::read_to_string(&tr).unwrap();
        assert!(
            !text.contains("s3cret") && !text.contains("czNjcmV0"),
            "{text}"
        );
        assert!(text.contains("<redacted>"), "{text}");
    }
    let (code, err) = send(
        &addr,
        &[
            "--starttls",
            "--insecure",
            "--auth",
            "alice@crepes.fr:wrong",
        ],
    );
    assert_eq!(code, Some(28), "{err}");
    assert!(err.contains("535"), "{err}");
    assert!(
        srv.log_text()
            .contains("authentication failed for \"alice@crepes.fr\""),
        "{}",
        srv.log_text()
    );
}

#[test]
fn pop3_stls_and_pop3s_with_fetch() {
    let dir = TempDir::new("tls-pop3");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let maildir = dir.path().join("mail");
    let smtp = smtp_server(&maildir, &[]);
    assert_eq!(send(&smtp.addr.to_string(), &[]).0, Some(0));
    let tls_port = free_port();
    let tls_listen = format!("127.0.0.1:{tls_port}");
    let pop = Server::start(&[
        "serve-pop3",
        "--maildir",
        maildir.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
        "--tls-self-signed",
        "--tls-listen",
        &tls_listen,
    ]);
    // Logins wait for TLS on a server that has it.
    let mut c = Client::connect(pop.addr);
    c.line();
    c.send(b"USER bob\r\n");
    assert!(c
        .line()
        .unwrap_or_default()
        .starts_with("-ERR [AUTH] logins need TLS"));
    drop(c);
    let fetch = |server: &str, flag: &str| {
        let dest = dir
            .path()
            .join(format!("got{}", flag.trim_start_matches('-')));
        let out = Command::new(bin())
            .args([
                "fetch",
                "--server",
                server,
                flag,
                "--insecure",
                "--user",
                "bob",
                "--password",
                "hungry",
            ])
            .arg("--to-maildir")
            .arg(&dest)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            dest,
        )
    };
    let (code, err, dest) = fetch(&pop.addr.to_string(), "--starttls");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_dir(dest.join("new")).unwrap().count(), 1);
    let (code, err, dest) = fetch(&tls_listen, "--tls");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_dir(dest.join("new")).unwrap().count(), 1);
}

#[test]
fn hash_password_output_logs_in() {
    let dir = TempDir::new("hash-password");
    let out = Command::new(bin())
        .args(["hash-password", "--user", "alice@crepes.fr"])
        .env("MAILKIT_PASSWORD", "s3cret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        line.starts_with("alice@crepes.fr:{ARGON2ID}$argon2id$"),
        "{line}"
    );
    assert!(!line.contains("s3cret"));
    let users = dir.path().join("users");
    std::fs::write(&users, format!("{line}bob@hamburger.edu:hungry\n")).unwrap();
    // No TLS configured, loopback only: AUTH is offered in the clear.
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--users", users.to_str().unwrap(), "--auth-delay-ms", "1"],
    );
    let addr = srv.addr.to_string();
    assert_eq!(
        send(&addr, &["--auth", "alice@crepes.fr:s3cret"]).0,
        Some(0)
    );
    assert_eq!(send(&addr, &["--auth", "alice@crepes.fr:nope"]).0, Some(28));
}

const STARTTLS_SESSION: &str = "S: 220 x\nC: EHLO c\nS: 250-x\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go\n\
C: EHLO c\nS: 250 x\nC: MAIL FROM:<a@crepes.fr>\nS: 250 ok\nC: RCPT TO:<bob@hamburger.edu>\nS: 250 ok\n\
C: DATA\nS: 354 go\nC: Subject: replayed over tls\nC: \nC: hi\nC: .\nS: 250 ok\nC: QUIT\nS: 221 bye\n";

#[test]
fn replay_follows_starttls_in_a_transcript_on_both_sides() {
    let dir = TempDir::new("tls-replay");
    let t = dir.path().join("st.txt");
    std::fs::write(&t, STARTTLS_SESSION).unwrap();
    let srv = smtp_server(&dir.path().join("mail"), &["--tls-self-signed"]);
    let run = |extra: &[&str]| {
        Command::new(bin())
            .args(["replay", "--server", &srv.addr.to_string()])
            .args(extra)
            .arg(&t)
            .output()
            .unwrap()
    };
    let ok = run(&["--insecure"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        1
    );
    let bad = run(&[]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("TLS failed: invalid peer certificate"));
    // The server side: a client that does STARTTLS against the transcript.
    let mut rep = Server::start(&[
        "replay",
        "--serve",
        "--once",
        "--tls-self-signed",
        t.to_str().unwrap(),
    ]);
    let (code, err) = send(
        &rep.addr.to_string(),
        &["--helo", "c", "--starttls", "--insecure"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        rep.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        rep.log_text()
    );
}

#[test]
fn smtp_auth_accept_any_takes_any_password_but_never_opens_the_relay() {
    let dir = TempDir::new("auth-any-smtp");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let srv = smtp_server(
        &dir.path().join("mail"),
        &[
            "--tls-self-signed",
            "--users",
            users.to_str().unwrap(),
            "--domain",
            "hamburger.edu",
            "--smtp-auth-accept-any",
            "--relay-to",
            "127.0.0.1:9",
        ],
    );
    let addr = srv.addr.to_string();
    let (code, err) = send(
        &addr,
        &[
            "--starttls",
            "--insecure",
            "--auth",
            "nobody@x.org:anything",
        ],
    );
    assert_eq!(code, Some(0), "any password is taken: {err}");
    // A login that proves nothing does not let mail through to others.
    let out = Command::new(bin())
        .args(["send", "--server", &addr, "--starttls", "--insecure"])
        .args(["--auth", "nobody@x.org:anything", "--from", "a@x.org"])
        .args(["--to", "someone@elsewhere.example", "--body", "relay?"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(24),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

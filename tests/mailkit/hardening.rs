//! Issue 14: the ways a hostile peer or an unlucky setup broke mailkit,
//! each guarded at the binary level on loopback.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{bin, files, free_port, smtp_server, Server, TempDir};

/// Runs mailkit with `args` and returns what it did.
fn mailkit(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

/// Asserts a run exited 0 (showing its stderr otherwise); returns it.
fn ok(out: std::process::Output) -> std::process::Output {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// A message of about `size` bytes: short lines of text.
fn big_body(size: usize) -> String {
    let line = "The quick brown fox jumps over the lazy dog, again and again.\n";
    line.repeat(size / line.len() + 1)
}

fn stored_sizes(root: &std::path::Path, mailbox: &str) -> Vec<usize> {
    files(root, mailbox, "new")
        .iter()
        .map(|p| std::fs::read(p).unwrap().len())
        .collect()
}

/// Item 1: a reply or message over 64 KiB goes through TLS whole.
#[test]
fn large_writes_go_through_tls_whole() {
    let dir = TempDir::new("tls-large");
    let mail = dir.path().join("mail");
    let tls_listen = format!("127.0.0.1:{}", free_port());
    let srv = smtp_server(&mail, &["--tls-self-signed", "--tls-listen", &tls_listen]);
    let body = dir.path().join("body.txt");
    std::fs::write(&body, big_body(300 * 1024)).unwrap();
    let plain = srv.addr.to_string();
    for (server, flags) in [
        (&plain, &["--starttls", "--insecure"][..]),
        (&tls_listen, &["--tls", "--insecure"][..]),
    ] {
        let out = Command::new(bin())
            .args(["send", "--server", server])
            .args(["--from", "alice@crepes.fr", "--to", "bob@hamburger.edu"])
            .arg("--body-file")
            .arg(&body)
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sizes = stored_sizes(&mail, "bob@hamburger.edu");
    assert_eq!(sizes.len(), 2);
    assert!(sizes.iter().all(|&n| n > 300 * 1024), "{sizes:?}");
    // POP3 RETR of that message, and UIDL of a large maildrop, over STLS.
    let md = mail.join("bob@hamburger.edu").join("new");
    for i in 0..2500 {
        std::fs::write(
            md.join(format!("1700000000.M{i}P1Q{i}.hamburger.edu")),
            format!("Subject: m{i}\n\nx\n"),
        )
        .unwrap();
    }
    let pop = Server::start(&[
        "serve-pop3",
        "--tls-self-signed",
        "--maildir",
        mail.to_str().unwrap(),
    ]);
    let fetch = |what: &str| {
        ok(mailkit(&[
            "fetch",
            "--server",
            &pop.addr.to_string(),
            "--starttls",
            "--insecure",
            "--user",
            "bob@hamburger.edu",
            "--password",
            "x",
            what,
        ]))
    };
    let list = fetch("--list");
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 2502);
    assert!(fetch("--stdout").stdout.len() > 300 * 1024);
}

/// Item 1: the relay queue delivers a message over 64 KiB to a next hop
/// that offers STARTTLS.
#[test]
fn the_queue_relays_large_messages_over_starttls() {
    let dir = TempDir::new("tls-relay-large");
    let b_mail = dir.path().join("b-mail");
    let b = Server::start(&[
        "serve-smtp",
        "--hostname",
        "hamburger.edu",
        "--domain",
        "hamburger.edu",
        "--tls-self-signed",
        "--maildir",
        b_mail.to_str().unwrap(),
    ]);
    let users = dir.path().join("users");
    std::fs::write(&users, "alice@crepes.fr:secret\n").unwrap();
    let route = format!("hamburger.edu={}", b.addr);
    let a = Server::start(&[
        "serve-smtp",
        "--hostname",
        "crepes.fr",
        "--domain",
        "crepes.fr",
        "--users",
        users.to_str().unwrap(),
        "--route",
        &route,
        "--retry-base",
        "1",
        "--maildir",
        dir.path().join("a-mail").to_str().unwrap(),
    ]);
    let body = dir.path().join("body.txt");
    std::fs::write(&body, big_body(200 * 1024)).unwrap();
    let out = Command::new(bin())
        .args(["send", "--server", &a.addr.to_string()])
        .args([
            "--auth",
            "alice@crepes.fr:secret",
            "--from",
            "alice@crepes.fr",
        ])
        .args(["--to", "bob@hamburger.edu", "--body-file"])
        .arg(&body)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        wait_until(Duration::from_secs(10), || stored_sizes(
            &b_mail,
            "bob@hamburger.edu"
        )
        .len()
            == 1),
        "{}",
        a.log_text()
    );
    assert!(stored_sizes(&b_mail, "bob@hamburger.edu")[0] > 200 * 1024);
}

/// A server that answers STARTTLS with its 220 and, in the same write, a
/// whole session's worth of success replies in the clear; it cannot
/// speak TLS. Returns its address.
fn injecting_server() -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming().take(4) {
            let Ok(mut s) = conn else { return };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut r = BufReader::new(s.try_clone().unwrap());
            let _ = s.write_all(b"220 evil.test ESMTP\r\n");
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                let cmd = line.trim().to_ascii_uppercase();
                line.clear();
                if cmd.starts_with("EHLO") {
                    let _ = s.write_all(b"250-evil.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
                } else if cmd == "STARTTLS" {
                    let _ = s.write_all(
                        b"220 go ahead\r\n250-evil.test\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued as INJECTED\r\n221 bye\r\n",
                    );
                    // Whatever comes now is a TLS hello we cannot answer.
                    std::thread::sleep(Duration::from_millis(500));
                    break;
                } else {
                    let _ = s.write_all(b"250 ok\r\n");
                }
            }
        }
    });
    addr
}

/// Item 8: replies injected in the clear behind the 220 to STARTTLS are
/// dropped; nothing counts as delivered without a TLS session.
#[test]
fn starttls_response_injection_is_not_believed() {
    let addr = injecting_server();
    let out = Command::new(bin())
        .args([
            "send",
            "--server",
            &addr.to_string(),
            "--starttls",
            "--insecure",
        ])
        .args(["--from", "a@x.org", "--to", "b@y.org", "--body", "x"])
        .args(["--timeout", "3"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("INJECTED"));
    // The TLS handshake fails (the server cannot speak it) or the server
    // hangs up: never "delivered", never a reply confusion.
    assert!(matches!(out.status.code(), Some(6) | Some(29)), "{err}");
    assert!(!err.contains("unexpected reply"), "{err}");
}

/// Item 10: a message that has been through too many hops is refused
/// (RFC 5321 §6.3), and one hop fewer is not.
#[test]
fn a_message_with_too_many_received_fields_is_refused() {
    let dir = TempDir::new("hops");
    let srv = smtp_server(&dir.path().join("mail"), &["--max-hops", "5"]);
    let mut c = crate::support::Client::connect(srv.addr);
    c.reply();
    assert_eq!(c.cmd("EHLO x"), 250);
    for (hops, code) in [(4, 250), (5, 554)] {
        assert_eq!(c.cmd("MAIL FROM:<a@x.org>"), 250);
        assert_eq!(c.cmd("RCPT TO:<b@y.org>"), 250);
        assert_eq!(c.cmd("DATA"), 354);
        let trace = "Received: from a by b; Tue, 1 Dec 2026 05:00:00 +0000\r\n".repeat(hops);
        c.send(format!("{trace}Subject: loop\r\n\r\nround and round\r\n.\r\n").as_bytes());
        let (got, lines) = c.reply();
        assert_eq!(got, code, "{lines:?}");
        if code == 554 {
            assert!(lines[0].starts_with("554 5.4.6 "), "{lines:?}");
        }
    }
}

/// Item 10: two servers that route a domain to each other stop the loop
/// at the hop limit and bounce the message to its sender.
#[test]
fn a_relay_loop_between_two_servers_ends_in_a_bounce() {
    let dir = TempDir::new("hop-loop");
    let port = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string()
    };
    let (a_addr, b_addr) = (port(()), port(()));
    let a_mail = dir.path().join("a-mail");
    let start =
        |name: &str, listen: &str, other: &str, other_name: &str, mail: &std::path::Path| {
            let route = format!("loop.test={other}");
            let back = format!("{other_name}={other}");
            let mut child = Command::new(bin())
                .args(["serve-smtp", "--hostname", name, "--domain", name])
                .args(["--listen", listen, "--route", &route, "--route", &back])
                .args(["--relay-from", "127.0.0.0/8"])
                .args(["--retry-base", "1", "--quiet", "--maildir"])
                .arg(mail)
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let _ = &mut child;
            child
        };
    let mut a = start("a.test", &a_addr, &b_addr, "b.test", &a_mail);
    let mut b = start(
        "b.test",
        &b_addr,
        &a_addr,
        "a.test",
        &dir.path().join("b-mail"),
    );
    std::thread::sleep(Duration::from_millis(300));
    let out = Command::new(bin())
        .args(["send", "--server", &a_addr, "--from", "alice@a.test"])
        .args(["--to", "x@loop.test", "--body", "round and round"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let bounced = || {
        files(&a_mail, "alice@a.test", "new")
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("5.4.6")))
    };
    let ok = wait_until(Duration::from_secs(30), bounced);
    let _ = a.kill();
    let _ = b.kill();
    let _ = a.wait();
    let _ = b.wait();
    assert!(ok, "no 5.4.6 bounce reached the sender");
}

/// Smaller item: the `with` type of `Received:` names TLS and AUTH
/// (RFC 3848).
#[test]
fn received_says_esmtps_and_esmtpsa() {
    let dir = TempDir::new("esmtps");
    let mail = dir.path().join("mail");
    let srv = smtp_server(&mail, &["--tls-self-signed"]);
    for extra in [&[][..], &["--auth", "bob@hamburger.edu:any"][..]] {
        let out = Command::new(bin())
            .args([
                "send",
                "--server",
                &srv.addr.to_string(),
                "--starttls",
                "--insecure",
            ])
            .args([
                "--from",
                "alice@crepes.fr",
                "--to",
                "bob@hamburger.edu",
                "--body",
                "x",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut withs: Vec<String> = files(&mail, "bob@hamburger.edu", "new")
        .iter()
        .map(|p| {
            let t = std::fs::read_to_string(p).unwrap();
            t.split(" with ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    withs.sort();
    assert_eq!(withs, ["ESMTPS", "ESMTPSA"]);
}

/// Item 6: on a throwaway server (no --users) an any-password login does
/// not open the relay.
#[test]
fn an_any_password_login_never_grants_relaying() {
    let dir = TempDir::new("open-relay");
    let srv = smtp_server(
        &dir.path().join("mail"),
        &[
            "--domain",
            "a.test",
            "--relay-to",
            "127.0.0.1:9",
            "--tls-self-signed",
        ],
    );
    let server = srv.addr.to_string();
    let send_to = |to: &str| {
        mailkit(&[
            "send",
            "--server",
            &server,
            "--starttls",
            "--insecure",
            "--auth",
            "anyone:anything",
            "--from",
            "x@x.org",
            "--to",
            to,
            "--body",
            "hi",
        ])
    };
    let out = send_to("victim@elsewhere.test");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(24), "{err}");
    assert!(err.contains("550 5.7.1"), "{err}");
    // Local delivery still works for that login.
    ok(send_to("bob@a.test"));
}

/// Item 6: serve-pop3 without --users refuses a wildcard --tls-listen as
/// it does a wildcard --listen.
#[test]
fn pop3_without_users_refuses_a_wildcard_tls_listener() {
    let dir = TempDir::new("pop3-wild-tls");
    assert_cmd::Command::new(bin())
        .args([
            "serve-pop3",
            "--tls-self-signed",
            "--tls-listen",
            "0.0.0.0:0",
        ])
        .args(["--listen", "127.0.0.1:0", "--maildir"])
        .arg(dir.path().join("mail"))
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--auth-any"));
}

/// Item 2: a connection to an implicit-TLS listener on a wildcard address
/// is inside TLS (no STARTTLS offered, AUTH and logins accepted). Only
/// loopback traffic: the listener is on 0.0.0.0, the client on 127.0.0.1.
#[test]
fn a_wildcard_implicit_tls_listener_is_tls() {
    let dir = TempDir::new("wild-tls");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\nalice@crepes.fr:secret\n").unwrap();
    let mail = dir.path().join("mail");
    let port = free_port();
    let wild = format!("0.0.0.0:{port}");
    let local = format!("127.0.0.1:{port}");
    let _smtp = smtp_server(
        &mail,
        &[
            "--users",
            users.to_str().unwrap(),
            "--tls-self-signed",
            "--tls-listen",
            &wild,
        ],
    );
    let out = Command::new(bin())
        .args(["send", "--server", &local, "--tls", "--insecure", "-v"])
        .args([
            "--auth",
            "alice@crepes.fr:secret",
            "--from",
            "alice@crepes.fr",
        ])
        .args(["--to", "bob@hamburger.edu", "--body", "x"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("250-STARTTLS"),
        "STARTTLS offered inside TLS: {err}"
    );
    let pop_port = free_port();
    let pop = Server::start(&[
        "serve-pop3",
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
        "--tls-self-signed",
        "--tls-listen",
        &format!("0.0.0.0:{pop_port}"),
        "--maildir",
        mail.to_str().unwrap(),
    ]);
    let _ = pop.addr;
    let list = Command::new(bin())
        .args([
            "fetch",
            "--server",
            &format!("127.0.0.1:{pop_port}"),
            "--tls",
            "--insecure",
        ])
        .args(["--user", "bob", "--password", "hungry", "--list"])
        .output()
        .unwrap();
    assert_eq!(
        list.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 1);
}

/// Item 7: credentials a client pipelines behind AUTH, and APOP digests,
/// never reach `--record` transcripts.
#[test]
fn pipelined_credentials_and_apop_digests_are_not_recorded() {
    use md5::Digest;
    let dir = TempDir::new("record-secrets");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    let srv = smtp_server(
        &dir.path().join("mail"),
        &[
            "--users",
            users.to_str().unwrap(),
            "--record",
            rec.to_str().unwrap(),
        ],
    );
    let b64 = |s: &str| data_encoding::BASE64.encode(s.as_bytes());
    let mut c = crate::support::Client::connect(srv.addr);
    c.reply();
    c.send(
        format!(
            "EHLO x\r\nAUTH LOGIN\r\n{}\r\n{}\r\nQUIT\r\n",
            b64("bob@hamburger.edu"),
            b64("hungry")
        )
        .as_bytes(),
    );
    assert!(c.closed_within(Duration::from_secs(5)));
    // serve-pop3 with plain passwords offers APOP.
    let pop = Server::start(&[
        "serve-pop3",
        "--users",
        users.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
        "--maildir",
        dir.path().join("mail").to_str().unwrap(),
    ]);
    let mut p = crate::support::Client::connect(pop.addr);
    let greeting = p.line().unwrap();
    let stamp = &greeting[greeting.find('<').unwrap()..=greeting.rfind('>').unwrap()];
    let digest: String = md5::Md5::digest(format!("{stamp}hungry").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    p.send(format!("APOP bob@hamburger.edu {digest}\r\n").as_bytes());
    assert!(p.line().unwrap().starts_with("+OK"));
    p.send(b"QUIT\r\n");
    let _ = p.line();
    drop(p);
    let all = || -> String {
        std::fs::read_dir(&rec)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    };
    assert!(wait_until(Duration::from_secs(5), || all()
        .matches("QUIT")
        .count()
        >= 2));
    let text = all();
    assert!(!text.contains(&b64("hungry")), "{text}");
    assert!(!text.contains(&digest), "{text}");
    assert!(
        text.contains("C: APOP bob@hamburger.edu <redacted>"),
        "{text}"
    );
}

/// A users file with bob's password hashed with Argon2id (as
/// `mailkit hash-password` makes it).
fn argon_users(dir: &TempDir) -> std::path::PathBuf {
    let out = Command::new(bin())
        .args(["hash-password", "--user", "bob@hamburger.edu"])
        .env("MAILKIT_PASSWORD", "hungry")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let users = dir.path().join("users");
    std::fs::write(&users, &out.stdout).unwrap();
    users
}

/// One failed AUTH PLAIN on a fresh connection: how long until the 535.
fn auth_time(addr: std::net::SocketAddr, user: &str) -> (u16, Duration) {
    let mut c = crate::support::Client::connect(addr);
    c.reply();
    assert_eq!(c.cmd("EHLO x"), 250);
    let creds = data_encoding::BASE64.encode(format!("\0{user}\0wrong").as_bytes());
    let start = Instant::now();
    let code = c.cmd(&format!("AUTH PLAIN {creds}"));
    (code, start.elapsed())
}

/// Item 9: a login for a user who does not exist takes as long as one
/// for a user who does (a dummy hash is checked), so timing does not
/// tell which users exist.
#[test]
fn auth_timing_does_not_tell_which_users_exist() {
    let dir = TempDir::new("auth-timing");
    let users = argon_users(&dir);
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--users", users.to_str().unwrap(), "--auth-delay-ms", "0"],
    );
    let (code, known) = auth_time(srv.addr, "bob@hamburger.edu");
    assert_eq!(code, 535);
    let (code, unknown) = auth_time(srv.addr, "nobody@hamburger.edu");
    assert_eq!(code, 535);
    assert!(
        unknown * 2 >= known,
        "an unknown user failed in {unknown:?}, a known one in {known:?}"
    );
}

/// Item 9: a flood of logins gets 454 past a bounded queue instead of
/// queueing without limit in front of everyone else.
#[test]
fn a_flood_of_logins_is_bounded() {
    let dir = TempDir::new("auth-flood");
    let users = argon_users(&dir);
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--users", users.to_str().unwrap(), "--auth-delay-ms", "0"],
    );
    let creds = data_encoding::BASE64.encode(b"\0bob@hamburger.edu\0wrong");
    let mut conns: Vec<crate::support::Client> = (0..48)
        .map(|_| {
            let mut c = crate::support::Client::connect(srv.addr);
            c.reply();
            assert_eq!(c.cmd("EHLO x"), 250);
            c
        })
        .collect();
    for c in conns.iter_mut() {
        c.send(format!("AUTH PLAIN {creds}\r\n").as_bytes());
    }
    let codes: Vec<u16> = conns.iter_mut().map(|c| c.reply().0).collect();
    assert!(codes.iter().all(|&c| c == 535 || c == 454), "{codes:?}");
    assert!(codes.contains(&454), "{codes:?}");
}

fn pop3(dir: &TempDir, extra: &[&str]) -> Server {
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let mail = dir.path().join("mail");
    let mut args = vec![
        "serve-pop3",
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
        "--auth-delay-ms",
        "10",
        "--maildir",
        mail.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// Logs in as bob; returns the client and the reply to PASS.
fn pop3_login(addr: std::net::SocketAddr) -> (crate::support::Client, String) {
    let mut c = crate::support::Client::connect(addr);
    assert!(c.line().unwrap().starts_with("+OK"));
    c.send(b"USER bob\r\n");
    assert!(c.line().unwrap().starts_with("+OK"));
    c.send(b"PASS hungry\r\n");
    let reply = c.line().unwrap();
    (c, reply)
}

/// Item 11: the maildrop lock is released however a session ends: QUIT
/// (before the client closes its socket), a dropped connection, an idle
/// timeout with a client that never closes, the session time limit.
#[test]
fn the_pop3_lock_is_released_however_a_session_ends() {
    let dir = TempDir::new("pop3-lock");
    let srv = pop3(&dir, &["--timeout", "1", "--max-session-time", "3"]);
    // QUIT: the next login works while the old socket is still open.
    let (mut first, r) = pop3_login(srv.addr);
    assert!(r.starts_with("+OK"), "{r}");
    first.send(b"QUIT\r\n");
    assert!(first.line().unwrap().starts_with("+OK"));
    let (second, r) = pop3_login(srv.addr);
    assert!(r.starts_with("+OK"), "after QUIT: {r}");
    // A dropped connection.
    drop(second);
    std::thread::sleep(Duration::from_millis(200));
    let (idle, r) = pop3_login(srv.addr);
    assert!(r.starts_with("+OK"), "after a drop: {r}");
    drop(first);
    // Idle: the server gives up on it; the client never closes its end.
    let _keep_open = idle;
    let ok = wait_until(Duration::from_secs(8), || {
        let (c, r) = pop3_login(srv.addr);
        drop(c);
        r.starts_with("+OK")
    });
    assert!(ok, "the lock of a timed-out session was never released");
}

/// Item 11: serve-pop3 --max-session-time ends a session that stays busy.
#[test]
fn a_busy_pop3_session_ends_at_its_time_limit() {
    let dir = TempDir::new("pop3-session-limit");
    let srv = pop3(&dir, &["--max-session-time", "2"]);
    let (mut c, r) = pop3_login(srv.addr);
    assert!(r.starts_with("+OK"), "{r}");
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(6) {
        c.send(b"NOOP\r\n");
        match c.line() {
            Some(l) => last = l,
            None => break,
        }
        if last.starts_with("-ERR") {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(last.contains("session too long"), "{last}");
    assert!(start.elapsed() < Duration::from_secs(4));
}

/// A server that sends its greeting one byte every 300 ms, for 30 s.
fn dripping_server(greeting: &'static [u8]) -> std::net::SocketAddr {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            for b in greeting.iter().cycle().take(100) {
                if s.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    });
    addr
}

/// Item 11: a server that drips a byte at a time cannot hold send or
/// fetch past --timeout; fetch does not call that "could not connect".
#[test]
fn client_timeouts_are_per_step_not_per_byte() {
    let addr = dripping_server(b"220 drip.test ESMTP, one byte at a time and never a line end ");
    let start = Instant::now();
    let out = Command::new(bin())
        .args(["send", "--server", &addr.to_string(), "--timeout", "2"])
        .args(["--from", "a@x.org", "--to", "b@y.org", "--body", "x"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "send took {:?}",
        start.elapsed()
    );
    let addr = dripping_server(b"+OK drip, one byte at a time and never a line end ");
    let start = Instant::now();
    let out = Command::new(bin())
        .args(["fetch", "--server", &addr.to_string(), "--timeout", "2"])
        .args(["--user", "x", "--password", "y", "--list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("connected to"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "fetch took {:?}",
        start.elapsed()
    );
}

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap_or(0)
        * 1024
}

/// Item 3: 12 KB of pipelined `RETR 1` (a 1 MB message) from a client that
/// does not read keeps serve-pop3's memory bounded, and another user is
/// served meanwhile.
#[test]
fn pipelined_retr_from_a_client_that_does_not_read_is_bounded() {
    let dir = TempDir::new("pop3-pipeline");
    let mail = dir.path().join("mail");
    for user in ["bob", "carol"] {
        let md = mail.join(format!("{user}@hamburger.edu")).join("new");
        std::fs::create_dir_all(&md).unwrap();
        std::fs::write(md.join("1700000000.M1P1Q1.h"), big_body(1024 * 1024)).unwrap();
    }
    let srv = Server::start(&["serve-pop3", "--maildir", mail.to_str().unwrap()]);
    let before = rss(srv.child.id());
    let mut c = crate::support::Client::connect(srv.addr);
    c.line();
    c.send(b"USER bob@hamburger.edu\r\nPASS x\r\n");
    c.line();
    c.line();
    c.send(&b"RETR 1\r\n".repeat(1500));
    std::thread::sleep(Duration::from_secs(2));
    let grown = rss(srv.child.id()).saturating_sub(before);
    assert!(grown < 64 << 20, "serve-pop3 grew by {} MB", grown >> 20);
    // Carol is served at once.
    let start = Instant::now();
    let list = Command::new(bin())
        .args(["fetch", "--server", &srv.addr.to_string()])
        .args(["--user", "carol@hamburger.edu", "--password", "x", "--list"])
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    drop(c);
}

/// Item 4: SMTP clients that pipeline HELP and never read their replies
/// cost a bounded amount each.
#[test]
fn smtp_clients_that_never_read_are_bounded() {
    let dir = TempDir::new("smtp-noread");
    let srv = smtp_server(&dir.path().join("mail"), &[]);
    let before = rss(srv.child.id());
    let help = b"HELP\r\n".repeat(64 * 1024 / 6);
    let mut conns: Vec<std::net::TcpStream> = (0..100)
        .map(|_| {
            let s = connect_small_rcvbuf(srv.addr);
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    // Each writes until the server stops reading it (a bounded amount:
    // at most 16 MB a connection).
    for _ in 0..8 {
        for s in conns.iter_mut() {
            use std::io::Write;
            let mut sent = 0;
            while sent < 2 << 20 {
                match s.write(&help) {
                    Ok(n) if n > 0 => sent += n,
                    _ => break,
                }
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let grown = rss(srv.child.id()).saturating_sub(before);
    eprintln!("serve-smtp grew by {} KB for 100 clients", grown >> 10);
    assert!(
        grown < 55 << 20,
        "serve-smtp grew by {} MB for 100 clients",
        grown >> 20
    );
    drop(conns);
    std::thread::sleep(Duration::from_secs(1));
    eprintln!(
        "after they left: {} KB above the start",
        rss(srv.child.id()).saturating_sub(before) >> 10
    );
}

/// A loopback connection whose receive buffer is as small as the kernel
/// allows, so replies the client does not read stay with the server (not
/// in the kernel's buffers) and show in its memory.
fn connect_small_rcvbuf(addr: std::net::SocketAddr) -> std::net::TcpStream {
    use std::os::fd::FromRawFd;
    let std::net::SocketAddr::V4(v4) = addr else {
        panic!("IPv4 loopback expected")
    };
    // SAFETY: plain socket calls on a descriptor we own and then hand to
    // TcpStream, which closes it.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let small: libc::c_int = 4096;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&small as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_port = v4.port().to_be();
        a.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::connect(fd, (&a as *const libc::sockaddr_in).cast(), len),
            0
        );
        std::net::TcpStream::from_raw_fd(fd)
    }
}

/// Smaller item: SMTP reply text is printable ASCII (RFC 5321 §4.2).
#[test]
fn smtp_replies_are_ascii() {
    let dir = TempDir::new("ascii-replies");
    let srv = smtp_server(&dir.path().join("mail"), &[]);
    let mut c = crate::support::Client::connect(srv.addr);
    c.reply();
    c.send(format!("{}\r\n", "X".repeat(600)).as_bytes());
    let (code, lines) = c.reply();
    assert_eq!(code, 500);
    assert!(lines.iter().all(|l| l.is_ascii()), "{lines:?}");
    assert!(lines[0].contains("section 4.5.3.1.4"), "{lines:?}");
    assert_eq!(c.cmd("EHLO x"), 250);
    c.send("MAIL FROM:<jörg@x.org> SMTPUTF8\r\n".as_bytes());
    let (_, lines) = c.reply();
    assert!(lines.iter().all(|l| l.is_ascii()), "{lines:?}");
}

/// Smaller item: attachment names lose bidirectional controls, a leading
/// dash and stray quotes.
#[test]
fn extracted_names_are_what_they_look_like() {
    let dir = TempDir::new("extract-names");
    let eml = dir.path().join("m.eml");
    let part = |name: &str| {
        format!(
            "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n"
        )
    };
    let msg = format!(
        "From: a@b.c\r\nDate: Tue, 02 Jan 2024 09:30:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n{}{}{}--B--\r\n",
        part("photo\u{202E}gnp.exe"),
        part("-rf"),
        part("\\\"x.pdf")
    );
    std::fs::write(&eml, msg).unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(bin())
        .args(["parse", "--extract"])
        .arg(&out_dir)
        .arg(&eml)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["photognp.exe", "rf", "x.pdf"]);
}

/// Smaller item: a mailbox directory that is a symbolic link is not
/// followed out of the store.
#[test]
fn the_store_does_not_follow_symlinks() {
    let dir = TempDir::new("store-links");
    let mail = dir.path().join("mail");
    let outside = dir.path().join("outside");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(outside.join(sub)).unwrap();
    }
    std::fs::create_dir_all(&mail).unwrap();
    std::os::unix::fs::symlink(&outside, mail.join("bob@hamburger.edu")).unwrap();
    let srv = smtp_server(&mail, &[]);
    let out = Command::new(bin())
        .args(["send", "--server", &srv.addr.to_string()])
        .args([
            "--from",
            "a@x.org",
            "--to",
            "bob@hamburger.edu",
            "--body",
            "x",
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(files(&outside, "", "new").is_empty());
    assert!(std::fs::read_dir(outside.join("new"))
        .unwrap()
        .next()
        .is_none());
    // The server's log line may reach its reader thread a moment after
    // the client has its answer.
    let t = Instant::now();
    while !srv.log_text().contains("symbolic link") && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        srv.log_text().contains("symbolic link"),
        "{}",
        srv.log_text()
    );
}

/// Smaller item: a queue file edited by hand with a parameter smuggled
/// into an address, or with a name that is not UTF-8, is set aside.
#[test]
fn hand_edited_queue_files_are_set_aside() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("queue-edited");
    let q = dir.path().join("q");
    let spool = mailkit::queue::Spool::open(&q).unwrap();
    let e = spool
        .enqueue(
            Some("a@b.c"),
            &["x@y.z".into()],
            b"Subject: x\n\nhi\n",
            std::time::SystemTime::now(),
        )
        .unwrap();
    let path = q.join("msg").join(&e.id);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("from a@b.c", "from a@b.c> SIZE=1")).unwrap();
    std::fs::write(
        q.join("msg").join(std::ffi::OsStr::from_bytes(b"bad\xff")),
        b"x",
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["queue", "list", "--queue"])
        .arg(&q)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("not an address"), "{all}");
    assert!(all.contains("not UTF-8"), "{all}");
    assert!(
        std::fs::read_dir(q.join("msg")).unwrap().next().is_none(),
        "{all}"
    );
}

/// Smaller item: a users file anyone can read is worth a warning.
#[test]
fn a_world_readable_users_file_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("users-mode");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--users", users.to_str().unwrap()],
    );
    assert!(srv.log_text().contains("chmod 600"), "{}", srv.log_text());
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o600)).unwrap();
    let srv = smtp_server(
        &dir.path().join("mail"),
        &["--users", users.to_str().unwrap()],
    );
    assert!(!srv.log_text().contains("chmod 600"), "{}", srv.log_text());
}

/// Item 5: parse keeps memory proportional to a bounded input: a million
/// empty parts, or two million header fields, parse under a 1 GB
/// address-space limit, and --validate names the excess.
#[test]
fn parse_memory_is_bounded_for_absurd_messages() {
    let dir = TempDir::new("parse-absurd");
    let parts = dir.path().join("parts.eml");
    std::fs::write(
        &parts,
        format!(
            "From: a@b.c\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n{}--b--\n",
            "--b\n\n".repeat(1_000_000)
        ),
    )
    .unwrap();
    let fields = dir.path().join("fields.eml");
    std::fs::write(
        &fields,
        format!("From: a@b.c\n{}\nbody\n", "X-F: y\n".repeat(2_000_000)),
    )
    .unwrap();
    for (file, what) in [(&parts, "MIME boundary lines"), (&fields, "header fields")] {
        for mode in ["--json", "--validate"] {
            let cmd = format!(
                "ulimit -v 1000000; exec {} parse {mode} {}",
                bin().display(),
                file.display()
            );
            let out = Command::new("bash").args(["-c", &cmd]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            if mode == "--json" {
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            } else {
                assert_eq!(out.status.code(), Some(1));
                assert!(text.contains(&format!("more than 10000 {what}")), "{text}");
            }
        }
    }
}

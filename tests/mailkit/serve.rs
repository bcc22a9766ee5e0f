//! `mailkit serve`: SMTP, POP3, IMAP and HTTP in one process over one
//! store, on port-0 listeners: a message sent over SMTP is announced on
//! the web page's event stream and listed over HTTP, POP3 and IMAP; `off`
//! turns a protocol off; SIGTERM stops every one with each protocol's
//! goodbye; chaos, release, retention and readiness end to end; the web
//! page in a real browser.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::serve_http::{browser_test, change, get_json, http, wait_until, Events};
use crate::support::{bin, Client, TempDir};

/// Starts `mailkit serve ARGS`; returns the child and each protocol's
/// announced address, and a receiver of its later log lines.
fn serve(
    args: &[&str],
    protocols: &[&str],
) -> (
    std::process::Child,
    HashMap<String, SocketAddr>,
    mpsc::Receiver<String>,
    Vec<String>,
) {
    let mut child = Command::new(bin())
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut found = HashMap::new();
    let mut seen = Vec::new();
    while found.len() < protocols.len() {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("mailkit serve announces every listener");
        seen.push(line.clone());
        if let Some((proto, addr)) = line
            .strip_prefix("mailkit: ")
            .and_then(|l| l.split_once(" listening on "))
        {
            found.insert(proto.to_owned(), addr.trim().parse().unwrap());
        }
    }
    (child, found, rx, seen)
}

/// An IMAP session logged in as Bob with INBOX selected and IDLE begun.
fn imap_idle(addr: SocketAddr) -> BufReader<std::net::TcpStream> {
    use std::io::Write;
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let expect = |r: &mut BufReader<std::net::TcpStream>, prefix: &str| {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                r.read_line(&mut line).unwrap() > 0,
                "IMAP closed waiting for {prefix}"
            );
            if line.starts_with(prefix) {
                return;
            }
        }
    };
    expect(&mut r, "* OK");
    w.write_all(b"a LOGIN bob@hamburger.edu x\r\n").unwrap();
    expect(&mut r, "a OK");
    w.write_all(b"b SELECT INBOX\r\n").unwrap();
    expect(&mut r, "b OK");
    w.write_all(b"c IDLE\r\n").unwrap();
    expect(&mut r, "+ ");
    r
}

/// `mailkit send` of one message from Alice to Bob through `smtp`.
fn send(smtp: SocketAddr, subject: &str) {
    let out = Command::new(bin())
        .args(["send", "--server", &smtp.to_string()])
        .args(["--from", "alice@crepes.fr", "--to", "bob@hamburger.edu"])
        .args(["--subject", subject, "--body", "hello"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// SMTP and HTTP on free ports, POP3 and IMAP off, over `maildir`,
/// with `extra` flags.
fn smtp_and_http<'a>(maildir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let any = "127.0.0.1:0";
    let mut v = vec![
        "--smtp",
        any,
        "--pop3",
        "off",
        "--imap",
        "off",
        "--http",
        any,
        "--maildir",
        maildir,
    ];
    v.extend_from_slice(extra);
    v
}

/// Every protocol on a free port, over `maildir`, with `extra` flags.
fn all_four<'a>(maildir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let any = "127.0.0.1:0";
    let mut v = vec![
        "--smtp",
        any,
        "--pop3",
        any,
        "--imap",
        any,
        "--http",
        any,
        "--maildir",
        maildir,
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn one_process_serves_every_protocol_over_one_store() {
    let dir = TempDir::new("serve-all");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, rx, _) =
        serve(&all_four(maildir, &[]), &["smtp", "pop3", "imap", "http"]);
    let mut events = Events::open(addrs["http"], None).unwrap();
    let mut idle = imap_idle(addrs["imap"]);
    send(addrs["smtp"], "one process");
    // IMAP IDLE hears of it from the same feed.
    let mut line = String::new();
    while !line.contains("EXISTS") {
        line.clear();
        assert!(
            idle.read_line(&mut line).unwrap() > 0,
            "IMAP closed during IDLE"
        );
    }
    assert_eq!(line.trim_end(), "* 1 EXISTS");
    // The delivery reaches the event stream through the shared feed.
    assert_eq!(events.wait("new")["Subject"], "one process");
    for (proto, server) in [("pop3", addrs["pop3"]), ("imap", addrs["imap"])] {
        let out = Command::new(bin())
            .args([
                "fetch",
                "--protocol",
                proto,
                "--server",
                &server.to_string(),
            ])
            .args(["--user", "bob@hamburger.edu", "--password", "x", "--list"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("one process"),
            "{proto}: {text}"
        );
    }
    // SIGTERM stops every protocol; the process exits 0.
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let log: Vec<String> = rx.try_iter().collect();
    assert!(
        log.iter().any(|l| l == "mailkit: serve: stopped"),
        "{log:?}"
    );
}

#[test]
fn off_turns_a_protocol_off() {
    let dir = TempDir::new("serve-off");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, _rx, _) = serve(
        &[
            "--smtp",
            "off",
            "--pop3",
            "off",
            "--imap",
            "127.0.0.1:0",
            "--http",
            "off",
            "--maildir",
            maildir,
        ],
        &["imap"],
    );
    assert_eq!(addrs.keys().collect::<Vec<_>>(), ["imap"]);
    let _ = child.kill();
    let _ = child.wait();
    let out = Command::new(bin())
        .args([
            "serve", "--smtp", "off", "--pop3", "off", "--imap", "off", "--http", "off",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("every protocol is off"));
}

#[test]
fn every_protocol_presents_the_same_self_signed_certificate() {
    let dir = TempDir::new("serve-tls");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, _, _rx, seen) = serve(
        &all_four(maildir, &["--tls-self-signed"]),
        &["smtp", "pop3", "imap", "http"],
    );
    let _ = child.kill();
    let _ = child.wait();
    let made: Vec<&String> = seen
        .iter()
        .filter(|l| l.contains("self-signed certificate for"))
        .collect();
    let same = seen
        .iter()
        .filter(|l| l.contains("the same self-signed certificate"))
        .count();
    assert_eq!((made.len(), same), (1, 3), "{seen:?}");
}

#[test]
fn max_messages_keeps_the_newest() {
    let dir = TempDir::new("serve-retention");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, rx, _) = serve(
        &smtp_and_http(maildir, &["--max-messages", "2"]),
        &["smtp", "http"],
    );
    for n in 1..=3 {
        send(addrs["smtp"], &format!("message {n}"));
        // Received times one apart at least a millisecond.
        std::thread::sleep(Duration::from_millis(20));
    }
    let inbox = dir.path().join("bob@hamburger.edu");
    let t = std::time::Instant::now();
    let count = || {
        crate::support::files(dir.path(), "bob@hamburger.edu", "new").len()
            + crate::support::files(dir.path(), "bob@hamburger.edu", "cur").len()
    };
    while count() != 2 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        count(),
        2,
        "{:?}",
        std::fs::read_dir(inbox.join("new")).map(|d| d.count())
    );
    let subjects: Vec<String> = crate::support::files(dir.path(), "bob@hamburger.edu", "new")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter_map(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
        })
        .collect();
    assert!(!subjects.contains(&"message 1".to_owned()), "{subjects:?}");
    let _ = child.kill();
    let _ = child.wait();
    let log: Vec<String> = rx.try_iter().collect();
    assert!(
        log.iter()
            .any(|l| l.contains("retention: removed 1 old message")),
        "{log:?}"
    );
}

#[test]
fn exit_after_stops_every_protocol() {
    let dir = TempDir::new("serve-exit");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, _rx, _) = serve(
        &all_four(maildir, &["--exit-after", "1"]),
        &["smtp", "pop3", "imap", "http"],
    );
    send(addrs["smtp"], "one");
    let t = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "serve did not exit after one message"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    for a in addrs.values() {
        assert!(
            std::net::TcpStream::connect(a).is_err(),
            "{a} still listens"
        );
    }
    assert_eq!(
        crate::support::files(dir.path(), "bob@hamburger.edu", "new").len(),
        1
    );
}

/// A raw SMTP session through the greeting and EHLO.
fn smtp_session(addr: SocketAddr) -> Client {
    let mut c = Client::connect(addr);
    assert_eq!(c.reply().0, 220);
    assert_eq!(c.cmd("EHLO app.test"), 250);
    c
}

/// Replaces the chaos settings over HTTP; the status.
fn put_chaos(http: SocketAddr, v: serde_json::Value) -> u16 {
    change(http, "PUT", "/api/v1/chaos", &v)
}

#[test]
fn chaos_fails_on_purpose_and_changes_at_run_time() {
    let dir = TempDir::new("serve-chaos");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, rx, seen) = serve(
        &smtp_and_http(maildir, &["--chaos", "sender=550:100"]),
        &["smtp", "http"],
    );
    assert!(
        seen.iter().any(|l| l.starts_with("mailkit: chaos: on")),
        "{seen:?}"
    );
    let (smtp, http_addr) = (addrs["smtp"], addrs["http"]);
    // Mailpit's sender trigger from the flag.
    let mut c = smtp_session(smtp);
    c.send(b"MAIL FROM:<alice@crepes.fr>\r\n");
    let (code, lines) = c.reply();
    assert_eq!(code, 550, "{lines:?}");
    assert!(lines[0].starts_with("550 5.0.0 "), "{lines:?}");
    let v = get_json(http_addr, "/api/v1/chaos");
    assert_eq!(
        v["Sender"],
        serde_json::json!({"ErrorCode": 550, "Probability": 100})
    );
    assert_eq!(v["Recipient"]["Probability"], 0);

    // A PUT replaces every setting: the sender passes, recipients fail.
    assert_eq!(
        put_chaos(
            http_addr,
            serde_json::json!({"Recipient": {"ErrorCode": 452, "Probability": 100}})
        ),
        200
    );
    assert_eq!(c.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
    assert_eq!(c.cmd("RCPT TO:<bob@hamburger.edu>"), 452);
    assert_eq!(c.cmd("RSET"), 250);

    // Authentication.
    assert_eq!(
        put_chaos(
            http_addr,
            serde_json::json!({"Authentication": {"ErrorCode": 535, "Probability": 100}})
        ),
        200
    );
    assert_eq!(c.cmd("AUTH PLAIN AGJvYgB4"), 535);

    // tempfail-after: the first message passes, the next gets 451 at
    // the end of DATA and is not stored.
    assert_eq!(
        put_chaos(http_addr, serde_json::json!({"TempfailAfter": 1})),
        200
    );
    for (n, want) in [(1, 250), (2, 451)] {
        assert_eq!(c.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
        assert_eq!(c.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
        assert_eq!(c.cmd("DATA"), 354);
        assert_eq!(
            c.cmd(&format!("Subject: message {n}\r\n\r\nhello\r\n.")),
            want
        );
    }
    assert_eq!(
        crate::support::files(dir.path(), "bob@hamburger.edu", "new").len(),
        1
    );

    // disconnect: cut off in the middle of the message; nothing stored.
    assert_eq!(
        put_chaos(http_addr, serde_json::json!({"Disconnect": 100})),
        200
    );
    assert_eq!(c.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
    assert_eq!(c.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
    assert_eq!(c.cmd("DATA"), 354);
    c.send(b"Subject: cut off\r\n\r\nhalf a message\r\n");
    assert!(c.closed_within(Duration::from_secs(5)), "still connected");

    // delay: every reply waits (the greeting included).
    assert_eq!(put_chaos(http_addr, serde_json::json!({"Delay": 300})), 200);
    let t = std::time::Instant::now();
    let mut c = smtp_session(smtp);
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
    let t = std::time::Instant::now();
    assert_eq!(c.cmd("NOOP"), 250);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );

    // Bad settings are refused and change nothing.
    assert_eq!(
        put_chaos(
            http_addr,
            serde_json::json!({"Sender": {"ErrorCode": 250, "Probability": 10}})
        ),
        400
    );
    assert_eq!(get_json(http_addr, "/api/v1/chaos")["Delay"], 300);
    assert_eq!(put_chaos(http_addr, serde_json::json!({})), 200);
    assert_eq!(
        crate::support::files(dir.path(), "bob@hamburger.edu", "new").len(),
        1
    );
    let _ = child.kill();
    let _ = child.wait();
    let log: Vec<String> = rx.try_iter().collect();
    for hit in [
        "mailkit: chaos: sender trigger: answered 550",
        "mailkit: chaos: recipient trigger: answered 452",
        "mailkit: chaos: auth trigger: answered 535",
        "mailkit: chaos: tempfail-after 1: answered 451",
        "mailkit: chaos: disconnect: dropping the connection during DATA",
    ] {
        assert!(log.iter().any(|l| l == hit), "{hit}: {log:?}");
    }
}

#[test]
fn release_sends_a_message_on_through_the_queue() {
    let next = TempDir::new("serve-release-next");
    let hop = crate::support::Server::start(&[
        "serve-smtp",
        "--hostname",
        "elsewhere.org",
        "--maildir",
        next.path().to_str().unwrap(),
    ]);
    let dir = TempDir::new("serve-release");
    let maildir = dir.path().to_str().unwrap();
    let relay_to = hop.addr.to_string();
    let (mut child, addrs, _rx, _) = serve(
        &smtp_and_http(
            maildir,
            &[
                "--hostname",
                "hamburger.edu",
                "--domain",
                "hamburger.edu",
                "--relay-to",
                &relay_to,
            ],
        ),
        &["smtp", "http"],
    );
    let http_addr = addrs["http"];
    send(addrs["smtp"], "release me");
    let mut id = String::new();
    wait_until("the message is listed", || {
        let v = get_json(http_addr, "/api/v1/messages");
        id = v["messages"][0]["ID"].as_str().unwrap_or_default().into();
        !id.is_empty()
    });
    // Chaos is off unless asked for: Mailpit's 400.
    assert_eq!(http(http_addr, "GET", "/api/v1/chaos", &[], None).0, 400);
    let release = |to: serde_json::Value| {
        let b = serde_json::json!({ "To": to }).to_string();
        http(
            http_addr,
            "POST",
            &format!("/api/v1/message/{id}/release"),
            &[("Content-Type", "application/json")],
            Some(b.as_bytes()),
        )
    };
    for bad in [
        serde_json::json!([]),
        serde_json::json!(["not an address"]),
        serde_json::json!(["bob@hamburger.edu"]),
        serde_json::json!("carol@elsewhere.org"),
    ] {
        let (status, _, body) = release(bad.clone());
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
    }
    let (status, _, body) = release(serde_json::json!(["carol@elsewhere.org"]));
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    let mut got = Vec::new();
    wait_until("the next hop has it", || {
        got = crate::support::files(next.path(), "carol@elsewhere.org", "new");
        !got.is_empty()
    });
    let text = std::fs::read_to_string(&got[0]).unwrap();
    // The next hop's own Return-Path: the original envelope sender; ours
    // did not travel. Our Received field for the release, then the one
    // of the first delivery.
    assert!(
        text.starts_with("Return-Path: <alice@crepes.fr>\n"),
        "{text}"
    );
    assert_eq!(text.matches("Return-Path:").count(), 1, "{text}");
    let by_http = text
        .find("by hamburger.edu (mailkit) with HTTP id")
        .expect(&text);
    let by_smtp = text
        .find("by hamburger.edu (mailkit) with ESMTP id")
        .expect(&text);
    assert!(by_http < by_smtp, "{text}");
    assert!(text.contains("for <carol@elsewhere.org>"), "{text}");
    assert!(text.contains("Subject: release me\n"), "{text}");
    let (status, _, _) = http(
        http_addr,
        "POST",
        "/api/v1/message/AAAAAAAAAAAAAAAA/release",
        &[("Content-Type", "application/json")],
        Some(br#"{"To": ["carol@elsewhere.org"]}"#),
    );
    assert_eq!(status, 404);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn readyz_means_every_listener_answers() {
    let dir = TempDir::new("serve-ready");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, _rx, _) =
        serve(&all_four(maildir, &[]), &["smtp", "pop3", "imap", "http"]);
    wait_until("/readyz says 200", || {
        http(addrs["http"], "GET", "/readyz", &[], None).0 == 200
    });
    for (proto, greeting) in [("smtp", "220 "), ("pop3", "+OK"), ("imap", "* OK")] {
        let mut c = Client::connect(addrs[proto]);
        let line = c.line().unwrap_or_default();
        assert!(line.starts_with(greeting), "{proto}: {line:?}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_says_goodbye_on_every_protocol_and_keeps_what_it_acknowledged() {
    let dir = TempDir::new("serve-stop");
    let maildir = dir.path().to_str().unwrap();
    let (mut child, addrs, _rx, _) = serve(
        &all_four(maildir, &["--shutdown-grace", "2"]),
        &["smtp", "pop3", "imap", "http"],
    );
    // An SMTP client in the middle of a message, an idle one, a POP3
    // and an IMAP client, and the web page's event stream.
    let mut busy = smtp_session(addrs["smtp"]);
    assert_eq!(busy.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
    assert_eq!(busy.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
    assert_eq!(busy.cmd("DATA"), 354);
    busy.send(b"Subject: in flight\r\n\r\nthe first half\r\n");
    let mut idle = smtp_session(addrs["smtp"]);
    let mut pop = Client::connect(addrs["pop3"]);
    assert!(pop.line().unwrap_or_default().starts_with("+OK"));
    let mut imap = Client::connect(addrs["imap"]);
    assert!(imap.line().unwrap_or_default().starts_with("* OK"));
    let mut events = Events::open(addrs["http"], None).unwrap();
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let (code, lines) = idle.reply();
    assert_eq!(code, 421, "{lines:?}");
    assert!(lines[0].starts_with("421 4.3.2 "), "{lines:?}");
    let l = pop.line().unwrap_or_default();
    assert!(
        l.starts_with("-ERR") && l.contains("shutting down"),
        "{l:?}"
    );
    let l = imap.line().unwrap_or_default();
    assert!(l.starts_with("* BYE"), "{l:?}");
    assert_eq!(events.close_code(), Some(1001));
    // The message in progress may finish within the grace: 250, then 421.
    assert_eq!(busy.cmd("the second half\r\n."), 250);
    assert_eq!(busy.reply().0, 421);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let stored = crate::support::files(dir.path(), "bob@hamburger.edu", "new");
    assert_eq!(stored.len(), 1);
    assert!(std::fs::read_to_string(&stored[0])
        .unwrap()
        .contains("the second half"));
}

#[test]
fn the_web_page_of_mailkit_serve_in_a_real_browser() {
    // The browser test of serve-http against one `mailkit serve`: messages
    // sent to its SMTP port appear on its page without a reload.
    browser_test("serve-page.png", &["--serve"]);
}

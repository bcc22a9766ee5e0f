//! `mailkit serve`: SMTP, POP3, IMAP and HTTP in one process over one
//! store, on port-0 listeners: a message sent over SMTP is announced on
//! the web page's event stream and listed over HTTP, POP3 and IMAP; `off`
//! turns a protocol off; SIGTERM stops every one.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::serve_http::Events;
use crate::support::{bin, TempDir};

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
    let any = "127.0.0.1:0";
    let (mut child, addrs, rx, _) = serve(
        &[
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
            "--max-messages",
            "2",
        ],
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

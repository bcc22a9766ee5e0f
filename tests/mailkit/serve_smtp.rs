//! serve-smtp on real loopback sockets.

use std::io::Write;
use std::time::Duration;

use crate::support::{files, Client, Server, TempDir};

fn start(dir: &TempDir, extra: &[&str]) -> Server {
    crate::support::smtp_server(&dir.path().join("mail"), extra)
}

#[test]
fn seed_dialogue_is_stored_durably_with_trace_fields() {
    let dir = TempDir::new("seed");
    let srv = start(&dir, &[]);
    let mut c = Client::connect(srv.addr);
    assert_eq!(c.line().unwrap(), "220 hamburger.edu ESMTP mailkit");
    c.send(b"HELO crepes.fr\r\n");
    assert_eq!(
        c.line().unwrap(),
        "250 hamburger.edu Hello crepes.fr, pleased to meet you"
    );
    c.send(b"MAIL FROM: <alice@crepes.fr>\r\n");
    assert_eq!(c.line().unwrap(), "250 2.1.0 alice@crepes.fr ... Sender ok");
    c.send(b"RCPT TO: <bob@hamburger.edu>\r\n");
    assert_eq!(
        c.line().unwrap(),
        "250 2.1.5 bob@hamburger.edu ... Recipient ok"
    );
    c.send(b"DATA\r\n");
    assert_eq!(
        c.line().unwrap(),
        "354 Enter mail, end with \".\" on a line by itself"
    );
    c.send(b"Do you like ketchup?\r\nHow about pickles?\r\n.\r\n");
    let done = c.line().unwrap();
    assert!(
        done.starts_with("250 2.0.0 Message accepted for delivery: queued as "),
        "{done}"
    );
    let id = done.rsplit(' ').next().unwrap().to_string();
    c.send(b"QUIT\r\n");
    assert_eq!(
        c.line().unwrap(),
        "221 2.0.0 hamburger.edu closing connection"
    );
    assert!(c.closed_within(Duration::from_secs(5)));

    // The 250 came after the file was in new/: it must be there now.
    let root = dir.path().join("mail");
    let new = files(&root, "bob@hamburger.edu", "new");
    assert_eq!(new.len(), 1);
    assert!(files(&root, "bob@hamburger.edu", "tmp").is_empty());
    let text = String::from_utf8(std::fs::read(&new[0]).unwrap()).unwrap();
    assert!(text.starts_with("Return-Path: <alice@crepes.fr>\nReceived: from crepes.fr ([127.0.0.1])\n\tby hamburger.edu (mailkit) with SMTP id "), "{text}");
    assert!(text.contains(&format!("id {id}\n\tfor <bob@hamburger.edu>;\n\t")));
    assert!(
        text.ends_with("+0000\nDo you like ketchup?\nHow about pickles?\n"),
        "{text}"
    );
    // One log line for the message.
    std::thread::sleep(Duration::from_millis(100));
    assert!(srv.log_text().contains(&format!(
        "accepted {id} from=<alice@crepes.fr> to=<bob@hamburger.edu> size="
    )));
}

#[test]
fn pipelined_transactions_and_smuggling_over_a_socket() {
    let dir = TempDir::new("pipe");
    let srv = start(&dir, &[]);
    let mut c = Client::connect(srv.addr);
    c.reply();
    c.send(b"EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nRCPT TO:<carol@hamburger.edu>\r\nDATA\r\n");
    let codes: Vec<u16> = (0..5).map(|_| c.reply().0).collect();
    assert_eq!(codes, [250, 250, 250, 250, 354]);
    c.send(b"Subject: one\r\n\r\ntext\n.\nMAIL FROM:<m@evil.example>\r\nRCPT TO:<victim@hamburger.edu>\r\n.\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
    let codes: Vec<u16> = (0..4).map(|_| c.reply().0).collect();
    assert_eq!(codes, [250, 250, 250, 354]);
    c.send(b"Subject: two\r\n\r\n.\r\nQUIT\r\n");
    assert_eq!(c.reply().0, 250);
    assert_eq!(c.reply().0, 221);
    let root = dir.path().join("mail");
    assert_eq!(files(&root, "bob@hamburger.edu", "new").len(), 2);
    assert_eq!(files(&root, "carol@hamburger.edu", "new").len(), 1);
    assert!(!root.join("victim@hamburger.edu").exists());
}

#[test]
fn limits_and_errors_get_their_replies() {
    let dir = TempDir::new("limits");
    let srv = start(
        &dir,
        &[
            "--max-message-size",
            "1K",
            "--max-recipients",
            "2",
            "--domain",
            "hamburger.edu",
        ],
    );
    let mut c = Client::connect(srv.addr);
    c.reply();
    c.send(b"EHLO x\r\n");
    let (code, lines) = c.reply();
    assert_eq!(code, 250);
    assert!(lines.contains(&"250-SIZE 1024".to_string()), "{lines:?}");
    assert_eq!(c.cmd("MAIL FROM:<a@crepes.fr> SIZE=2000"), 552);
    assert_eq!(c.cmd("MAIL FROM:<a@crepes.fr>"), 250);
    assert_eq!(c.cmd("RCPT TO:<x@elsewhere.example>"), 550);
    assert_eq!(c.cmd("RCPT TO:<r1@hamburger.edu>"), 250);
    assert_eq!(c.cmd("RCPT TO:<r2@hamburger.edu>"), 250);
    assert_eq!(c.cmd("RCPT TO:<r3@hamburger.edu>"), 452);
    assert_eq!(c.cmd("DATA"), 354);
    let mut line = b"0123456789".repeat(10);
    line.extend(b"\r\n");
    c.send(&line.repeat(20));
    c.send(b".\r\n");
    assert_eq!(c.reply().0, 552);
    assert_eq!(c.cmd("MAIL FROM:<a@crepes.fr>"), 250);
    assert_eq!(c.cmd("RCPT TO:<r1@hamburger.edu>"), 250);
    assert_eq!(c.cmd("DATA"), 354);
    c.send(&b"0123456789".repeat(101));
    c.send(b"\r\n.\r\n");
    assert_eq!(c.reply().0, 500, "a 1012-octet text line");
    let mut long = b"NOOP ".to_vec();
    long.extend(vec![b'x'; 100_000]);
    long.extend(b"\r\n");
    c.send(&long);
    assert_eq!(c.reply().0, 500);
    assert_eq!(c.cmd("NOOP"), 250);
    assert!(!dir
        .path()
        .join("mail")
        .join("r1@hamburger.edu")
        .join("new")
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false));
}

#[test]
fn exit_after_and_record() {
    let dir = TempDir::new("exit");
    let rec = dir.path().join("rec");
    let mut srv = start(
        &dir,
        &["--exit-after", "1", "--record", rec.to_str().unwrap()],
    );
    let mut c = Client::connect(srv.addr);
    c.reply();
    for (line, want) in [
        ("EHLO crepes.fr", 250),
        ("MAIL FROM:<alice@crepes.fr>", 250),
        ("RCPT TO:<bob@hamburger.edu>", 250),
        ("DATA", 354),
    ] {
        assert_eq!(c.cmd(line), want, "{line}");
    }
    c.send(b"Subject: rec\r\n\r\n..dot line\r\n.\r\n");
    assert_eq!(c.reply().0, 250);
    assert_eq!(c.cmd("QUIT"), 221);
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(0));
    let recs: Vec<_> = std::fs::read_dir(&rec).unwrap().flatten().collect();
    assert_eq!(recs.len(), 1);
    let name = recs[0].file_name().into_string().unwrap();
    assert!(name.ends_with("Z-1.txt"), "{name}");
    let text = std::fs::read_to_string(recs[0].path()).unwrap();
    for want in [
        "S: 220 hamburger.edu ESMTP mailkit",
        "C: EHLO crepes.fr",
        "S: 250-hamburger.edu Hello crepes.fr, pleased to meet you",
        "C: ..dot line",
        "C: .",
        "S: 221 2.0.0 hamburger.edu closing connection",
    ] {
        assert!(
            text.lines().any(|l| l == want),
            "{want:?} missing in\n{text}"
        );
    }
}

#[test]
fn sigterm_finishes_transactions_and_421s_idle_clients() {
    let dir = TempDir::new("term");
    let mut srv = start(&dir, &[]);
    let mut busy = Client::connect(srv.addr);
    busy.reply();
    assert_eq!(busy.cmd("EHLO x"), 250);
    assert_eq!(busy.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
    let mut idle = Client::connect(srv.addr);
    idle.reply();
    std::thread::sleep(Duration::from_millis(100));
    srv.signal(libc::SIGTERM);
    // The idle client is told at once.
    assert_eq!(idle.reply().0, 421);
    assert!(idle.closed_within(Duration::from_secs(5)));
    // New connections are refused.
    std::thread::sleep(Duration::from_millis(200));
    assert!(std::net::TcpStream::connect(srv.addr).is_err());
    // The transaction in flight completes, then 421.
    assert_eq!(busy.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
    assert_eq!(busy.cmd("DATA"), 354);
    busy.send(b"Subject: last\r\n\r\nbody\r\n.\r\n");
    assert_eq!(busy.reply().0, 250);
    assert_eq!(busy.reply().0, 421);
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(0));
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        1
    );
}

#[test]
fn grace_period_ends_with_421() {
    let dir = TempDir::new("grace");
    let mut srv = start(&dir, &["--shutdown-grace", "1"]);
    let mut c = Client::connect(srv.addr);
    c.reply();
    assert_eq!(c.cmd("EHLO x"), 250);
    assert_eq!(c.cmd("MAIL FROM:<alice@crepes.fr>"), 250);
    srv.signal(libc::SIGINT);
    // The client dawdles past the grace period.
    assert_eq!(c.reply().0, 421);
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn max_connections_and_idle_timeout() {
    let dir = TempDir::new("maxconn");
    let srv = start(&dir, &["--max-connections", "2", "--timeout", "1"]);
    let mut a = Client::connect(srv.addr);
    let mut b = Client::connect(srv.addr);
    assert_eq!(a.reply().0, 220);
    assert_eq!(b.reply().0, 220);
    let mut c = Client::connect(srv.addr);
    let first = c.line().unwrap_or_default();
    assert!(first.starts_with("421 4.7.0"), "{first}");
    // Idle clients get 421 4.4.2 after about a second.
    let started = std::time::Instant::now();
    let (code, lines) = a.reply();
    assert_eq!(code, 421);
    assert!(lines[0].starts_with("421 4.4.2"), "{lines:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(a.closed_within(Duration::from_secs(3)));
}

#[test]
fn many_concurrent_clients_all_stored() {
    let dir = TempDir::new("concurrent");
    let srv = start(&dir, &["--quiet"]);
    let addr = srv.addr;
    let threads: Vec<_> = (0..40)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.reply();
                c.send(format!("EHLO c{i}\r\nMAIL FROM:<s{i}@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n").as_bytes());
                let codes: Vec<u16> = (0..4).map(|_| c.reply().0).collect();
                assert_eq!(codes, [250, 250, 250, 354]);
                c.send(format!("Subject: {i}\r\n\r\nbody {i}\r\n.\r\nQUIT\r\n").as_bytes());
                assert_eq!(c.reply().0, 250);
                assert_eq!(c.reply().0, 221);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        40
    );
}

#[test]
fn a_client_that_sends_and_hangs_up_frees_its_slot_at_once() {
    let dir = TempDir::new("hangup");
    let srv = start(&dir, &["--max-connections", "1"]);
    for round in 0..20 {
        let mut c = Client::connect(srv.addr);
        let greeting = c.line().unwrap_or_default();
        assert!(greeting.starts_with("220 "), "round {round}: {greeting}");
        // Data and FIN in quick succession, without reading the replies.
        c.send(b"EHLO x\r\nMAIL FROM:<a@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\nhalf a message\r\n");
        drop(c);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!dir
        .path()
        .join("mail")
        .join("bob@hamburger.edu")
        .join("new")
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false));
}

#[test]
fn kill_9_loses_no_acknowledged_message_and_leaves_no_partial_one() {
    let dir = TempDir::new("kill9");
    let mut srv = start(&dir, &["--quiet"]);
    let addr = srv.addr;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let acked = acked.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.line();
                c.send(b"EHLO x\r\n");
                c.reply();
                let body = "x".repeat(70);
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let token = format!("t{t}-m{i}");
                    c.send(b"MAIL FROM:<a@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
                    let mut msg = format!("Subject: {token}\r\n\r\n");
                    for _ in 0..50 {
                        msg.push_str(&body);
                        msg.push_str("\r\n");
                    }
                    msg.push_str(&format!("end of {token}\r\n.\r\n"));
                    let mut ok = true;
                    for _ in 0..3 {
                        match c.line() {
                            Some(l) if l.starts_with("250") || l.starts_with("354") => {}
                            _ => ok = false,
                        }
                    }
                    if !ok {
                        break;
                    }
                    if c.stream.write_all(msg.as_bytes()).is_err() {
                        break;
                    }
                    match c.line() {
                        Some(l) if l.starts_with("250 ") => acked.lock().unwrap().push(token),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    srv.signal(libc::SIGKILL);
    assert_eq!(
        srv.wait_exit(Duration::from_secs(5)),
        None,
        "killed, no exit code"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let acked = acked.lock().unwrap();
    assert!(
        acked.len() > 10,
        "only {} messages acknowledged before the kill",
        acked.len()
    );
    let stored: Vec<String> = files(&dir.path().join("mail"), "bob@hamburger.edu", "new")
        .iter()
        .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
        .collect();
    for text in &stored {
        let token = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .expect("a Subject line");
        assert!(
            text.ends_with(&format!("end of {token}\n")),
            "a partial message in new/: {token}"
        );
    }
    for token in acked.iter() {
        assert!(
            stored
                .iter()
                .any(|t| t.contains(&format!("Subject: {token}\n"))),
            "acknowledged {token} was lost"
        );
    }
}

#[test]
fn last_reply_survives_unread_input_after_quit() {
    let dir = TempDir::new("quitjunk");
    let srv = start(&dir, &[]);
    for _ in 0..10 {
        let mut c = Client::connect(srv.addr);
        c.reply();
        let mut burst = b"QUIT\r\n".to_vec();
        burst.extend(b"NOOP\r\n".repeat(100_000));
        c.send(&burst);
        assert_eq!(c.reply().0, 221);
        assert!(c.closed_within(Duration::from_secs(5)));
    }
}

#[test]
fn messages_in_progress_share_max_memory() {
    let dir = TempDir::new("memory");
    let srv = start(&dir, &["--max-message-size", "64K", "--max-memory", "100K"]);
    let line = [b"x".repeat(998).as_slice(), b"\r\n"].concat();
    let begin = |c: &mut Client| {
        c.reply();
        assert_eq!(c.cmd("EHLO x"), 250);
        assert_eq!(c.cmd("MAIL FROM:<a@crepes.fr>"), 250);
        assert_eq!(c.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
        assert_eq!(c.cmd("DATA"), 354);
    };
    // A is in the middle of a 60 KB message; B sends one as large.
    let mut a = Client::connect(srv.addr);
    begin(&mut a);
    a.send(&line.repeat(60));
    let mut b = Client::connect(srv.addr);
    begin(&mut b);
    b.send(&line.repeat(60));
    b.send(b".\r\n");
    let (code, text) = b.reply();
    assert_eq!(code, 452, "{text:?}");
    assert!(text[0].starts_with("452 4.3.1 "), "{text:?}");
    // A finishes and is stored; then B's second try fits.
    a.send(b".\r\n");
    assert_eq!(a.reply().0, 250);
    assert_eq!(b.cmd("MAIL FROM:<a@crepes.fr>"), 250);
    assert_eq!(b.cmd("RCPT TO:<bob@hamburger.edu>"), 250);
    assert_eq!(b.cmd("DATA"), 354);
    b.send(&line.repeat(60));
    b.send(b".\r\n");
    assert_eq!(b.reply().0, 250);
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        2
    );
}

#[test]
fn max_memory_below_max_message_size_is_refused_at_start() {
    let dir = TempDir::new("memory-flag");
    assert_cmd::Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "serve-smtp",
            "--listen",
            "127.0.0.1:0",
            "--max-memory",
            "1M",
            "--maildir",
        ])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--max-message-size 52428800 is more than --max-memory 1048576",
        ));
}

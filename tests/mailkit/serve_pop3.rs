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
fn a_second_server_on_the_same_store_is_kept_out_of_a_held_maildrop() {
    let dir = TempDir::new("pop3-two");
    let maildir = dir.path().join("mail");
    std::fs::create_dir_all(maildir.join("bob@x/new")).unwrap();
    std::fs::write(maildir.join("bob@x/new/1.M1P1.h"), "Subject: a\n\nhi\n").unwrap();
    let start = || {
        Server::start(&[
            "serve-pop3",
            "--domain",
            "x",
            "--maildir",
            maildir.to_str().unwrap(),
        ])
    };
    let (one, two) = (start(), start());
    let login = |addr| {
        let mut c = Client::connect(addr);
        c.line();
        c.send(b"USER bob\r\nPASS any\r\n");
        c.line();
        let answer = c.line().unwrap();
        (c, answer)
    };
    let (mut held, answer) = login(one.addr);
    assert!(answer.starts_with("+OK maildrop has 1 message"), "{answer}");
    let (_, answer) = login(two.addr);
    assert!(answer.starts_with("-ERR [IN-USE]"), "{answer}");
    held.send(b"DELE 1\r\nQUIT\r\n");
    assert!(held.line().unwrap().starts_with("+OK"));
    assert!(held.line().unwrap().starts_with("+OK"));
    // Let go after UPDATE: the other server now opens it, emptied.
    let (mut c, answer) = login(two.addr);
    assert!(
        answer.starts_with("+OK maildrop has 0 messages"),
        "{answer}"
    );
    c.send(b"QUIT\r\n");
    assert!(c.line().unwrap().starts_with("+OK"));
    // A session that ends without QUIT lets go too.
    let (held, _) = login(one.addr);
    drop(held);
    let mut freed = false;
    for _ in 0..50 {
        let (_, answer) = login(two.addr);
        if answer.starts_with("+OK") {
            freed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(freed, "the maildrop stayed held after its client left");
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
    // Transcripts are written by the recording thread: wait for them.
    let read_all = || {
        let mut all = String::new();
        for f in std::fs::read_dir(&rec).unwrap().flatten() {
            all.push_str(&std::fs::read_to_string(f.path()).unwrap());
        }
        all
    };
    let mut all = read_all();
    for _ in 0..50 {
        if all.contains("C: PASS <redacted>") && all.contains("C: <redacted>") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        all = read_all();
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

/// The peak resident memory of a process (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// RETR streams the message from its file a chunk at a time: 100 clients
/// retrieving a 50 MB message at once keep the server under 64 MB, and
/// each gets every octet, dot-stuffed, in order.
#[test]
fn a_hundred_clients_retrieving_50_mb_at_once_stay_under_64_mb() {
    use std::io::{BufRead, BufReader, Read, Write};
    const CLIENTS: usize = 100;
    let dir = TempDir::new("pop3-big");
    let maildir = dir.path().join("mail");
    // 50 MB of 100-octet lines, every tenth starting with a dot.
    let mut msg = b"Subject: big\n\n".to_vec();
    let mut n = 0;
    while msg.len() < 50 << 20 {
        msg.extend_from_slice(if n % 10 == 0 { b"." } else { b"x" });
        msg.extend_from_slice(&[b'y'; 98]);
        msg.push(b'\n');
        n += 1;
    }
    let stuffed = mailkit::proto::dotstuff::encode(&msg, None);
    let first = maildir.join("u0/cur/1.big:2,");
    std::fs::create_dir_all(first.parent().unwrap()).unwrap();
    std::fs::write(&first, &msg).unwrap();
    // One maildrop per client (RFC 1939 locks a maildrop to one session),
    // each a hard link to the one file. No ,W= in the name: the listing
    // measures the file too.
    for i in 1..CLIENTS {
        let p = maildir.join(format!("u{i}/cur/1.big:2,"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::hard_link(&first, &p).unwrap();
        for sub in ["new", "tmp"] {
            std::fs::create_dir_all(maildir.join(format!("u{i}/{sub}"))).unwrap();
        }
    }
    for sub in ["new", "tmp"] {
        std::fs::create_dir_all(maildir.join(format!("u0/{sub}"))).unwrap();
    }
    let pop = Server::start(&["serve-pop3", "--maildir", maildir.to_str().unwrap()]);
    let before = peak_rss_kib(pop.child.id());
    // Everyone logs in and asks; nobody reads the body yet.
    let mut readers = Vec::new();
    for i in 0..CLIENTS {
        let s = std::net::TcpStream::connect(pop.addr).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        w.write_all(format!("USER u{i}\r\nPASS x\r\nRETR 1\r\n").as_bytes())
            .unwrap();
        for want in ["+OK", "+OK", "+OK"] {
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with(want), "client {i}: {line}");
        }
        readers.push((r, w));
    }
    // Then all read at once.
    let stuffed = std::sync::Arc::new(stuffed);
    let threads: Vec<_> = readers
        .into_iter()
        .map(|(mut r, mut w)| {
            let stuffed = stuffed.clone();
            std::thread::spawn(move || {
                // Compared a piece at a time: 100 copies would be 5 GB.
                let mut buf = vec![0u8; 256 * 1024];
                let mut at = 0;
                while at < stuffed.len() {
                    let n = buf.len().min(stuffed.len() - at);
                    r.read_exact(&mut buf[..n]).unwrap();
                    assert!(buf[..n] == stuffed[at..at + n], "the body differs at {at}");
                    at += n;
                }
                w.write_all(b"QUIT\r\n").unwrap();
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                assert!(line.starts_with("+OK"), "{line}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let peak = peak_rss_kib(pop.child.id());
    assert!(
        peak < 64 * 1024,
        "serve-pop3 peaked at {peak} KiB (started at {before} KiB) serving {CLIENTS} x 50 MB"
    );
}

//! `mailkit replay` end to end on loopback: the seed dialogue against
//! serve-smtp, record-then-replay (and a changed code failing on its
//! line), --serve against `mailkit send`, POP3 with --password, many
//! transcripts with --jobs, exit 3.

use std::process::Command;
use std::time::Duration;

use crate::support::{bin, files, DeadPort, Server, TempDir};

const SEED: &str = "# The seed's SMTP dialogue.\n\
S: 220 hamburger.edu\n\
C: HELO crepes.fr\n\
S: 250 Hello crepes.fr, pleased to meet you\n\
C: MAIL FROM: <alice@crepes.fr>\n\
S: 250 alice@crepes.fr ... Sender ok\n\
C: RCPT TO: <bob@hamburger.edu>\n\
S: 250 bob@hamburger.edu ... Recipient ok\n\
C: DATA\n\
S: 354 Enter mail, end with \".\" on a line by itself\n\
C: Do you like ketchup?\n\
C: How about pickles?\n\
C: .\n\
S: 250 Message accepted for delivery\n\
C: QUIT\n\
S: 221 hamburger.edu closing connection\n";

fn smtp(dir: &TempDir, sub: &str, extra: &[&str]) -> Server {
    crate::support::smtp_server(&dir.path().join(sub), extra)
}

fn replay(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin())
        .arg("replay")
        .args(args)
        .output()
        .expect("run replay");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn seed_dialogue_replays_against_serve_smtp() {
    let dir = TempDir::new("replay-seed");
    let t = dir.path().join("seed.txt");
    std::fs::write(&t, SEED).unwrap();
    let srv = smtp(&dir, "mail", &[]);
    let (code, out, err) = replay(&["--server", &srv.addr.to_string(), t.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out, format!("{}: passed\n", t.display()));
    let stored = files(&dir.path().join("mail"), "bob@hamburger.edu", "new");
    assert_eq!(stored.len(), 1);
    let text = std::fs::read_to_string(&stored[0]).unwrap();
    assert!(
        text.ends_with("Do you like ketchup?\nHow about pickles?\n"),
        "{text}"
    );
}

/// The one session recorded in `rec`, once it is complete (its 221).
fn one_recording(rec: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut recorded = Vec::new();
    for _ in 0..50 {
        recorded = std::fs::read_dir(rec)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if recorded.len() == 1
            && std::fs::read_to_string(&recorded[0])
                .unwrap()
                .contains("S: 221")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    recorded
}

#[test]
fn recorded_session_replays_and_a_changed_code_fails_on_its_line() {
    let dir = TempDir::new("replay-record");
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    let srv = smtp(&dir, "mail", &["--record", rec.to_str().unwrap()]);
    let sent = Command::new(bin())
        .args([
            "send",
            "--server",
            &srv.addr.to_string(),
            "--from",
            "alice@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--no-chunking",
        ])
        .args([
            "--subject",
            "recorded",
            "--body",
            "a body\n.starts with a dot\n",
        ])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    let recorded = one_recording(&rec);
    let text = std::fs::read_to_string(&recorded[0]).unwrap();
    // DATA (--no-chunking): the message's lines dot-stuffed.
    assert!(text.contains("C: ..starts with a dot\n"), "{text}");
    let fresh = smtp(&dir, "fresh", &[]);
    let (code, out, err) = replay(&[
        "--server",
        &fresh.addr.to_string(),
        recorded[0].to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}{err}\n{text}");
    assert_eq!(
        files(&dir.path().join("fresh"), "bob@hamburger.edu", "new").len(),
        1
    );
    // One code changed: exit 1, the line named, both codes shown.
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("S: 250 2.1.5"))
        .expect("a RCPT reply in the transcript");
    let changed = text.replacen(line, "S: 550 5.1.1 no such user", 1);
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, changed).unwrap();
    let (code, out, _) = replay(&["--server", &fresh.addr.to_string(), bad.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let want = format!(
        "{}:{}: expected \"550 5.1.1 no such user\", got \"250 2.1.5",
        bad.display(),
        n + 1
    );
    assert!(out.starts_with(&want), "{out}");
    // The abandoned session stored nothing more.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        files(&dir.path().join("fresh"), "bob@hamburger.edu", "new").len(),
        1
    );
}

#[test]
fn a_recorded_bdat_session_replays_against_a_fresh_server() {
    let dir = TempDir::new("replay-bdat");
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    let srv = smtp(&dir, "mail", &["--record", rec.to_str().unwrap()]);
    // Over one chunk's worth (1 MiB), and a body with dot lines.
    let line = format!("{}\n", "x".repeat(900));
    let msg = format!(
        "From: alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: chunked\n\n{}.\n..\nend\n",
        line.repeat(1300)
    );
    let eml = dir.path().join("big.eml");
    std::fs::write(&eml, msg).unwrap();
    let sent = Command::new(bin())
        .args(["send", "--server", &srv.addr.to_string()])
        .args([
            "--from",
            "alice@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--message",
        ])
        .arg(&eml)
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    let recorded = one_recording(&rec);
    let text = std::fs::read_to_string(&recorded[0]).unwrap();
    let bdats: Vec<&str> = text.lines().filter(|l| l.starts_with("C: BDAT ")).collect();
    assert_eq!(bdats.len(), 2, "two chunks: {bdats:?}");
    assert!(bdats[1].ends_with(" LAST"));
    let fresh = smtp(&dir, "fresh", &[]);
    let (code, out, err) = replay(&[
        "--server",
        &fresh.addr.to_string(),
        recorded[0].to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let original = files(&dir.path().join("mail"), "bob@hamburger.edu", "new");
    let replayed = files(&dir.path().join("fresh"), "bob@hamburger.edu", "new");
    assert_eq!(replayed.len(), 1);
    let body_of = |p: &std::path::Path| {
        let t = std::fs::read(p).unwrap();
        let at = t.windows(2).position(|w| w == b"\n\n").unwrap();
        t[at..].to_vec()
    };
    assert!(body_of(&original[0]) == body_of(&replayed[0]));
    // The same transcript as the server, for the same send: its chunks
    // are read by count (strict: compared octet for octet).
    let mut player = Server::start(&[
        "replay",
        "--serve",
        "--once",
        "--strict",
        recorded[0].to_str().unwrap(),
    ]);
    let helo = text
        .lines()
        .find_map(|l| l.strip_prefix("C: EHLO "))
        .unwrap()
        .to_owned();
    let sent = Command::new(bin())
        .args([
            "send",
            "--server",
            &player.addr.to_string(),
            "--helo",
            &helo,
        ])
        .args([
            "--from",
            "alice@crepes.fr",
            "--to",
            "bob@hamburger.edu",
            "--message",
        ])
        .arg(&eml)
        .output()
        .unwrap();
    assert_eq!(
        sent.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert_eq!(
        player.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        player.log_text()
    );
}

#[test]
fn serve_plays_the_server_for_mailkit_send() {
    let dir = TempDir::new("replay-serve");
    let t = dir.path().join("fault.txt");
    std::fs::write(
        &t,
        "S: 220 fault.test ESMTP\nC: EHLO client\nS: 250 fault.test\nC: MAIL FROM:<a@x.org>\n\
S: 452 4.3.1 Insufficient system storage\nC: QUIT\nS: 221 bye\n",
    )
    .unwrap();
    let mut srv = Server::start(&["replay", "--serve", "--once", t.to_str().unwrap()]);
    let sent = Command::new(bin())
        .args([
            "send",
            "--server",
            &srv.addr.to_string(),
            "--helo",
            "client",
            "--from",
            "a@x.org",
            "--to",
            "b@y.org",
        ])
        .args(["--body", "hi"])
        .output()
        .unwrap();
    // send reports the scripted refusal with swaks's code for MAIL.
    assert_eq!(
        sent.status.code(),
        Some(23),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(String::from_utf8_lossy(&sent.stderr).contains("452 4.3.1"));
    assert_eq!(
        srv.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        srv.log_text()
    );
}

#[test]
fn serve_reports_a_client_that_departs() {
    let dir = TempDir::new("replay-serve-bad");
    let t = dir.path().join("s.txt");
    std::fs::write(&t, SEED).unwrap();
    let mut srv = Server::start(&["replay", "--serve", "--once", t.to_str().unwrap()]);
    let mut c = crate::support::Client::connect(srv.addr);
    assert_eq!(c.reply().0, 220);
    c.send(b"HELO crepes.fr\r\n");
    assert_eq!(c.reply().0, 250);
    c.send(b"RSET\r\n");
    let (code, lines) = c.reply();
    assert_eq!(code, 421);
    assert!(lines[0].contains("transcript line 5"), "{lines:?}");
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(1));
}

#[test]
fn pop3_session_replays_with_the_password_given() {
    let dir = TempDir::new("replay-pop3");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let maildir = dir.path().join("mail");
    let smtp = smtp(&dir, "mail", &[]);
    let t = dir.path().join("seed.txt");
    std::fs::write(&t, SEED).unwrap();
    assert_eq!(
        replay(&["--server", &smtp.addr.to_string(), t.to_str().unwrap()]).0,
        Some(0)
    );
    let pop = Server::start(&[
        "serve-pop3",
        "--maildir",
        maildir.to_str().unwrap(),
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
    ]);
    let p = dir.path().join("pop3.txt");
    std::fs::write(
        &p,
        "S: +OK ready\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\nC: STAT\nS: +OK 1 99\n\
C: LIST\nS: +OK\nS: 1 99\nS: .\nC: RETR 1\nS: +OK\nS: (the message)\nS: .\nC: QUIT\nS: +OK bye\n",
    )
    .unwrap();
    let (code, out, err) = replay(&["--server", &pop.addr.to_string(), p.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains(":5: expected \"+OK in\", got \"-ERR"), "{out}");
    let (code, out, err) = replay(&[
        "--server",
        &pop.addr.to_string(),
        "--password",
        "hungry",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, _) = replay(&[
        "--strict",
        "--server",
        &pop.addr.to_string(),
        "--password",
        "hungry",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(out.contains(":1: expected \"+OK ready\""), "{out}");
}

#[test]
fn many_transcripts_with_jobs_and_a_summary() {
    let dir = TempDir::new("replay-many");
    let set = dir.path().join("set");
    std::fs::create_dir_all(&set).unwrap();
    for i in 0..12 {
        let body = if i == 5 {
            SEED.replace("S: 221", "S: 500")
        } else {
            SEED.to_string()
        };
        std::fs::write(set.join(format!("{i:02}.txt")), body).unwrap();
    }
    std::fs::write(set.join("notes.md"), "not a transcript").unwrap();
    let srv = smtp(&dir, "mail", &[]);
    let (code, out, _) = replay(&[
        "--quiet",
        "--jobs",
        "4",
        "--server",
        &srv.addr.to_string(),
        set.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(out.ends_with("11 passed, 1 failed\n"), "{out}");
    assert!(out.contains("05.txt:16: expected \"500"), "{out}");
    assert_eq!(
        files(&dir.path().join("mail"), "bob@hamburger.edu", "new").len(),
        12
    );
}

#[test]
fn nothing_listening_is_exit_3_and_bad_transcripts_name_their_line() {
    let dir = TempDir::new("replay-exit");
    let t = dir.path().join("seed.txt");
    std::fs::write(&t, SEED).unwrap();
    let dead = DeadPort::new();
    let port = dead.addr.port();
    let (code, _, err) = replay(&[
        "--server",
        &format!("127.0.0.1:{port}"),
        t.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3), "{err}");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "S: 220 x\nHELO\n").unwrap();
    let (code, out, _) = replay(&["--server", "127.0.0.1:1", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(out.starts_with(&format!("{}:2: ", bad.display())), "{out}");
    let (code, _, _) = replay(&[t.to_str().unwrap()]);
    assert_eq!(code, Some(2));
}

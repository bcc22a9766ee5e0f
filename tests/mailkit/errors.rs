//! Errors and output that say what to do (issue 13): each message a user
//! meets after a usual mistake, with its text and exit status.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::{DeadPort, TempDir};

fn mailkit() -> Command {
    Command::cargo_bin("mailkit").unwrap()
}

#[test]
fn a_users_file_with_an_unknown_scheme_is_refused_at_start() {
    let dir = TempDir::new("users-scheme");
    let users = dir.path().join("users");
    std::fs::write(&users, "alice@x.org:pw\nbob@x.org:{FOO}abc\n").unwrap();
    for cmd in ["serve-smtp", "serve-pop3"] {
        mailkit()
            .args([cmd, "--listen", "127.0.0.1:0", "--users"])
            .arg(&users)
            .arg("--maildir")
            .arg(dir.path().join("mail"))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "users:2: unknown password scheme {FOO}",
            ));
    }
    std::fs::write(&users, "bob@x.org:{SHA512-CRYPT}$6$salt$tooshort\n").unwrap();
    mailkit()
        .args(["serve-smtp", "--listen", "127.0.0.1:0", "--users"])
        .arg(&users)
        .arg("--maildir")
        .arg(dir.path().join("mail"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "users:1: {SHA512-CRYPT} hash cannot be read",
        ));
}

/// serve-pop3 for bob (password hungry) in `dir`, with `extra` flags.
fn bob_pop3(dir: &TempDir, extra: &[&str]) -> crate::support::Server {
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let mail = dir.path().join("mail");
    let mut args = vec![
        "serve-pop3",
        "--users",
        users.to_str().unwrap(),
        "--domain",
        "hamburger.edu",
        "--maildir",
        mail.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    crate::support::Server::start(&args)
}

#[test]
fn replaying_a_redacted_login_without_the_password_says_pass_password() {
    let dir = TempDir::new("redacted");
    let pop = bob_pop3(&dir, &[]);
    let t = dir.path().join("login.txt");
    std::fs::write(
        &t,
        "S: +OK ready\nC: USER bob\nS: +OK send PASS\nC: PASS <redacted>\nS: +OK maildrop\nC: QUIT\nS: +OK bye\n",
    )
    .unwrap();
    mailkit()
        .args(["replay", "--server", &pop.addr.to_string()])
        .arg(&t)
        .env_remove("MAILKIT_PASSWORD")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "login.txt:4: this transcript has a redacted password; pass --password (or set MAILKIT_PASSWORD)",
        ));
    mailkit()
        .args([
            "replay",
            "--password",
            "hungry",
            "--server",
            &pop.addr.to_string(),
        ])
        .arg(&t)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("login.txt: passed"));
}

#[test]
fn fetch_from_a_server_that_wants_tls_first_names_starttls() {
    let dir = TempDir::new("fetch-tls-first");
    let pop = bob_pop3(&dir, &["--tls-self-signed", "--require-tls"]);
    mailkit()
        .args(["fetch", "--list", "--server", &pop.addr.to_string()])
        .args(["--user", "bob", "--password", "hungry"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("add --starttls"));
    mailkit()
        .args(["fetch", "--list", "--starttls", "--insecure"])
        .args(["--server", &pop.addr.to_string()])
        .args(["--user", "bob", "--password", "hungry"])
        .assert()
        .code(0);
}

#[test]
fn parse_of_an_empty_directory_finds_no_messages() {
    let dir = TempDir::new("parse-empty");
    mailkit()
        .arg("parse")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no messages found in"));
}

const BAD_BASE64: &str = "From: a@b.c\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nSubject: x\nMIME-Version: 1.0\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"x.bin\"\nContent-Transfer-Encoding: base64\n\nnot*valid*base64!!\n";

#[test]
fn parse_part_of_invalid_base64_is_an_error_not_the_raw_text() {
    let dir = TempDir::new("parse-b64");
    let f = dir.path().join("bad.eml");
    std::fs::write(&f, BAD_BASE64).unwrap();
    mailkit()
        .args(["parse", "--part", "0"])
        .arg(&f)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("part 0 cannot be decoded"));
    mailkit()
        .args(["parse", "--extract"])
        .arg(dir.path().join("out"))
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("part 0 cannot be decoded"));
}

#[test]
fn parse_part_does_not_dump_binary_onto_a_terminal() {
    let dir = TempDir::new("parse-binary");
    let f = dir.path().join("bin.eml");
    std::fs::write(
        &f,
        "From: a@b.c\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nSubject: x\nMIME-Version: 1.0\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKG1syShs=\n",
    )
    .unwrap();
    // To a pipe: the bytes as they are.
    mailkit()
        .args(["parse", "--part", "0"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::eq(b"%PDF-1.4\n\x1b[2J\x1b".as_slice()));
    // To a terminal (script(1) gives it one): refused, with what to do.
    let cmd = format!(
        "{} parse --part 0 {}; echo \"exit=$?\"",
        crate::support::bin().display(),
        f.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script(1) from util-linux");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("binary data"), "{text}");
    assert!(text.contains("exit=1"), "{text}");
    assert!(!text.contains("%PDF"), "{text}");
}

#[test]
fn exit_statuses_are_the_documented_ones() {
    // fetch without a password: a bad command line (2).
    mailkit()
        .args(["fetch", "--user", "bob", "--list"])
        .env_remove("MAILKIT_PASSWORD")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give the password"));
    // A port that cannot be: a bad command line, for send (swaks: 1) and
    // fetch (2), never "could not connect".
    mailkit()
        .args(["send", "--server", "127.0.0.1:99999", "--to", "a@b.c"])
        .args(["--body", "x"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "port must be a number from 1 to 65535",
        ));
    mailkit()
        .args(["fetch", "--server", "127.0.0.1:99999", "--user", "x"])
        .args(["--password", "y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "port must be a number from 1 to 65535",
        ));
}

/// A port on loopback nobody answers: a listener whose accept queue is
/// full, so the kernel drops further SYNs and a connect just waits.
fn unanswered_port() -> (Vec<std::net::TcpStream>, libc::c_int, u16) {
    // SAFETY: plain socket calls on a descriptor we own; closed by the caller.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, (&a as *const libc::sockaddr_in).cast(), len),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        let mut got: libc::sockaddr_in = std::mem::zeroed();
        let mut glen = len;
        libc::getsockname(fd, (&mut got as *mut libc::sockaddr_in).cast(), &mut glen);
        let port = u16::from_be(got.sin_port);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let fill = (0..3)
            .filter_map(|_| {
                std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200))
                    .ok()
            })
            .collect();
        (fill, fd, port)
    }
}

#[test]
fn send_to_a_server_that_never_answers_the_connection_could_not_connect() {
    let (_fill, fd, port) = unanswered_port();
    mailkit()
        .args(["send", "--server", &format!("127.0.0.1:{port}")])
        .args(["--to", "a@b.c", "--body", "x", "--timeout", "1"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot connect to 127.0.0.1:"));
    // SAFETY: the descriptor made by unanswered_port, closed once.
    unsafe { libc::close(fd) };
}

#[test]
fn send_and_fetch_each_have_their_own_server_variable() {
    // MAILKIT_SERVER (send's, per SPEC) no longer redirects fetch, and
    // MAILKIT_SMTP_SERVER wins over it for send.
    let dead = DeadPort::new();
    let dead_addr = dead.addr.to_string();
    mailkit()
        .args(["send", "--to", "a@b.c", "--body", "x"])
        .env("MAILKIT_SERVER", "127.0.0.1:1")
        .env("MAILKIT_SMTP_SERVER", &dead_addr)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "cannot connect to {dead_addr}"
        )));
    mailkit()
        .args(["fetch", "--user", "x", "--password", "y", "--list"])
        .env("MAILKIT_SERVER", "127.0.0.1:1")
        .env("MAILKIT_FETCH_SERVER", &dead_addr)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "cannot connect to {dead_addr}"
        )));
    mailkit()
        .args(["fetch", "--user", "x", "--password", "y", "--list"])
        .env("MAILKIT_FETCH_SERVER", "127.0.0.1:99999")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MAILKIT_FETCH_SERVER"));
}

#[test]
fn what_send_composes_with_attachments_validates_clean() {
    let dir = TempDir::new("send-validate");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "hello\n").unwrap();
    let out = mailkit()
        .args([
            "send",
            "--from",
            "alice@crepes.fr",
            "--to",
            "bob@hamburger.edu",
        ])
        .args([
            "--subject",
            &"a long subject ".repeat(8),
            "--body",
            "see attached",
        ])
        .arg("--attach")
        .arg(&notes)
        .arg("--dump")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let eml = dir.path().join("composed.eml");
    std::fs::write(&eml, &out.stdout).unwrap();
    mailkit()
        .args(["parse", "--validate", "--strict"])
        .arg(&eml)
        .assert()
        .code(0)
        .stdout("");
}

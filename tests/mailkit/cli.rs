//! The command line itself: version, help, errors.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn version_and_help() {
    Command::cargo_bin("mailkit")
        .unwrap()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("mailkit "));
    Command::cargo_bin("mailkit")
        .unwrap()
        .arg("help")
        .assert()
        .success()
        .stdout(predicate::str::contains("serve-smtp"));
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-smtp", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--max-message-size"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-smtp", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn bad_size_says_what_to_write() {
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-smtp", "--max-message-size", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("optionally with K, M or G"));
}

#[test]
fn bad_users_file_names_the_line() {
    let dir = crate::support::TempDir::new("users");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\nbroken line\n").unwrap();
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-smtp", "--listen", "127.0.0.1:0", "--users"])
        .arg(&users)
        .arg("--maildir")
        .arg(dir.path().join("mail"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::is_match(
                r"^mailkit: error: --users: .*users:2: expected address:password\n$",
            )
            .unwrap(),
        );
}

#[test]
fn port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = crate::support::TempDir::new("inuse");
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["serve-smtp", "--listen", &addr, "--maildir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("cannot listen on {addr}"))
                .and(predicate::str::contains("port 0")),
        );
}

//! `mailkit fetch --protocol imap` against serve-imap on loopback.

use std::process::Command;

use crate::support::{bin, files, Server, TempDir};

fn imap(maildir: &std::path::Path) -> Server {
    Server::start(&[
        "serve-imap",
        "--domain",
        "hamburger.edu",
        "--maildir",
        maildir.to_str().unwrap(),
    ])
}

/// Drops a message straight into a folder's Maildir, with info flags.
fn drop_in(dir: &std::path::Path, name: &str, info: Option<&str>, body: &str) {
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let data = format!("From: alice@crepes.fr\nSubject: {name}\n\n{body}\n");
    match info {
        Some(i) => std::fs::write(dir.join("cur").join(format!("{name}:2,{i}")), data),
        None => std::fs::write(dir.join("new").join(name), data),
    }
    .unwrap();
}

fn fetch(srv: &Server, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args([
            "fetch",
            "--protocol",
            "imap",
            "--server",
            &srv.addr.to_string(),
        ])
        .args(["--user", "bob", "--password", "x"])
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn folders_flags_new_only_and_delete() {
    let dir = TempDir::new("fetch-imap");
    let maildir = dir.path().join("mail");
    let bob = maildir.join("bob@hamburger.edu");
    drop_in(&bob, "1700000001.M1P1.h", None, "one");
    drop_in(&bob, "1700000002.M2P1.h", Some("FS"), "two");
    drop_in(&bob.join(".Work"), "1700000003.M3P1.h", None, "three");
    std::fs::write(bob.join(".Work/maildirfolder"), "").unwrap();
    let srv = imap(&maildir);

    // --list shows folder, UID, size, flags and the header fields.
    let out = ok(&fetch(
        &srv,
        &["--list", "--folder", "INBOX", "--folder", "Work"],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("INBOX\t1\t"), "{out}");
    assert!(
        lines[1].starts_with("INBOX\t2\t") && lines[1].contains("\tFS\t"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("Work\t1\t") && lines[2].contains("1700000003.M3P1.h"),
        "{out}"
    );

    // Into a Maildir: flags kept as info; --new-only remembers UIDs.
    let local = dir.path().join("local");
    let l = local.to_str().unwrap();
    ok(&fetch(
        &srv,
        &["--to-maildir", l, "--new-only", "--all-folders"],
    ));
    assert_eq!(files(dir.path(), "local", "new").len(), 2);
    let cur = files(dir.path(), "local", "cur");
    assert_eq!(cur.len(), 1);
    assert!(cur[0].to_string_lossy().ends_with(":2,FS"), "{cur:?}");
    // Nothing was marked read on the server (BODY.PEEK).
    assert_eq!(files(&maildir, "bob@hamburger.edu", "new").len(), 1);
    let again = fetch(&srv, &["--to-maildir", l, "--new-only", "--all-folders"]);
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 messages"));
    drop_in(&bob, "1700000004.M4P1.h", None, "four");
    ok(&fetch(&srv, &["--to-maildir", l, "--new-only"]));
    assert_eq!(files(dir.path(), "local", "new").len(), 3);

    // --delete removes exactly what was fetched, after it is local.
    let mbox = dir.path().join("box.mbox");
    let del = fetch(&srv, &["--to-mbox", mbox.to_str().unwrap(), "--delete"]);
    ok(&del);
    assert!(String::from_utf8_lossy(&del.stderr).contains("deleted 3 on the server"));
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert_eq!(text.matches("\nSubject: ").count(), 3, "{text}");
    let left = files(&maildir, "bob@hamburger.edu", "new").len()
        + files(&maildir, "bob@hamburger.edu", "cur").len();
    assert_eq!(left, 0);
    assert_eq!(files(&maildir, "bob@hamburger.edu/.Work", "new").len(), 1);
}

#[test]
fn a_changed_uidvalidity_fetches_the_folder_again() {
    let dir = TempDir::new("fetch-imap-validity");
    let maildir = dir.path().join("mail");
    let bob = maildir.join("bob@hamburger.edu");
    drop_in(&bob, "1700000001.M1P1.h", None, "one");
    let srv = imap(&maildir);
    let local = dir.path().join("local");
    let l = local.to_str().unwrap();
    ok(&fetch(&srv, &["--to-maildir", l, "--new-only"]));
    // The folder is recreated: a new UID list, a new UIDVALIDITY.
    let list = bob.join("dovecot-uidlist");
    let text = std::fs::read_to_string(&list).unwrap();
    let changed = text.replacen(" V1", " V2", 1);
    assert_ne!(changed, text);
    std::fs::write(&list, changed).unwrap();
    let o = fetch(&srv, &["--to-maildir", l, "--new-only"]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("UIDVALIDITY changed"), "{err}");
    assert_eq!(files(dir.path(), "local", "new").len(), 2);
}

#[test]
fn a_wrong_password_exits_4() {
    let dir = TempDir::new("fetch-imap-auth");
    let users = dir.path().join("users");
    std::fs::write(&users, "bob@hamburger.edu:hungry\n").unwrap();
    let srv = Server::start(&[
        "serve-imap",
        "--domain",
        "hamburger.edu",
        "--auth-delay-ms",
        "0",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        dir.path().join("mail").to_str().unwrap(),
    ]);
    let o = fetch(&srv, &["--list"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn wait_idles_until_the_mail_is_there_and_times_out_with_the_count() {
    let dir = TempDir::new("fetch-imap-wait");
    let maildir = dir.path().join("mail");
    let bob = maildir.join("bob@hamburger.edu");
    drop_in(&bob, "1700000001.M1P1.h", None, "one");
    let srv = imap(&maildir);
    let addr = srv.addr.to_string();
    let waiter = std::thread::spawn(move || {
        Command::new(bin())
            .args(["fetch", "--protocol", "imap", "--server", &addr])
            .args(["--user", "bob", "--password", "x"])
            .args(["--wait", "3", "--timeout", "20", "--stdout"])
            .output()
            .unwrap()
    });
    // Another process (here: this test) delivers while the fetch waits.
    std::thread::sleep(std::time::Duration::from_millis(700));
    drop_in(&bob, "1700000002.M2P1.h", None, "two");
    drop_in(&bob, "1700000003.M3P1.h", None, "three");
    let out = waiter.join().unwrap();
    let text = ok(&out);
    for s in [
        "Subject: 1700000001",
        "Subject: 1700000002",
        "Subject: 1700000003",
    ] {
        assert!(text.contains(s), "{s}: {text}");
    }
    // IDLE, not polling: one login to wait, one to fetch.
    let logins = srv.log_text().matches(" logged in from ").count();
    assert_eq!(logins, 2, "{}", srv.log_text());

    let o = fetch(&srv, &["--wait", "9", "--timeout", "2", "--stdout"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("timed out after 2 s waiting for 9 messages (3 there)"),
        "{err}"
    );
}

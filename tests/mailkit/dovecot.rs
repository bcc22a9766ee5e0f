//! Differential tests against Dovecot (issue 15): the UIDs mailkit gives a
//! Maildir are the ones Dovecot's own `imap` binary shows, and the other
//! way round. Dovecot runs pre-authenticated on stdin/stdout with a
//! private config, as `nobody`, no daemon. Skipped with a message when
//! `/usr/lib/dovecot/imap` is not installed (`.ci/run` installs
//! dovecot-imapd).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mailkit::store::flags::Flags;
use mailkit::store::folder::{sync_uids, Folder};
use mailkit::store::mailbox::Mailbox;

use crate::support::TempDir;

const IMAP: &str = "/usr/lib/dovecot/imap";

/// Runs Dovecot's imap on `maildir` with `commands`; returns what it said.
fn dovecot(maildir: &Path, commands: &str) -> String {
    let home = maildir.parent().unwrap().to_path_buf();
    let conf = home.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "mail_location = maildir:{}:INDEX=MEMORY\nmail_uid = nobody\nmail_gid = nogroup\nfirst_valid_uid = 1\nfirst_valid_gid = 1\nlog_path = /dev/null\nssl = no\n",
            maildir.display()
        ),
    )
    .unwrap();
    let st = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(maildir)
        .status()
        .unwrap();
    assert!(st.success());
    let mut child = Command::new(IMAP)
        .args(["-c", conf.to_str().unwrap()])
        .env("USER", "bob")
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// UIDVALIDITY and UID -> Subject as Dovecot shows the INBOX.
fn dovecot_view(maildir: &Path) -> (u32, BTreeMap<u32, String>) {
    let said = dovecot(
        maildir,
        "a SELECT INBOX\r\nb UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\nc LOGOUT\r\n",
    );
    let validity = said
        .split("[UIDVALIDITY ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no UIDVALIDITY from Dovecot: {said}"));
    let mut uids = BTreeMap::new();
    let mut current = None;
    for line in said.lines() {
        if let Some(rest) = line.split("(UID ").nth(1) {
            current = rest.split(' ').next().and_then(|u| u.parse::<u32>().ok());
        } else if let (Some(uid), Some(subject)) = (current, line.strip_prefix("Subject: ")) {
            uids.insert(uid, subject.trim().to_string());
        }
    }
    (validity, uids)
}

fn installed() -> bool {
    if Path::new(IMAP).exists() {
        return true;
    }
    eprintln!("dovecot: skipped: {IMAP} is not installed (apt-get install dovecot-imapd)");
    false
}

fn maildir(dir: &TempDir) -> PathBuf {
    let m = dir.path().join("mail");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(m.join(sub)).unwrap();
    }
    m
}

fn message(m: &Path, sub: &str, name: &str, subject: &str) {
    std::fs::write(m.join(sub).join(name), format!("Subject: {subject}\n\nx\n")).unwrap();
}

/// UID -> Subject as mailkit numbered them.
fn mailkit_view(m: &Path) -> (u32, BTreeMap<u32, String>) {
    let list = sync_uids(m).unwrap();
    let mut uids = BTreeMap::new();
    for r in &list.records {
        for sub in ["new", "cur"] {
            for e in std::fs::read_dir(m.join(sub)).unwrap().flatten() {
                let name = e.file_name().into_string().unwrap();
                if mailkit::store::folder::base_name(&name) == r.name {
                    let text = std::fs::read_to_string(e.path()).unwrap();
                    let subject = text.lines().next().unwrap().trim_start_matches("Subject: ");
                    uids.insert(r.uid, subject.to_string());
                }
            }
        }
    }
    (list.uid_validity, uids)
}

#[test]
fn dovecot_shows_the_uids_mailkit_gave() {
    if !installed() {
        return;
    }
    let dir = TempDir::new("dovecot-reads");
    let m = maildir(&dir);
    message(&m, "new", "1700000003.M3P1.h", "third");
    message(&m, "cur", "1700000001.M1P1.h:2,S", "first");
    message(&m, "new", "1700000002.M2P1.h", "second");
    // Numbers Dovecot could not have chosen on its own: it can only show
    // them by reading the list mailkit wrote.
    std::fs::write(m.join("dovecot-uidlist"), "3 V12345 N100\n").unwrap();
    let ours = mailkit_view(&m);
    assert_eq!(ours.0, 12345);
    assert_eq!(ours.1.keys().copied().collect::<Vec<_>>(), [100, 101, 102]);
    assert_eq!(ours.1[&100], "first");
    assert_eq!(dovecot_view(&m), ours);
}

#[test]
fn mailkit_keeps_the_uids_dovecot_gave_and_goes_on_from_them() {
    if !installed() {
        return;
    }
    let dir = TempDir::new("dovecot-writes");
    let m = maildir(&dir);
    message(&m, "new", "1700000001.M1P1.h", "first");
    message(&m, "new", "1700000002.M2P1.h", "second");
    let theirs = dovecot_view(&m);
    assert_eq!(theirs.1.len(), 2);
    // Dovecot moved them to cur/ and numbered them; a third arrives.
    message(&m, "new", "1700000003.M3P1.h", "third");
    let ours = mailkit_view(&m);
    assert_eq!(ours.0, theirs.0, "UIDVALIDITY changed");
    for (uid, subject) in &theirs.1 {
        assert_eq!(ours.1.get(uid), Some(subject), "UID {uid} changed");
    }
    assert_eq!(ours.1.len(), 3);
    // And Dovecot agrees on the new one's UID.
    assert_eq!(dovecot_view(&m), ours);
}

/// UID -> the FLAGS Dovecot shows (sorted, \Recent left out).
fn dovecot_flags(m: &Path) -> BTreeMap<u32, Vec<String>> {
    let said = dovecot(
        m,
        "a SELECT INBOX\r\nb UID FETCH 1:* (FLAGS)\r\nc LOGOUT\r\n",
    );
    let mut out = BTreeMap::new();
    for line in said.lines() {
        let Some(rest) = line.split("FETCH (").nth(1) else {
            continue;
        };
        let uid = rest
            .split("UID ")
            .nth(1)
            .and_then(|r| r.split([' ', ')']).next())
            .and_then(|u| u.parse::<u32>().ok());
        let flags = rest
            .split("FLAGS (")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or("");
        if let Some(uid) = uid {
            let mut f: Vec<String> = flags
                .split_whitespace()
                .filter(|f| *f != "\\Recent")
                .map(str::to_owned)
                .collect();
            f.sort();
            out.insert(uid, f);
        }
    }
    out
}

/// UID -> flags as mailkit's store reads them (system names and keywords, sorted).
fn mailkit_flags(m: &Path) -> BTreeMap<u32, Vec<String>> {
    let f = Folder::open(m).unwrap();
    f.messages()
        .iter()
        .map(|msg| {
            let mut names: Vec<String> = msg.flags.system_names().map(str::to_owned).collect();
            names.extend(
                msg.flags
                    .keyword_letters()
                    .filter_map(|c| f.keyword(c).map(str::to_owned)),
            );
            names.sort();
            (msg.uid, names)
        })
        .collect()
}

#[test]
fn dovecot_shows_the_flags_and_keywords_mailkit_set() {
    if !installed() {
        return;
    }
    let dir = TempDir::new("dovecot-flags-reads");
    let m = maildir(&dir);
    let mut f = Folder::open(&m).unwrap();
    let date = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let a = f
        .append(b"Subject: a\n\nx\n", Flags::from_info("FS"), date, "h")
        .unwrap();
    let b = f
        .append(b"Subject: b\n\nx\n", Flags::empty(), date, "h")
        .unwrap();
    let work = f.keyword_letter("$Work").unwrap().unwrap();
    let later = f.keyword_letter("Later").unwrap().unwrap();
    let mut fl = Flags::from_info("R");
    fl.set(work, true);
    fl.set(later, true);
    f.set_flags(b, fl).unwrap();
    let ours = mailkit_flags(&m);
    assert_eq!(ours[&a], ["\\Flagged", "\\Seen"]);
    assert_eq!(ours[&b], ["$Work", "Later", "\\Answered"]);
    assert_eq!(dovecot_flags(&m), ours);
}

#[test]
fn mailkit_reads_the_flags_and_keywords_dovecot_set() {
    if !installed() {
        return;
    }
    let dir = TempDir::new("dovecot-flags-writes");
    let m = maildir(&dir);
    message(&m, "new", "1700000001.M1P1.h", "first");
    message(&m, "new", "1700000002.M2P1.h", "second");
    dovecot(
        &m,
        "a SELECT INBOX\r\nb UID STORE 1 +FLAGS (\\Deleted \\Draft $Todo)\r\nc UID STORE 2 +FLAGS (\\Seen Other)\r\nd LOGOUT\r\n",
    );
    let ours = mailkit_flags(&m);
    assert_eq!(ours[&1], ["$Todo", "\\Deleted", "\\Draft"]);
    assert_eq!(ours[&2], ["Other", "\\Seen"]);
    assert_eq!(dovecot_flags(&m), ours);
}

#[test]
fn folders_and_subscriptions_are_shared_both_ways() {
    if !installed() {
        return;
    }
    let dir = TempDir::new("dovecot-folders");
    let m = maildir(&dir);
    let mb = Mailbox::new(&m);
    mb.create("Archive/2026").unwrap();
    mb.create("Entwürfe").unwrap();
    mb.subscribe("Entwürfe").unwrap();
    // Dovecot (separator "." on Maildir++, names in modified UTF-7) sees them.
    let said = dovecot(
        &m,
        "a LIST \"\" \"*\"\r\nb LSUB \"\" \"*\"\r\nc CREATE \"Sent.Old\"\r\nd SUBSCRIBE \"Sent.Old\"\r\ne LOGOUT\r\n",
    );
    assert!(said.contains("\".\" Archive.2026\r\n"), "{said}");
    assert!(
        said.contains("* LIST (\\HasNoChildren) \".\" Entw&APw-rfe"),
        "{said}"
    );
    assert!(said.contains("* LSUB () \".\" Entw&APw-rfe"), "{said}");
    // And mailkit sees what Dovecot made.
    assert_eq!(
        mb.list().unwrap(),
        ["INBOX", "Archive/2026", "Entwürfe", "Sent/Old"]
    );
    assert_eq!(mb.subscriptions().unwrap(), ["Entwürfe", "Sent/Old"]);
}

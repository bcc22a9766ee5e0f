//! Real IMAP clients against serve-imap on loopback: Python's imaplib
//! over every command (tests/clients/imaplib_every_command.py), curl's
//! imap:// URLs, mbsync (isync) syncing INBOX and a folder both ways, and
//! getmail6 retrieving into a Maildir. A client that is not installed is
//! skipped with a note, unless MAILKIT_CLIENTS_STRICT is set (CI installs
//! them all and sets it).

use std::path::Path;
use std::process::Command;

use crate::support::{files, free_port, imap_server, Server, TempDir};

/// Whether `tool` runs here; a missing one fails under
/// MAILKIT_CLIENTS_STRICT.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("MAILKIT_CLIENTS_STRICT").is_none(),
            "{tool} is not installed (MAILKIT_CLIENTS_STRICT is set)"
        );
        eprintln!("skipped: {tool} is not installed");
    }
    found
}

fn imap(maildir: &Path, extra: &[&str]) -> Server {
    imap_server(maildir, extra)
}

/// A message file in `dir` (a Maildir's `new/`).
fn put(dir: &Path, name: &str, subject: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for sub in ["cur", "tmp"] {
        std::fs::create_dir_all(dir.parent().unwrap().join(sub)).unwrap();
    }
    let text = format!("From: alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: {subject}\nMessage-ID: <{name}@crepes.fr>\n\nDo you like ketchup?\n");
    std::fs::write(dir.join(name), text).unwrap();
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

/// Message files in a Maildir (new/ and cur/).
fn count(maildir: &Path) -> usize {
    ["new", "cur"]
        .iter()
        .filter_map(|s| std::fs::read_dir(maildir.join(s)).ok())
        .map(|d| d.flatten().count())
        .sum()
}

#[test]
fn python_imaplib_every_command() {
    if !have("python3") {
        return;
    }
    let dir = TempDir::new("imaplib");
    let tls = free_port().to_string();
    let tls_listen = format!("127.0.0.1:{tls}");
    let srv = imap(
        &dir.path().join("mail"),
        &["--tls-self-signed", "--tls-listen", &tls_listen],
    );
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/imaplib_every_command.py");
    let out = run(Command::new("python3").arg(script).args([
        "127.0.0.1",
        &srv.addr.port().to_string(),
        &tls,
    ]));
    assert!(out.starts_with("ok "), "{out}");
    let checks: u32 = out[3..].trim().parse().unwrap();
    assert!(checks >= 70, "{out}");
}

#[test]
fn curl_lists_appends_searches_and_fetches() {
    if !have("curl") {
        return;
    }
    let dir = TempDir::new("imap-curl");
    let maildir = dir.path().join("mail");
    put(
        &maildir.join("bob@hamburger.edu/new"),
        "1700000000.M1P1.crepes",
        "first",
    );
    let srv = imap(&maildir, &[]);
    let url = format!("imap://127.0.0.1:{}", srv.addr.port());
    let curl = || {
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "20", "-u", "bob:secret"]);
        c
    };
    let list = run(curl().arg(format!("{url}/")));
    assert!(
        list.contains("\"INBOX\"") || list.contains(" INBOX"),
        "{list}"
    );
    assert!(list.contains("Sent"), "{list}");
    let upload = dir.path().join("up.eml");
    std::fs::write(&upload, "Subject: from curl\r\n\r\nappended by curl\r\n").unwrap();
    run(curl().arg("-T").arg(&upload).arg(format!("{url}/INBOX")));
    let search = run(curl()
        .args(["-X", "UID SEARCH SUBJECT curl"])
        .arg(format!("{url}/INBOX")));
    assert!(search.contains("* SEARCH 2"), "{search}");
    let first = run(curl().arg(format!("{url}/INBOX;UID=1")));
    assert!(first.contains("Subject: first\r\n"), "{first:?}");
    assert!(first.contains("Do you like ketchup?"), "{first:?}");
    let second = run(curl().arg(format!("{url}/INBOX;UID=2;SECTION=TEXT")));
    assert_eq!(second, "appended by curl\r\n");
}

#[test]
fn mbsync_syncs_inbox_and_a_folder_both_ways() {
    if !have("mbsync") {
        return;
    }
    let dir = TempDir::new("imap-mbsync");
    let maildir = dir.path().join("mail");
    let bob = maildir.join("bob@hamburger.edu");
    put(&bob.join("new"), "1700000000.M1P1.crepes", "one");
    put(&bob.join("new"), "1700000001.M1P1.crepes", "two");
    put(&bob.join(".Work/new"), "1700000002.M1P1.crepes", "work");
    std::fs::write(bob.join(".Work/maildirfolder"), "").unwrap();
    let srv = imap(&maildir, &[]);
    let local = dir.path().join("local");
    std::fs::create_dir_all(&local).unwrap();
    let rc = dir.path().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount srv\nHost 127.0.0.1\nPort {}\nUser bob@hamburger.edu\nPass secret\nSSLType None\nAuthMechs LOGIN\n\n\
             IMAPStore remote\nAccount srv\n\n\
             MaildirStore local\nPath {l}/\nInbox {l}/INBOX\nSubFolders Verbatim\n\n\
             Channel ch\nFar :remote:\nNear :local:\nPatterns INBOX Work\nCreate Both\nExpunge Both\nSyncState *\nSync All\n",
            srv.addr.port(),
            l = local.display()
        ),
    )
    .unwrap();
    let mbsync = || {
        let mut c = Command::new("mbsync");
        c.arg("-c").arg(&rc).arg("-a");
        c
    };
    // Down: the server's mail arrives locally.
    run(&mut mbsync());
    assert_eq!(count(&local.join("INBOX")), 2);
    assert_eq!(count(&local.join("Work")), 1);
    // Up: a message written locally, and a local flag.
    put(
        &local.join("Work/new"),
        "1700000100.M9P9.laptop",
        "written offline",
    );
    let first = ["new", "cur"]
        .iter()
        .flat_map(|s| files(&local, "INBOX", s))
        .next()
        .unwrap();
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    let base = name.split(":2,").next().unwrap();
    std::fs::rename(&first, local.join("INBOX/cur").join(format!("{base}:2,F"))).unwrap();
    run(&mut mbsync());
    let work: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|s| files(&maildir, "bob@hamburger.edu/.Work", s))
        .collect();
    assert_eq!(work.len(), 2, "{work:?}");
    let texts: String = work
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(texts.contains("Subject: written offline"), "{texts}");
    let flagged_on_server = files(&maildir, "bob@hamburger.edu", "cur")
        .iter()
        .filter(|p| {
            let n = p.to_string_lossy();
            n.contains(":2,") && n.rsplit(":2,").next().unwrap().contains('F')
        })
        .count();
    assert_eq!(
        flagged_on_server, 1,
        "the local \\Flagged reached the server"
    );
    // Again: nothing changes.
    run(&mut mbsync());
    assert_eq!(count(&local.join("INBOX")), 2);
    assert_eq!(count(&local.join("Work")), 2);
}

#[test]
fn getmail6_retrieves_over_imap_once() {
    if !have("getmail") {
        return;
    }
    let dir = TempDir::new("imap-getmail");
    let maildir = dir.path().join("mail");
    for i in 0..3 {
        put(
            &maildir.join("bob@hamburger.edu/new"),
            &format!("170000000{i}.M1P1.crepes"),
            &format!("getmail {i}"),
        );
    }
    let srv = imap(&maildir, &[]);
    let dest = dir.path().join("dest");
    for s in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dest.join(s)).unwrap();
    }
    // getmail will not deliver as root: as root (CI), it delivers as
    // nobody into a directory nobody may write.
    // SAFETY: geteuid has no preconditions.
    let as_root = if unsafe { libc::geteuid() } == 0 {
        for s in ["", "new", "cur", "tmp"] {
            let d = dest.join(s);
            std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o777))
                .unwrap();
        }
        "user = nobody\n"
    } else {
        ""
    };
    let gm = dir.path().join("getmail");
    std::fs::create_dir_all(&gm).unwrap();
    let rc = gm.join("getmailrc");
    std::fs::write(
        &rc,
        format!(
            "[retriever]\ntype = SimpleIMAPRetriever\nserver = 127.0.0.1\nport = {}\nusername = bob@hamburger.edu\npassword = secret\nmailboxes = (\"INBOX\",)\n\n\
             [destination]\ntype = Maildir\npath = {}/\n{}\n[options]\nread_all = false\ndelete = false\n",
            srv.addr.port(),
            dest.display(),
            as_root
        ),
    )
    .unwrap();
    let getmail = || {
        let mut c = Command::new("getmail");
        c.arg("--getmaildir").arg(&gm).arg("--rcfile").arg(&rc);
        c
    };
    let out = run(&mut getmail());
    assert!(out.contains("3 messages"), "{out}");
    assert_eq!(count(&dest), 3);
    let texts: String = files(&dest, "", "new")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for i in 0..3 {
        assert!(texts.contains(&format!("Subject: getmail {i}")), "{texts}");
    }
    // Only new mail the second time.
    let out = run(&mut getmail());
    assert!(out.contains("0 messages"), "{out}");
    assert_eq!(count(&dest), 3);
}

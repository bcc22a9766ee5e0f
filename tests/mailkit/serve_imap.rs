//! serve-imap on loopback, over a store filled by serve-smtp and by hand.

use std::path::Path;
use std::time::Duration;

use crate::support::{files, imap_server, smtp_server, Client, Server, TempDir};

/// An IMAP client on a raw socket: sends a tagged command, returns every
/// line up to and including the tagged one (literals included as lines).
struct Imap {
    c: Client,
    n: u32,
}

impl Imap {
    fn connect(s: &Server) -> Imap {
        let mut c = Client::connect(s.addr);
        let greeting = c.line().unwrap();
        assert!(
            greeting.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2"),
            "{greeting}"
        );
        Imap { c, n: 0 }
    }

    fn cmd(&mut self, command: &str) -> Vec<String> {
        self.n += 1;
        let tag = format!("t{}", self.n);
        self.c.send(format!("{tag} {command}\r\n").as_bytes());
        self.until(&tag)
    }

    fn until(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.c.line().expect("connection closed");
            let done = l.starts_with(&format!("{tag} "));
            lines.push(l);
            if done {
                return lines;
            }
        }
    }

    fn ok(&mut self, command: &str) -> Vec<String> {
        let lines = self.cmd(command);
        let last = lines.last().unwrap();
        assert!(last.contains(" OK"), "{command}: {lines:?}");
        lines
    }
}

fn imap(maildir: &Path, extra: &[&str]) -> Server {
    imap_server(maildir, extra)
}

fn deliver(smtp: &Server, subject: &str) {
    let mut c = Client::connect(smtp.addr);
    c.reply();
    c.send(
        b"EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n",
    );
    for _ in 0..4 {
        c.reply();
    }
    c.send(format!("Subject: {subject}\r\n\r\nDo you like ketchup?\r\n..dot\r\n.\r\n").as_bytes());
    assert_eq!(c.reply().0, 250);
}

#[test]
fn smtp_in_imap_out_flags_and_expunge_in_the_store() {
    let dir = TempDir::new("imap");
    let maildir = dir.path().join("mail");
    let smtp = smtp_server(&maildir, &["--quiet"]);
    deliver(&smtp, "one");
    deliver(&smtp, "two");
    let srv = imap(&maildir, &[]);
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob anything");
    let sel = m.ok("SELECT INBOX");
    assert!(sel.contains(&"* 2 EXISTS".to_string()), "{sel:?}");
    assert!(
        sel.iter().any(|l| l.starts_with("* OK [UIDVALIDITY ")),
        "{sel:?}"
    );
    let f = m.ok("FETCH 1 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])");
    assert!(f[0].starts_with("* 1 FETCH (UID 1 RFC822.SIZE "), "{f:?}");
    assert!(f.contains(&"Subject: one".to_string()), "{f:?}");
    // Stored dot-stuffing undone, CRLF on the wire.
    assert!(f.contains(&".dot".to_string()), "{f:?}");
    let s = m.ok("STORE 2 +FLAGS (\\Flagged $Label1)");
    assert_eq!(s[0], "* 2 FETCH (FLAGS (\\Flagged $Label1))");
    m.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    let e = m.ok("EXPUNGE");
    assert_eq!(e[0], "* 1 EXPUNGE");
    m.ok("LOGOUT");
    // In the store: one message left, flagged F and keyword a, which
    // dovecot-keywords names.
    let cur = files(&maildir, "bob@hamburger.edu", "cur");
    let new = files(&maildir, "bob@hamburger.edu", "new");
    assert_eq!(cur.len() + new.len(), 1, "{cur:?} {new:?}");
    assert!(cur[0].to_string_lossy().ends_with(":2,Fa"), "{cur:?}");
    let kw = std::fs::read_to_string(maildir.join("bob@hamburger.edu/dovecot-keywords")).unwrap();
    assert_eq!(kw, "0 $Label1\n");
    // A second session sees the same UID and flags.
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob x");
    m.ok("EXAMINE INBOX");
    let f = m.ok("FETCH 1:* (UID FLAGS)");
    assert_eq!(f[0], "* 1 FETCH (UID 2 FLAGS (\\Flagged $Label1))");
}

#[test]
fn two_sessions_see_each_other_and_idle_hears_new_mail() {
    let dir = TempDir::new("imap-two");
    let maildir = dir.path().join("mail");
    let smtp = smtp_server(&maildir, &["--quiet"]);
    deliver(&smtp, "one");
    deliver(&smtp, "two");
    let srv = imap(&maildir, &[]);
    let mut a = Imap::connect(&srv);
    let mut b = Imap::connect(&srv);
    for m in [&mut a, &mut b] {
        m.ok("LOGIN bob x");
        m.ok("SELECT INBOX");
    }
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    a.ok("EXPUNGE");
    // b hears of it at its next NOOP, not during a FETCH.
    let f = b.ok("FETCH 2 (UID)");
    assert_eq!(f[0], "* 2 FETCH (UID 2)", "{f:?}");
    let n = b.ok("NOOP");
    assert_eq!(n[0], "* 1 EXPUNGE", "{n:?}");
    // IDLE: a delivery shows up as EXISTS at once.
    b.c.send(b"i1 IDLE\r\n");
    assert!(b.c.line().unwrap().starts_with("+ "));
    deliver(&smtp, "three");
    // Delivered by another process: the watcher sees it within a second.
    b.c.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(b.c.line().unwrap(), "* 2 EXISTS");
    b.c.send(b"DONE\r\n");
    assert_eq!(b.until("i1").last().unwrap(), "i1 OK IDLE terminated");
}

#[test]
fn folders_append_copy_move_and_names_that_would_leave_the_store() {
    let dir = TempDir::new("imap-folders");
    let maildir = dir.path().join("mail");
    let srv = imap(&maildir, &[]);
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob x");
    let list = m.ok("LIST \"\" *");
    assert!(
        list.contains(&"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"".to_string()),
        "{list:?}"
    );
    m.ok("CREATE Caf&AOk-/2026");
    assert!(maildir
        .join("bob@hamburger.edu/.Caf&AOk-.2026/maildirfolder")
        .exists());
    for bad in ["../evil", "~evil", "a..b", "/abs"] {
        let r = m.cmd(&format!("CREATE \"{bad}\""));
        assert!(r.last().unwrap().contains(" NO "), "{bad}: {r:?}");
    }
    assert!(!dir.path().join("evil").exists() && !maildir.join("evil").exists());
    m.c.send(b"a1 APPEND INBOX (\\Seen) {14}\r\n");
    assert!(m.c.line().unwrap().starts_with("+"));
    m.c.send(b"Subject: x\r\n\r\n\r\n");
    let r = m.until("a1");
    assert!(r.last().unwrap().starts_with("a1 OK [APPENDUID "), "{r:?}");
    m.ok("SELECT INBOX");
    let c = m.ok("UID COPY 1 Caf&AOk-/2026");
    assert!(c.last().unwrap().contains("[COPYUID "), "{c:?}");
    let mv = m.ok("MOVE 1 Archive");
    assert!(mv.iter().any(|l| l.starts_with("* OK [COPYUID ")), "{mv:?}");
    assert!(mv.contains(&"* 1 EXPUNGE".to_string()), "{mv:?}");
    let st = m.ok("STATUS Archive (MESSAGES UNSEEN UIDNEXT)");
    assert_eq!(
        st[0],
        "* STATUS \"Archive\" (MESSAGES 1 UNSEEN 0 UIDNEXT 2)"
    );
    // Stored with LF line ends, as every message in the store.
    let arch = files(&maildir, "bob@hamburger.edu/.Archive", "cur");
    assert_eq!(std::fs::read(&arch[0]).unwrap(), b"Subject: x\n\n");
}

#[test]
fn a_fetch_larger_than_a_part_arrives_whole_in_order_and_marks_each_message_seen() {
    let dir = TempDir::new("imap-parts");
    let maildir = dir.path().join("mail");
    let new = maildir.join("bob@hamburger.edu/new");
    std::fs::create_dir_all(&new).unwrap();
    for d in ["cur", "tmp"] {
        std::fs::create_dir_all(maildir.join("bob@hamburger.edu").join(d)).unwrap();
    }
    // 60 messages of 10 KB: 600 KB, more than two parts (256 KB each).
    let line = format!("{}\n", "x".repeat(75));
    for i in 0..60 {
        let body = format!(
            "Subject: part test {i}\nMessage-ID: <{i}@t>\n\n{}end {i}\n",
            line.repeat(130)
        );
        std::fs::write(new.join(format!("17000000{i:02}.M1P1.t")), body).unwrap();
    }
    let srv = imap(&maildir, &[]);
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob x");
    m.ok("SELECT INBOX");
    // Pipelined: the NOOP is answered after the whole FETCH.
    m.c.send(b"f1 FETCH 1:* (BODY[])\r\nf2 NOOP\r\n");
    let lines = m.until("f2");
    let fetches: Vec<&String> = lines.iter().filter(|l| l.contains(" FETCH (")).collect();
    assert_eq!(fetches.len(), 60, "{:?}", &lines[lines.len() - 3..]);
    for (i, l) in fetches.iter().enumerate() {
        assert!(
            l.starts_with(&format!("* {} FETCH (BODY[] {{", i + 1)),
            "{l}"
        );
    }
    for i in 0..60 {
        assert!(lines.contains(&format!("end {i}")), "message {i} is whole");
    }
    // Each message's \Seen, set as its part was read, is shown with it.
    let shown = lines
        .iter()
        .filter(|l| l.ends_with(" FLAGS (\\Seen))"))
        .count();
    assert_eq!(shown, 60, "{:?}", &lines[lines.len() - 3..]);
    let n = lines.len();
    assert!(lines[n - 2].starts_with("f1 OK"), "{:?}", &lines[n - 2..]);
    assert!(lines[n - 1].starts_with("f2 OK"), "{:?}", &lines[n - 2..]);
    let seen = files(&maildir, "bob@hamburger.edu", "cur")
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(":2,S"))
        .count();
    assert_eq!(seen, 60);
}

#[test]
fn esearch_searchres_list_extended_and_list_status() {
    let dir = TempDir::new("imap-ext");
    let maildir = dir.path().join("mail");
    let srv = imap(&maildir, &[]);
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob x");
    for s in ["apple", "banana", "apple pie"] {
        let msg = format!("Subject: {s}\r\n\r\nbody\r\n");
        m.c.send(format!("a APPEND INBOX {{{}+}}\r\n{msg}\r\n", msg.len()).as_bytes());
        m.until("a");
    }
    m.ok("SELECT INBOX");
    // ESEARCH (RFC 4731).
    let r = m.ok("SEARCH RETURN (MIN MAX COUNT ALL) ALL");
    assert_eq!(
        r[0], "* ESEARCH (TAG \"t3\") MIN 1 MAX 3 ALL 1:3 COUNT 3",
        "{r:?}"
    );
    let r = m.ok("UID SEARCH RETURN () SUBJECT apple");
    assert_eq!(r[0], "* ESEARCH (TAG \"t4\") UID ALL 1,3", "{r:?}");
    let r = m.ok("SEARCH RETURN (COUNT) SUBJECT cherry");
    assert_eq!(r[0], "* ESEARCH (TAG \"t5\") COUNT 0", "{r:?}");
    // SEARCHRES (RFC 5182): SAVE alone answers nothing; `$` is the result.
    let r = m.ok("SEARCH RETURN (SAVE) SUBJECT apple");
    assert_eq!(r.len(), 1, "{r:?}");
    let r = m.ok("FETCH $ (UID)");
    assert_eq!(r[..2], ["* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)"], "{r:?}");
    let r = m.ok("UID STORE $ +FLAGS.SILENT (\\Flagged)");
    assert_eq!(r.len(), 1, "{r:?}");
    let r = m.ok("SEARCH FLAGGED");
    assert_eq!(r[0], "* SEARCH 1 3");
    m.ok("SEARCH RETURN (SAVE) SUBJECT cherry");
    let r = m.ok("FETCH $ (UID)");
    assert_eq!(r.len(), 1, "an empty $ fetches nothing: {r:?}");
    // IMAP4rev2: every SEARCH answers with ESEARCH.
    m.ok("ENABLE IMAP4rev2");
    let r = m.ok("UID SEARCH SUBJECT banana");
    assert_eq!(r[0], "* ESEARCH (TAG \"t13\") UID ALL 2", "{r:?}");
    let r = m.cmd("SEARCH RETURN (BOGUS) ALL");
    assert!(r[0].contains(" BAD "), "{r:?}");
    // LIST-EXTENDED (RFC 5258), special-use selection (RFC 6154) and
    // LIST-STATUS (RFC 5819).
    m.ok("CREATE Work");
    m.ok("SUBSCRIBE Work");
    m.ok("CREATE Gone");
    m.ok("SUBSCRIBE Gone");
    m.ok("DELETE Gone");
    let r = m.ok("LIST (SUBSCRIBED) \"\" *");
    for want in [
        "* LIST (\\NonExistent \\Subscribed) \"/\" \"Gone\"",
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"Work\"",
        "* LIST (\\HasNoChildren \\Sent \\Subscribed) \"/\" \"Sent\"",
    ] {
        assert!(r.contains(&want.to_string()), "{want}: {r:?}");
    }
    assert!(
        r[..r.len() - 1].iter().all(|l| l.contains("\\Subscribed")),
        "{r:?}"
    );
    let r = m.ok("LIST (SPECIAL-USE) \"\" *");
    assert_eq!(r.len(), 6, "five special-use folders: {r:?}");
    assert!(
        r.iter()
            .all(|l| l.starts_with("* LIST") || l.contains("OK")),
        "{r:?}"
    );
    let r = m.ok("LIST \"\" (INBOX Work) RETURN (SUBSCRIBED STATUS (MESSAGES UNSEEN))");
    assert_eq!(
        r[..4],
        [
            "* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
            "* STATUS \"INBOX\" (MESSAGES 3 UNSEEN 3)",
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" \"Work\"",
            "* STATUS \"Work\" (MESSAGES 0 UNSEEN 0)",
        ],
        "{r:?}"
    );
    let caps = m.ok("CAPABILITY");
    for c in [
        "LIST-EXTENDED",
        "LIST-STATUS",
        "ESEARCH",
        "SEARCHRES",
        "STATUS=SIZE",
    ] {
        assert!(caps[0].contains(c), "{c}: {caps:?}");
    }
}

#[test]
fn utf8_accept_names_folders_in_utf8_and_others_still_see_modified_utf7() {
    let dir = TempDir::new("imap-utf8");
    let maildir = dir.path().join("mail");
    let srv = imap(&maildir, &[]);
    let mut m = Imap::connect(&srv);
    m.ok("LOGIN bob x");
    let r = m.ok("ENABLE UTF8=ACCEPT");
    assert_eq!(r[0], "* ENABLED UTF8=ACCEPT", "{r:?}");
    m.ok("CREATE \"Café & Co\"");
    assert!(maildir.join("bob@hamburger.edu/.Caf&AOk- &- Co").is_dir());
    let r = m.ok("LIST \"\" \"Caf*\"");
    assert_eq!(r[0], "* LIST (\\HasNoChildren) \"/\" {10}", "{r:?}");
    assert_eq!(r[1], "Café & Co", "{r:?}");
    let r = m.ok("STATUS \"Café & Co\" (MESSAGES)");
    assert_eq!(r[1], "Café & Co (MESSAGES 0)", "{r:?}");
    m.ok("SELECT \"Café & Co\"");
    // A session without UTF8=ACCEPT sees the modified UTF-7 name.
    let mut other = Imap::connect(&srv);
    other.ok("LOGIN bob x");
    let r = other.ok("LIST \"\" \"Caf*\"");
    assert_eq!(
        r[0], "* LIST (\\HasNoChildren) \"/\" \"Caf&AOk- &- Co\"",
        "{r:?}"
    );
}

//! Differential test against Dovecot's `imap` (issue 16): one Maildir of
//! 300 varied messages (plain, encoded words, groups, attachments,
//! multipart/alternative, message/rfc822 inside messages, malformed ones)
//! served by Dovecot (stdin/stdout, no daemon) and by serve-imap; FETCH of
//! RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY, HEADER.FIELDS, n.MIME,
//! partial sections, BINARY.SIZE and a set of SEARCHes must give the same
//! responses, byte for byte, but for the deliberate differences in
//! [`KNOWN`]. Skipped with a message when Dovecot is not installed.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Server, TempDir};

const IMAP: &str = "/usr/lib/dovecot/imap";

const ITEMS: [&str; 10] = [
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]",
    "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM TO)]",
    "BODY.PEEK[1.MIME]",
    "BODY.PEEK[1]<0.20>",
    "BODY.PEEK[TEXT]<5.10>",
    "BINARY.SIZE[1]",
];

const SEARCHES: [&str; 9] = [
    "SUBJECT plain",
    "FROM x.org",
    "TEXT hello",
    "BODY attached",
    "LARGER 500",
    "HEADER Cc Group",
    "SENTSINCE 1-Jan-2023",
    "NOT SUBJECT inner",
    "OR SMALLER 300 TO carol",
];

/// Deliberate differences: (item, a marker in the message) whose
/// responses may differ, with why.
const KNOWN: [(&str, &str, &str); 3] = [
    (
        "ENVELOPE",
        "To: ,,,",
        "an address field with no address at all: Dovecot shows one MISSING_MAILBOX entry per empty list item, we show one for the field",
    ),
    (
        "BODYSTRUCTURE",
        "Content-Type: message/rfc822",
        "a message/rfc822 part that ends in a multipart's close delimiter: Dovecot counts the CRLF before the outer boundary into its size and lines; RFC 2046 §5.1.1 gives that CRLF to the boundary, and so do we (2 octets, 1 line less)",
    ),
    (
        "BODY",
        "Content-Type: message/rfc822",
        "as for BODYSTRUCTURE",
    ),
];

/// Message `i` of the corpus (LF line ends, as the store keeps them).
fn message(i: usize) -> String {
    let date = format!("Tue, {} Nov 2023 {:02}:14:20 +0100", 1 + i % 28, i % 24);
    match i % 8 {
        0 => format!("From: User {i} <u{i}@x.org>\nTo: bob@hamburger.edu, Carol <carol@y.org>\nSubject: plain {i}\nDate: {date}\nMessage-ID: <m{i}@x.org>\n\nhello {i}\nline two\n"),
        1 => format!("From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@x.de>\nTo: undisclosed-recipients:;\nSubject: =?utf-8?b?R3LDvMOfZQ==?= {i}\nDate: {date}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\nGrüße {i}\n"),
        2 => format!("From: a@b.c\nTo: bob@hamburger.edu\nCc: Group: x@y.z, \"W, V\" <w@v.u>;\nSubject: attach {i}\nDate: {date}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\npreamble\n--b{i}\nContent-Type: text/plain\n\nsee attached\n--b{i}\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"f{i}.bin\"\n\nAAECAwQFBgcICQ==\n--b{i}--\nepilogue\n"),
        3 => format!("From: a@b.c\nSubject: alt {i}\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=alt\n\n--alt\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n\nhello =3D {i}\n--alt\nContent-Type: text/html\nContent-ID: <c{i}@x>\nContent-Description: the html\n\n<p>hi</p>\n--alt--\n"),
        4 => format!("From: o@u.t\nSubject: fwd {i}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=out\n\n--out\nContent-Type: text/plain\n\nsee below\n--out\nContent-Type: message/rfc822\n\nFrom: in@n.er\nSubject: inner {i}\nContent-Type: multipart/mixed; boundary=in\n\n--in\nContent-Type: text/plain\n\ninner body\n--in--\n--out--\n"),
        5 => format!("Subject: no body separator {i}\nFrom: x@y\n"),
        6 => format!("From: x@y\nContent-Type: multipart/mixed; boundary=zz\nSubject: partless {i}\n\nno parts here\n"),
        _ => format!("From: <>\nTo: ,,,\nSubject: =?utf-8?B?broken?= {i}\nContent-Type: text/plain; charset=\"unknown-8bit\"\nContent-Transfer-Encoding: base64\n\n!!!notbase64\n"),
    }
}

/// The script of one command for both servers.
fn commands() -> Vec<String> {
    let mut c: Vec<String> = ITEMS
        .iter()
        .enumerate()
        .map(|(i, it)| {
            // BINARY of a part whose base64 is corrupt: Dovecot fails the
            // whole FETCH with NO [PARSE]; we decode what can be decoded
            // (as mailparse and most clients do). Deliberate: BINARY is
            // compared on the messages that decode.
            let set = if it.starts_with("BINARY") {
                "1:7"
            } else {
                "1:*"
            };
            format!("f{i} FETCH {set} ({it})")
        })
        .collect();
    c.extend(
        SEARCHES
            .iter()
            .enumerate()
            .map(|(i, q)| format!("s{i} SEARCH {q}")),
    );
    c
}

/// Responses split at CRLF, literals kept inside their response, grouped
/// by the tag that ends them.
fn by_tag(out: &[u8]) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut map = BTreeMap::new();
    let mut cur = Vec::new();
    let mut rest = out;
    while let Some(j) = find(rest, b"\r\n") {
        let mut line = rest[..j].to_vec();
        rest = &rest[j + 2..];
        while let Some(n) = literal_len(&line) {
            let n = n.min(rest.len());
            line.extend_from_slice(b"\r\n");
            line.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            let k = find(rest, b"\r\n").unwrap_or(rest.len());
            line.extend_from_slice(&rest[..k]);
            rest = &rest[(k + 2).min(rest.len())..];
        }
        if line.starts_with(b"* ") {
            cur.push(line);
        } else {
            let tag = String::from_utf8_lossy(line.split(|&b| b == b' ').next().unwrap_or(b""))
                .into_owned();
            map.insert(tag, std::mem::take(&mut cur));
        }
    }
    map
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn literal_len(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&l[open + 1..]).ok()?.parse().ok()
}

/// Dovecot on a copy of `maildir`, one process per command (it runs
/// pipelined FETCHes in parallel and interleaves their responses).
fn dovecot(home: &Path, maildir: &Path, command: &str) -> Vec<u8> {
    let conf = home.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "mail_location = maildir:{}:INDEX=MEMORY\nmail_uid = nobody\nmail_gid = nogroup\nfirst_valid_uid = 1\nfirst_valid_gid = 1\nlog_path = /dev/null\nssl = no\n",
            maildir.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(IMAP)
        .args(["-c", conf.to_str().unwrap()])
        .env("USER", "bob")
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let script = format!("a EXAMINE INBOX\r\n{command}\r\nz LOGOUT\r\n");
    // Input stays open until the LOGOUT is answered: Dovecot that sees
    // the end of its input while a command runs may stop before
    // answering it (seen once in three runs).
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.ends_with(b"z OK Logout completed.\r\n") || out.windows(5).any(|w| w == b"\nz OK") {
            break;
        }
    }
    drop(stdin);
    let _ = child.wait();
    out
}

#[test]
fn fetch_and_search_agree_with_dovecot_on_300_messages() {
    if !Path::new(IMAP).exists() {
        eprintln!("skipped: {IMAP} is not installed (apt-get install dovecot-imapd)");
        return;
    }
    let dir = TempDir::new("dovecot-imap");
    let store = dir.path().join("mk");
    let inbox = store.join("bob@x");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    let corpus: Vec<String> = (0..300).map(message).collect();
    for (i, m) in corpus.iter().enumerate() {
        std::fs::write(
            inbox
                .join("new")
                .join(format!("{}.M{i}P1.host", 1_700_000_000 + i)),
            m,
        )
        .unwrap();
    }
    // Dovecot gets its own copy (it runs as nobody; its files stay apart).
    let dmail = dir.path().join("dmail");
    let st = Command::new("cp")
        .arg("-r")
        .arg(&inbox)
        .arg(&dmail)
        .status()
        .unwrap();
    assert!(st.success());
    let st = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(&dmail)
        .status()
        .unwrap();
    assert!(st.success());

    let srv = Server::start(&["serve-imap", "--maildir", store.to_str().unwrap()]);
    let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut script = String::from("l LOGIN bob@x x\r\na EXAMINE INBOX\r\n");
    for c in commands() {
        script.push_str(&c);
        script.push_str("\r\n");
    }
    script.push_str("z LOGOUT\r\n");
    s.write_all(script.as_bytes()).unwrap();
    let mut ours = Vec::new();
    s.read_to_end(&mut ours).unwrap();
    let ours = by_tag(&ours);

    let mut differences = Vec::new();
    for c in commands() {
        let tag = c.split(' ').next().unwrap().to_owned();
        let raw = dovecot(dir.path(), &dmail, &c);
        let theirs = by_tag(&raw);
        let (d, m) = (&theirs[&tag], &ours[&tag]);
        assert_eq!(d.len(), m.len(), "{c}: response counts");
        for (x, y) in d.iter().zip(m) {
            if x == y {
                continue;
            }
            let seq: usize = String::from_utf8_lossy(x)
                .split(' ')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let msg = corpus.get(seq.wrapping_sub(1)).map_or("", String::as_str);
            let known = KNOWN
                .iter()
                .any(|(item, marker, _)| c.ends_with(&format!("({item})")) && msg.contains(marker));
            if !known {
                differences.push(format!(
                    "{c}:\n  dovecot: {}\n  mailkit: {}",
                    String::from_utf8_lossy(x),
                    String::from_utf8_lossy(y)
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences, the first: {}",
        differences.len(),
        differences
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

//! `mailkit serve-http` on loopback: Mailpit's API (list, paging, search,
//! message, headers, raw, part, info, mark read, delete), mailkit's own
//! routes, the WebSocket event stream, and the safety rules (hostile
//! messages, cross-site and rebinding attempts, path tricks in IDs),
//! asserted on status codes, JSON, bytes and the store's files. The page in
//! a real browser: tests/browser/web_page.py, run here when Playwright and
//! Chromium are installed (MAILKIT_BROWSER_STRICT makes their absence fail).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::support::{bin, files, Server, TempDir};

const BOB: &str = "bob@hamburger.edu";

/// One HTTP/1.1 exchange on a new connection: (status, lowercased
/// headers, body).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    s.write_all(&bytes).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let hdrs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, hdrs, out[end + 4..].to_vec())
}

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

pub fn get_json(addr: SocketAddr, path: &str) -> Value {
    let (status, h, body) = http(addr, "GET", path, &[], None);
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(header(&h, "content-type"), Some("application/json"));
    serde_json::from_slice(&body).unwrap()
}

pub fn change(addr: SocketAddr, method: &str, path: &str, body: &Value) -> u16 {
    let b = body.to_string();
    http(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        Some(b.as_bytes()),
    )
    .0
}

/// Drops a message file into DIR/<mailbox>[/.<folder>]/new with mtime `at`.
fn drop_file(
    root: &Path,
    mailbox: &str,
    folder: Option<&str>,
    name: &str,
    data: &[u8],
    at: SystemTime,
) -> PathBuf {
    let mut dir = root.join(mailbox);
    if let Some(f) = folder {
        for s in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(s)).unwrap();
        }
        dir = dir.join(format!(".{f}"));
    }
    for s in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(s)).unwrap();
    }
    let path = dir.join("new").join(name);
    std::fs::write(&path, data).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(at)
        .unwrap();
    path
}

fn msg(subject: &str, body: &str) -> Vec<u8> {
    format!("From: Alice <alice@crepes.fr>\nTo: {BOB}\nSubject: {subject}\nMessage-ID: <{}@crepes.fr>\n\n{body}", subject.replace(' ', "."))
        .into_bytes()
}

fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

/// serve-http over `root`, its index built.
fn start(root: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["serve-http", "--maildir", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    let srv = Server::start(&args);
    let t = Instant::now();
    while http(srv.addr, "GET", "/readyz", &[], None).0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(10), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    srv
}

fn subjects(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Subject"].as_str().unwrap().to_owned())
        .collect()
}

pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(5), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn lists_page_newest_first_and_search_uses_mailpits_syntax() {
    let dir = TempDir::new("http-list");
    for i in 0..55u64 {
        let body = if i == 7 {
            "ketchup inside\n"
        } else {
            "plain\n"
        };
        drop_file(
            dir.path(),
            BOB,
            None,
            &format!("{i}.M1P1.t"),
            &msg(&format!("page {i:02}"), body),
            ago(1000 - i),
        );
    }
    drop_file(
        dir.path(),
        "carol@wonder.land",
        None,
        "c.M1P1.t",
        &msg("for carol", "ketchup\n"),
        ago(2000),
    );
    drop_file(
        dir.path(),
        BOB,
        Some("Archive"),
        "a.M1P1.t",
        &msg("archived", "old\n"),
        ago(3000),
    );
    let srv = start(dir.path(), &[]);
    let list = get_json(srv.addr, "/api/v1/messages");
    assert_eq!(list["total"], 57);
    assert_eq!(list["messages_count"], 57);
    assert_eq!(list["unread"], 57);
    assert_eq!(list["start"], 0);
    let s = subjects(&list);
    assert_eq!(s.len(), 50, "Mailpit's default limit");
    assert_eq!(s[0], "page 54");
    assert_eq!(s[49], "page 05");
    let page = get_json(srv.addr, "/api/v1/messages?start=54&limit=2");
    assert_eq!(subjects(&page), ["page 00", "for carol"]);
    assert_eq!(
        get_json(srv.addr, "/api/v1/messages?start=500")["messages"],
        json!([])
    );
    let m = &list["messages"][0];
    assert_eq!(
        m["From"],
        json!({"Name": "Alice", "Address": "alice@crepes.fr"})
    );
    assert_eq!(m["MessageID"], "page.54@crepes.fr");
    assert_eq!(m["Read"], false);
    assert!(m["ID"]
        .as_str()
        .unwrap()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Search: bare words are body text too; fields; negation; filters.
    let found = get_json(srv.addr, "/api/v1/search?query=ketchup");
    assert_eq!(subjects(&found), ["page 07", "for carol"]);
    assert_eq!(
        (found["total"].clone(), found["messages_count"].clone()),
        (json!(57), json!(2))
    );
    let q = |q: &str| subjects(&get_json(srv.addr, &format!("/api/v1/search?query={q}")));
    assert_eq!(q("subject%3A%22page%2007%22"), ["page 07"]);
    assert_eq!(
        q("ketchup%20-to%3Abob"),
        Vec::<String>::new(),
        "carol's copy is addressed to bob too"
    );
    assert_eq!(q("ketchup&mailbox=carol%40wonder.land"), ["for carol"]);
    assert_eq!(q("old&folder=Archive"), ["archived"]);
    assert_eq!(http(srv.addr, "GET", "/api/v1/search", &[], None).0, 400);
    assert_eq!(
        http(srv.addr, "GET", "/api/v1/messages?limit=x", &[], None).0,
        400
    );
    let boxes = get_json(srv.addr, "/api/v1/mailboxes");
    assert_eq!(boxes["mailboxes"][0]["Mailbox"], BOB);
    assert_eq!(
        boxes["mailboxes"][0]["Folders"][1],
        json!({"Name": "Archive", "Total": 1, "Unread": 1})
    );
    assert_eq!(get_json(srv.addr, "/api/v1/info")["Messages"], 57);
}

const RICH: &[u8] = b"Return-Path: <bounces@crepes.fr>\nFrom: =?utf-8?q?Alice_Cr=C3=AApe?= <alice@crepes.fr>\nTo: Bob <bob@hamburger.edu>\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nDate: Tue, 02 Jan 2024 15:04:05 +0100\nMessage-ID: <rich.1@crepes.fr>\nX-Multi: one\nX-Multi: two\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9\n--b\nContent-Type: text/html\n\n<p>Hi<script>alert(1)</script></p>\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"../../etc/<b>passwd</b>\"\nContent-Transfer-Encoding: base64\n\nAAEC/w==\n--b--\n";

#[test]
fn a_message_its_headers_source_parts_and_views() {
    let dir = TempDir::new("http-msg");
    let path = drop_file(dir.path(), BOB, None, "1.M1P1.t", RICH, ago(60));
    let srv = start(dir.path(), &[]);
    let id = get_json(srv.addr, "/api/v1/messages")["messages"][0]["ID"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = get_json(srv.addr, &format!("/api/v1/message/{id}"));
    assert_eq!(m["Subject"], "Grüße");
    assert_eq!(m["From"]["Name"], "Alice Crêpe");
    assert_eq!(m["ReturnPath"], "bounces@crepes.fr");
    assert_eq!(m["Date"], "2024-01-02T15:04:05+01:00");
    assert_eq!(
        m["Text"], "Café",
        "the CRLF before a boundary is the boundary's"
    );
    assert_eq!(m["Cc"], json!([]));
    let att = &m["Attachments"][0];
    assert_eq!(att["FileName"], "../../etc/<b>passwd</b>");
    assert_eq!(att["Size"], 4);
    assert_eq!(att["PartID"], "3");
    assert_eq!(att["Checksums"]["MD5"], "0416dab819887333af831f8c765ac2ae");
    // Fetching marked it read: the file is in cur/ with S.
    wait_until("S flag", || {
        files(dir.path(), BOB, "cur")
            .iter()
            .any(|p| p.to_string_lossy().ends_with(":2,S"))
    });
    assert!(!path.exists());
    let h = get_json(srv.addr, &format!("/api/v1/message/{id}/headers"));
    assert_eq!(h["X-Multi"], json!(["one", "two"]));
    assert_eq!(h["Message-Id"], json!(["<rich.1@crepes.fr>"]));
    let (status, hd, raw) = http(
        srv.addr,
        "GET",
        &format!("/api/v1/message/{id}/raw"),
        &[],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        header(&hd, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        raw,
        String::from_utf8_lossy(RICH)
            .replace('\n', "\r\n")
            .as_bytes(),
        "raw is CRLF"
    );
    let (status, hd, part) = http(
        srv.addr,
        "GET",
        &format!("/api/v1/message/{id}/part/3"),
        &[],
        None,
    );
    assert_eq!((status, part), (200, vec![0, 1, 2, 255]));
    assert_eq!(header(&hd, "x-content-type-options"), Some("nosniff"));
    let cd = header(&hd, "content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment; filename=\".._.._etc_<b>passwd<_b>\""),
        "{cd}"
    );
    // The HTML view is sandboxed by its own CSP: no scripts, no remote loads.
    let (status, hd, html) = http(srv.addr, "GET", &format!("/view/{id}"), &[], None);
    assert_eq!(status, 200);
    let csp = header(&hd, "content-security-policy").unwrap();
    assert!(
        csp.starts_with("sandbox ")
            && !csp.contains("allow-scripts")
            && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(String::from_utf8_lossy(&html).contains("<p>Hi"));
    let v = get_json(srv.addr, &format!("/api/v1/message/{id}/validate"));
    assert_eq!(v["valid"], true, "{v}");
    let s = get_json(srv.addr, &format!("/api/v1/message/{id}/structure"));
    assert_eq!(s["mime"]["content_type"], "multipart/mixed");
    let latest = get_json(srv.addr, "/api/v1/message/latest");
    assert_eq!(latest["ID"], id.as_str());
    for bad in [
        "/api/v1/message/..%2F..%2F..%2Fetc%2Fpasswd".to_string(),
        "/api/v1/message/../../Cargo.toml".into(),
        format!("/api/v1/message/{id}/part/..%2F1"),
        format!("/api/v1/message/{id}/part/9"),
        "/api/v1/message/%00/raw".into(),
        "/view/..%2F..%2Fetc%2Fpasswd".into(),
        "/../../etc/passwd".into(),
    ] {
        let (status, hd, body) = http(srv.addr, "GET", &bad, &[], None);
        assert_eq!(status, 404, "{bad}: {}", String::from_utf8_lossy(&body));
        assert_eq!(header(&hd, "content-type"), Some("application/json"));
        assert!(serde_json::from_slice::<Value>(&body).unwrap()["Error"].is_string());
    }
}

/// A WebSocket client of /api/events (RFC 6455: masked frames out); also
/// used by the tests of `mailkit serve`.
pub struct Events(TcpStream, Vec<u8>);

impl Events {
    pub fn open(addr: SocketAddr, origin: Option<&str>) -> Result<Events, u16> {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let o = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        write!(s, "GET /api/events HTTP/1.1\r\nHost: {addr}\r\n{o}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").unwrap();
        let mut buf = Vec::new();
        let mut b = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut b).unwrap();
            assert!(n > 0, "closed during the handshake");
            buf.extend_from_slice(&b[..n]);
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let status: u16 = head[9..12].parse().unwrap();
        if status != 101 {
            return Err(status);
        }
        assert!(
            head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            "{head}"
        );
        Ok(Events(s, buf[end..].to_vec()))
    }

    /// The next frame: (opcode, payload); None when the stream ends.
    fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.1.len() >= 2 {
                let (op, len0) = (self.1[0] & 0x0f, (self.1[1] & 0x7f) as usize);
                let (len, at) = match len0 {
                    126 if self.1.len() >= 4 => {
                        (u16::from_be_bytes([self.1[2], self.1[3]]) as usize, 4)
                    }
                    127 if self.1.len() >= 10 => (
                        u64::from_be_bytes(self.1[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (n, 2),
                };
                if len != usize::MAX && self.1.len() >= at + len {
                    let payload: Vec<u8> = self.1[at..at + len].to_vec();
                    self.1.drain(..at + len);
                    return Some((op, payload));
                }
            }
            let mut b = [0u8; 65536];
            let n = self.0.read(&mut b).expect("an event within 5 s");
            if n == 0 {
                return None;
            }
            self.1.extend_from_slice(&b[..n]);
        }
    }

    /// The next text message, as JSON.
    fn next(&mut self) -> Value {
        loop {
            let (op, payload) = self.frame().expect("the stream closed");
            if op == 1 {
                return serde_json::from_slice(&payload).unwrap();
            }
        }
    }

    /// The status code of the server's close frame (RFC 6455 §5.5.1),
    /// other frames skipped; None when the stream ends without one.
    pub fn close_code(&mut self) -> Option<u16> {
        loop {
            let (op, payload) = self.frame()?;
            if op == 8 {
                return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
        }
    }

    /// The next event of `kind` (others skipped).
    pub fn wait(&mut self, kind: &str) -> Value {
        loop {
            let e = self.next();
            if e["Type"] == kind {
                return e["Data"].clone();
            }
        }
    }
}

#[test]
fn changes_reach_the_store_and_the_event_stream() {
    let dir = TempDir::new("http-events");
    drop_file(
        dir.path(),
        BOB,
        None,
        "1.M1P1.t",
        &msg("one", "x\n"),
        ago(300),
    );
    drop_file(
        dir.path(),
        BOB,
        None,
        "2.M1P1.t",
        &msg("two", "x\n"),
        ago(200),
    );
    let srv = start(dir.path(), &[]);
    let mut ev = Events::open(srv.addr, Some(&format!("http://{}", srv.addr))).unwrap();
    let ids: Vec<String> = get_json(srv.addr, "/api/v1/messages")["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ID"].as_str().unwrap().to_owned())
        .collect();
    // Another program delivers: "new" with the summary.
    drop_file(
        dir.path(),
        BOB,
        None,
        "3.M1P1.t",
        &msg("three", "x\n"),
        SystemTime::now(),
    );
    let new = ev.wait("new");
    assert_eq!(new["Subject"], "three");
    let stats = ev.wait("stats");
    assert_eq!(
        (stats["Total"].clone(), stats["Unread"].clone()),
        (json!(3), json!(3))
    );
    // Mark read: the S flag, then "update".
    let body = json!({"IDs": [ids[1]], "Read": true});
    assert_eq!(change(srv.addr, "PUT", "/api/v1/messages", &body), 200);
    assert!(files(dir.path(), BOB, "cur")[0]
        .to_string_lossy()
        .ends_with("1.M1P1.t:2,S"));
    assert_eq!(ev.wait("update"), json!({"ID": ids[1], "Read": true}));
    // IDs stay when flags change.
    assert_eq!(
        get_json(srv.addr, "/api/v1/messages")["messages"][2]["ID"],
        ids[1].as_str()
    );
    // Delete one, then all.
    assert_eq!(
        change(
            srv.addr,
            "DELETE",
            "/api/v1/messages",
            &json!({"IDs": [ids[0]]})
        ),
        200
    );
    assert_eq!(ev.wait("delete"), json!({"ID": ids[0]}));
    assert_eq!(files(dir.path(), BOB, "new").len(), 1);
    assert_eq!(
        change(srv.addr, "DELETE", "/api/v1/messages", &json!({})),
        200
    );
    assert_eq!(ev.wait("truncate"), Value::Null);
    assert_eq!(ev.wait("stats")["Total"], 0);
    assert!(files(dir.path(), BOB, "new").is_empty() && files(dir.path(), BOB, "cur").is_empty());
}

#[test]
fn cross_site_rebinding_and_bad_requests_are_refused() {
    let dir = TempDir::new("http-safety");
    drop_file(
        dir.path(),
        BOB,
        None,
        "1.M1P1.t",
        &msg("keep me", "x\n"),
        ago(60),
    );
    let srv = start(dir.path(), &[]);
    let a = srv.addr;
    // DNS rebinding: a foreign host name.
    let (status, _, body) = http(
        a,
        "GET",
        "/api/v1/messages",
        &[("Host", "evil.example:8025")],
        None,
    );
    assert_eq!(status, 403);
    assert!(!String::from_utf8_lossy(&body).contains("keep me"));
    assert_eq!(
        http(
            a,
            "GET",
            "/",
            &[("Host", &format!("localhost:{}", a.port()))],
            None
        )
        .0,
        200
    );
    // Another site's page may not change anything, nor read the stream.
    let all = json!({}).to_string();
    for origin in ["https://evil.example", "null"] {
        let (status, _, _) = http(
            a,
            "DELETE",
            "/api/v1/messages",
            &[("Origin", origin), ("Content-Type", "application/json")],
            Some(all.as_bytes()),
        );
        assert_eq!(status, 403, "{origin}");
    }
    assert_eq!(
        http(
            a,
            "DELETE",
            "/api/v1/messages",
            &[("Sec-Fetch-Site", "cross-site")],
            Some(all.as_bytes())
        )
        .0,
        403
    );
    assert_eq!(
        Events::open(a, Some("https://evil.example")).err(),
        Some(403)
    );
    assert_eq!(
        files(dir.path(), BOB, "new").len(),
        1,
        "nothing was deleted"
    );
    // No CORS unless asked for.
    let (_, h, _) = http(
        a,
        "GET",
        "/api/v1/messages",
        &[("Origin", "https://evil.example")],
        None,
    );
    assert_eq!(header(&h, "access-control-allow-origin"), None);
    // Bodies: JSON only; bounded.
    assert_eq!(
        http(
            a,
            "POST",
            "/api/v1/messages",
            &[("Content-Type", "text/plain")],
            Some(b"x")
        )
        .0,
        415
    );
    assert_eq!(
        http(
            a,
            "PUT",
            "/api/v1/messages",
            &[("Content-Type", "application/json")],
            Some(b"{not json")
        )
        .0,
        400
    );
    // A body declared too large is refused on its header alone (the
    // client need not send it: the server closes after the 413).
    let big = (2 * 1024 * 1024).to_string();
    assert_eq!(
        http(
            a,
            "PUT",
            "/api/v1/messages",
            &[("Content-Length", &big)],
            None
        )
        .0,
        413
    );
    assert_eq!(http(a, "PATCH", "/api/v1/messages", &[], None).0, 405);
    // The page carries its own CSP.
    let (_, h, page) = http(a, "GET", "/", &[], None);
    assert!(header(&h, "content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert!(String::from_utf8_lossy(&page).contains("<title>mailkit</title>"));
    // With --cors, that origin gets CORS headers and may change things.
    let srv2 = start(dir.path(), &["--cors", "https://app.test"]);
    let (status, h, _) = http(
        srv2.addr,
        "OPTIONS",
        "/api/v1/messages",
        &[("Origin", "https://app.test")],
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        Some("https://app.test")
    );
    let read = json!({"Read": true}).to_string();
    assert_eq!(
        http(
            srv2.addr,
            "PUT",
            "/api/v1/messages",
            &[("Origin", "https://app.test")],
            Some(read.as_bytes())
        )
        .0,
        200
    );
}

#[test]
fn logins_and_listening_beyond_loopback() {
    let dir = TempDir::new("http-users");
    drop_file(
        dir.path(),
        BOB,
        None,
        "1.M1P1.t",
        &msg("for bob", "x\n"),
        ago(60),
    );
    drop_file(
        dir.path(),
        "carol@wonder.land",
        None,
        "1.M1P1.t",
        &msg("for carol", "x\n"),
        ago(60),
    );
    // Beyond loopback without --users or --auth-any: refused at start.
    let out = Command::new(bin())
        .args([
            "serve-http",
            "--listen",
            "0.0.0.0:0",
            "--maildir",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--auth-any"));
    let users = dir.path().join("users");
    std::fs::write(
        &users,
        "bob@hamburger.edu:hungry\ncarol@wonder.land:s3cret\n",
    )
    .unwrap();
    let srv = start(dir.path(), &["--users", users.to_str().unwrap()]);
    let (status, h, _) = http(srv.addr, "GET", "/api/v1/messages", &[], None);
    assert_eq!(status, 401);
    assert!(header(&h, "www-authenticate")
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(
        http(srv.addr, "GET", "/", &[], None).0,
        401,
        "the page asks for a login too"
    );
    let bob = "Basic Ym9iQGhhbWJ1cmdlci5lZHU6aHVuZ3J5"; // bob@hamburger.edu:hungry
    let wrong = "Basic Ym9iQGhhbWJ1cmdlci5lZHU6d3Jvbmc="; // bob@hamburger.edu:wrong
    let t = Instant::now();
    assert_eq!(
        http(
            srv.addr,
            "GET",
            "/api/v1/messages",
            &[("Authorization", wrong)],
            None
        )
        .0,
        401
    );
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "a wrong password waits --auth-delay-ms"
    );
    let (status, _, body) = http(
        srv.addr,
        "GET",
        "/api/v1/messages",
        &[("Authorization", bob)],
        None,
    );
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(subjects(&v), ["for bob"]);
    assert_eq!(v["total"], 1);
}

#[test]
fn the_smtp_session_that_delivered_a_message() {
    let dir = TempDir::new("http-transcript");
    let rec = dir.path().join("rec");
    let maildir = dir.path().join("mail");
    let smtp = crate::support::smtp_server(&maildir, &["--record", rec.to_str().unwrap()]);
    let http_srv = start(&maildir, &["--transcripts", rec.to_str().unwrap()]);
    let st = Command::new(bin())
        .args([
            "send",
            "--server",
            &smtp.addr.to_string(),
            "--from",
            "alice@crepes.fr",
            "--to",
            BOB,
            "--subject",
            "recorded",
            "--body",
            "hello",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let mut id = String::new();
    wait_until("the message is listed", || {
        let v = get_json(http_srv.addr, "/api/v1/messages");
        id = v["messages"][0]["ID"].as_str().unwrap_or("").to_owned();
        !id.is_empty()
    });
    let (status, _, body) = http(
        http_srv.addr,
        "GET",
        &format!("/api/v1/message/{id}/transcript"),
        &[],
        None,
    );
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("C: MAIL FROM:<alice@crepes.fr>") && text.contains("queued as"),
        "{text}"
    );
    // Without --transcripts: a 404 that says what to do.
    let bare = start(&maildir, &[]);
    let (status, _, body) = http(
        bare.addr,
        "GET",
        &format!("/api/v1/message/{id}/transcript"),
        &[],
        None,
    );
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("--transcripts"));
}

#[test]
fn https_on_a_tls_listener() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipped: no curl");
        return;
    }
    let dir = TempDir::new("http-tls");
    drop_file(
        dir.path(),
        BOB,
        None,
        "1.M1P1.t",
        &msg("over tls", "x\n"),
        ago(60),
    );
    let port = crate::support::free_port();
    let tls = format!("127.0.0.1:{port}");
    let _srv = start(dir.path(), &["--tls-self-signed", "--tls-listen", &tls]);
    let out = Command::new("curl")
        .args(["-sk", &format!("https://{tls}/api/v1/messages")])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON over HTTPS");
    assert_eq!(subjects(&v), ["over tls"]);
}

#[test]
fn the_page_in_a_real_browser() {
    browser_test("web-page.png", &[]);
}

/// Runs tests/browser/web_page.py with `extra` arguments, its screenshot
/// saved as target/`shot`; skipped (unless MAILKIT_BROWSER_STRICT) when
/// Python, Playwright or Chromium is missing.
pub fn browser_test(shot: &str, extra: &[&str]) {
    let strict = std::env::var_os("MAILKIT_BROWSER_STRICT").is_some();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/web_page.py");
    let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(shot);
    let out = match Command::new("python3")
        .arg(&script)
        .args([
            "--mailkit",
            bin().to_str().unwrap(),
            "--screenshot",
            shot.to_str().unwrap(),
        ])
        .args(extra)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(!strict, "python3: {e}");
            eprintln!("skipped: no python3");
            return;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        assert!(!strict, "MAILKIT_BROWSER_STRICT is set: {text}");
        eprintln!("skipped: {text}");
        return;
    }
    assert!(out.status.success(), "{text}");
}

//! Server-to-server relay on loopback: the seed's whole scenario (Alice's
//! agent → crepes.fr → queue → hamburger.edu → Bob's POP3 client), and the
//! relaying server killed with -9 while delivering 200 messages.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{bin, files, DeadPort, Server, TempDir};

/// crepes.fr: Alice's server (she is its one user), with `extra` flags.
pub fn crepes_with(dir: &TempDir, extra: &[&str]) -> Server {
    let users = dir.path().join("a-users");
    std::fs::write(&users, "alice@crepes.fr:secret\n").unwrap();
    let maildir = dir.path().join("a-mail");
    let mut args = vec![
        "serve-smtp",
        "--hostname",
        "crepes.fr",
        "--domain",
        "crepes.fr",
        "--users",
        users.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// crepes.fr routing hamburger.edu to `b_addr`, retrying every second.
pub fn crepes(dir: &TempDir, b_addr: &str, extra: &[&str]) -> Server {
    let route = format!("hamburger.edu={b_addr}");
    let mut args = vec!["--route", &route, "--retry-base", "1"];
    args.extend_from_slice(extra);
    crepes_with(dir, &args)
}

pub fn hamburger(dir: &TempDir, extra: &[&str]) -> Server {
    let maildir = dir.path().join("b-mail");
    let mut args = vec![
        "serve-smtp",
        "--hostname",
        "hamburger.edu",
        "--domain",
        "hamburger.edu",
        "--maildir",
        maildir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// `mailkit send` to crepes.fr as Alice (authenticated); `extra` names
/// the recipients.
pub fn send_as_alice(a: &Server, extra: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args([
            "send",
            "--server",
            &a.addr.to_string(),
            "--auth",
            "alice@crepes.fr:secret",
        ])
        .args(["--from", "alice@crepes.fr"])
        .args(extra)
        .output()
        .unwrap()
}

pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Asserts a command exited 0, showing its stderr otherwise.
fn assert_ok(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits (up to 10 s) until `mailbox` in `store` holds `n` new messages;
/// on failure shows the log of `relay`, the server that should have
/// delivered them.
fn arrives(store: &std::path::Path, mailbox: &str, n: usize, relay: &Server) {
    assert!(
        wait_until(Duration::from_secs(10), || files(store, mailbox, "new")
            .len()
            == n),
        "{}",
        relay.log_text()
    );
}

#[test]
fn the_seed_scenario_end_to_end() {
    let dir = TempDir::new("relay-seed");
    let b = hamburger(&dir, &[]);
    let a = crepes(&dir, &b.addr.to_string(), &[]);
    let sent = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "ketchup",
            "--body",
            "Do you like ketchup?\nHow about pickles?\n",
        ],
    );
    assert_ok(&sent);
    let b_mail = dir.path().join("b-mail");
    arrives(&b_mail, "bob@hamburger.edu", 1, &a);
    // Bob reads it over POP3, as in the seed.
    let pop = Server::start(&["serve-pop3", "--maildir", b_mail.to_str().unwrap()]);
    let got = Command::new(bin())
        .args([
            "fetch",
            "--server",
            &pop.addr.to_string(),
            "--user",
            "bob@hamburger.edu",
            "--password",
            "x",
            "--stdout",
        ])
        .output()
        .unwrap();
    assert_eq!(got.status.code(), Some(0));
    let text = String::from_utf8_lossy(&got.stdout);
    assert!(
        text.contains("Do you like ketchup?\nHow about pickles?\n"),
        "{text}"
    );
    let received: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Received:"))
        .collect();
    assert_eq!(received.len(), 2, "{text}");
    // hamburger.edu's field on top (from crepes.fr), crepes.fr's below it.
    assert!(
        received[0].starts_with("Received: from crepes.fr "),
        "{received:?}"
    );
    assert!(
        text.contains("by hamburger.edu") && text.contains("by crepes.fr"),
        "{text}"
    );
    assert!(text.contains("Return-Path: <alice@crepes.fr>"), "{text}");
    // Nothing stays in the queue, and crepes.fr kept no copy for bob.
    let q = Command::new(bin())
        .args(["queue", "list", "--queue"])
        .arg(dir.path().join("a-mail/.queue"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&q.stdout).ends_with("0 messages queued, 0 recipients pending\n")
    );
    assert!(files(&dir.path().join("a-mail"), "bob@hamburger.edu", "new").is_empty());
}

/// Distinct Message-IDs stored in a Maildir's new/.
fn message_ids(root: &std::path::Path) -> std::collections::HashSet<String> {
    files(root, "bob@hamburger.edu", "new")
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| {
            t.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn kill_9_while_delivering_loses_nothing() {
    let dir = TempDir::new("relay-kill");
    let b_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let b_addr = format!("127.0.0.1:{b_port}");
    // hamburger.edu is down: 200 messages pile up in crepes.fr's queue.
    let mut a = crepes(&dir, &b_addr, &[]);
    let sent = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "load",
            "--body",
            "x",
            "--count",
            "200",
            "--connections",
            "4",
        ],
    );
    assert_ok(&sent);
    // hamburger.edu comes up; kill crepes.fr -9 in the middle of delivering.
    let b = hamburger(&dir, &["--listen", &b_addr]);
    let _ = b.addr;
    let b_mail = dir.path().join("b-mail");
    wait_until(Duration::from_secs(10), || {
        files(&b_mail, "bob@hamburger.edu", "new").len() >= 20
    });
    a.signal(libc::SIGKILL);
    a.wait_exit(Duration::from_secs(5));
    let before = message_ids(&b_mail).len();
    // Restarted on the same queue: everything arrives, at least once.
    let a2 = crepes(&dir, &b_addr, &[]);
    let _ = a2.addr;
    assert!(
        wait_until(Duration::from_secs(30), || message_ids(&b_mail).len()
            >= 200),
        "only {} of 200 arrived (before the kill: {before})",
        message_ids(&b_mail).len()
    );
    assert_eq!(message_ids(&b_mail).len(), 200);
}

/// A DNS server on loopback that knows `far.test` (MX 10 mx.far.test,
/// which is 127.0.0.1) and nothing else (NXDOMAIN).
fn fake_dns() -> std::net::SocketAddr {
    use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
    use hickory_proto::rr::rdata::{A, MX};
    use hickory_proto::rr::{Name, RData, Record, RecordType};
    use std::net::Ipv4Addr;
    // far.test: one host. two.test: the preferred host refuses connections
    // (nothing listens on 127.0.0.2). busy.test: the preferred host
    // (127.0.0.3) is whatever the test puts there.
    const MXS: &[(&str, &[(u16, &str)])] = &[
        ("far.test.", &[(10, "mx.far.test.")]),
        ("two.test.", &[(10, "mx1.two.test."), (20, "mx2.two.test.")]),
        (
            "busy.test.",
            &[(10, "mx1.busy.test."), (20, "mx2.busy.test.")],
        ),
    ];
    const HOSTS: &[(&str, Ipv4Addr)] = &[
        ("mx.far.test.", Ipv4Addr::LOCALHOST),
        ("mx1.two.test.", Ipv4Addr::new(127, 0, 0, 2)),
        ("mx2.two.test.", Ipv4Addr::LOCALHOST),
        ("mx1.busy.test.", Ipv4Addr::new(127, 0, 0, 3)),
        ("mx2.busy.test.", Ipv4Addr::LOCALHOST),
    ];
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            let Some(query) = q.queries.first().cloned() else {
                continue;
            };
            let name = query.name().to_ascii().to_ascii_lowercase();
            r.add_query(query.clone());
            let mx = MXS.iter().find(|(d, _)| *d == name);
            let host = HOSTS.iter().find(|(h, _)| *h == name);
            match (query.query_type(), mx, host) {
                (RecordType::MX, Some((_, hosts)), _) => {
                    for (pref, host) in hosts.iter() {
                        let mx = MX::new(*pref, Name::from_ascii(host).unwrap());
                        r.add_answer(Record::from_rdata(query.name().clone(), 60, RData::MX(mx)));
                    }
                }
                (RecordType::A, _, Some((_, ip))) => {
                    let a = RData::A(A(*ip));
                    r.add_answer(Record::from_rdata(query.name().clone(), 60, a));
                }
                (_, None, None) => r.metadata.response_code = ResponseCode::NXDomain,
                _ => {}
            }
            let _ = sock.send_to(&r.to_vec().unwrap(), from);
        }
    });
    addr
}

#[test]
fn next_hops_from_mx_records_and_bounces_for_missing_domains() {
    let dir = TempDir::new("relay-mx");
    let far_dir = dir.path().join("far-mail");
    let far = Server::start(&[
        "serve-smtp",
        "--hostname",
        "mx.far.test",
        "--domain",
        "far.test",
        "--maildir",
        far_dir.to_str().unwrap(),
    ]);
    let dns = fake_dns();
    let a_mail = dir.path().join("a-mail");
    let port = far.addr.port().to_string();
    let resolver = dns.to_string();
    let a = crepes_with(&dir, &["--resolver", &resolver, "--mx-port", &port]);
    let out = Command::new(bin())
        .args([
            "send",
            "--server",
            &a.addr.to_string(),
            "--auth",
            "alice@crepes.fr:secret",
            "--from",
            "alice@crepes.fr",
        ])
        .args([
            "--to",
            "bob@far.test",
            "--to",
            "nobody@gone.test",
            "--subject",
            "mx",
            "--body",
            "via the MX\n",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    arrives(&far_dir, "bob@far.test", 1, &a);
    // gone.test does not exist: Alice gets the bounce in her own Maildir.
    arrives(&a_mail, "alice@crepes.fr", 1, &a);
    let bounce = std::fs::read_to_string(&files(&a_mail, "alice@crepes.fr", "new")[0]).unwrap();
    assert!(
        bounce.contains("Final-Recipient: rfc822; nobody@gone.test"),
        "{bounce}"
    );
    assert!(bounce.contains("Status: 5.1.2"), "{bounce}");
    assert!(bounce.starts_with("Return-Path: <>\n"), "{bounce}");
}

#[test]
fn delay_warning_then_expiry_bounce() {
    let dir = TempDir::new("relay-delay");
    let dead_port = DeadPort::new();
    let dead = dead_port.addr.to_string();
    let a = crepes(
        &dir,
        &dead,
        &["--delay-warning", "1", "--max-queue-age", "3"],
    );
    let out = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "stuck",
            "--body",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let a_mail = dir.path().join("a-mail");
    let texts = || -> Vec<String> {
        files(&a_mail, "alice@crepes.fr", "new")
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    };
    assert!(
        wait_until(Duration::from_secs(10), || texts()
            .iter()
            .any(|t| t.contains("Action: delayed"))),
        "{}",
        a.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(15), || texts().iter().any(|t| t
            .contains("Action: failed")
            && t.contains("Status: 4.4.7"))),
        "{}",
        a.log_text()
    );
    let q = Command::new(bin())
        .args(["queue", "list", "--queue"])
        .arg(a_mail.join(".queue"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&q.stdout).ends_with("0 messages queued, 0 recipients pending\n")
    );
}

/// Relays one message to `rcpt` in `domain`, whose MX 20 (127.0.0.1) is
/// a mailkit server and whose MX 10 is set up by `preferred` (given the
/// port every mail host listens on); returns the relaying server once the
/// message is in the MX 20 server's store.
fn delivered_by_the_second_mx(
    dir: &TempDir,
    domain: &str,
    rcpt: &str,
    preferred: impl FnOnce(u16),
) -> Server {
    let store = dir.path().join("mx2-mail");
    let mx2 = Server::start(&[
        "serve-smtp",
        "--hostname",
        &format!("mx2.{domain}"),
        "--domain",
        domain,
        "--maildir",
        store.to_str().unwrap(),
    ]);
    preferred(mx2.addr.port());
    let resolver = fake_dns().to_string();
    let port = mx2.addr.port().to_string();
    // --retry-base 600: only the in-round fallback can deliver in time.
    let a = crepes_with(
        dir,
        &[
            "--resolver",
            &resolver,
            "--mx-port",
            &port,
            "--retry-base",
            "600",
        ],
    );
    let out = send_as_alice(&a, &["--to", rcpt, "--subject", "mx2", "--body", "x"]);
    assert_ok(&out);
    arrives(&store, rcpt, 1, &a);
    a
}

#[test]
fn a_refusing_mail_host_passes_the_message_to_the_next_mx() {
    // MX 10 is 127.0.0.2, where nothing listens.
    let dir = TempDir::new("relay-mx2");
    delivered_by_the_second_mx(&dir, "two.test", "carol@two.test", |_| {});
}

#[test]
fn a_mail_host_that_greets_with_421_passes_the_message_to_the_next_mx() {
    let dir = TempDir::new("relay-mx421");
    let greeted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = greeted.clone();
    let a = delivered_by_the_second_mx(&dir, "busy.test", "dave@busy.test", |port| {
        // MX 10 (127.0.0.3, same port): a 421 greeting, then close.
        let busy = std::net::TcpListener::bind(("127.0.0.3", port)).unwrap();
        std::thread::spawn(move || {
            for mut conn in busy.incoming().flatten() {
                let _ = conn.write_all(b"421 4.3.2 mx1.busy.test too busy, try later\r\n");
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
    });
    assert!(greeted.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert!(
        a.log_text().contains("of busy.test failed"),
        "{}",
        a.log_text()
    );
}

#[test]
fn bounces_to_remote_senders_are_queued_and_relayed() {
    let dir = TempDir::new("relay-remote-bounce");
    // hamburger.edu knows only carol: bob gets 550 5.1.1.
    let b_users = dir.path().join("b-users");
    std::fs::write(&b_users, "carol@hamburger.edu:x\n").unwrap();
    let b = hamburger(&dir, &["--users", b_users.to_str().unwrap()]);
    let c_dir = dir.path().join("c-mail");
    let c = Server::start(&[
        "serve-smtp",
        "--hostname",
        "elsewhere.test",
        "--domain",
        "elsewhere.test",
        "--maildir",
        c_dir.to_str().unwrap(),
    ]);
    let to_c = format!("elsewhere.test={}", c.addr);
    let a = crepes(
        &dir,
        &b.addr.to_string(),
        &["--route", &to_c, "--relay-from", "127.0.0.0/8"],
    );
    let out = Command::new(bin())
        .args([
            "send",
            "--server",
            &a.addr.to_string(),
            "--from",
            "dave@elsewhere.test",
        ])
        .args([
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "who is bob",
            "--body",
            "x",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    arrives(&c_dir, "dave@elsewhere.test", 1, &a);
    let dsn = std::fs::read_to_string(&files(&c_dir, "dave@elsewhere.test", "new")[0]).unwrap();
    assert!(dsn.starts_with("Return-Path: <>\n"), "{dsn}");
    assert!(
        dsn.contains("Final-Recipient: rfc822; bob@hamburger.edu") && dsn.contains("Status: 5.1.1"),
        "{dsn}"
    );
}

#[test]
fn a_second_server_on_the_same_queue_is_refused() {
    let dir = TempDir::new("relay-lock");
    let _a = crepes(&dir, "127.0.0.1:9", &[]);
    let queue = dir.path().join("a-mail").join(".queue");
    let out = Command::new(bin())
        .args([
            "serve-smtp",
            "--listen",
            "127.0.0.1:0",
            "--domain",
            "crepes.fr",
            "--route",
            "hamburger.edu=127.0.0.1:9",
            "--maildir",
        ])
        .arg(dir.path().join("other-mail"))
        .arg("--queue")
        .arg(&queue)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is in use by another serve-smtp; give each server its own --queue"),
        "{err}"
    );
}

/// The 250's id from `send`'s output (`... queued as ID`).
fn queued_as(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_message_deleted_beside_the_running_server_is_dropped_never_sent_empty() {
    let dir = TempDir::new("relay-delete");
    let b_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    // hamburger.edu is down: the message is deferred.
    let a = crepes(&dir, &b_addr, &[]);
    let sent = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "gone",
            "--body",
            "x",
        ],
    );
    assert_ok(&sent);
    let id = queued_as(&sent);
    // One id from the 250 to the log to the queue commands.
    assert!(
        wait_until(Duration::from_secs(10), || a.log_text().contains(&format!(
            "{id} to <bob@hamburger.edu> deferred: cannot connect"
        ))),
        "no deferral logged for {id}: {}",
        a.log_text()
    );
    assert!(a.log_text().contains("next try in"), "{}", a.log_text());
    let queue = dir.path().join("a-mail").join(".queue");
    let list = Command::new(bin())
        .args(["queue", "list", "--queue"])
        .arg(&queue)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).starts_with(&format!("{id} ")),
        "{}",
        String::from_utf8_lossy(&list.stdout)
    );
    let del = Command::new(bin())
        .args(["queue", "delete", &id, "--queue"])
        .arg(&queue)
        .output()
        .unwrap();
    assert_ok(&del);
    // hamburger.edu comes up and the queue is flushed: the entry is
    // dropped with a log line, and nothing (above all no empty message)
    // reaches the next hop.
    let b = hamburger(&dir, &["--listen", &b_addr]);
    let _ = b.addr;
    let flush = Command::new(bin())
        .args(["queue", "flush", "--queue"])
        .arg(&queue)
        .output()
        .unwrap();
    assert_ok(&flush);
    assert!(
        wait_until(Duration::from_secs(10), || a
            .log_text()
            .contains(&format!("{id} dropped"))),
        "{}",
        a.log_text()
    );
    std::thread::sleep(Duration::from_millis(1500));
    let b_mail = dir.path().join("b-mail");
    assert!(
        files(&b_mail, "bob@hamburger.edu", "new").is_empty(),
        "a deleted message reached the next hop: {}",
        a.log_text()
    );
    assert!(!a.log_text().contains("delivered to"), "{}", a.log_text());
    // Its state is gone from the queue too.
    assert!(!queue.join("env").join(&id).exists());
    assert!(!queue.join("msg").join(&id).exists());
}

#[test]
fn queue_flush_makes_a_running_server_try_again_now() {
    let dir = TempDir::new("relay-flush");
    let b_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    // hamburger.edu is down and the next try is ten minutes away.
    let route = format!("hamburger.edu={b_addr}");
    let a = crepes_with(&dir, &["--route", &route, "--retry-base", "600"]);
    let sent = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--subject",
            "now",
            "--body",
            "x",
        ],
    );
    assert_ok(&sent);
    let id = queued_as(&sent);
    assert!(
        wait_until(Duration::from_secs(10), || a
            .log_text()
            .contains(&format!("{id} to <bob@hamburger.edu> deferred"))),
        "{}",
        a.log_text()
    );
    let _b = hamburger(&dir, &["--listen", &b_addr]);
    let flush = Command::new(bin())
        .args(["queue", "flush", "--queue"])
        .arg(dir.path().join("a-mail").join(".queue"))
        .output()
        .unwrap();
    assert_ok(&flush);
    let b_mail = dir.path().join("b-mail");
    assert!(
        wait_until(Duration::from_secs(5), || !files(
            &b_mail,
            "bob@hamburger.edu",
            "new"
        )
        .is_empty()),
        "not delivered after the flush: {}",
        a.log_text()
    );
    assert!(a.log_text().contains("flush requested"), "{}", a.log_text());
}

#[test]
fn binarymime_is_relayed_only_to_a_hop_that_offers_it() {
    // RFC 3030 §3: no downgrade. To a hop with BINARYMIME the bytes go
    // with BDAT; to one without, the message bounces (554 5.6.1).
    for (discard, arrives) in [(None, true), (Some("BINARYMIME"), false)] {
        let dir = TempDir::new("relay-binary");
        let mut extra = vec![];
        if let Some(k) = discard {
            extra = vec!["--discard-ehlo-keyword", k];
        }
        let b = hamburger(&dir, &extra);
        let a = crepes(&dir, &b.addr.to_string(), &[]);
        let msg = dir.path().join("bin.eml");
        let long = "z".repeat(1500);
        std::fs::write(
            &msg,
            format!(
                "Subject: binary\r\nContent-Transfer-Encoding: binary\r\n\r\n{long}\r\nend\r\n"
            ),
        )
        .unwrap();
        let out = send_as_alice(
            &a,
            &[
                "--to",
                "bob@hamburger.edu",
                "--binarymime",
                "--message",
                msg.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bob = || files(&dir.path().join("b-mail"), "bob@hamburger.edu", "new");
        let alice = || files(&dir.path().join("a-mail"), "alice@crepes.fr", "new");
        assert!(wait_until(Duration::from_secs(10), || bob().len()
            + alice().len()
            == 1));
        if arrives {
            let m = std::fs::read_to_string(&bob()[0]).unwrap();
            assert!(m.ends_with(&format!("\n\n{long}\nend\n")), "{m}");
        } else {
            let r = std::fs::read_to_string(&alice()[0]).unwrap();
            assert!(r.contains("Action: failed\nStatus: 5.6.1\n"), "{r}");
            assert!(r.contains("BINARYMIME"), "{r}");
        }
    }
}

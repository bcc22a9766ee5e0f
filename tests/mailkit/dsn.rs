//! Delivery status notifications end to end (RFC 3461, reports per RFC
//! 3464): the parameters of `send --dsn-notify/--dsn-ret/--envid` and of
//! Python's smtplib through serve-smtp, its queue and a next hop with or
//! without DSN, and the reports that come back to Alice's mailbox.

use std::process::Command;
use std::time::Duration;

use crate::relay::{crepes, hamburger, send_as_alice, wait_until};
use crate::support::{files, DeadPort, TempDir};

/// The reports in Alice's mailbox at crepes.fr (files' text).
fn alices(dir: &TempDir) -> Vec<String> {
    files(&dir.path().join("a-mail"), "alice@crepes.fr", "new")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn reports_within(dir: &TempDir, n: usize, limit: Duration) -> Vec<String> {
    wait_until(limit, || alices(dir).len() >= n);
    alices(dir)
}

#[test]
fn success_on_local_delivery_is_reported_as_delivered() {
    let dir = TempDir::new("dsn-local");
    let b = hamburger(&dir, &[]);
    let a = crepes(&dir, &b.addr.to_string(), &[]);
    // Alice writes to herself: a local delivery at crepes.fr.
    let out = send_as_alice(
        &a,
        &[
            "--to",
            "alice@crepes.fr",
            "--subject",
            "to me",
            "--body",
            "hi",
        ],
    );
    assert!(out.status.success());
    let out = send_as_alice(
        &a,
        &[
            "--to",
            "alice@crepes.fr",
            "--subject",
            "note to self",
            "--body",
            "hi",
            "--dsn-notify",
            "SUCCESS,FAILURE",
            "--envid",
            "E 1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = reports_within(&dir, 3, Duration::from_secs(5));
    let reports: Vec<&String> = got.iter().filter(|t| t.contains("Action:")).collect();
    assert_eq!(reports.len(), 1, "{got:#?}");
    let r = reports[0];
    assert!(r.starts_with("Return-Path: <>\n"), "{r}");
    assert!(
        r.contains("Subject: Successful Mail Delivery Report\n"),
        "{r}"
    );
    assert!(r.contains("Original-Envelope-Id: E+201\n"), "{r}");
    assert!(r.contains("Original-Recipient: rfc822; alice@crepes.fr\nFinal-Recipient: rfc822; alice@crepes.fr\nAction: delivered\nStatus: 2.0.0\n"), "{r}");
    assert!(
        r.contains("Subject: note to self\n") && !r.contains("\nhi\n"),
        "{r}"
    );
}

#[test]
fn a_next_hop_without_dsn_gets_none_and_alice_hears_relayed() {
    let dir = TempDir::new("dsn-relayed");
    let b = hamburger(&dir, &["--discard-ehlo-keyword", "DSN"]);
    let a = crepes(&dir, &b.addr.to_string(), &[]);
    let out = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--body",
            "hi",
            "--dsn-notify",
            "SUCCESS",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = reports_within(&dir, 1, Duration::from_secs(10));
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(
        got[0].contains("Action: relayed\nStatus: 2.0.0\nRemote-MTA: dns; "),
        "{}",
        got[0]
    );
    assert!(got[0].contains("Original-Recipient: rfc822; bob@hamburger.edu\n"));
    assert_eq!(
        files(&dir.path().join("b-mail"), "bob@hamburger.edu", "new").len(),
        1
    );
}

#[test]
fn a_next_hop_with_dsn_gets_the_parameters_and_reports_delivery_itself() {
    let dir = TempDir::new("dsn-passed");
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    // crepes.fr routes to a port hamburger.edu will also listen on;
    // hamburger.edu sends its reports for crepes.fr back to crepes.fr.
    let b_addr = format!("127.0.0.1:{}", crate::support::free_port());
    let a = crepes(&dir, &b_addr, &[]);
    let route_back = format!("crepes.fr={}", a.addr);
    let _b = hamburger(
        &dir,
        &[
            "--listen",
            &b_addr,
            "--record",
            rec.to_str().unwrap(),
            "--route",
            &route_back,
            "--retry-base",
            "1",
        ],
    );
    let out = send_as_alice(
        &a,
        &[
            "--to",
            "bob@hamburger.edu",
            "--body",
            "hi",
            "--dsn-notify",
            "SUCCESS",
            "--dsn-ret",
            "hdrs",
            "--envid",
            "QQ314159",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = reports_within(&dir, 1, Duration::from_secs(10));
    assert_eq!(got.len(), 1, "{got:#?}");
    // hamburger.edu reported delivery; crepes.fr did not say "relayed".
    assert!(
        got[0].contains(
            "Reporting-MTA: dns; hamburger.edu
"
        ),
        "{}",
        got[0]
    );
    assert!(
        got[0].contains(
            "Original-Envelope-Id: QQ314159
"
        ),
        "{}",
        got[0]
    );
    assert!(
        got[0].contains(
            "Action: delivered
"
        ),
        "{}",
        got[0]
    );
    // The parameters went on unchanged (the next hop's transcript).
    let mut seen = String::new();
    wait_until(Duration::from_secs(5), || {
        seen = std::fs::read_dir(&rec)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        seen.contains("NOTIFY=SUCCESS")
    });
    assert!(seen.contains(" RET=HDRS ENVID=QQ314159"), "{seen}");
    assert!(
        seen.contains("RCPT TO:<bob@hamburger.edu> NOTIFY=SUCCESS ORCPT=rfc822;bob@hamburger.edu"),
        "{seen}"
    );
}

#[test]
fn failures_are_reported_as_notify_and_ret_ask() {
    let dir = TempDir::new("dsn-fail");
    // hamburger.edu knows only bob: carol is refused with 550.
    let users = dir.path().join("b-users");
    std::fs::write(&users, "bob@hamburger.edu:x\n").unwrap();
    let b = hamburger(&dir, &["--users", users.to_str().unwrap()]);
    let a = crepes(&dir, &b.addr.to_string(), &[]);
    for (n, extra) in [
        (1, ["--dsn-notify", "NEVER", "--dsn-ret", "full"]),
        (2, ["--dsn-notify", "FAILURE", "--dsn-ret", "full"]),
        (3, ["--dsn-notify", "FAILURE", "--dsn-ret", "hdrs"]),
    ] {
        let subject = format!("try {n}");
        let mut args = vec![
            "--to",
            "carol@hamburger.edu",
            "--subject",
            &subject,
            "--body",
            "the body line",
        ];
        args.extend_from_slice(&extra);
        let out = send_as_alice(&a, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let got = reports_within(&dir, 2, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let got = if got.len() < 3 { alices(&dir) } else { got };
    assert_eq!(got.len(), 2, "NOTIFY=NEVER sends none: {got:#?}");
    let full = got
        .iter()
        .find(|t| t.contains("Subject: try 2"))
        .expect("try 2's bounce");
    assert!(
        full.contains("Content-Type: message/rfc822\n") && full.contains("the body line"),
        "{full}"
    );
    assert!(full.contains("Action: failed\nStatus: 5.1.1\n"), "{full}");
    let hdrs = got
        .iter()
        .find(|t| t.contains("Subject: try 3"))
        .expect("try 3's bounce");
    assert!(
        hdrs.contains("Content-Type: text/rfc822-headers\n") && !hdrs.contains("the body line"),
        "{hdrs}"
    );
}

#[test]
fn delay_warnings_only_for_notify_delay_or_none() {
    let dir = TempDir::new("dsn-delay");
    let dead = DeadPort::new();
    let a = crepes(&dir, &dead.addr.to_string(), &["--delay-warning", "1"]);
    for (who, notify) in [
        ("bob", None),
        ("carol", Some("FAILURE")),
        ("dave", Some("DELAY,FAILURE")),
    ] {
        let to = format!("{who}@hamburger.edu");
        let mut args = vec!["--to", to.as_str(), "--body", "hi"];
        if let Some(n) = notify {
            args.extend_from_slice(&["--dsn-notify", n]);
        }
        let out = send_as_alice(&a, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let got = reports_within(&dir, 2, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    let got = if got.len() < 3 { alices(&dir) } else { got };
    let about: Vec<bool> = ["bob", "carol", "dave"]
        .iter()
        .map(|w| {
            got.iter().any(|t| {
                t.contains(&format!(
                    "Final-Recipient: rfc822; {w}@hamburger.edu\nAction: delayed"
                ))
            })
        })
        .collect();
    assert_eq!(about, [true, false, true], "{got:#?}");
}

#[test]
fn the_server_reads_dsn_parameters_from_smtplib() {
    // Python's smtplib as the client: mail_options and rcpt_options.
    let dir = TempDir::new("dsn-smtplib");
    let srv = crate::support::smtp_server(&dir.path().join("mail"), &[]);
    let script = format!(
        r#"
import smtplib
s = smtplib.SMTP("127.0.0.1", {port})
s.ehlo("crepes.fr")
assert s.has_extn("dsn"), s.esmtp_features
print(s.mail("alice@crepes.fr", ["RET=HDRS", "ENVID=A+2BB"])[0])
print(s.rcpt("bob@hamburger.edu", ["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;Bob+40x"])[0])
print(s.rcpt("carol@hamburger.edu", ["NOTIFY=NEVER,SUCCESS"])[0])
print(s.rcpt("dave@hamburger.edu", ["ORCPT=nosemicolon"])[0])
print(s.rcpt("erin@hamburger.edu", ["NOTIFY=SUCCESS", "NOTIFY=FAILURE"])[0])
print(s.rcpt("fred@hamburger.edu", ["FOO=1"])[0])
s.rset()
print(s.mail("alice@crepes.fr", ["RET=MAYBE"])[0])
print(s.mail("alice@crepes.fr", ["ENVID=bad=char"])[0])
s.quit()
"#,
        port = srv.addr.port()
    );
    let out = match Command::new("python3").arg("-c").arg(&script).output() {
        Ok(o) => o,
        Err(_) => return eprintln!("skipped: no python3"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        codes,
        ["250", "250", "501", "501", "501", "555", "501", "501"]
    );
}

#[test]
fn send_says_so_when_the_server_lacks_dsn() {
    let dir = TempDir::new("dsn-none");
    let b = hamburger(&dir, &["--discard-ehlo-keyword", "DSN"]);
    let out = Command::new(crate::support::bin())
        .args(["send", "--server", &b.addr.to_string()])
        .args(["--from", "alice@crepes.fr", "--to", "bob@hamburger.edu"])
        .args(["--body", "hi", "--dsn-notify", "SUCCESS"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(23));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not offer DSN"), "{err}");
    assert!(files(&dir.path().join("b-mail"), "bob@hamburger.edu", "new").is_empty());
    // A bad list is refused before anything is sent.
    let out = Command::new(crate::support::bin())
        .args(["send", "--server", &b.addr.to_string()])
        .args([
            "--from",
            "a@b.c",
            "--to",
            "bob@hamburger.edu",
            "--dsn-notify",
            "SOMETIMES",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

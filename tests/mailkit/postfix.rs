//! A real Postfix beside mailkit (issue 19): a private instance (its own
//! config directory, its own loopback port, run as its own master) that
//! relays everything to serve-smtp. Postfix's SMTP *server* speaks
//! CHUNKING (its client never sends BDAT: Postfix's BDAT_README), so:
//! mailkit's client sends BDAT to Postfix's smtpd, and Postfix's client
//! passes DSN parameters on to serve-smtp. Runs when Postfix is installed
//! and the tests run as root (master needs it); MAILKIT_POSTFIX_STRICT=1
//! (CI) makes its absence a failure.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::relay::wait_until;
use crate::support::{bin, files, free_port, Server, TempDir};

const MASTER: &str = "/usr/lib/postfix/sbin/master";

/// A private Postfix: listening on `listen`, relaying all mail to
/// `relayhost`; stopped when dropped.
struct Postfix {
    conf: std::path::PathBuf,
}

impl Postfix {
    fn start(dir: &Path, listen: &str, relayhost: &str) -> Option<Postfix> {
        let strict = std::env::var_os("MAILKIT_POSTFIX_STRICT").is_some();
        // SAFETY: geteuid(2) reads the process's effective user id.
        let root = unsafe { libc::geteuid() } == 0;
        if !Path::new(MASTER).exists() || !root {
            assert!(
                !strict,
                "MAILKIT_POSTFIX_STRICT: Postfix missing or not root"
            );
            eprintln!("skipped: needs Postfix ({MASTER}) and root");
            return None;
        }
        let conf = dir.join("postfix");
        let data = dir.join("postfix-data");
        std::fs::create_dir_all(&data).unwrap();
        let ok = Command::new("cp")
            .args(["-a", "/etc/postfix/."])
            .arg(&conf)
            .status()
            .unwrap()
            .success();
        assert!(ok, "copy /etc/postfix");
        // A "No configuration" install has no main.cf: start from the
        // packaged defaults.
        if !conf.join("main.cf").exists() {
            std::fs::copy("/etc/postfix/main.cf.proto", conf.join("main.cf")).unwrap();
        }
        let _ = Command::new("chown").arg("postfix").arg(&data).status();
        let relay = format!(
            "relayhost = [{}]:{}",
            "127.0.0.1",
            relayhost.rsplit(':').next().unwrap()
        );
        let settings = [
            format!("config_directory = {}", conf.display()),
            format!("data_directory = {}", data.display()),
            "inet_interfaces = 127.0.0.1".into(),
            "inet_protocols = ipv4".into(),
            "myhostname = postfix.test".into(),
            "mydestination =".into(),
            relay,
            "default_transport = smtp".into(),
            "relay_transport = smtp".into(),
            "local_recipient_maps =".into(),
            "alias_maps =".into(),
            "alias_database =".into(),
            "smtpd_tls_security_level = none".into(),
            "smtp_tls_security_level = none".into(),
            "mynetworks = 127.0.0.0/8".into(),
            "smtpd_relay_restrictions = permit_mynetworks reject".into(),
            "disable_dns_lookups = yes".into(),
            "smtp_host_lookup = native".into(),
            "setgid_group = postdrop".into(),
            "compatibility_level = 3.6".into(),
        ];
        let ok = Command::new("postconf")
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .args(&settings)
            .status()
            .unwrap()
            .success();
        assert!(ok, "postconf");
        // Only our listener, no chroot.
        let master = std::fs::read_to_string("/etc/postfix/master.cf").unwrap();
        let mut out = String::new();
        for line in master.lines() {
            let mut f: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
            if !line.starts_with(['#', ' ', '\t']) && f.len() >= 8 {
                if f[0] == "smtp" && f[1] == "inet" {
                    f[0] = listen.to_owned();
                }
                f[4] = "n".into();
                out.push_str(&f.join(" "));
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        std::fs::write(conf.join("master.cf"), out).unwrap();
        let st = Command::new("postfix")
            .arg("-c")
            .arg(&conf)
            .arg("start")
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "postfix start: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        let p = Postfix { conf };
        let addr: std::net::SocketAddr = listen.parse().unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || std::net::TcpStream::connect(
                addr
            )
            .is_ok()),
            "Postfix did not listen on {listen}"
        );
        Some(p)
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
    }
}

#[test]
fn bdat_into_postfix_and_dsn_out_of_it() {
    let dir = TempDir::new("postfix");
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).unwrap();
    let maildir = dir.path().join("mail");
    let hamburger = Server::start(&[
        "serve-smtp",
        "--hostname",
        "hamburger.test",
        "--maildir",
        maildir.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
    ]);
    let listen = format!("127.0.0.1:{}", free_port());
    let Some(postfix) = Postfix::start(dir.path(), &listen, &hamburger.addr.to_string()) else {
        return;
    };
    // 1. mailkit send -> Postfix's smtpd with BDAT; Postfix relays it on.
    let transcript = dir.path().join("send.txt");
    let body = "line one\n.a dotted line\nlast";
    let out = Command::new(bin())
        .args(["send", "--server", &listen, "--from", "alice@crepes.test"])
        .args([
            "--to",
            "bob@hamburger.test",
            "--subject",
            "bdat to postfix",
            "--body",
            body,
        ])
        .arg("--transcript")
        .arg(&transcript)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = std::fs::read_to_string(&transcript).unwrap();
    assert!(
        t.contains("S: 250 CHUNKING") || t.contains("S: 250-CHUNKING"),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l.starts_with("C: BDAT ") && l.ends_with(" LAST")),
        "{t}"
    );
    assert!(t.contains(" bytes queued as "), "{t}");
    let arrived = || {
        files(&maildir, "bob@hamburger.test", "new")
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect::<Vec<_>>()
    };
    assert!(
        wait_until(Duration::from_secs(20), || arrived().len() == 1),
        "Postfix did not relay"
    );
    let m = &arrived()[0];
    assert!(
        m.contains("by postfix.test (Postfix)") && m.ends_with("line one\n.a dotted line\nlast\n"),
        "{m}"
    );
    // 2. Postfix's client passes DSN parameters on (sendmail -N -R -V).
    let mut sm = Command::new("sendmail")
        .arg("-C")
        .arg(&postfix.conf)
        .args([
            "-N",
            "success,failure",
            "-R",
            "hdrs",
            "-V",
            "E-42",
            "-f",
            "alice@crepes.test",
            "bob@hamburger.test",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    sm.stdin
        .take()
        .unwrap()
        .write_all(b"Subject: dsn via postfix\n\nhi\n")
        .unwrap();
    assert!(sm.wait().unwrap().success());
    let mut seen = String::new();
    wait_until(Duration::from_secs(20), || {
        seen = std::fs::read_dir(&rec)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        seen.contains("ENVID=E-42")
    });
    assert!(
        seen.contains("RET=HDRS") && seen.contains("ENVID=E-42"),
        "{seen}"
    );
    assert!(
        seen.contains(
            "RCPT TO:<bob@hamburger.test> ORCPT=rfc822;bob@hamburger.test NOTIFY=SUCCESS,FAILURE"
        ),
        "{seen}"
    );
    // serve-smtp (catch-all: every domain local) reports delivery to Alice.
    let alice = || files(&maildir, "alice@crepes.test", "new");
    assert!(wait_until(Duration::from_secs(5), || alice().len() == 1));
    let r = std::fs::read_to_string(&alice()[0]).unwrap();
    assert!(
        r.contains("Original-Envelope-Id: E-42\n") && r.contains("Action: delivered\n"),
        "{r}"
    );
    drop(postfix);
}

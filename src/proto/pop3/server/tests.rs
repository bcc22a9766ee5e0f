//! POP3 session tests with an in-memory maildrop.

use super::*;

const M1: &[u8] = b"Subject: one\n\nfirst\n.leading dot\n..two\nlast\n";
const M2: &[u8] = b"Subject: two\r\n\r\nsecond\r\n";

fn cfg() -> Pop3Config {
    Pop3Config {
        hostname: "hamburger.edu".into(),
        timeout: Duration::from_secs(600),
        max_session_time: Duration::from_secs(3600),
        output_budget: crate::proto::OUTPUT_BUDGET,
        apop: true,
        auth_delay: Duration::from_millis(0),
        max_auth_failures: 3,
        stls: true,
        login_without_tls: true,
    }
}

/// Drives a session, answering its events from two stored messages.
struct H {
    s: Pop3Session,
    wire: Vec<u8>,
    closed: bool,
    updates: Vec<(Vec<usize>, Vec<usize>)>,
}

impl H {
    fn new() -> H {
        let mut h = H {
            s: Pop3Session::new(cfg(), "1.2.3", Instant::now()),
            wire: Vec::new(),
            closed: false,
            updates: Vec::new(),
        };
        h.drain();
        h
    }
    fn drain(&mut self) {
        while let Some(o) = self.s.poll_output() {
            match o {
                Output::Transmit(b) => self.wire.extend(b),
                Output::Body(mut body) => while !body.fill(&mut self.wire, 7).unwrap() {},
                Output::StartTls => {}
                Output::Close => self.closed = true,
                Output::Event(Event::Authenticate(c)) => {
                    let ok = match &c {
                        Credentials::Password { user, password } => {
                            user == "bob" && password == "hungry"
                        }
                        Credentials::Apop {
                            user,
                            timestamp,
                            digest,
                        } => user == "bob" && *digest == apop_digest(timestamp, "hungry"),
                    };
                    let r = if ok {
                        Ok((
                            "bob@hamburger.edu".to_string(),
                            vec![
                                Listed {
                                    uid: "u1".into(),
                                    size: (crate::util::crlf_size(M1) as u64),
                                },
                                Listed {
                                    uid: "u2".into(),
                                    size: (crate::util::crlf_size(M2) as u64),
                                },
                            ],
                        ))
                    } else {
                        Err(AuthFailure::Invalid)
                    };
                    self.s.authenticated(r);
                    self.s
                        .handle_timeout(Instant::now() + Duration::from_secs(1));
                }
                Output::Event(Event::Retrieve { index, top }) => {
                    let data = [M1, M2][index].to_vec();
                    self.s
                        .retrieved(index, top, Ok(Box::new(std::io::Cursor::new(data))));
                }
                Output::Event(Event::Update { delete, seen }) => {
                    self.updates.push((delete.clone(), seen));
                    self.s.updated(Ok(2 - delete.len()));
                }
            }
        }
    }
    fn cmd(&mut self, line: &str) -> String {
        let before = self.wire.len();
        self.s
            .handle_input(Instant::now(), format!("{line}\r\n").as_bytes());
        self.drain();
        String::from_utf8_lossy(&self.wire[before..]).into_owned()
    }
}

#[test]
fn seed_session() {
    let mut h = H::new();
    let greeting = String::from_utf8_lossy(&h.wire).into_owned();
    assert!(
        greeting.starts_with("+OK ") && greeting.contains("<1.2.3@hamburger.edu>"),
        "{greeting}"
    );
    assert!(h.cmd("STAT").starts_with("-ERR"));
    assert!(h.cmd("user bob").starts_with("+OK"));
    assert!(h
        .cmd("pass hungry")
        .starts_with("+OK maildrop has 2 messages"));
    let total = (crate::util::crlf_size(M1) as u64) + (crate::util::crlf_size(M2) as u64);
    assert_eq!(h.cmd("stat"), format!("+OK 2 {total}\r\n"));
    assert_eq!(
        h.cmd("LIST"),
        format!(
            "+OK scan listing follows\r\n1 {}\r\n2 {}\r\n.\r\n",
            (crate::util::crlf_size(M1) as u64),
            (crate::util::crlf_size(M2) as u64)
        )
    );
    assert_eq!(h.cmd("UIDL 2"), "+OK 2 u2\r\n");
    let r = h.cmd("RETR 1");
    assert_eq!(r, format!("+OK {} octets\r\nSubject: one\r\n\r\nfirst\r\n..leading dot\r\n...two\r\nlast\r\n.\r\n", (crate::util::crlf_size(M1) as u64)));
    assert_eq!(
        h.cmd("TOP 1 1"),
        format!(
            "+OK {} octets\r\nSubject: one\r\n\r\nfirst\r\n.\r\n",
            (crate::util::crlf_size(M1) as u64)
        )
    );
    assert_eq!(
        h.cmd("TOP 2 0"),
        format!(
            "+OK {} octets\r\nSubject: two\r\n\r\n.\r\n",
            (crate::util::crlf_size(M2) as u64)
        )
    );
    assert!(h.cmd("DELE 2").starts_with("+OK"));
    assert!(h.cmd("RETR 2").starts_with("-ERR"));
    assert_eq!(
        h.cmd("LIST"),
        format!(
            "+OK scan listing follows\r\n1 {}\r\n.\r\n",
            (crate::util::crlf_size(M1) as u64)
        )
    );
    assert!(h.cmd("QUIT").starts_with("+OK"));
    assert!(h.closed);
    assert_eq!(h.updates, vec![(vec![1], vec![0])]);
}

#[test]
fn rset_undeletes_and_eof_deletes_nothing() {
    let mut h = H::new();
    h.cmd("USER bob");
    h.cmd("PASS hungry");
    h.cmd("DELE 1");
    assert!(h.cmd("STAT").starts_with("+OK 1 "));
    h.cmd("RSET");
    assert!(h.cmd("STAT").starts_with("+OK 2 "));
    h.cmd("DELE 1");
    h.s.handle_eof(Instant::now());
    h.drain();
    assert!(h.closed);
    assert!(h.updates.is_empty(), "a dropped connection deletes nothing");
}

#[test]
fn auth_plain_apop_and_failures() {
    let mut h = H::new();
    let token = data_encoding::BASE64.encode(b"\0bob\0hungry");
    assert!(h.cmd(&format!("AUTH PLAIN {token}")).starts_with("+OK"));

    let mut h = H::new();
    assert_eq!(h.cmd("AUTH PLAIN"), "+ \r\n");
    assert!(h.cmd(&token).starts_with("+OK"));

    // LOGIN (RFC 5034 with the LOGIN mechanism): user, then password.
    let mut h = H::new();
    assert_eq!(h.cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
    assert_eq!(h.cmd("Ym9i"), "+ UGFzc3dvcmQ6\r\n");
    assert!(h.cmd("aHVuZ3J5").starts_with("+OK"));
    let mut h = H::new();
    assert_eq!(h.cmd("AUTH LOGIN Ym9i"), "+ UGFzc3dvcmQ6\r\n");
    assert!(h.cmd("*").starts_with("-ERR AUTH cancelled"));

    // Another user's identity as PLAIN's authzid: refused (RFC 4616).
    let mut h = H::new();
    let other = data_encoding::BASE64.encode(b"alice\0bob\0hungry");
    assert!(h
        .cmd(&format!("AUTH PLAIN {other}"))
        .starts_with("-ERR [AUTH]"));

    let mut h = H::new();
    let digest = apop_digest("<1.2.3@hamburger.edu>", "hungry");
    // RFC 1939 §7's own example.
    assert_eq!(
        apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
    assert!(
        h.cmd(&format!("APOP bob {digest}")).starts_with("+OK"),
        "APOP"
    );

    let mut h = H::new();
    for _ in 0..2 {
        h.cmd("USER bob");
        assert!(h.cmd("PASS wrong").starts_with("-ERR [AUTH]"));
    }
    h.cmd("USER bob");
    let r = h.cmd("PASS wrong");
    assert!(r.contains("too many failed logins"), "{r}");
    assert!(h.closed);
}

#[test]
fn capa_and_unknown() {
    let mut h = H::new();
    let r = h.cmd("CAPA");
    for c in ["USER", "UIDL", "TOP", "RESP-CODES", "SASL PLAIN LOGIN"] {
        assert!(r.contains(&format!("\r\n{c}\r\n")), "{c}: {r}");
    }
    assert!(h.cmd("XYZZY").starts_with("-ERR"));
    assert!(h.cmd("RETR 1").starts_with("-ERR"));
}

#[test]
fn split_at_every_offset() {
    let script = b"USER bob\r\nPASS hungry\r\nSTAT\r\nRETR 2\r\nQUIT\r\n";
    let mut whole = H::new();
    whole.s.handle_input(Instant::now(), script);
    whole.drain();
    for cut in 0..script.len() {
        let mut h = H::new();
        h.s.handle_input(Instant::now(), &script[..cut]);
        h.drain();
        h.s.handle_input(Instant::now(), &script[cut..]);
        h.drain();
        assert_eq!(h.wire, whole.wire, "cut {cut}");
    }
}

#[test]
fn pipelined_commands_wait_for_the_client_to_read() {
    let now = Instant::now();
    let mut cfg = cfg();
    cfg.output_budget = 100;
    let mut s = Pop3Session::new(cfg, "1.2", now);
    while s.poll_output().is_some() {}
    s.handle_input(now, b"USER bob\r\nPASS x\r\n");
    let mut listed = false;
    while let Some(o) = s.poll_output() {
        if let Output::Event(Event::Authenticate(_)) = o {
            s.authenticated(Ok((
                "box".into(),
                vec![Listed {
                    uid: "u".into(),
                    size: 300,
                }],
            )));
            listed = true;
        }
    }
    assert!(listed);
    s.resume();
    s.handle_input(now, &b"RETR 1\r\n".repeat(10));
    let mut retrieved = 0;
    let drain = |s: &mut Pop3Session, retrieved: &mut usize| {
        while let Some(o) = s.poll_output() {
            if let Output::Event(Event::Retrieve { index, top }) = o {
                *retrieved += 1;
                s.retrieved(
                    index,
                    top,
                    Ok(Box::new(std::io::Cursor::new(vec![b'x'; 300]))),
                );
            }
        }
    };
    drain(&mut s, &mut retrieved);
    // One message's worth passes the budget: the rest waits.
    assert_eq!(retrieved, 1);
    assert!(!s.wants_input());
    assert!(s.resume());
    drain(&mut s, &mut retrieved);
    assert_eq!(retrieved, 2);
    while s.resume() {
        drain(&mut s, &mut retrieved);
    }
    assert_eq!(retrieved, 10);
    assert!(s.wants_input());
}

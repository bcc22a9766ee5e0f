//! Session tests: every reply the RFC asks for, pipelining, splits at every
//! byte offset, smuggling, limits.

use super::*;

fn cfg() -> Arc<ServerConfig> {
    Arc::new(ServerConfig::new("hamburger.edu"))
}

/// Drives a session: feeds input, answers every message with `result`,
/// returns (all bytes written, messages, closed).
struct Harness {
    s: ServerSession,
    wire: Vec<u8>,
    messages: Vec<Transaction>,
    closed: bool,
    deliver_ok: bool,
    tls_started: bool,
}

impl Harness {
    fn new(cfg: Arc<ServerConfig>) -> Self {
        let now = Instant::now();
        let mut h = Harness {
            s: ServerSession::new(cfg, Some("127.0.0.1:5000".parse().unwrap()), now),
            wire: Vec::new(),
            messages: Vec::new(),
            closed: false,
            deliver_ok: true,
            tls_started: false,
        };
        h.drain();
        h
    }

    fn drain(&mut self) {
        while let Some(o) = self.s.poll_output() {
            match o {
                Output::Transmit(b) => self.wire.extend(b),
                Output::Event(Event::Message(tx)) => {
                    self.messages.push(*tx);
                    self.s.delivered(self.deliver_ok);
                }
                Output::Event(Event::Authenticate { user, password }) => {
                    let ok = user == "bob" && password == "hungry";
                    self.s.authenticated(ok, Instant::now());
                }
                Output::StartTls => self.tls_started = true,
                Output::Body(_) => {}
                Output::Close => self.closed = true,
            }
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> String {
        let before = self.wire.len();
        self.s.handle_input(Instant::now(), bytes);
        self.drain();
        String::from_utf8_lossy(&self.wire[before..]).into_owned()
    }

    fn codes(&mut self, bytes: &[u8]) -> Vec<u16> {
        codes(&self.feed(bytes))
    }
}

fn codes(text: &str) -> Vec<u16> {
    text.lines()
        .filter(|l| l.as_bytes().get(3) != Some(&b'-'))
        .filter_map(|l| l.get(..3)?.parse().ok())
        .collect()
}

#[test]
fn seed_dialogue() {
    let mut h = Harness::new(cfg());
    assert_eq!(
        String::from_utf8_lossy(&h.wire),
        "220 hamburger.edu ESMTP mailkit\r\n"
    );
    assert_eq!(
        h.feed(b"HELO crepes.fr\r\n"),
        "250 hamburger.edu Hello crepes.fr, pleased to meet you\r\n"
    );
    assert_eq!(h.codes(b"MAIL FROM: <alice@crepes.fr>\r\n"), [250]);
    assert_eq!(h.codes(b"RCPT TO: <bob@hamburger.edu>\r\n"), [250]);
    assert_eq!(h.codes(b"DATA\r\n"), [354]);
    let reply = h.feed(b"Do you like ketchup?\r\nHow about pickles?\r\n.\r\n");
    assert!(
        reply.starts_with("250 2.0.0 Message accepted for delivery: queued as "),
        "{reply}"
    );
    assert_eq!(h.codes(b"QUIT\r\n"), [221]);
    assert!(h.closed);
    let m = &h.messages[0];
    assert_eq!(m.data, b"Do you like ketchup?\nHow about pickles?\n");
    assert_eq!(m.from.as_deref(), Some("alice@crepes.fr"));
    assert_eq!(m.mailboxes, ["bob@hamburger.edu"]);
    assert_eq!(m.trace.protocol, "SMTP");
    assert_eq!(m.trace.for_rcpt.as_deref(), Some("bob@hamburger.edu"));
}

#[test]
fn ehlo_lists_extensions() {
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO crepes.fr\r\n");
    for kw in [
        "PIPELINING",
        "SIZE 52428800",
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
        "SMTPUTF8",
    ] {
        assert!(
            r.contains(&format!("250-{kw}\r\n")) || r.contains(&format!("250 {kw}\r\n")),
            "{kw}: {r}"
        );
    }
    assert!(r.ends_with("250 HELP\r\n"));
}

const SESSION: &[u8] = b"EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr> BODY=8BITMIME\r\nRCPT TO:<bob@hamburger.edu>\r\nRCPT TO:<Carol@Hamburger.EDU>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\nbare\nline\r\n.\r\nNOOP\r\nQUIT\r\n";

#[test]
fn pipelined_session_in_one_write() {
    let mut h = Harness::new(cfg());
    assert_eq!(h.codes(SESSION), [250, 250, 250, 250, 354, 250, 250, 221]);
    assert_eq!(h.messages.len(), 1);
    assert_eq!(h.messages[0].data, b"Subject: hi\n\n.dot\nbare\nline\n");
    assert_eq!(
        h.messages[0].mailboxes,
        ["bob@hamburger.edu", "carol@hamburger.edu"]
    );
    assert_eq!(h.messages[0].trace.for_rcpt, None);
}

#[test]
fn split_at_every_offset() {
    let mut whole = Harness::new(cfg());
    whole.feed(SESSION);
    let strip_ids = |w: &[u8]| {
        String::from_utf8_lossy(w)
            .lines()
            .map(|l| {
                if l.contains("queued as") {
                    "250 queued"
                } else {
                    l
                }
                .to_string()
            })
            .collect::<Vec<_>>()
    };
    for cut in 0..SESSION.len() {
        let mut h = Harness::new(cfg());
        h.feed(&SESSION[..cut]);
        h.feed(&SESSION[cut..]);
        assert_eq!(strip_ids(&h.wire), strip_ids(&whole.wire), "cut at {cut}");
        assert_eq!(h.messages[0].data, whole.messages[0].data, "cut at {cut}");
    }
    // One byte at a time.
    let mut h = Harness::new(cfg());
    for b in SESSION {
        h.feed(std::slice::from_ref(b));
    }
    assert_eq!(strip_ids(&h.wire), strip_ids(&whole.wire));
}

#[test]
fn sequence_errors_are_503() {
    let mut h = Harness::new(cfg());
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c>\r\n"), [503], "MAIL before HELO");
    h.feed(b"EHLO x\r\n");
    assert_eq!(h.codes(b"RCPT TO:<bob@hamburger.edu>\r\n"), [503]);
    assert_eq!(h.codes(b"DATA\r\n"), [503]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c>\r\n"), [250]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c>\r\n"), [503]);
    assert_eq!(h.codes(b"DATA\r\n"), [554]);
    assert_eq!(h.codes(b"RSET\r\nDATA\r\n"), [250, 503]);
}

#[test]
fn error_replies() {
    let mut h = Harness::new(cfg());
    assert_eq!(h.codes(b"XYZZY\r\n"), [500]);
    assert_eq!(h.codes(b"HELO a\x00b\r\n"), [501]);
    assert_eq!(h.codes(b"\xff\xfe\r\n"), [500]);
    assert_eq!(h.codes(b"TURN\r\n"), [502]);
    assert_eq!(h.codes(b"EXPN staff\r\n"), [502]);
    assert_eq!(h.codes(b"VRFY bob\r\n"), [252]);
    assert_eq!(h.codes(b"HELP\r\n"), [214]);
    assert_eq!(h.codes(b"EHLO x\r\n"), [250]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c> FOO=1\r\n"), [555]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c> BODY=BASE64\r\n"), [555]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c> SIZE=x\r\n"), [501]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c\r\n"), [501]);
    assert_eq!(h.codes("MAIL FROM:<é@b.c>\r\n".as_bytes()), [553]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c>\r\n"), [250]);
    assert_eq!(
        h.codes(b"RCPT TO:<../../etc@x.y>\r\n"),
        [501],
        "dots in a row"
    );
    assert_eq!(
        h.codes(b"RCPT TO:<a/b@x.y>\r\n"),
        [553],
        "slash cannot name a mailbox"
    );
    assert_eq!(h.codes(b"RCPT TO:<.hidden@x.y>\r\n"), [501]);
    assert_eq!(h.codes(b"RCPT TO:<bob@x.y> FOO=1\r\n"), [555]);
    assert_eq!(h.codes(b"RSET extra\r\n"), [501]);
    let mut long = b"NOOP ".to_vec();
    long.extend(vec![b'x'; 20000]);
    long.extend(b"\r\nNOOP\r\n");
    assert_eq!(h.codes(&long), [500, 250]);
    assert!(!h.closed);
}

#[test]
fn too_many_errors_close_with_421() {
    let mut h = Harness::new(cfg());
    let r = h.codes(&b"BOGUS\r\n".repeat(25));
    assert_eq!(r.len(), 21);
    assert_eq!(*r.last().unwrap(), 421);
    assert!(h.closed);
}

#[test]
fn smuggling_does_not_split_the_message() {
    for fake in [&b"\n.\n"[..], b"\r.\r", b"\n.\r\n", b"\r\n.\n"] {
        let mut h = Harness::new(cfg());
        h.feed(b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
        let mut body = b"Subject: s\r\n\r\ntext".to_vec();
        body.extend_from_slice(fake);
        body.extend_from_slice(b"MAIL FROM:<m@evil.example>\r\nRCPT TO:<victim@hamburger.edu>\r\nDATA\r\nsmuggled\r\n.\r\n");
        assert_eq!(h.codes(&body), [250], "{fake:?}");
        assert_eq!(h.messages.len(), 1);
        assert!(h.messages[0].mailboxes == ["bob@hamburger.edu"]);
        assert!(String::from_utf8_lossy(&h.messages[0].data).contains("smuggled"));
    }
}

#[test]
fn size_limits() {
    let mut c = ServerConfig::new("h");
    c.max_message_size = 100;
    c.max_recipients = 2;
    let mut h = Harness::new(Arc::new(c));
    h.feed(b"EHLO x\r\n");
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c> SIZE=101\r\n"), [552]);
    assert_eq!(h.codes(b"MAIL FROM:<a@b.c> SIZE=100\r\n"), [250]);
    assert_eq!(
        h.codes(b"RCPT TO:<r1@x.y>\r\nRCPT TO:<r2@x.y>\r\nRCPT TO:<r3@x.y>\r\n"),
        [250, 250, 452]
    );
    assert_eq!(h.codes(b"DATA\r\n"), [354]);
    let mut big = b"x".repeat(80);
    big.extend(b"\r\n");
    let mut msg = big.repeat(3);
    msg.extend(b".\r\n");
    assert_eq!(h.codes(&msg), [552]);
    assert!(h.messages.is_empty());
    // The session goes on.
    assert_eq!(
        h.codes(b"MAIL FROM:<a@b.c>\r\nRCPT TO:<r1@x.y>\r\nDATA\r\nsmall\r\n.\r\n"),
        [250, 250, 354, 250]
    );
    assert_eq!(h.messages.len(), 1);
}

#[test]
fn domains_and_users() {
    let mut c = ServerConfig::new("hamburger.edu");
    c.local_domains = Some(["hamburger.edu".to_string()].into());
    c.users = Some(["bob@hamburger.edu".to_string()].into());
    let mut h = Harness::new(Arc::new(c));
    h.feed(b"EHLO x\r\nMAIL FROM:<a@crepes.fr>\r\n");
    let r = h.feed(b"RCPT TO:<nobody@hamburger.edu>\r\n");
    assert!(r.starts_with("550 5.1.1 "), "{r}");
    let r = h.feed(b"RCPT TO:<x@elsewhere.example>\r\n");
    assert!(r.starts_with("550 5.7.1 "), "{r}");
    assert_eq!(h.codes(b"RCPT TO:<Bob@Hamburger.EDU>\r\n"), [250]);
}

#[test]
fn smtputf8_recipient_and_postmaster() {
    let mut h = Harness::new(cfg());
    h.feed(b"EHLO x\r\n");
    assert_eq!(h.codes("MAIL FROM:<a@b.c> SMTPUTF8\r\nRCPT TO:<José@Hamburger.edu>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nx\r\n.\r\n".as_bytes()), [250, 250, 250, 354, 250]);
    assert_eq!(
        h.messages[0].mailboxes,
        ["josé@hamburger.edu", "postmaster@hamburger.edu"]
    );
    assert_eq!(h.messages[0].trace.protocol, "UTF8SMTP");
}

#[test]
fn failed_store_gives_451_and_session_goes_on() {
    let mut h = Harness::new(cfg());
    h.deliver_ok = false;
    assert_eq!(
        h.codes(b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<b@c.d>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n"),
        [250, 250, 250, 354, 451, 250]
    );
}

#[test]
fn input_waits_while_delivering() {
    let mut s = ServerSession::new(cfg(), None, Instant::now());
    s.handle_input(
        Instant::now(),
        b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<b@c.d>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
    );
    let mut wire = Vec::new();
    let mut event = None;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => wire.extend(b),
            Output::Event(e) => event = Some(e),
            Output::StartTls | Output::Body(_) => {}
            Output::Close => panic!("closed early"),
        }
    }
    assert!(event.is_some());
    assert!(!s.wants_input());
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(
        codes(&String::from_utf8_lossy(&wire)),
        [220, 250, 250, 250, 354]
    );
    s.delivered(true);
    let mut rest = Vec::new();
    let mut closed = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => rest.extend(b),
            Output::StartTls | Output::Body(_) => {}
            Output::Close => closed = true,
            Output::Event(_) => panic!(),
        }
    }
    assert_eq!(codes(&String::from_utf8_lossy(&rest)), [250, 221]);
    assert!(closed);
}

#[test]
fn eof_in_data_drops_the_message() {
    let mut h = Harness::new(cfg());
    h.feed(b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<b@c.d>\r\nDATA\r\nhalf a message\r\n");
    h.s.handle_eof(Instant::now());
    h.drain();
    assert!(h.closed);
    assert!(h.messages.is_empty());
}

#[test]
fn idle_timeout_421() {
    let mut c = ServerConfig::new("h");
    c.timeout = Duration::from_secs(2);
    let t0 = Instant::now();
    let mut s = ServerSession::new(Arc::new(c), None, t0);
    let d = s.poll_timeout().unwrap();
    assert_eq!(d, t0 + Duration::from_secs(2));
    s.handle_timeout(t0 + Duration::from_secs(1));
    s.handle_timeout(d);
    let mut wire = Vec::new();
    let mut closed = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => wire.extend(b),
            Output::StartTls | Output::Body(_) => {}
            Output::Close => closed = true,
            Output::Event(_) => {}
        }
    }
    assert!(String::from_utf8_lossy(&wire).contains("421 4.4.2"));
    assert!(closed);
}

#[test]
fn shutdown_lets_a_transaction_finish() {
    let mut h = Harness::new(cfg());
    h.feed(b"EHLO x\r\nMAIL FROM:<a@b.c>\r\n");
    h.s.shutdown(false);
    h.drain();
    assert!(!h.closed);
    assert_eq!(
        h.codes(b"RCPT TO:<b@c.d>\r\nDATA\r\nx\r\n.\r\n"),
        [250, 354, 250, 421]
    );
    assert!(h.closed);
    let mut idle = Harness::new(cfg());
    idle.s.shutdown(false);
    idle.drain();
    assert!(idle.closed);
}

#[test]
fn immediate_shutdown_still_answers_a_message_being_stored() {
    let mut s = ServerSession::new(cfg(), None, Instant::now());
    s.handle_input(
        Instant::now(),
        b"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<b@c.d>\r\nDATA\r\nx\r\n.\r\n",
    );
    while let Some(o) = s.poll_output() {
        assert!(!matches!(o, Output::Close));
    }
    s.shutdown(true);
    assert!(
        s.poll_output().is_none(),
        "nothing before the message's reply"
    );
    s.delivered(true);
    let mut wire = Vec::new();
    let mut closed = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => wire.extend(b),
            Output::StartTls | Output::Body(_) => {}
            Output::Close => closed = true,
            Output::Event(_) => panic!(),
        }
    }
    assert_eq!(codes(&String::from_utf8_lossy(&wire)), [250, 421]);
    assert!(closed);
}

#[test]
fn session_time_limit_bounds_a_slow_drip() {
    let mut c = ServerConfig::new("h");
    c.timeout = Duration::from_secs(10);
    c.max_session_time = Duration::from_secs(30);
    let t0 = Instant::now();
    let mut s = ServerSession::new(Arc::new(c), None, t0);
    // A byte every 5 s keeps the idle timer happy ...
    for i in 1..6 {
        s.handle_input(t0 + Duration::from_secs(5 * i), b"N");
        s.handle_timeout(t0 + Duration::from_secs(5 * i));
    }
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    // ... but not the session limit.
    s.handle_timeout(t0 + Duration::from_secs(30));
    let mut wire = Vec::new();
    while let Some(o) = s.poll_output() {
        if let Output::Transmit(b) = o {
            wire.extend(b);
        }
    }
    let text = String::from_utf8_lossy(&wire);
    assert!(
        text.contains("421 4.4.2 h Error: session time limit exceeded"),
        "{text}"
    );
    assert!(s.is_closed());
}

fn tls_cfg(auth: AuthPolicy, auth_without_tls: bool) -> Arc<ServerConfig> {
    let mut c = ServerConfig::new("hamburger.edu");
    c.starttls = true;
    c.auth = auth;
    c.auth_without_tls = auth_without_tls;
    c.auth_delay = Duration::ZERO;
    Arc::new(c)
}

#[test]
fn starttls_drops_pipelined_plaintext_and_starts_over() {
    let mut h = Harness::new(tls_cfg(AuthPolicy::Users, false));
    let ehlo = h.feed(b"EHLO crepes.fr\r\n");
    assert!(ehlo.contains("250-STARTTLS\r\n"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "AUTH offered in the clear: {ehlo}");
    assert_eq!(h.codes(b"AUTH PLAIN AGJvYgBodW5ncnk=\r\n"), [538]);
    // CVE-2011-0411: the RCPT sent in the clear behind STARTTLS is dropped.
    let r = h.feed(b"STARTTLS\r\nRCPT TO:<injected@hamburger.edu>\r\n");
    assert_eq!(r, "220 2.0.0 Ready to start TLS\r\n");
    assert!(h.tls_started);
    assert_eq!(h.codes(b"NOOP\r\n"), [250]);
    // A fresh start: HELO forgotten, STARTTLS no longer offered, AUTH now is.
    assert_eq!(h.codes(b"MAIL FROM:<a@crepes.fr>\r\n"), [503]);
    let ehlo = h.feed(b"EHLO crepes.fr\r\n");
    assert!(
        !ehlo.contains("STARTTLS") && ehlo.contains("250-AUTH PLAIN LOGIN\r\n"),
        "{ehlo}"
    );
    assert_eq!(h.codes(b"STARTTLS\r\n"), [503]);
}

#[test]
fn auth_plain_and_login_with_failures_delayed_and_counted() {
    let mut h = Harness::new(tls_cfg(AuthPolicy::Users, true));
    h.feed(b"EHLO crepes.fr\r\n");
    // Wrong password: no answer until the delay has passed.
    assert_eq!(h.feed(b"AUTH PLAIN AGJvYgB3cm9uZw==\r\n"), "");
    h.s.handle_timeout(Instant::now() + Duration::from_secs(1));
    h.drain();
    assert_eq!(codes(&String::from_utf8_lossy(&h.wire)).last(), Some(&535));
    // LOGIN, step by step: Username:, Password:, then 235.
    assert_eq!(h.feed(b"AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    assert_eq!(h.feed(b"Ym9i\r\n"), "334 UGFzc3dvcmQ6\r\n");
    assert_eq!(
        h.feed(b"aHVuZ3J5\r\n"),
        "235 2.7.0 Authentication successful\r\n"
    );
    assert_eq!(h.s.user(), Some("bob"));
    assert_eq!(h.codes(b"AUTH PLAIN AGJvYgBodW5ncnk=\r\n"), [503]);
    // PLAIN without an initial response, and a cancel.
    let mut h = Harness::new(tls_cfg(AuthPolicy::Users, true));
    h.feed(b"EHLO crepes.fr\r\n");
    assert_eq!(h.feed(b"AUTH PLAIN\r\n"), "334 \r\n");
    assert_eq!(h.codes(b"*\r\n"), [501]);
    assert_eq!(h.feed(b"AUTH PLAIN\r\n"), "334 \r\n");
    assert_eq!(h.codes(b"AGJvYgBodW5ncnk=\r\n"), [235]);
    assert_eq!(h.codes(b"AUTH CRAM-MD5\r\n"), [503]);
    // PLAIN for another user's identity (RFC 4616 authzid): refused.
    let mut h = Harness::new(tls_cfg(AuthPolicy::Users, true));
    h.feed(b"EHLO crepes.fr\r\n");
    let other = data_encoding::BASE64.encode(b"alice\0bob\0hungry");
    assert_eq!(h.codes(format!("AUTH PLAIN {other}\r\n").as_bytes()), [535]);
    let own = data_encoding::BASE64.encode(b"bob\0bob\0hungry");
    assert_eq!(h.codes(format!("AUTH PLAIN {own}\r\n").as_bytes()), [235]);
    // Three failures: 421 and the connection closes.
    let mut h = Harness::new(tls_cfg(AuthPolicy::Users, true));
    h.feed(b"EHLO crepes.fr\r\n");
    for _ in 0..3 {
        h.feed(b"AUTH PLAIN AGJvYgB3cm9uZw==\r\n");
        h.s.handle_timeout(Instant::now() + Duration::from_secs(60));
        h.drain();
    }
    assert!(h.closed);
    assert_eq!(codes(&String::from_utf8_lossy(&h.wire)).last(), Some(&421));
}

#[test]
fn require_tls_refuses_mail_in_the_clear() {
    let mut c = ServerConfig::new("hamburger.edu");
    c.starttls = true;
    c.require_tls = true;
    let mut h = Harness::new(Arc::new(c));
    h.feed(b"EHLO crepes.fr\r\n");
    assert_eq!(h.codes(b"MAIL FROM:<a@crepes.fr>\r\n"), [530]);
    h.feed(b"STARTTLS\r\nEHLO crepes.fr\r\n");
    h.feed(b"EHLO crepes.fr\r\n");
    assert_eq!(h.codes(b"MAIL FROM:<a@crepes.fr>\r\n"), [250]);
}

#[test]
fn open_relay_tricks_never_leave_the_local_domains() {
    let mut c = ServerConfig::new("hamburger.edu");
    c.local_domains = Some(["hamburger.edu".to_string()].into_iter().collect());
    let mut h = Harness::new(Arc::new(c));
    h.feed(b"EHLO crepes.fr\r\nMAIL FROM:<a@crepes.fr>\r\n");
    for rcpt in [
        "RCPT TO:<victim@elsewhere.example>",
        "RCPT TO:<victim%elsewhere.example@hamburger.edu>",
        "RCPT TO:<elsewhere.example!victim@hamburger.edu>",
        "RCPT TO:<@hamburger.edu:victim@elsewhere.example>",
        "RCPT TO:<\"victim@elsewhere.example\"@hamburger.edu>",
    ] {
        let r = h.feed(format!("{rcpt}\r\n").as_bytes());
        assert!(r.starts_with("550 5.7.1 "), "{rcpt}: {r}");
    }
    assert_eq!(h.codes(b"RCPT TO:<bob@hamburger.edu>\r\n"), [250]);
}

#[test]
fn memory_budget_is_shared_and_given_back() {
    let budget = crate::util::budget::MemoryBudget::new(8192);
    let mut c = ServerConfig::new("h");
    c.memory = budget.clone();
    let cfg = Arc::new(c);
    let mut a = Harness::new(cfg.clone());
    let mut b = Harness::new(cfg);
    let line = [b"x".repeat(998).as_slice(), b"\r\n"].concat();
    let msg = |lines: usize| {
        let mut m = b"MAIL FROM:<a@b.c>\r\nRCPT TO:<r@x.y>\r\nDATA\r\n".to_vec();
        m.extend(line.repeat(lines));
        m.extend(b".\r\n");
        m
    };
    a.feed(b"EHLO x\r\n");
    b.feed(b"EHLO x\r\n");
    // a's message is held (the harness keeps it, as the store would until
    // it is written): b's does not fit beside it.
    assert_eq!(a.codes(&msg(5)), [250, 250, 354, 250]);
    let reply = b.feed(&msg(5));
    assert_eq!(codes(&reply), [250, 250, 354, 452], "{reply}");
    assert!(reply.contains("452 4.3.1 "), "{reply}");
    assert!(b.messages.is_empty());
    // Stored and dropped: the memory is back, and b's next try goes in.
    a.messages.clear();
    assert_eq!(budget.used(), 0);
    assert_eq!(b.codes(&msg(5)), [250, 250, 354, 250]);
}

/// Faults fixed for a test: each answer always the same.
#[derive(Debug, Default)]
struct Fixed {
    sender: Option<u16>,
    recipient: Option<u16>,
    auth: Option<u16>,
    delay: Option<Duration>,
    disconnect: bool,
    tempfail: bool,
}

impl Faults for Fixed {
    fn sender(&self) -> Option<u16> {
        self.sender
    }
    fn recipient(&self) -> Option<u16> {
        self.recipient
    }
    fn auth(&self) -> Option<u16> {
        self.auth
    }
    fn delay(&self) -> Option<Duration> {
        self.delay
    }
    fn disconnect(&self) -> bool {
        self.disconnect
    }
    fn tempfail(&self) -> bool {
        self.tempfail
    }
}

fn faulty(f: Fixed) -> Arc<ServerConfig> {
    let mut c = ServerConfig::new("hamburger.edu");
    c.auth = AuthPolicy::Any;
    c.auth_without_tls = true;
    c.faults = Some(Arc::new(f));
    Arc::new(c)
}

#[test]
fn injected_replies_take_the_place_of_the_real_ones() {
    let mut h = Harness::new(faulty(Fixed {
        sender: Some(421),
        ..Fixed::default()
    }));
    h.feed(b"EHLO c\r\n");
    let r = h.feed(b"MAIL FROM:<a@b.c>\r\n");
    assert_eq!(
        r,
        "421 4.0.0 Error: sender refused (injected by --chaos)\r\n"
    );
    // No transaction was opened: RCPT needs MAIL.
    assert_eq!(h.codes(b"RCPT TO:<bob@hamburger.edu>\r\n"), [503]);

    let mut h = Harness::new(faulty(Fixed {
        recipient: Some(550),
        auth: Some(535),
        ..Fixed::default()
    }));
    assert_eq!(
        h.codes(b"EHLO c\r\nAUTH PLAIN AGJvYgB4\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n"),
        [250, 535, 250, 550, 554]
    );
}

#[test]
fn tempfail_refuses_a_whole_message_and_stores_nothing() {
    let mut h = Harness::new(faulty(Fixed {
        tempfail: true,
        ..Fixed::default()
    }));
    let r = h.feed(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\nhi\r\n.\r\nMAIL FROM:<a@b.c>\r\n");
    assert_eq!(codes(&r), [250, 250, 250, 354, 451, 250]);
    assert!(r.contains("451 4.3.0 "), "{r}");
    assert!(h.messages.is_empty());
}

#[test]
fn disconnect_cuts_the_client_off_once_its_message_starts() {
    let mut h = Harness::new(faulty(Fixed {
        disconnect: true,
        ..Fixed::default()
    }));
    let r = h.feed(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\n");
    assert_eq!(codes(&r), [250, 250, 250, 354]);
    assert!(!h.closed);
    // The first byte of text: closed without a reply, nothing stored.
    assert_eq!(h.feed(b"S"), "");
    assert!(h.closed && h.messages.is_empty());
}

#[test]
fn a_delay_holds_every_reply_until_its_time() {
    let t0 = Instant::now();
    let d = Duration::from_millis(200);
    let mut s = ServerSession::new(
        faulty(Fixed {
            delay: Some(d),
            ..Fixed::default()
        }),
        None,
        t0,
    );
    // The greeting waits.
    assert!(s.poll_output().is_none());
    assert_eq!(s.poll_timeout(), Some(t0 + d));
    assert!(!s.wants_input());
    s.handle_timeout(t0 + d / 2);
    assert!(s.poll_output().is_none());
    s.handle_timeout(t0 + d);
    assert!(matches!(s.poll_output(), Some(Output::Transmit(b)) if b.starts_with(b"220 ")));
    // Pipelined commands: each reply waits its own delay, in order.
    let t1 = t0 + d + Duration::from_millis(5);
    s.handle_input(t1, b"NOOP\r\nNOOP\r\n");
    assert!(s.poll_output().is_none());
    assert_eq!(s.poll_timeout(), Some(t1 + d));
    s.handle_timeout(t1 + d);
    let mut out = Vec::new();
    while let Some(Output::Transmit(b)) = s.poll_output() {
        out.extend(b);
    }
    assert_eq!(codes(&String::from_utf8_lossy(&out)), [250]);
    assert_eq!(s.poll_timeout(), Some(t1 + d + d));
    s.handle_timeout(t1 + d + d);
    assert!(matches!(s.poll_output(), Some(Output::Transmit(b)) if b.starts_with(b"250 ")));
}

/// One message in three BDAT chunks, pipelined, with a QUIT behind it.
const CHUNKED: &[u8] = b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 14\r\nSubject: x\r\n\r\nBDAT 9\r\n.\r\nQUIT\r\nBDAT 6 LAST\r\nend\r\n.QUIT\r\n";

#[test]
fn ehlo_offers_chunking_and_binarymime() {
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO c\r\n");
    assert!(
        r.contains("250-CHUNKING\r\n") && r.contains("250-BINARYMIME\r\n"),
        "{r}"
    );
}

#[test]
fn bdat_chunks_are_read_by_size_at_every_split() {
    let mut whole = Harness::new(cfg());
    let r = whole.feed(CHUNKED);
    assert_eq!(codes(&r), [250, 250, 250, 250, 250, 250, 221], "{r}");
    assert!(r.contains("250 2.0.0 Ok: 14 octets received\r\n"), "{r}");
    assert_eq!(whole.messages.len(), 1);
    // Nothing inside a chunk is a command or an end of data.
    assert_eq!(whole.messages[0].data, b"Subject: x\n\n.\nQUIT\nend\n.");
    for cut in 0..CHUNKED.len() {
        let mut h = Harness::new(cfg());
        let mut r = h.feed(&CHUNKED[..cut]);
        r += &h.feed(&CHUNKED[cut..]);
        assert_eq!(codes(&r), [250, 250, 250, 250, 250, 250, 221], "cut {cut}");
        assert_eq!(h.messages.len(), 1, "cut {cut}");
        assert_eq!(h.messages[0].data, whole.messages[0].data, "cut {cut}");
    }
    // One byte at a time.
    let mut h = Harness::new(cfg());
    for b in CHUNKED {
        h.feed(std::slice::from_ref(b));
    }
    assert_eq!(h.messages[0].data, whole.messages[0].data);
}

#[test]
fn bdat_without_a_transaction_reads_the_chunk_then_refuses_it() {
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO c\r\nBDAT 10 LAST\r\nRSET\r\nxxxxNOOP\r\n");
    assert_eq!(codes(&r), [250, 503, 250], "{r}");
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nBDAT 4 LAST\r\nNOOPNOOP\r\n");
    assert_eq!(codes(&r), [250, 250, 554, 250], "{r}");
    assert!(h.messages.is_empty());
}

#[test]
fn bdat_and_data_do_not_mix_and_binarymime_needs_bdat() {
    let mut h = Harness::new(cfg());
    let r = h.feed(
        b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 3\r\nabcDATA\r\n",
    );
    assert_eq!(codes(&r), [250, 250, 250, 250, 503], "{r}");
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<bob@hamburger.edu>\r\nDATA\r\nBDAT 5 LAST\r\n\x00\r\xff\n\r");
    assert_eq!(codes(&r), [250, 250, 250, 503, 250], "{r}");
    // BINARYMIME bytes are kept (CRLF -> LF as for every stored message),
    // and no line-length limit applies.
    assert_eq!(h.messages[0].data, b"\x00\r\xff\n\r");
    let mut h = Harness::new(cfg());
    let long = [b"EHLO c\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 3000 LAST\r\n".as_slice(), &[b'z'; 3000]].concat();
    assert_eq!(codes(&h.feed(&long)), [250, 250, 250, 250]);
    let mut h = Harness::new(cfg());
    let long = [
        b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 3000 LAST\r\n"
            .as_slice(),
        &[b'z'; 3000],
    ]
    .concat();
    assert_eq!(codes(&h.feed(&long)), [250, 250, 250, 500]);
    assert!(h.messages.is_empty());
}

#[test]
fn an_oversize_chunk_fails_the_transaction_and_later_chunks_get_503() {
    let mut c = ServerConfig::new("hamburger.edu");
    c.max_message_size = 100;
    let mut h = Harness::new(Arc::new(c));
    let mut input =
        b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 80\r\n".to_vec();
    input.extend([b'x'; 80]);
    input.extend(b"BDAT 80 LAST\r\n");
    input.extend([b'y'; 80]);
    input.extend(b"BDAT 5 LAST\r\nzzzzzNOOP\r\n");
    assert_eq!(codes(&h.feed(&input)), [250, 250, 250, 250, 552, 503, 250]);
    assert!(h.messages.is_empty());
}

#[test]
fn a_connection_dropped_mid_chunk_stores_nothing() {
    let mut h = Harness::new(cfg());
    h.feed(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu>\r\nBDAT 100 LAST\r\nhalf");
    h.s.handle_eof(Instant::now());
    h.drain();
    assert!(h.closed && h.messages.is_empty());
}

#[test]
fn a_bdat_line_without_a_readable_size_ends_the_session() {
    for bad in [
        "BDAT",
        "BDAT x",
        "BDAT 10 LASTX",
        "BDAT -1",
        "BDAT 10 LAST more",
        "BDAT 99999999999999999999",
    ] {
        let mut h = Harness::new(cfg());
        let r = h.feed(format!("EHLO c\r\n{bad}\r\nNOOP\r\n").as_bytes());
        assert_eq!(codes(&r), [250, 501], "{bad}: {r}");
        assert!(h.closed, "{bad}");
    }
}

#[test]
fn dsn_is_offered_and_its_parameters_checked() {
    let mut h = Harness::new(cfg());
    let r = h.feed(b"EHLO c\r\n");
    assert!(r.contains("250-DSN\r\n"), "{r}");
    let r = h.feed(b"MAIL FROM:<a@b.c> RET=HDRS ENVID=x+2By\r\nRCPT TO:<bob@hamburger.edu> NOTIFY=SUCCESS ORCPT=rfc822;bob@hamburger.edu\r\nRCPT TO:<carol@hamburger.edu>\r\nDATA\r\nhi\r\n.\r\n");
    assert_eq!(codes(&r), [250, 250, 250, 354, 250], "{r}");
    let tx = &h.messages[0];
    assert_eq!(tx.dsn.ret, Some(crate::proto::smtp::dsn::Ret::Hdrs));
    assert_eq!(tx.dsn.envid.as_deref(), Some("x+y"));
    assert!(tx.rcpt_dsn[0].on_success() && !tx.rcpt_dsn[1].on_success());
    assert_eq!(
        tx.rcpt_dsn[0].orcpt,
        Some(("rfc822".into(), "bob@hamburger.edu".into()))
    );
    for bad in ["RET=HDRS RET=FULL", "RET=X", "ENVID=a=b", "ENVID=+4"] {
        let mut h = Harness::new(cfg());
        let r = h.feed(format!("EHLO c\r\nMAIL FROM:<a@b.c> {bad}\r\n").as_bytes());
        assert_eq!(codes(&r), [250, 501], "{bad}: {r}");
    }
}

#[test]
fn discarded_extensions_are_neither_offered_nor_taken() {
    let mut c = ServerConfig::new("hamburger.edu");
    c.discard = vec!["DSN".into(), "CHUNKING".into(), "BINARYMIME".into()];
    let mut h = Harness::new(Arc::new(c));
    let r = h.feed(b"EHLO c\r\n");
    assert!(
        !r.contains("DSN") && !r.contains("CHUNKING") && !r.contains("BINARYMIME"),
        "{r}"
    );
    assert!(r.contains("PIPELINING"), "{r}");
    let r = h.feed(b"MAIL FROM:<a@b.c> RET=FULL\r\nMAIL FROM:<a@b.c> BODY=BINARYMIME\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bob@hamburger.edu> NOTIFY=NEVER\r\nBDAT 1 LAST\r\n");
    assert_eq!(codes(&r), [555, 555, 250, 555, 502], "{r}");
}

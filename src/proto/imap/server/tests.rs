//! IMAP session tests: bytes in, bytes and requests out, answers scripted.

use super::*;

fn cfg() -> ImapConfig {
    ImapConfig {
        hostname: "hamburger.edu".into(),
        timeout: Duration::from_secs(1800),
        max_literal: 1000,
        auth_delay: Duration::from_millis(0),
        max_auth_failures: 3,
        starttls: false,
        login_without_tls: true,
    }
}

fn snap() -> Snapshot {
    Snapshot {
        uid_validity: 42,
        uid_next: 8,
        messages: vec![(5, vec![]), (7, vec!["\\Seen".into()])],
        keywords: vec![],
        recent: 1,
    }
}

/// Drives a session: answers each request with `answer(request)`.
struct Harness {
    s: ImapSession,
    now: Instant,
    requests: Vec<Request>,
    answer: Box<dyn FnMut(&Request) -> Answer>,
}

impl Harness {
    fn new(answer: impl FnMut(&Request) -> Answer + 'static) -> Harness {
        let now = Instant::now();
        Harness {
            s: ImapSession::new(cfg(), now),
            now,
            requests: Vec::new(),
            answer: Box::new(answer),
        }
    }

    fn drain(&mut self) -> String {
        let mut out = Vec::new();
        loop {
            match self.s.poll_output() {
                Some(Output::Transmit(b)) => out.extend(b),
                Some(Output::Event(Event::Request(r))) => {
                    let a = (self.answer)(&r);
                    self.requests.push(r);
                    self.s.answer(a);
                }
                Some(_) => {}
                None => break,
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn feed(&mut self, bytes: &[u8]) -> String {
        self.s.handle_input(self.now, bytes);
        self.drain()
    }
}

fn store(r: &Request) -> Answer {
    match r {
        Request::Login { password, .. } if password == "hungry" => Answer::LoggedIn(Ok(())),
        Request::Login { .. } => Answer::LoggedIn(Err(LoginFailure::Invalid)),
        Request::Select { mailbox } if mailbox == "INBOX" => Answer::Selected(Ok(snap())),
        Request::Select { mailbox } => Answer::Selected(Err(Refusal::NoMailbox(mailbox.clone()))),
        Request::Sync => Answer::Selected(Ok(snap())),
        Request::Fetch { seqs, .. } => Answer::Fetched(Ok(Fetched {
            wire: seqs
                .iter()
                .map(|(s, u)| format!("* {s} FETCH (UID {u})\r\n"))
                .collect::<String>()
                .into_bytes(),
            flags: Vec::new(),
            rest: Vec::new(),
        })),
        Request::Append { data, .. } => {
            assert_eq!(data, b"hello\r\n");
            Answer::Appended(Ok((42, 9)))
        }
        _ => Answer::Done(Ok(())),
    }
}

const SESSION: &[u8] = b"a1 CAPABILITY\r\na2 LOGIN bob hungry\r\na3 SELECT INBOX\r\na4 UID FETCH 6:* (UID)\r\na5 APPEND INBOX (\\Seen) {7}\r\nhello\r\n\r\na6 LOGOUT\r\n";

#[test]
fn a_whole_session() {
    let mut h = Harness::new(store);
    let greeting = h.drain();
    assert!(
        greeting.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 "),
        "{greeting}"
    );
    assert!(greeting.contains("AUTH=PLAIN"));
    let out = h.feed(SESSION);
    let want = [
        "* CAPABILITY IMAP4rev1",
        "a1 OK CAPABILITY completed",
        "a2 OK [CAPABILITY",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* 2 EXISTS",
        "* 1 RECENT",
        "* OK [UIDVALIDITY 42]",
        "* OK [UIDNEXT 8]",
        "* OK [UNSEEN 1]",
        "a3 OK [READ-WRITE] SELECT completed",
        "* 2 FETCH (UID 7)",
        "a4 OK FETCH completed",
        "+ OK",
        "a5 OK [APPENDUID 42 9] APPEND completed",
        "* BYE",
        "a6 OK LOGOUT completed",
    ];
    let mut at = 0;
    for w in want {
        let i = out[at..]
            .find(w)
            .unwrap_or_else(|| panic!("{w:?} not after {at} in {out}"));
        at += i + w.len();
    }
}

#[test]
fn any_split_of_the_input_gives_the_same_output() {
    let mut whole = Harness::new(store);
    whole.drain();
    let want = whole.feed(SESSION);
    for cut in 1..SESSION.len() {
        let mut h = Harness::new(store);
        h.drain();
        let mut got = h.feed(&SESSION[..cut]);
        got += &h.feed(&SESSION[cut..]);
        assert_eq!(got, want, "split at {cut}");
    }
}

#[test]
fn garbage_gets_bad_and_the_session_goes_on() {
    let mut h = Harness::new(store);
    h.drain();
    assert_eq!(h.feed(b"x1 FROB\r\n"), "x1 BAD syntax error in FROB\r\n");
    assert_eq!(h.feed(b"\r\n"), "* BAD syntax error in the command\r\n");
    assert_eq!(
        h.feed(b"x2 SELECT INBOX\r\n"),
        "x2 BAD SELECT needs a login first\r\n"
    );
    assert_eq!(h.feed(b"x3 NOOP\r\n"), "x3 OK NOOP completed\r\n");
}

#[test]
fn literals_over_the_limit_are_refused_before_they_are_sent() {
    let mut h = Harness::new(store);
    h.drain();
    h.feed(b"a LOGIN bob hungry\r\n");
    let out = h.feed(b"b APPEND INBOX {5000}\r\n");
    assert_eq!(out, "b NO [TOOBIG] literal too large\r\n");
    // The session is still in step.
    assert_eq!(h.feed(b"c NOOP\r\n"), "c OK NOOP completed\r\n");
    // A non-synchronizing one is already on its way: BAD and goodbye.
    let out = h.feed(b"d APPEND INBOX {5000+}\r\n");
    assert!(
        out.starts_with("d BAD [TOOBIG]") && out.ends_with("* BYE literal too large\r\n"),
        "{out}"
    );
    assert!(!h.s.wants_input());
}

#[test]
fn failed_logins_are_counted_and_the_connection_closed() {
    let mut h = Harness::new(store);
    h.drain();
    for i in 1..=3 {
        let tag = format!("t{i}");
        h.feed(format!("{tag} LOGIN bob wrong\r\n").as_bytes());
        h.s.handle_timeout(h.now + Duration::from_secs(60));
        let out = h.drain();
        assert!(
            out.starts_with(&format!("{tag} NO [AUTHENTICATIONFAILED]")),
            "{out}"
        );
        if i == 3 {
            assert!(out.contains("* BYE too many failed logins"), "{out}");
        }
    }
}

#[test]
fn authenticate_plain_with_and_without_an_initial_response() {
    let mut h = Harness::new(store);
    h.drain();
    let resp = crate::proto::sasl::plain_response("bob", "hungry");
    let out = h.feed(format!("a AUTHENTICATE PLAIN {resp}\r\n").as_bytes());
    assert!(out.starts_with("a OK [CAPABILITY"), "{out}");
    let mut h = Harness::new(store);
    h.drain();
    assert_eq!(h.feed(b"a AUTHENTICATE LOGIN\r\n"), "+ VXNlcm5hbWU6\r\n");
    assert_eq!(h.feed(b"Ym9i\r\n"), "+ UGFzc3dvcmQ6\r\n");
    assert!(h.feed(b"aHVuZ3J5\r\n").starts_with("a OK"));
}

#[test]
fn logins_wait_for_tls_when_told_to() {
    let mut c = cfg();
    c.login_without_tls = false;
    c.starttls = true;
    let mut s = ImapSession::new(c, Instant::now());
    let mut out = Vec::new();
    while let Some(Output::Transmit(b)) = s.poll_output() {
        out.extend(b);
    }
    let greeting = String::from_utf8(out).unwrap();
    assert!(
        greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED"),
        "{greeting}"
    );
    s.handle_input(
        Instant::now(),
        b"a LOGIN bob hungry\r\nb STARTTLS\r\nc LOGIN injected\r\n",
    );
    let mut out = Vec::new();
    let mut tls = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => out.extend(b),
            Output::StartTls => tls = true,
            _ => {}
        }
    }
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("a NO [PRIVACYREQUIRED]"), "{out}");
    assert!(out.ends_with("b OK begin TLS negotiation now\r\n"), "{out}");
    assert!(tls);
}

#[test]
fn idle_hears_of_changes_and_ends_with_done() {
    let grown = std::rc::Rc::new(std::cell::Cell::new(false));
    let g = grown.clone();
    let mut h = Harness::new(move |r| match r {
        Request::Sync if g.get() => {
            let mut s = snap();
            s.messages.push((8, vec![]));
            Answer::Selected(Ok(s))
        }
        other => store(other),
    });
    h.drain();
    h.feed(b"a LOGIN bob hungry\r\nb SELECT INBOX\r\n");
    assert_eq!(h.feed(b"c IDLE\r\n"), "+ idling\r\n");
    assert!(h.s.idling());
    grown.set(true);
    h.s.changed();
    assert_eq!(h.drain(), "* 3 EXISTS\r\n");
    assert_eq!(h.feed(b"DONE\r\n"), "c OK IDLE terminated\r\n");
}

#[test]
fn a_large_fetch_goes_out_in_parts_each_asked_for_when_the_last_is_written() {
    // The store renders one message per part.
    let mut h = Harness::new(|r| match r {
        Request::Login { .. } => Answer::LoggedIn(Ok(())),
        Request::Select { .. } | Request::Sync => Answer::Selected(Ok(snap())),
        Request::Fetch { seqs, .. } => Answer::Fetched(Ok(Fetched {
            wire: format!("* {} FETCH (UID {})\r\n", seqs[0].0, seqs[0].1).into_bytes(),
            flags: Vec::new(),
            rest: seqs[1..].to_vec(),
        })),
        _ => Answer::Done(Ok(())),
    });
    h.drain();
    h.feed(b"a LOGIN bob x\r\nb SELECT INBOX\r\n");
    let out = h.feed(b"c UID FETCH 1:* (UID)\r\nd NOOP\r\n");
    assert!(out.ends_with("* 1 FETCH (UID 5)\r\n"), "{out}");
    assert!(
        !out.contains("c OK"),
        "no tagged reply before the last part"
    );
    assert!(
        crate::proto::Session::resume(&mut h.s, h.now),
        "the next part is asked for"
    );
    let out = h.drain();
    assert_eq!(
        out,
        "* 2 FETCH (UID 7)\r\nc OK FETCH completed\r\nd OK NOOP completed\r\n"
    );
    let Some(Request::Fetch { seqs, .. }) = h
        .requests
        .iter()
        .rev()
        .find(|r| matches!(r, Request::Fetch { .. }))
    else {
        panic!("no second part asked for");
    };
    assert_eq!(seqs, &[(2, 7)]);
    assert!(
        !crate::proto::Session::resume(&mut h.s, h.now),
        "nothing more to ask for"
    );
}

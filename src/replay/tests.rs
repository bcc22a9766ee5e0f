//! The players in memory: each against the other on the same transcript
//! (both pass, at any split), and against scripted peers for mismatches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::ClientPlayer;
use super::server::ServerPlayer;
use super::*;
use crate::proto::{Output, Session};
use crate::transcript::parse::parse;

const SEED: &str = "S: 220 hamburger.edu\nC: HELO crepes.fr\nS: 250 Hello crepes.fr, pleased to meet you\n\
C: MAIL FROM: <alice@crepes.fr>\nS: 250 alice@crepes.fr ... Sender ok\nC: RCPT TO: <bob@hamburger.edu>\n\
S: 250 bob@hamburger.edu ... Recipient ok\nC: DATA\nS: 354 Enter mail, end with \".\" on a line by itself\n\
C: Do you like ketchup?\nC: How about pickles?\nC: .\nS: 250 Message accepted for delivery\nC: QUIT\n\
S: 221 hamburger.edu closing connection\n";

const POP3: &str = "S: +OK POP3 server ready\nC: user bob\nS: +OK\nC: pass hungry\nS: +OK logged on\n\
C: list\nS: +OK 2 messages\nS: 1 498\nS: 2 912\nS: .\nC: retr 1\nS: +OK 498 octets\nS: Subject: x\nS: \nS: ..dot\nS: .\n\
C: dele 1\nS: +OK deleted\nC: quit\nS: +OK bye\n";

const IMAP: &str =
    "S: * OK IMAP4rev1 ready\nC: a1 LOGIN bob hungry\nS: a1 OK done\nC: a2 FETCH 1 BODY[]\n\
S: * 1 FETCH (BODY[] {4}\nS: hi\nS: )\nS: a2 OK done\nC: a3 LOGOUT\nS: * BYE\nS: a3 OK bye\n";

/// BDAT (RFC 3030) pipelined: a chunk that stops mid-line ("BDAT" as
/// content), then the LAST one holding "QUIT" and a lone dot as content.
const CHUNKED: &str = "S: 220 hamburger.edu ESMTP\nC: EHLO crepes.fr\nS: 250-hamburger.edu\nS: 250 CHUNKING\n\
C: MAIL FROM:<alice@crepes.fr>\nC: RCPT TO:<bob@hamburger.edu>\nC: BDAT 18\nC: Subject: x\nC: \nC: BDAT\n\
C: BDAT 7 LAST\nC: QUIT\nC: .\nS: 250 ok\nS: 250 ok\nS: 250 18 octets\nS: 250 queued\nC: QUIT\nS: 221 bye\n";

fn settings(strict: bool) -> Settings {
    Settings {
        strict,
        delay: false,
        timeout: Duration::from_secs(5),
    }
}

fn transcript(text: &str) -> Arc<crate::transcript::parse::Transcript> {
    Arc::new(parse("t.txt", text.as_bytes()).expect("transcript parses"))
}

/// Drains a session: bytes it wants sent, its verdict, whether it closed.
fn drain<S: Session<Event = Event>>(
    s: &mut S,
    bytes: &mut Vec<u8>,
    verdict: &mut Option<Verdict>,
) -> bool {
    let mut closed = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Transmit(b) => bytes.extend_from_slice(&b),
            Output::Event(Event::Done(v)) => *verdict = Some(v),
            Output::StartTls | Output::Body(_) => {}
            Output::Close => closed = true,
        }
    }
    closed
}

/// Runs a client player against a server player, feeding `chunk` bytes at a time.
fn pair(text: &str, chunk: usize, strict: bool) -> (Option<Verdict>, Option<Verdict>) {
    let now = Instant::now();
    let t = transcript(text);
    let mut c = ClientPlayer::new(t.clone(), settings(strict), now);
    let mut s = ServerPlayer::new(t, settings(strict), now);
    let (mut cv, mut sv) = (None, None);
    let (mut c_closed, mut s_closed) = (false, false);
    for _ in 0..10_000 {
        let mut to_s = Vec::new();
        let mut to_c = Vec::new();
        c_closed |= drain(&mut c, &mut to_s, &mut cv);
        s_closed |= drain(&mut s, &mut to_c, &mut sv);
        for piece in to_s.chunks(chunk) {
            s.handle_input(now, piece);
        }
        for piece in to_c.chunks(chunk) {
            c.handle_input(now, piece);
        }
        if to_s.is_empty() && to_c.is_empty() {
            if c_closed && sv.is_none() {
                s.handle_eof(now);
            }
            if s_closed && cv.is_none() {
                c.handle_eof(now);
            }
            drain(&mut c, &mut Vec::new(), &mut cv);
            drain(&mut s, &mut Vec::new(), &mut sv);
            break;
        }
    }
    (cv, sv)
}

#[test]
fn players_agree_on_their_own_transcript_at_any_split() {
    for text in [SEED, POP3, IMAP, CHUNKED] {
        for chunk in [1, 2, 3, 7, 64, 4096] {
            for strict in [false, true] {
                let (c, s) = pair(text, chunk, strict);
                assert_eq!(
                    c,
                    Some(Verdict::Pass),
                    "client, chunk {chunk}, strict {strict}\n{text}"
                );
                assert_eq!(
                    s,
                    Some(Verdict::Pass),
                    "server, chunk {chunk}, strict {strict}\n{text}"
                );
            }
        }
    }
}

/// A client player fed a scripted server: returns its verdict and what it sent.
fn client_vs(text: &str, server_bytes: &[u8], strict: bool) -> (Option<Verdict>, String) {
    let now = Instant::now();
    let mut c = ClientPlayer::new(transcript(text), settings(strict), now);
    let mut sent = Vec::new();
    let mut v = None;
    drain(&mut c, &mut sent, &mut v);
    c.handle_input(now, server_bytes);
    drain(&mut c, &mut sent, &mut v);
    if v.is_none() {
        c.handle_eof(now);
        drain(&mut c, &mut sent, &mut v);
    }
    (v, String::from_utf8_lossy(&sent).into_owned())
}

#[test]
fn smtp_codes_match_and_mismatch_names_the_line() {
    let wrong = SEED.replace(
        "S: 250 bob@hamburger.edu ... Recipient ok",
        "S: 550 5.1.1 no such user",
    );
    let server = b"220 other greeting\r\n250 hi\r\n250 ok\r\n250 2.1.5 Ok\r\n";
    let (v, sent) = client_vs(&wrong, server, false);
    assert_eq!(
        v,
        Some(Verdict::Fail(Mismatch {
            line: 7,
            expected: "\"550 5.1.1 no such user\"".into(),
            got: "\"250 2.1.5 Ok\"".into()
        }))
    );
    assert!(
        sent.ends_with("RCPT TO: <bob@hamburger.edu>\r\nQUIT\r\n"),
        "{sent}"
    );
    // After an unexpected 354 nothing more is sent (no message goes out).
    let t = "S: 220 x\nC: DATA\nS: 503 need MAIL\nC: QUIT\nS: 221 bye\n";
    let (v, sent) = client_vs(t, b"220 x\r\n354 go\r\n", false);
    assert!(matches!(v, Some(Verdict::Fail(_))));
    assert_eq!(sent, "DATA\r\n");
}

#[test]
fn smtp_multiline_replies_are_grouped() {
    let t = "S: 220 x\nC: EHLO me\nS: 250-x\nS: 250 SIZE\nC: QUIT\nS: 221 bye\n";
    let server = b"220-x\r\n220 more\r\n250-x\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n221 bye\r\n";
    assert_eq!(client_vs(t, server, false).0, Some(Verdict::Pass));
    let (v, _) = client_vs(t, server, true);
    match v {
        Some(Verdict::Fail(m)) => assert_eq!(m.line, 1, "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pop3_status_matches_and_bodies_are_read_not_compared() {
    let server = b"+OK hello\r\n+OK\r\n+OK in\r\n+OK 3 messages\r\n1 1\r\n2 2\r\n3 3\r\n.\r\n\
+OK\r\nother\r\nbody\r\n.\r\n+OK\r\n+OK bye\r\n";
    assert_eq!(client_vs(POP3, server, false).0, Some(Verdict::Pass));
    assert!(matches!(
        client_vs(POP3, server, true).0,
        Some(Verdict::Fail(_))
    ));
    let bad = b"+OK hello\r\n+OK\r\n-ERR wrong password\r\n";
    let (v, sent) = client_vs(POP3, bad, false);
    match v {
        Some(Verdict::Fail(m)) => {
            assert_eq!(m.line, 5);
            assert!(m.got.contains("-ERR wrong password"));
        }
        other => panic!("{other:?}"),
    }
    assert!(sent.ends_with("pass hungry\r\nRSET\r\nQUIT\r\n"), "{sent}");
}

#[test]
fn closed_connection_and_timeout_fail() {
    let (v, _) = client_vs(SEED, b"220 hamburger.edu\r\n", false);
    match v {
        Some(Verdict::Fail(m)) => {
            assert_eq!(m.line, 3);
            assert!(m.got.contains("closed"));
        }
        other => panic!("{other:?}"),
    }
    let now = Instant::now();
    let mut c = ClientPlayer::new(transcript(SEED), settings(false), now);
    let deadline = c.poll_timeout().expect("a reply deadline");
    c.handle_timeout(deadline);
    let mut v = None;
    drain(&mut c, &mut Vec::new(), &mut v);
    assert!(matches!(v, Some(Verdict::Fail(m)) if m.got.contains("no reply within 5 s")));
}

#[test]
fn server_player_checks_verbs_and_says_why_it_hangs_up() {
    let now = Instant::now();
    let mut s = ServerPlayer::new(transcript(SEED), settings(false), now);
    let mut out = Vec::new();
    let mut v = None;
    drain(&mut s, &mut out, &mut v);
    assert_eq!(out, b"220 hamburger.edu\r\n");
    s.handle_input(now, b"helo other.example\r\nRSET\r\n");
    out.clear();
    let closed = drain(&mut s, &mut out, &mut v);
    assert!(closed);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "250 Hello crepes.fr, pleased to meet you\r\n421 4.3.0 replay: transcript line 4: expected \"MAIL FROM: <alice@crepes.fr>\"\r\n"
    );
    assert!(matches!(v, Some(Verdict::Fail(m)) if m.line == 4 && m.got == "\"RSET\""));
}

#[test]
fn server_player_skips_message_lines_and_credentials() {
    let t = "S: 220 x\nC: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: <redacted>\nS: 235 ok\nC: DATA\nS: 354 go\nC: recorded line\nC: .\nS: 250 ok\n";
    let now = Instant::now();
    let mut s = ServerPlayer::new(transcript(t), settings(false), now);
    s.handle_input(
        now,
        b"AUTH LOGIN\r\nYm9i\r\nDATA\r\none\r\ntwo\r\nthree\r\n.\r\n",
    );
    let mut out = Vec::new();
    let mut v = None;
    drain(&mut s, &mut out, &mut v);
    assert_eq!(v, Some(Verdict::Pass), "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).ends_with("354 go\r\n250 ok\r\n"));
}

#[test]
fn imap_server_player_answers_with_the_clients_tags() {
    let now = Instant::now();
    let mut s = ServerPlayer::new(transcript(IMAP), settings(false), now);
    s.handle_input(now, b"X1 login bob hungry\r\n");
    let mut out = Vec::new();
    let mut v = None;
    drain(&mut s, &mut out, &mut v);
    assert!(String::from_utf8_lossy(&out).ends_with("X1 OK done\r\n"));
}

#[test]
fn delays_are_honoured_only_when_asked() {
    let t = "S: 220 x\n# +0.25\nC: QUIT\nS: 221 bye\n";
    let now = Instant::now();
    for delay in [false, true] {
        let s = Settings {
            delay,
            ..settings(false)
        };
        let mut c = ClientPlayer::new(transcript(t), s, now);
        c.handle_input(now, b"220 x\r\n");
        let mut sent = Vec::new();
        let mut v = None;
        drain(&mut c, &mut sent, &mut v);
        if !delay {
            assert_eq!(sent, b"QUIT\r\n");
            continue;
        }
        assert!(sent.is_empty(), "QUIT went out before the pause");
        assert_eq!(c.poll_timeout(), Some(now + Duration::from_millis(250)));
        c.handle_timeout(now + Duration::from_millis(100));
        drain(&mut c, &mut sent, &mut v);
        assert!(sent.is_empty());
        c.handle_timeout(now + Duration::from_millis(250));
        drain(&mut c, &mut sent, &mut v);
        assert_eq!(sent, b"QUIT\r\n");
    }
}

#[test]
fn a_bdat_transcript_plays_against_the_smtp_server_session() {
    // The client player sends the chunks' exact octets: the real server
    // session stores "Subject: x\n\nBDATQUIT\n." and answers every chunk.
    let now = Instant::now();
    let text = CHUNKED.replace(
        "S: 250-hamburger.edu\nS: 250 CHUNKING\n",
        "S: 250 hamburger.edu\n",
    );
    let t = transcript(&text);
    let mut c = ClientPlayer::new(t, settings(false), now);
    let mut s = crate::proto::smtp::server::ServerSession::new(
        Arc::new(crate::proto::smtp::server::ServerConfig::new(
            "hamburger.edu",
        )),
        None,
        now,
    );
    let mut verdict = None;
    let mut stored = Vec::new();
    for _ in 0..100 {
        let mut to_s = Vec::new();
        drain(&mut c, &mut to_s, &mut verdict);
        s.handle_input(now, &to_s);
        while let Some(o) = s.poll_output() {
            match o {
                Output::Transmit(b) => c.handle_input(now, &b),
                Output::Event(crate::proto::smtp::server::Event::Message(tx)) => {
                    stored.push(tx.data.clone());
                    s.delivered(true);
                }
                _ => {}
            }
        }
        if verdict.is_some() {
            break;
        }
    }
    assert_eq!(verdict, Some(Verdict::Pass));
    assert_eq!(stored, [b"Subject: x\n\nBDATQUIT\n.".to_vec()]);
}

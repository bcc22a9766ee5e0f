//! Client session tests: against the server session in memory, and
//! against scripted replies for every failure stage.

use std::sync::Arc;

use super::*;
use crate::proto::smtp::server::{self, ServerConfig, ServerSession};

fn env(from: &str, to: &[&str], data: &[u8]) -> Envelope {
    Envelope {
        from: Some(from.into()),
        to: to.iter().map(|s| s.to_string()).collect(),
        data: data.to_vec(),
        binary: false,
        dsn: None,
    }
}

/// Runs a client against a real server session in memory, moving at most
/// `chunk` bytes at a time each way. Returns client events and the
/// messages the server stored.
fn pair(
    client_cfg: ClientConfig,
    server_cfg: ServerConfig,
    messages: Vec<Envelope>,
    chunk: usize,
) -> (Vec<Event>, Vec<server::Transaction>) {
    let now = Instant::now();
    let mut s = ServerSession::new(Arc::new(server_cfg), None, now);
    let mut c = ClientSession::new(client_cfg, now);
    for m in messages {
        c.send(m);
    }
    c.finish();
    let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
    let (mut events, mut stored) = (Vec::new(), Vec::new());
    let (mut c_closed, mut s_closed) = (false, false);
    for _ in 0..100_000 {
        while let Some(o) = s.poll_output() {
            match o {
                crate::proto::Output::Transmit(b) => to_client.extend(b),
                crate::proto::Output::Event(server::Event::Message(tx)) => {
                    stored.push(*tx);
                    s.delivered(true);
                }
                crate::proto::Output::Event(server::Event::Authenticate { .. }) => {
                    s.authenticated(true, Instant::now())
                }
                crate::proto::Output::StartTls | crate::proto::Output::Body(_) => {}
                crate::proto::Output::Close => s_closed = true,
            }
        }
        while let Some(o) = c.poll_output() {
            match o {
                Output::Transmit(b) => to_server.extend(b),
                Output::Event(e) => events.push(e),
                Output::StartTls | Output::Body(_) => {}
                Output::Close => c_closed = true,
            }
        }
        if c_closed {
            break;
        }
        if to_client.is_empty() && to_server.is_empty() {
            if s_closed {
                c.handle_eof(now);
                continue;
            }
            panic!("stuck: events {events:?}");
        }
        let n = to_server.len().min(chunk);
        let part: Vec<u8> = to_server.drain(..n).collect();
        if !part.is_empty() {
            s.handle_input(now, &part);
        }
        let n = to_client.len().min(chunk);
        let part: Vec<u8> = to_client.drain(..n).collect();
        if !part.is_empty() {
            c.handle_input(now, &part);
        }
    }
    (events, stored)
}

const BODY: &[u8] = b"Subject: hi\n\n.leading dot\n..two\nlast line without newline";

#[test]
fn two_messages_pipelined_and_not_against_the_server_session() {
    for (pipelining, chunking) in [(true, true), (false, true), (true, false), (false, false)] {
        for chunk in [1, 7, 1 << 20] {
            let mut cfg = ClientConfig::new("crepes.fr");
            cfg.pipelining = pipelining;
            cfg.chunking = chunking;
            let msgs = vec![
                env(
                    "alice@crepes.fr",
                    &["bob@hamburger.edu", "carol@hamburger.edu"],
                    BODY,
                ),
                env("alice@crepes.fr", &["bob@hamburger.edu"], b"second\r\n"),
            ];
            let (events, stored) = pair(cfg, ServerConfig::new("hamburger.edu"), msgs, chunk);
            let delivered: Vec<usize> = events
                .iter()
                .filter_map(|e| match e {
                    Event::Delivered { message, reply } => {
                        assert!(reply.lines[0].contains("queued as"));
                        Some(*message)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                delivered,
                [0, 1],
                "pipelining {pipelining} chunk {chunk}: {events:?}"
            );
            assert!(
                matches!(events.first(), Some(Event::Ready { extensions, .. }) if extensions.iter().any(|e| e == "PIPELINING"))
            );
            assert_eq!(events.last(), Some(&Event::Finished));
            assert_eq!(stored.len(), 2);
            assert_eq!(
                stored[0].data,
                b"Subject: hi\n\n.leading dot\n..two\nlast line without newline\n"
            );
            assert_eq!(
                stored[0].mailboxes,
                ["bob@hamburger.edu", "carol@hamburger.edu"]
            );
            assert_eq!(stored[1].data, b"second\n");
        }
    }
}

#[test]
fn refused_recipient_is_reported_and_the_rest_delivered() {
    let mut scfg = ServerConfig::new("hamburger.edu");
    scfg.local_domains = Some(["hamburger.edu".to_string()].into());
    for pipelining in [true, false] {
        let mut cfg = ClientConfig::new("x");
        cfg.pipelining = pipelining;
        let (events, stored) = pair(
            cfg.clone(),
            ServerConfig {
                local_domains: scfg.local_domains.clone(),
                ..ServerConfig::new("hamburger.edu")
            },
            vec![env(
                "a@crepes.fr",
                &["bob@hamburger.edu", "x@elsewhere.example"],
                b"hi\n",
            )],
            1 << 20,
        );
        assert!(events.iter().any(|e| matches!(e, Event::RecipientRefused { rcpt, reply, .. } if rcpt == "x@elsewhere.example" && reply.code == 550)), "{events:?}");
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::Delivered { message: 0, .. })));
        assert_eq!(stored.len(), 1);
        // All refused: the message fails at RCPT, the next one still goes.
        let (events, stored) = pair(
            cfg,
            ServerConfig {
                local_domains: scfg.local_domains.clone(),
                ..ServerConfig::new("hamburger.edu")
            },
            vec![
                env("a@crepes.fr", &["x@elsewhere.example"], b"hi\n"),
                env("a@crepes.fr", &["bob@hamburger.edu"], b"two\n"),
            ],
            1 << 20,
        );
        assert!(events.iter().any(|e| matches!(e, Event::Failed { message: 0, failure: Failure::Refused(Stage::Rcpt, r) } if r.code == 550)), "pipelining {pipelining}: {events:?}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Delivered { message: 1, .. })),
            "pipelining {pipelining}: {events:?}"
        );
        assert_eq!(stored.len(), 1);
    }
}

/// Drives a client against scripted server replies: each entry is what the
/// server says after the client's previous write.
struct Script {
    c: ClientSession,
    wire: Vec<u8>,
    events: Vec<Event>,
    closed: bool,
}

impl Script {
    fn new(cfg: ClientConfig) -> Script {
        Script {
            c: ClientSession::new(cfg, Instant::now()),
            wire: Vec::new(),
            events: Vec::new(),
            closed: false,
        }
    }
    fn drain(&mut self) {
        while let Some(o) = self.c.poll_output() {
            match o {
                Output::Transmit(b) => self.wire.extend(b),
                Output::Event(e) => self.events.push(e),
                Output::StartTls | Output::Body(_) => {}
                Output::Close => self.closed = true,
            }
        }
    }
    fn server(&mut self, text: &str) -> String {
        let before = self.wire.len();
        self.c.handle_input(Instant::now(), text.as_bytes());
        self.drain();
        String::from_utf8_lossy(&self.wire[before..]).into_owned()
    }
}

#[test]
fn banner_and_helo_failures() {
    let mut s = Script::new(ClientConfig::new("x"));
    s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
    s.server("554 go away\r\n");
    assert!(s.closed);
    assert!(
        matches!(&s.events[0], Event::Failed { message: 0, failure: Failure::Refused(Stage::Banner, r) } if r.code == 554)
    );
    assert!(matches!(
        &s.events[1],
        Event::SessionFailed(Failure::Refused(Stage::Banner, _))
    ));

    // EHLO refused: HELO fallback, then no extensions, no pipelining.
    let mut s = Script::new(ClientConfig::new("x"));
    s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
    assert_eq!(s.server("220 old.example\r\n"), "EHLO x\r\n");
    assert_eq!(s.server("502 what?\r\n"), "HELO x\r\n");
    assert_eq!(s.server("250 old.example\r\n"), "MAIL FROM:<a@b.c>\r\n");
    assert_eq!(s.server("250 ok\r\n"), "RCPT TO:<d@e.f>\r\n");
    assert_eq!(s.server("250 ok\r\n"), "DATA\r\n");
    assert_eq!(s.server("354 go\r\n"), "x\r\n.\r\n");
    s.server("250 queued\r\n");
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Delivered { message: 0, .. })));
    s.c.finish();
    s.drain();
    assert!(s.wire.ends_with(b"QUIT\r\n"));
    s.server("221 bye\r\n");
    assert!(s.closed);
    assert_eq!(s.events.last(), Some(&Event::Finished));

    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("421 busy\r\n");
    assert!(
        matches!(&s.events[0], Event::SessionFailed(Failure::Refused(Stage::Helo, r)) if r.code == 421)
    );
}

#[test]
fn each_stage_failure_is_named() {
    let ready = |s: &mut Script, ext: &str| {
        s.server("220 x\r\n");
        s.server(&format!("250-x\r\n{ext}250 8BITMIME\r\n"));
    };
    // MAIL refused (pipelined: RCPT and DATA get 503).
    let mut s = Script::new(ClientConfig::new("x"));
    ready(&mut s, "250-PIPELINING\r\n");
    let sent = {
        s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
        s.drain();
        String::from_utf8_lossy(&s.wire).into_owned()
    };
    assert!(
        sent.ends_with("MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"),
        "{sent}"
    );
    s.server("550 no\r\n503 need MAIL\r\n503 need MAIL\r\n");
    assert!(s.events.iter().any(|e| matches!(e, Event::Failed { message: 0, failure: Failure::Refused(Stage::Mail, r) } if r.code == 550)), "{:?}", s.events);
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::RecipientRefused { .. })));

    // DATA refused, then a message refused after its dot.
    let mut s = Script::new(ClientConfig::new("x"));
    ready(&mut s, "");
    s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
    s.c.send(env("a@b.c", &["d@e.f"], b"y\n"));
    s.drain();
    s.server("250 ok\r\n");
    s.server("250 ok\r\n");
    // Unpipelined: RSET, and only after its reply the next MAIL.
    assert_eq!(s.server("554 no data for you\r\n"), "RSET\r\n");
    assert!(s.events.iter().any(|e| matches!(e, Event::Failed { message: 0, failure: Failure::Refused(Stage::Data, r) } if r.code == 554)));
    assert_eq!(s.server("250 reset\r\n"), "MAIL FROM:<a@b.c>\r\n");
    s.server("250 ok\r\n");
    s.server("250 ok\r\n");
    s.server("354 go\r\n");
    s.server("552 too spammy\r\n");
    assert!(s.events.iter().any(|e| matches!(e, Event::Failed { message: 1, failure: Failure::Refused(Stage::AfterData, r) } if r.code == 552)));
}

#[test]
fn size_and_extensions_are_checked_before_sending() {
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250 SIZE 100\r\n");
    s.wire.clear();
    s.c.send(env("a@b.c", &["d@e.f"], &[b'x'; 200]));
    s.c.send(env("a@b.c", &["d@e.f"], "café\n".as_bytes()));
    s.c.send(env("josé@b.c", &["d@e.f"], b"x\n"));
    s.c.send(env("a@b.c", &["d@e.f"], b"ok\n"));
    s.drain();
    assert!(
        matches!(
            s.events[1],
            Event::Failed {
                message: 0,
                failure: Failure::TooBig {
                    size: 202,
                    limit: 100
                }
            }
        ),
        "{:?}",
        s.events
    );
    assert!(matches!(
        s.events[2],
        Event::Failed {
            message: 1,
            failure: Failure::Unsupported("8BITMIME")
        }
    ));
    assert!(matches!(
        s.events[3],
        Event::Failed {
            message: 2,
            failure: Failure::Unsupported("SMTPUTF8")
        }
    ));
    assert_eq!(
        String::from_utf8_lossy(&s.wire),
        "MAIL FROM:<a@b.c> SIZE=4\r\n",
        "only the last message is tried"
    );
}

#[test]
fn eof_timeout_and_garbage_fail_cleanly() {
    let mut s = Script::new(ClientConfig::new("x"));
    s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
    s.server("220 x\r\n250 x\r\n");
    s.c.handle_eof(Instant::now());
    s.drain();
    assert!(s.closed);
    assert!(s.events.iter().any(|e| matches!(
        e,
        Event::Failed {
            message: 0,
            failure: Failure::Closed
        }
    )));

    let mut cfg = ClientConfig::new("x");
    cfg.timeout = Duration::from_secs(5);
    let t0 = Instant::now();
    let mut c = ClientSession::new(cfg, t0);
    let d = c.poll_timeout().unwrap();
    c.handle_timeout(d);
    let mut got = Vec::new();
    while let Some(o) = c.poll_output() {
        got.push(o);
    }
    assert!(got
        .iter()
        .any(|o| matches!(o, Output::Event(Event::SessionFailed(Failure::Timeout)))));
    assert!(got.iter().any(|o| matches!(o, Output::Close)));

    let mut s = Script::new(ClientConfig::new("x"));
    s.server("HTTP/1.1 400 Bad Request\r\n");
    assert!(matches!(
        &s.events[0],
        Event::SessionFailed(Failure::Protocol(_))
    ));
    assert!(s.closed);
}

#[test]
fn wire_body_stuffs_and_terminates() {
    assert_eq!(
        wire_body(b"a\n.b\n..c\nd"),
        b"a\r\n..b\r\n...c\r\nd\r\n.\r\n"
    );
    assert_eq!(wire_body(b"a\r\n.\r\n"), b"a\r\n..\r\n.\r\n");
    assert_eq!(wire_body(b""), b".\r\n");
    assert_eq!(wire_size(b"a\nb\r\n"), 6);
    assert_eq!(wire_size(b"ab"), 4);
    assert_eq!(wire_size(b""), 0);
}

#[test]
fn all_recipients_makes_one_refusal_fatal() {
    let mut cfg = ClientConfig::new("x");
    cfg.all_recipients = true;
    let mut s = Script::new(cfg);
    s.c.send(env("a@b.c", &["ok@e.f", "no@e.f", "ok2@e.f"], b"x\n"));
    s.server("220 x\r\n");
    assert_eq!(
        s.server("250-x\r\n250 PIPELINING\r\n"),
        "MAIL FROM:<a@b.c>\r\n",
        "no pipelining"
    );
    assert_eq!(s.server("250 ok\r\n"), "RCPT TO:<ok@e.f>\r\n");
    assert_eq!(s.server("250 ok\r\n"), "RCPT TO:<no@e.f>\r\n");
    assert_eq!(s.server("550 no such user\r\n"), "RSET\r\n");
    assert!(s.events.iter().any(|e| matches!(e, Event::Failed { message: 0, failure: Failure::Refused(Stage::Rcpt, r) } if r.code == 550)));
}

#[test]
fn bdat_carries_the_message_by_count_and_pipelines_the_next() {
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    s.c.send(env("a@b.c", &["d@e.f"], b".one\n"));
    s.c.send(env("a@b.c", &["d@e.f"], b"two"));
    s.c.send(env("a@b.c", &["d@e.f"], b""));
    let before = s.wire.len();
    s.drain();
    let first = String::from_utf8_lossy(&s.wire[before..]).into_owned();
    // Both transactions at once: no dot-stuffing, no end-of-data line.
    assert_eq!(
        first,
        "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 6 LAST\r\n.one\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 5 LAST\r\ntwo\r\n"
    );
    // The first one's final reply lets the third go out.
    assert_eq!(
        s.server("250 ok\r\n250 ok\r\n250 queued one\r\n"),
        "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 0 LAST\r\n"
    );
    s.server("250 ok\r\n250 ok\r\n250 queued two\r\n250 ok\r\n250 ok\r\n250 queued three\r\n");
    let delivered: Vec<usize> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered { message, .. } => Some(*message),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [0, 1, 2]);
}

#[test]
fn bdat_failures_name_the_stage() {
    // Every recipient refused: the chunk went anyway and got 554.
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    s.c.send(env("a@b.c", &["d@e.f"], b"one\n"));
    s.drain();
    s.server("250 ok\r\n550 no such user\r\n554 no valid recipients\r\n");
    assert!(
        s.events.iter().any(|e| matches!(e,
        Event::Failed { failure: Failure::Refused(Stage::Rcpt, r), .. } if r.code == 550)),
        "{:?}",
        s.events
    );
    // Refused after the last chunk.
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    s.c.send(env("a@b.c", &["d@e.f"], b"one\n"));
    s.drain();
    s.server("250 ok\r\n250 ok\r\n552 too big\r\n");
    assert!(
        s.events.iter().any(|e| matches!(e,
        Event::Failed { failure: Failure::Refused(Stage::AfterData, r), .. } if r.code == 552)),
        "{:?}",
        s.events
    );
    // BINARYMIME needs CHUNKING and BINARYMIME.
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250 CHUNKING\r\n");
    let mut e = env("a@b.c", &["d@e.f"], b"\x00\x01");
    e.binary = true;
    s.c.send(e);
    s.drain();
    assert!(
        s.events.iter().any(|e| matches!(
            e,
            Event::Failed {
                failure: Failure::Unsupported("BINARYMIME"),
                ..
            }
        )),
        "{:?}",
        s.events
    );
}

#[test]
fn big_and_binary_messages_through_the_server_session() {
    // Over MAX_CHUNK: several chunks; BINARYMIME: the bytes kept.
    let mut big: Vec<u8> = (0..(MAX_CHUNK * 2 + 100))
        .map(|i| {
            if i % 100 == 99 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect();
    big.push(b'\n');
    let mut bin = env("a@b.c", &["bob@hamburger.edu"], b"\x00\xff\r\x7f");
    bin.binary = true;
    let mut scfg = ServerConfig::new("hamburger.edu");
    scfg.max_message_size = 10 << 20;
    let (events, stored) = pair(
        ClientConfig::new("c"),
        scfg,
        vec![env("a@b.c", &["bob@hamburger.edu"], &big), bin],
        1 << 16,
    );
    assert_eq!(stored.len(), 2, "{events:?}");
    assert!(
        stored[0].data == big,
        "{} vs {}",
        stored[0].data.len(),
        big.len()
    );
    assert_eq!(stored[1].data, b"\x00\xff\r\x7f");
}

#[test]
fn next_transaction_is_pipelined_behind_the_final_dot() {
    let mut s = Script::new(ClientConfig::new("x"));
    s.server("220 x\r\n");
    s.server("250-x\r\n250 PIPELINING\r\n");
    s.c.send(env("a@b.c", &["d@e.f"], b"one\n"));
    s.c.send(env("a@b.c", &["d@e.f"], b"two\n"));
    s.drain();
    assert!(s.server("250 ok\r\n250 ok\r\n").is_empty());
    assert_eq!(
        s.server("354 go\r\n"),
        "one\r\n.\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
    );
    assert_eq!(
        s.server("250 queued one\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
        "two\r\n.\r\n"
    );
    s.server("250 queued two\r\n");
    let delivered: Vec<usize> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered { message, .. } => Some(*message),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [0, 1]);
    assert!(s.c.is_idle());
}

#[test]
fn replies_injected_behind_the_starttls_220_are_dropped() {
    let mut cfg = ClientConfig::new("x");
    cfg.starttls = true;
    let mut s = Script::new(cfg);
    s.c.send(env("a@b.c", &["d@e.f"], b"x\n"));
    assert_eq!(s.server("220 mx\r\n"), "EHLO x\r\n");
    assert_eq!(
        s.server("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
        "STARTTLS\r\n"
    );
    // The 220 and, in the same packet, replies for a whole transaction.
    let after =
        s.server("220 go\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued as INJECTED\r\n");
    // Only the new EHLO went out (inside TLS); nothing was taken as a reply.
    assert_eq!(after, "EHLO x\r\n");
    assert!(
        !s.events
            .iter()
            .any(|e| matches!(e, Event::Delivered { .. } | Event::Failed { .. })),
        "{:?}",
        s.events
    );
    // The real EHLO reply, inside TLS, is the one that counts.
    assert_eq!(
        s.server("250-mx\r\n250 PIPELINING\r\n"),
        "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
    );
}

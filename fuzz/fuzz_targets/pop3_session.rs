//! The POP3 server session fed arbitrary client bytes in arbitrary chunks,
//! with a maildrop of three messages: never panics, never asks for a
//! message outside the listing, deletes only in UPDATE. The output budget
//! is tiny, so pipelined commands pause until the client "reads" (resume,
//! at some chunk boundaries); what goes out between reads stays near it.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::pop3::server::{Event, Listed, Output, Pop3Config, Pop3Session};
use mailkit::util::crlf_size;

const MSGS: [&[u8]; 3] = [b"Subject: a\n\nbody\n.dot\n", b"x", b""];

fuzz_target!(|data: &[u8]| {
    let cfg = Pop3Config {
        hostname: "fuzz.example".into(),
        timeout: Duration::from_secs(600),
        max_session_time: Duration::from_secs(3600),
        output_budget: 64,
        apop: true,
        auth_delay: Duration::ZERO,
        max_auth_failures: 3,
        stls: true,
        login_without_tls: true,
    };
    let now = Instant::now();
    let mut s = Pop3Session::new(cfg, "1.2", now);
    let mut updated = false;
    let mut since_read = 0usize;
    for chunk in data.split(|&b| b == 0xfe) {
        if chunk.first().is_some_and(|b| b % 2 == 0) {
            s.resume();
            since_read = 0;
        }
        s.handle_input(now, chunk);
        while let Some(o) = s.poll_output() {
            match o {
                Output::Event(Event::Authenticate(_)) => {
                    let listing = MSGS.iter().enumerate().map(|(i, m)| Listed { uid: format!("u{i}"), size: crlf_size(m) as u64 }).collect();
                    s.authenticated(Ok(("box".into(), listing)));
                }
                Output::Event(Event::Retrieve { index, top }) => {
                    assert!(index < MSGS.len());
                    s.retrieved(index, top, Ok(Box::new(std::io::Cursor::new(MSGS[index].to_vec()))));
                }
                Output::Event(Event::Update { delete, seen }) => {
                    assert!(!updated);
                    updated = true;
                    assert!(delete.iter().chain(&seen).all(|&i| i < MSGS.len()));
                    s.updated(Ok(MSGS.len() - delete.len()));
                }
                Output::Body(mut body) => {
                    // A body is paced as a whole by the session; read it
                    // through to check the encoder on whatever was stored.
                    let mut out = Vec::new();
                    while !body.fill(&mut out, 4096).expect("in-memory read") {}
                }
                Output::Transmit(b) => {
                    since_read += b.len();
                    assert!(since_read <= 64 + 1024, "{since_read} bytes without a read");
                }
                _ => {}
            }
        }
        s.handle_timeout(now + Duration::from_secs(1));
    }
    s.handle_eof(now);
    while s.poll_output().is_some() {}
});

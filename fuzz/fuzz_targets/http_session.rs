//! The HTTP/1.1 server session fed any bytes in any chunks (0xfe splits
//! chunks; a chunk starting 0xfd ends the input, one starting 0xfc lets
//! the idle time pass, one starting 0xfb sends an event on a WebSocket):
//! never panics, answers requests one at a time in order, upgrades a valid
//! WebSocket handshake and then decodes frames, closes at most once, and
//! never hands out a request whose body is larger than the bound or which
//! the input could not have held.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::http::server::{Event, HttpConfig, HttpSession, Output, Response};
use mailkit::proto::http::websocket::upgrade_key;

fuzz_target!(|data: &[u8]| {
    let cfg = HttpConfig {
        max_head: 512,
        max_body: 256,
        timeout: Duration::from_secs(5),
        max_session: Duration::from_secs(30),
    };
    let mut now = Instant::now();
    let mut s = HttpSession::new(cfg, now);
    let mut closes = 0;
    for chunk in data.split(|&b| b == 0xfe) {
        match chunk.first() {
            Some(0xfd) => s.handle_eof(now),
            Some(0xfc) => {
                now += Duration::from_secs(10);
                s.handle_timeout(now);
            }
            Some(0xfb) => s.send_text(&String::from_utf8_lossy(&chunk[1..])),
            _ => s.handle_input(now, chunk),
        }
        while let Some(o) = s.poll_output() {
            match o {
                Output::Event(Event::Request(r)) => {
                    assert!(r.body.len() <= 256);
                    assert!(r.body.len() <= data.len());
                    assert!(r.path.starts_with('/'));
                    if let Some(key) = upgrade_key(&r) {
                        s.upgrade(now, &key, &[]);
                        assert!(s.is_websocket());
                        continue;
                    }
                    let body = r.path.into_bytes();
                    s.respond(now, Response::new(200, "text/plain", body));
                }
                Output::Event(Event::Message(m)) => {
                    assert!(s.is_websocket());
                    assert!(m.len() <= data.len());
                }
                Output::Close => {
                    closes += 1;
                    assert_eq!(closes, 1);
                }
                _ => {}
            }
        }
    }
});

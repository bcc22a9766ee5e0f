//! The HTTP/1.1 server session fed any bytes in any chunks (0xfe splits
//! chunks; a chunk starting 0xfd ends the input, one starting 0xfc lets
//! the idle time pass): never panics, answers requests one at a time in
//! order, closes at most once, and never hands out a request whose body
//! is larger than the bound or which the input could not have held.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::http::server::{Event, HttpConfig, HttpSession, Output, Response};

fuzz_target!(|data: &[u8]| {
    let cfg = HttpConfig {
        max_head: 512,
        max_body: 256,
        timeout: Duration::from_secs(5),
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
            _ => s.handle_input(now, chunk),
        }
        while let Some(o) = s.poll_output() {
            match o {
                Output::Event(Event::Request(r)) => {
                    assert!(r.body.len() <= 256);
                    assert!(r.body.len() <= data.len());
                    assert!(r.path.starts_with('/'));
                    let body = r.path.into_bytes();
                    s.respond(now, Response::new(200, "text/plain", body));
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

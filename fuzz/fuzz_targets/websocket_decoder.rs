//! The WebSocket frame decoder fed any bytes in any chunks (0xfe splits
//! chunks): never panics, never yields a message over its bound, and
//! yields nothing after a close or a failure.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::proto::http::websocket::{Decoder, Incoming};

fuzz_target!(|data: &[u8]| {
    let mut d = Decoder::new(512);
    let mut ended = false;
    for chunk in data.split(|&b| b == 0xfe) {
        d.push(chunk);
        while let Some(i) = d.next_incoming() {
            assert!(!ended, "nothing after a close or a failure");
            match i {
                Incoming::Message(m) => assert!(m.len() <= 512),
                Incoming::Ping(p) => assert!(p.len() <= 125),
                Incoming::Close(_) | Incoming::Fail(_) => ended = true,
            }
        }
    }
});

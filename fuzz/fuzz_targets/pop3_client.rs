//! The POP3 client session fed arbitrary server bytes: never panics, ends
//! with exactly one Closed event once the server hangs up.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::pop3::client::{Event, Output, Pop3Client};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut c = Pop3Client::new(Duration::from_secs(5), now);
    let cmds = [("USER bob", false), ("PASS x", false), ("UIDL", true), ("LIST", true), ("RETR 1", true), ("TOP 1 0", true), ("DELE 1", false), ("QUIT", false)];
    for (i, (line, multi)) in cmds.iter().enumerate() {
        c.command(i as u64, line, *multi, now);
    }
    let mut closed = 0;
    for chunk in data.split(|&b| b == 0xfe) {
        c.handle_input(now, chunk);
        while let Some(o) = c.poll_output() {
            if let Output::Event(Event::Closed { .. }) = o {
                closed += 1;
            }
        }
    }
    c.handle_eof(now);
    while let Some(o) = c.poll_output() {
        if let Output::Event(Event::Closed { .. }) = o {
            closed += 1;
        }
    }
    assert_eq!(closed, 1);
});

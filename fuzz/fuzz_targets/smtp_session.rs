//! A whole SMTP server session fed arbitrary bytes in arbitrary chunks:
//! never panics, output stays bounded, every message goes to a valid
//! mailbox name, a session that closed stays closed, and the memory
//! budget (small, so 452 happens) is all given back. The output budget is
//! tiny, so pipelined commands pause; the client "reads" (resume) only at
//! some chunk boundaries, and what goes out between reads stays near the
//! budget. The first byte's bits turn on injected faults (`--chaos`):
//! refused MAIL/RCPT/AUTH, a delay on every reply (the clock moves a
//! second a chunk), a cut-off DATA, a 451 at the end of DATA.
#![no_main]
use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::smtp::faults::Faults;
use mailkit::proto::smtp::server::{Event, Output, ServerConfig, ServerSession};
use mailkit::util::budget::MemoryBudget;

/// Faults chosen by the bits of one byte.
#[derive(Debug)]
struct Bits(u8);

impl Faults for Bits {
    fn sender(&self) -> Option<u16> {
        (self.0 & 1 != 0).then_some(451)
    }
    fn recipient(&self) -> Option<u16> {
        (self.0 & 2 != 0).then_some(550)
    }
    fn auth(&self) -> Option<u16> {
        (self.0 & 4 != 0).then_some(535)
    }
    fn delay(&self) -> Option<Duration> {
        (self.0 & 8 != 0).then_some(Duration::from_millis(10))
    }
    fn disconnect(&self) -> bool {
        self.0 & 16 != 0
    }
    fn tempfail(&self) -> bool {
        self.0 & 32 != 0
    }
}

fuzz_target!(|data: &[u8]| {
    let mut cfg = ServerConfig::new("fuzz.example");
    let faults = data.first().copied().unwrap_or(0) & 0x3f;
    if data.first().is_some_and(|b| b & 0xc0 == 0xc0) {
        cfg.faults = Some(Arc::new(Bits(faults)));
    }
    cfg.max_message_size = 2048;
    cfg.max_recipients = 3;
    let budget = MemoryBudget::new(1536);
    cfg.memory = budget.clone();
    cfg.output_budget = 64;
    let mut now = Instant::now();
    let mut s = ServerSession::new(Arc::new(cfg), None, now);
    let mut closed = false;
    let mut chunks = data.split(|&b| b == 0xfe);
    let mut i = 0u8;
    let mut since_read = 0usize;
    while let Some(chunk) = chunks.next() {
        // A chunk starting with an even byte comes after the client read
        // everything so far.
        if chunk.first().is_some_and(|b| b % 2 == 0) {
            s.resume();
            since_read = 0;
        }
        // Time passes: held replies (an injected delay) come due.
        now += Duration::from_secs(1);
        s.handle_timeout(now);
        s.handle_input(now, chunk);
        while let Some(o) = s.poll_output() {
            match o {
                Output::Body(_) => panic!("the SMTP server streams no body"),
                Output::Transmit(b) => {
                    assert!(!closed, "wrote after close");
                    assert!(b.len() < 1 << 20);
                    since_read += b.len();
                    // The budget, one reply past it, and what a resume or
                    // the final events (a 421, a DATA outcome) add.
                    assert!(since_read <= 64 + 4096, "{since_read} bytes without a read");
                }
                Output::Event(Event::Authenticate { password, .. }) => {
                    s.authenticated(password == "x", now);
                }
                Output::Event(Event::Message(tx)) => {
                    assert!(!tx.mailboxes.is_empty() && tx.mailboxes.len() <= 3);
                    for m in &tx.mailboxes {
                        assert!(!m.contains('/') && !m.starts_with('.'));
                    }
                    assert!(tx.data.len() <= 2048);
                    assert!(tx.held.bytes() >= tx.data.len() && budget.used() <= 1536);
                    i = i.wrapping_add(1);
                    s.delivered(i % 3 != 0);
                }
                Output::StartTls => {}
                Output::Close => closed = true,
            }
        }
        if i % 7 == 6 {
            s.handle_timeout(now + Duration::from_secs(1000));
        }
    }
    s.handle_eof(now);
    while s.poll_output().is_some() {}
    drop(s);
    assert_eq!(budget.used(), 0);
});

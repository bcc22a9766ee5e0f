//! A whole SMTP server session fed arbitrary bytes in arbitrary chunks:
//! never panics, output stays bounded, every message goes to a valid
//! mailbox name, a session that closed stays closed, and the memory
//! budget (small, so 452 happens) is all given back.
#![no_main]
use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::smtp::server::{Event, Output, ServerConfig, ServerSession};
use mailkit::util::budget::MemoryBudget;

fuzz_target!(|data: &[u8]| {
    let mut cfg = ServerConfig::new("fuzz.example");
    cfg.max_message_size = 2048;
    cfg.max_recipients = 3;
    let budget = MemoryBudget::new(1536);
    cfg.memory = budget.clone();
    let now = Instant::now();
    let mut s = ServerSession::new(Arc::new(cfg), None, now);
    let mut closed = false;
    let mut chunks = data.split(|&b| b == 0xfe);
    let mut i = 0u8;
    while let Some(chunk) = chunks.next() {
        s.handle_input(now, chunk);
        while let Some(o) = s.poll_output() {
            match o {
                Output::Transmit(b) => {
                    assert!(!closed, "wrote after close");
                    assert!(b.len() < 1 << 20);
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
                    s.delivered(if i % 3 == 0 { Err("x".into()) } else { Ok(()) });
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

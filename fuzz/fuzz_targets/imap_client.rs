//! The IMAP client session (its framer and imap-codec's response parser)
//! fed arbitrary server bytes in arbitrary splits, with pipelined and
//! plain commands queued: never panics, ends with exactly one Closed
//! event once the server hangs up. Also checks the framer alone: the
//! same bytes framed whole and split give the same messages.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::imap::client::{Event, ImapClient, Output};
use mailkit::proto::imap::frame::Framer;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut c = ImapClient::new(Duration::from_secs(5), now);
    c.command(1, b"LOGIN bob x", now);
    c.command(2, b"EXAMINE INBOX", now);
    c.command_pipelined(3, b"UID FETCH 1:4 (UID FLAGS BODY.PEEK[])", now);
    c.command_pipelined(4, b"UID FETCH 5:9 (UID FLAGS BODY.PEEK[])", now);
    c.command(5, b"LOGOUT", now);
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

    let frames = |chunks: &mut dyn Iterator<Item = &[u8]>| {
        let mut f = Framer::new(4096);
        let mut out = Vec::new();
        for ch in chunks {
            f.push(ch);
            loop {
                match f.next_message() {
                    Ok(Some(m)) => out.push(m),
                    Ok(None) => break,
                    Err(_) => return (out, true),
                }
            }
        }
        (out, false)
    };
    let whole: Vec<u8> = data.iter().copied().filter(|&b| b != 0xfe).collect();
    let (a, a_err) = frames(&mut std::iter::once(&whole[..]));
    let (b, b_err) = frames(&mut data.split(|&b| b == 0xfe));
    if !a_err && !b_err {
        assert_eq!(a, b);
    }
    let total: usize = a.iter().map(Vec::len).sum();
    assert!(total <= whole.len());
});

//! Arbitrary bytes as a transcript file, and arbitrary peer bytes in
//! arbitrary chunks to both players on a fixed transcript per protocol:
//! nothing panics, each player gives at most one verdict, and a verdict
//! names a line of the transcript.
#![no_main]
use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::{Output, Session};
use mailkit::replay::client::ClientPlayer;
use mailkit::replay::server::ServerPlayer;
use mailkit::replay::{Event, Settings, Verdict};
use mailkit::transcript::parse::parse;

const SMTP: &[u8] = b"S: 220 x\nC: EHLO y\nS: 250-x\nS: 250 SIZE\nC: DATA\nS: 354 go\nC: a\nC: .\nS: 250 ok\nC: QUIT\nS: 221 bye\n";
const POP3: &[u8] = b"S: +OK\nC: USER b\nS: +OK\nC: LIST\nS: +OK\nS: 1 2\nS: .\nC: RETR 1\nS: +OK\nS: x\nS: .\nC: QUIT\nS: +OK\n";
const IMAP: &[u8] = b"S: * OK hi\nC: a1 FETCH 1 BODY[]\nS: * 1 FETCH (BODY[] {4}\nS: hi\nS: )\nS: a1 OK\nC: a2 LOGOUT\nS: * BYE\nS: a2 OK\n";

fn check<S: Session<Event = Event>>(s: &mut S, lines: usize, verdicts: &mut usize) {
    while let Some(o) = s.poll_output() {
        if let Output::Event(Event::Done(v)) = o {
            *verdicts += 1;
            assert!(*verdicts <= 1, "two verdicts");
            if let Verdict::Fail(m) = v {
                assert!(m.line <= lines, "line {} of {lines}", m.line);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = parse("fuzz", data);
    let Some((&sel, rest)) = data.split_first() else { return };
    let text = [SMTP, POP3, IMAP][usize::from(sel % 3)];
    let t = Arc::new(parse("t", text).expect("fixed transcript"));
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    let s = Settings { strict: sel & 4 != 0, delay: true, timeout: Duration::from_secs(5) };
    let now = Instant::now();
    let mut c = ClientPlayer::new(t.clone(), s, now);
    let mut v = ServerPlayer::new(t, s, now);
    let (mut cv, mut sv) = (0, 0);
    let chunk = usize::from(sel >> 3).max(1);
    for piece in rest.chunks(chunk) {
        c.handle_input(now, piece);
        v.handle_input(now, piece);
        check(&mut c, lines, &mut cv);
        check(&mut v, lines, &mut sv);
    }
    c.handle_timeout(now + Duration::from_secs(10));
    v.handle_timeout(now + Duration::from_secs(10));
    c.handle_eof(now);
    v.handle_eof(now);
    check(&mut c, lines, &mut cv);
    check(&mut v, lines, &mut sv);
});

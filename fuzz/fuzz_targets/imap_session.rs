//! The IMAP server session fed arbitrary client bytes in arbitrary chunks
//! (literals and lines split anywhere), with a fake store of three
//! messages whose state a byte of the input may change under the session:
//! never panics, only asks the store about UIDs its view holds, never asks
//! anything before a login, and what it buffers stays bounded.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailkit::proto::imap::server::{Answer, Event, Fetched, ImapConfig, ImapSession, Output, Request};
use mailkit::proto::imap::view::Snapshot;

fn snapshot(gen: u8) -> Snapshot {
    // The store changes between syncs: a message goes, one arrives.
    let mut messages = vec![(3, vec![]), (5, vec!["\\Seen".into()]), (9, vec!["$x".into()])];
    if gen % 3 == 1 {
        messages.remove(1);
    }
    if gen % 3 == 2 {
        messages.push((11, vec![]));
    }
    Snapshot {
        uid_validity: if gen == 200 { 8 } else { 7 },
        uid_next: 12,
        messages,
        keywords: vec!["$x".into()],
        recent: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = ImapConfig {
        hostname: "fuzz.example".into(),
        timeout: Duration::from_secs(1800),
        max_literal: 300,
        auth_delay: Duration::ZERO,
        max_auth_failures: 3,
        starttls: true,
        login_without_tls: true,
    };
    let mut now = Instant::now();
    let mut s = ImapSession::new(cfg, now);
    let mut logged_in = false;
    let mut known: Vec<u32> = Vec::new();
    let mut gen = 0u8;
    for chunk in data.split(|&b| b == 0xfe) {
        if let Some(&b) = chunk.first() {
            gen = b;
            if b == 0xfd {
                s.changed();
            }
            if b == 0xfc {
                now += Duration::from_secs(3600);
                s.handle_timeout(now);
            }
            if b == 0xfb {
                // Everything written: a FETCH in parts asks for the next.
                mailkit::proto::Session::resume(&mut s, now);
            }
        }
        s.handle_input(now, chunk);
        while let Some(o) = s.poll_output() {
            let Output::Event(Event::Request(r)) = o else { continue };
            let answer = match r {
                Request::Login { .. } => {
                    logged_in = true;
                    Answer::LoggedIn(Ok(()))
                }
                r => {
                    assert!(logged_in, "{r:?} before a login");
                    match r {
                        Request::Select { .. } | Request::Sync => {
                            let snap = snapshot(gen);
                            known.extend(snap.messages.iter().map(|m| m.0));
                            Answer::Selected(Ok(snap))
                        }
                        Request::Fetch { seqs, .. } => {
                            assert!(seqs.iter().all(|(_, u)| known.contains(u)), "{seqs:?}");
                            Answer::Fetched(Ok(Fetched {
                                wire: b"* 1 FETCH (UID 1)\r\n".to_vec(),
                                flags: seqs.iter().map(|&(_, u)| (u, vec!["\\Seen".into()])).collect(),
                                rest: seqs.get(1..).unwrap_or_default().to_vec(),
                            }))
                        }
                        Request::Store { uids, .. } => {
                            assert!(uids.iter().all(|u| known.contains(u)));
                            Answer::Stored(Ok(uids.iter().map(|&u| (u, vec![])).collect()))
                        }
                        Request::Expunge { .. } => Answer::Expunged(Ok(vec![3, 42])),
                        Request::Copy { uids, .. } => {
                            Answer::Copied(Ok((1, uids.iter().map(|&u| (u, u + 100)).collect())))
                        }
                        Request::Search { uids, .. } => Answer::Found(Ok(uids)),
                        Request::Append { data, .. } => {
                            assert!(data.len() <= 300);
                            Answer::Appended(Ok((7, 12)))
                        }
                        Request::List { .. } | Request::Status { .. } => Answer::Lines(Ok(b"* LIST () \"/\" x\r\n".to_vec())),
                        _ => Answer::Done(Ok(())),
                    }
                }
            };
            s.answer(answer);
        }
    }
});

//! What serve-http's API does with a client's query string and a stored
//! message's bytes: percent-decoding, query parameters, Mailpit's search
//! syntax matched against the message's summary, the word index's
//! candidates (never missing a message the query matches: the prefilter
//! must be a superset), and the JSON of the summary, the message, its
//! headers and its parts; the chaos settings of `PUT /api/v1/chaos` (the
//! message bytes as its body) and of `--chaos` (the query), which must
//! round-trip through their JSON. Never panics; the JSON always
//! serialises. Input: QUERY 0x00 MESSAGE.
#![no_main]
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use libfuzzer_sys::fuzz_target;
use mailkit::server::chaos;
use mailkit::server::http::{api, index::Entry, json, page, search::Query, summary, words};
use mailkit::store::flags::Flags;

fuzz_target!(|data: &[u8]| {
    let (q, msg) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let q = String::from_utf8_lossy(q);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(msg) {
        if let Ok(c) = chaos::Settings::from_json(&v) {
            assert_eq!(chaos::Settings::from_json(&c.to_json()).ok(), Some(c));
        }
    }
    let mut c = chaos::Settings::default();
    if c.apply(&q).is_ok() {
        assert_eq!(chaos::Settings::from_json(&c.to_json()).ok(), Some(c));
    }
    let p = api::params(Some(&q));
    let _ = api::percent_decode(&q, false);
    let _ = page::escape(&q);
    let _ = summary::strip_tags(&q);
    let e = Entry {
        id: "fuzz".into(),
        mailbox: "bob@x".into(),
        folder: "INBOX".into(),
        dir: std::path::Path::new("/nonexistent").into(),
        uid: 1,
        base: "1.fuzz".into(),
        in_new: q.len() % 2 == 0,
        flags: Flags::from_info("S"),
        size: msg.len() as u64,
        created: UNIX_EPOCH,
        summary: Arc::new(summary::Summary::of(msg)),
        slot: 0,
    };
    let query = Query::parse(p.get("query").map_or(&*q, |s| s.as_str()));
    let mut ix = words::WordIndex::new();
    let slot = ix.add(&e.summary);
    if query.matches(&e) {
        for (f, needle) in query.prefilters() {
            if let Some(c) = ix.candidates(f, needle) {
                assert!(c.has(slot), "the word index lost a match: field {f}, {needle:?}");
            }
        }
    }
    let _ = json::summary(&e).to_string();
    let _ = json::message(&e, msg).to_string();
    let _ = json::headers(msg).to_string();
});

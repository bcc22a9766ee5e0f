//! Any bytes as a message (and as an mbox): the model, the validator, the
//! JSON document and every part's decoding never panic, and every
//! diagnostic points at a line that exists.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::message::json::{self, Extras};
use mailkit::message::{mime, source, validate};

fuzz_target!(|data: &[u8]| {
    let msg = mime::parse(data);
    for utf8 in [false, true] {
        let diags = validate::validate(data, &msg, 1, validate::Options { utf8 });
        let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
        for d in &diags {
            assert!(d.line >= 1 && d.line <= lines, "line {} of {lines}: {d}", d.line);
        }
        let doc = json::document("fuzz", &msg, Extras { bodies: true }, Some(&diags));
        let _ = serde_json::to_string(&doc).expect("JSON serialises");
    }
    if let Some(root) = &msg.root {
        for p in root.walk() {
            let _ = p.decoded();
            let _ = p.text();
            let _ = p.is_attachment();
        }
    }
    for item in source::split_mbox("fuzz", data) {
        let m = mime::parse(&item.data);
        let _ = validate::validate(&item.data, &m, item.first_line, validate::Options::default());
    }
});

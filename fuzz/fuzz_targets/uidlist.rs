//! Any bytes as a `dovecot-uidlist` (another program may have written
//! it): parsing never panics, what parses has rising UIDs below the next
//! UID and plain names, and renders back to a file that parses the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::store::uidlist::Uidlist;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(l) = Uidlist::parse(text) {
        assert!(l.uid_validity > 0);
        let mut last = 0;
        for r in &l.records {
            assert!(r.uid > last && r.uid < l.next_uid);
            assert!(!r.name.contains('/') && !r.name.starts_with('.'));
            last = r.uid;
        }
        let again = Uidlist::parse(&l.render()).expect("what we write, we read");
        assert_eq!(again, l);
    }
});

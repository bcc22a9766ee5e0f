//! The SMTP command parser on arbitrary lines: never panics; a parsed
//! address never holds characters that could leave the mail store.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailkit::proto::smtp::command::{parse, Command, ForwardPath};

fuzz_target!(|data: &[u8]| {
    if let Ok(Command::Rcpt { to: ForwardPath::Mailbox(a), .. }) = parse(data) {
        let full = format!("{}@{}", a.local, a.domain);
        if let Some(name) = mailkit::store::mailbox_name(&full) {
            assert!(!name.contains('/') && !name.starts_with('.'));
        }
    }
});

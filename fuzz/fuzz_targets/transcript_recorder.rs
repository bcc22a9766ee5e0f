//! The session recorder (it sees both sides of every recorded session):
//! arbitrary client and server bytes in arbitrary chunks never make it
//! panic; and a login the client pipelines in one write (EHLO, AUTH LOGIN,
//! user, password), cut into chunks at any points, never shows its
//! password, whatever the server answers after it.
#![no_main]
use std::io::Write;
use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;
use mailkit::transcript::Recorder;

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRET: &[u8] = b"c2VjcmV0LXBhc3N3b3Jk";

fuzz_target!(|data: &[u8]| {
    // Anything, either side, any chunks.
    let mut any = Recorder::to_writer(Box::new(std::io::sink()));
    for (i, chunk) in data.split(|&b| b == 0xfe).enumerate() {
        if i % 2 == 0 {
            any.client(chunk);
        } else {
            any.server(chunk);
        }
    }
    any.finish();

    // A pipelined login, cut where the input says, then the server's
    // replies (taken from the input).
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut r = Recorder::to_writer(Box::new(Sink(out.clone())));
    r.server(b"220 x ESMTP\r\n");
    let mut login = b"EHLO x\r\nAUTH LOGIN\r\nYm9i\r\n".to_vec();
    login.extend_from_slice(SECRET);
    login.extend_from_slice(b"\r\n");
    let mut at = 0;
    for &cut in data.iter().take(8) {
        let end = (at + usize::from(cut) % 8 + 1).min(login.len());
        r.client(&login[at..end]);
        at = end;
    }
    r.client(&login[at..]);
    r.server(data);
    r.finish();
    // What the client sent (the server's bytes come from the input and
    // may hold anything).
    let text = out.lock().unwrap();
    for line in text.split(|&b| b == b'\n').filter(|l| l.starts_with(b"C: ")) {
        assert!(
            !line.windows(SECRET.len()).any(|w| w == SECRET),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }
});

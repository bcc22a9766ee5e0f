//! The transcript format (SPEC, "Transcript format"): `S: ` lines are what
//! the server sent, `C: ` lines what the client sent, one line each,
//! without line ends, `#` comments and blank lines ignored.
//!
//! [`Recorder`] writes it as bytes cross the wire (`serve-* --record`).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::SystemTime;

pub mod parse;

/// Longest partial line held while waiting for its line end.
const MAX_PARTIAL: usize = 64 * 1024;

/// Records one session into its own file, `DIR/<UTC time>-<n>.txt`.
pub struct Recorder {
    w: BufWriter<Box<dyn Write + Send>>,
    client: Vec<u8>,
    server: Vec<u8>,
    /// The server just sent a SASL challenge: the client's next line is a
    /// credential.
    secret_next: bool,
}

/// What a client line looks like in a transcript: itself, or with the
/// password replaced by `<redacted>`.
pub fn redact(line: &[u8], secret: bool) -> Vec<u8> {
    if secret {
        return b"<redacted>".to_vec();
    }
    let upper: Vec<u8> = line.iter().take(5).map(u8::to_ascii_uppercase).collect();
    if upper.starts_with(b"PASS ") {
        return [&line[..5], b"<redacted>"].concat();
    }
    if upper.starts_with(b"AUTH ") {
        let words: Vec<&[u8]> = line
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() >= 3 {
            return [words[0], b" ", words[1], b" <redacted>"].concat();
        }
    }
    line.to_vec()
}

impl Recorder {
    /// Creates the transcript file for session number `n` in `dir`.
    pub fn create(dir: &Path, n: u64) -> io::Result<Recorder> {
        let stamp = crate::util::time::compact_utc(SystemTime::now());
        let mut attempt = 0;
        let file = loop {
            let name = if attempt == 0 {
                format!("{stamp}-{n}.txt")
            } else {
                format!("{stamp}-{n}.{attempt}.txt")
            };
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dir.join(name))
            {
                Ok(f) => break f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        };
        let mut r = Recorder::to_writer(Box::new(file));
        writeln!(
            r.w,
            "# recorded by mailkit {}, session {n}, {stamp}",
            env!("CARGO_PKG_VERSION")
        )?;
        Ok(r)
    }

    /// Records into any writer (a file the user named, or stdout).
    pub fn to_writer(w: Box<dyn Write + Send>) -> Recorder {
        Recorder {
            w: BufWriter::new(w),
            client: Vec::new(),
            server: Vec::new(),
            secret_next: false,
        }
    }

    /// Bytes the client sent. Passwords are written as `<redacted>`
    /// (SPEC): `PASS x`, `AUTH MECH initial-response`, and any line that
    /// answers a SASL challenge (`+ ` in POP3, `334` in SMTP).
    pub fn client(&mut self, mut bytes: &[u8]) {
        while let Some(i) = memchr::memchr(b'\n', bytes) {
            self.client.extend_from_slice(&bytes[..i]);
            bytes = &bytes[i + 1..];
            let line = std::mem::take(&mut self.client);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            let shown = redact(line, std::mem::take(&mut self.secret_next));
            Self::write_line(&mut self.w, b"C: ", &shown);
        }
        let room = MAX_PARTIAL.saturating_sub(self.client.len());
        self.client
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Bytes the server sent.
    pub fn server(&mut self, mut bytes: &[u8]) {
        while let Some(i) = memchr::memchr(b'\n', bytes) {
            self.server.extend_from_slice(&bytes[..i]);
            bytes = &bytes[i + 1..];
            let line = std::mem::take(&mut self.server);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            self.secret_next = line == b"+" || line.starts_with(b"+ ") || line.starts_with(b"334 ");
            Self::write_line(&mut self.w, b"S: ", line);
        }
        let room = MAX_PARTIAL.saturating_sub(self.server.len());
        self.server
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn write_line(w: &mut BufWriter<Box<dyn Write + Send>>, prefix: &[u8], line: &[u8]) {
        let _ = w
            .write_all(prefix)
            .and_then(|()| w.write_all(line))
            .and_then(|()| w.write_all(b"\n"));
    }

    /// Pushes what is buffered to the file.
    pub fn flush(&mut self) {
        let _ = self.w.flush();
    }

    /// Ends the session: writes unterminated lines and closes the file.
    pub fn finish(mut self) {
        for (partial, prefix) in [
            (std::mem::take(&mut self.client), b"C: "),
            (std::mem::take(&mut self.server), b"S: "),
        ] {
            if !partial.is_empty() {
                let _ = self
                    .w
                    .write_all(prefix)
                    .and_then(|()| self.w.write_all(&partial))
                    .and_then(|()| self.w.write_all(b"\n"));
            }
        }
        let _ = self.w.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_in_the_seed_notation() {
        let dir = std::env::temp_dir().join(format!("mailkit-rec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = Recorder::create(&dir, 7).unwrap();
        r.server(b"220 hamburger.edu\r\n");
        r.client(b"HELO cre");
        r.client(b"pes.fr\r\n\r\n..dot\r\n");
        r.server(b"250-a\r\n250 b\r\n");
        r.client(b"PASS hungry\r\nAUTH PLAIN AGJvYgBodW5ncnk=\r\nAUTH LOGIN\r\n");
        r.server(b"334 VXNlcm5hbWU6\r\n");
        r.client(b"Ym9i\r\n");
        r.server(b"+ \r\n");
        r.client(b"secret\r\nQUIT");
        r.finish();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().into_string().unwrap();
        assert!(name.ends_with("Z-7.txt"), "{name}");
        let text = std::fs::read_to_string(files[0].path()).unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            body,
            [
                "S: 220 hamburger.edu",
                "C: HELO crepes.fr",
                "C: ",
                "C: ..dot",
                "S: 250-a",
                "S: 250 b",
                "C: PASS <redacted>",
                "C: AUTH PLAIN <redacted>",
                "C: AUTH LOGIN",
                "S: 334 VXNlcm5hbWU6",
                "C: <redacted>",
                "S: + ",
                "C: <redacted>",
                "C: QUIT",
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

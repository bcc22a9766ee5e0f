//! The transcript format (SPEC, "Transcript format"): `S: ` lines are what
//! the server sent, `C: ` lines what the client sent, one line each,
//! without line ends, `#` comments and blank lines ignored.
//!
//! [`Recorder`] writes it as bytes cross the wire (`serve-* --record`).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::SystemTime;

/// Longest partial line held while waiting for its line end.
const MAX_PARTIAL: usize = 64 * 1024;

/// Records one session into its own file, `DIR/<UTC time>-<n>.txt`.
pub struct Recorder {
    w: BufWriter<Box<dyn Write + Send>>,
    client: Vec<u8>,
    server: Vec<u8>,
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
        }
    }

    /// Bytes the client sent.
    pub fn client(&mut self, bytes: &[u8]) {
        Self::lines(&mut self.w, &mut self.client, b"C: ", bytes);
    }

    /// Bytes the server sent.
    pub fn server(&mut self, bytes: &[u8]) {
        Self::lines(&mut self.w, &mut self.server, b"S: ", bytes);
    }

    fn lines(
        w: &mut BufWriter<Box<dyn Write + Send>>,
        partial: &mut Vec<u8>,
        prefix: &[u8],
        mut bytes: &[u8],
    ) {
        while let Some(i) = memchr::memchr(b'\n', bytes) {
            partial.extend_from_slice(&bytes[..i]);
            bytes = &bytes[i + 1..];
            let line = partial.strip_suffix(b"\r").unwrap_or(partial);
            let _ = w
                .write_all(prefix)
                .and_then(|()| w.write_all(line))
                .and_then(|()| w.write_all(b"\n"));
            partial.clear();
        }
        let room = MAX_PARTIAL.saturating_sub(partial.len());
        partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
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
        r.client(b"QUIT");
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
                "C: QUIT"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

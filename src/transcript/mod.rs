//! The transcript format (SPEC, "Transcript format"): `S: ` lines are what
//! the server sent, `C: ` lines what the client sent, one line each,
//! without line ends, `#` comments and blank lines ignored.
//!
//! [`Recorder`] writes it as bytes cross the wire (`serve-* --record`).

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::SystemTime;

pub mod parse;
pub mod sink;

/// The chunk size of an SMTP `BDAT n [LAST]` line (RFC 3030): its
/// octets follow the line as they are, and are recorded as `C:` lines.
pub fn bdat_size(line: &[u8]) -> Option<u64> {
    let mut w = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    if !w.next()?.eq_ignore_ascii_case(b"BDAT") {
        return None;
    }
    std::str::from_utf8(w.next()?).ok()?.parse().ok()
}

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
    /// A SASL exchange (AUTH, AUTHENTICATE) is under way: a `+`
    /// continuation asks for a credential. Outside one, IMAP's `+` asks
    /// for a literal (APPEND's message), which is content, not a secret.
    sasl: bool,
    /// Client lines still to come that are credentials, known from the
    /// client's own command (`AUTH LOGIN` without an initial response
    /// announces two, `AUTH PLAIN` one): a client that pipelines its
    /// credentials behind AUTH sends them before any challenge is seen.
    secrets_pending: usize,
    /// The client asked for DATA; a 354 starts the message.
    data_asked: bool,
    /// Inside a message's lines (after 354, to the lone dot): content,
    /// not commands.
    in_data: bool,
    /// Octets of a BDAT chunk still to come (RFC 3030): content, not
    /// commands; a chunk that stops mid-line ends its `C:` line there.
    chunk_left: u64,
    /// The greeting was SMTP's 220 (BDAT means something only there).
    smtp: Option<bool>,
    /// Server lines that came while a chunk was arriving (replies to the
    /// commands pipelined before it), written after the chunk so its
    /// `C:` lines stay together. Bounded by [`MAX_HELD_LINES`].
    held: Vec<Vec<u8>>,
}

/// Most server lines held back while a chunk arrives (a server sends a
/// reply per pipelined command; past this they are written as they come).
const MAX_HELD_LINES: usize = 1024;

/// A command line's words (split at spaces, empty ones dropped): what
/// [`redact`] and [`credentials_announced`] look at, split once a line.
fn words(line: &[u8]) -> Vec<&[u8]> {
    line.split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .collect()
}

/// What a client command line looks like in a transcript: itself, or with
/// the password replaced by `<redacted>`: `PASS x`, `AUTH MECH response`,
/// `APOP user digest` (the digest and the greeting's timestamp would
/// allow an offline dictionary attack), IMAP `tag LOGIN user pass` and
/// `tag AUTHENTICATE MECH response`. (A line that is a credential as a
/// whole is written `<redacted>` by the recorder.)
fn redact(line: &[u8], words: &[&[u8]]) -> Vec<u8> {
    let is = |i: usize, w: &[u8]| words.get(i).is_some_and(|x| x.eq_ignore_ascii_case(w));
    // How many leading words stay: the rest is the secret.
    let keep = if is(0, b"PASS") {
        1
    } else if (is(0, b"AUTH") && words.len() >= 3) || (is(0, b"APOP") && words.len() >= 3) {
        2
    } else if (is(1, b"LOGIN") && words.len() >= 4) || (is(1, b"AUTHENTICATE") && words.len() >= 4)
    {
        3
    } else {
        return line.to_vec();
    };
    let mut out = words[..keep.min(words.len())].join(&b' ');
    out.extend_from_slice(b" <redacted>");
    out
}

/// How many credential lines follow a client command: SMTP/POP3 `AUTH
/// LOGIN` (user and password; one when the user came along) and `AUTH
/// PLAIN` or another mechanism without an initial response (one), IMAP
/// `AUTHENTICATE` likewise.
fn credentials_announced(words: &[&[u8]]) -> usize {
    let at = if words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"AUTH"))
    {
        1
    } else if words
        .get(1)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"AUTHENTICATE"))
    {
        2
    } else {
        return 0;
    };
    let Some(mech) = words.get(at) else { return 0 };
    let has_response = words.len() > at + 1;
    match (mech.eq_ignore_ascii_case(b"LOGIN"), has_response) {
        (true, false) => 2,
        (true, true) => 1,
        (false, false) => 1,
        (false, true) => 0,
    }
}

impl Recorder {
    /// Records session number `n` into a new file in `dir`, written by
    /// the recording thread ([`sink`]) so the loop never waits on the
    /// disk for it.
    pub fn create(dir: &Path, n: u64) -> io::Result<Recorder> {
        let stamp = crate::util::time::compact_utc(SystemTime::now());
        let file = sink::FileSink::open(dir, &stamp, n)?;
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
            sasl: false,
            secrets_pending: 0,
            data_asked: false,
            in_data: false,
            chunk_left: 0,
            smtp: None,
            held: Vec::new(),
        }
    }

    /// Bytes the client sent. Passwords are written as `<redacted>`
    /// (SPEC): `PASS x`, `AUTH MECH initial-response`, and any line that
    /// answers a SASL challenge (`+ ` in POP3, `334` in SMTP).
    pub fn client(&mut self, mut bytes: &[u8]) {
        loop {
            if self.chunk_left > 0 {
                let n = usize::try_from(self.chunk_left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let (mut chunk, rest) = bytes.split_at(n);
                bytes = rest;
                self.chunk_left -= n as u64;
                while let Some(i) = memchr::memchr(b'\n', chunk) {
                    self.client.extend_from_slice(&chunk[..i]);
                    chunk = &chunk[i + 1..];
                    let line = std::mem::take(&mut self.client);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    Self::write_line(&mut self.w, b"C: ", line);
                }
                let room = MAX_PARTIAL.saturating_sub(self.client.len());
                self.client
                    .extend_from_slice(&chunk[..chunk.len().min(room)]);
                if self.chunk_left > 0 {
                    return;
                }
                if !self.client.is_empty() {
                    let line = std::mem::take(&mut self.client);
                    Self::write_line(&mut self.w, b"C: ", &line);
                }
                for line in std::mem::take(&mut self.held) {
                    Self::write_line(&mut self.w, b"S: ", &line);
                }
                continue;
            }
            let Some(i) = memchr::memchr(b'\n', bytes) else {
                break;
            };
            self.client.extend_from_slice(&bytes[..i]);
            bytes = &bytes[i + 1..];
            let line = std::mem::take(&mut self.client);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if self.in_data {
                // Message content is not commands (a line "AUTH LOGIN" in
                // a message announces nothing).
                self.in_data = line != b".";
                Self::write_line(&mut self.w, b"C: ", line);
                continue;
            }
            let challenged = std::mem::take(&mut self.secret_next);
            let shown = if challenged || self.secrets_pending > 0 {
                self.secrets_pending = self.secrets_pending.saturating_sub(1);
                b"<redacted>".to_vec()
            } else {
                let words = words(line);
                self.secrets_pending = credentials_announced(&words);
                let verb =
                    |i: usize, v: &[u8]| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(v));
                self.sasl = verb(0, b"AUTH") || verb(1, b"AUTHENTICATE");
                self.data_asked = line.eq_ignore_ascii_case(b"DATA");
                if self.smtp == Some(true) {
                    self.chunk_left = bdat_size(line).unwrap_or(0);
                }
                redact(line, &words)
            };
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
            if self.smtp.is_none() {
                self.smtp = Some(line.starts_with(b"220"));
            }
            let continuation = line == b"+" || line.starts_with(b"+ ");
            self.secret_next = (continuation && self.sasl) || line.starts_with(b"334 ");
            if !continuation && !line.starts_with(b"334 ") {
                self.sasl = false;
            }
            if line.starts_with(b"354") {
                self.in_data = std::mem::take(&mut self.data_asked);
            } else if line.starts_with(b"235")
                || line.starts_with(b"4")
                || line.starts_with(b"5")
                || line.starts_with(b"-ERR")
            {
                // AUTH (or DATA) ended: nothing more is announced.
                self.secrets_pending = 0;
                self.data_asked = false;
            }
            if self.chunk_left > 0 && self.held.len() < MAX_HELD_LINES {
                self.held.push(line.to_vec());
                continue;
            }
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
        for line in std::mem::take(&mut self.held) {
            Self::write_line(&mut self.w, b"S: ", &line);
        }
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
    fn an_imap_literal_is_content_but_a_sasl_continuation_is_secret() {
        let mut out = Vec::new();
        {
            let buf = SharedBuf(std::sync::Arc::new(std::sync::Mutex::new(Vec::new())));
            let mut r = Recorder::to_writer(Box::new(buf.clone()));
            r.client(b"a APPEND INBOX {9}\r\n");
            r.server(b"+ OK\r\n");
            r.client(b"Subject: x\r\n\r\n");
            r.server(b"a OK APPEND completed\r\n");
            r.client(b"b AUTHENTICATE PLAIN\r\n");
            r.server(b"+ \r\n");
            r.client(b"AGJvYgBodW5ncnk=\r\n");
            r.finish();
            out.extend(buf.0.lock().unwrap().iter());
        }
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("C: Subject: x\n"), "{text}");
        assert!(
            text.contains("C: <redacted>\n") && !text.contains("AGJvYgB"),
            "{text}"
        );
    }

    /// A writer the test can read back.
    #[derive(Clone)]
    struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for SharedBuf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

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
        // The recording thread writes the file: wait for it.
        sink::drain();
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

    fn recorded(steps: &[(bool, &[u8])]) -> Vec<String> {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct W(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for W {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut r = Recorder::to_writer(Box::new(W(buf.clone())));
        for (client, bytes) in steps {
            if *client {
                r.client(bytes);
            } else {
                r.server(bytes);
            }
        }
        r.finish();
        let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn bdat_chunks_are_content_and_a_chunk_ending_mid_line_ends_its_line() {
        let lines = recorded(&[
            (false, b"220 x\r\n"),
            (true, b"BDAT 20\r\nAUTH LOGIN\r\nBDAT 3\r\nBDAT 3\r\nxyz"),
            (true, b"BDAT 5 LAST\r\nab"),
            (true, b"c\r\nQUIT\r\n"),
        ]);
        assert_eq!(
            lines,
            [
                "S: 220 x",
                "C: BDAT 20",
                "C: AUTH LOGIN",
                "C: BDAT 3",
                "C: BDAT 3",
                "C: xyz",
                "C: BDAT 5 LAST",
                "C: abc",
                "C: QUIT",
            ]
        );
        // Not SMTP: BDAT is only a word.
        let lines = recorded(&[(false, b"* OK\r\n"), (true, b"BDAT 3 x\r\nabc\r\n")]);
        assert_eq!(lines, ["S: * OK", "C: BDAT 3 x", "C: abc"]);
    }

    #[test]
    fn pipelined_credentials_are_redacted_before_any_challenge() {
        let lines = recorded(&[
            (false, b"220 x\r\n"),
            (
                true,
                b"EHLO x\r\nAUTH LOGIN\r\nYm9i\r\naHVuZ3J5\r\nAUTH PLAIN\r\nAGJvYgBodW5ncnk=\r\n",
            ),
            (
                false,
                b"250 x\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n",
            ),
            (true, b"MAIL FROM:<a@b>\r\nAUTH LOGIN Ym9i\r\naHVuZ3J5\r\n"),
            (
                true,
                b"APOP bob c4c9334bac560ecc979e58001b3e22fb\r\na1 LOGIN bob hungry\r\n",
            ),
        ]);
        let all = lines.join("\n");
        for secret in ["aHVuZ3J5", "AGJvYgBodW5ncnk=", "c4c9334b", "hungry"] {
            assert!(!all.contains(secret), "{secret} in:\n{all}");
        }
        assert!(lines.contains(&"C: MAIL FROM:<a@b>".to_string()), "{all}");
        assert!(
            lines.contains(&"C: APOP bob <redacted>".to_string()),
            "{all}"
        );
        assert!(
            lines.contains(&"C: a1 LOGIN bob <redacted>".to_string()),
            "{all}"
        );
    }

    #[test]
    fn message_lines_announce_nothing_and_a_refused_auth_ends() {
        let lines = recorded(&[
            (true, b"DATA\r\n"),
            (false, b"354 go\r\n"),
            (true, b"AUTH LOGIN\r\nkeep me\r\n.\r\nAUTH LOGIN\r\n"),
            (false, b"504 no\r\n"),
            (true, b"QUIT\r\n"),
        ]);
        assert_eq!(
            lines,
            [
                "C: DATA",
                "S: 354 go",
                "C: AUTH LOGIN",
                "C: keep me",
                "C: .",
                "C: AUTH LOGIN",
                "S: 504 no",
                "C: QUIT"
            ]
        );
    }
}

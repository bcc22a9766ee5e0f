//! Reading a transcript (SPEC, "Transcript format") for `replay`: `S: ` and
//! `C: ` lines with their line numbers, `#` comments (`# protocol: NAME`
//! and `# +SECONDS` delays among them), blank lines ignored, CRLF or LF
//! line ends in the file.

/// Who sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// `S:`, the server.
    Server,
    /// `C:`, the client.
    Client,
}

/// The protocol a transcript speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// SMTP (RFC 5321): greeting `220`.
    Smtp,
    /// POP3 (RFC 1939): greeting `+OK`.
    Pop3,
    /// IMAP (RFC 3501): greeting `* OK`.
    Imap,
}

impl Protocol {
    /// The lower-case name, as in `# protocol: NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Pop3 => "pop3",
            Protocol::Imap => "imap",
        }
    }
}

/// One step of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A line that crossed the wire (without its line end).
    Line {
        /// Line number in the transcript file.
        line: usize,
        /// Who sent it.
        who: Who,
        /// The bytes as sent.
        text: Vec<u8>,
    },
    /// `# +SECONDS`: a pause before the next step (honoured with `--delay`).
    Delay {
        /// Line number in the transcript file.
        line: usize,
        /// How long.
        seconds: f64,
    },
}

/// A parsed transcript.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The file name, for `FILE:LINE` messages.
    pub name: String,
    /// The protocol, from `# protocol:` or the greeting.
    pub protocol: Protocol,
    /// The steps in order.
    pub items: Vec<Item>,
}

/// A transcript that cannot be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Line number (0 for the file as a whole).
    pub line: usize,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn protocol_named(name: &str) -> Option<Protocol> {
    match name.trim().to_ascii_lowercase().as_str() {
        "smtp" | "esmtp" | "lmtp" => Some(Protocol::Smtp),
        "pop3" | "pop" => Some(Protocol::Pop3),
        "imap" | "imap4" | "imap4rev1" => Some(Protocol::Imap),
        _ => None,
    }
}

/// Parses a transcript file's bytes.
pub fn parse(name: &str, data: &[u8]) -> Result<Transcript, ParseError> {
    let mut items = Vec::new();
    let mut protocol = None;
    let err = |line, message: String| Err(ParseError { line, message });
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if let Some(comment) = line.strip_prefix(b"#") {
            let c = String::from_utf8_lossy(comment);
            let c = c.trim();
            if let Some(p) = c
                .strip_prefix("protocol:")
                .or_else(|| c.strip_prefix("Protocol:"))
            {
                match protocol_named(p) {
                    Some(p) => protocol = Some(p),
                    None => {
                        return err(
                            n,
                            format!("unknown protocol {:?} (smtp, pop3 or imap)", p.trim()),
                        )
                    }
                }
            } else if let Some(secs) = c.strip_prefix('+') {
                match secs.trim().trim_end_matches('s').parse::<f64>() {
                    Ok(s) if s.is_finite() && (0.0..=3600.0).contains(&s) => {
                        items.push(Item::Delay {
                            line: n,
                            seconds: s,
                        })
                    }
                    _ => {
                        return err(
                            n,
                            format!("`# +{secs}` is not a delay in seconds (0 to 3600)"),
                        )
                    }
                }
            }
            continue;
        }
        let (who, text) = match line {
            [b'S', b':'] => (Who::Server, &b""[..]),
            [b'C', b':'] => (Who::Client, &b""[..]),
            [b'S', b':', b' ', rest @ ..] => (Who::Server, rest),
            [b'C', b':', b' ', rest @ ..] => (Who::Client, rest),
            _ => {
                let shown: String = String::from_utf8_lossy(line).chars().take(40).collect();
                return err(
                    n,
                    format!("{shown:?} is not an `S: ` or `C: ` line (comments start with #)"),
                );
            }
        };
        items.push(Item::Line {
            line: n,
            who,
            text: text.to_vec(),
        });
    }
    let protocol = match protocol {
        Some(p) => p,
        None => {
            let greeting = items.iter().find_map(|it| match it {
                Item::Line {
                    who: Who::Server,
                    text,
                    ..
                } => Some(text.as_slice()),
                _ => None,
            });
            match greeting {
                Some(g) if g.starts_with(b"220") => Protocol::Smtp,
                Some(g) if g.starts_with(b"+OK") => Protocol::Pop3,
                Some(g) if g.starts_with(b"* OK") || g.starts_with(b"* PREAUTH") => Protocol::Imap,
                _ => {
                    return err(
                        0,
                        "cannot tell the protocol from the greeting; add a line `# protocol: smtp` (or pop3, imap)"
                            .into(),
                    )
                }
            }
        }
    };
    if !items.iter().any(|i| matches!(i, Item::Line { .. })) {
        return err(0, "no S: or C: lines".into());
    }
    Ok(Transcript {
        name: name.to_owned(),
        protocol,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_blanks_crlf_and_delays() {
        let t = parse(
            "t.txt",
            b"# a comment\r\n\r\nS: 220 hamburger.edu\r\nC: HELO crepes.fr\n# +0.5\nS:\nC: \nC:\n   \nS: 250  two spaces\n",
        )
        .unwrap();
        assert_eq!(t.protocol, Protocol::Smtp);
        let l = |line, who, text: &[u8]| Item::Line {
            line,
            who,
            text: text.to_vec(),
        };
        assert_eq!(
            t.items,
            vec![
                l(3, Who::Server, b"220 hamburger.edu"),
                l(4, Who::Client, b"HELO crepes.fr"),
                Item::Delay {
                    line: 5,
                    seconds: 0.5
                },
                l(6, Who::Server, b""),
                l(7, Who::Client, b""),
                l(8, Who::Client, b""),
                l(10, Who::Server, b"250  two spaces"),
            ]
        );
    }

    #[test]
    fn protocol_from_greeting_or_comment() {
        assert_eq!(
            parse("p", b"S: +OK ready\n").unwrap().protocol,
            Protocol::Pop3
        );
        assert_eq!(
            parse("i", b"S: * OK IMAP4rev1\n").unwrap().protocol,
            Protocol::Imap
        );
        assert_eq!(
            parse("x", b"# protocol: pop3\nC: CAPA\n").unwrap().protocol,
            Protocol::Pop3
        );
        assert_eq!(parse("x", b"C: HELO x\n").unwrap_err().line, 0);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("t", b"S: 220 x\nhello\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not an `S: ` or `C: ` line"));
        assert_eq!(parse("t", b"S: 220 x\nS:x\n").unwrap_err().line, 2);
        assert_eq!(
            parse("t", b"# protocol: gopher\nS: 220\n")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(parse("t", b"S: 220\n# +forever\n").unwrap_err().line, 2);
    }
}

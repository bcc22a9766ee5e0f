//! SMTP command parsing (RFC 5321 §4.1), with the SMTPUTF8 extensions of
//! RFC 6531 §3.3 for addresses.
//!
//! [`parse`] turns one command line (without its line end) into a
//! [`Command`], or a [`CommandError`] that says which reply the client gets.
//! It never panics and never allocates more than the line it is given.

use std::fmt;

/// An email address as it appears in an SMTP path (RFC 5321 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Local part, unquoted when the quoted form was a plain dot-string.
    pub local: String,
    /// Domain, or an address literal such as `[192.0.2.1]`.
    pub domain: String,
}

impl Address {
    /// True when the address has only ASCII characters (needs no SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.is_ascii()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// The forward path of RCPT: an address, or the special `<Postmaster>`
/// that every server must accept without a domain (RFC 5321 §4.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardPath {
    /// `<Postmaster>` with no domain.
    Postmaster,
    /// An ordinary mailbox.
    Mailbox(Address),
}

/// One ESMTP parameter, `KEYWORD[=VALUE]` (RFC 5321 §4.1.2 Mail-parameters);
/// the keyword is upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The keyword, upper-cased.
    pub keyword: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
}

/// A parsed SMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `HELO domain` (RFC 5321 §4.1.1.1).
    Helo(String),
    /// `EHLO domain` (RFC 5321 §4.1.1.1).
    Ehlo(String),
    /// `MAIL FROM:<path> [params]`; `None` is the null reverse path `<>`.
    Mail {
        /// The reverse path; `None` for `<>`.
        from: Option<Address>,
        /// ESMTP parameters (SIZE, BODY, SMTPUTF8, ...).
        params: Vec<Param>,
    },
    /// `RCPT TO:<path> [params]` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward path.
        to: ForwardPath,
        /// ESMTP parameters.
        params: Vec<Param>,
    },
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `VRFY string` (RFC 5321 §4.1.1.6).
    Vrfy(String),
    /// `EXPN string` (RFC 5321 §4.1.1.7).
    Expn(String),
    /// `HELP [string]` (RFC 5321 §4.1.1.8).
    Help(Option<String>),
    /// `NOOP [string]` (RFC 5321 §4.1.1.9).
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth(String),
    /// `BDAT size [LAST]` (RFC 3030): a chunk of `size` octets follows
    /// the line; `LAST` ends the message.
    Bdat {
        /// The chunk's length in octets.
        size: u64,
        /// The message's last chunk.
        last: bool,
    },
    /// A verb we recognise but do not implement (TURN, ETRN, ...):
    /// answered with 502 (RFC 5321 §4.2.4).
    NotImplemented(String),
}

/// Why a command line could not be parsed; each maps to one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Unknown verb: 500 5.5.2 (RFC 5321 §4.2.4).
    Unrecognized,
    /// Bad syntax in the arguments: 501 5.5.4, with a hint.
    Syntax(&'static str),
    /// A malformed address in MAIL or RCPT: 501 5.1.3 (RFC 3463 X.1.3).
    BadAddress(&'static str),
    /// Control characters (bare CR, NUL, ...) in the line: 501 5.5.2.
    ControlChars,
    /// Not valid UTF-8: 500 5.5.2.
    NotUtf8,
    /// A BDAT line whose chunk size cannot be read: 501 5.5.4, and the
    /// session ends (the chunk's bytes cannot be told from commands).
    BadChunk,
}

impl CommandError {
    /// The reply code, enhanced status code and text for this error.
    pub fn reply(&self) -> (u16, &'static str, &'static str) {
        match self {
            CommandError::Unrecognized => (500, "5.5.2", "Error: command not recognized"),
            CommandError::Syntax(hint) => (501, "5.5.4", hint),
            CommandError::BadAddress(hint) => (501, "5.1.3", hint),
            CommandError::ControlChars => (
                501,
                "5.5.2",
                "Error: control characters (bare CR, NUL) are not allowed in commands",
            ),
            CommandError::NotUtf8 => (500, "5.5.2", "Error: command is not valid UTF-8"),
            CommandError::BadChunk => (
                501,
                "5.5.4",
                "Syntax: BDAT chunk-size [LAST]; closing, as the chunk's end is unknown",
            ),
        }
    }
}

/// The longest path we accept, in octets (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH: usize = 256;

/// Parses one command line (without CRLF).
pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
    if line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(CommandError::ControlChars);
    }
    let line = std::str::from_utf8(line).map_err(|_| CommandError::NotUtf8)?;
    let line = line.trim_end_matches([' ', '\t']);
    let (verb, rest) = match line.find([' ', '\t']) {
        Some(i) => (&line[..i], line[i + 1..].trim_start_matches([' ', '\t'])),
        None => (line, ""),
    };
    if verb.len() > 16 {
        return Err(CommandError::Unrecognized);
    }
    let verb_upper = verb.to_ascii_uppercase();
    match verb_upper.as_str() {
        "HELO" | "EHLO" => {
            let name = rest.split([' ', '\t']).next().unwrap_or("");
            if name.is_empty() {
                return Err(CommandError::Syntax(if verb_upper == "HELO" {
                    "Syntax: HELO hostname"
                } else {
                    "Syntax: EHLO hostname"
                }));
            }
            Ok(if verb_upper == "HELO" {
                Command::Helo(name.to_string())
            } else {
                Command::Ehlo(name.to_string())
            })
        }
        "MAIL" => {
            let arg = strip_keyword(rest, "FROM:")
                .ok_or(CommandError::Syntax("Syntax: MAIL FROM:<address>"))?;
            let (path, params) = parse_path(arg)?;
            let from = match path {
                Path::Null => None,
                Path::Mailbox(a) => Some(a),
                Path::Postmaster => {
                    return Err(CommandError::BadAddress(
                        "Error: sender address must have a domain",
                    ))
                }
            };
            Ok(Command::Mail {
                from,
                params: parse_params(params)?,
            })
        }
        "RCPT" => {
            let arg = strip_keyword(rest, "TO:")
                .ok_or(CommandError::Syntax("Syntax: RCPT TO:<address>"))?;
            let (path, params) = parse_path(arg)?;
            let to = match path {
                Path::Null => {
                    return Err(CommandError::BadAddress(
                        "Error: the null path <> is not a recipient",
                    ))
                }
                Path::Postmaster => ForwardPath::Postmaster,
                Path::Mailbox(a) => ForwardPath::Mailbox(a),
            };
            Ok(Command::Rcpt {
                to,
                params: parse_params(params)?,
            })
        }
        "DATA" => no_args(rest, Command::Data, "Syntax: DATA (no arguments)"),
        "RSET" => no_args(rest, Command::Rset, "Syntax: RSET (no arguments)"),
        "QUIT" => no_args(rest, Command::Quit, "Syntax: QUIT (no arguments)"),
        "STARTTLS" => no_args(rest, Command::StartTls, "Syntax: STARTTLS (no arguments)"),
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help((!rest.is_empty()).then(|| rest.to_string()))),
        "VRFY" | "EXPN" => {
            if rest.is_empty() {
                return Err(CommandError::Syntax(if verb_upper == "VRFY" {
                    "Syntax: VRFY address"
                } else {
                    "Syntax: EXPN list"
                }));
            }
            Ok(if verb_upper == "VRFY" {
                Command::Vrfy(rest.to_string())
            } else {
                Command::Expn(rest.to_string())
            })
        }
        "AUTH" => {
            if rest.is_empty() {
                return Err(CommandError::Syntax(
                    "Syntax: AUTH mechanism [initial-response]",
                ));
            }
            Ok(Command::Auth(rest.to_string()))
        }
        "BDAT" => {
            // RFC 3030 §4: "BDAT" SP chunk-size [SP end-marker], the size
            // 1*DIGIT. Anything else leaves the chunk's length unknown.
            let mut words = rest.split([' ', '\t']).filter(|w| !w.is_empty());
            let size = words
                .next()
                .filter(|w| w.len() <= 19 && w.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|w| w.parse::<u64>().ok())
                .ok_or(CommandError::BadChunk)?;
            let last = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("LAST") => true,
                Some(_) => return Err(CommandError::BadChunk),
            };
            if words.next().is_some() {
                return Err(CommandError::BadChunk);
            }
            Ok(Command::Bdat { size, last })
        }
        "TURN" | "ETRN" | "ATRN" | "SEND" | "SOML" | "SAML" => {
            Ok(Command::NotImplemented(verb_upper))
        }
        _ => Err(CommandError::Unrecognized),
    }
}

fn no_args(rest: &str, cmd: Command, hint: &'static str) -> Result<Command, CommandError> {
    if rest.is_empty() {
        Ok(cmd)
    } else {
        Err(CommandError::Syntax(hint))
    }
}

/// Strips `FROM:` / `TO:` case-insensitively, and the spaces after the
/// colon that Postfix also allows (`MAIL FROM: <a@b>`, the seed's form).
fn strip_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    Some(rest[keyword.len()..].trim_start_matches([' ', '\t']))
}

enum Path {
    Null,
    Postmaster,
    Mailbox(Address),
}

/// Parses `<path>` (or, leniently, a bare address up to the first space)
/// and returns it with the text after it (the parameters).
fn parse_path(arg: &str) -> Result<(Path, &str), CommandError> {
    let (inner, rest) = if let Some(body) = arg.strip_prefix('<') {
        let end = closing_bracket(body).ok_or(CommandError::BadAddress(
            "Error: missing '>' at the end of the address",
        ))?;
        (&body[..end], &body[end + 1..])
    } else {
        let end = arg.find([' ', '\t']).unwrap_or(arg.len());
        if end == 0 {
            return Err(CommandError::BadAddress("Error: missing address"));
        }
        (&arg[..end], &arg[end..])
    };
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return Err(CommandError::BadAddress(
            "Error: unexpected text right after the address",
        ));
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if inner.len() > MAX_PATH {
        return Err(CommandError::BadAddress(
            "Error: address too long (RFC 5321 §4.5.3.1.3: 256 octets)",
        ));
    }
    if inner.is_empty() {
        return Ok((Path::Null, rest));
    }
    if inner.eq_ignore_ascii_case("postmaster") {
        return Ok((Path::Postmaster, rest));
    }
    // A source route (`@a,@b:user@c`) is accepted and ignored (RFC 5321 §4.1.2, C.).
    let mailbox = match inner.strip_prefix('@') {
        Some(route) => {
            let colon = route.find(':').ok_or(CommandError::BadAddress(
                "Error: bad source route in address",
            ))?;
            &route[colon + 1..]
        }
        None => inner,
    };
    Ok((Path::Mailbox(parse_mailbox(mailbox)?), rest))
}

/// Finds the `>` that closes a path, skipping a quoted local part.
fn closing_bracket(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == '>' && !quoted {
            return Some(i);
        }
    }
    None
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Parses `local-part@domain` (RFC 5321 §4.1.2 Mailbox; RFC 6531 §3.3 allows
/// UTF-8 in both halves, which the session accepts only with SMTPUTF8).
pub fn parse_mailbox(s: &str) -> Result<Address, CommandError> {
    let (local, domain) = if let Some(body) = s.strip_prefix('"') {
        let mut escaped = false;
        let mut end = None;
        let mut unquoted = String::new();
        for (i, c) in body.char_indices() {
            if escaped {
                if !(' '..='~').contains(&c) {
                    return Err(CommandError::BadAddress("Error: bad quoted local part"));
                }
                unquoted.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i);
                break;
            } else if c == ' '
                || c == '!'
                || ('#'..='[').contains(&c)
                || (']'..='~').contains(&c)
                || !c.is_ascii()
            {
                unquoted.push(c);
            } else {
                return Err(CommandError::BadAddress("Error: bad quoted local part"));
            }
        }
        let end = end.ok_or(CommandError::BadAddress(
            "Error: unterminated quoted local part",
        ))?;
        let after = &body[end + 1..];
        let domain = after.strip_prefix('@').ok_or(CommandError::BadAddress(
            "Error: address needs a domain (user@domain)",
        ))?;
        // A quoted string that is a valid dot-string means the same thing
        // unquoted (RFC 5321 §4.1.2); keep the simpler form.
        let local = if is_dot_string(&unquoted) {
            unquoted
        } else {
            s[..end + 2].to_string()
        };
        (local, domain)
    } else {
        let at = s.rfind('@').ok_or(CommandError::BadAddress(
            "Error: address needs a domain (user@domain)",
        ))?;
        let local = &s[..at];
        if !is_dot_string(local) {
            return Err(CommandError::BadAddress("Error: bad local part in address"));
        }
        (local.to_string(), &s[at + 1..])
    };
    if local.len() > 64 && local.is_ascii() {
        return Err(CommandError::BadAddress(
            "Error: local part longer than 64 octets (RFC 5321 §4.5.3.1.1)",
        ));
    }
    if !is_domain(domain) && !is_address_literal(domain) {
        return Err(CommandError::BadAddress("Error: bad domain in address"));
    }
    Ok(Address {
        local,
        domain: domain.to_string(),
    })
}

fn is_dot_string(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// A domain of dot-separated labels: letters, digits, hyphens inside, and
/// (U-labels, RFC 6531) non-ASCII characters.
fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

/// `[IPv4]` or `[IPv6:...]` or `[tag:text]` (RFC 5321 §4.1.3).
fn is_address_literal(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return false;
    };
    if let Some(v6) = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
    {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if inner.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    match inner.split_once(':') {
        Some((tag, text)) => {
            !tag.is_empty()
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !text.is_empty()
                && text
                    .chars()
                    .all(|c| ('!'..='Z').contains(&c) || ('^'..='~').contains(&c))
        }
        None => false,
    }
}

/// Parses `KEY[=VALUE]` parameters separated by spaces (RFC 5321 §4.1.2).
fn parse_params(s: &str) -> Result<Vec<Param>, CommandError> {
    let mut out = Vec::new();
    for word in s.split([' ', '\t']).filter(|w| !w.is_empty()) {
        let (key, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        let key_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let value_ok =
            value.is_none_or(|v| !v.is_empty() && v.chars().all(|c| c != '=' && (c > ' ')));
        if !key_ok || !value_ok {
            return Err(CommandError::Syntax(
                "Error: bad parameter syntax (KEYWORD[=VALUE])",
            ));
        }
        out.push(Param {
            keyword: key.to_ascii_uppercase(),
            value: value.map(str::to_string),
        });
        if out.len() > 16 {
            return Err(CommandError::Syntax("Error: too many parameters"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(l: &str, d: &str) -> Address {
        Address {
            local: l.into(),
            domain: d.into(),
        }
    }

    #[test]
    fn seed_forms() {
        assert_eq!(
            parse(b"HELO crepes.fr"),
            Ok(Command::Helo("crepes.fr".into()))
        );
        assert_eq!(
            parse(b"MAIL FROM: <alice@crepes.fr>"),
            Ok(Command::Mail {
                from: Some(addr("alice", "crepes.fr")),
                params: vec![]
            })
        );
        assert_eq!(
            parse(b"rcpt to:<bob@hamburger.edu>"),
            Ok(Command::Rcpt {
                to: ForwardPath::Mailbox(addr("bob", "hamburger.edu")),
                params: vec![]
            })
        );
        assert_eq!(parse(b"DATA"), Ok(Command::Data));
        assert_eq!(parse(b"quit"), Ok(Command::Quit));
    }

    #[test]
    fn params_null_path_and_postmaster() {
        assert_eq!(
            parse(b"MAIL FROM:<> SIZE=100 body=8BITMIME SMTPUTF8"),
            Ok(Command::Mail {
                from: None,
                params: vec![
                    Param {
                        keyword: "SIZE".into(),
                        value: Some("100".into())
                    },
                    Param {
                        keyword: "BODY".into(),
                        value: Some("8BITMIME".into())
                    },
                    Param {
                        keyword: "SMTPUTF8".into(),
                        value: None
                    },
                ]
            })
        );
        assert_eq!(
            parse(b"RCPT TO:<Postmaster>"),
            Ok(Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: vec![]
            })
        );
    }

    #[test]
    fn source_route_quoted_and_utf8() {
        assert_eq!(
            parse(b"RCPT TO:<@relay.example,@b.example:bob@hamburger.edu>"),
            Ok(Command::Rcpt {
                to: ForwardPath::Mailbox(addr("bob", "hamburger.edu")),
                params: vec![]
            })
        );
        assert_eq!(
            parse(b"RCPT TO:<\"bob\"@hamburger.edu>"),
            Ok(Command::Rcpt {
                to: ForwardPath::Mailbox(addr("bob", "hamburger.edu")),
                params: vec![]
            })
        );
        match parse(b"RCPT TO:<\"john doe\"@x.org>") {
            Ok(Command::Rcpt {
                to: ForwardPath::Mailbox(a),
                ..
            }) => {
                assert_eq!(a.local, "\"john doe\"");
            }
            other => panic!("{other:?}"),
        }
        match parse("RCPT TO:<josé@hamburger.edu>".as_bytes()) {
            Ok(Command::Rcpt {
                to: ForwardPath::Mailbox(a),
                ..
            }) => assert!(!a.is_ascii()),
            other => panic!("{other:?}"),
        }
        assert!(parse(b"RCPT TO:<user@[192.0.2.1]>").is_ok());
        assert!(parse(b"RCPT TO:<user@[IPv6:2001:db8::1]>").is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(parse(b"XYZZY plugh"), Err(CommandError::Unrecognized));
        assert_eq!(parse(b"\xff\xfe"), Err(CommandError::NotUtf8));
        assert_eq!(parse(b"HELO a\x00b"), Err(CommandError::ControlChars));
        assert_eq!(
            parse(b"MAIL FROM:<a@b>\rRCPT TO:<c@d>"),
            Err(CommandError::ControlChars)
        );
        assert!(matches!(parse(b"MAIL"), Err(CommandError::Syntax(_))));
        assert!(matches!(
            parse(b"MAIL FROM:<a@b"),
            Err(CommandError::BadAddress(_))
        ));
        assert!(matches!(
            parse(b"MAIL FROM:<a>"),
            Err(CommandError::BadAddress(_))
        ));
        assert!(matches!(
            parse(b"RCPT TO:<a..b@c>"),
            Err(CommandError::BadAddress(_))
        ));
        assert!(matches!(
            parse(b"RCPT TO:<a@-bad-.com>"),
            Err(CommandError::BadAddress(_))
        ));
        assert!(matches!(
            parse(b"RCPT TO:<>"),
            Err(CommandError::BadAddress(_))
        ));
        assert!(matches!(parse(b"DATA now"), Err(CommandError::Syntax(_))));
        assert!(matches!(parse(b"EHLO"), Err(CommandError::Syntax(_))));
        assert!(matches!(
            parse(b"MAIL FROM:<a@b> SIZE="),
            Err(CommandError::Syntax(_))
        ));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let samples: [&[u8]; 8] = [
            b"",
            b" ",
            b"MAIL FROM:",
            b"MAIL FROM:<",
            b"RCPT TO:<\"",
            b"RCPT TO:<\"\\",
            b"RCPT TO:<@:>",
            "RCPT TO:<é@é>".as_bytes(),
        ];
        for s in samples {
            let _ = parse(s);
        }
    }
}

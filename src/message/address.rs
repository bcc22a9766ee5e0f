//! RFC 5322 §3.4 address lists (mailboxes, groups), parsed strictly enough
//! to validate and leniently enough to read real mail: obsolete forms
//! (§4.4: routes, empty list elements, dotted display names, CFWS around
//! dots) are accepted and reported, anything else is an error with a reason.

use super::error::SyntaxError;
use super::words;

/// One mailbox: an optional display name (decoded) and its addr-spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, RFC 2047 words decoded; `None` when absent.
    pub name: Option<String>,
    /// `local-part@domain`, quotes kept where the local part needs them.
    pub address: String,
}

/// A parsed address list: its mailboxes (group members flattened) and
/// what the validator should hear about.
#[derive(Debug, Default, Clone)]
pub struct AddressList {
    /// Every mailbox, in order, group members included.
    pub mailboxes: Vec<Mailbox>,
    /// Obsolete syntax found (RFC 5322 §4.4), one description each.
    pub obsolete: Vec<&'static str>,
    /// Display-name encoded words that did not decode (RFC 2047).
    pub bad_words: Vec<words::WordProblem>,
    /// Number of groups seen (`name: members;`).
    pub groups: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Atom(String),
    Quoted(String),
    Literal(String),
    Special(char),
}

/// The mailboxes of a field that no parser could read, taken as they
/// stand: the items between commas (outside quotes and angle brackets),
/// each `name <address>` or a bare address, even one without a domain
/// (`To: foo`, which Python's email also shows as an address).
pub fn lenient_list(value: &str) -> Vec<Mailbox> {
    let mut items = Vec::new();
    let (mut start, mut quoted, mut angle) = (0, false, false);
    let b = value.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                items.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&value[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .filter_map(|item| match item.split_once('<') {
            Some((name, rest)) => {
                let address = rest.split('>').next().unwrap_or("").trim().to_owned();
                let name = name.trim().trim_matches('"').trim();
                (!address.is_empty()).then(|| Mailbox {
                    name: (!name.is_empty()).then(|| name.to_owned()),
                    address,
                })
            }
            None => Some(Mailbox {
                name: None,
                address: item.to_owned(),
            }),
        })
        .collect()
}

/// Splits a header value into RFC 5322 lexical tokens, dropping comments
/// and folding white space. Returns the tokens and whether white space or a
/// comment came before each one.
fn lex(s: &str) -> Result<Vec<(Tok, bool)>, SyntaxError> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    let mut space = false;
    while let Some(&(_, c)) = it.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                it.next();
                space = true;
            }
            '(' => {
                let mut depth = 0usize;
                loop {
                    match it.next() {
                        Some((_, '(')) => depth += 1,
                        Some((_, ')')) => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some((_, '\\')) => {
                            it.next();
                        }
                        Some(_) => {}
                        None => return Err("unterminated comment".into()),
                    }
                }
                space = true;
            }
            '"' => {
                it.next();
                let mut v = String::new();
                loop {
                    match it.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match it.next() {
                            Some((_, q)) => v.push(q),
                            None => return Err("unterminated quoted string".into()),
                        },
                        Some((_, '\r' | '\n')) => {}
                        Some((_, q)) => v.push(q),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
                out.push((Tok::Quoted(v), space));
                space = false;
            }
            '[' => {
                it.next();
                let mut v = String::from("[");
                loop {
                    match it.next() {
                        Some((_, ']')) => break,
                        Some((_, '[')) => return Err("'[' inside a domain literal".into()),
                        Some((_, '\\')) => {
                            if let Some((_, q)) = it.next() {
                                v.push(q);
                            }
                        }
                        Some((_, q)) => v.push(q),
                        None => return Err("unterminated domain literal".into()),
                    }
                }
                v.push(']');
                out.push((Tok::Literal(v), space));
                space = false;
            }
            ')' => return Err("unbalanced ')'".into()),
            '<' | '>' | '@' | ',' | ';' | ':' | '.' | ']' | '\\' => {
                it.next();
                out.push((Tok::Special(c), space));
                space = false;
            }
            _ if c.is_control() => {
                return Err(format!("control character U+{:04X}", c as u32).into())
            }
            _ => {
                let mut v = String::new();
                while let Some(&(_, a)) = it.peek() {
                    if is_atext(a) {
                        v.push(a);
                        it.next();
                    } else {
                        break;
                    }
                }
                if v.is_empty() {
                    return Err(format!("unexpected {c:?}").into());
                }
                out.push((Tok::Atom(v), space));
                space = false;
            }
        }
    }
    Ok(out)
}

/// atext (RFC 5322 §3.2.3), with non-ASCII allowed as RFC 6532 does.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

struct Parser<'a> {
    toks: &'a [(Tok, bool)],
    pos: usize,
    list: AddressList,
    /// The last phrase held an unquoted '.' (obs-phrase when it is a name).
    phrase_dot: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn is(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Special(c))
    }

    fn obsolete(&mut self, what: &'static str) {
        if !self.list.obsolete.contains(&what) {
            self.list.obsolete.push(what);
        }
    }

    /// A phrase: words (atoms, quoted strings), with obsolete '.' allowed
    /// (recorded by [`Parser::display_name`] once it is known to be a name).
    fn phrase(&mut self) -> Vec<String> {
        let mut words = Vec::new();
        self.phrase_dot = false;
        while let Some(t) = self.peek() {
            match t {
                Tok::Atom(a) => words.push(a.clone()),
                Tok::Quoted(q) => words.push(q.clone()),
                Tok::Special('.') => {
                    self.phrase_dot = true;
                    match words.last_mut() {
                        Some(w) if !self.toks[self.pos].1 => w.push('.'),
                        _ => words.push(".".into()),
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        words
    }

    /// local-part "@" domain, the local part's words already read.
    fn addr_spec_from(
        &mut self,
        local_words: Vec<String>,
        start: usize,
    ) -> Result<String, SyntaxError> {
        // Rebuild the local part from its tokens (dot-atom, quoted string or obs-local-part).
        let toks = &self.toks[start..self.pos];
        let mut local = String::new();
        let mut expect_word = true;
        for (i, (t, space)) in toks.iter().enumerate() {
            if *space && i > 0 {
                self.obsolete("white space or comments inside a local part (obs-local-part)");
            }
            match (t, expect_word) {
                (Tok::Atom(a), true) => local.push_str(a),
                (Tok::Quoted(q), true) => {
                    if toks.len() > 1 {
                        self.obsolete("quoted words joined with '.' (obs-local-part)");
                    }
                    local.push_str(&quote_local(q));
                }
                (Tok::Special('.'), false) => local.push('.'),
                _ => return Err("a local part must be words joined by single dots".into()),
            }
            expect_word = !expect_word;
        }
        if local_words.is_empty() || expect_word {
            return Err("empty or dot-ended local part before '@'".into());
        }
        if !self.is('@') {
            return Err("an address needs '@' and a domain".into());
        }
        self.pos += 1;
        let domain = self.domain()?;
        Ok(format!("{local}@{domain}"))
    }

    fn domain(&mut self) -> Result<String, SyntaxError> {
        match self.peek().cloned() {
            Some(Tok::Literal(l)) => {
                self.pos += 1;
                Ok(l)
            }
            Some(Tok::Atom(a)) => {
                self.pos += 1;
                let mut d = a;
                while self.is('.') {
                    if self.toks[self.pos].1 {
                        self.obsolete("white space or comments inside a domain (obs-domain)");
                    }
                    self.pos += 1;
                    match self.peek().cloned() {
                        Some(Tok::Atom(a)) => {
                            if self.toks[self.pos].1 {
                                self.obsolete(
                                    "white space or comments inside a domain (obs-domain)",
                                );
                            }
                            self.pos += 1;
                            d.push('.');
                            d.push_str(&a);
                        }
                        _ => return Err("a domain must be labels joined by single dots".into()),
                    }
                }
                Ok(d)
            }
            _ => Err("missing domain after '@'".into()),
        }
    }

    /// `< [route] addr-spec >`, '<' already seen.
    fn angle_addr(&mut self) -> Result<String, SyntaxError> {
        self.pos += 1;
        if self.is('@') {
            // obs-route: "@a,@b:" before the addr-spec.
            self.obsolete("source route in an address (obs-route)");
            while self.is('@') || self.is(',') {
                self.pos += 1;
                if self.is(',') {
                    continue;
                }
                self.domain()?;
            }
            if !self.is(':') {
                return Err("source route without ':'".into());
            }
            self.pos += 1;
        }
        if self.is('>') {
            return Err("empty address '<>'".into());
        }
        let start = self.pos;
        let words = self.phrase_for_local();
        let spec = self.addr_spec_from(words, start)?;
        if !self.is('>') {
            return Err("missing '>' after the address".into());
        }
        self.pos += 1;
        Ok(spec)
    }

    /// Words and dots of a local part, without recording obs-phrase.
    fn phrase_for_local(&mut self) -> Vec<String> {
        let mut words = Vec::new();
        while let Some(t) = self.peek() {
            match t {
                Tok::Atom(a) | Tok::Quoted(a) => words.push(a.clone()),
                Tok::Special('.') => {}
                _ => break,
            }
            self.pos += 1;
        }
        words
    }

    fn display_name(&mut self, words: &[String]) -> Option<String> {
        if words.is_empty() {
            return None;
        }
        if self.phrase_dot {
            self.obsolete("'.' in a display name (obs-phrase)");
        }
        let joined = words.join(" ");
        let (decoded, problems) = words::decode(&joined);
        self.list.bad_words.extend(problems);
        Some(decoded.into_owned())
    }

    /// One mailbox; `words` is its phrase, already read from `start`.
    fn mailbox(&mut self, words: Vec<String>, start: usize) -> Result<Mailbox, SyntaxError> {
        if self.is('<') {
            let address = self.angle_addr()?;
            let name = self.display_name(&words);
            return Ok(Mailbox { name, address });
        }
        if self.is('@') {
            // An addr-spec: re-read the phrase's tokens as a local part.
            let end = self.pos;
            self.pos = start;
            let local = self.phrase_for_local();
            if self.pos != end {
                return Err("unexpected text before '@'".into());
            }
            let address = self.addr_spec_from(local, start)?;
            return Ok(Mailbox {
                name: None,
                address,
            });
        }
        match self.peek() {
            None | Some(Tok::Special(',' | ';')) if words.is_empty() => Err("empty address".into()),
            None | Some(Tok::Special(',' | ';')) => {
                Err(format!("{:?} is not an address (no '@')", words.join(" ")).into())
            }
            Some(t) => Err(format!("unexpected {}", describe(t)).into()),
        }
    }

    fn address(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let words = self.phrase();
        if self.is(':') {
            self.pos += 1;
            self.list.groups += 1;
            self.display_name(&words);
            if words.is_empty() {
                return Err("a group needs a name before ':'".into());
            }
            loop {
                if self.is(';') {
                    self.pos += 1;
                    return Ok(());
                }
                if self.is(',') {
                    self.obsolete("empty element in a group list (obs-group-list)");
                    self.pos += 1;
                    continue;
                }
                if self.peek().is_none() {
                    return Err("group without its closing ';'".into());
                }
                let s = self.pos;
                let w = self.phrase_for_words();
                let m = self.mailbox(w, s)?;
                self.list.mailboxes.push(m);
                if self.is(',') {
                    self.pos += 1;
                }
            }
        }
        let m = self.mailbox(words, start)?;
        self.list.mailboxes.push(m);
        Ok(())
    }

    fn phrase_for_words(&mut self) -> Vec<String> {
        self.phrase()
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Atom(a) => format!("{a:?}"),
        Tok::Quoted(q) => format!("quoted string {q:?}"),
        Tok::Literal(l) => format!("domain literal {l}"),
        Tok::Special(c) => format!("'{c}'"),
    }
}

/// A quoted local part, re-quoted only when it is not a valid dot-atom.
fn quote_local(q: &str) -> String {
    let dot_atom = !q.is_empty()
        && q.split('.')
            .all(|p| !p.is_empty() && p.chars().all(is_atext));
    if dot_atom {
        q.to_owned()
    } else {
        let mut s = String::with_capacity(q.len() + 2);
        s.push('"');
        for c in q.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        s
    }
}

/// Parses an address-list (RFC 5322 §3.4), `allow_empty` for Bcc (§3.6.3)
/// and an empty group. Errors say what is wrong, for the diagnostic.
pub fn parse_list(value: &str, allow_empty: bool) -> Result<AddressList, SyntaxError> {
    let toks = lex(value)?;
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        list: AddressList::default(),
        phrase_dot: false,
    };
    if toks.is_empty() {
        return if allow_empty {
            Ok(p.list)
        } else {
            Err("no address".into())
        };
    }
    let mut need_sep = false;
    while p.peek().is_some() {
        if p.is(',') {
            if !need_sep {
                p.obsolete("empty element in an address list (obs-addr-list)");
            }
            p.pos += 1;
            need_sep = false;
            continue;
        }
        if need_sep {
            let t = p.peek().map(describe).unwrap_or_default();
            return Err(format!("expected ',' between addresses, found {t}").into());
        }
        p.address()?;
        need_sep = true;
    }
    Ok(p.list)
}

/// The local part of an address (before the last '@').
pub fn local_part(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(l, _)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(s: &str) -> Vec<(Option<String>, String)> {
        parse_list(s, false)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .mailboxes
            .into_iter()
            .map(|m| (m.name, m.address))
            .collect()
    }

    #[test]
    fn mailboxes_names_groups() {
        assert_eq!(
            addrs("Bob <bob@hamburger.edu>, carol@hamburger.edu"),
            vec![
                (Some("Bob".into()), "bob@hamburger.edu".into()),
                (None, "carol@hamburger.edu".into())
            ]
        );
        assert_eq!(
            addrs("\"Liddell, Alice\" (comment) <alice@crepes.fr>"),
            vec![(Some("Liddell, Alice".into()), "alice@crepes.fr".into())]
        );
        assert_eq!(
            addrs("=?utf-8?q?J=C3=B6rg?= <j@x.de>"),
            vec![(Some("Jörg".into()), "j@x.de".into())]
        );
        assert_eq!(
            addrs("friends: a@x.org, B <b@y.org>;, c@z.org"),
            vec![
                (None, "a@x.org".into()),
                (Some("B".into()), "b@y.org".into()),
                (None, "c@z.org".into())
            ]
        );
        assert_eq!(addrs("\"john doe\"@x.org")[0].1, "\"john doe\"@x.org");
        assert_eq!(addrs("u@[127.0.0.1]")[0].1, "u@[127.0.0.1]");
        assert!(parse_list("undisclosed-recipients:;", false).is_ok());
    }

    #[test]
    fn obsolete_forms_are_accepted_and_reported() {
        let l = parse_list("<@relay.org:bob@x.org>", false).unwrap();
        assert_eq!(l.mailboxes[0].address, "bob@x.org");
        assert_eq!(l.obsolete.len(), 1);
        let l = parse_list("a@x.org,,b@y.org", false).unwrap();
        assert_eq!(l.mailboxes.len(), 2);
        assert!(!l.obsolete.is_empty());
        let l = parse_list("John Q. Public <jqp@x.org>", false).unwrap();
        assert_eq!(l.mailboxes[0].name.as_deref(), Some("John Q. Public"));
        assert!(!l.obsolete.is_empty());
    }

    #[test]
    fn errors_say_why() {
        for bad in [
            "bob",
            "bob@",
            "<bob@x.org",
            "a@x.org b@y.org",
            "a..b@x.org",
            "\"unterminated@x.org",
            "(open <a@x.org>",
            "<>",
            "",
        ] {
            assert!(parse_list(bad, false).is_err(), "{bad} should fail");
        }
        assert!(parse_list("", true).is_ok());
    }
}

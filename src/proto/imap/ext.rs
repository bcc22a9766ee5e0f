//! The parts of extension commands the pinned `imap-codec` does not
//! parse, taken off the command line before it does: SEARCH's `RETURN
//! (...)` (ESEARCH, RFC 4731; SAVE from SEARCHRES, RFC 5182), LIST's
//! selection options, several patterns and `RETURN (...)` (LIST-EXTENDED,
//! RFC 5258; STATUS from LIST-STATUS, RFC 5819), and the `$` of SEARCHRES
//! in sequence sets. Only the command's first line (before any literal)
//! is looked at; what is taken off is what `imap-codec` then parses the
//! plain form of.

/// One token of a command line: an atom, a quoted string (as written,
/// quotes included), or a parenthesized list (as written).
fn tokens(line: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        match line[i] {
            b'"' => {
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    if line[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= line.len() {
                    return None;
                }
                i += 1;
            }
            b'(' => {
                let mut depth = 0usize;
                let mut quoted = false;
                while i < line.len() {
                    match line[i] {
                        b'\\' if quoted => i += 1,
                        b'"' => quoted = !quoted,
                        b'(' if !quoted => depth += 1,
                        b')' if !quoted => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if i >= line.len() {
                    return None;
                }
                i += 1;
            }
            _ => {
                // An atom; a `[...]` in it (BODY[HEADER.FIELDS (A B)])
                // is part of it, spaces and parentheses included.
                let mut bracket = 0usize;
                while i < line.len() && (bracket > 0 || (line[i] != b' ' && line[i] != b'(')) {
                    match line[i] {
                        b'[' => bracket += 1,
                        b']' => bracket = bracket.saturating_sub(1),
                        _ => {}
                    }
                    i += 1;
                }
            }
        }
        out.push(&line[start..i]);
    }
    Some(out)
}

/// The words inside a parenthesized token, upper-cased (nested lists
/// kept as one word).
fn words(list: &[u8]) -> Vec<String> {
    let inner = list
        .strip_prefix(b"(")
        .and_then(|l| l.strip_suffix(b")"))
        .unwrap_or(b"");
    tokens(inner)
        .unwrap_or_default()
        .into_iter()
        .map(|t| String::from_utf8_lossy(t).to_ascii_uppercase())
        .collect()
}

/// SEARCH's RETURN options (RFC 4731 §3.1, RFC 5182 §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchReturn {
    /// MIN.
    pub min: bool,
    /// MAX.
    pub max: bool,
    /// ALL (also what `RETURN ()` means).
    pub all: bool,
    /// COUNT.
    pub count: bool,
    /// SAVE: keep the result as `$`.
    pub save: bool,
}

/// LIST-EXTENDED options (RFC 5258 §3) and LIST-STATUS (RFC 5819).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListExtended {
    /// Selection SUBSCRIBED: only subscribed names.
    pub subscribed: bool,
    /// Selection SPECIAL-USE (RFC 6154 §3): only special-use folders.
    pub special_use: bool,
    /// RETURN (SUBSCRIBED): say `\Subscribed`.
    pub return_subscribed: bool,
    /// Patterns after the first, as written.
    pub more_patterns: Vec<Vec<u8>>,
    /// RETURN (STATUS (...)): the parenthesized item list as written.
    pub status: Option<Vec<u8>>,
}

/// What was taken off a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Nothing: the line is for `imap-codec` as it is.
    Nothing,
    /// SEARCH with RETURN options.
    Search(SearchReturn),
    /// LIST with extended options or several patterns.
    List(ListExtended),
}

/// Takes the extension syntax off `message` (a whole command with its
/// literals); returns the plain command and what was taken. Unknown
/// options are an error (the text for BAD).
pub fn take(message: &[u8]) -> Result<(Vec<u8>, Taken), String> {
    let end = memchr::memchr(b'\n', message).unwrap_or(message.len());
    let line = &message[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = &message[line.len()..];
    let Some(t) = tokens(line) else {
        return Ok((message.to_vec(), Taken::Nothing));
    };
    let upper: Vec<String> = t
        .iter()
        .take(4)
        .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
        .collect();
    let at = |i: usize| upper.get(i).map(String::as_str);
    let search_at = match (at(1), at(2)) {
        (Some("SEARCH"), _) => Some(2),
        (Some("UID"), Some("SEARCH")) => Some(3),
        _ => None,
    };
    if let Some(i) = search_at {
        if at(i) != Some("RETURN") || t.len() < i + 2 {
            return Ok((message.to_vec(), Taken::Nothing));
        }
        if !(t[i + 1].starts_with(b"(") && t[i + 1].ends_with(b")")) {
            return Err("RETURN needs a parenthesized list".into());
        }
        let mut r = SearchReturn::default();
        let opts = words(t[i + 1]);
        for o in &opts {
            match o.as_str() {
                "MIN" => r.min = true,
                "MAX" => r.max = true,
                "ALL" => r.all = true,
                "COUNT" => r.count = true,
                "SAVE" => r.save = true,
                other => return Err(format!("unknown SEARCH RETURN option {other}")),
            }
        }
        if opts.is_empty() {
            r.all = true;
        }
        let mut plain = join(&t[..i]);
        plain.push(b' ');
        plain.extend_from_slice(&join(&t[i + 2..]));
        plain.extend_from_slice(rest);
        return Ok((plain, Taken::Search(r)));
    }
    if at(1) != Some("LIST") {
        return Ok((message.to_vec(), Taken::Nothing));
    }
    let mut ext = ListExtended::default();
    let mut i = 2;
    let mut extended = false;
    if t.get(i).is_some_and(|w| w.starts_with(b"(")) {
        extended = true;
        for o in words(t[i]) {
            match o.as_str() {
                "SUBSCRIBED" => ext.subscribed = true,
                "SPECIAL-USE" => ext.special_use = true,
                "REMOTE" | "RECURSIVEMATCH" => {}
                other => return Err(format!("unknown LIST selection option {other}")),
            }
        }
        i += 1;
    }
    let (Some(reference), Some(patterns)) = (t.get(i), t.get(i + 1)) else {
        return Ok((message.to_vec(), Taken::Nothing));
    };
    let mut pats: Vec<Vec<u8>> = if patterns.starts_with(b"(") {
        extended = true;
        let inner = &patterns[1..patterns.len() - 1];
        tokens(inner)
            .unwrap_or_default()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    } else {
        vec![patterns.to_vec()]
    };
    if pats.is_empty() {
        return Err("LIST needs a pattern".into());
    }
    let mut j = i + 2;
    if t.get(j).is_some_and(|w| w.eq_ignore_ascii_case(b"RETURN")) {
        extended = true;
        let Some(opts) = t.get(j + 1) else {
            return Err("RETURN needs options".into());
        };
        let Some(inner) = opts.strip_prefix(b"(").and_then(|o| o.strip_suffix(b")")) else {
            return Err("RETURN needs a parenthesized list".into());
        };
        let parts = tokens(inner).unwrap_or_default();
        let mut k = 0;
        while k < parts.len() {
            let o = String::from_utf8_lossy(parts[k]).to_ascii_uppercase();
            match o.as_str() {
                "SUBSCRIBED" => ext.return_subscribed = true,
                "CHILDREN" | "SPECIAL-USE" => {}
                "STATUS" => {
                    let Some(items) = parts.get(k + 1).filter(|p| p.starts_with(b"(")) else {
                        return Err("RETURN STATUS needs a list of items".into());
                    };
                    ext.status = Some(items.to_vec());
                    k += 1;
                }
                other => return Err(format!("unknown LIST RETURN option {other}")),
            }
            k += 1;
        }
        j += 2;
    }
    if j != t.len() || !extended {
        return Ok((message.to_vec(), Taken::Nothing));
    }
    let first = pats.remove(0);
    ext.more_patterns = pats;
    let mut plain = join(&t[..2]);
    plain.push(b' ');
    plain.extend_from_slice(reference);
    plain.push(b' ');
    plain.extend_from_slice(&first);
    plain.extend_from_slice(rest);
    Ok((plain, Taken::List(ext)))
}

fn join(t: &[&[u8]]) -> Vec<u8> {
    t.join(&b' ')
}

/// Replaces each `$` of SEARCHRES (RFC 5182) on the command line with
/// `set` (the saved result, already rendered as UIDs or sequence numbers
/// by the caller through `render(uid)`: `uid` says whether the position
/// wants UIDs). Returns None when the line has no `$`, and whether a `$`
/// stood for no message at all (the command then has nothing to do).
pub fn dollar(message: &[u8], render: impl Fn(bool) -> String) -> Option<(Vec<u8>, bool)> {
    let end = memchr::memchr(b'\n', message).unwrap_or(message.len());
    let line = &message[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = &message[line.len()..];
    let t = tokens(line)?;
    if !t.iter().any(|w| *w == b"$") {
        return None;
    }
    let uid_cmd = t.get(1).is_some_and(|w| w.eq_ignore_ascii_case(b"UID"));
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(t.len());
    let mut empty = false;
    for (k, w) in t.iter().enumerate() {
        if *w == b"$" {
            let after_uid_key = k > 2 && t[k - 1].eq_ignore_ascii_case(b"UID");
            let set = render(uid_cmd || after_uid_key);
            empty |= set.is_empty();
            out.push(set.into_bytes());
        } else {
            out.push(w.to_vec());
        }
    }
    let mut plain = out.join(&b' ');
    plain.extend_from_slice(rest);
    Some((plain, empty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    #[test]
    fn search_return_options_are_taken_off() {
        let (p, t) = take(b"a UID SEARCH RETURN (MIN COUNT) UNSEEN\r\n").unwrap();
        assert_eq!(s(&p), "a UID SEARCH UNSEEN\r\n");
        let Taken::Search(r) = t else { panic!() };
        assert!(r.min && r.count && !r.all && !r.save);
        let (p, t) = take(b"b search return () subject {3}\r\nabc\r\n").unwrap();
        assert_eq!(s(&p), "b search subject {3}\r\nabc\r\n");
        assert_eq!(
            t,
            Taken::Search(SearchReturn {
                all: true,
                ..Default::default()
            })
        );
        assert!(take(b"c SEARCH RETURN (FOO) ALL\r\n").is_err());
        let (p, t) = take(b"d SEARCH ALL\r\n").unwrap();
        assert_eq!((s(&p), t), ("d SEARCH ALL\r\n".into(), Taken::Nothing));
    }

    #[test]
    fn list_extended_forms_are_taken_off() {
        let (p, t) = take(b"a LIST (SUBSCRIBED) \"\" (\"INBOX\" \"Sent\" %) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n").unwrap();
        assert_eq!(s(&p), "a LIST \"\" \"INBOX\"\r\n");
        let Taken::List(e) = t else { panic!() };
        assert!(e.subscribed && !e.return_subscribed);
        assert_eq!(e.more_patterns, [b"\"Sent\"".to_vec(), b"%".to_vec()]);
        assert_eq!(e.status.as_deref(), Some(&b"(MESSAGES UNSEEN)"[..]));
        let (p, t) = take(b"b LIST \"\" * RETURN (SUBSCRIBED)\r\n").unwrap();
        assert_eq!(s(&p), "b LIST \"\" *\r\n");
        let Taken::List(e) = t else { panic!() };
        assert!(e.return_subscribed && !e.subscribed);
        let (p, t) = take(b"c LIST \"\" \"(odd)\"\r\n").unwrap();
        assert_eq!(
            (s(&p), t),
            ("c LIST \"\" \"(odd)\"\r\n".into(), Taken::Nothing)
        );
        assert!(take(b"d LIST (BOGUS) \"\" *\r\n").is_err());
        // Found by the imap_session fuzz target: RETURN with a one-octet
        // atom instead of a list.
        assert!(take(b"e LIST \"\" * RETURN x\r\n").is_err());
        assert!(take(b"f SEARCH RETURN x ALL\r\n").is_err());
        assert!(take(b"g LIST \"\" * RETURN (\r\n").is_ok());
    }

    #[test]
    fn dollar_becomes_the_saved_set_as_uids_or_numbers() {
        let r = |uid: bool| {
            if uid {
                "7:9".to_string()
            } else {
                "2:4".to_string()
            }
        };
        let dollar = |m: &[u8], r: fn(bool) -> String| super::dollar(m, r).map(|(b, _)| b);
        assert!(
            super::dollar(b"a FETCH $ FLAGS\r\n", |_| String::new())
                .unwrap()
                .1
        );
        assert_eq!(
            s(&dollar(b"a FETCH $ (FLAGS)\r\n", r).unwrap()),
            "a FETCH 2:4 (FLAGS)\r\n"
        );
        assert_eq!(
            s(&dollar(b"a UID FETCH $ (FLAGS)\r\n", r).unwrap()),
            "a UID FETCH 7:9 (FLAGS)\r\n"
        );
        assert_eq!(
            s(&dollar(b"a SEARCH UID $ SUBJECT \"$\"\r\n", r).unwrap()),
            "a SEARCH UID 7:9 SUBJECT \"$\"\r\n"
        );
        assert!(dollar(b"a FETCH 1 (FLAGS)\r\n", r).is_none());
        assert_eq!(
            s(&dollar(b"a FETCH $ BODY.PEEK[HEADER.FIELDS (FROM TO)]\r\n", r).unwrap()),
            "a FETCH 2:4 BODY.PEEK[HEADER.FIELDS (FROM TO)]\r\n"
        );
    }
}

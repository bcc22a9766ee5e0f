//! The message model `parse` shows: header fields decoded and the MIME
//! tree (RFC 2045-2046) with types, charsets, encodings, sizes and file
//! names. mailparse does the MIME parsing; this module adds positions (for
//! line numbers), attached messages as children (RFC 2046 §5.2.1) and a
//! nesting limit.

use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

use super::{address, date};

/// Deepest MIME nesting followed (multiparts and attached messages
/// together); deeper parts are shown as leaves and reported.
pub const MAX_DEPTH: usize = 32;

/// One MIME part, borrowed from the message bytes.
#[derive(Debug)]
pub struct Part<'a> {
    /// `type/subtype`, lowercased (`text/plain` by default, RFC 2045 §5.2).
    pub content_type: String,
    /// The charset parameter; `us-ascii` for text/* without one.
    pub charset: Option<String>,
    /// Content-Transfer-Encoding, lowercased; `None` when absent (7bit).
    pub encoding: Option<String>,
    /// Content-Disposition type (`inline`, `attachment`, ...).
    pub disposition: Option<String>,
    /// The file name: Content-Disposition `filename`, else Content-Type
    /// `name` (RFC 2231 and RFC 2047 forms decoded).
    pub filename: Option<String>,
    /// The boundary parameter of a multipart.
    pub boundary: Option<String>,
    /// Offset of the part (its header) in the message.
    pub offset: usize,
    /// Offset of the body in the message.
    pub body_offset: usize,
    /// The body as in the message (still transfer-encoded).
    pub body: &'a [u8],
    /// Sub-parts: a multipart's parts, or an attached message's root part.
    pub parts: Vec<Part<'a>>,
    /// This part's first child is an attached message (message/rfc822,
    /// message/global): its header is a message header.
    pub attached_message: bool,
    /// Nesting went past [`MAX_DEPTH`] here; nothing below is parsed.
    pub too_deep: bool,
    /// The Content-Type as given when it is not `type/subtype` (`text`):
    /// the part is then read as text/plain; charset=us-ascii (RFC 2045
    /// §5.2) and the validator names the defect.
    pub invalid_type: Option<String>,
    /// Its own mailparse view (headers, decoding).
    raw: ParsedMail<'a>,
}

/// A whole message: decoded header fields, summary fields and the tree.
#[derive(Debug)]
pub struct Message<'a> {
    /// Header fields as in the message: name, value unfolded and decoded.
    pub headers: Vec<(String, String)>,
    /// The root part; `None` when the MIME structure could not be parsed.
    pub root: Option<Part<'a>>,
    /// Why the MIME structure could not be parsed.
    pub error: Option<String>,
    /// The message was read only up to a limit ([`MAX_FIELDS`],
    /// [`MAX_PARTS`]): what was too many, and where the rest starts.
    pub truncated: Option<Truncated>,
}

/// Most header fields of one header section the model reads.
pub const MAX_FIELDS: usize = 10_000;

/// Most MIME boundary lines (so parts) the model reads in one message.
pub const MAX_PARTS: usize = 10_000;

/// Where and why a message was read only in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    /// Byte offset of the first part not read.
    pub offset: usize,
    /// What there was too much of, for the diagnostic.
    pub what: String,
    /// The rule that counts what was cut (header fields or MIME parts).
    pub rule: &'static str,
}

/// The part of `data` the model reads: all of it, or a prefix that ends
/// before the header field past [`MAX_FIELDS`] or the boundary line past
/// [`MAX_PARTS`], so memory stays proportional to a bounded input (a
/// million empty parts took 2.5 GB). A prefix of the same buffer, so
/// every offset stays valid.
fn bounded(data: &[u8]) -> (&[u8], Option<Truncated>) {
    let next_line =
        |from: usize| memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i + 1);
    let mut pos = 0;
    let mut fields = 0;
    while pos < data.len() {
        let end = next_line(pos);
        let line = &data[pos..end];
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        if text.strip_suffix(b"\r").unwrap_or(text).is_empty() {
            pos = end;
            break;
        }
        if !matches!(line[0], b' ' | b'\t') {
            fields += 1;
            if fields > MAX_FIELDS {
                let what = format!("more than {MAX_FIELDS} header fields");
                let rule = "RFC 5322 §3.6";
                return (
                    &data[..pos],
                    Some(Truncated {
                        offset: pos,
                        what,
                        rule,
                    }),
                );
            }
        }
        pos = end;
    }
    // Lines that start with "--" (boundary lines and a few others): one
    // at the body's start, then every "\n--", found with memmem's SIMD
    // search rather than line by line.
    let body = &data[pos.min(data.len())..];
    // Each such line takes at least 3 bytes ("--" and its line end): a
    // body shorter than that many cannot have too many (most mail).
    if body.len() < 3 * (MAX_PARTS + 1) {
        return (data, None);
    }
    let first = usize::from(body.starts_with(b"--"));
    let past = MAX_PARTS.saturating_sub(first);
    if let Some(i) = memchr::memmem::find_iter(body, b"\n--").nth(past) {
        let offset = pos + i + 1;
        let what = format!("more than {MAX_PARTS} MIME boundary lines");
        let rule = "RFC 2046 §5.1";
        return (&data[..offset], Some(Truncated { offset, what, rule }));
    }
    (data, None)
}

impl<'a> Part<'a> {
    /// Whether this is a multipart/*.
    pub fn is_multipart(&self) -> bool {
        self.content_type.starts_with("multipart/")
    }

    /// Whether this is a text/* part.
    pub fn is_text(&self) -> bool {
        self.content_type.starts_with("text/")
    }

    /// Whether `--extract` writes it: a leaf marked attachment, or a leaf
    /// with a file name.
    pub fn is_attachment(&self) -> bool {
        self.parts.is_empty()
            && !self.is_multipart()
            && (self.disposition.as_deref() == Some("attachment") || self.filename.is_some())
    }

    /// The body with its transfer encoding undone (bytes, no charset work).
    pub fn decoded(&self) -> Vec<u8> {
        self.try_decoded().unwrap_or_else(|_| self.body.to_vec())
    }

    /// The body with its transfer encoding undone, or why it cannot be
    /// (invalid base64, for one): for `--part` and `--extract`, which
    /// must not pass the raw text off as the decoded content.
    pub fn try_decoded(&self) -> Result<Vec<u8>, mailparse::MailParseError> {
        self.raw.get_body_raw()
    }

    /// A text part's body decoded to UTF-8 (charset converted; bytes that
    /// do not convert become U+FFFD).
    pub fn text(&self) -> String {
        self.text_of(&self.decoded())
    }

    /// `bytes`, this part's decoded body, in UTF-8 from its charset (for
    /// a caller that has decoded it already).
    pub fn text_of(&self, bytes: &[u8]) -> String {
        let label = self.charset.as_deref().unwrap_or("us-ascii");
        match super::words::to_utf8(label, bytes) {
            Ok(s) => s,
            Err(_) => match charset::Charset::for_label(label.as_bytes()) {
                Some(cs) => cs.decode_without_bom_handling(bytes).0.into_owned(),
                None => String::from_utf8_lossy(bytes).into_owned(),
            },
        }
    }

    /// The Content-ID (RFC 2045 §7) without its `<>`, if the part has one.
    pub fn content_id(&self) -> Option<String> {
        self.raw
            .headers
            .get_first_value("Content-ID")
            .map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
    }

    /// Pre-order walk, this part first (like Python's `Message.walk()`).
    pub fn walk(&self) -> Vec<&Part<'a>> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(p) = stack.pop() {
            out.push(p);
            stack.extend(p.parts.iter().rev());
        }
        out
    }
}

/// Whether `t` is `type/subtype`, both RFC 2045 §5.1 tokens.
fn valid_media_type(t: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&c))
    };
    matches!(t.split_once('/'), Some((a, b)) if token(a) && token(b))
}

fn offset_in(base: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(base.as_ptr() as usize)
}

/// Builds a part from mailparse's view; `base` is the whole message.
fn build<'a>(base: &'a [u8], pm: ParsedMail<'a>, depth: usize) -> Part<'a> {
    let offset = offset_in(base, pm.raw_bytes);
    let header_len = pm.get_headers().get_raw_bytes().len();
    let body = &pm.raw_bytes[header_len.min(pm.raw_bytes.len())..];
    let mut content_type = pm.ctype.mimetype.clone();
    let mut charset = pm.ctype.params.get("charset").cloned().or_else(|| {
        content_type
            .starts_with("text/")
            .then(|| "us-ascii".to_owned())
    });
    // RFC 2045 §5.2: a Content-Type that is not type "/" subtype (both
    // tokens) is read as the default, text/plain; charset=us-ascii.
    let invalid_type = (!valid_media_type(&content_type)).then(|| {
        let given = std::mem::replace(&mut content_type, "text/plain".to_owned());
        charset = Some("us-ascii".to_owned());
        given
    });
    let encoding = pm
        .headers
        .get_first_value("Content-Transfer-Encoding")
        // A structured field: a comment after the mechanism is not part
        // of it ("base64 (encoded)", RFC 2045 §6.1, RFC 822 §3.4.3).
        .map(|v| {
            v.split('(')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let has_disposition = pm.headers.get_first_header("Content-Disposition").is_some();
    let cd = pm.get_content_disposition();
    let disposition = has_disposition.then(|| match &cd.disposition {
        DispositionType::Inline => "inline".to_owned(),
        DispositionType::Attachment => "attachment".to_owned(),
        DispositionType::FormData => "form-data".to_owned(),
        DispositionType::Extension(e) => e.clone(),
    });
    let filename = cd
        .params
        .get("filename")
        .or_else(|| pm.ctype.params.get("name"))
        .map(|n| super::words::decode(n).0.into_owned())
        .filter(|n| !n.is_empty());
    let boundary = pm.ctype.params.get("boundary").cloned();
    let mut part = Part {
        content_type,
        charset,
        encoding,
        disposition,
        filename,
        boundary,
        offset,
        body_offset: offset + header_len,
        body,
        parts: Vec::new(),
        attached_message: false,
        too_deep: false,
        invalid_type,
        raw: pm,
    };
    let subparts = std::mem::take(&mut part.raw.subparts);
    if depth >= MAX_DEPTH {
        part.too_deep = !subparts.is_empty() || is_message(&part.content_type);
        return part;
    }
    part.parts = subparts
        .into_iter()
        .map(|sp| build(base, sp, depth + 1))
        .collect();
    // The parts are what RFC 2046 §5.1.1's delimiter lines ("--B" and
    // white space, alone on a line) separate. mailparse also splits at a
    // line that only starts with "--B" ("--Bx"), and reads a body with no
    // delimiter at all as one part: where its count differs from the
    // delimiter lines', the body is split here instead.
    if let (true, Some(b)) = (
        part.content_type.starts_with("multipart/"),
        part.boundary.clone(),
    ) {
        let slices = split_parts(body, &b);
        if slices.len() != part.parts.len() {
            part.parts = slices
                .into_iter()
                .filter_map(|s| mailparse::parse_mail(s).ok())
                .map(|pm| build(base, pm, depth + 1))
                .collect();
        }
    }
    let identity = matches!(
        part.encoding.as_deref(),
        None | Some("7bit" | "8bit" | "binary")
    );
    // An empty body is an empty message (a text/plain root with no
    // fields), as Python's email reads it.
    if part.parts.is_empty() && is_message(&part.content_type) && identity {
        if let Ok(inner) = mailparse::parse_mail(bounded(body).0) {
            part.parts.push(build(base, inner, depth + 1));
            part.attached_message = true;
        }
    }
    // message/external-body (RFC 2046 §5.2.3): its body is the header of
    // the phantom part (and that part's empty or ignored body), shown as
    // its one child, as Python's email does.
    if part.parts.is_empty() && part.content_type == "message/external-body" && !body.is_empty() {
        if let Ok(inner) = mailparse::parse_mail(bounded(body).0) {
            part.parts.push(build(base, inner, depth + 1));
        }
    }
    part
}

/// message/rfc822 and message/global carry a whole message (RFC 2046
/// §5.2.1, RFC 6532 §3.7).
/// The body parts of a multipart body (RFC 2046 §5.1.1): what lies
/// between its delimiter lines (`--B` then only white space; the line end
/// before a delimiter belongs to it), up to the close delimiter `--B--`.
fn split_parts<'b>(body: &'b [u8], boundary: &str) -> Vec<&'b [u8]> {
    let b = boundary.as_bytes();
    let delimiter = |line: &[u8]| -> Option<bool> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let rest = line.strip_prefix(b"--")?.strip_prefix(b)?;
        let (close, rest) = match rest.strip_prefix(b"--") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        rest.iter()
            .all(|c| *c == b' ' || *c == b'\t')
            .then_some(close)
    };
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut at = 0;
    while at <= body.len() {
        let end = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |i| at + i);
        if let Some(close) = delimiter(&body[at..end]) {
            if let Some(s) = start {
                // The CRLF (or LF) before the delimiter is the delimiter's.
                let mut e = at.saturating_sub(1).max(s);
                if e > s && body[e - 1] == b'\r' {
                    e -= 1;
                }
                parts.push(&body[s..e]);
            }
            if close {
                return parts;
            }
            start = Some((end + 1).min(body.len()));
        }
        at = end + 1;
    }
    if let Some(s) = start {
        parts.push(&body[s..]);
    }
    parts
}

fn is_message(content_type: &str) -> bool {
    matches!(content_type, "message/rfc822" | "message/global")
}

/// Parses a message. Never fails: a structure mailparse cannot read gives
/// `root: None` and the reason in `error`.
pub fn parse(data: &[u8]) -> Message<'_> {
    let (readable, truncated) = bounded(data);
    // A header section whose first lines start with white space (a
    // continuation with nothing to continue) is read from the first
    // field, as Python's email does; the validator reports those lines.
    let parsed = mailparse::parse_mail(readable).or_else(|e| {
        let mut skip = 0;
        while readable
            .get(skip)
            .is_some_and(|c| *c == b' ' || *c == b'\t')
        {
            skip =
                memchr::memchr(b'\n', &readable[skip..]).map_or(readable.len(), |i| skip + i + 1);
        }
        if skip > 0 {
            mailparse::parse_mail(&readable[skip..]).map_err(|_| e)
        } else {
            Err(e)
        }
    });
    match parsed {
        Ok(pm) => {
            let headers = pm
                .headers
                .iter()
                // Unfolded by RFC 5322 §2.2.3 (mailparse's get_value turns
                // a folded TAB into a space), then RFC 2047 words decoded.
                .map(|h| {
                    let v = super::header::unfold(h.get_value_raw());
                    (h.get_key(), super::words::decode(&v).0.into_owned())
                })
                .collect();
            Message {
                headers,
                root: Some(build(data, pm, 0)),
                error: None,
                truncated,
            }
        }
        Err(e) => {
            let section = super::header::scan(readable);
            let headers = section
                .fields
                .iter()
                .map(|f| {
                    let name = String::from_utf8_lossy(f.name).into_owned();
                    let value = super::words::decode(&f.unfolded()).0.into_owned();
                    (name, value)
                })
                .collect();
            Message {
                headers,
                root: None,
                error: Some(e.to_string()),
                truncated,
            }
        }
    }
}

impl Message<'_> {
    /// The first field named `name` (decoded value).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The mailboxes of an address field (From, To, Cc, Reply-To), read
    /// with our RFC 5322 parser, or mailparse's lenient one when that fails.
    pub fn addresses(&self, name: &str) -> Vec<address::Mailbox> {
        let Some(v) = self.get(name) else {
            return Vec::new();
        };
        match address::parse_list(v, true) {
            Ok(l) => l.mailboxes,
            Err(_) => match mailparse::addrparse(v) {
                Ok(l) if !l.is_empty() => l
                    .iter()
                    .flat_map(|a| match a {
                        mailparse::MailAddr::Single(s) => vec![s.clone()],
                        mailparse::MailAddr::Group(g) => g.addrs.clone(),
                    })
                    .map(|s| address::Mailbox {
                        name: s.display_name,
                        address: s.addr,
                    })
                    .collect(),
                // Neither could (`To: foo`, an address without a domain):
                // show what is there, as Python's email does; the
                // validator names the defect.
                _ => address::lenient_list(v),
            },
        }
    }

    /// The Date field as RFC 3339, when it parses.
    pub fn date(&self) -> Option<String> {
        self.get("Date")
            .and_then(|d| date::parse(d).ok())
            .map(|p| p.date.rfc3339())
    }

    /// The Message-ID (the `<...>` part, or the value as written).
    pub fn message_id(&self) -> Option<String> {
        let v = self.get("Message-ID")?.trim();
        let id = match (v.find('<'), v.find('>')) {
            (Some(a), Some(b)) if a < b => &v[a..=b],
            _ => v,
        };
        (!id.is_empty()).then(|| id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = b"From: A <a@x.org>\nTo: b@y.org\nSubject: =?utf-8?q?h=C3=A9?=\n\
Date: Tue, 02 Jan 2024 09:30:00 +0100\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain; charset=utf-8\n\n\
hi\n--XX\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n--XX\n\
Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\
Content-Disposition: attachment; filename*=utf-8''na%C3%AFve.pdf\n\naGVsbG8=\n--XX--\n";

    #[test]
    fn addresses_without_a_domain_are_shown_as_they_are() {
        let m = parse(b"From: foo\nTo: xx, \"Bob\" <bob@x.org>\nCc: a@b.c\n\nx\n");
        let show = |f: &str| -> Vec<(Option<String>, String)> {
            m.addresses(f)
                .into_iter()
                .map(|a| (a.name, a.address))
                .collect()
        };
        assert_eq!(show("From"), [(None, "foo".to_owned())]);
        assert_eq!(
            show("To"),
            [
                (None, "xx".to_owned()),
                (Some("Bob".to_owned()), "bob@x.org".to_owned())
            ]
        );
        assert_eq!(show("Cc"), [(None, "a@b.c".to_owned())]);
    }

    #[test]
    fn a_content_type_without_subtype_is_read_as_text_plain() {
        // RFC 2045 §5.2; Python's email reads it the same way.
        let m = parse(b"MIME-Version: 1.0\nContent-Type: text; charset=utf-8\n\nhi\n");
        let root = m.root.as_ref().unwrap();
        assert_eq!(root.content_type, "text/plain");
        assert_eq!(root.charset.as_deref(), Some("us-ascii"));
        assert_eq!(root.invalid_type.as_deref(), Some("text"));
        let m = parse(b"Content-Type: image/svg+xml\n\n<svg/>\n");
        assert!(m.root.as_ref().unwrap().invalid_type.is_none());
        assert!(
            !valid_media_type("text/") && !valid_media_type("/x") && !valid_media_type("a/b/c")
        );
    }

    #[test]
    fn external_body_has_its_phantom_part_and_an_empty_multipart_none() {
        let types = |m: &Message<'_>| -> Vec<String> {
            m.root
                .as_ref()
                .unwrap()
                .walk()
                .iter()
                .map(|p| p.content_type.clone())
                .collect()
        };
        let m = parse(b"MIME-Version: 1.0\nContent-Type: message/external-body; access-type=URL;\n URL=\"http://x.org/f\"\n\nContent-Type: application/pdf\nContent-ID: <id@x>\n\n");
        assert_eq!(types(&m), ["message/external-body", "application/pdf"]);
        assert!(!m.root.as_ref().unwrap().attached_message);
        // "--BBB--" as the only line: no parts (mailparse made one).
        let m = parse(b"Content-Type: multipart/mixed; boundary=AAA\n\n--AAA\nContent-Type: message/rfc822\n\nSubject: in\nContent-Type: multipart/alternative; boundary=BBB\n\n--BBB--\n\n--AAA--\n");
        assert_eq!(
            types(&m),
            ["multipart/mixed", "message/rfc822", "multipart/alternative"]
        );
        assert_eq!(
            split_parts(b"pre\r\n--B \r\none\r\n--B\r\n\r\ntwo\r\n--B--\r\nepi", "B"),
            [&b"one"[..], b"\r\ntwo"]
        );
        assert!(split_parts(b"--B--\n--Bx\n", "B").is_empty());
        assert_eq!(split_parts(b"--Bx\nno\n--B\nyes\n", "B"), [&b"yes\n"[..]]);
    }

    #[test]
    fn rfc2231_parameters_are_decoded() {
        // boundary* with a charset, charset*, filename*0*/*1* continuations
        // (RFC 2231 §3, §4): the tree Python's email shows.
        let m = parse(b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary*=us-ascii''EeQf\n\n--EeQf\nContent-Type: text/plain; charset*=utf-8''utf-8\n\nhi\n--EeQf\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*0*=utf-8''na%C3%AF;\n filename*1*=ve%20file.pdf\n\nx\n--EeQf--\n");
        let root = m.root.as_ref().unwrap();
        assert_eq!(root.boundary.as_deref(), Some("EeQf"));
        assert_eq!(root.parts.len(), 2);
        assert_eq!(root.parts[0].charset.as_deref(), Some("utf-8"));
        assert_eq!(
            root.parts[1].filename.as_deref(),
            Some("na\u{ef}ve file.pdf")
        );
        let m = parse(b"Content-Type: multipart/mixed; boundary*0=\"Ee\"; boundary*1=\"Qf\"\n\n--EeQf\n\nhi\n--EeQf--\n");
        assert_eq!(m.root.as_ref().unwrap().parts.len(), 1);
    }

    #[test]
    fn unfolding_removes_only_the_line_break() {
        // RFC 5322 §2.2.3: "a CRLF TAB b" unfolds to "a TAB b" (Python's
        // email does the same); a folded space stays a space.
        let m = parse(b"Subject: a\r\n\tb\r\nX-Two: c\r\n d\r\n\r\nbody\r\n");
        assert_eq!(m.get("Subject"), Some("a\tb"));
        assert_eq!(m.get("X-Two"), Some("c d"));
        let m = parse(b"Subject: =?utf-8?q?caf=C3=A9?=\n\t=?utf-8?q?_au_lait?=\n\nx\n");
        assert_eq!(m.get("Subject"), Some("caf\u{e9} au lait"));
    }

    #[test]
    fn tree_with_attached_message_and_names() {
        let m = parse(MIXED);
        assert_eq!(m.get("subject"), Some("hé"));
        assert_eq!(m.date().as_deref(), Some("2024-01-02T09:30:00+01:00"));
        let root = m.root.as_ref().unwrap();
        let types: Vec<_> = root.walk().iter().map(|p| p.content_type.clone()).collect();
        assert_eq!(
            types,
            [
                "multipart/mixed",
                "text/plain",
                "message/rfc822",
                "text/plain",
                "application/pdf"
            ]
        );
        let pdf = root.walk()[4];
        assert_eq!(pdf.filename.as_deref(), Some("naïve.pdf"));
        assert_eq!(pdf.decoded(), b"hello");
        assert!(pdf.is_attachment());
        assert_eq!(root.walk()[1].text(), "hi");
        assert!(root.walk()[2].attached_message);
        // Offsets point into the message.
        let inner = root.walk()[3];
        assert!(MIXED[inner.offset..].starts_with(b"Subject: inner"));
    }

    #[test]
    fn nesting_is_limited() {
        let mut msg = Vec::new();
        for i in 0..40 {
            msg.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"_{i}_\"\n\n--_{i}_\n")
                    .as_bytes(),
            );
        }
        msg.extend_from_slice(b"\nleaf\n");
        let m = parse(&msg);
        let root = m.root.as_ref().unwrap();
        assert!(root.walk().len() <= MAX_DEPTH + 1);
        assert!(root.walk().iter().any(|p| p.too_deep));
    }

    #[test]
    fn parts_and_header_fields_are_bounded() {
        let many_parts = format!(
            "From: a@b.c\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n{}--b--\n",
            "--b\n\n".repeat(MAX_PARTS + 50)
        );
        let m = parse(many_parts.as_bytes());
        let t = m.truncated.as_ref().expect("truncated");
        assert!(t.what.contains("boundary"), "{t:?}");
        assert!(m.root.as_ref().unwrap().walk().len() <= MAX_PARTS + 1);
        let many_fields = format!("From: a@b.c\n{}\nbody\n", "X-F: y\n".repeat(MAX_FIELDS + 5));
        let m = parse(many_fields.as_bytes());
        assert!(m.truncated.as_ref().unwrap().what.contains("header fields"));
        assert_eq!(m.headers.len(), MAX_FIELDS);
        let ok = parse(b"From: a@b.c\n\nhi\n");
        assert!(ok.truncated.is_none());
    }
}

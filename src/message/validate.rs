//! The message validator: RFC 5322 and MIME defects as diagnostics with a
//! line number, a severity and the rule's section, for `parse --validate`
//! (and for anything that wants to check a message it made or received).
//!
//! No crate reports defects, so this is ours: it scans the raw bytes for
//! line-level rules (lengths, bare CR/LF), its own header scanner for field
//! syntax, our RFC 5322 address and date parsers for those fields, and the
//! MIME tree from [`super::mime`] for structure and encodings.

use super::header::{self, Defect, Section};
use super::mime::{self, Part};
use super::{address, date, words};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The message breaks a MUST of the RFCs.
    Error,
    /// The message breaks a SHOULD, or uses obsolete syntax.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding: where, how bad, what, and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line number in the input (1 for a missing field).
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in words.
    pub text: String,
    /// The rule, e.g. `RFC 5322 §3.6`.
    pub rule: &'static str,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.severity.as_str(),
            self.text,
            self.rule
        )
    }
}

/// What the validator allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// UTF-8 header fields are allowed (RFC 6532, mail sent with SMTPUTF8).
    pub utf8: bool,
}

/// Fields that may appear at most once (RFC 5322 §3.6, the table's "max 1").
const SINGLETONS: [&str; 11] = [
    "Date",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
];

/// Address-list fields and whether an empty value is allowed (Bcc, §3.6.3).
const ADDRESS_FIELDS: [(&str, bool); 10] = [
    ("From", false),
    ("Sender", false),
    ("Reply-To", false),
    ("To", false),
    ("Cc", false),
    ("Bcc", true),
    ("Resent-From", false),
    ("Resent-Sender", false),
    ("Resent-To", false),
    ("Resent-Cc", false),
];

/// How many line-length warnings (and bare CR/LF errors) are listed one by
/// one per message before the rest are summed up in one line.
const LIST_LIMIT: usize = 5;

/// Offsets of line starts, for offset → line number.
struct Lines {
    starts: Vec<usize>,
    first: usize,
}

impl Lines {
    fn new(data: &[u8], first: usize) -> Lines {
        let mut starts = Vec::with_capacity(data.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        Lines { starts, first }
    }

    fn of(&self, offset: usize) -> usize {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        self.first + i
    }
}

struct Checker<'d> {
    data: &'d [u8],
    lines: Lines,
    opts: Options,
    out: Vec<Diagnostic>,
    /// Where the model stopped reading ([`mime::Truncated`]): a part that
    /// runs up to it has its end unread, not missing.
    cut: Option<usize>,
}

impl Checker<'_> {
    fn at(&mut self, offset: usize, severity: Severity, text: String, rule: &'static str) {
        let line = self.lines.of(offset);
        self.out.push(Diagnostic {
            line,
            severity,
            text,
            rule,
        });
    }

    fn error(&mut self, offset: usize, text: impl Into<String>, rule: &'static str) {
        self.at(offset, Severity::Error, text.into(), rule);
    }

    fn warning(&mut self, offset: usize, text: impl Into<String>, rule: &'static str) {
        self.at(offset, Severity::Warning, text.into(), rule);
    }

    /// Line lengths and line ends over the whole input (RFC 5322 §2.1.1, §2.3).
    fn lines(&mut self) {
        let data = self.data;
        let crlf = match memchr::memchr(b'\n', data) {
            Some(i) => i > 0 && data[i - 1] == b'\r',
            None => false,
        };
        let (mut long78, mut bare) = (0usize, 0usize);
        let mut pos = 0;
        while pos < data.len() {
            // `next - end`: 0 at the end without a line end, 1 after a
            // bare LF, 2 after CRLF.
            let (end, next) = super::header::line_at(data, pos);
            if crlf && next - end == 1 {
                bare += 1;
                if bare <= LIST_LIMIT {
                    self.error(
                        pos,
                        "bare LF (line ends are CRLF elsewhere in this message)",
                        "RFC 5322 §2.3",
                    );
                }
            }
            let line = &data[pos..end];
            for cr in memchr::memchr_iter(b'\r', line) {
                bare += 1;
                if bare <= LIST_LIMIT {
                    self.error(pos + cr, "bare CR (not followed by LF)", "RFC 5322 §2.3");
                }
            }
            let len = line.len();
            if len > 998 {
                self.error(
                    pos,
                    format!("line is {len} octets long, over the limit of 998"),
                    "RFC 5322 §2.1.1",
                );
            } else if len > 78 {
                let chars = std::str::from_utf8(line).map_or(len, |s| s.chars().count());
                if chars > 78 {
                    long78 += 1;
                    if long78 <= LIST_LIMIT {
                        self.warning(
                            pos,
                            format!("line is {chars} characters long, over the recommended 78"),
                            "RFC 5322 §2.1.1",
                        );
                    }
                }
            }
            pos = next;
        }
        if bare > LIST_LIMIT {
            self.error(
                data.len().saturating_sub(1),
                format!("{} more bare CR or LF not listed", bare - LIST_LIMIT),
                "RFC 5322 §2.3",
            );
        }
        if long78 > LIST_LIMIT {
            self.warning(
                data.len().saturating_sub(1),
                format!(
                    "{} more lines over 78 characters not listed",
                    long78 - LIST_LIMIT
                ),
                "RFC 5322 §2.1.1",
            );
        }
    }

    /// Field syntax shared by message and part headers.
    fn section_syntax(&mut self, base: usize, s: &Section<'_>) {
        for d in &s.defects {
            match d {
                Defect::NoColon(o) => {
                    self.error(base + o, "header line without a colon", "RFC 5322 §2.2")
                }
                Defect::BadName(o, n) => self.error(
                    base + o,
                    format!("illegal field name {n:?} (printable US-ASCII except ':', no spaces)"),
                    "RFC 5322 §3.6.8",
                ),
                Defect::LeadingContinuation(o) => self.error(
                    base + o,
                    "the first header line is a continuation line (starts with white space)",
                    "RFC 5322 §2.2.3",
                ),
                Defect::MissingSeparator(o) => self.error(
                    base + o,
                    "missing blank line between the header and the body",
                    "RFC 5322 §2.1",
                ),
                Defect::TooManyFields(o) => self.error(
                    base + o,
                    format!(
                        "more than {} header fields; the rest are not checked",
                        header::MAX_FIELDS
                    ),
                    "RFC 5322 §3.6",
                ),
            }
        }
        for f in &s.fields {
            let off = base + f.offset;
            if f.space_before_colon {
                self.warning(
                    off,
                    format!(
                        "white space before the colon in {} (obsolete syntax)",
                        name(f)
                    ),
                    "RFC 5322 §4.5",
                );
            }
            if let Some(i) = f.value.iter().position(|&b| b >= 0x80) {
                let at = off + (f.value.as_ptr() as usize - f.name.as_ptr() as usize) + i;
                if !self.opts.utf8 {
                    self.error(
                        at,
                        format!(
                            "8-bit byte 0x{:02X} in {} (use RFC 2047 encoded words; --utf8 allows UTF-8 as SMTPUTF8 mail does)",
                            f.value[i],
                            name(f)
                        ),
                        "RFC 5322 §2.2",
                    );
                } else if std::str::from_utf8(f.value).is_err() {
                    self.error(at, format!("invalid UTF-8 in {}", name(f)), "RFC 6532 §3.2");
                }
            }
            if f.name.iter().any(|&b| b >= 0x80) && !self.opts.utf8 {
                self.error(off, "8-bit byte in a field name", "RFC 5322 §3.6.8");
            }
        }
    }

    /// The rules for a message header (top level or an attached message).
    fn message_header(&mut self, base: usize, s: &Section<'_>) {
        self.section_syntax(base, s);
        for required in ["Date", "From"] {
            if s.get(required).is_none() {
                self.error(base, format!("missing {required} field"), "RFC 5322 §3.6");
            }
        }
        if s.get("Message-ID").is_none() {
            self.warning(base, "no Message-ID field", "RFC 5322 §3.6.4");
        }
        for single in SINGLETONS {
            let mut seen = s.fields.iter().filter(|f| f.is(single));
            if let Some(first) = seen.next() {
                let first_line = self.lines.of(base + first.offset);
                for dup in seen {
                    self.error(
                        base + dup.offset,
                        format!(
                            "{single} field appears more than once (first on line {first_line})"
                        ),
                        "RFC 5322 §3.6",
                    );
                }
            }
        }
        let mut from_count = 0;
        for f in &s.fields {
            let off = base + f.offset;
            if let Some((fname, allow_empty)) = ADDRESS_FIELDS.iter().find(|(n, _)| f.is(n)) {
                let value = f.unfolded();
                match address::parse_list(&value, *allow_empty) {
                    Ok(list) => {
                        for o in &list.obsolete {
                            self.warning(
                                off,
                                format!("obsolete syntax in {fname}: {o}"),
                                "RFC 5322 §4.4",
                            );
                        }
                        for p in &list.bad_words {
                            self.warning(
                                off,
                                format!("{fname}: encoded word does not decode: {p}"),
                                "RFC 2047 §6.3",
                            );
                        }
                        for m in &list.mailboxes {
                            if !address::local_part(&m.address).is_ascii() {
                                self.warning(
                                    off,
                                    format!(
                                        "non-ASCII local part in {:?} (needs SMTPUTF8)",
                                        m.address
                                    ),
                                    "RFC 6531 §3.3",
                                );
                            }
                        }
                        if f.is("From") {
                            from_count = list.mailboxes.len();
                            if list.groups > 0 {
                                self.error(
                                    off,
                                    "From must list mailboxes, not a group",
                                    "RFC 5322 §3.6.2",
                                );
                            }
                        }
                        if f.is("Sender") && (list.mailboxes.len() != 1 || list.groups > 0) {
                            self.error(
                                off,
                                "Sender must be exactly one mailbox",
                                "RFC 5322 §3.6.2",
                            );
                        }
                    }
                    Err(why) => self.error(
                        off,
                        format!("{fname}: cannot parse the address list: {why}"),
                        "RFC 5322 §3.4",
                    ),
                }
            } else if f.is("Date") || f.is("Resent-Date") {
                match date::parse(&f.unfolded()) {
                    Ok(p) => {
                        for o in &p.obsolete {
                            self.warning(
                                off,
                                format!("obsolete syntax in {}: {o}", name(f)),
                                "RFC 5322 §4.3",
                            );
                        }
                        if let Some(day) = p.wrong_weekday {
                            self.error(
                                off,
                                format!(
                                    "{}: the day of the week does not match the date (a {day})",
                                    name(f)
                                ),
                                "RFC 5322 §3.3",
                            );
                        }
                    }
                    Err(why) => self.error(
                        off,
                        format!("{}: cannot parse the date: {why}", name(f)),
                        "RFC 5322 §3.3",
                    ),
                }
            } else if f.is("Message-ID") || f.is("Resent-Message-ID") {
                if !is_msg_id(f.unfolded().trim()) {
                    self.error(
                        off,
                        format!("{} is not of the form <left@right>", name(f)),
                        "RFC 5322 §3.6.4",
                    );
                }
            } else if f.is("In-Reply-To") || f.is("References") {
                let v = f.unfolded();
                if !v.split_whitespace().all(is_msg_id) {
                    self.warning(
                        off,
                        format!(
                            "{} is not a list of <left@right> message ids (obsolete syntax)",
                            name(f)
                        ),
                        "RFC 5322 §3.6.4",
                    );
                }
            }
        }
        if from_count > 1 && s.get("Sender").is_none() {
            let off = base + s.get("From").map_or(0, |f| f.offset);
            self.error(
                off,
                format!("From has {from_count} mailboxes but there is no Sender field"),
                "RFC 5322 §3.6.2",
            );
        }
        let mime_fields = s
            .get("Content-Type")
            .or_else(|| s.get("Content-Transfer-Encoding"));
        if let (Some(f), None) = (mime_fields, s.get("MIME-Version")) {
            self.warning(
                base + f.offset,
                format!("{} without MIME-Version", name(f)),
                "RFC 2045 §4",
            );
        }
    }

    /// Encoded words in unstructured fields and MIME field duplicates, for
    /// any header section.
    fn words_and_mime_fields(&mut self, base: usize, s: &Section<'_>) {
        for f in &s.fields {
            let is_address = ADDRESS_FIELDS.iter().any(|(n, _)| f.is(n));
            let is_mime = f.is("Content-Type") || f.is("Content-Disposition");
            if is_mime && memchr::memmem::find(f.value, b"=?").is_some() {
                // Readers decode them anyway (as mailkit does for file
                // names), but the rule is RFC 2231's form.
                self.warning(
                    base + f.offset,
                    format!(
                        "{}: encoded word in a parameter, where RFC 2047 does not allow one (use RFC 2231: name*=utf-8''...)",
                        name(f)
                    ),
                    "RFC 2047 §5",
                );
                continue;
            }
            if !is_address && memchr::memmem::find(f.value, b"=?").is_some() {
                for p in words::decode(&f.unfolded()).1 {
                    self.warning(
                        base + f.offset,
                        format!("{}: encoded word does not decode: {p}", name(f)),
                        "RFC 2047 §6.3",
                    );
                }
            }
        }
        for single in [
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
            "Content-Disposition",
        ] {
            let mut seen = s.fields.iter().filter(|f| f.is(single));
            seen.next();
            for dup in seen {
                self.error(
                    base + dup.offset,
                    format!("{single} field appears more than once"),
                    "RFC 2045 §3",
                );
            }
        }
    }

    /// MIME structure and encodings of one part and, recursively, its children.
    fn part(&mut self, p: &Part<'_>, header_checked: bool) {
        let section = header::scan(&self.data[p.offset..]);
        if !header_checked {
            self.section_syntax(p.offset, &section);
        }
        self.words_and_mime_fields(p.offset, &section);
        let ct_off = p.offset + section.get("Content-Type").map_or(0, |f| f.offset);
        let cte_off = p.offset
            + section
                .get("Content-Transfer-Encoding")
                .map_or(0, |f| f.offset);
        if let Some(given) = &p.invalid_type {
            self.error(
                ct_off,
                format!("Content-Type {given:?} is not type/subtype; read as text/plain; charset=us-ascii"),
                "RFC 2045 §5.1, §5.2",
            );
        }
        if let Some(enc) = p.encoding.as_deref() {
            let known = matches!(
                enc,
                "7bit" | "8bit" | "binary" | "quoted-printable" | "base64"
            ) || enc.starts_with("x-");
            if !known {
                self.error(
                    cte_off,
                    format!("unknown Content-Transfer-Encoding {enc:?}"),
                    "RFC 2045 §6.1",
                );
            } else if (p.is_multipart() || p.content_type.starts_with("message/"))
                && !matches!(enc, "7bit" | "8bit" | "binary")
            {
                self.error(
                    cte_off,
                    format!("Content-Transfer-Encoding {enc} is not allowed for {} (only 7bit, 8bit or binary)", p.content_type),
                    "RFC 2045 §6.4",
                );
            }
        }
        if p.too_deep {
            self.error(
                p.offset,
                format!(
                    "MIME nesting deeper than {} levels; the parts below are not checked",
                    mime::MAX_DEPTH
                ),
                "RFC 2046 §5.1",
            );
            return;
        }
        if p.is_multipart() {
            self.multipart(p, ct_off);
        } else if p.parts.is_empty() {
            self.leaf(p);
        }
        for (i, c) in p.parts.iter().enumerate() {
            let message_root = i == 0 && p.attached_message;
            if message_root {
                let s = header::scan(&self.data[c.offset..]);
                self.message_header(c.offset, &s);
            }
            self.part(c, message_root);
        }
    }

    fn multipart(&mut self, p: &Part<'_>, ct_off: usize) {
        let Some(boundary) = p.boundary.as_deref() else {
            self.error(
                ct_off,
                format!("{} without a boundary parameter", p.content_type),
                "RFC 2046 §5.1.1",
            );
            return;
        };
        if boundary.is_empty() || boundary.len() > 70 {
            self.error(
                ct_off,
                "boundary must be 1 to 70 characters long",
                "RFC 2046 §5.1.1",
            );
        }
        let delim = format!("--{boundary}");
        let (mut open, mut close) = (false, false);
        let mut pos = 0;
        let body = p.body;
        while pos < body.len() {
            let (end, next) = header::line_at(body, pos);
            let line = &body[pos..end];
            if let Some(rest) = line.strip_prefix(delim.as_bytes()) {
                let rest_trim = trim_lwsp(rest);
                if rest_trim.is_empty() {
                    open = true;
                } else if trim_lwsp(rest_trim.strip_prefix(b"--").unwrap_or(b"x")).is_empty() {
                    close = true;
                    break;
                }
            }
            pos = next;
        }
        if !open {
            self.error(
                p.body_offset.min(self.data.len().saturating_sub(1)),
                format!("{} has no start boundary line {delim:?}", p.content_type),
                "RFC 2046 §5.1.1",
            );
        } else if !close && self.cut != Some(p.body_offset + body.len()) {
            let end = (p.body_offset + body.len()).saturating_sub(1);
            self.error(
                end,
                format!(
                    "{} has no close boundary line \"{delim}--\"",
                    p.content_type
                ),
                "RFC 2046 §5.1.1",
            );
        }
    }

    fn leaf(&mut self, p: &Part<'_>) {
        let body = p.body;
        match p.encoding.as_deref() {
            Some("base64") => self.base64(p),
            Some("quoted-printable") => self.quoted_printable(p),
            _ => {}
        }
        let allows_8bit = matches!(p.encoding.as_deref(), Some("8bit" | "binary"));
        if !allows_8bit {
            if let Some(i) = body.iter().position(|&b| b >= 0x80) {
                self.warning(
                    p.body_offset + i,
                    format!(
                        "8-bit data in a part whose Content-Transfer-Encoding is {} (declare 8bit, or encode it)",
                        p.encoding.as_deref().unwrap_or("7bit (by default)")
                    ),
                    "RFC 2045 §6.2",
                );
            }
        }
        if p.is_text() {
            if let Some(cs) = p.charset.as_deref() {
                let lower = cs.to_ascii_lowercase();
                if !matches!(lower.as_str(), "us-ascii" | "utf-8")
                    && charset::Charset::for_label(lower.as_bytes()).is_none()
                {
                    self.warning(
                        p.offset,
                        format!("unknown charset {cs:?}"),
                        "RFC 2046 §4.1.2",
                    );
                }
            }
        }
    }

    fn base64(&mut self, p: &Part<'_>) {
        let body = p.body;
        let mut count = 0usize; // alphabet characters
        let mut pad = 0usize;
        let mut pad_at = None;
        for (i, &b) in body.iter().enumerate() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => {
                    if pad > 0 {
                        self.error(
                            p.body_offset + i,
                            "base64 data after the '=' padding",
                            "RFC 2045 §6.8",
                        );
                        return;
                    }
                    count += 1;
                }
                b'=' => {
                    pad += 1;
                    pad_at.get_or_insert(i);
                }
                b'\r' | b'\n' | b' ' | b'\t' => {}
                other => {
                    self.error(
                        p.body_offset + i,
                        format!("invalid character {:?} in base64 data", other as char),
                        "RFC 2045 §6.8",
                    );
                    return;
                }
            }
        }
        let ok = matches!((count % 4, pad), (0, 0) | (2, 2) | (3, 1));
        if !ok {
            let at = p.body_offset + pad_at.unwrap_or(body.len().saturating_sub(1));
            self.error(
                at.min(self.data.len().saturating_sub(1)),
                format!("base64 data has bad padding ({count} characters, {pad} '=')"),
                "RFC 2045 §6.8",
            );
        }
    }

    fn quoted_printable(&mut self, p: &Part<'_>) {
        let body = p.body;
        for i in memchr::memchr_iter(b'=', body) {
            let rest = &body[i + 1..];
            let soft = rest.starts_with(b"\n") || rest.starts_with(b"\r\n") || rest.is_empty();
            let hex = rest.len() >= 2 && rest[0].is_ascii_hexdigit() && rest[1].is_ascii_hexdigit();
            let trailing_ws = {
                let (end, _) = header::line_at(body, i + 1);
                trim_lwsp(&body[i + 1..end]).is_empty() && end > i + 1
            };
            if !soft && !hex && !trailing_ws {
                self.warning(
                    p.body_offset + i,
                    "'=' not followed by two hex digits or a line end",
                    "RFC 2045 §6.7",
                );
                return;
            }
        }
    }
}

fn trim_lwsp(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    &b[..end]
}

fn name(f: &header::Field<'_>) -> String {
    String::from_utf8_lossy(f.name).into_owned()
}

/// `<id-left@id-right>` (RFC 5322 §3.6.4), CFWS around allowed.
fn is_msg_id(v: &str) -> bool {
    let v = v.trim();
    let Some(inner) = v.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    match inner.split_once('@') {
        Some((l, r)) => {
            !l.is_empty()
                && !r.is_empty()
                && !inner.contains(['<', '>', ' ', '\t'])
                && !r.contains('@')
        }
        None => false,
    }
}

/// Validates one message. `first_line` is the line number of its first
/// line in the input (1, or further down an mbox). Diagnostics come sorted
/// by line.
pub fn validate(
    data: &[u8],
    msg: &mime::Message<'_>,
    first_line: usize,
    opts: Options,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        data,
        lines: Lines::new(data, first_line),
        opts,
        out: Vec::new(),
        cut: msg.truncated.as_ref().map(|t| t.offset),
    };
    if data.is_empty() {
        c.error(0, "empty message: no header fields", "RFC 5322 §3.6");
        return c.out;
    }
    c.lines();
    let top = header::scan(data);
    c.message_header(0, &top);
    match &msg.root {
        Some(root) => c.part(root, true),
        None => {
            let why = msg.error.clone().unwrap_or_default();
            c.error(
                0,
                format!("the MIME structure cannot be read: {why}"),
                "RFC 2045 §3",
            );
        }
    }
    if let Some(t) = &msg.truncated {
        c.error(
            t.offset,
            format!(
                "{}: the rest of the message is not shown or checked",
                t.what
            ),
            t.rule,
        );
    }
    c.out.sort_by_key(|d| d.line);
    c.out.dedup();
    c.out
}

#[cfg(test)]
mod tests;

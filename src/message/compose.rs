//! Composing a message from `send`'s flags (RFC 5322, MIME): the header
//! fields with encoded words, a text body, attachments as base64 parts of
//! a multipart/mixed. The result is 7-bit clean with CRLF line ends.

use std::fmt;

use super::encode::{
    base64_lines, crlf_text, display_name, parameter, quoted_printable, unstructured,
};

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The file name shown to the reader (no directories).
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub content_type: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Everything a composed message is made of.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The From field: `addr` or `Name <addr>`.
    pub from: String,
    /// To addresses (each `addr` or `Name <addr>`).
    pub to: Vec<String>,
    /// Cc addresses.
    pub cc: Vec<String>,
    /// The subject, if any.
    pub subject: Option<String>,
    /// The text body (UTF-8).
    pub body: String,
    /// Attachments, in order.
    pub attachments: Vec<Attachment>,
    /// Extra fields `(name, value)`; one named like a composed field
    /// replaces it.
    pub headers: Vec<(String, String)>,
    /// The Date field's value (RFC 5322 §3.3).
    pub date: String,
    /// The Message-ID field's value, with angle brackets.
    pub message_id: String,
    /// The boundary for a multipart message.
    pub boundary: String,
}

/// A draft that cannot become a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError(pub String);

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ComposeError {}

/// Splits a comma-separated address list, keeping commas inside quotes or
/// angle brackets (`"Doe, John" <j@x>, k@y`).
pub fn split_addresses(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut quoted, mut angle) = (String::new(), false, false);
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The bare address of `addr` or `Name <addr>`.
pub fn addr_spec(mailbox: &str) -> String {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => mailbox[a + 1..b].trim().to_string(),
        _ => mailbox.trim().to_string(),
    }
}

/// One mailbox for a header: `Name <addr>` with the name encoded or
/// quoted as needed, or the bare address.
fn mailbox_field(mailbox: &str) -> String {
    let addr = addr_spec(mailbox);
    let name = match mailbox.rfind('<') {
        Some(i) => mailbox[..i].trim().trim_matches('"').trim(),
        None => "",
    };
    if name.is_empty() {
        addr
    } else {
        format!("{} <{addr}>", display_name(name))
    }
}

/// Folds `Name: a, b, c` at the commas so lines stay short (RFC 5322 §2.2.3).
fn address_field(name: &str, list: &[String]) -> String {
    let mut out = format!("{name}:");
    let mut line_len = out.len();
    for (i, m) in list.iter().enumerate() {
        let item = mailbox_field(m);
        let sep = if i + 1 < list.len() { "," } else { "" };
        if line_len + 1 + item.len() + sep.len() > 78 && i > 0 {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(&item);
        out.push_str(sep);
        line_len += 1 + item.len() + sep.len();
    }
    out
}

/// The body part's fields and content: 7bit when plain ASCII with short
/// lines, quoted-printable otherwise.
fn text_part(body: &str) -> (Vec<String>, Vec<u8>) {
    let short = body.lines().all(|l| l.len() <= 76);
    let mut fields = vec!["Content-Type: text/plain; charset=utf-8".to_string()];
    let content = if body.is_ascii() && short {
        fields.push("Content-Transfer-Encoding: 7bit".into());
        crlf_text(body)
    } else {
        fields.push("Content-Transfer-Encoding: quoted-printable".into());
        quoted_printable(body)
    };
    (fields, content)
}

/// Composes the message.
pub fn compose(d: &Draft) -> Result<Vec<u8>, ComposeError> {
    for (what, v) in [
        ("from", &d.from),
        ("subject", d.subject.as_ref().unwrap_or(&String::new())),
    ]
    .into_iter()
    .chain(d.to.iter().map(|t| ("to", t)))
    .chain(d.cc.iter().map(|t| ("cc", t)))
    .chain(d.headers.iter().map(|(_, v)| ("header", v)))
    {
        if v.contains(['\r', '\n']) {
            return Err(ComposeError(format!(
                "--{what} contains a line break; header injection is refused"
            )));
        }
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    fields.push(("Date".into(), format!("Date: {}", d.date)));
    fields.push((
        "From".into(),
        address_field("From", std::slice::from_ref(&d.from)),
    ));
    if !d.to.is_empty() {
        fields.push(("To".into(), address_field("To", &d.to)));
    }
    if !d.cc.is_empty() {
        fields.push(("Cc".into(), address_field("Cc", &d.cc)));
    }
    if let Some(s) = &d.subject {
        fields.push((
            "Subject".into(),
            fold_words(&format!("Subject: {}", unstructured(s))),
        ));
    }
    fields.push(("Message-ID".into(), format!("Message-ID: {}", d.message_id)));
    fields.push(("MIME-Version".into(), "MIME-Version: 1.0".into()));
    for (name, value) in &d.headers {
        let valid = !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
        if !valid {
            return Err(ComposeError(format!(
                "--header name '{name}' is not a field name"
            )));
        }
        let line = fold_words(&format!("{name}: {}", unstructured(value.trim())));
        match fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(f) => f.1 = line,
            None => fields.push((name.clone(), line)),
        }
    }
    let overrides_type = d
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type"));

    let mut out = Vec::new();
    for (_, line) in &fields {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if d.attachments.is_empty() {
        let (part_fields, content) = text_part(&d.body);
        if !overrides_type {
            for f in part_fields {
                out.extend_from_slice(f.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&content);
        return Ok(out);
    }
    let b = &d.boundary;
    let ctype = fold_params(&format!("Content-Type: multipart/mixed; boundary=\"{b}\""));
    out.extend_from_slice(ctype.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(b"This is a multi-part message in MIME format.\r\n");
    let (part_fields, content) = text_part(&d.body);
    out.extend_from_slice(format!("\r\n--{b}\r\n").as_bytes());
    for f in part_fields {
        out.extend_from_slice(f.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&content);
    for a in &d.attachments {
        out.extend_from_slice(format!("\r\n--{b}\r\n").as_bytes());
        let name_param = parameter("name", &a.name);
        let filename_param = parameter("filename", &a.name);
        let ctype = format!("Content-Type: {}; {}", a.content_type, name_param);
        out.extend_from_slice(fold_params(&ctype).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(
            fold_params(&format!(
                "Content-Disposition: attachment; {filename_param}"
            ))
            .as_bytes(),
        );
        out.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        out.extend_from_slice(&base64_lines(&a.data));
    }
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    Ok(out)
}

/// Folds a long unstructured field at whitespace so its lines stay within
/// 78 characters where the words allow (RFC 5322 §2.1.1, §2.2.3): a fold
/// goes before a run of spaces that follows text, never leaves a line of
/// only whitespace, and changes nothing in the unfolded value. Fields
/// already folded (encoded words) are left as they are.
fn fold_words(field: &str) -> String {
    if field.len() <= 78 || field.contains('\n') {
        return field.to_string();
    }
    // Segments: each (after the first) starts at whitespace that follows text.
    let b = field.as_bytes();
    let mut starts = vec![0];
    for i in 1..b.len() {
        if (b[i] == b' ' || b[i] == b'\t') && b[i - 1] != b' ' && b[i - 1] != b'\t' {
            starts.push(i);
        }
    }
    starts.push(b.len());
    let mut out = String::with_capacity(field.len() + 8);
    let mut line = 0;
    for w in starts.windows(2) {
        let seg = &field[w[0]..w[1]];
        let blank = seg.trim_matches([' ', '\t']).is_empty();
        if line > 0 && line + seg.len() > 78 && !blank {
            out.push_str("\r\n");
            line = 0;
        }
        out.push_str(seg);
        line += seg.len();
    }
    out
}

/// Puts each `; param` of a long field on its own continuation line.
fn fold_params(field: &str) -> String {
    if field.len() <= 78 {
        return field.to_string();
    }
    field.replace("; ", ";\r\n ")
}

/// The media type for a file name's extension (a short table of the common
/// ones; anything else is `application/octet-stream`).
pub fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "log" | "md" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "ics" => "text/calendar",
        "xml" => "application/xml",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            from: "Alice <alice@crepes.fr>".into(),
            to: vec![
                "bob@hamburger.edu".into(),
                "\"Doe, Jöhn\" <john@x.org>".into(),
            ],
            cc: vec![],
            subject: Some("Grüße — ça va?".into()),
            body: "Привет\n.dot line\n".into(),
            attachments: vec![],
            headers: vec![("X-Test".into(), "yes".into())],
            date: "Sat, 28 Nov 2026 21:10:04 +0000".into(),
            message_id: "<1.2@crepes.fr>".into(),
            boundary: "=_mailkit_b1".into(),
        }
    }

    #[test]
    fn round_trips_through_mailparse_and_is_7bit() {
        let m = compose(&draft()).unwrap();
        assert!(m.is_ascii());
        assert!(
            m.split(|&b| b == b'\n').all(|l| l.len() <= 78),
            "{}",
            String::from_utf8_lossy(&m)
        );
        let p = mailparse::parse_mail(&m).unwrap();
        use mailparse::MailHeaderMap;
        assert_eq!(
            p.headers.get_first_value("Subject").unwrap(),
            "Grüße — ça va?"
        );
        assert_eq!(p.headers.get_first_value("X-Test").unwrap(), "yes");
        let to = mailparse::addrparse_header(p.headers.get_first_header("To").unwrap()).unwrap();
        let list: Vec<String> = to.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(list.len(), 2, "{list:?}");
        assert!(
            list[1].contains("john@x.org") && list[1].contains("Doe, Jöhn"),
            "{list:?}"
        );
        assert_eq!(
            p.get_body().unwrap().replace("\r\n", "\n"),
            "Привет\n.dot line\n"
        );
    }

    #[test]
    fn attachments_are_byte_exact_parts() {
        let mut d = draft();
        let blob: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
        d.attachments = vec![
            Attachment {
                name: "data.bin".into(),
                content_type: "application/octet-stream".into(),
                data: blob.clone(),
            },
            Attachment {
                name: "Grüße.txt".into(),
                content_type: "text/plain".into(),
                data: "ä\n".as_bytes().to_vec(),
            },
        ];
        let m = compose(&d).unwrap();
        assert!(m.is_ascii());
        let p = mailparse::parse_mail(&m).unwrap();
        assert_eq!(p.ctype.mimetype, "multipart/mixed");
        assert_eq!(p.subparts.len(), 3);
        assert_eq!(p.subparts[1].get_body_raw().unwrap(), blob);
        assert_eq!(
            p.subparts[2]
                .get_content_disposition()
                .params
                .get("filename")
                .map(String::as_str),
            Some("Grüße.txt")
        );
        assert_eq!(p.subparts[2].get_body_raw().unwrap(), "ä\n".as_bytes());
    }

    #[test]
    fn what_send_composes_passes_the_validator_without_a_word() {
        let mut d = draft();
        d.attachments = vec![Attachment {
            name: "Grüße.bin".into(),
            content_type: "application/octet-stream".into(),
            data: (0..3000u32).map(|i| (i % 251) as u8).collect(),
        }];
        // A boundary as long as the ones `send` makes.
        d.boundary = "=_mailkit_1796103532.2cc1aeba.17453.0".into();
        let mut long = draft();
        long.subject = Some(format!("{}end", "word ".repeat(30)));
        long.headers = vec![("X-Note".into(), "note ".repeat(40))];
        for draft in [draft(), d, long] {
            let m = compose(&draft).unwrap();
            let parsed = crate::message::mime::parse(&m);
            let diags = crate::message::validate::validate(&m, &parsed, 1, Default::default());
            assert_eq!(diags, vec![], "{}", String::from_utf8_lossy(&m));
        }
    }

    #[test]
    fn long_fields_fold_at_whitespace_and_unfold_to_the_same_value() {
        let subject = format!("Subject: {}end ", "word ".repeat(30));
        let folded = fold_words(&subject);
        assert!(folded.split("\r\n").all(|l| l.len() <= 78), "{folded}");
        assert!(folded.split("\r\n").skip(1).all(|l| l.starts_with(' ')));
        assert_eq!(folded.replace("\r\n", ""), subject);
        // A word longer than a line stays whole; no line is only blanks.
        let long = format!("X-Long: {} a", "y".repeat(90));
        let f = fold_words(&long);
        assert_eq!(f.replace("\r\n", ""), long);
        assert!(f.split("\r\n").all(|l| !l.trim().is_empty()));
    }

    #[test]
    fn header_replaces_and_injection_is_refused() {
        let mut d = draft();
        d.headers = vec![("Subject".into(), "replaced".into())];
        let m = String::from_utf8(compose(&d).unwrap()).unwrap();
        assert!(m.contains("\r\nSubject: replaced\r\n") && !m.contains("Gr"));
        d.headers = vec![("X-Evil".into(), "a\r\nBcc: victim@x".into())];
        assert!(compose(&d).is_err());
        d.headers = vec![("Bad Name".into(), "x".into())];
        assert!(compose(&d).is_err());
        d.headers = vec![];
        d.subject = Some("x\nBcc: y".into());
        assert!(compose(&d).is_err());
    }

    #[test]
    fn address_lists_split_on_top_level_commas() {
        assert_eq!(
            split_addresses("a@b, \"Doe, J\" <j@x>,k@y"),
            ["a@b", "\"Doe, J\" <j@x>", "k@y"]
        );
        assert_eq!(addr_spec("Bob <bob@h.edu>"), "bob@h.edu");
        assert_eq!(media_type("x.PDF"), "application/pdf");
        assert_eq!(media_type("noext"), "application/octet-stream");
    }
}

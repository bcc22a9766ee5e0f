//! What the web page and the API show of a message without reading its
//! file again: the address fields, subject, Message-ID, Return-Path, how
//! many attachments, a snippet, and the text a bare search word is looked
//! for in (Mailpit's `MessageSummary`, internal/storage/structs.go), made
//! once per message from its bytes when the index first sees it.

use crate::message::mime::{self, Part};

/// Most characters of body text and file names kept per message for
/// full-text search: a bound on the index's memory that still covers the
/// text of nearly all real mail (a 64 KiB text body is a long letter).
pub const MAX_SEARCH_TEXT: usize = 64 * 1024;

/// Longest snippet (Mailpit's 200 characters, internal/tools/snippets.go).
const SNIPPET: usize = 200;

/// One mailbox of an address field: display name ("" when none) and
/// address, as Go's `net/mail.Address` is written in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addr {
    /// The display name, RFC 2047 words decoded.
    pub name: String,
    /// The addr-spec.
    pub address: String,
}

impl Addr {
    /// `Name <address>` lowercased, what address searches match against.
    fn haystack(&self) -> String {
        format!("{} <{}>", self.name, self.address).to_lowercase()
    }
}

/// A message's summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// From (the first mailbox).
    pub from: Option<Addr>,
    /// To, Cc, Bcc and Reply-To mailboxes.
    pub to: Vec<Addr>,
    /// Cc.
    pub cc: Vec<Addr>,
    /// Bcc (present when the message kept it: a copy sent to oneself).
    pub bcc: Vec<Addr>,
    /// Reply-To.
    pub reply_to: Vec<Addr>,
    /// The decoded Subject ("" when none).
    pub subject: String,
    /// The Message-ID without `<>` ("" when none).
    pub message_id: String,
    /// Return-Path without `<>` (the From address when there is none, as
    /// Mailpit).
    pub return_path: String,
    /// How many attachments.
    pub attachments: u32,
    /// The start of the body text, white space collapsed.
    pub snippet: String,
    /// Lowercased text for bare search words: the subject, the address
    /// fields and Return-Path, then the body text (HTML with its tags
    /// removed when there is no plain text) and attachment file names, at
    /// most [`MAX_SEARCH_TEXT`] bytes of those.
    pub text: String,
    /// Lowercased haystacks for field searches, made once so a search
    /// allocates nothing per message: `Name <address>` lines of From, To,
    /// Cc, Bcc and Reply-To (in that order), the subject, the Message-ID,
    /// the Return-Path.
    pub hay: Haystacks,
}

/// The lowercased fields searches look in.
#[derive(Debug, Clone, Default)]
pub struct Haystacks {
    /// From, To, Cc, Bcc, Reply-To: each a newline-separated list.
    pub addresses: [String; 5],
    /// The subject.
    pub subject: String,
    /// The Message-ID (without `<>`).
    pub message_id: String,
    /// The Return-Path.
    pub return_path: String,
}

/// The address fields a search can name, in [`Haystacks::addresses`] order.
pub const ADDRESS_FIELDS: [&str; 5] = ["from", "to", "cc", "bcc", "reply-to"];

impl Summary {
    /// Reads a message's bytes (as stored: LF line ends).
    pub fn of(data: &[u8]) -> Summary {
        let msg = mime::parse(data);
        let addrs = |field: &str| -> Vec<Addr> {
            msg.addresses(field)
                .into_iter()
                .map(|m| Addr {
                    name: m.name.unwrap_or_default(),
                    address: m.address,
                })
                .collect()
        };
        let from = addrs("From").into_iter().next();
        let return_path = msg
            .get("Return-Path")
            .map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim()
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
            .or_else(|| from.as_ref().map(|f| f.address.clone()))
            .unwrap_or_default();
        let message_id = msg
            .message_id()
            .map(|id| id.trim_start_matches('<').trim_end_matches('>').to_owned())
            .unwrap_or_default();
        let body = msg.root.as_ref().map(Body::of).unwrap_or_default();
        let snippet = snippet(if body.html.is_empty() {
            &body.text
        } else {
            &body.html_text
        });
        let mut text = String::new();
        let plain = if body.text.is_empty() {
            &body.html_text
        } else {
            &body.text
        };
        push_bounded(&mut text, plain);
        for name in &body.names {
            push_bounded(&mut text, "\n");
            push_bounded(&mut text, name);
        }
        let mut s = Summary {
            to: addrs("To"),
            cc: addrs("Cc"),
            bcc: addrs("Bcc"),
            reply_to: addrs("Reply-To"),
            subject: msg.get("Subject").unwrap_or("").to_owned(),
            message_id,
            return_path,
            attachments: body.names.len() as u32,
            snippet,
            text: text.to_lowercase(),
            from,
            hay: Haystacks::default(),
        };
        let lines =
            |l: &[Addr]| -> String { l.iter().map(Addr::haystack).collect::<Vec<_>>().join("\n") };
        s.hay = Haystacks {
            addresses: [
                lines(s.from.as_slice()),
                lines(&s.to),
                lines(&s.cc),
                lines(&s.bcc),
                lines(&s.reply_to),
            ],
            subject: s.subject.to_lowercase(),
            message_id: s.message_id.to_lowercase(),
            return_path: s.return_path.to_lowercase(),
        };
        // Bare words look in the header fields too: one haystack, one
        // search per message.
        s.text = format!(
            "{}\n{}\n{}\n{}",
            s.hay.subject,
            s.hay.addresses.join("\n"),
            s.hay.return_path,
            s.text
        );
        s
    }
}

/// Appends `s` to `out` while `out` stays within [`MAX_SEARCH_TEXT`]
/// (cut at a character boundary).
fn push_bounded(out: &mut String, s: &str) {
    let room = MAX_SEARCH_TEXT.saturating_sub(out.len());
    if s.len() <= room {
        out.push_str(s);
    } else {
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&s[..end]);
    }
}

/// The texts of a message's body.
#[derive(Debug, Default)]
pub struct Body {
    /// The first text/plain part that is not an attachment, decoded.
    pub text: String,
    /// The first text/html part that is not an attachment, decoded.
    pub html: String,
    /// `html` with tags removed and entities decoded.
    pub html_text: String,
    /// The attachments' file names ("" for one without a name).
    pub names: Vec<String>,
}

impl Body {
    /// Finds the texts and attachments under `root`.
    pub fn of(root: &Part<'_>) -> Body {
        let mut b = Body::default();
        for p in leaves(root) {
            match classify(p) {
                Kind::Text if b.text.is_empty() => b.text = p.text(),
                Kind::Html if b.html.is_empty() => {
                    b.html = p.text();
                    b.html_text = strip_tags(&b.html);
                }
                Kind::Attachment => b.names.push(p.filename.clone().unwrap_or_default()),
                _ => {}
            }
        }
        b
    }
}

/// What a leaf part is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The plain text body (or one of its alternatives).
    Text,
    /// The HTML body.
    Html,
    /// A part shown inside the HTML (an image with a Content-ID in a
    /// multipart/related), Mailpit's `Inline`.
    Inline,
    /// An attachment: marked so, or not text, or text with a file name.
    Attachment,
}

/// How Mailpit (after enmime) sorts a leaf part.
pub fn classify(p: &Part<'_>) -> Kind {
    let disposition = p.disposition.as_deref();
    if disposition == Some("attachment") {
        return Kind::Attachment;
    }
    if p.content_type == "text/plain" && p.filename.is_none() {
        return Kind::Text;
    }
    if p.content_type == "text/html" && p.filename.is_none() {
        return Kind::Html;
    }
    if disposition == Some("inline") || p.content_id().is_some() {
        return Kind::Inline;
    }
    Kind::Attachment
}

/// The leaf parts in order; an attached message (message/rfc822) is one
/// leaf, as a mail reader offers it for download.
pub fn leaves<'p, 'a>(root: &'p Part<'a>) -> Vec<&'p Part<'a>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        if p.is_multipart() && !p.attached_message {
            stack.extend(p.parts.iter().rev());
        } else {
            out.push(p);
        }
    }
    out
}

/// Part numbers as IMAP numbers sections (RFC 9051 §6.4.5): a multipart's
/// children 1, 2, ...; a single-part message's body is 1; the parts of an
/// attached message go under its own number. Leaves and their numbers.
pub fn numbered<'p, 'a>(root: &'p Part<'a>) -> Vec<(String, &'p Part<'a>)> {
    fn walk<'p, 'a>(p: &'p Part<'a>, id: String, out: &mut Vec<(String, &'p Part<'a>)>) {
        if p.is_multipart() && !p.attached_message {
            for (i, c) in p.parts.iter().enumerate() {
                let n = if id.is_empty() {
                    (i + 1).to_string()
                } else {
                    format!("{id}.{}", i + 1)
                };
                walk(c, n, out);
            }
        } else {
            out.push((if id.is_empty() { "1".into() } else { id }, p));
        }
    }
    let mut out = Vec::new();
    walk(root, String::new(), &mut out);
    out
}

/// Text with white space runs collapsed, cut to [`SNIPPET`] characters.
fn snippet(text: &str) -> String {
    let mut out = String::new();
    for (n, w) in text.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(w);
        if out.chars().count() >= SNIPPET {
            break;
        }
    }
    match out.char_indices().nth(SNIPPET) {
        Some((i, _)) => out[..i].to_owned(),
        None => out,
    }
}

/// HTML reduced to its text: tags, comments, `<script>` and `<style>`
/// contents removed, the common entities decoded; block ends become
/// spaces so words do not run together.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let b = html.as_bytes();
    while i < b.len() {
        if b[i] == b'<' {
            let rest = &lower[i..];
            let skip_to = if rest.starts_with("<!--") {
                rest.find("-->").map(|e| i + e + 3)
            } else if rest.starts_with("<script") {
                rest.find("</script")
                    .and_then(|e| lower[i + e..].find('>').map(|f| i + e + f + 1))
            } else if rest.starts_with("<style") {
                rest.find("</style")
                    .and_then(|e| lower[i + e..].find('>').map(|f| i + e + f + 1))
            } else {
                rest.find('>').map(|e| i + e + 1)
            };
            i = skip_to.unwrap_or(b.len());
            out.push(' ');
            continue;
        }
        if b[i] == b'&' {
            if let Some(end) = html[i..].find(';').filter(|&e| e <= 10) {
                let name = &html[i + 1..i + end];
                let ch = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" | "#39" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => name
                        .strip_prefix("#x")
                        .or_else(|| name.strip_prefix("#X"))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = ch {
                    out.push(c);
                    i += end + 1;
                    continue;
                }
            }
        }
        let ch = html[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rich_message_is_summarised_as_mailpit_does() {
        let data = b"Return-Path: <bounces@crepes.fr>\nFrom: =?utf-8?q?Alice_Cr=C3=AApe?= <alice@crepes.fr>\nTo: Bob <bob@hamburger.edu>, carol@wonder.land\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <a.1@crepes.fr>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nplain   words\nhere\n--a\nContent-Type: text/html\n\n<p>HTML &amp; <b>bold</b></p><script>evil()</script>\n--a--\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"Report.PDF\"\n\nxx\n--b--\n";
        let s = Summary::of(data);
        assert_eq!(
            s.from,
            Some(Addr {
                name: "Alice Crêpe".into(),
                address: "alice@crepes.fr".into()
            })
        );
        assert_eq!(s.to.len(), 2);
        assert_eq!(s.to[1].name, "");
        assert_eq!(s.subject, "Grüße");
        assert_eq!(s.message_id, "a.1@crepes.fr");
        assert_eq!(s.return_path, "bounces@crepes.fr");
        assert_eq!(s.attachments, 1);
        // HTML preferred for the snippet, script text gone.
        assert_eq!(s.snippet, "HTML & bold");
        assert!(s.text.contains("plain   words") && s.text.contains("report.pdf"));
        let root = mime::parse(data);
        let ids: Vec<String> = numbered(root.root.as_ref().unwrap())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(ids, ["1.1", "1.2", "2"]);
    }

    #[test]
    fn the_search_text_is_bounded() {
        let mut data = b"Subject: big\n\n".to_vec();
        data.extend(std::iter::repeat_n(b'a', MAX_SEARCH_TEXT * 2));
        // The body's part is bounded; the header fields' lines come first
        // ("big", four empty address lines, no Return-Path).
        let n = Summary::of(&data).text.len();
        assert_eq!(n, MAX_SEARCH_TEXT + "big\n\n\n\n\n\n\n".len());
        assert_eq!(snippet(&"é".repeat(500)).chars().count(), SNIPPET);
    }
}

//! The JSON shapes of Mailpit's API (internal/storage/structs.go,
//! server/apiv1/messages.go, server/websockets/hub.go), written from the
//! index and from parsed messages, with Mailpit's field names and types.

use serde_json::{json, Map, Value};

use super::index::{Entry, Index, Scope};
use super::summary::{self, Addr, Kind};
use crate::message::mime;
use crate::util::time::rfc3339;

/// The version every `info` and `stats` says.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Go's `net/mail.Address`.
fn addr(a: &Addr) -> Value {
    json!({"Name": a.name, "Address": a.address})
}

fn addrs(list: &[Addr]) -> Value {
    Value::Array(list.iter().map(addr).collect())
}

/// A `MessageSummary`.
pub fn summary(e: &Entry) -> Value {
    let s = &e.summary;
    json!({
        "ID": &*e.id,
        "MessageID": s.message_id,
        "Read": e.read(),
        "From": s.from.as_ref().map_or_else(|| addr(&Addr::default()), addr),
        "To": addrs(&s.to),
        "Cc": addrs(&s.cc),
        "Bcc": addrs(&s.bcc),
        "ReplyTo": addrs(&s.reply_to),
        "Subject": s.subject,
        "Created": rfc3339(e.created),
        "Tags": [],
        "Size": e.size,
        "Attachments": s.attachments,
        "Snippet": s.snippet,
        "Mailbox": &*e.mailbox,
        "Folder": &*e.folder,
    })
}

/// A list or search result (`MessagesSummary`): `total`/`unread` of what
/// the client sees, `messages_count`/`messages_unread` of what matched
/// (`matched`), the page from `start`.
pub fn page(
    index: &Index,
    scope: &Scope,
    page: &[&Entry],
    start: usize,
    matched: (usize, usize),
) -> Value {
    let (total, unread) = index.counts(scope);
    let messages: Vec<Value> = page.iter().map(|e| summary(e)).collect();
    json!({
        "total": total,
        "unread": unread,
        "count": messages.len(),
        "messages_count": matched.0,
        "messages_unread": matched.1,
        "start": start,
        "tags": [],
        "messages": messages,
    })
}

/// A part as Mailpit's `Attachment`: PartID, FileName, ContentType (no
/// parameters), ContentID, Size (decoded) and Checksums of the decoded bytes.
fn attachment(id: &str, p: &mime::Part<'_>) -> Value {
    use md5::Digest;
    let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
    let data = p.decoded();
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data);
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &data);
    json!({
        "PartID": id,
        "FileName": p.filename.clone().unwrap_or_default(),
        "ContentType": p.content_type,
        "ContentID": p.content_id().unwrap_or_default(),
        "Size": data.len(),
        "Checksums": {
            "MD5": hex(&md5::Md5::digest(&data)),
            "SHA1": hex(sha1.as_ref()),
            "SHA256": hex(sha256.as_ref()),
        },
    })
}

/// A `Message`: the summary's fields with every list present, Date from
/// the Date field (the time received when it has none), the decoded text
/// and HTML bodies, and the inline parts and attachments.
pub fn message(e: &Entry, data: &[u8]) -> Value {
    let msg = mime::parse(data);
    let s = &e.summary;
    let (mut text, mut html) = (String::new(), String::new());
    let (mut inline, mut attachments) = (Vec::new(), Vec::new());
    if let Some(root) = &msg.root {
        for (id, p) in summary::numbered(root) {
            match summary::classify(p) {
                Kind::Text if text.is_empty() => text = p.text(),
                Kind::Html if html.is_empty() => html = p.text(),
                Kind::Text | Kind::Html => {}
                Kind::Inline => inline.push(attachment(&id, p)),
                Kind::Attachment => attachments.push(attachment(&id, p)),
            }
        }
    }
    json!({
        "ID": &*e.id,
        "MessageID": s.message_id,
        "From": s.from.as_ref().map_or_else(|| addr(&Addr::default()), addr),
        "To": addrs(&s.to),
        "Cc": addrs(&s.cc),
        "Bcc": addrs(&s.bcc),
        "ReplyTo": addrs(&s.reply_to),
        "ReturnPath": s.return_path,
        "Subject": s.subject,
        "ListUnsubscribe": {"Header": msg.get("List-Unsubscribe").unwrap_or(""), "Links": [], "Errors": "", "HeaderPost": msg.get("List-Unsubscribe-Post").unwrap_or("")},
        "Date": msg.date().unwrap_or_else(|| rfc3339(e.created)),
        "Created": rfc3339(e.created),
        "Tags": [],
        "Username": "",
        "Text": text,
        "HTML": html,
        "Size": e.size,
        "Inline": inline,
        "Attachments": attachments,
        "Read": e.read(),
        "Mailbox": &*e.mailbox,
        "Folder": &*e.folder,
    })
}

/// A header field name in Go's canonical form (`x-lower` → `X-Lower`),
/// as Mailpit's `/headers` writes them.
pub fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

/// `/headers`: `{Name: [values in order]}`, values unfolded as written.
pub fn headers(data: &[u8]) -> Value {
    let section = crate::message::header::scan(data);
    let mut o = Map::new();
    for f in &section.fields {
        let name = canonical_name(&String::from_utf8_lossy(f.name));
        let v = o.entry(name).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = v {
            a.push(Value::String(f.unfolded()));
        }
    }
    Value::Object(o)
}

/// An event object of the stream (`{"Type", "Data"}`).
pub fn event(kind: &str, data: Value) -> String {
    json!({"Type": kind, "Data": data}).to_string()
}

/// The `stats` event's data for a scope.
pub fn stats(index: &Index, scope: &Scope) -> Value {
    let (total, unread) = index.counts(scope);
    json!({"Total": total, "Unread": unread, "Version": VERSION, "Tags": {}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_canonical_header_names() {
        assert_eq!(canonical_name("x-lower-case"), "X-Lower-Case");
        assert_eq!(canonical_name("MESSAGE-ID"), "Message-Id");
        let h = headers(b"Subject: a\nX-Multi: 1\nx-multi: 2\nX-Folded: one\n  two\n\nbody\n");
        assert_eq!(h["X-Multi"], json!(["1", "2"]));
        assert_eq!(h["X-Folded"], json!(["one  two"]));
    }
}

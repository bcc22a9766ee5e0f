//! The JSON document `parse --json` prints for a message, in the shape
//! SPEC fixes: `file`, `headers` (`{name, value}` in order), `subject`,
//! `from`/`to`/`cc`/`reply_to` (`{name, address}` lists), `date` (RFC 3339
//! or null), `message_id`, and `mime`, the root part, each part
//! `{content_type, charset, encoding, disposition, filename, size, parts}`.

use serde_json::{json, Map, Value};

use super::mime::{Message, Part};
use super::validate::Diagnostic;

/// What to put in the document besides the fixed fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Each text part's body decoded to UTF-8, as `text`.
    pub bodies: bool,
}

fn mailboxes(msg: &Message<'_>, field: &str) -> Value {
    Value::Array(
        msg.addresses(field)
            .into_iter()
            .map(|m| json!({"name": m.name, "address": m.address}))
            .collect(),
    )
}

fn part(p: &Part<'_>, number: &mut usize, extras: Extras) -> Value {
    let mut o = Map::new();
    o.insert("part".into(), json!(*number));
    *number += 1;
    o.insert("content_type".into(), json!(p.content_type));
    o.insert("charset".into(), json!(p.charset));
    o.insert("encoding".into(), json!(p.encoding));
    o.insert("disposition".into(), json!(p.disposition));
    o.insert("filename".into(), json!(p.filename));
    o.insert("size".into(), json!(p.body.len()));
    if extras.bodies && p.is_text() && p.parts.is_empty() {
        o.insert("text".into(), json!(p.text()));
    }
    let parts: Vec<Value> = p.parts.iter().map(|c| part(c, number, extras)).collect();
    o.insert("parts".into(), Value::Array(parts));
    Value::Object(o)
}

/// The document for one message; `diagnostics` (from `--validate`) adds
/// `valid` and `diagnostics` (`{line, severity, text, rule}`).
pub fn document(
    file: &str,
    msg: &Message<'_>,
    extras: Extras,
    diagnostics: Option<&[Diagnostic]>,
) -> Value {
    let mut o = Map::new();
    o.insert("file".into(), json!(file));
    o.insert(
        "headers".into(),
        Value::Array(
            msg.headers
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect(),
        ),
    );
    o.insert("subject".into(), json!(msg.get("Subject")));
    o.insert("from".into(), mailboxes(msg, "From"));
    o.insert("to".into(), mailboxes(msg, "To"));
    o.insert("cc".into(), mailboxes(msg, "Cc"));
    o.insert("reply_to".into(), mailboxes(msg, "Reply-To"));
    o.insert("date".into(), json!(msg.date()));
    o.insert("message_id".into(), json!(msg.message_id()));
    let mut n = 0;
    o.insert(
        "mime".into(),
        msg.root
            .as_ref()
            .map_or(Value::Null, |r| part(r, &mut n, extras)),
    );
    if let Some(e) = &msg.error {
        o.insert("error".into(), json!(e));
    }
    if let Some(d) = diagnostics {
        o.insert(
            "valid".into(),
            json!(!d
                .iter()
                .any(|x| x.severity == super::validate::Severity::Error)),
        );
        o.insert("diagnostics".into(), diagnostics_json(d));
    }
    Value::Object(o)
}

/// Diagnostics as JSON: `[{line, severity, text, rule}]` (`parse --json
/// --validate` and serve-http's `/validate`).
pub fn diagnostics_json(d: &[Diagnostic]) -> Value {
    Value::Array(
        d.iter()
            .map(|x| json!({"line": x.line, "severity": x.severity.as_str(), "text": x.text, "rule": x.rule}))
            .collect(),
    )
}

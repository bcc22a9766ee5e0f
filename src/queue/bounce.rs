//! Delivery status notifications (RFC 3464, RFC 3462 multipart/report):
//! the bounce for recipients that failed for good, the delay warning for
//! those still trying, and, when the sender asked with NOTIFY=SUCCESS (RFC
//! 3461), the report of delivery (or of relaying to a hop that sends no
//! reports). Sent from the null sender `<>`, and never for a message that
//! itself came from `<>` (RFC 5321 §4.5.5: no bounce loops).

use crate::util::time::rfc5322;

/// One recipient's line in the report.
#[derive(Debug, Clone)]
pub struct Failed {
    /// The recipient.
    pub rcpt: String,
    /// The enhanced status, e.g. `5.1.1` (RFC 3463).
    pub status: String,
    /// What the remote server said, or why we gave up.
    pub diagnostic: String,
    /// Which host said it, if one did.
    pub remote: Option<String>,
    /// The sender's ORCPT for it (RFC 3461 §4.2): `Original-Recipient`.
    pub orcpt: Option<(String, String)>,
}

/// What happened to the recipients a report is about (RFC 3464 §2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `Action: failed`: failed for good.
    Failed,
    /// `Action: delayed`: still being tried.
    Delayed,
    /// `Action: delivered`: stored in the recipient's mailbox.
    Delivered,
    /// `Action: relayed`: handed to a hop that sends no reports.
    Relayed,
}

impl Action {
    fn keyword(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
        }
    }
}

/// What of the original a report carries (RFC 3461 §4.3 RET).
#[derive(Debug, Clone, Copy)]
pub enum Returned<'a> {
    /// Its header block (`text/rfc822-headers`, RFC 6522 §4).
    Headers(&'a [u8]),
    /// The whole message (`message/rfc822`).
    Full(&'a [u8]),
}

/// Whether a message from `from` may get a DSN: not from the null sender.
pub fn may_notify(from: Option<&str>) -> bool {
    from.is_some_and(|f| !f.is_empty())
}

/// The enhanced status in a reply (`550 5.1.1 ...` → `5.1.1`), or one made
/// from its code's class.
pub fn status_of(reply: &str) -> String {
    let enhanced = |w: &str| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut w = reply.split_whitespace();
    let code = w.next().unwrap_or("");
    if enhanced(code) {
        return code.to_owned();
    }
    if let Some(enh) = w.next().filter(|e| enhanced(e)) {
        return enh.to_owned();
    }
    match code.as_bytes().first() {
        Some(b'4') => "4.0.0".into(),
        _ => "5.0.0".into(),
    }
}

/// Composes the DSN to `to` about the message `original` (its header or
/// all of it); `host` is this MTA, `id` a unique token, `envid` the
/// sender's ENVID (RFC 3461 §4.4: `Original-Envelope-Id`).
#[allow(clippy::too_many_arguments)]
pub fn compose(
    host: &str,
    to: &str,
    action: Action,
    failed: &[Failed],
    original: Returned<'_>,
    arrival: std::time::SystemTime,
    id: &str,
    envid: Option<&str>,
) -> Vec<u8> {
    let now = std::time::SystemTime::now();
    let boundary = format!("=_mailkit_dsn_{id}");
    let (subject, intro) = match action {
        Action::Failed => (
            "Undelivered Mail Returned to Sender",
            "Your message could not be delivered to the recipients below. This is a\npermanent error; the message was not delivered and will not be retried.",
        ),
        Action::Delayed => (
            "Delayed Mail (still being retried)",
            "Your message has not been delivered yet to the recipients below. It is\nstill queued and will be tried again; you need not send it again.",
        ),
        Action::Delivered => (
            "Successful Mail Delivery Report",
            "Your message was delivered to the recipients below, as you asked to be\ntold (NOTIFY=SUCCESS).",
        ),
        Action::Relayed => (
            "Successful Mail Delivery Report",
            "Your message was relayed to the recipients below, to a mail server that\ndoes not send delivery reports: no further notice will come from there.",
        ),
    };
    let mut m = String::new();
    m.push_str(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\n"
    ));
    m.push_str(&format!("To: <{to}>\n"));
    m.push_str(&format!("Subject: {subject}\n"));
    m.push_str(&format!("Date: {}\n", rfc5322(now)));
    m.push_str(&format!("Message-ID: <dsn.{id}@{host}>\n"));
    m.push_str("Auto-Submitted: auto-replied\n");
    m.push_str("MIME-Version: 1.0\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\n boundary=\"{boundary}\"\n\n"
    ));
    m.push_str("This is a MIME-encapsulated delivery status notification.\n\n");
    m.push_str(&format!(
        "--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n"
    ));
    m.push_str(&format!(
        "This is the mail system at {host}.\n\n{intro}\n\n"
    ));
    for f in failed {
        let by = f
            .remote
            .as_deref()
            .map(|r| format!(" (said {r})"))
            .unwrap_or_default();
        m.push_str(&format!("<{}>{by}:\n    {}\n", f.rcpt, f.diagnostic));
    }
    m.push_str(&format!(
        "\n--{boundary}\nContent-Type: message/delivery-status\n\n"
    ));
    if let Some(e) = envid {
        // RFC 3464 §2.2.1: as given, xtext-encoded.
        m.push_str(&format!(
            "Original-Envelope-Id: {}\n",
            crate::proto::smtp::dsn::xtext_encode(e)
        ));
    }
    m.push_str(&format!(
        "Reporting-MTA: dns; {host}\nArrival-Date: {}\n",
        rfc5322(arrival)
    ));
    for f in failed {
        if let Some((t, a)) = &f.orcpt {
            m.push_str(&format!(
                "\nOriginal-Recipient: {t}; {}",
                crate::proto::smtp::dsn::xtext_encode(a)
            ));
        }
        m.push_str(&format!("\nFinal-Recipient: rfc822; {}\n", f.rcpt));
        m.push_str(&format!("Action: {}\n", action.keyword()));
        m.push_str(&format!("Status: {}\n", f.status));
        if let Some(r) = &f.remote {
            m.push_str(&format!("Remote-MTA: dns; {r}\n"));
        }
        m.push_str(&format!("Diagnostic-Code: smtp; {}\n", f.diagnostic));
    }
    let (part_type, original) = match original {
        Returned::Headers(h) => ("text/rfc822-headers", h),
        Returned::Full(m) => ("message/rfc822", m),
    };
    m.push_str(&format!("\n--{boundary}\nContent-Type: {part_type}\n\n"));
    let mut out = m.into_bytes();
    out.extend_from_slice(original);
    if !original.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(format!("\n--{boundary}--\n").as_bytes());
    out
}

/// The header block of a message (up to the blank line).
pub fn header_block(message: &[u8]) -> &[u8] {
    let s = crate::message::header::scan(message);
    &message[..s.body_offset.min(message.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_is_a_valid_report_with_the_original_headers() {
        let original = b"From: alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: hi\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMessage-ID: <m@crepes.fr>\n\nbody\n";
        let failed = [Failed {
            rcpt: "bob@hamburger.edu".into(),
            status: status_of("550 5.1.1 user unknown"),
            diagnostic: "550 5.1.1 user unknown".into(),
            remote: Some("127.0.0.1".into()),
            orcpt: Some(("rfc822".into(), "Bob@Hamburger.edu".into())),
        }];
        let dsn = compose(
            "crepes.fr",
            "alice@crepes.fr",
            Action::Failed,
            &failed,
            Returned::Headers(header_block(original)),
            std::time::SystemTime::now(),
            "Q1",
            Some("env 1"),
        );
        let parsed = crate::message::mime::parse(&dsn);
        let diags = crate::message::validate::validate(&dsn, &parsed, 1, Default::default());
        assert_eq!(
            diags
                .iter()
                .filter(|d| d.severity == crate::message::validate::Severity::Error)
                .count(),
            0,
            "{diags:?}"
        );
        let root = parsed.root.as_ref().unwrap();
        let types: Vec<_> = root.walk().iter().map(|p| p.content_type.clone()).collect();
        assert_eq!(
            types,
            [
                "multipart/report",
                "text/plain",
                "message/delivery-status",
                "text/rfc822-headers"
            ]
        );
        let text = String::from_utf8_lossy(&dsn);
        assert!(text.contains("Action: failed\nStatus: 5.1.1\n"));
        assert!(text.contains("Original-Envelope-Id: env+201\nReporting-MTA: dns; crepes.fr\n"));
        assert!(text.contains("\nOriginal-Recipient: rfc822; Bob@Hamburger.edu\nFinal-Recipient: rfc822; bob@hamburger.edu\n"));
        assert!(text.contains("Subject: hi\n"));
        assert!(!text.contains("\nbody\n"));
        assert_eq!(status_of("451 try later"), "4.0.0");
        assert_eq!(status_of("4.4.7 message expired"), "4.4.7");
        assert!(!may_notify(None) && !may_notify(Some("")) && may_notify(Some("a@b")));
        // RET=FULL: the whole original as message/rfc822.
        let full = compose(
            "crepes.fr",
            "alice@crepes.fr",
            Action::Delivered,
            &failed,
            Returned::Full(original),
            std::time::SystemTime::now(),
            "Q2",
            None,
        );
        let parsed = crate::message::mime::parse(&full);
        let root = parsed.root.as_ref().unwrap();
        let types: Vec<_> = root.walk().iter().map(|p| p.content_type.clone()).collect();
        assert!(types.contains(&"message/rfc822".to_string()), "{types:?}");
        let text = String::from_utf8_lossy(&full);
        assert!(text.contains("Action: delivered\n") && text.contains("\nbody\n"));
        assert!(!text.contains("Original-Envelope-Id"));
    }
}

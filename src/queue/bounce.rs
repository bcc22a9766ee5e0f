//! Delivery status notifications (RFC 3464, RFC 3462 multipart/report):
//! the bounce for recipients that failed for good, and the delay warning
//! for those still trying. Sent from the null sender `<>`, and never for a
//! message that itself came from `<>` (RFC 5321 §4.5.5: no bounce loops).

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
}

/// Failed for good, or delayed and still being tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `Action: failed`.
    Failed,
    /// `Action: delayed`.
    Delayed,
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

/// Composes the DSN to `to` about the message whose header block is
/// `original_headers`; `host` is this MTA, `id` a unique token.
pub fn compose(
    host: &str,
    to: &str,
    action: Action,
    failed: &[Failed],
    original_headers: &[u8],
    arrival: std::time::SystemTime,
    id: &str,
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
    m.push_str(&format!(
        "Reporting-MTA: dns; {host}\nArrival-Date: {}\n",
        rfc5322(arrival)
    ));
    for f in failed {
        m.push_str(&format!("\nFinal-Recipient: rfc822; {}\n", f.rcpt));
        m.push_str(match action {
            Action::Failed => "Action: failed\n",
            Action::Delayed => "Action: delayed\n",
        });
        m.push_str(&format!("Status: {}\n", f.status));
        if let Some(r) = &f.remote {
            m.push_str(&format!("Remote-MTA: dns; {r}\n"));
        }
        m.push_str(&format!("Diagnostic-Code: smtp; {}\n", f.diagnostic));
    }
    m.push_str(&format!(
        "\n--{boundary}\nContent-Type: text/rfc822-headers\n\n"
    ));
    let mut out = m.into_bytes();
    out.extend_from_slice(original_headers);
    if !original_headers.ends_with(b"\n") {
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
        }];
        let dsn = compose(
            "crepes.fr",
            "alice@crepes.fr",
            Action::Failed,
            &failed,
            header_block(original),
            std::time::SystemTime::now(),
            "Q1",
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
        assert!(text.contains("Subject: hi\n"));
        assert!(!text.contains("\nbody\n"));
        assert_eq!(status_of("451 try later"), "4.0.0");
        assert_eq!(status_of("4.4.7 message expired"), "4.4.7");
        assert!(!may_notify(None) && !may_notify(Some("")) && may_notify(Some("a@b")));
    }
}

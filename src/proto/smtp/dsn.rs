//! Delivery Status Notification parameters (RFC 3461): `RET` and `ENVID`
//! on MAIL, `NOTIFY` and `ORCPT` on RCPT, with xtext (RFC 3461 §4) for
//! the values that carry addresses and ids.

use std::fmt;

/// How much of the original a failure report returns (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// The whole message.
    Full,
    /// Only its header.
    Hdrs,
}

impl Ret {
    /// The keyword as written in MAIL and the queue.
    pub fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Hdrs => "HDRS",
        }
    }

    /// `FULL` or `HDRS`, any case.
    pub fn parse(s: &str) -> Option<Ret> {
        if s.eq_ignore_ascii_case("FULL") {
            Some(Ret::Full)
        } else if s.eq_ignore_ascii_case("HDRS") {
            Some(Ret::Hdrs)
        } else {
            None
        }
    }
}

/// When a recipient's sender wants a report (RFC 3461 §4.1): `NEVER`, or
/// any of `SUCCESS`, `FAILURE`, `DELAY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notify {
    /// A report when delivered (or relayed to a DSN-less hop).
    pub success: bool,
    /// A report when it failed.
    pub failure: bool,
    /// A report when it is delayed.
    pub delay: bool,
}

impl Notify {
    /// `NEVER`: no report at all.
    pub const NEVER: Notify = Notify {
        success: false,
        failure: false,
        delay: false,
    };

    /// Parses `NEVER` or a comma list of `SUCCESS`, `FAILURE`, `DELAY`
    /// (any case; NEVER alone, no repeats).
    pub fn parse(s: &str) -> Result<Notify, DsnError> {
        if s.eq_ignore_ascii_case("NEVER") {
            return Ok(Notify::NEVER);
        }
        let mut n = Notify::default();
        for w in s.split(',') {
            let slot = if w.eq_ignore_ascii_case("SUCCESS") {
                &mut n.success
            } else if w.eq_ignore_ascii_case("FAILURE") {
                &mut n.failure
            } else if w.eq_ignore_ascii_case("DELAY") {
                &mut n.delay
            } else {
                return Err(DsnError(
                    "NOTIFY takes NEVER or SUCCESS, FAILURE, DELAY separated by commas",
                ));
            };
            if std::mem::replace(slot, true) {
                return Err(DsnError("NOTIFY names a condition twice"));
            }
        }
        Ok(n)
    }

    /// Whether this is `NEVER`.
    pub fn is_never(&self) -> bool {
        *self == Notify::NEVER
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            return f.write_str("NEVER");
        }
        let words: Vec<&str> = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect();
        f.write_str(&words.join(","))
    }
}

/// A recipient's DSN parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcptDsn {
    /// `NOTIFY`; `None` when not given (the MTA's default: failures and
    /// delays, RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT`: the address type and the original address, decoded
    /// (`rfc822`, `bob@hamburger.edu`).
    pub orcpt: Option<(String, String)>,
}

impl RcptDsn {
    /// Whether a report of failure is wanted (none given: yes).
    pub fn on_failure(&self) -> bool {
        self.notify.is_none_or(|n| n.failure)
    }

    /// Whether a delay warning is wanted (none given: yes).
    pub fn on_delay(&self) -> bool {
        self.notify.is_none_or(|n| n.delay)
    }

    /// Whether a success report is wanted (only when asked for).
    pub fn on_success(&self) -> bool {
        self.notify.is_some_and(|n| n.success)
    }

    /// The parameters as RCPT carries them (with a leading space each).
    pub fn params(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.notify {
            s.push_str(&format!(" NOTIFY={n}"));
        }
        if let Some((t, a)) = &self.orcpt {
            s.push_str(&format!(" ORCPT={t};{}", xtext_encode(a)));
        }
        s
    }
}

/// The message's DSN parameters (MAIL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailDsn {
    /// `RET`.
    pub ret: Option<Ret>,
    /// `ENVID`, decoded.
    pub envid: Option<String>,
}

impl MailDsn {
    /// The parameters as MAIL carries them (with a leading space each).
    pub fn params(&self) -> String {
        let mut s = String::new();
        if let Some(r) = self.ret {
            s.push_str(&format!(" RET={}", r.as_str()));
        }
        if let Some(e) = &self.envid {
            s.push_str(&format!(" ENVID={}", xtext_encode(e)));
        }
        s
    }

    /// Whether any parameter is set.
    pub fn is_empty(&self) -> bool {
        self.ret.is_none() && self.envid.is_none()
    }
}

/// A DSN parameter that cannot be used; the text says why (501 5.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DsnError(pub &'static str);

impl fmt::Display for DsnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DsnError {}

/// Longest ENVID (RFC 3461 §4.4: 100 characters).
pub const MAX_ENVID: usize = 100;

/// Longest ORCPT value, type included (RFC 3461 §4.2: 500 characters).
pub const MAX_ORCPT: usize = 500;

/// Decodes xtext (RFC 3461 §4): printable ASCII except `+` and `=`, and
/// `+XX` (two upper-case hex digits) for any octet. The result must be
/// UTF-8 (RFC 6533 allows UTF-8 addresses).
pub fn xtext_decode(s: &str) -> Result<String, DsnError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                let hex = |c: u8| match c {
                    b'0'..=b'9' => Some(c - b'0'),
                    b'A'..=b'F' => Some(c - b'A' + 10),
                    _ => None,
                };
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(DsnError("bad xtext: + must be followed by two hex digits"));
                };
                out.push(h << 4 | l);
                i += 3;
            }
            c @ b'!'..=b'~' if c != b'=' => {
                out.push(c);
                i += 1;
            }
            _ => return Err(DsnError("bad xtext: a character that must be +XX-encoded")),
        }
    }
    String::from_utf8(out).map_err(|_| DsnError("bad xtext: not UTF-8"))
}

/// Encodes as xtext (RFC 3461 §4).
pub fn xtext_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if (b'!'..=b'~').contains(&c) && c != b'+' && c != b'=' {
            out.push(c as char);
        } else {
            out.push_str(&format!("+{c:02X}"));
        }
    }
    out
}

/// Parses an ORCPT value: `addr-type ";" xtext` (RFC 3461 §4.2).
pub fn parse_orcpt(v: &str) -> Result<(String, String), DsnError> {
    if v.len() > MAX_ORCPT {
        return Err(DsnError("ORCPT is longer than 500 characters"));
    }
    let (t, a) = v.split_once(';').ok_or(DsnError(
        "ORCPT takes addr-type;address, e.g. rfc822;bob@example.org",
    ))?;
    let atom = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    if !atom(t) {
        return Err(DsnError(
            "ORCPT's address type must be an atom such as rfc822",
        ));
    }
    let a = xtext_decode(a)?;
    if a.is_empty() {
        return Err(DsnError("ORCPT has no address"));
    }
    Ok((t.to_ascii_lowercase(), a))
}

/// Parses an ENVID value (xtext, at most 100 characters decoded).
pub fn parse_envid(v: &str) -> Result<String, DsnError> {
    let e = xtext_decode(v)?;
    if e.is_empty() || e.chars().count() > MAX_ENVID {
        return Err(DsnError("ENVID must be 1 to 100 characters"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext_round_trips_and_refuses_what_it_must() {
        assert_eq!(xtext_decode("a+2Bb+3Dc").unwrap(), "a+b=c");
        assert_eq!(xtext_encode("a+b=c d\u{e9}"), "a+2Bb+3Dc+20d+C3+A9");
        for s in ["x y", "a+2b", "a+", "a+G0", "a=b", "caf\u{e9}"] {
            assert!(xtext_decode(s).is_err(), "{s}");
        }
        for s in ["bob@x", "weird+=;chars", "\u{e9}t\u{e9}@x"] {
            assert_eq!(xtext_decode(&xtext_encode(s)).unwrap(), s);
        }
    }

    #[test]
    fn notify_orcpt_envid_ret() {
        assert!(Notify::parse("never").unwrap().is_never());
        let n = Notify::parse("Failure,SUCCESS").unwrap();
        assert!(n.success && n.failure && !n.delay);
        assert_eq!(n.to_string(), "SUCCESS,FAILURE");
        for bad in [
            "",
            "NEVER,SUCCESS",
            "SUCCESS,SUCCESS",
            "SOMETIMES",
            "SUCCESS,",
        ] {
            assert!(Notify::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_orcpt("RFC822;bob+40x").unwrap(),
            ("rfc822".into(), "bob@x".into())
        );
        for bad in ["bob@x", ";bob@x", "rfc822;", "rfc 822;x", &"x".repeat(600)] {
            assert!(parse_orcpt(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_envid("QQ314159").unwrap(), "QQ314159");
        assert!(parse_envid(&"x".repeat(101)).is_err());
        assert_eq!(Ret::parse("hdrs"), Some(Ret::Hdrs));
        let d = RcptDsn {
            notify: Some(Notify::NEVER),
            orcpt: Some(("rfc822".into(), "a b@x".into())),
        };
        assert_eq!(d.params(), " NOTIFY=NEVER ORCPT=rfc822;a+20b@x");
        assert!(!d.on_failure() && !d.on_delay() && !d.on_success());
        assert!(RcptDsn::default().on_failure() && !RcptDsn::default().on_success());
    }
}

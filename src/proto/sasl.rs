//! SASL for every protocol: the PLAIN (RFC 4616) and LOGIN
//! (draft-murchison-sasl-login) mechanisms as SMTP AUTH (RFC 4954), POP3
//! AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 9051 §6.2.2) carry them:
//! base64 lines, `=` for an empty initial response, `*` to cancel.

use std::fmt;

/// The mechanisms offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: one response, `[authzid] NUL authcid NUL passwd`.
    Plain,
    /// Two challenges ("Username:", "Password:"), one value each.
    Login,
}

/// The mechanisms in the order they are advertised.
pub const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

impl Mechanism {
    /// The mechanism named `name` (any case).
    pub fn parse(name: &str) -> Option<Mechanism> {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            _ => None,
        }
    }

    /// Its registered name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
        }
    }
}

/// LOGIN's first challenge, base64 of "Username:".
pub const LOGIN_USER_CHALLENGE: &str = "VXNlcm5hbWU6";
/// LOGIN's second challenge, base64 of "Password:".
pub const LOGIN_PASSWORD_CHALLENGE: &str = "UGFzc3dvcmQ6";

/// A name and password from a finished exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authentication identity (authcid).
    pub user: String,
    /// The password.
    pub password: String,
}

/// Why a response was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslError {
    /// The client sent `*` (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2).
    Cancelled,
    /// Not base64.
    Base64,
    /// Decoded, but not UTF-8, or not the mechanism's shape.
    Malformed,
    /// PLAIN with an authorization identity other than the user: acting
    /// for another user is not supported, so it is refused (RFC 4616 §2:
    /// the server must check the authcid may act as the authzid).
    Authzid,
}

impl fmt::Display for SaslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SaslError::Cancelled => "authentication cancelled",
            SaslError::Base64 => "invalid base64 in the response",
            SaslError::Malformed => "a PLAIN response is [authzid] NUL user NUL password, in UTF-8",
            SaslError::Authzid => "logging in on behalf of another user is not supported",
        })
    }
}

/// A client's response line, decoded: `=` is an empty response (RFC 4954
/// §4), `*` cancels.
pub fn decode(line: &[u8]) -> Result<Vec<u8>, SaslError> {
    match line {
        b"*" => Err(SaslError::Cancelled),
        b"=" => Ok(Vec::new()),
        _ => data_encoding::BASE64
            .decode(line)
            .or_else(|_| data_encoding::BASE64_NOPAD.decode(line))
            .map_err(|_| SaslError::Base64),
    }
}

/// A PLAIN response line (RFC 4616 §2): the credentials, when the
/// authorization identity is absent or the user's own.
pub fn plain(line: &[u8]) -> Result<Credentials, SaslError> {
    let raw = decode(line)?;
    let mut parts = raw.split(|&b| b == 0);
    let (Some(authz), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed);
    };
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| SaslError::Malformed);
    let (authz, user, password) = (text(authz)?, text(user)?, text(password)?);
    if user.is_empty() {
        return Err(SaslError::Malformed);
    }
    if !authz.is_empty() && authz != user {
        return Err(SaslError::Authzid);
    }
    Ok(Credentials { user, password })
}

/// One LOGIN value (the user name or the password).
pub fn login_value(line: &[u8]) -> Result<String, SaslError> {
    String::from_utf8(decode(line)?).map_err(|_| SaslError::Malformed)
}

/// A client's PLAIN response for `user` and `password` (no authzid).
pub fn plain_response(user: &str, password: &str) -> String {
    data_encoding::BASE64.encode(format!("\0{user}\0{password}").as_bytes())
}

/// A client's LOGIN value.
pub fn login_response(value: &str) -> String {
    data_encoding::BASE64.encode(value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> Vec<u8> {
        data_encoding::BASE64.encode(s).into_bytes()
    }

    #[test]
    fn plain_and_its_authorization_identity() {
        let ok = Credentials {
            user: "bob".into(),
            password: "pw".into(),
        };
        assert_eq!(plain(&b64(b"\0bob\0pw")), Ok(ok.clone()));
        assert_eq!(plain(&b64(b"bob\0bob\0pw")), Ok(ok));
        assert_eq!(plain(&b64(b"alice\0bob\0pw")), Err(SaslError::Authzid));
        assert_eq!(plain(&b64(b"\0\0pw")), Err(SaslError::Malformed));
        assert_eq!(plain(&b64(b"\0bob")), Err(SaslError::Malformed));
        assert_eq!(plain(&b64(b"\0bob\0pw\0x")), Err(SaslError::Malformed));
        assert_eq!(plain(&b64(b"\0b\xffb\0pw")), Err(SaslError::Malformed));
        assert_eq!(plain(b"*"), Err(SaslError::Cancelled));
        assert_eq!(plain(b"=="), Err(SaslError::Base64));
        assert_eq!(
            plain(plain_response("bob", "pw").as_bytes()).unwrap().user,
            "bob"
        );
        // Unpadded base64 is taken too (some clients send it).
        assert_eq!(plain(b"AGJvYgBwdw").unwrap().password, "pw");
    }

    #[test]
    fn login_values_and_empty_responses() {
        assert_eq!(
            login_value(login_response("bob").as_bytes()).unwrap(),
            "bob"
        );
        assert_eq!(decode(b"="), Ok(Vec::new()));
        assert_eq!(login_value(b"*"), Err(SaslError::Cancelled));
        assert_eq!(Mechanism::parse("login"), Some(Mechanism::Login));
        assert_eq!(Mechanism::parse("CRAM-MD5"), None);
    }
}

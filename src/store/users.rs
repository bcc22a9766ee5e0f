//! The users file (SPEC): one `address:password` a line, `#` comments, the
//! password plain or `{SCHEME}hash` as in Dovecot's passwd-file (fields
//! after the password, as Dovecot writes them, are ignored).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A stored password.
#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    /// A plain-text password (also `{PLAIN}text`).
    Plain(String),
    /// A hashed password with its scheme, e.g. `SHA512-CRYPT`.
    Hashed {
        /// The scheme name, upper-cased.
        scheme: String,
        /// The hash text after `{SCHEME}`.
        hash: String,
    },
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Password::Plain(_) => f.write_str("Plain(<redacted>)"),
            Password::Hashed { scheme, .. } => write!(f, "Hashed({scheme})"),
        }
    }
}

/// The users of the local domains, keyed by lowercased address.
#[derive(Debug, Clone, Default)]
pub struct Users {
    entries: HashMap<String, Password>,
    /// A stored hash of the file's costliest scheme, verified (and its
    /// answer ignored) for unknown users, so a login takes as long for a
    /// user who does not exist as for one who does: timing does not tell
    /// which addresses exist.
    dummy: Option<Password>,
}

/// A users file that cannot be used, with the line at fault.
#[derive(Debug)]
pub enum UsersError {
    /// The file could not be read.
    Io(String, std::io::Error),
    /// A line is malformed.
    Line {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to do.
        problem: String,
    },
}

impl fmt::Display for UsersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsersError::Io(file, e) => write!(f, "cannot read users file {file}: {e}"),
            UsersError::Line {
                file,
                line,
                problem,
            } => write!(f, "{file}:{line}: {problem}"),
        }
    }
}

impl std::error::Error for UsersError {}

impl Users {
    /// Reads a users file. A bare user name (no `@`) is qualified with the
    /// one local domain; with none or several, that is an error.
    pub fn load(path: &Path, domains: &[String]) -> Result<Users, UsersError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| UsersError::Io(name.clone(), e))?;
        Self::parse(&text, &name, domains)
    }

    /// Parses users-file text (`file` names it in errors).
    pub fn parse(text: &str, file: &str, domains: &[String]) -> Result<Users, UsersError> {
        let mut entries = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let err = |problem: String| UsersError::Line {
                file: file.to_string(),
                line: i + 1,
                problem,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split(':');
            let user = fields.next().unwrap_or("").trim();
            let Some(pass) = fields.next() else {
                return Err(err("expected address:password".into()));
            };
            if user.is_empty() {
                return Err(err("empty address before ':'".into()));
            }
            let address = if user.contains('@') {
                user.to_lowercase()
            } else if domains.len() == 1 {
                format!("{}@{}", user.to_lowercase(), domains[0].to_lowercase())
            } else {
                return Err(err(format!(
                    "'{user}' has no domain; write user@domain, or give exactly one --domain"
                )));
            };
            entries.insert(
                address,
                parse_password(pass).map_err(|e| err(e.to_string()))?,
            );
        }
        let cost = |p: &Password| match p {
            Password::Plain(_) => 0,
            Password::Hashed { scheme, .. } if scheme.starts_with("ARGON2") => 3,
            Password::Hashed { scheme, .. } if scheme == "SHA512-CRYPT" => 2,
            Password::Hashed { .. } => 1,
        };
        let dummy = entries
            .values()
            .filter(|p| cost(p) > 0)
            .max_by_key(|p| cost(p))
            .cloned();
        Ok(Users { entries, dummy })
    }

    /// The password for an address (any case), if the user exists.
    pub fn get(&self, address: &str) -> Option<&Password> {
        self.entries.get(&address.to_lowercase())
    }

    /// Whether `candidate` is the password of `address`. Plain passwords
    /// compare in constant time; `{SHA512-CRYPT}`/`{SHA256-CRYPT}` and
    /// `{ARGON2ID}`/`{ARGON2I}` (Dovecot's schemes) are verified with the
    /// RustCrypto implementations. Unknown schemes never match.
    pub fn verify(&self, address: &str, candidate: &str) -> bool {
        match self.get(address) {
            Some(p) => p.verify(candidate),
            None => {
                // As long as for a user who exists; the answer is no.
                if let Some(d) = &self.dummy {
                    let _ = d.verify(candidate);
                }
                false
            }
        }
    }

    /// True when the address (any case) is listed.
    pub fn contains(&self, address: &str) -> bool {
        self.get(address).is_some()
    }

    /// The listed addresses, lowercased.
    pub fn addresses(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no users are listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Password {
    /// Whether `candidate` matches this stored password.
    pub fn verify(&self, candidate: &str) -> bool {
        match self {
            Password::Plain(p) => constant_time_eq(p.as_bytes(), candidate.as_bytes()),
            Password::Hashed { scheme, hash } => match scheme.as_str() {
                "SHA512-CRYPT" | "SHA256-CRYPT" => {
                    use sha_crypt::{PasswordVerifier, ShaCrypt};
                    ShaCrypt::default()
                        .verify_password(candidate.as_bytes(), hash.as_str())
                        .is_ok()
                }
                "ARGON2ID" | "ARGON2I" => {
                    use argon2::{Argon2, PasswordVerifier};
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), hash.as_str())
                        .is_ok()
                }
                _ => false,
            },
        }
    }
}

/// Hashes `password` for a users file line: `{ARGON2ID}$argon2id$...`
/// (Argon2id, RustCrypto's defaults: 19 MiB, 2 passes) or
/// `{SHA512-CRYPT}$6$...` (5,000 rounds, as Dovecot's default), each with
/// a fresh random salt.
pub fn hash_password(password: &str, scheme: &str) -> Result<String, PasswordError> {
    match scheme.to_ascii_uppercase().as_str() {
        "ARGON2ID" => {
            use argon2::{Argon2, PasswordHasher};
            let h = Argon2::default()
                .hash_password(password.as_bytes())
                .map_err(|e| PasswordError::Hashing(e.to_string()))?;
            Ok(format!("{{ARGON2ID}}{h}"))
        }
        "SHA512-CRYPT" => {
            use sha_crypt::{PasswordHasher, ShaCrypt};
            let h = ShaCrypt::default()
                .hash_password(password.as_bytes())
                .map_err(|e| PasswordError::Hashing(e.to_string()))?;
            Ok(format!("{{SHA512-CRYPT}}{h}"))
        }
        other => Err(PasswordError::UnknownScheme {
            scheme: other.to_owned(),
            known: "ARGON2ID or SHA512-CRYPT",
        }),
    }
}

/// A password field or scheme that cannot be used (a users file line, or
/// `mailkit hash-password --scheme`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// `{SCHEME}` is none we know.
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
        /// The schemes that would do.
        known: &'static str,
    },
    /// The hash is of another algorithm than its scheme says.
    WrongAlgorithm {
        /// The scheme as written.
        scheme: String,
        /// The algorithm the hash names.
        found: String,
    },
    /// The hash is not of its scheme's form.
    Unreadable {
        /// The scheme as written.
        scheme: String,
        /// The form expected.
        expected: String,
    },
    /// The hashing library failed.
    Hashing(String),
}

/// What a user does about a bad password line.
const MAKE_ONE: &str = "make one with `mailkit hash-password`";

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::UnknownScheme { scheme, known } => write!(
                f,
                "unknown password scheme {{{scheme}}} (known: {known}); {MAKE_ONE}"
            ),
            PasswordError::WrongAlgorithm { scheme, found } => write!(
                f,
                "{{{scheme}}} holds a {found} hash, not {}; {MAKE_ONE}",
                scheme.to_ascii_lowercase()
            ),
            PasswordError::Unreadable { scheme, expected } => write!(
                f,
                "{{{scheme}}} hash cannot be read; expected {expected}; {MAKE_ONE}"
            ),
            PasswordError::Hashing(e) => write!(f, "cannot hash: {e}"),
        }
    }
}

impl std::error::Error for PasswordError {}

/// Compares without an early exit, so timing does not tell how much of a
/// password was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The schemes a users file may name, as the error lists them.
const SCHEMES: &str = "PLAIN, CLEARTEXT, ARGON2ID, ARGON2I, SHA512-CRYPT, SHA256-CRYPT";

/// Reads a password field: plain text, or `{SCHEME}hash`. A scheme we
/// cannot verify, or a hash that is not of its scheme's form, is an error
/// here, at start, rather than a login that can never succeed.
fn parse_password(field: &str) -> Result<Password, PasswordError> {
    let Some((scheme, hash)) = field.strip_prefix('{').and_then(|r| r.split_once('}')) else {
        return Ok(Password::Plain(field.to_string()));
    };
    let scheme = scheme.to_ascii_uppercase();
    match scheme.as_str() {
        "PLAIN" | "CLEARTEXT" => return Ok(Password::Plain(hash.to_string())),
        "ARGON2ID" | "ARGON2I" => {
            let want = scheme.to_ascii_lowercase();
            match argon2::PasswordHash::new(hash) {
                Ok(h) if h.algorithm.as_str() == want => {}
                Ok(h) => {
                    return Err(PasswordError::WrongAlgorithm {
                        scheme,
                        found: h.algorithm.as_str().to_owned(),
                    })
                }
                Err(e) => {
                    return Err(PasswordError::Unreadable {
                        scheme,
                        expected: format!("$argon2id$v=19$m=...,t=...,p=...$salt$hash ({e})"),
                    })
                }
            }
        }
        "SHA512-CRYPT" | "SHA256-CRYPT" => {
            let (id, len) = if scheme == "SHA512-CRYPT" {
                ("6", 86)
            } else {
                ("5", 43)
            };
            let ok = sha_crypt::PasswordHashRef::new(hash).is_ok_and(|h| {
                h.id() == id
                    && h.fields().last().is_some_and(|f| {
                        f.as_str().len() == len
                            && f.as_str()
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
                    })
            });
            if !ok {
                return Err(PasswordError::Unreadable {
                    expected: format!("${id}$[rounds=N$]salt${len} characters"),
                    scheme,
                });
            }
        }
        other => {
            return Err(PasswordError::UnknownScheme {
                scheme: other.to_owned(),
                known: SCHEMES,
            })
        }
    }
    Ok(Password::Hashed {
        scheme,
        hash: hash.to_string(),
    })
}

/// The address a login names: `user` as given (lowercased), or
/// `user@DOMAIN` for a bare name when exactly one `--domain` is set.
pub fn login_address(user: &str, domains: &[String]) -> String {
    if !user.contains('@') && domains.len() == 1 {
        format!("{}@{}", user.to_lowercase(), domains[0])
    } else {
        user.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_hashed_comments_and_bare_names() {
        let text = format!("# users\nbob@Hamburger.edu:hungry\n\nalice:{{PLAIN}}secret\ncarol@x.org:{{SHA512-CRYPT}}{SHA512_HUNGRY}:1000:1000::\n");
        let u = Users::parse(&text, "users", &["hamburger.edu".into()]).unwrap();
        assert_eq!(u.len(), 3);
        assert_eq!(
            u.get("BOB@hamburger.edu"),
            Some(&Password::Plain("hungry".into()))
        );
        assert_eq!(
            u.get("alice@hamburger.edu"),
            Some(&Password::Plain("secret".into()))
        );
        assert!(
            matches!(u.get("carol@x.org"), Some(Password::Hashed { scheme, hash }) if scheme == "SHA512-CRYPT" && hash == SHA512_HUNGRY)
        );
    }

    const SHA512_HUNGRY: &str = "$6$saltsaltsalt$zZMEdDt4m0sn2HrsT5e.ZxEC.dCUcgH6SjrqPyddm0CoMNzzCEh60EH0Y5TpthoGkLqdZ.U6d5UNQN2G3VSs01";

    #[test]
    fn hashed_passwords_verify() {
        // SHA512-CRYPT made by Python's crypt module (glibc), as
        // `doveadm pw -s SHA512-CRYPT` would.
        let sha = Password::Hashed {
            scheme: "SHA512-CRYPT".into(),
            hash: SHA512_HUNGRY.into(),
        };
        assert!(sha.verify("hungry"));
        assert!(!sha.verify("Hungry"));
        let argon_hash = {
            use argon2::{password_hash::PasswordHasher, Argon2};
            Argon2::default()
                .hash_password_with_salt(b"hungry", b"somesaltsomesalt")
                .map(|h| h.to_string())
        };
        let argon = Password::Hashed {
            scheme: "ARGON2ID".into(),
            hash: argon_hash.expect("argon2 hash"),
        };
        assert!(matches!(&argon, Password::Hashed { hash, .. } if hash.starts_with("$argon2id$")));
        assert!(argon.verify("hungry"));
        assert!(!argon.verify("angry"));
        assert!(!Password::Hashed {
            scheme: "MD5".into(),
            hash: "x".into()
        }
        .verify("x"));
        assert!(Password::Plain("hungry".into()).verify("hungry"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = Users::parse("bob@x:pw\nnocolon\n", "f", &[]).unwrap_err();
        assert_eq!(e.to_string(), "f:2: expected address:password");
        let e = Users::parse("bob:pw\n", "f", &[]).unwrap_err();
        assert!(e.to_string().starts_with("f:1: 'bob' has no domain"));
        assert!(!format!("{:?}", Password::Plain("hungry".into())).contains("hungry"));
    }

    #[test]
    fn unknown_schemes_and_unreadable_hashes_are_refused_with_their_line() {
        let e = Users::parse("a@x.org:pw\nbob@x.org:{FOO}abc\n", "users", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("users:2: unknown password scheme {{FOO}} (known: {SCHEMES}); make one with `mailkit hash-password`")
        );
        for bad in [
            "{SHA512-CRYPT}abc",
            "{SHA512-CRYPT}$6$salt$short",
            "{SHA256-CRYPT}$6$saltsaltsalt$zZMEdDt4m0sn2HrsT5e.ZxEC.dCUcgH6SjrqPyddm0CoMNzzCEh60EH0Y5TpthoGkLqdZ.U6d5UNQN2G3VSs01",
            "{ARGON2ID}$argon2id$garbage",
            "{ARGON2I}$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8q4TbBjpmsIVhDs8WrKArx9RYjBYW8x3Qs1fSLJrOys",
        ] {
            let e = Users::parse(&format!("bob@x.org:{bad}\n"), "u", &[]).unwrap_err();
            assert!(e.to_string().starts_with("u:1: {"), "{bad}: {e}");
        }
        // Plain text that merely starts with a brace stays a password.
        assert!(Users::parse("bob@x.org:{abc\n", "u", &[]).is_ok());
    }

    #[test]
    fn hashes_made_here_verify() {
        for scheme in ["argon2id", "SHA512-CRYPT"] {
            let line = format!("bob@x.org:{}\n", hash_password("hungry", scheme).unwrap());
            let u = Users::parse(&line, "users", &[]).unwrap();
            assert!(u.verify("bob@x.org", "hungry"), "{line}");
            assert!(!u.verify("bob@x.org", "hungry!"), "{line}");
        }
        assert!(hash_password("x", "md5").is_err());
    }
}

//! The mail store: one Maildir per mailbox under a root directory (SPEC,
//! "The mail store"), the users file, and the writer thread that makes
//! deliveries durable off the event loop.

pub mod dotlock;
pub mod feed;
pub mod flags;
pub mod folder;
pub mod folder_cache;
pub mod keywords;
pub mod mailbox;
pub mod maildir;
pub mod maildrop;
pub use crate::util::mutf7;
pub mod readahead;
pub mod uidlist;
pub mod users;
pub mod writer;

pub use maildir::{Delivery, Maildir, Publisher, Staged, StoreError};
pub use readahead::ReadAhead;
pub use users::{Password, Users, UsersError};
pub use writer::{WriteJob, Writer};

/// A line of a file another program may have written (`dovecot-uidlist`,
/// `dovecot-keywords`) that cannot be used: which file, which line, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLineError {
    /// The file's name, e.g. `dovecot-uidlist`.
    pub file: &'static str,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for FileLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem)
    }
}

impl std::error::Error for FileLineError {}

pub use crate::util::mailbox_name;

#[cfg(test)]
mod tests {
    use super::mailbox_name;

    #[test]
    fn mailbox_names() {
        assert_eq!(
            mailbox_name("Bob@HAMBURGER.Edu").as_deref(),
            Some("bob@hamburger.edu")
        );
        assert_eq!(
            mailbox_name("José@Hamburger.edu").as_deref(),
            Some("josé@hamburger.edu")
        );
        for bad in [
            "",
            ".",
            "..",
            "../x@y",
            "a/b@c",
            ".hidden@x",
            "a\u{0}b@c",
            "a\nb@c",
        ] {
            assert_eq!(mailbox_name(bad), None, "{bad:?}");
        }
        assert_eq!(mailbox_name(&"a".repeat(300)), None);
    }
}

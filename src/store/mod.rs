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

/// The mailboxes of the store at `root`: each directory whose name is a
/// mailbox name (UTF-8, no leading dot: `.queue` and the like are not
/// mailboxes) and that holds a Maildir (`cur/` or `new/`), with its path,
/// sorted by name. A missing root has none.
pub fn mailboxes(root: &std::path::Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out: Vec<_> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let dir = e.path();
            (!name.starts_with('.') && (dir.join("cur").is_dir() || dir.join("new").is_dir()))
                .then_some((name, dir))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{mailbox_name, mailboxes};

    #[test]
    fn mailboxes_of_a_root_are_maildirs_with_names() {
        let root = std::env::temp_dir().join(format!("mailkit-mailboxes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in [
            "bob@x/cur",
            "alice@x/new",
            ".queue/cur",
            "junk",
            "carol@x/tmp",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let names: Vec<String> = mailboxes(&root)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["alice@x", "bob@x"]);
        assert!(mailboxes(&root.join("none")).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }

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

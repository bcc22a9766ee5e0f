//! A Maildir folder's UIDs (SPEC, "The mail store"; RFC 9051 §2.3.1.1):
//! every message in `new/` and `cur/` has a UID in `dovecot-uidlist`,
//! kept across restarts and shared with Dovecot.
//!
//! [`sync_uids`] brings the list up to date under Dovecot's dotlock, as
//! Dovecot does: messages that are gone lose their records, messages
//! without one get the next UIDs, in name order (a Maildir name starts
//! with its delivery time), and a changed list is written into the lock
//! file and renamed over `dovecot-uidlist` (which also releases the lock),
//! so a reader never sees half a list.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::dotlock::Dotlock;
use super::uidlist::{self, Uidlist};

/// How long to wait for another process's lock on the list.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A message file's base name: its name up to the `:2,` info, the part
/// that stays when flags change.
pub fn base_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

/// The messages of a Maildir: base names in `new/` and `cur/` (hidden
/// files skipped), sorted.
fn messages(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for (_, ent) in super::maildir::message_entries(dir)? {
        if !ent.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        // Names that are not UTF-8 are no Maildir names of ours or
        // Dovecot's: they get no UID.
        if let Some(name) = ent.file_name().to_str() {
            out.push(base_name(name).to_owned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Brings the folder's `dovecot-uidlist` up to date with its files and
/// returns it. A folder without one gets a new list whose UIDVALIDITY is
/// the current time (as Dovecot chooses it). A list that cannot be read
/// is an error, not replaced: UIDs clients have seen must not change
/// silently.
pub fn sync_uids(dir: &Path) -> io::Result<Uidlist> {
    super::maildir::no_links(dir)?;
    let lock = Dotlock::acquire(&dir.join(uidlist::LOCK_NAME), LOCK_WAIT)?;
    let path = dir.join(uidlist::FILE_NAME);
    let (mut list, existed) = match fs::read_to_string(&path) {
        Ok(text) => (
            Uidlist::parse(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            true,
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs());
            (Uidlist::new(u32::try_from(now).unwrap_or(u32::MAX)), false)
        }
        Err(e) => return Err(e),
    };
    let present = messages(dir)?;
    let here: HashSet<&str> = present.iter().map(String::as_str).collect();
    let before = list.records.len();
    list.records.retain(|r| here.contains(r.name.as_str()));
    let mut changed = list.records.len() != before || !existed;
    let known: HashSet<String> = list.records.iter().map(|r| r.name.clone()).collect();
    for name in present.iter().filter(|n| !known.contains(*n)) {
        if list.add(name).is_none() {
            return Err(io::Error::other(format!(
                "{}: no UIDs left; the folder needs a new UIDVALIDITY",
                path.display()
            )));
        }
        changed = true;
    }
    if changed {
        lock.replace(list.render().as_bytes(), &path)?;
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn maildir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailkit-folder-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(d.join(sub)).unwrap();
        }
        d
    }

    #[test]
    fn uids_are_given_kept_and_dropped_with_their_files() {
        let d = maildir("uids");
        fs::write(d.join("new/1700000002.M2P1.h"), "b").unwrap();
        fs::write(d.join("cur/1700000001.M1P1.h:2,S"), "a").unwrap();
        let first = sync_uids(&d).unwrap();
        let uids: Vec<(u32, &str)> = first
            .records
            .iter()
            .map(|r| (r.uid, r.name.as_str()))
            .collect();
        assert_eq!(uids, [(1, "1700000001.M1P1.h"), (2, "1700000002.M2P1.h")]);
        assert!(!d.join(uidlist::LOCK_NAME).exists());
        // A flag change (a rename in cur/) keeps the UID; a new message
        // gets the next; an expunged one's UID is never reused.
        fs::rename(
            d.join("new/1700000002.M2P1.h"),
            d.join("cur/1700000002.M2P1.h:2,FS"),
        )
        .unwrap();
        fs::remove_file(d.join("cur/1700000001.M1P1.h:2,S")).unwrap();
        fs::write(d.join("new/1700000003.M3P1.h"), "c").unwrap();
        let second = sync_uids(&d).unwrap();
        let uids: Vec<(u32, &str)> = second
            .records
            .iter()
            .map(|r| (r.uid, r.name.as_str()))
            .collect();
        assert_eq!(uids, [(2, "1700000002.M2P1.h"), (3, "1700000003.M3P1.h")]);
        assert_eq!(second.uid_validity, first.uid_validity);
        assert_eq!(second.next_uid, 4);
        // What is on disk is what Dovecot would read.
        let text = fs::read_to_string(d.join(uidlist::FILE_NAME)).unwrap();
        assert_eq!(Uidlist::parse(&text).unwrap(), second);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_damaged_list_is_an_error_not_replaced() {
        let d = maildir("damaged");
        fs::write(d.join(uidlist::FILE_NAME), "3 V1 N5\n4 :a\n3 :b\n").unwrap();
        let e = sync_uids(&d).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("dovecot-uidlist:3"), "{e}");
        assert!(fs::read_to_string(d.join(uidlist::FILE_NAME))
            .unwrap()
            .contains("3 :b"));
        assert!(!d.join(uidlist::LOCK_NAME).exists());
        let _ = fs::remove_dir_all(&d);
    }
}

//! The store work behind IMAP commands, run on the worker pool: each
//! [`Request`] a session makes, carried out on the user's mailbox
//! ([`crate::store::mailbox`], [`crate::store::folder`]) and answered as
//! an [`Answer`]. Every job opens the folder afresh, so it sees what any
//! other session or process did; every change is durable before the
//! answer goes back (the folder API syncs before it returns).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use imap_codec::imap_types::flag::StoreType;
use imap_codec::imap_types::status::StatusDataItemName;

use crate::proto::imap::render;
use crate::proto::imap::server::{Answer, ListOptions, Refusal, Request};
use crate::proto::imap::view::Snapshot;
use crate::store::feed::Feed;
use crate::store::flags::Flags;
use crate::store::folder::Folder;
use crate::store::folder_cache::FolderCache;
use crate::store::mailbox::{FolderError, Mailbox};
use crate::store::mutf7;

use super::{fetch, search};

/// Where a job works: the user's mailbox and the selected folder.
#[derive(Debug, Clone)]
pub struct Place {
    /// The user's INBOX Maildir (`DIR/<mailbox>`).
    pub root: PathBuf,
    /// The selected folder's Maildir, if any.
    pub selected: Option<PathBuf>,
    /// Our host name, for new file names.
    pub host: String,
    /// Where changes are told, so other sessions hear at once.
    pub feed: Feed,
    /// Folders read by earlier jobs, shared by every session.
    pub cache: Arc<FolderCache>,
}

/// The special-use folders made at first login (RFC 6154), with their
/// attributes.
pub const SPECIAL: [(&str, &str); 5] = [
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// Carries out `r`; returns the answer and, for SELECT, the folder's
/// Maildir.
pub fn run(place: &Place, r: Request) -> (Answer, Option<PathBuf>) {
    let mailbox = Mailbox::new(&place.root).with_feed(place.feed.clone());
    match r {
        Request::Login { .. } => (Answer::LoggedIn(Ok(())), None),
        Request::Select { mailbox: name } => match folder_dir(&mailbox, &name) {
            Ok(dir) => match place.cache.open(&dir) {
                Ok(f) => (Answer::Selected(Ok(snapshot(&f))), Some(dir)),
                Err(e) => (Answer::Selected(Err(failed(e))), None),
            },
            Err(e) => (Answer::Selected(Err(e)), None),
        },
        Request::Sync => (
            Answer::Selected(with_selected_read(place, |f| Ok(snapshot(f)))),
            None,
        ),
        Request::Create(name) => {
            let r = utf8(&name).and_then(|n| {
                let n = n.trim_end_matches('/');
                match mailbox.create(n) {
                    // The special-use folders exist from the first login;
                    // a client that makes its own "Sent" or "Archive" (as
                    // most do on first use) must not fail for it.
                    Err(FolderError::Exists(_)) if SPECIAL.iter().any(|(s, _)| *s == n) => Ok(()),
                    other => other.map_err(|e| refusal(e, &name)),
                }
            });
            (Answer::Done(r), None)
        }
        Request::Delete(name) => {
            let r = utf8(&name).and_then(|n| mailbox.delete(&n).map_err(|e| refusal(e, &name)));
            (Answer::Done(r), None)
        }
        Request::Rename(from, to) => {
            let r = utf8(&from).and_then(|f| {
                let t = utf8(&to)?;
                mailbox.rename(&f, &t).map_err(|e| refusal(e, &from))
            });
            (Answer::Done(r), None)
        }
        Request::Subscribe(name) => {
            // RFC 9051 §6.3.7 lets the server check that it exists; as
            // Dovecot does, a name that is no folder is refused.
            let r = folder_dir(&mailbox, &name)
                .and_then(|_| utf8(&name))
                .and_then(|n| mailbox.subscribe(&n).map_err(|e| refusal(e, &name)));
            (Answer::Done(r), None)
        }
        Request::Unsubscribe(name) => {
            let r =
                utf8(&name).and_then(|n| mailbox.unsubscribe(&n).map_err(|e| refusal(e, &name)));
            (Answer::Done(r), None)
        }
        Request::List {
            reference,
            pattern,
            lsub,
            options,
        } => (
            Answer::Lines(list(
                &place.cache,
                &mailbox,
                &reference,
                &pattern,
                lsub,
                &options,
            )),
            None,
        ),
        Request::Status {
            mailbox: name,
            items,
            utf8,
        } => (
            Answer::Lines(status(&place.cache, &mailbox, &name, &items, utf8)),
            None,
        ),
        Request::Append {
            mailbox: name,
            flags,
            date,
            data,
        } => {
            let r = folder_dir(&mailbox, &name).and_then(|dir| {
                let mut f = place
                    .cache
                    .open(&dir)
                    .map_err(failed)?
                    .with_feed(place.feed.clone());
                let letters = letters(&mut f, &flags)?;
                let stored = crate::util::crlf_to_lf(&data);
                let uid = f
                    .append(
                        &stored,
                        letters,
                        date.unwrap_or_else(SystemTime::now),
                        &place.host,
                    )
                    .map_err(failed)?;
                Ok((f.uid_validity(), uid))
            });
            (Answer::Appended(r), None)
        }
        Request::Fetch {
            seqs,
            items,
            mark_seen,
        } => {
            // One part (see fetch::PART_BYTES); the session asks for the
            // rest once this part is written.
            let r = if mark_seen {
                with_selected(place, |f| {
                    let n = fetch::part(f, &seqs, &items);
                    let seen = fetch::mark_seen(f, &seqs[..n])?;
                    let mut r = fetch::fetch(f, &seqs[..n], &items, &seen)?;
                    r.rest = seqs[n..].to_vec();
                    Ok(r)
                })
            } else {
                with_selected_read(place, |f| {
                    let n = fetch::part(f, &seqs, &items);
                    let mut r = fetch::fetch(f, &seqs[..n], &items, &[])?;
                    r.rest = seqs[n..].to_vec();
                    Ok(r)
                })
            };
            (Answer::Fetched(r), None)
        }
        Request::Store { uids, kind, flags } => {
            let r = with_selected(place, |f| store(f, &uids, &kind, &flags));
            (Answer::Stored(r), None)
        }
        Request::Expunge { only } => {
            let r = with_selected(place, |f| {
                let doomed: Vec<u32> = f
                    .messages()
                    .iter()
                    .filter(|m| m.flags.has('T'))
                    .filter(|m| only.as_ref().is_none_or(|o| o.contains(&m.uid)))
                    .map(|m| m.uid)
                    .collect();
                f.expunge(&doomed).map_err(failed)
            });
            (Answer::Expunged(r), None)
        }
        Request::Copy {
            uids,
            mailbox: name,
            remove,
        } => {
            let r = folder_dir(&mailbox, &name).and_then(|dir| {
                if place.selected.as_deref() == Some(dir.as_path()) && remove {
                    return Ok((0, Vec::new()));
                }
                let mut dest = place.cache.open(&dir).map_err(failed)?;
                with_selected(place, |f| {
                    let pairs = if remove {
                        f.move_to(&uids, &mut dest, &place.host)
                    } else {
                        f.copy_to(&uids, &mut dest, &place.host)
                    }
                    .map_err(failed)?;
                    Ok((dest.uid_validity(), pairs))
                })
            });
            (Answer::Copied(r), None)
        }
        Request::Search { uids, criteria } => {
            let r = with_selected_read(place, |f| search::search(f, &uids, &criteria));
            (Answer::Found(r), None)
        }
    }
}

/// Runs `job` on the selected folder, opened afresh.
/// The selected folder's directory, if it is still there.
fn selected_dir(place: &Place) -> Result<&Path, Refusal> {
    let dir = place
        .selected
        .as_ref()
        .ok_or_else(|| Refusal::Failed("no mailbox selected".into()))?;
    if !dir.is_dir() {
        return Err(Refusal::NoMailbox(
            "the selected mailbox was deleted".into(),
        ));
    }
    Ok(dir)
}

/// Runs `job` on the selected folder as it is now, to change it.
fn with_selected<T>(
    place: &Place,
    job: impl FnOnce(&mut Folder) -> Result<T, Refusal>,
) -> Result<T, Refusal> {
    let mut f = place
        .cache
        .open(selected_dir(place)?)
        .map_err(failed)?
        .with_feed(place.feed.clone());
    job(&mut f)
}

/// Runs `job` on the selected folder as it is now, to read it: the
/// cache's copy itself, shared, not cloned.
fn with_selected_read<T>(
    place: &Place,
    job: impl FnOnce(&Folder) -> Result<T, Refusal>,
) -> Result<T, Refusal> {
    let f = place
        .cache
        .open_shared(selected_dir(place)?)
        .map_err(failed)?;
    job(&f)
}

/// A folder as a session's view starts from.
pub fn snapshot(f: &Folder) -> Snapshot {
    let messages = f
        .messages()
        .iter()
        .map(|m| (m.uid, names(f, m.flags)))
        .collect();
    let keywords = ('a'..='z')
        .filter_map(|c| f.keyword(c).map(str::to_owned))
        .collect();
    Snapshot {
        uid_validity: f.uid_validity(),
        uid_next: f.uid_next(),
        messages,
        keywords,
        recent: f.messages().iter().filter(|m| m.in_new).count() as u32,
    }
}

/// IMAP flag names of a message's letters.
pub fn names(f: &Folder, flags: Flags) -> Vec<String> {
    let mut out: Vec<String> = flags.system_names().map(str::to_owned).collect();
    out.extend(
        flags
            .keyword_letters()
            .filter_map(|c| f.keyword(c).map(str::to_owned)),
    );
    out
}

/// The letters for IMAP flag names (new keywords get a letter).
fn letters(f: &mut Folder, names: &[String]) -> Result<Flags, Refusal> {
    let mut flags = Flags::empty();
    for n in names {
        if let Some(c) = Flags::system_letter(n) {
            flags.set(c, true);
        } else if n.starts_with('\\') {
            // \Recent and other system flags the store does not keep.
        } else {
            match f.keyword_letter(n).map_err(failed)? {
                Some(c) => flags.set(c, true),
                None => {
                    return Err(Refusal::BadName(format!(
                        "cannot keep keyword {n}: 26 keywords in this folder already"
                    )))
                }
            }
        }
    }
    Ok(flags)
}

/// STORE: the changed messages' new flags (all asked for, changed or not,
/// as clients expect the FETCH back).
fn store(
    f: &mut Folder,
    uids: &[u32],
    kind: &StoreType,
    names_given: &[String],
) -> Result<Vec<(u32, Vec<String>)>, Refusal> {
    let given = letters(f, names_given)?;
    let mut changes = Vec::new();
    for &uid in uids {
        let Some(m) = f.get(uid) else { continue };
        let now = match kind {
            StoreType::Add => m.flags.union(given),
            StoreType::Remove => m.flags.minus(given),
            // Letters with no IMAP name (P, "passed") are kept.
            StoreType::Replace => {
                let mut keep = Flags::empty();
                keep.set('P', m.flags.has('P'));
                given.union(keep)
            }
        };
        changes.push((uid, now));
    }
    f.set_flags_many(&changes).map_err(failed)?;
    Ok(changes
        .iter()
        .map(|&(uid, flags)| (uid, names(f, flags)))
        .collect())
}

/// A wire name (modified UTF-7) as the store's UTF-8 name. Names that
/// could reach outside the user's directory never get this far as paths
/// ([`Mailbox`] refuses `.`, empty levels and control characters); `~`
/// at the start is refused here too.
fn utf8(wire: &str) -> Result<String, Refusal> {
    let name = mutf7::decode(wire)
        .ok_or_else(|| Refusal::BadName(format!("{wire:?} is not valid modified UTF-7")))?;
    if name.starts_with('~') || name.starts_with('/') || name.chars().any(char::is_control) {
        return Err(Refusal::BadName(format!("{name:?} is not a mailbox name")));
    }
    Ok(name)
}

/// The Maildir of an existing folder.
fn folder_dir(mailbox: &Mailbox, wire: &str) -> Result<PathBuf, Refusal> {
    let name = utf8(wire)?;
    let dir = mailbox.folder_dir(&name).map_err(|e| refusal(e, wire))?;
    if crate::store::mailbox::is_inbox(&name) {
        // INBOX always exists (an empty one before the first delivery).
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(failed)?;
        }
        return Ok(dir);
    }
    if !dir.is_dir() {
        return Err(Refusal::NoMailbox(wire.to_owned()));
    }
    Ok(dir)
}

fn refusal(e: FolderError, wire: &str) -> Refusal {
    match e {
        FolderError::BadName(_) => Refusal::BadName(e.to_string()),
        FolderError::NotFound(_) => Refusal::NoMailbox(wire.to_owned()),
        FolderError::Exists(_) => Refusal::Exists(wire.to_owned()),
        FolderError::Inbox => Refusal::BadName(e.to_string()),
        FolderError::Io(e) => failed(e),
    }
}

fn failed(e: std::io::Error) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// Whether `name` matches a LIST pattern (RFC 9051 §6.3.9: `*` anything,
/// `%` anything but the separator). Case-sensitive but for INBOX.
pub fn matches(pattern: &str, name: &str) -> bool {
    fn m(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') => (0..=n.len()).any(|i| m(&p[1..], &n[i..])),
            Some(b'%') => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != b'/')
                .any(|i| m(&p[1..], &n[i..])),
            Some(&c) => n.first() == Some(&c) && m(&p[1..], &n[1..]),
        }
    }
    if pattern.len() > 1024 || pattern.matches('*').count() + pattern.matches('%').count() > 16 {
        return false;
    }
    let (p, n) = if name == "INBOX" && pattern.len() == 5 && pattern.eq_ignore_ascii_case("INBOX") {
        ("INBOX", name)
    } else {
        (pattern, name)
    };
    m(p.as_bytes(), n.as_bytes())
}

/// LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9).
/// LIST and LSUB (RFC 9051 §6.3.9), with LIST-EXTENDED's selection
/// and return options and several patterns (RFC 5258), special-use
/// selection (RFC 6154 §3) and LIST-STATUS (RFC 5819).
fn list(
    cache: &FolderCache,
    mailbox: &Mailbox,
    reference: &str,
    pattern: &str,
    lsub: bool,
    o: &ListOptions,
) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let kind = if lsub { "LSUB" } else { "LIST" };
    if pattern.is_empty() && !lsub && o.more_patterns.is_empty() {
        out.extend_from_slice(b"* LIST (\\Noselect) \"/\" \"\"\r\n");
        return Ok(out);
    }
    let patterns: Vec<String> = std::iter::once(pattern)
        .chain(o.more_patterns.iter().map(String::as_str))
        .map(|p| utf8(&format!("{reference}{p}")).unwrap_or_default())
        .collect();
    let all = mailbox.list().map_err(failed)?;
    let want_subs = lsub || o.subscribed || o.return_subscribed;
    let subs = if want_subs {
        mailbox.subscriptions().map_err(failed)?
    } else {
        Vec::new()
    };
    let mut names = if lsub || o.subscribed {
        subs.clone()
    } else {
        all.clone()
    };
    names.dedup();
    for name in &names {
        if !patterns.iter().any(|p| matches(p, name)) {
            continue;
        }
        let special = SPECIAL.iter().find(|(n, _)| n == name).map(|(_, a)| *a);
        if o.special_use && special.is_none() {
            continue;
        }
        let exists = all.contains(name);
        let children = all.iter().any(|n| {
            n.len() > name.len() && n.starts_with(name.as_str()) && n.as_bytes()[name.len()] == b'/'
        });
        let mut attrs = vec![if children {
            "\\HasChildren"
        } else {
            "\\HasNoChildren"
        }];
        if let Some(a) = special {
            attrs.push(a);
        }
        if !exists {
            attrs = vec![if lsub { "\\Noselect" } else { "\\NonExistent" }];
        }
        if !lsub && (o.subscribed || o.return_subscribed) && subs.contains(name) {
            attrs.push("\\Subscribed");
        }
        let wire = mutf7_name(name);
        out.extend_from_slice(format!("* {kind} ({}) \"/\" ", attrs.join(" ")).as_bytes());
        render::string(&mut out, out_name(&wire, o.utf8).as_bytes());
        out.extend_from_slice(b"\r\n");
        if exists && !o.status.is_empty() {
            // LIST-STATUS: a folder that cannot be read now is left
            // without its STATUS (RFC 5819 §2).
            if let Ok(lines) = status(cache, mailbox, &wire, &o.status, o.utf8) {
                out.extend_from_slice(&lines);
            }
        }
    }
    Ok(out)
}

/// A UTF-8 name as the wire shows it (modified UTF-7 per level).
/// A name as a response carries it: as stored (modified UTF-7), or in
/// UTF-8 once the client enabled UTF8=ACCEPT (RFC 6855 §3).
fn out_name(wire: &str, utf8: bool) -> String {
    match utf8 {
        true => mutf7::decode(wire).unwrap_or_else(|| wire.to_owned()),
        false => wire.to_owned(),
    }
}

fn mutf7_name(name: &str) -> String {
    name.split('/')
        .map(mutf7::encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// STATUS (RFC 9051 §6.3.11).
fn status(
    cache: &FolderCache,
    mailbox: &Mailbox,
    wire: &str,
    items: &[StatusDataItemName],
    utf8_names: bool,
) -> Result<Vec<u8>, Refusal> {
    let dir = folder_dir(mailbox, wire)?;
    let f = cache.open_shared(&dir).map_err(failed)?;
    let ms = f.messages();
    let mut parts = Vec::new();
    for i in items {
        let (name, n) = match i {
            StatusDataItemName::Messages => ("MESSAGES", ms.len() as u64),
            StatusDataItemName::Recent => ("RECENT", ms.iter().filter(|m| m.in_new).count() as u64),
            StatusDataItemName::UidNext => ("UIDNEXT", u64::from(f.uid_next())),
            StatusDataItemName::UidValidity => ("UIDVALIDITY", u64::from(f.uid_validity())),
            StatusDataItemName::Unseen => (
                "UNSEEN",
                ms.iter().filter(|m| !m.flags.has('S')).count() as u64,
            ),
            StatusDataItemName::Deleted => (
                "DELETED",
                ms.iter().filter(|m| m.flags.has('T')).count() as u64,
            ),
            StatusDataItemName::Size => ("SIZE", ms.iter().map(|m| m.size).sum()),
            _ => continue,
        };
        parts.push(format!("{name} {n}"));
    }
    let mut out = b"* STATUS ".to_vec();
    render::string(&mut out, out_name(wire, utf8_names).as_bytes());
    out.extend_from_slice(format!(" ({})\r\n", parts.join(" ")).as_bytes());
    Ok(out)
}

/// Makes the special-use folders a new user gets (RFC 6154), once.
pub fn first_login(root: &Path) {
    let mailbox = Mailbox::new(root);
    for (name, _) in SPECIAL {
        if let Ok(dir) = mailbox.folder_dir(name) {
            if !dir.exists() {
                let _ = mailbox.create(name);
                let _ = mailbox.subscribe(name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_patterns() {
        assert!(matches("*", "Archive/2026"));
        assert!(!matches("%", "Archive/2026"));
        assert!(matches("%", "Archive"));
        assert!(matches("Archive/%", "Archive/2026"));
        assert!(matches("inbox", "INBOX"));
        assert!(!matches("inbox", "Inbox2"));
        assert!(matches("A*6", "Archive/2026"));
    }
}

//! The index `serve-http` answers lists and searches from: every message
//! of every mailbox and folder in the store, with its summary
//! ([`Summary`]), flags, size and time received, so no request reparses
//! files. Built from the store at start, then kept current folder by
//! folder: a folder the change feed names is listed again (one `readdir`
//! of `new/` and `cur/` and its UID list, through [`Folder::open_with`]
//! with the last listing as the hint, so only new files are read) and
//! the difference becomes the API's events (`new`, `update`, `delete`).
//!
//! Message IDs are made from the mailbox, the folder and the file's base
//! name (the part of a Maildir name that stays when flags change): URL
//! safe, the same after a restart, and never a path: a request's ID is
//! only ever looked up here.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use super::search::Query;
use super::summary::Summary;
use super::words::{Slots, WordIndex};
use crate::store::flags::Flags;
use crate::store::folder::Folder;
use crate::store::mailbox::Mailbox;

/// Which mailboxes a client may see: all (throwaway mode, as Mailpit's one
/// catch-all list), or a logged-in user's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every mailbox.
    All,
    /// One user's mailbox.
    Mailbox(String),
}

impl Scope {
    /// Whether a message of `mailbox` is visible.
    pub fn sees(&self, mailbox: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Mailbox(m) => m == mailbox,
        }
    }
}

/// One indexed message.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its API ID.
    pub id: Arc<str>,
    /// The mailbox (the recipient address).
    pub mailbox: Arc<str>,
    /// The folder's IMAP name (`INBOX`, `Archive`, `Work/2026`).
    pub folder: Arc<str>,
    /// The folder's Maildir.
    pub dir: Arc<Path>,
    /// Its UID in the folder (for flag changes and expunges).
    pub uid: u32,
    /// The file's base name.
    pub base: String,
    /// Whether the file is in `new/`.
    pub in_new: bool,
    /// Its flags (none while in `new/`).
    pub flags: Flags,
    /// Its size in octets as stored.
    pub size: u64,
    /// When it was received: the file's modification time, IMAP's
    /// internal date.
    pub created: SystemTime,
    /// What was read from it.
    pub summary: Arc<Summary>,
    /// Its number in the word index (set when it is indexed).
    pub slot: u32,
}

impl Entry {
    /// Whether it has been read (the Maildir `S` flag).
    pub fn read(&self) -> bool {
        !self.in_new && self.flags.has('S')
    }

    /// The file's path now.
    pub fn path(&self) -> PathBuf {
        if self.in_new {
            self.dir.join("new").join(&self.base)
        } else {
            self.dir.join("cur").join(self.flags.file_name(&self.base))
        }
    }
}

/// A change the index saw, for the event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message arrived (its ID; the entry is in the index).
    New(Arc<str>),
    /// A message's read state changed.
    Read {
        /// Its ID.
        id: Arc<str>,
        /// Of which mailbox.
        mailbox: Arc<str>,
        /// Read now.
        read: bool,
    },
    /// A message is gone.
    Delete {
        /// Its ID.
        id: Arc<str>,
        /// Of which mailbox.
        mailbox: Arc<str>,
    },
}

impl Change {
    /// The mailbox the change concerns (looked up for `New`).
    pub fn mailbox<'a>(&'a self, index: &'a Index) -> Option<&'a str> {
        match self {
            Change::New(id) => index.get(id).map(|e| &*e.mailbox),
            Change::Read { mailbox, .. } | Change::Delete { mailbox, .. } => Some(mailbox),
        }
    }
}

/// What the index keeps of one folder.
#[derive(Debug)]
struct FolderState {
    mailbox: Arc<str>,
    folder: Arc<str>,
    /// Its Maildir, shared by its entries.
    dir: Arc<Path>,
    /// The last listing, the hint for the next.
    listing: Option<Arc<Folder>>,
    /// IDs by base name.
    ids: HashMap<String, Arc<str>>,
}

/// Counts of a folder or a scope: (messages, unread).
pub type Counts = (usize, usize);

/// Where an entry sorts: newest first, then by ID.
type Key = (Reverse<SystemTime>, Reverse<Arc<str>>);

/// The messages, newest first, and by ID.
#[derive(Debug, Default)]
pub struct Index {
    /// The entries by slot (their number in the word index; a removed
    /// one leaves None until the next [`Index::reindex`]).
    slab: Vec<Option<Entry>>,
    /// The slots in list order.
    order: BTreeMap<Key, u32>,
    /// Each ID's slot.
    by_id: HashMap<Arc<str>, u32>,
    folders: HashMap<PathBuf, FolderState>,
    /// (messages, unread) of each (mailbox, folder), kept as entries come
    /// and go, so counts never walk the list.
    counts: HashMap<(Arc<str>, Arc<str>), Counts>,
    /// The words of every message, for searches.
    words: WordIndex,
}

/// A list's filter: which mailbox and folder (none: all the scope sees).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this mailbox.
    pub mailbox: Option<String>,
    /// Only folders of this name (`INBOX` in any case).
    pub folder: Option<String>,
}

impl Filter {
    /// Whether a message of `mailbox`/`folder` passes.
    pub fn passes(&self, mailbox: &str, folder: &str) -> bool {
        self.mailbox.as_deref().is_none_or(|m| m == mailbox)
            && self.folder.as_deref().is_none_or(|f| {
                f == folder
                    || crate::store::mailbox::is_inbox(f) && crate::store::mailbox::is_inbox(folder)
            })
    }
}

impl Index {
    /// The message with ID `id`.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.slab.get(*self.by_id.get(id)? as usize)?.as_ref()
    }

    /// Every message, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Entry> {
        self.order
            .values()
            .filter_map(|&s| self.slab.get(s as usize)?.as_ref())
    }

    /// (messages, unread) a scope sees.
    pub fn counts(&self, scope: &Scope) -> Counts {
        self.counts_of(scope, &Filter::default())
    }

    /// (messages, unread) a scope sees through a filter.
    pub fn counts_of(&self, scope: &Scope, filter: &Filter) -> Counts {
        self.counts
            .iter()
            .filter(|((m, f), _)| scope.sees(m) && filter.passes(m, f))
            .fold((0, 0), |(t, u), (_, (a, b))| (t + a, u + b))
    }

    /// Every (mailbox, folder, messages, unread) a scope sees, by mailbox
    /// then folder (INBOX first).
    pub fn folders(&self, scope: &Scope) -> Vec<(Arc<str>, Arc<str>, usize, usize)> {
        let mut out: Vec<_> = self
            .folders
            .values()
            .filter(|f| scope.sees(&f.mailbox))
            .map(|f| {
                let (t, u) = self
                    .counts
                    .get(&(f.mailbox.clone(), f.folder.clone()))
                    .copied()
                    .unwrap_or_default();
                (f.mailbox.clone(), f.folder.clone(), t, u)
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| (&*a.1 != "INBOX").cmp(&(&*b.1 != "INBOX")))
                .then_with(|| a.1.cmp(&b.1))
        });
        out
    }

    /// Whether `dir` is a folder the index knows.
    pub fn knows(&self, dir: &Path) -> bool {
        self.folders.contains_key(dir)
    }

    /// How many messages in all.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn count(&mut self, e: &Entry, sign: isize) {
        let c = self
            .counts
            .entry((e.mailbox.clone(), e.folder.clone()))
            .or_default();
        c.0 = c.0.saturating_add_signed(sign);
        c.1 = c.1.saturating_add_signed(sign * isize::from(!e.read()));
    }

    fn insert(&mut self, mut e: Entry) {
        self.count(&e, 1);
        let slot = self.words.add(&e.summary);
        debug_assert_eq!(slot as usize, self.slab.len());
        e.slot = slot;
        self.order
            .insert((Reverse(e.created), Reverse(e.id.clone())), slot);
        self.by_id.insert(e.id.clone(), slot);
        self.slab.push(Some(e));
    }

    /// Changes an entry in place (its flags and UID: never what orders
    /// or indexes it), keeping the counts.
    fn update<T>(&mut self, id: &str, f: impl FnOnce(&mut Entry) -> T) -> Option<T> {
        let slot = *self.by_id.get(id)? as usize;
        let e = self.slab.get_mut(slot)?.take()?;
        let mut e = e;
        self.count(&e, -1);
        let out = f(&mut e);
        self.count(&e, 1);
        self.slab[slot] = Some(e);
        Some(out)
    }

    fn remove(&mut self, id: &str) -> Option<Entry> {
        let slot = self.by_id.remove(id)? as usize;
        let e = self.slab.get_mut(slot)?.take()?;
        self.order
            .remove(&(Reverse(e.created), Reverse(e.id.clone())));
        self.count(&e, -1);
        if self.words.remove() {
            self.reindex();
        }
        Some(e)
    }

    /// Renumbers the live entries in list order and rebuilds the word
    /// index from them (dead slots dropped).
    fn reindex(&mut self) {
        self.words.clear();
        let mut old = std::mem::take(&mut self.slab);
        for (_, slot) in self.order.iter_mut() {
            let Some(mut e) = old.get_mut(*slot as usize).and_then(Option::take) else {
                continue;
            };
            e.slot = self.words.add(&e.summary);
            *slot = e.slot;
            self.by_id.insert(e.id.clone(), e.slot);
            self.slab.push(Some(e));
        }
    }

    /// The messages a query can match, newest first, when its terms narrow
    /// them down through the word index (None: every message must be
    /// checked). Every one must still be checked against the query.
    pub fn candidates(&self, q: &Query) -> Option<Box<dyn Iterator<Item = &Entry> + '_>> {
        let mut set: Option<Slots> = None;
        for (f, needle) in q.prefilters() {
            if let Some(c) = self.words.candidates(f, needle) {
                match &mut set {
                    Some(s) => s.and(&c),
                    None => set = Some(c),
                }
            }
        }
        let set = set?;
        if set.count() > self.len() / 8 {
            // Many: walking the list in order beats sorting them.
            return Some(Box::new(
                self.newest_first().filter(move |e| set.has(e.slot)),
            ));
        }
        let mut hits: Vec<&Entry> = set
            .iter()
            .filter_map(|s| self.slab.get(s as usize)?.as_ref())
            .collect();
        hits.sort_unstable_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        Some(Box::new(hits.into_iter()))
    }
}

/// The message ID for a file: 16 URL-safe characters (96 bits of the
/// SHA-256 of mailbox, folder and base name).
pub fn message_id(mailbox: &str, folder: &str, base: &str) -> Arc<str> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [mailbox, folder, base] {
        ctx.update(part.as_bytes());
        ctx.update(b"\0");
    }
    let digest = ctx.finish();
    data_encoding::BASE64URL_NOPAD
        .encode(&digest.as_ref()[..12])
        .into()
}

/// A folder of the store: (mailbox, folder name, Maildir).
pub type FolderRef = (String, String, PathBuf);

/// Every folder of every mailbox under `root`: directories that are
/// mailbox names (no leading dot) holding a Maildir, and their Maildir++
/// folders.
pub fn discover(root: &Path) -> io::Result<Vec<FolderRef>> {
    let mut out = Vec::new();
    for (name, dir) in crate::store::mailboxes(root)? {
        let mb = Mailbox::new(&dir);
        for folder in mb.list().unwrap_or_else(|_| vec!["INBOX".into()]) {
            if let Ok(d) = mb.folder_dir(&folder) {
                out.push((name.clone(), folder, d));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The index and what keeps it: shared by the index thread and the
/// workers that answer requests.
#[derive(Debug)]
pub struct Shared {
    /// The messages.
    pub index: RwLock<Index>,
    /// One rescan at a time (each reads the folder, then applies the
    /// difference: two at once could apply an older listing last).
    rescanning: Mutex<()>,
    /// The first build is done (`/readyz`).
    pub ready: AtomicBool,
    /// The store's root.
    pub root: PathBuf,
}

impl Shared {
    /// An empty index of the store at `root`.
    pub fn new(root: PathBuf) -> Shared {
        Shared {
            index: RwLock::new(Index::default()),
            rescanning: Mutex::new(()),
            ready: AtomicBool::new(false),
            root,
        }
    }

    /// Whether the first build is done.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Reads the index (a poisoned lock is still read: the index is only
    /// ever changed whole entry by whole entry).
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists folder `dir` of `mailbox` again and applies the difference;
    /// `on_read` is called for each new message file read. A folder that
    /// is gone loses its messages.
    pub fn rescan(
        &self,
        mailbox: &str,
        folder: &str,
        dir: &Path,
        on_read: &dyn Fn(),
    ) -> Vec<Change> {
        let _one = self.rescanning.lock().unwrap_or_else(|p| p.into_inner());
        let (hint, known): (Option<Arc<Folder>>, HashSet<String>) = {
            let ix = self.read();
            match ix.folders.get(dir) {
                Some(f) => (f.listing.clone(), f.ids.keys().cloned().collect()),
                None => (None, HashSet::new()),
            }
        };
        if !dir.join("cur").is_dir() && !dir.join("new").is_dir() {
            return self.forget(dir);
        }
        let listing = match Folder::open_with(dir, hint.as_deref()) {
            Ok(f) => Arc::new(f),
            Err(e) => {
                eprintln!("mailkit: http: cannot read {}: {e}", dir.display());
                return Vec::new();
            }
        };
        // New files are read outside the index's lock.
        let mut fresh: HashMap<String, Summary> = HashMap::new();
        for m in listing.messages() {
            if known.contains(&m.base) {
                continue;
            }
            if let Ok(data) = crate::store::folder::read_message(&m.path(dir)) {
                fresh.insert(m.base.clone(), Summary::of(&data));
                on_read();
            }
        }
        let mut changes = Vec::new();
        let mut ix = self.write();
        let mut state = ix.folders.remove(dir).unwrap_or_else(|| FolderState {
            mailbox: mailbox.into(),
            folder: folder.into(),
            dir: dir.into(),
            listing: None,
            ids: HashMap::new(),
        });
        let (mailbox, folder, dir_arc) = (
            state.mailbox.clone(),
            state.folder.clone(),
            state.dir.clone(),
        );
        let mut seen: HashMap<String, Arc<str>> = HashMap::with_capacity(listing.messages().len());
        for m in listing.messages() {
            if let Some(id) = state.ids.remove(&m.base) {
                let Some((was, now)) = ix.update(&id, |e| {
                    let was = e.read();
                    e.uid = m.uid;
                    e.in_new = m.in_new;
                    e.flags = m.flags;
                    (was, e.read())
                }) else {
                    continue;
                };
                if was != now {
                    changes.push(Change::Read {
                        id: id.clone(),
                        mailbox: mailbox.clone(),
                        read: now,
                    });
                }
                seen.insert(m.base.clone(), id);
            } else if let Some(summary) = fresh.remove(&m.base) {
                let id = message_id(&mailbox, &folder, &m.base);
                ix.insert(Entry {
                    id: id.clone(),
                    mailbox: mailbox.clone(),
                    folder: folder.clone(),
                    dir: dir_arc.clone(),
                    uid: m.uid,
                    base: m.base.clone(),
                    in_new: m.in_new,
                    flags: m.flags,
                    size: m.size,
                    created: m.internal_date,
                    summary: Arc::new(summary),
                    slot: u32::MAX,
                });
                changes.push(Change::New(id.clone()));
                seen.insert(m.base.clone(), id);
            }
        }
        for (_, id) in state.ids.drain() {
            if ix.remove(&id).is_some() {
                changes.push(Change::Delete {
                    id,
                    mailbox: mailbox.clone(),
                });
            }
        }
        state.ids = seen;
        state.listing = Some(listing);
        ix.folders.insert(dir.to_path_buf(), state);
        changes
    }

    /// A message this process just delivered into `mailbox`'s INBOX as
    /// `new/FILE`, indexed at once without listing the folder (a listing
    /// of a large INBOX per delivery would slow intake; the next rescan
    /// gives it its UID). None when the folder is not indexed yet or the
    /// file cannot be read: the caller rescans instead.
    pub fn delivered(&self, mailbox: &str, file: &str) -> Option<Vec<Change>> {
        let _one = self.rescanning.lock().unwrap_or_else(|p| p.into_inner());
        let dir = self.root.join(mailbox);
        let base = crate::store::folder::base_name(file).to_owned();
        let (mailbox, folder, dir_arc) = {
            let ix = self.read();
            let state = ix.folders.get(&dir)?;
            if state.ids.contains_key(&base) {
                return Some(Vec::new());
            }
            (
                state.mailbox.clone(),
                state.folder.clone(),
                state.dir.clone(),
            )
        };
        let path = dir.join("new").join(file);
        let meta = std::fs::symlink_metadata(&path)
            .ok()
            .filter(|m| m.is_file())?;
        let data = crate::store::folder::read_message(&path).ok()?;
        let summary = Summary::of(&data);
        let id = message_id(&mailbox, &folder, &base);
        let mut ix = self.write();
        ix.folders
            .get_mut(&dir)?
            .ids
            .insert(base.clone(), id.clone());
        ix.insert(Entry {
            id: id.clone(),
            mailbox,
            folder,
            dir: dir_arc,
            uid: 0,
            base,
            in_new: true,
            flags: Flags::empty(),
            size: meta.len(),
            created: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            summary: Arc::new(summary),
            slot: 0,
        });
        Some(vec![Change::New(id)])
    }

    /// Drops a folder that no longer exists.
    fn forget(&self, dir: &Path) -> Vec<Change> {
        let mut ix = self.write();
        let Some(state) = ix.folders.remove(dir) else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        for (_, id) in state.ids {
            if ix.remove(&id).is_some() {
                changes.push(Change::Delete {
                    id,
                    mailbox: state.mailbox.clone(),
                });
            }
        }
        changes
    }

    /// The folders the index holds: (mailbox, folder, dir).
    pub fn known_folders(&self) -> Vec<FolderRef> {
        self.read()
            .folders
            .iter()
            .map(|(d, f)| (f.mailbox.to_string(), f.folder.to_string(), d.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_file(dir: &Path, sub: &str, name: &str, data: &[u8]) {
        for s in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(s)).unwrap();
        }
        std::fs::write(dir.join(sub).join(name), data).unwrap();
    }

    #[test]
    fn rescans_turn_file_changes_into_events() {
        let root = std::env::temp_dir().join(format!("mailkit-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let inbox = root.join("bob@x.test");
        drop_file(&inbox, "new", "1.M1P1.h", b"Subject: one\n\nbody\n");
        drop_file(&inbox, "cur", "2.M1P1.h:2,S", b"Subject: two\n\nbody\n");
        let found = discover(&root).unwrap();
        assert_eq!(
            found,
            [("bob@x.test".into(), "INBOX".into(), inbox.clone())]
        );
        let s = Shared::new(root.clone());
        let ch = s.rescan("bob@x.test", "INBOX", &inbox, &|| {});
        assert_eq!(ch.len(), 2);
        let id1 = message_id("bob@x.test", "INBOX", "1.M1P1.h");
        assert_eq!(id1.len(), 16);
        assert!(id1
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(s.read().counts(&Scope::All), (2, 1));
        // Read by another program: renamed to cur/ with S.
        std::fs::rename(inbox.join("new/1.M1P1.h"), inbox.join("cur/1.M1P1.h:2,S")).unwrap();
        std::fs::remove_file(inbox.join("cur/2.M1P1.h:2,S")).unwrap();
        let ch = s.rescan("bob@x.test", "INBOX", &inbox, &|| {});
        let id2 = message_id("bob@x.test", "INBOX", "2.M1P1.h");
        assert!(ch.contains(&Change::Read {
            id: id1.clone(),
            mailbox: "bob@x.test".into(),
            read: true
        }));
        assert!(ch.contains(&Change::Delete {
            id: id2,
            mailbox: "bob@x.test".into()
        }));
        assert_eq!(s.read().counts(&Scope::All), (1, 0));
        assert_eq!(
            s.read().get(&id1).map(|e| e.summary.subject.clone()),
            Some("one".into())
        );
        assert_eq!(
            s.read().counts(&Scope::Mailbox("carol@x.test".into())),
            (0, 0)
        );
        std::fs::remove_dir_all(&inbox).unwrap();
        assert_eq!(s.rescan("bob@x.test", "INBOX", &inbox, &|| {}).len(), 1);
        assert!(s.read().is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_word_index_finds_what_a_scan_finds() {
        let texts = [
            "Subject: Ketchup offer\nFrom: Eve <eve@evil.example>\n\nbuy ketchup now, 50% off!\n",
            "Subject: Lunch tomorrow?\nFrom: carol@wonder.land\nCc: dave@hamburger.edu\n\npizza or sushi; ketchup allowed\n",
            "Subject: Re: Quarterly numbers\nFrom: alice@crepes.fr\nMessage-ID: <q.42@crepes.fr>\n\nthe numbers look fine\n",
            "Subject: Grüße aus Köln\nFrom: Jürgen <j@köln.de>\n\nStraße und Maß\n",
            "Subject: report quarterly\nTo: carol@wonder.land\nReply-To: reports@crepes.fr\n\nwords in the other order\n",
        ];
        let mut ix = Index::default();
        for (i, t) in texts.iter().enumerate() {
            let id: Arc<str> = format!("id{i}").into();
            ix.insert(Entry {
                id,
                mailbox: "bob@x".into(),
                folder: "INBOX".into(),
                dir: Path::new("/nonexistent").into(),
                uid: i as u32 + 1,
                base: format!("{i}.b"),
                in_new: true,
                flags: Flags::empty(),
                size: t.len() as u64,
                created: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(i as u64),
                summary: Arc::new(Summary::of(t.as_bytes())),
                slot: 0,
            });
        }
        // Remove one, so a dead slot is in the postings.
        ix.remove("id2");
        let queries = [
            "ketchup",
            "KETCH",
            "tchu",
            "crepes.fr",
            "@crepes",
            "50%",
            "off!",
            "%",
            "sushi ketchup",
            "\"ketchup allowed\"",
            "subject:lunch",
            "subject:\"re: quarterly\"",
            "from:evil.example",
            "cc:dave",
            "reply-to:reports",
            "to:carol",
            "message-id:q.42",
            "addressed:carol",
            "köln",
            "STRASSE",
            "straße",
            "maß",
            "-ketchup",
            "!lunch ketchup",
            "numbers",
            "a",
            "e",
            "zzz",
            "is:unread ketchup",
            "has:attachment",
            "larger:10 ketchup",
        ];
        for q in queries {
            let query = Query::parse(q);
            let scan: Vec<&str> = ix
                .newest_first()
                .filter(|e| query.matches(e))
                .map(|e| &*e.id)
                .collect();
            if let Some(c) = ix.candidates(&query) {
                let via: Vec<&str> = c.filter(|e| query.matches(e)).map(|e| &*e.id).collect();
                assert_eq!(via, scan, "{q}");
            }
        }
    }

    #[test]
    fn a_delivery_is_indexed_without_a_listing_and_the_next_rescan_agrees() {
        let root = std::env::temp_dir().join(format!("mailkit-index-dl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let inbox = root.join("bob@x.test");
        drop_file(&inbox, "new", "1.M1P1.h", b"Subject: one\n\nbody\n");
        let s = Shared::new(root.clone());
        assert_eq!(
            s.delivered("bob@x.test", "1.M1P1.h"),
            None,
            "folder not indexed yet"
        );
        s.rescan("bob@x.test", "INBOX", &inbox, &|| {});
        drop_file(&inbox, "new", "2.M2P1.h", b"Subject: two\n\nbody\n");
        let id2 = message_id("bob@x.test", "INBOX", "2.M2P1.h");
        assert_eq!(
            s.delivered("bob@x.test", "2.M2P1.h"),
            Some(vec![Change::New(id2.clone())])
        );
        assert_eq!(s.delivered("bob@x.test", "2.M2P1.h"), Some(vec![]), "once");
        assert_eq!(
            s.read().get(&id2).map(|e| e.summary.subject.clone()),
            Some("two".into())
        );
        assert_eq!(s.read().counts(&Scope::All), (2, 2));
        // The rescan gives it a UID and sees nothing new.
        assert_eq!(s.rescan("bob@x.test", "INBOX", &inbox, &|| {}), vec![]);
        assert!(s.read().get(&id2).is_some_and(|e| e.uid > 0));
        let _ = std::fs::remove_dir_all(&root);
    }
}

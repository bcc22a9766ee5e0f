//! The selected mailbox as one session sees it (RFC 9051 §2.3.1): its
//! messages in UID order, numbered 1..n, with their flags. The store may
//! change under it (another session, another process); the view changes
//! only when the session applies a fresh [`Snapshot`], at moments the RFC
//! allows, and says so with untagged EXPUNGE, EXISTS and FETCH FLAGS.

use std::num::NonZeroU32;

use imap_types::sequence::SequenceSet;

use super::render;

/// A folder's state as the store has it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// UIDVALIDITY (RFC 9051 §2.3.1.1).
    pub uid_validity: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// Every message, by rising UID: its UID and flag names (`\Seen`,
    /// keywords).
    pub messages: Vec<(u32, Vec<String>)>,
    /// The keywords defined in the folder, for FLAGS and PERMANENTFLAGS.
    pub keywords: Vec<String>,
    /// How many messages are new to this session (`\Recent`, rev1 only).
    pub recent: u32,
}

/// The selected mailbox's UIDVALIDITY changed under the session: its
/// UIDs mean nothing any more (RFC 9051 §2.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityChanged;

/// The session's view of its selected mailbox.
#[derive(Debug, Clone)]
pub struct View {
    /// UIDVALIDITY when selected.
    pub uid_validity: u32,
    /// UIDNEXT as last seen.
    pub uid_next: u32,
    /// Opened with EXAMINE: no change may be made.
    pub read_only: bool,
    /// The wire name it was selected by (for notices).
    pub name: String,
    /// Keywords known to the folder.
    pub keywords: Vec<String>,
    /// The messages' UIDs, ascending: message n is `uids[n - 1]`.
    uids: Vec<u32>,
    /// Each message's flags as an index into `lists`: a session holds a
    /// few bytes per message, not a list of strings (10,000 sessions on
    /// a 5,000-message INBOX).
    flags: Vec<u32>,
    /// The distinct flag lists seen, each once.
    lists: Vec<Vec<String>>,
}

impl View {
    /// The view of a freshly selected mailbox.
    pub fn new(name: String, snapshot: Snapshot, read_only: bool) -> View {
        let mut v = View {
            uid_validity: snapshot.uid_validity,
            uid_next: snapshot.uid_next,
            read_only,
            name,
            keywords: snapshot.keywords,
            uids: Vec::with_capacity(snapshot.messages.len()),
            flags: Vec::with_capacity(snapshot.messages.len()),
            lists: Vec::new(),
        };
        for (uid, flags) in snapshot.messages {
            let id = v.intern(flags);
            v.uids.push(uid);
            v.flags.push(id);
        }
        v
    }

    /// The index of flag list `flags` in `lists` (added when new).
    fn intern(&mut self, flags: Vec<String>) -> u32 {
        match self.lists.iter().position(|l| *l == flags) {
            Some(i) => i as u32,
            None => {
                self.lists.push(flags);
                (self.lists.len() - 1) as u32
            }
        }
    }

    fn flags_at(&self, i: usize) -> &[String] {
        self.flags
            .get(i)
            .and_then(|&id| self.lists.get(id as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// How many messages (EXISTS).
    pub fn len(&self) -> u32 {
        self.uids.len() as u32
    }

    /// Whether it holds no message.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// The UIDs in sequence order.
    pub fn uids(&self) -> Vec<u32> {
        self.uids.clone()
    }

    /// The flags of the message with `uid`.
    pub fn flags(&self, uid: u32) -> Option<&[String]> {
        self.index(uid).map(|i| self.flags_at(i))
    }

    /// Sets the flags of `uid` (after a change this session made).
    pub fn set_flags(&mut self, uid: u32, flags: Vec<String>) {
        if let Some(i) = self.index(uid) {
            let id = self.intern(flags);
            self.flags[i] = id;
        }
    }

    /// The sequence number of `uid`.
    pub fn seq(&self, uid: u32) -> Option<u32> {
        self.index(uid).map(|i| i as u32 + 1)
    }

    fn index(&self, uid: u32) -> Option<usize> {
        self.uids.binary_search(&uid).ok()
    }

    /// The (sequence number, UID) pairs a set names, in ascending order.
    /// By sequence number a number past the end is an error (RFC 9051
    /// §6.4.8 leaves it to the server; BAD as Dovecot does); by UID, UIDs
    /// that are not there are skipped, and `*` is the highest UID (or, in
    /// an empty mailbox, nothing).
    pub fn resolve(&self, set: &SequenceSet, by_uid: bool) -> Result<Vec<(u32, u32)>, String> {
        if self.uids.is_empty() {
            return if by_uid {
                Ok(Vec::new())
            } else {
                Err("no messages in the mailbox".into())
            };
        }
        if by_uid {
            let last = self.uids.last().copied().unwrap_or(1);
            let largest = NonZeroU32::new(last).unwrap_or(NonZeroU32::MIN);
            // A huge UID range is not walked number by number: each range
            // finds its first message by binary search and takes the
            // messages up to its end.
            let mut out = Vec::new();
            for (a, b) in merged(ranges(set, largest)) {
                let from = self.uids.partition_point(|&u| u < a);
                for (i, &u) in self.uids.iter().enumerate().skip(from) {
                    if u > b {
                        break;
                    }
                    out.push((i as u32 + 1, u));
                }
            }
            Ok(out)
        } else {
            let n = self.len();
            let largest = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
            let ranges = merged(ranges(set, largest));
            if ranges.iter().any(|&(_, b)| b > n) {
                return Err("no such message (sequence number past the end)".into());
            }
            Ok(ranges
                .into_iter()
                .flat_map(|(a, b)| a..=b)
                .filter_map(|s| Some((s, *self.uids.get(s as usize - 1)?)))
                .collect())
        }
    }

    /// Removes `uids` (expunged by this session or found gone), returning
    /// the untagged `* n EXPUNGE` lines in the order they must be sent
    /// (each number counted after the removals before it).
    pub fn expunge(&mut self, uids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut gone: Vec<usize> = uids.iter().filter_map(|&u| self.index(u)).collect();
        gone.sort_unstable();
        gone.dedup();
        if gone.is_empty() {
            return out;
        }
        // Ascending, each number counted after the removals before it.
        for (k, i) in gone.iter().enumerate() {
            out.extend_from_slice(format!("* {} EXPUNGE\r\n", i - k + 1).as_bytes());
        }
        let keep = |v: &mut Vec<u32>| {
            let mut next = gone.iter().peekable();
            let mut i = 0;
            v.retain(|_| {
                let keep = next.peek() != Some(&&i);
                if !keep {
                    next.next();
                }
                i += 1;
                keep
            });
        };
        keep(&mut self.uids);
        keep(&mut self.flags);
        out
    }

    /// Brings the view up to `snap`: the untagged responses that say so
    /// (EXPUNGE for messages gone, EXISTS for new ones, FETCH FLAGS for
    /// changed flags, FLAGS when new keywords appeared). A changed
    /// UIDVALIDITY cannot be shown to a selected session: `Err`, and the
    /// session must close (RFC 9051 §2.3.1.1).
    pub fn update(&mut self, snap: Snapshot) -> Result<Vec<u8>, ValidityChanged> {
        if snap.uid_validity != self.uid_validity {
            return Err(ValidityChanged);
        }
        let mut out = Vec::new();
        if snap.keywords != self.keywords {
            self.keywords = snap.keywords.clone();
            out.extend_from_slice(b"* FLAGS ");
            render::flag_list(&mut out, &self.flags_list());
            out.extend_from_slice(b"\r\n");
        }
        let now: std::collections::HashMap<u32, &Vec<String>> =
            snap.messages.iter().map(|(u, f)| (*u, f)).collect();
        let gone: Vec<u32> = self
            .uids
            .iter()
            .filter(|u| !now.contains_key(u))
            .copied()
            .collect();
        out.extend(self.expunge(&gone));
        let mut changed = Vec::new();
        for i in 0..self.uids.len() {
            if let Some(f) = now.get(&self.uids[i]) {
                if f.as_slice() != self.flags_at(i) {
                    let id = self.intern((*f).clone());
                    self.flags[i] = id;
                    changed.push(i);
                }
            }
        }
        for i in changed {
            let uid = self.uids[i];
            out.extend_from_slice(format!("* {} FETCH (UID {uid} FLAGS ", i + 1).as_bytes());
            render::flag_list(&mut out, self.flags_at(i));
            out.extend_from_slice(b")\r\n");
        }
        let last = self.uids.last().copied().unwrap_or(0);
        let mut added = false;
        for (u, f) in snap.messages.into_iter().filter(|(u, _)| *u > last) {
            let id = self.intern(f);
            self.uids.push(u);
            self.flags.push(id);
            added = true;
        }
        if added {
            out.extend_from_slice(format!("* {} EXISTS\r\n", self.len()).as_bytes());
        }
        self.uid_next = self.uid_next.max(snap.uid_next);
        Ok(out)
    }

    /// The FLAGS response's list: the system flags and the keywords.
    pub fn flags_list(&self) -> Vec<String> {
        let mut f: Vec<String> = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        f.extend(self.keywords.iter().cloned());
        f
    }
}

/// A sequence set as inclusive (low, high) ranges, `*` made `largest`.
fn ranges(set: &SequenceSet, largest: NonZeroU32) -> Vec<(u32, u32)> {
    use imap_types::sequence::Sequence;
    set.0
        .as_ref()
        .iter()
        .map(|s| match s {
            Sequence::Single(v) => {
                let v = v.expand(largest).get();
                (v, v)
            }
            Sequence::Range(a, b) => {
                let (a, b) = (a.expand(largest).get(), b.expand(largest).get());
                (a.min(b), a.max(b))
            }
        })
        .collect()
}

/// `ranges` sorted, overlapping and touching ones joined, so that each
/// number is in at most one.
fn merged(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(msgs: &[(u32, &[&str])]) -> Snapshot {
        Snapshot {
            uid_validity: 7,
            uid_next: msgs.last().map_or(1, |m| m.0 + 1),
            messages: msgs
                .iter()
                .map(|(u, f)| (*u, f.iter().map(|s| s.to_string()).collect()))
                .collect(),
            keywords: Vec::new(),
            recent: 0,
        }
    }

    #[test]
    fn sets_resolve_by_number_and_by_uid() {
        let v = View::new("INBOX".into(), snap(&[(3, &[]), (5, &[]), (9, &[])]), false);
        let set = |s: &str| SequenceSet::try_from(s).unwrap();
        assert_eq!(v.resolve(&set("2:*"), false).unwrap(), [(2, 5), (3, 9)]);
        assert!(v.resolve(&set("4"), false).is_err());
        assert_eq!(v.resolve(&set("4:9"), true).unwrap(), [(2, 5), (3, 9)]);
        assert_eq!(v.resolve(&set("*"), true).unwrap(), [(3, 9)]);
        // "10:*" is 9:10 when the highest UID is 9 (RFC 9051 §6.4.9).
        assert_eq!(v.resolve(&set("10:*"), true).unwrap(), [(3, 9)]);
        assert_eq!(v.resolve(&set("1:4294967295"), true).unwrap().len(), 3);
        // Overlaps and repeats name a message once, in ascending order.
        assert_eq!(
            v.resolve(&set("9,3:5,4,1:3"), true).unwrap(),
            [(1, 3), (2, 5), (3, 9)]
        );
        assert_eq!(
            v.resolve(&set("3,1:2,2"), false).unwrap(),
            [(1, 3), (2, 5), (3, 9)]
        );
        assert_eq!(
            merged(vec![(5, 6), (1, 2), (3, 3), (8, 9)]),
            [(1, 3), (5, 6), (8, 9)]
        );
    }

    #[test]
    fn expunge_numbers_each_after_the_ones_before() {
        let mut v = View::new(
            "INBOX".into(),
            snap(&[(1, &[]), (2, &[]), (3, &[]), (4, &[]), (5, &[])]),
            false,
        );
        let out = v.expunge(&[5, 2, 3, 2, 42]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXPUNGE\r\n"
        );
        assert_eq!(v.uids(), [1, 4]);
    }

    #[test]
    fn updates_say_what_changed_in_a_legal_order() {
        let mut v = View::new(
            "INBOX".into(),
            snap(&[(1, &[]), (2, &[]), (3, &[]), (4, &[])]),
            false,
        );
        let out = v
            .update(snap(&[(1, &["\\Seen"]), (3, &[]), (6, &[])]))
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "* 2 EXPUNGE\r\n* 3 EXPUNGE\r\n* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 3 EXISTS\r\n"
        );
        assert_eq!(v.uids(), [1, 3, 6]);
        let mut other = snap(&[]);
        other.uid_validity = 8;
        assert!(v.update(other).is_err());
    }
}

//! The word index that makes searches cost the matches, not the store.
//!
//! Mailpit's search terms match substrings, case-insensitively. A term's
//! letters and digits can only occur inside the message's words (maximal
//! runs of letters and digits): `ketch` occurs in a text exactly when some
//! word of the text contains `ketch`. So each field's distinct words are
//! kept with the messages that have them (posting lists of slot numbers);
//! a term's candidates are the messages having, for each run of letters
//! and digits in the term, a word containing that run (found by scanning
//! the vocabulary, which is far smaller than the text). Candidates are then
//! checked against the term itself ([`super::search`]), so the result is
//! exactly the substring search's. A term with no letters or digits, and
//! a negated one, gets no candidates: it is checked on every message.
//!
//! Messages are numbered by slot; a removed message's slot stays dead
//! (its postings are skipped) until dead slots outnumber live ones, when
//! the postings are rebuilt from the live messages.

use std::collections::HashMap;

use super::summary::Summary;

/// The fields with their own words: bare words (everything searchable),
/// then subject, from, to, cc, bcc, reply-to, message-id.
pub const FIELDS: usize = 8;

/// Field numbers.
pub mod field {
    /// Bare words: header fields and body text.
    pub const TEXT: usize = 0;
    /// The Subject.
    pub const SUBJECT: usize = 1;
    /// From (then To, Cc, Bcc, Reply-To at 3, 4, 5, 6).
    pub const FROM: usize = 2;
    /// The Message-ID.
    pub const MESSAGE_ID: usize = 7;
}

/// A set of slots as a bitmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slots(Vec<u64>);

impl Slots {
    fn empty(n: usize) -> Slots {
        Slots(vec![0; n.div_ceil(64)])
    }

    fn set(&mut self, s: u32) {
        let (i, b) = (s as usize / 64, s % 64);
        if let Some(w) = self.0.get_mut(i) {
            *w |= 1 << b;
        }
    }

    /// Whether slot `s` is in the set.
    pub fn has(&self, s: u32) -> bool {
        self.0
            .get(s as usize / 64)
            .is_some_and(|w| w & (1 << (s % 64)) != 0)
    }

    /// Keeps only the slots also in `other`.
    pub fn and(&mut self, other: &Slots) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    /// How many slots are in the set.
    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The slots in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some(i as u32 * 64 + b)
            })
        })
    }
}

/// The words of `text` (lowercase already): maximal runs of letters and
/// digits, each once.
pub fn words(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The texts of a summary by field.
fn field_texts(s: &Summary) -> [&str; FIELDS] {
    let h = &s.hay;
    [
        &s.text,
        &h.subject,
        &h.addresses[0],
        &h.addresses[1],
        &h.addresses[2],
        &h.addresses[3],
        &h.addresses[4],
        &h.message_id,
    ]
}

/// One field's words: every distinct word once in one string (each
/// after a NUL), so finding the words that contain a run is one SIMD
/// search over a few hundred kilobytes, not a walk over a hash table.
#[derive(Debug, Default)]
struct Vocabulary {
    /// `\0word\0word...`.
    blob: String,
    /// Where each word starts in `blob` (after its NUL), ascending.
    starts: Vec<u32>,
    /// Each word's number.
    ids: HashMap<Box<str>, u32>,
    /// Each word's slots.
    postings: Vec<Vec<u32>>,
}

impl Vocabulary {
    fn add(&mut self, word: &str, slot: u32) {
        if let Some(&id) = self.ids.get(word) {
            self.postings[id as usize].push(slot);
            return;
        }
        let id = self.postings.len() as u32;
        self.blob.push('\0');
        self.starts.push(self.blob.len() as u32);
        self.blob.push_str(word);
        self.ids.insert(word.into(), id);
        self.postings.push(vec![slot]);
    }

    /// The numbers of the words that contain `run` (no NUL in it), and
    /// how many postings they have in all.
    fn containing(&self, run: &str) -> (Vec<u32>, usize) {
        let (mut ids, mut total) = (Vec::new(), 0);
        let mut at_word = 0usize;
        for at in memchr::memmem::find_iter(self.blob.as_bytes(), run.as_bytes()) {
            // Matches come in order: step to the word holding `at` (most
            // often the next one or a near one), or search the rest.
            let next = |i: usize| self.starts.get(i + 1).is_none_or(|&s| s as usize > at);
            if !next(at_word) {
                at_word += 1;
                if !next(at_word) {
                    at_word += self.starts[at_word..].partition_point(|&s| s as usize <= at) - 1;
                }
            }
            if ids.last() == Some(&(at_word as u32)) {
                continue;
            }
            ids.push(at_word as u32);
            total += self.postings[at_word].len();
        }
        (ids, total)
    }

    /// The slots of the words `ids`.
    fn slots_of(&self, ids: &[u32], slots: usize) -> Slots {
        let mut set = Slots::empty(slots);
        for &id in ids {
            for &s in &self.postings[id as usize] {
                set.set(s);
            }
        }
        set
    }
}

/// The postings of every field.
#[derive(Debug)]
pub struct WordIndex {
    fields: Vec<Vocabulary>,
    /// Slots in use (live or dead).
    slots: usize,
    /// Dead slots not yet dropped from the postings.
    dead: usize,
}

impl Default for WordIndex {
    fn default() -> WordIndex {
        WordIndex::new()
    }
}

impl WordIndex {
    /// An empty index.
    pub fn new() -> WordIndex {
        WordIndex {
            fields: (0..FIELDS).map(|_| Vocabulary::default()).collect(),
            slots: 0,
            dead: 0,
        }
    }

    /// Adds a message; returns its slot.
    pub fn add(&mut self, s: &Summary) -> u32 {
        let slot = self.slots as u32;
        self.slots += 1;
        for (f, text) in field_texts(s).into_iter().enumerate() {
            for w in words(text) {
                self.fields[f].add(w, slot);
            }
        }
        slot
    }

    /// A message's slot is dead. Returns whether the postings should be
    /// rebuilt now (dead slots outnumber live ones).
    pub fn remove(&mut self) -> bool {
        self.dead += 1;
        self.dead > 1024 && self.dead * 2 > self.slots
    }

    /// Forgets everything (before a rebuild).
    pub fn clear(&mut self) {
        *self = WordIndex::new();
    }

    /// How many slots there are (the bitmaps' size).
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The slots that may hold `needle` in field `f`: for each run of
    /// letters and digits of the needle, the messages with a word that
    /// contains it. None when the needle has no such run (no prefilter).
    /// Longer runs first (they tend to be rarer); once the candidates are
    /// few, the other runs are left to the check that follows, which is
    /// cheaper then than another pass over the vocabulary.
    pub fn candidates(&self, f: usize, needle: &str) -> Option<Slots> {
        let vocab = self.fields.get(f)?;
        let mut runs = words(needle);
        runs.sort_by_key(|r| std::cmp::Reverse(r.len()));
        let mut set: Option<Slots> = None;
        for run in runs {
            if set.as_ref().is_some_and(|s| s.count() <= FEW) {
                break;
            }
            let (ids, _) = vocab.containing(run);
            let found = vocab.slots_of(&ids, self.slots);
            match &mut set {
                Some(s) => s.and(&found),
                None => set = Some(found),
            }
        }
        set
    }
}

/// Candidates few enough to check one by one rather than narrow further.
const FEW: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_messages_with_a_word_holding_each_run() {
        let mut ix = WordIndex::new();
        let a = ix.add(&Summary::of(
            b"Subject: Ketchup offer\nFrom: alice@crepes.fr\n\nbuy ketchup now\n",
        ));
        let b = ix.add(&Summary::of(
            b"Subject: Lunch\nFrom: carol@wonder.land\n\npizza or sushi\n",
        ));
        let c = |f, n| ix.candidates(f, n).map(|s| s.iter().collect::<Vec<u32>>());
        assert_eq!(c(field::TEXT, "ketch"), Some(vec![a]));
        assert_eq!(c(field::TEXT, "crepes.fr"), Some(vec![a]));
        assert_eq!(c(field::SUBJECT, "unc"), Some(vec![b]));
        assert_eq!(c(field::FROM, "wonder"), Some(vec![b]));
        assert_eq!(c(field::TEXT, "zzz"), Some(vec![]));
        assert_eq!(c(field::TEXT, "..."), None, "no letters: no prefilter");
        assert_eq!(words("ab, cd ab-ef"), ["ab", "cd", "ef"]);
        let mut s = Slots::empty(130);
        s.set(0);
        s.set(129);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 129]);
        assert!(s.has(129) && !s.has(1));
    }

    #[test]
    fn the_vocabulary_scan_finds_every_word_holding_a_run() {
        let mut v = Vocabulary::default();
        let words: Vec<String> = (0..3000)
            .map(|i| format!("w{}x{}", i * 7919 % 10007, i))
            .collect();
        for (i, w) in words.iter().enumerate() {
            v.add(w, i as u32);
        }
        for run in ["w5", "x1", "99", "7", "w10006", "zz", "x2999"] {
            let want: Vec<u32> = (0..words.len() as u32)
                .filter(|&i| words[i as usize].contains(run))
                .collect();
            assert_eq!(v.containing(run).0, want, "{run}");
        }
    }
}

//! Dovecot's `dovecot-keywords`: which IMAP keyword each of the letters
//! `a` to `z` in a Maildir file name's info (`:2,` flags) stands for
//! (SPEC, "The mail store"), so mailkit and Dovecot agree on a message's
//! keywords.
//!
//! One line a keyword: `<index> <keyword>`, index 0 for `a` to 25 for `z`.
//! The file is written by other programs: reading never trusts it.

/// The name of the file in each Maildir folder.
pub const FILE_NAME: &str = "dovecot-keywords";

/// How many keywords fit: one a letter, `a` to `z`.
pub const SLOTS: usize = 26;

/// A folder's keywords by letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    slots: [Option<String>; SLOTS],
}

/// A line that cannot be used (its file is [`FILE_NAME`]).
pub type KeywordsError = super::FileLineError;

/// Whether `k` is an IMAP keyword (RFC 9051 §9 `flag-keyword` = atom):
/// printable ASCII without `(){ %*"\]` and not a system flag.
pub fn valid_keyword(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 255
        && !k.starts_with('\\')
        && k.bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !b"(){%*\"\\]".contains(&b))
}

impl Keywords {
    /// Reads a `dovecot-keywords` file.
    pub fn parse(text: &str) -> Result<Keywords, KeywordsError> {
        let mut k = Keywords::default();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.is_empty() {
                continue;
            }
            let bad = |problem: String| KeywordsError {
                file: FILE_NAME,
                line: n,
                problem,
            };
            let (idx, word) = line
                .split_once(' ')
                .ok_or_else(|| bad("expected <index> <keyword>".into()))?;
            let idx: usize = idx
                .parse()
                .ok()
                .filter(|&i| i < SLOTS)
                .ok_or_else(|| bad(format!("index {idx:?} is not 0 to 25")))?;
            if !valid_keyword(word) {
                return Err(bad(format!("{word:?} is not an IMAP keyword")));
            }
            if k.slots[idx].is_some() {
                return Err(bad(format!("index {idx} appears twice")));
            }
            k.slots[idx] = Some(word.to_owned());
        }
        Ok(k)
    }

    /// The file's text, by index.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(word) = s {
                out.push_str(&format!("{i} {word}\n"));
            }
        }
        out
    }

    /// The keyword a letter (`a`-`z`) stands for.
    pub fn keyword(&self, letter: char) -> Option<&str> {
        let i = (letter as u32).checked_sub('a' as u32)? as usize;
        self.slots.get(i)?.as_deref()
    }

    /// The letter of `keyword` (compared case-insensitively, as IMAP
    /// does), giving it the first free one if it has none; `None` when it
    /// is not a keyword or all 26 letters are taken.
    pub fn letter(&mut self, keyword: &str) -> Option<char> {
        if !valid_keyword(keyword) {
            return None;
        }
        let i = match self.slots.iter().position(|s| {
            s.as_deref()
                .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        }) {
            Some(i) => i,
            None => {
                let free = self.slots.iter().position(Option::is_none)?;
                self.slots[free] = Some(keyword.to_owned());
                free
            }
        };
        char::from_u32('a' as u32 + i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_maps_letters() {
        let mut k = Keywords::parse("0 $Forwarded\n2 Work\n").unwrap();
        assert_eq!(k.keyword('a'), Some("$Forwarded"));
        assert_eq!(k.keyword('b'), None);
        assert_eq!(k.keyword('c'), Some("Work"));
        assert_eq!(k.letter("work"), Some('c'));
        assert_eq!(k.letter("$Junk"), Some('b'));
        assert_eq!(k.render(), "0 $Forwarded\n1 $Junk\n2 Work\n");
        assert_eq!(k.letter("\\Seen"), None);
        assert_eq!(k.letter("a b"), None);
    }

    #[test]
    fn at_most_26_and_damage_is_reported() {
        let mut k = Keywords::default();
        for i in 0..SLOTS {
            assert!(k.letter(&format!("k{i}")).is_some());
        }
        assert_eq!(k.letter("one-more"), None);
        for (text, line) in [
            ("26 x\n", 1),
            ("0 x\n0 y\n", 2),
            ("0\n", 1),
            ("0 bad(word\n", 1),
        ] {
            assert_eq!(Keywords::parse(text).unwrap_err().line, line, "{text:?}");
        }
    }
}

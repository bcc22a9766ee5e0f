//! A message's flags as a Maildir file name carries them: the info part
//! after `:2,` (the Maildir spec, cr.yp.to/proto/maildir.html), system
//! flags as the upper-case letters `D F P R S T` and keywords as the
//! lower-case letters `a`-`z` that `dovecot-keywords` maps to names, all
//! in ASCII order. IMAP's system flags map onto them (RFC 9051 §2.3.2):
//! \Draft D, \Flagged F, \Answered R, \Seen S, \Deleted T (P, "passed",
//! has no IMAP name and is kept as it is).

use std::fmt;

/// The flag letters of one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// Upper-case letters A-Z as bits 0-25.
    system: u32,
    /// Keyword letters a-z as bits 0-25.
    keywords: u32,
}

/// IMAP's system flags and their Maildir letters.
pub const SYSTEM: [(&str, char); 5] = [
    ("\\Draft", 'D'),
    ("\\Flagged", 'F'),
    ("\\Answered", 'R'),
    ("\\Seen", 'S'),
    ("\\Deleted", 'T'),
];

impl Flags {
    /// No flags.
    pub fn empty() -> Flags {
        Flags::default()
    }

    /// The flags of an info part (the text after `:2,`); letters that are
    /// neither A-Z nor a-z are dropped, repeats count once.
    pub fn from_info(info: &str) -> Flags {
        let mut f = Flags::default();
        for c in info.chars() {
            f.set(c, true);
        }
        f
    }

    /// The flags in a file name (none when it has no `:2,` info).
    pub fn from_file_name(name: &str) -> Flags {
        match name.split_once(":2,") {
            Some((_, info)) => Flags::from_info(info),
            None => Flags::default(),
        }
    }

    /// Sets or clears letter `c` (A-Z a system flag, a-z a keyword slot).
    pub fn set(&mut self, c: char, on: bool) {
        let (bits, i) = match c {
            'A'..='Z' => (&mut self.system, c as u32 - 'A' as u32),
            'a'..='z' => (&mut self.keywords, c as u32 - 'a' as u32),
            _ => return,
        };
        if on {
            *bits |= 1 << i;
        } else {
            *bits &= !(1 << i);
        }
    }

    /// Whether letter `c` is set.
    pub fn has(&self, c: char) -> bool {
        match c {
            'A'..='Z' => self.system & (1 << (c as u32 - 'A' as u32)) != 0,
            'a'..='z' => self.keywords & (1 << (c as u32 - 'a' as u32)) != 0,
            _ => false,
        }
    }

    /// The letters set, in ASCII order (the order the info part wants).
    pub fn letters(&self) -> impl Iterator<Item = char> + '_ {
        ('A'..='Z').chain('a'..='z').filter(|&c| self.has(c))
    }

    /// Every letter of `other` added.
    pub fn union(self, other: Flags) -> Flags {
        Flags {
            system: self.system | other.system,
            keywords: self.keywords | other.keywords,
        }
    }

    /// Every letter of `other` removed.
    pub fn minus(self, other: Flags) -> Flags {
        Flags {
            system: self.system & !other.system,
            keywords: self.keywords & !other.keywords,
        }
    }

    /// The keyword letters set.
    pub fn keyword_letters(&self) -> impl Iterator<Item = char> + '_ {
        ('a'..='z').filter(|&c| self.has(c))
    }

    /// The IMAP system flag names set (\Seen, ...), in [`SYSTEM`] order.
    pub fn system_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        SYSTEM.iter().filter(|(_, c)| self.has(*c)).map(|(n, _)| *n)
    }

    /// The letter of an IMAP system flag name (any case), if it is one.
    pub fn system_letter(name: &str) -> Option<char> {
        SYSTEM
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| *c)
    }

    /// The file name for `base` with these flags: `base:2,LETTERS`.
    pub fn file_name(&self, base: &str) -> String {
        format!("{base}:2,{self}")
    }
}

impl fmt::Display for Flags {
    /// The info letters, in ASCII order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.letters() {
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_round_trip_in_ascii_order() {
        let f = Flags::from_file_name("1.2.host,S=9:2,TSbRaF");
        assert_eq!(f.to_string(), "FRSTab");
        assert_eq!(f.file_name("1.2.host,S=9"), "1.2.host,S=9:2,FRSTab");
        assert_eq!(Flags::from_file_name("1.2.host").to_string(), "");
        assert_eq!(Flags::from_info("SS!9").to_string(), "S");
        let names: Vec<_> = f.system_names().collect();
        assert_eq!(names, ["\\Flagged", "\\Answered", "\\Seen", "\\Deleted"]);
        assert_eq!(Flags::system_letter("\\seen"), Some('S'));
        assert_eq!(Flags::system_letter("\\Recent"), None);
    }

    #[test]
    fn union_and_minus() {
        let a = Flags::from_info("Sa");
        let b = Flags::from_info("Fa");
        assert_eq!(a.union(b).to_string(), "FSa");
        assert_eq!(a.minus(b).to_string(), "S");
    }
}

//! The header section of a message or MIME part, split into fields with
//! their byte offsets (RFC 5322 §2.2), and the defects of its syntax.
//!
//! mailparse reads fields too, but forgives what the validator must report
//! (a line without a colon, a leading continuation line, a missing blank
//! line) and keeps no positions; this scanner keeps both.

/// Most fields a header section may have before the rest is ignored.
pub const MAX_FIELDS: usize = 1000;

/// One header field as it is in the message.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The field name as written (without trailing white space).
    pub name: &'a [u8],
    /// The raw value after the colon, folding line breaks included.
    pub value: &'a [u8],
    /// Offset of the field's first byte in the scanned data.
    pub offset: usize,
    /// White space between the name and the colon (obs-optional, RFC 5322 §4.5).
    pub space_before_colon: bool,
}

impl Field<'_> {
    /// Whether the field's name is `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded (CR and LF removed, RFC 5322 §2.2.3), as text
    /// (invalid UTF-8 replaced), without leading and trailing white space.
    pub fn unfolded(&self) -> String {
        unfold(self.value)
    }
}

/// A field value unfolded as RFC 5322 §2.2.3 says: only the CR and LF
/// go, the white space after them stays (a TAB stays a TAB); as text
/// (invalid UTF-8 replaced), without leading and trailing white space.
pub fn unfold(value: &[u8]) -> String {
    let v: Vec<u8> = value
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    String::from_utf8_lossy(&v).trim().to_owned()
}

/// A syntax defect in a header section, with the offset of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// A line with no colon among the fields (RFC 5322 §2.2).
    NoColon(usize),
    /// A field name with characters outside ftext, or empty (§3.6.8).
    BadName(usize, String),
    /// The first line starts with white space (§2.2.3).
    LeadingContinuation(usize),
    /// Body text follows the fields without the blank line (§2.1).
    MissingSeparator(usize),
    /// More than [`MAX_FIELDS`] fields; the offset of the first ignored one.
    TooManyFields(usize),
}

/// A scanned header section.
#[derive(Debug, Default)]
pub struct Section<'a> {
    /// The fields, in order.
    pub fields: Vec<Field<'a>>,
    /// Syntax defects, in order.
    pub defects: Vec<Defect>,
    /// Offset where the body starts (after the blank line, if any).
    pub body_offset: usize,
}

impl<'a> Section<'a> {
    /// The first field named `name`.
    pub fn get(&self, name: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }
}

/// The line starting at `pos`: (content end without CR LF, next line start).
pub fn line_at(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &data[pos..]) {
        Some(i) => {
            let lf = pos + i;
            let end = if lf > pos && data[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            (end, lf + 1)
        }
        None => (data.len(), data.len()),
    }
}

fn is_ftext(b: u8) -> bool {
    (33..=126).contains(&b) && b != b':'
}

/// Whether a line looks like a header field (`name:` with a valid name).
fn looks_like_field(line: &[u8]) -> bool {
    match memchr::memchr(b':', line) {
        Some(c) if c > 0 => line[..c].iter().all(|&b| is_ftext(b)),
        _ => false,
    }
}

/// Scans the header section at the start of `data`.
pub fn scan(data: &[u8]) -> Section<'_> {
    let mut s = Section::default();
    let mut pos = 0;
    // The field being built: (index in s.fields) while continuation lines extend it.
    let mut current: Option<usize> = None;
    while pos < data.len() {
        let (end, next) = line_at(data, pos);
        let line = &data[pos..end];
        if line.is_empty() {
            s.body_offset = next;
            return s;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            match current {
                Some(i) => {
                    let f = &mut s.fields[i];
                    f.value = &data[f.value.as_ptr() as usize - data.as_ptr() as usize..end];
                }
                None if s.fields.is_empty() && s.defects.is_empty() => {
                    s.defects.push(Defect::LeadingContinuation(pos))
                }
                None => {}
            }
            pos = next;
            continue;
        }
        match memchr::memchr(b':', line) {
            Some(colon) => {
                if s.fields.len() >= MAX_FIELDS {
                    s.defects.push(Defect::TooManyFields(pos));
                    // Skip to the end of the section without keeping more fields.
                    let mut p = pos;
                    while p < data.len() {
                        let (e, n) = line_at(data, p);
                        if e == p {
                            s.body_offset = n;
                            return s;
                        }
                        p = n;
                    }
                    s.body_offset = data.len();
                    return s;
                }
                let raw_name = &line[..colon];
                let name_end = raw_name
                    .iter()
                    .rposition(|&b| b != b' ' && b != b'\t')
                    .map_or(0, |i| i + 1);
                let name = &raw_name[..name_end];
                if name.is_empty() || !name.iter().all(|&b| is_ftext(b)) {
                    s.defects.push(Defect::BadName(
                        pos,
                        String::from_utf8_lossy(raw_name).into_owned(),
                    ));
                }
                s.fields.push(Field {
                    name,
                    value: &data[pos + colon + 1..end],
                    offset: pos,
                    space_before_colon: name_end < raw_name.len(),
                });
                current = Some(s.fields.len() - 1);
            }
            None => {
                // A colon-less line: a broken field when fields follow it,
                // else the body began without its blank line.
                let mut p = next;
                let mut fields_follow = false;
                for _ in 0..50 {
                    if p >= data.len() {
                        break;
                    }
                    let (e, n) = line_at(data, p);
                    if e == p {
                        break;
                    }
                    if looks_like_field(&data[p..e]) {
                        fields_follow = true;
                        break;
                    }
                    p = n;
                }
                if fields_follow {
                    s.defects.push(Defect::NoColon(pos));
                    current = None;
                } else {
                    s.defects.push(Defect::MissingSeparator(pos));
                    s.body_offset = pos;
                    return s;
                }
            }
        }
        pos = next;
    }
    s.body_offset = data.len();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_folding_and_offsets() {
        let d = b"From: a@x.org\r\nSubject: one\r\n two\r\nX-A : b\r\n\r\nbody\r\n";
        let s = scan(d);
        assert_eq!(s.fields.len(), 3);
        assert_eq!(s.fields[1].unfolded(), "one two");
        assert_eq!(s.fields[1].offset, 15);
        assert!(s.fields[2].space_before_colon);
        assert_eq!(&d[s.body_offset..], b"body\r\n");
        assert!(s.defects.is_empty());
    }

    #[test]
    fn defects() {
        let s = scan(b" lead\nFrom: a\nbroken line\nTo: b\nBad Name: x\n\n");
        assert_eq!(
            s.defects,
            vec![
                Defect::LeadingContinuation(0),
                Defect::NoColon(14),
                Defect::BadName(32, "Bad Name".into())
            ]
        );
        let s = scan(b"From: a\nhello there\nmore body\n");
        assert_eq!(s.defects, vec![Defect::MissingSeparator(8)]);
        assert_eq!(s.body_offset, 8);
    }
}

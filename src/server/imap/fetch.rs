//! FETCH items rendered from a stored message (RFC 9051 §6.4.5, §7.5.2):
//! FLAGS, UID, INTERNALDATE, RFC822.SIZE, BODY[section]<partial> for every
//! section kind, RFC822(.HEADER/.TEXT), BINARY[]/BINARY.SIZE, ENVELOPE
//! and BODY/BODYSTRUCTURE. The message is read with CRLF line ends (what
//! the wire carries and what sizes count) and its MIME structure found
//! with mailparse.

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_codec::imap_types::fetch::{MessageDataItemName, Section};
use mailparse::{MailAddr, MailHeaderMap, ParsedMail};

use crate::proto::imap::render;
use crate::proto::imap::server::{FetchItem, Fetched, Refusal};
use crate::store::folder::{Folder, Message};

use super::work::names;

/// About how many octets of responses one FETCH job renders: a FETCH of
/// many messages goes out in parts of this size, the next read while the
/// last is in the socket, so a session holds one part, not the mailbox.
pub const PART_BYTES: u64 = 256 * 1024;

/// Whether `items` need the message's text (not only its flags, UID,
/// date and size).
fn needs_data(items: &[FetchItem]) -> bool {
    items.iter().any(|i| {
        !matches!(
            i,
            MessageDataItemName::Flags
                | MessageDataItemName::Uid
                | MessageDataItemName::InternalDate
                | MessageDataItemName::Rfc822Size
        )
    })
}

/// How many of `seqs` the next part renders: messages up to about
/// [`PART_BYTES`] (by their stored sizes when the text is wanted), at
/// least one.
pub fn part(f: &Folder, seqs: &[(u32, u32)], items: &[FetchItem]) -> usize {
    let data = needs_data(items);
    let mut total = 0u64;
    for (i, &(_, u)) in seqs.iter().enumerate() {
        if i > 0 && total >= PART_BYTES {
            return i;
        }
        total += 64
            + if data {
                f.get(u).map_or(0, |m| m.size)
            } else {
                0
            };
    }
    seqs.len()
}

/// Sets \Seen on the messages of `seqs` that lack it (FETCH of a body
/// without PEEK, RFC 9051 §6.4.5); returns the UIDs changed.
pub fn mark_seen(f: &mut Folder, seqs: &[(u32, u32)]) -> Result<Vec<u32>, Refusal> {
    let marks: Vec<(u32, crate::store::flags::Flags)> = seqs
        .iter()
        .filter_map(|&(_, u)| f.get(u))
        .filter(|m| !m.flags.has('S'))
        .map(|m| {
            let mut fl = m.flags;
            fl.set('S', true);
            (m.uid, fl)
        })
        .collect();
    f.set_flags_many(&marks)
        .map_err(|e| Refusal::Failed(e.to_string()))
}

/// Renders the `* n FETCH (...)` response of `items` for each message of
/// `seqs` ((sequence number, UID) pairs) present in `f`; FLAGS also for
/// the messages in `seen_now` (their \Seen was just set).
pub fn fetch(
    f: &Folder,
    seqs: &[(u32, u32)],
    items: &[FetchItem],
    seen_now: &[u32],
) -> Result<Fetched, Refusal> {
    let wants_flags = items.contains(&MessageDataItemName::Flags);
    let needs_data = needs_data(items);
    let mut out = Fetched::default();
    let mut files = Files::open(f.dir());
    let (mut raw, mut wire) = (Vec::new(), Vec::new());
    for &(seq, uid) in seqs {
        let Some(m) = f.get(uid).cloned() else {
            continue;
        };
        let data = if needs_data || m.wire_size.is_none() {
            match files.read(f.dir(), &m, &mut raw) {
                Ok(n) => {
                    wire.clear();
                    crate::util::lf_to_crlf_into(&mut wire, &raw[..n]);
                    Some(wire.as_slice())
                }
                // Expunged by someone else since the view was made: left
                // out (RFC 9051 §6.4.5 lets the server omit it).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Refusal::Failed(e.to_string())),
            }
        } else {
            None
        };
        let r = &mut out.wire;
        r.reserve(data.map_or(64, |d| d.len() + 64));
        r.extend_from_slice(format!("* {seq} FETCH (").as_bytes());
        let mut first = true;
        for item in items {
            if item == &MessageDataItemName::Flags {
                continue;
            }
            if !first {
                r.push(b' ');
            }
            first = false;
            item_out(r, item, &m, data);
        }
        if wants_flags || seen_now.contains(&uid) {
            let flags = names(f, m.flags);
            if !first {
                r.push(b' ');
            }
            r.extend_from_slice(b"FLAGS ");
            render::flag_list(r, &flags);
            out.flags.push((uid, flags));
        }
        r.extend_from_slice(b")\r\n");
    }
    Ok(out)
}

/// A folder's `new/` and `cur/`, opened once for a whole FETCH: each
/// message file is opened relative to its directory (no walk of the
/// whole path per message) and read at its known size (no stat).
struct Files {
    new: Option<std::fs::File>,
    cur: Option<std::fs::File>,
}

impl Files {
    fn open(dir: &std::path::Path) -> Files {
        Files {
            new: std::fs::File::open(dir.join("new")).ok(),
            cur: std::fs::File::open(dir.join("cur")).ok(),
        }
    }

    /// Reads message `m` into the front of `buf` (grown as needed, never
    /// shrunk, so one buffer serves a whole FETCH); returns its length.
    fn read(
        &mut self,
        dir: &std::path::Path,
        m: &Message,
        buf: &mut Vec<u8>,
    ) -> std::io::Result<usize> {
        use std::io::Read;
        use std::os::fd::{AsRawFd, FromRawFd};
        let parent = if m.in_new { &self.new } else { &self.cur };
        let name = std::ffi::CString::new(m.file_name());
        let mut file = match (parent, name) {
            (Some(p), Ok(name)) => {
                // SAFETY: `name` is a NUL-terminated string that lives
                // across the call, `p` an open directory; the descriptor
                // returned is owned by the File made from it alone.
                let fd = unsafe {
                    libc::openat(
                        p.as_raw_fd(),
                        name.as_ptr(),
                        libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
                    )
                };
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // SAFETY: `fd` was just opened and is owned by nothing else.
                unsafe { std::fs::File::from_raw_fd(fd) }
            }
            _ => std::fs::File::open(m.path(dir))?,
        };
        // Room for the size the store knows and one more octet, so that
        // the read that finds the end needs no more room. (Not
        // `read_to_end`: it asks the file system for the size again.)
        let want = usize::try_from(m.size).unwrap_or(0).saturating_add(1);
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let mut n = 0;
        loop {
            if n == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            match file.read(&mut buf[n..]) {
                Ok(0) => return Ok(n),
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn item_out(r: &mut Vec<u8>, item: &FetchItem, m: &Message, data: Option<&[u8]>) {
    let data_or_empty = data.unwrap_or(b"");
    match item {
        MessageDataItemName::Uid => r.extend_from_slice(format!("UID {}", m.uid).as_bytes()),
        MessageDataItemName::Flags => {}
        MessageDataItemName::InternalDate => {
            r.extend_from_slice(b"INTERNALDATE ");
            r.extend_from_slice(render::date_time(m.internal_date).as_bytes());
        }
        MessageDataItemName::Rfc822Size => {
            let size = m.wire_size.unwrap_or(data_or_empty.len() as u64);
            r.extend_from_slice(format!("RFC822.SIZE {size}").as_bytes());
        }
        MessageDataItemName::Rfc822 => {
            r.extend_from_slice(b"RFC822 ");
            render::literal(r, data_or_empty);
        }
        MessageDataItemName::Rfc822Header => {
            r.extend_from_slice(b"RFC822.HEADER ");
            render::literal(r, split(data_or_empty).0);
        }
        MessageDataItemName::Rfc822Text => {
            r.extend_from_slice(b"RFC822.TEXT ");
            render::literal(r, split(data_or_empty).1);
        }
        MessageDataItemName::Envelope => {
            r.extend_from_slice(b"ENVELOPE ");
            envelope(r, split(data_or_empty).0);
        }
        MessageDataItemName::Body => {
            r.extend_from_slice(b"BODY ");
            structure(r, data_or_empty, false, 0);
        }
        MessageDataItemName::BodyStructure => {
            r.extend_from_slice(b"BODYSTRUCTURE ");
            structure(r, data_or_empty, true, 0);
        }
        MessageDataItemName::BodyExt {
            section, partial, ..
        } => {
            let (name, bytes) = section_bytes(data_or_empty, section.as_ref());
            r.extend_from_slice(b"BODY[");
            r.extend_from_slice(name.as_bytes());
            r.push(b']');
            partial_out(r, &bytes, *partial);
        }
        MessageDataItemName::Binary {
            section, partial, ..
        } => {
            let numbers: Vec<String> = section.iter().map(|n| n.to_string()).collect();
            r.extend_from_slice(format!("BINARY[{}]", numbers.join(".")).as_bytes());
            let bytes = binary(data_or_empty, section);
            partial_out(r, &bytes, *partial);
        }
        MessageDataItemName::BinarySize { section } => {
            let numbers: Vec<String> = section.iter().map(|n| n.to_string()).collect();
            let n = binary(data_or_empty, section).len();
            r.extend_from_slice(format!("BINARY.SIZE[{}] {n}", numbers.join(".")).as_bytes());
        }
    }
}

/// `<origin>` and the literal of a partial fetch (RFC 9051 §6.4.5).
fn partial_out(r: &mut Vec<u8>, bytes: &[u8], partial: Option<(u32, NonZeroU32)>) {
    match partial {
        Some((start, len)) => {
            let s = (start as usize).min(bytes.len());
            let e = s.saturating_add(len.get() as usize).min(bytes.len());
            r.extend_from_slice(format!("<{start}> ").as_bytes());
            render::literal(r, &bytes[s..e]);
        }
        None => {
            r.push(b' ');
            render::literal(r, bytes);
        }
    }
}

/// A message's header (with its blank line) and body.
pub fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    if raw.starts_with(b"\r\n") {
        return (&raw[..2], &raw[2..]);
    }
    match memchr::memmem::find(raw, b"\r\n\r\n") {
        Some(i) => (&raw[..i + 4], &raw[i + 4..]),
        None => (raw, b""),
    }
}

fn mimetype(raw: &[u8]) -> String {
    match mailparse::parse_headers(split(raw).0) {
        Ok((h, _)) => h
            .get_first_value("Content-Type")
            .map(|v| {
                mailparse::parse_content_type(&v)
                    .mimetype
                    .to_ascii_lowercase()
            })
            .unwrap_or_else(|| "text/plain".into()),
        Err(_) => "text/plain".into(),
    }
}

/// The entity a part path names (RFC 9051 §6.4.5 part numbering): each
/// number steps into a multipart's subparts, into a message/rfc822's
/// encapsulated message, or (1) into a single part's own body.
fn locate<'a>(raw: &'a [u8], path: &[NonZeroU32]) -> Option<&'a [u8]> {
    let mut cur = raw;
    let mut top = true;
    for n in path {
        let k = n.get() as usize;
        let mut t = mimetype(cur);
        if t == "message/rfc822" && !top {
            cur = split(cur).1;
            t = mimetype(cur);
        }
        if t.starts_with("multipart/") {
            let parsed = mailparse::parse_mail(cur).ok()?;
            let sub = parsed.subparts.get(k - 1)?;
            cur = sub.raw_bytes;
        } else if k != 1 {
            return None;
        }
        top = false;
    }
    Some(cur)
}

/// A BODY[] section's name as echoed back and its bytes.
fn section_bytes<'a>(raw: &'a [u8], section: Option<&Section<'_>>) -> (String, Cow<'a, [u8]>) {
    let path_name = |p: &[NonZeroU32]| -> String {
        p.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(".")
    };
    let with = |p: &str, s: &str| -> String {
        if p.is_empty() {
            s.to_owned()
        } else if s.is_empty() {
            p.to_owned()
        } else {
            format!("{p}.{s}")
        }
    };
    // The encapsulated message a HEADER/TEXT with a path refers to.
    let message = |p: &[NonZeroU32]| -> Option<&[u8]> {
        if p.is_empty() {
            Some(raw)
        } else {
            locate(raw, p).map(|e| split(e).1)
        }
    };
    let Some(section) = section else {
        return (String::new(), Cow::Borrowed(raw));
    };
    match section {
        Section::Part(part) => {
            let p = part.0.as_ref();
            let bytes = Cow::Borrowed(locate(raw, p).map_or(&b""[..], |e| split(e).1));
            (path_name(p), bytes)
        }
        Section::Header(part) => {
            let p: &[NonZeroU32] = part.as_ref().map_or(&[], |p| p.0.as_ref());
            let bytes = Cow::Borrowed(message(p).map_or(&b""[..], |m| split(m).0));
            (with(&path_name(p), "HEADER"), bytes)
        }
        Section::Text(part) => {
            let p: &[NonZeroU32] = part.as_ref().map_or(&[], |p| p.0.as_ref());
            let bytes = Cow::Borrowed(message(p).map_or(&b""[..], |m| split(m).1));
            (with(&path_name(p), "TEXT"), bytes)
        }
        Section::Mime(part) => {
            let p = part.0.as_ref();
            let bytes = Cow::Borrowed(locate(raw, p).map_or(&b""[..], |e| split(e).0));
            (with(&path_name(p), "MIME"), bytes)
        }
        Section::HeaderFields(part, fields) | Section::HeaderFieldsNot(part, fields) => {
            let not = matches!(section, Section::HeaderFieldsNot(..));
            let p: &[NonZeroU32] = part.as_ref().map_or(&[], |p| p.0.as_ref());
            let wanted: Vec<String> = fields
                .as_ref()
                .iter()
                .map(|f| String::from_utf8_lossy(f.as_ref()).to_ascii_lowercase())
                .collect();
            let header = message(p).map_or(&b""[..], |m| split(m).0);
            let bytes = header_fields(header, &wanted, not);
            let names: Vec<String> = fields
                .as_ref()
                .iter()
                .map(|f| {
                    // Echoed as the client wrote it: an atom bare (as
                    // Dovecot does), anything else quoted.
                    let b = f.as_ref();
                    let atom = !b.is_empty()
                        && b.iter()
                            .all(|&c| c > 0x20 && c < 0x7f && !b"(){%*\"\\]".contains(&c));
                    if atom {
                        String::from_utf8_lossy(b).into_owned()
                    } else {
                        let mut o = Vec::new();
                        render::string(&mut o, b);
                        String::from_utf8_lossy(&o).into_owned()
                    }
                })
                .collect();
            let kind = if not {
                "HEADER.FIELDS.NOT"
            } else {
                "HEADER.FIELDS"
            };
            (
                with(&path_name(p), &format!("{kind} ({})", names.join(" "))),
                Cow::Owned(bytes),
            )
        }
    }
}

/// The header lines (with their continuations) whose names are (or, with
/// `not`, are not) in `wanted`, then the blank line.
fn header_fields(header: &[u8], wanted: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" {
            break;
        }
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let name = line
                .split(|&b| b == b':')
                .next()
                .map(|n| String::from_utf8_lossy(n).trim().to_ascii_lowercase())
                .unwrap_or_default();
            keep = wanted.contains(&name) != not;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    // The blank line that ends the header, unless the message has no
    // end of header at all and nothing was kept (as Dovecot answers).
    if !out.is_empty() || header.ends_with(b"\r\n\r\n") || header == b"\r\n" {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// BINARY[section]: the part's content with its transfer encoding undone
/// (RFC 3516).
fn binary(raw: &[u8], section: &[NonZeroU32]) -> Vec<u8> {
    let Some(entity) = (if section.is_empty() {
        Some(raw)
    } else {
        locate(raw, section)
    }) else {
        return Vec::new();
    };
    if section.is_empty() {
        return raw.to_vec();
    }
    match mailparse::parse_mail(entity) {
        Ok(p) => p
            .get_body_raw()
            .unwrap_or_else(|_| split(entity).1.to_vec()),
        Err(_) => split(entity).1.to_vec(),
    }
}

/// A header value unfolded, as an nstring.
fn value(out: &mut Vec<u8>, headers: &[mailparse::MailHeader<'_>], name: &str) {
    let v = headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))
        .map(|h| unfold(h.get_value_raw()));
    render::nstring(out, v.as_deref());
}

fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for &b in v {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
    }
    let trimmed = out.trim_ascii();
    trimmed.to_vec()
}

/// The ENVELOPE of a header (RFC 9051 §7.5.2).
fn envelope(out: &mut Vec<u8>, header: &[u8]) {
    let headers = mailparse::parse_headers(header)
        .map(|(h, _)| h)
        .unwrap_or_default();
    out.push(b'(');
    value(out, &headers, "Date");
    out.push(b' ');
    value(out, &headers, "Subject");
    let from = addresses(&headers, "From");
    for (i, name) in ["From", "Sender", "Reply-To", "To", "Cc", "Bcc"]
        .iter()
        .enumerate()
    {
        out.push(b' ');
        let list = match addresses(&headers, name) {
            // Sender and Reply-To default to From (§7.5.2).
            None if i == 1 || i == 2 => from.clone(),
            other => other,
        };
        match list {
            Some(l) if !l.is_empty() => out.extend_from_slice(&l),
            _ => out.extend_from_slice(b"NIL"),
        }
    }
    out.push(b' ');
    value(out, &headers, "In-Reply-To");
    out.push(b' ');
    value(out, &headers, "Message-ID");
    out.push(b')');
}

/// An address list as ENVELOPE shows it, `None` when the field is absent.
fn addresses(headers: &[mailparse::MailHeader<'_>], name: &str) -> Option<Vec<u8>> {
    let h = headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case(name))?;
    // The raw value: names keep their encoded words, as the header has
    // them (RFC 9051 §7.5.2 ENVELOPE carries the header's text).
    let raw = String::from_utf8_lossy(&unfold(h.get_value_raw())).into_owned();
    let list = match mailparse::addrparse(&raw) {
        Ok(l) if !l.is_empty() => l,
        // A field with no address a parser can find (`<>`, `,,,`): shown
        // as Dovecot shows it, so clients see that something was there.
        _ if !raw.trim().is_empty() => {
            return Some(b"((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))".to_vec())
        }
        _ => return Some(Vec::new()),
    };
    let mut out = Vec::new();
    let one = |out: &mut Vec<u8>, s: &mailparse::SingleInfo| {
        out.push(b'(');
        // The name as the header would carry it: 7-bit, encoded words
        // when it is not ASCII (RFC 2047).
        let n = s.display_name.as_deref().map(|n| {
            if n.is_ascii() {
                n.to_owned()
            } else {
                crate::message::encode::encoded_words(n).join(" ")
            }
        });
        render::nstring(out, n.as_deref().map(str::as_bytes));
        out.extend_from_slice(b" NIL ");
        let (local, domain) = s.addr.rsplit_once('@').unwrap_or((&s.addr, ""));
        render::string(out, local.as_bytes());
        out.push(b' ');
        if domain.is_empty() {
            out.extend_from_slice(b"NIL");
        } else {
            render::string(out, domain.as_bytes());
        }
        out.push(b')');
    };
    out.push(b'(');
    for a in list.iter() {
        match a {
            MailAddr::Single(s) => one(&mut out, s),
            MailAddr::Group(g) => {
                out.extend_from_slice(b"(NIL NIL ");
                render::string(&mut out, g.group_name.as_bytes());
                out.extend_from_slice(b" NIL)");
                for s in &g.addrs {
                    one(&mut out, s);
                }
                out.extend_from_slice(b"(NIL NIL NIL NIL)");
            }
        }
    }
    out.push(b')');
    if out == b"()" {
        return Some(Vec::new());
    }
    Some(out)
}

/// BODY / BODYSTRUCTURE (RFC 9051 §7.5.2), with the extension data when
/// `ext`. Nesting is bounded: a message cannot make us recurse for ever.
fn structure(out: &mut Vec<u8>, raw: &[u8], ext: bool, depth: usize) {
    let Ok(p) = mailparse::parse_mail(raw) else {
        out.extend_from_slice(b"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)");
        return;
    };
    part_structure(out, &p, ext, depth);
}

fn part_structure(out: &mut Vec<u8>, p: &ParsedMail<'_>, ext: bool, depth: usize) {
    let mime = p.ctype.mimetype.to_ascii_lowercase();
    let (ty, sub) = mime.split_once('/').unwrap_or(("text", "plain"));
    let (_, body) = split(p.raw_bytes);
    if ty == "multipart" && depth < 20 {
        out.push(b'(');
        for s in &p.subparts {
            part_structure(out, s, ext, depth + 1);
        }
        if p.subparts.is_empty() {
            // A multipart whose boundary never comes: one empty text part,
            // as Dovecot shows it (a multipart needs at least one).
            out.extend_from_slice(
                b"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0",
            );
            if ext {
                out.extend_from_slice(b" NIL NIL NIL NIL");
            }
            out.push(b')');
        }
        out.push(b' ');
        render::string(out, sub.as_bytes());
        if ext {
            out.push(b' ');
            params(out, &p.ctype.params);
            out.push(b' ');
            disposition(out, p);
            out.extend_from_slice(b" NIL NIL");
        }
        out.push(b')');
        return;
    }
    out.push(b'(');
    render::string(out, ty.as_bytes());
    out.push(b' ');
    render::string(out, sub.as_bytes());
    out.push(b' ');
    let mut ps = p.ctype.params.clone();
    if ty == "text" && !ps.contains_key("charset") {
        // The default (RFC 2045 §5.2), shown as Dovecot shows it.
        ps.insert("charset".into(), "us-ascii".into());
    }
    params(out, &ps);
    out.push(b' ');
    value(out, &p.headers, "Content-ID");
    out.push(b' ');
    value(out, &p.headers, "Content-Description");
    out.push(b' ');
    let enc = p
        .headers
        .get_first_value("Content-Transfer-Encoding")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".into());
    render::string(out, enc.as_bytes());
    out.extend_from_slice(format!(" {}", body.len()).as_bytes());
    let lines = body.iter().filter(|&&b| b == b'\n').count();
    if mime == "message/rfc822" && depth < 20 {
        out.push(b' ');
        envelope(out, split(body).0);
        out.push(b' ');
        structure(out, body, ext, depth + 1);
        out.extend_from_slice(format!(" {lines}").as_bytes());
    } else if ty == "text" {
        out.extend_from_slice(format!(" {lines}").as_bytes());
    }
    if ext {
        out.push(b' ');
        value(out, &p.headers, "Content-MD5");
        out.push(b' ');
        disposition(out, p);
        out.extend_from_slice(b" NIL NIL");
    }
    out.push(b')');
}

fn params(out: &mut Vec<u8>, params: &std::collections::BTreeMap<String, String>) {
    let shown: Vec<_> = params.iter().filter(|(k, _)| !k.contains('*')).collect();
    if shown.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in shown.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        render::string(out, k.to_ascii_lowercase().as_bytes());
        out.push(b' ');
        render::string(out, v.as_bytes());
    }
    out.push(b')');
}

fn disposition(out: &mut Vec<u8>, p: &ParsedMail<'_>) {
    if p.headers.get_first_value("Content-Disposition").is_none() {
        out.extend_from_slice(b"NIL");
        return;
    }
    let d = p.get_content_disposition();
    let kind = match d.disposition {
        mailparse::DispositionType::Inline => "inline".to_owned(),
        mailparse::DispositionType::Attachment => "attachment".to_owned(),
        mailparse::DispositionType::FormData => "form-data".to_owned(),
        mailparse::DispositionType::Extension(e) => e.to_ascii_lowercase(),
    };
    out.push(b'(');
    render::string(out, kind.as_bytes());
    out.push(b' ');
    let map: std::collections::BTreeMap<String, String> = d.params.into_iter().collect();
    params(out, &map);
    out.push(b')');
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: Alice <alice@crepes.fr>\r\nTo: bob@hamburger.edu\r\nSubject: hi\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: application/octet-stream; name=x.bin\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\nAAEC\r\n--b--\r\n";

    fn sec(s: &str) -> (String, Vec<u8>) {
        let cmd = format!("a FETCH 1 BODY[{s}]\r\n");
        let (_, c) = imap_codec::decode::Decoder::decode(
            &imap_codec::CommandCodec::default(),
            cmd.as_bytes(),
        )
        .unwrap();
        let imap_codec::imap_types::command::CommandBody::Fetch {
            macro_or_item_names,
            ..
        } = c.body
        else {
            panic!()
        };
        let imap_codec::imap_types::fetch::MacroOrMessageDataItemNames::MessageDataItemNames(items) =
            macro_or_item_names
        else {
            panic!()
        };
        let MessageDataItemName::BodyExt { section, .. } = &items[0] else {
            panic!()
        };
        let (n, b) = section_bytes(MSG, section.as_ref());
        (n, b.into_owned())
    }

    #[test]
    fn sections() {
        assert_eq!(sec("").1, MSG);
        assert_eq!(sec("1").1, b"one");
        assert_eq!(sec("2").1, b"AAEC");
        assert_eq!(sec("2.MIME").1, b"Content-Type: application/octet-stream; name=x.bin\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=x.bin\r\n\r\n");
        assert_eq!(
            sec("HEADER.FIELDS (SUBJECT to)").1,
            b"To: bob@hamburger.edu\r\nSubject: hi\r\n\r\n"
        );
        assert_eq!(
            sec("HEADER.FIELDS (SUBJECT to)").0,
            "HEADER.FIELDS (SUBJECT to)"
        );
        assert!(sec("TEXT").1.starts_with(b"pre\r\n--b"));
        assert_eq!(binary(MSG, &[NonZeroU32::new(2).unwrap()]), [0, 1, 2]);
    }

    #[test]
    fn envelope_and_structure() {
        let mut e = Vec::new();
        envelope(&mut e, split(MSG).0);
        assert_eq!(
            String::from_utf8(e).unwrap(),
            "(NIL \"hi\" ((\"Alice\" NIL \"alice\" \"crepes.fr\")) ((\"Alice\" NIL \"alice\" \"crepes.fr\")) ((\"Alice\" NIL \"alice\" \"crepes.fr\")) ((NIL NIL \"bob\" \"hamburger.edu\")) NIL NIL NIL NIL)"
        );
        let mut s = Vec::new();
        structure(&mut s, MSG, true, 0);
        let s = String::from_utf8(s).unwrap();
        assert!(s.starts_with("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"name\" \"x.bin\") NIL NIL \"base64\" 4 NIL (\"attachment\" (\"filename\" \"x.bin\")) NIL NIL) \"mixed\" (\"boundary\" \"b\")"), "{s}");
    }
}

//! Where messages come from: a file, standard input, a Maildir (cur/ and
//! new/), a folder of `.eml` files, or an mbox file split at its `From `
//! lines (mboxrd quoting undone). Each message keeps the name and line
//! number it has in its file, so diagnostics point at the right place.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::InputError;

/// What one command-line input names.
#[derive(Debug, Clone)]
pub enum Input {
    /// `-`: standard input (one message, or an mbox).
    Stdin,
    /// A file: one message, or an mbox when it starts with `From `.
    File(PathBuf),
}

/// One message read from an input.
#[derive(Debug)]
pub struct Item {
    /// The file name as given (`-` for stdin).
    pub name: String,
    /// The message bytes (mbox quoting undone).
    pub data: Vec<u8>,
    /// Line number of the message's first line in its file.
    pub first_line: usize,
}

/// Turns command-line arguments into the files to read: a directory with
/// `cur/` or `new/` is a Maildir (both read, sorted by name); any other
/// directory is a folder of `*.eml` files (sorted).
pub fn expand(args: &[String]) -> Result<Vec<Input>, InputError> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let p = Path::new(a);
        let meta = std::fs::metadata(p).map_err(|e| InputError::new(a.as_str(), e))?;
        if !meta.is_dir() {
            out.push(Input::File(p.to_path_buf()));
            continue;
        }
        let maildir = p.join("cur").is_dir() || p.join("new").is_dir();
        let mut files = Vec::new();
        if maildir {
            for sub in ["cur", "new"] {
                files.extend(list(&p.join(sub), |_| true)?);
            }
        } else {
            files.extend(list(p, |name| {
                name.rsplit_once('.')
                    .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("eml"))
            })?);
        }
        out.extend(files.into_iter().map(Input::File));
    }
    Ok(out)
}

/// Regular files in `dir` whose names pass `keep` and do not start with
/// '.', sorted by name. A missing directory is empty (a Maildir may lack new/).
fn list(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, InputError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(InputError::new(dir.display().to_string(), e)),
    };
    let mut files = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| InputError::new(dir.display().to_string(), e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || !keep(&name) {
            continue;
        }
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads an input: one message, or every message of an mbox.
pub fn read(input: &Input) -> Result<Vec<Item>, InputError> {
    let (name, data) = match input {
        Input::Stdin => {
            let mut d = Vec::new();
            std::io::stdin()
                .read_to_end(&mut d)
                .map_err(|e| InputError::new("standard input", e))?;
            ("-".to_owned(), d)
        }
        Input::File(p) => (
            p.display().to_string(),
            std::fs::read(p).map_err(|e| InputError::new(p.display().to_string(), e))?,
        ),
    };
    if data.starts_with(b"From ") {
        return Ok(split_mbox(&name, &data));
    }
    Ok(vec![Item {
        name,
        data,
        first_line: 1,
    }])
}

/// Splits an mbox (RFC 4155): a message starts at a `From ` line at the
/// start of the file or after an empty line; `>From ` quoting (mboxrd,
/// any number of '>') loses one '>'; the empty line before the next
/// `From ` line belongs to the separator.
pub fn split_mbox(name: &str, data: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut cur: Option<Item> = None;
    let mut line_no = 0usize;
    let mut prev_empty = true;
    let mut pos = 0;
    while pos < data.len() {
        line_no += 1;
        let next = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
        let line = &data[pos..next];
        if line.starts_with(b"From ") && prev_empty {
            if let Some(mut it) = cur.take() {
                trim_separator(&mut it.data);
                items.push(it);
            }
            cur = Some(Item {
                name: name.to_owned(),
                data: Vec::new(),
                first_line: line_no + 1,
            });
        } else if let Some(it) = cur.as_mut() {
            let gt = line.iter().take_while(|&&b| b == b'>').count();
            if gt > 0 && line[gt..].starts_with(b"From ") {
                it.data.extend_from_slice(&line[1..]);
            } else {
                it.data.extend_from_slice(line);
            }
        }
        prev_empty = line == b"\n" || line == b"\r\n";
        pos = next;
    }
    if let Some(mut it) = cur {
        trim_separator(&mut it.data);
        items.push(it);
    }
    items
}

/// Drops the one empty line that separates a message from the next From_ line.
fn trim_separator(d: &mut Vec<u8>) {
    if d.ends_with(b"\n\n") {
        d.pop();
    } else if d.ends_with(b"\r\n\r\n") {
        d.truncate(d.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_split_unquote_and_lines() {
        let mbox =
            b"From a@x Tue Jan  2 09:30:00 2024\nSubject: one\n\n>From here\n>>From there\n\n\
From b@y Tue Jan  2 09:31:00 2024\nSubject: two\n\nbody\n";
        let items = split_mbox("box", mbox);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].data, b"Subject: one\n\nFrom here\n>From there\n");
        assert_eq!(items[0].first_line, 2);
        assert_eq!(items[1].data, b"Subject: two\n\nbody\n");
        assert_eq!(items[1].first_line, 8);
    }

    #[test]
    fn a_from_line_inside_a_paragraph_is_content() {
        let items = split_mbox("box", b"From a@x Mon\nS: 1\n\nline\nFrom not a separator\n");
        assert_eq!(items.len(), 1);
    }
}

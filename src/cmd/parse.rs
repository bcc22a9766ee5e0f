//! `mailkit parse`: read messages from files, stdin, Maildirs, .eml folders
//! and mbox files; show them (decoded header fields and the MIME tree),
//! print them as JSON lines, validate them, extract attachments or print
//! one part. The model and the rules are in `crate::message`.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::cli::Parse;
use crate::message::json::{self, Extras};
use crate::message::mime::{self, Part};
use crate::message::source;
use crate::message::validate::{self, Diagnostic, Options, Severity};

/// The validator found errors (or warnings under --strict): exit 1 with
/// this one line after the diagnostics.
#[derive(Debug)]
pub struct Invalid {
    /// Messages with errors.
    pub bad: usize,
    /// Messages read.
    pub total: usize,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total == 1 {
            f.write_str("the message is not valid (see the diagnostics above)")
        } else {
            write!(
                f,
                "{} of {} {} not valid",
                self.bad,
                crate::util::count(self.total, "message"),
                if self.bad == 1 { "is" } else { "are" }
            )
        }
    }
}

impl std::error::Error for Invalid {}

/// Messages above this many get a progress bar (on a terminal).
const PROGRESS_ABOVE: usize = 20;

/// Counts for the closing summary.
#[derive(Default)]
struct Tally {
    messages: usize,
    with_errors: usize,
    with_warnings: usize,
    unreadable: usize,
    extracted: usize,
}

/// Runs `mailkit parse`.
pub fn run(args: Parse) -> anyhow::Result<()> {
    let mut inputs_arg = args.inputs.clone();
    if inputs_arg.is_empty() {
        if std::io::stdin().is_terminal() {
            bail!("give files, directories or `-` to read (see `mailkit parse --help`)");
        }
        inputs_arg.push("-".into());
    }
    let inputs = source::expand(&inputs_arg)?;
    if inputs.is_empty() {
        bail!(
            "no messages found in {}: a directory is read as a Maildir (files in cur/ and new/) or as a folder of .eml files",
            inputs_arg.join(", ")
        );
    }
    if args.part.is_some() && inputs.len() != 1 {
        bail!("--part needs exactly one message to read");
    }
    let started = Instant::now();
    let show_progress =
        !args.quiet && std::io::stderr().is_terminal() && inputs.len() > PROGRESS_ABOVE;
    let bar = show_progress.then(|| {
        let b = indicatif::ProgressBar::new(inputs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} messages {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut tally = Tally::default();
    let opts = Options { utf8: args.utf8 };
    for input in &inputs {
        let items = match source::read(input) {
            Ok(items) => items,
            Err(e) => {
                tally.unreadable += 1;
                let _ = out.flush();
                eprintln!("mailkit: error: {e}");
                continue;
            }
        };
        if args.part.is_some() && items.len() != 1 {
            bail!(
                "--part needs exactly one message, and this input holds {}",
                items.len()
            );
        }
        for item in &items {
            tally.messages += 1;
            one(&args, item, opts, &mut out, &mut tally)?;
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    out.flush().context("cannot write to standard output")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if !args.quiet && tally.messages + tally.unreadable > 1 {
        let secs = started.elapsed().as_secs_f64();
        let mut line = format!(
            "mailkit: parsed {} in {secs:.2} s ({:.0}/s)",
            crate::util::count(tally.messages, "message"),
            tally.messages as f64 / secs.max(1e-9)
        );
        if args.validate {
            line += &format!(
                ": {} with errors, {} with warnings",
                tally.with_errors, tally.with_warnings
            );
        }
        if args.extract.is_some() {
            line += &format!(
                ", {} written",
                crate::util::count(tally.extracted, "attachment")
            );
        }
        if tally.unreadable > 0 {
            line += &format!(
                ", {} could not be read",
                crate::util::count(tally.unreadable, "input")
            );
        }
        eprintln!("{line}");
    }
    // Under --strict a message with warnings was already counted as bad.
    let bad = tally.with_errors;
    if args.validate && bad > 0 {
        return Err(Invalid {
            bad,
            total: tally.messages,
        }
        .into());
    }
    if tally.unreadable > 0 {
        bail!("{} input(s) could not be read", tally.unreadable);
    }
    Ok(())
}

/// Handles one message according to the mode.
fn one(
    args: &Parse,
    item: &source::Item,
    opts: Options,
    out: &mut impl Write,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let msg = mime::parse(&item.data);
    let diags = args
        .validate
        .then(|| validate::validate(&item.data, &msg, item.first_line, opts));
    if let Some(d) = &diags {
        let errors = d.iter().any(|x| x.severity == Severity::Error);
        let warnings = d.iter().any(|x| x.severity == Severity::Warning);
        if errors || (args.strict && warnings) {
            tally.with_errors += 1;
        } else if warnings {
            tally.with_warnings += 1;
        }
    }
    let w = |r: std::io::Result<()>| r.context("cannot write to standard output");
    if args.json {
        let doc = json::document(
            &item.name,
            &msg,
            Extras {
                bodies: args.bodies,
            },
            diags.as_deref(),
        );
        w(serde_json::to_writer(&mut *out, &doc).map_err(std::io::Error::from))?;
        w(out.write_all(b"\n"))?;
        return Ok(());
    }
    if let Some(d) = &diags {
        for x in d {
            w(print_diagnostic(out, &item.name, x))?;
        }
    }
    if let Some(n) = args.part {
        let root = msg
            .root
            .as_ref()
            .with_context(|| format!("{}: the MIME structure cannot be read", item.name))?;
        let parts = root.walk();
        let p = parts.get(n).with_context(|| {
            format!(
                "{}: no part {n}; this message has parts 0 to {}",
                item.name,
                parts.len() - 1
            )
        })?;
        let data = match p.try_decoded() {
            Ok(d) => d,
            Err(e) => bail!(
                "{}: part {n} cannot be decoded: {e} (`mailkit parse --validate` names the line)",
                item.name
            ),
        };
        if p.is_text() {
            let text = p.text_of(&data);
            w(out.write_all(text.as_bytes()))?;
            // The line break before a boundary belongs to the boundary
            // (RFC 2046 §5.1.1); end the line for a person, not for a pipe.
            if !text.ends_with('\n') && std::io::stdout().is_terminal() {
                w(out.write_all(b"\n"))?;
            }
        } else if std::io::stdout().is_terminal() {
            // Raw bytes would garble the terminal (and may hold escape
            // sequences): send them where they belong.
            bail!(
                "{}: part {n} is {} ({} bytes of binary data); redirect it to a file (`> part.bin`) or write attachments out with --extract DIR",
                item.name,
                p.content_type,
                data.len()
            );
        } else {
            w(out.write_all(&data))?;
        }
        return Ok(());
    }
    if let Some(dir) = &args.extract {
        if let Some(root) = &msg.root {
            for (n, p) in root.walk().into_iter().enumerate() {
                if p.is_attachment() {
                    let (path, len) = extract(dir, p, n)?;
                    tally.extracted += 1;
                    w(writeln!(
                        out,
                        "{}\t{len} bytes\t{} part {n}",
                        path.display(),
                        item.name
                    ))?;
                }
            }
        }
        return Ok(());
    }
    if !args.validate {
        w(view(out, &item.name, &msg))?;
    }
    Ok(())
}

fn print_diagnostic(out: &mut impl Write, file: &str, d: &Diagnostic) -> std::io::Result<()> {
    writeln!(out, "{file}:{}: {d}", d.line)
}

/// Text safe to print on a terminal: control characters (escape sequences
/// included) shown as `\xNN`.
fn safe(s: &str) -> String {
    crate::util::escape_controls(s, true)
}

/// The default view: header fields decoded, then the MIME tree.
fn view(out: &mut impl Write, name: &str, msg: &mime::Message<'_>) -> std::io::Result<()> {
    writeln!(out, "==> {} <==", safe(name))?;
    for (n, v) in &msg.headers {
        writeln!(out, "{}: {}", safe(n), safe(v))?;
    }
    writeln!(out)?;
    match &msg.root {
        None => writeln!(
            out,
            "MIME structure cannot be read: {}",
            msg.error.as_deref().unwrap_or("unknown reason")
        )?,
        Some(root) => {
            writeln!(out, "MIME structure (numbers for --part):")?;
            let mut n = 0;
            tree(out, root, &mut n, "", "")?;
        }
    }
    writeln!(out)
}

fn tree(
    out: &mut impl Write,
    p: &Part<'_>,
    n: &mut usize,
    lead: &str,
    child_lead: &str,
) -> std::io::Result<()> {
    let mut line = format!("{:>4}  {lead}{}", *n, p.content_type);
    *n += 1;
    if let Some(cs) = &p.charset {
        line += &format!("; charset={}", safe(cs));
    }
    if let Some(e) = &p.encoding {
        line += &format!("  {}", safe(e));
    }
    line += &format!("  {} bytes", p.body.len());
    if let Some(d) = &p.disposition {
        line += &format!("  {}", safe(d));
    }
    if let Some(f) = &p.filename {
        line += &format!("  \"{}\"", safe(f));
    }
    writeln!(out, "{line}")?;
    let count = p.parts.len();
    for (i, c) in p.parts.iter().enumerate() {
        let last = i + 1 == count;
        let (l, cl) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        tree(
            out,
            c,
            n,
            &format!("{child_lead}{l}"),
            &format!("{child_lead}{cl}"),
        )?;
    }
    Ok(())
}

/// A file name that stays inside the extraction directory: the last path
/// component only, no control characters, no leading dots, at most 200
/// bytes; `part-N.bin` when nothing usable is left.
pub fn safe_filename(name: Option<&str>, n: usize) -> String {
    let base = name
        .map(|s| s.rsplit(['/', '\\']).next().unwrap_or(""))
        .unwrap_or("");
    // No control characters, and none of the invisible format characters
    // that reorder or hide text (U+202E makes "gnp.exe" look like
    // "exe.png"): bidirectional embeddings, overrides and isolates, marks,
    // zero-width characters.
    let invisible = |c: char| {
        matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' | '\u{061C}')
    };
    let mut clean: String = base
        .chars()
        .filter(|&c| !c.is_control() && !invisible(c))
        .collect();
    // No leading dot (hidden file), dash (read as an option by the next
    // command), or stray quote (left over from a badly quoted parameter).
    clean = clean
        .trim()
        .trim_start_matches(['.', '-', '"', '\''])
        .trim_end_matches(['"', '\''])
        .trim()
        .to_owned();
    if clean.len() > 200 {
        let mut cut = 200;
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean.truncate(cut);
    }
    if clean.is_empty() {
        format!("part-{n}.bin")
    } else {
        clean
    }
}

/// Writes one attachment under `dir`, never over an existing file
/// (`name-1.ext`, `name-2.ext`, ... instead).
fn extract(dir: &Path, p: &Part<'_>, n: usize) -> anyhow::Result<(PathBuf, usize)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = safe_filename(p.filename.as_deref(), n);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let data = p
        .try_decoded()
        .map_err(|e| anyhow::anyhow!("part {n} cannot be decoded: {e}"))?;
    for i in 0..10_000 {
        let candidate = if i == 0 {
            dir.join(&name)
        } else {
            dir.join(format!("{stem}-{i}{ext}"))
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                f.write_all(&data)
                    .with_context(|| format!("cannot write {}", candidate.display()))?;
                return Ok((candidate, data.len()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", candidate.display()))
            }
        }
    }
    bail!("too many files named like {name} in {}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::safe_filename;

    #[test]
    fn file_names_cannot_leave_the_directory() {
        assert_eq!(safe_filename(Some("report.pdf"), 3), "report.pdf");
        assert_eq!(safe_filename(Some("../../etc/passwd"), 3), "passwd");
        assert_eq!(safe_filename(Some("C:\\x\\..\\evil.exe"), 3), "evil.exe");
        assert_eq!(safe_filename(Some(".."), 3), "part-3.bin");
        assert_eq!(safe_filename(Some(".bashrc"), 3), "bashrc");
        assert_eq!(safe_filename(Some("a\u{1b}[2Jb"), 3), "a[2Jb");
        assert_eq!(safe_filename(None, 7), "part-7.bin");
        assert_eq!(safe_filename(Some("dir/"), 2), "part-2.bin");
        assert_eq!(
            safe_filename(Some("photo\u{202E}gnp.exe"), 4),
            "photognp.exe"
        );
        assert_eq!(safe_filename(Some("-rf"), 4), "rf");
        assert_eq!(safe_filename(Some("\"report.pdf"), 4), "report.pdf");
        assert_eq!(safe_filename(Some("a\u{200B}b.txt"), 4), "ab.txt");
    }
}

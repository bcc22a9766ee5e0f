//! The README's examples, run as a reader would run them, so the README
//! cannot drift from what mailkit does (issue 13).
//!
//! Every ```` ```console ```` block is a script: `$ ` lines are commands
//! (a trailing `\` continues one), the lines after a command are what it
//! prints. The blocks of one `## ` section run in order in one bash, in a
//! fresh copy of `examples/` (the README says to work in such a copy), with
//! this build's `mailkit` first on PATH. A command ending in `&` runs in
//! the background: its first lines are compared once they are printed, and
//! the lines it prints later (a server's log, shown in the README where a
//! terminal would show them, under another command) are looked for in its
//! output when the section ends and its servers are stopped.
//!
//! Outputs are compared after the parts that differ from run to run are
//! replaced on both sides: dates, queue ids, Maildir names, Message-IDs,
//! ephemeral ports, fingerprints, salts, timings and numbers of three or
//! more digits (sizes depend on the date's width). Exit statuses are
//! checked where the README shows them (`$ echo $?`).
//!
//! A section that needs a program that is not installed (swaks, jq) is
//! skipped with a note, unless `MAILKIT_README_STRICT=1` (CI sets it), when
//! that is a failure. `MAILKIT_README_SHOW=1` prints what every command
//! printed, for writing the README.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::support::{bin, TempDir};

/// One `$ ` command and what the README says it prints.
struct Cmd {
    /// README line of the `$`.
    line: usize,
    text: String,
    expected: Vec<String>,
    background: bool,
}

/// The commands of one `## ` section, in order.
struct Section {
    title: String,
    cmds: Vec<Cmd>,
}

fn sections(readme: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut title = String::from("(top)");
    let mut in_block = false;
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut lines = readme.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if !in_block {
            if let Some(t) = line.strip_prefix("## ") {
                title = t.to_string();
            } else if line.trim_end() == "```console" {
                in_block = true;
            }
            continue;
        }
        if line.trim_end() == "```" {
            in_block = false;
            for c in &mut cmds {
                while c.expected.last().is_some_and(|l| l.is_empty()) {
                    c.expected.pop();
                }
            }
            match out.last_mut() {
                Some(s) if s.title == title => s.cmds.append(&mut cmds),
                _ => out.push(Section {
                    title: title.clone(),
                    cmds: std::mem::take(&mut cmds),
                }),
            }
            continue;
        }
        if let Some(c) = line.strip_prefix("$ ") {
            let mut text = c.to_string();
            while text.ends_with('\\') {
                match lines.next() {
                    Some((_, more)) => {
                        text.push('\n');
                        text.push_str(more);
                    }
                    None => break,
                }
            }
            let t = text.trim_end();
            let background = t.ends_with('&') && !t.ends_with("&&");
            cmds.push(Cmd {
                line: i + 1,
                text,
                expected: Vec::new(),
                background,
            });
        } else if let Some(c) = cmds.last_mut() {
            c.expected.push(line.to_string());
        }
    }
    out
}

/// Replaces what differs from run to run, the same way on both sides.
struct Normalizer(Vec<(Regex, &'static str)>);

impl Normalizer {
    fn new() -> Normalizer {
        let rules: &[(&str, &str)] = &[
            (
                r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
                "<DATE>",
            ),
            (
                r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?",
                "<DATE>",
            ),
            (r"\b\d{8}T\d{6}Z\b", "<DATE>"),
            (r"([0-9A-F]{2}:){31}[0-9A-F]{2}", "<FINGERPRINT>"),
            (r"(p=\d+)\$\S*", "$1$$<SALT>"),
            (r"\$6\$\S*", "$$6$$<SALT>"),
            (r"\b[0-9A-F]{6,}-[0-9A-F]+-[0-9A-F]+\b", "<ID>"),
            (r"\b[0-9A-F]{13}\b", "<ID>"),
            (r"<\d+\.[0-9a-f]+\.\d+\.\d+@", "<<MSGID>@"),
            (r"=_mailkit_[0-9a-f.]+", "<BOUNDARY>"),
            (
                r"\d{9,}\.M\d+P\d+Q\d+\.[^,\s/]+,S=\d+,W=\d+",
                "<MAILDIR-NAME>",
            ),
            (r"<\d+\.\d+\.\d+@", "<<APOP>@"),
            (r":\d{5}\b", ":<PORT>"),
            (r"\b\d+(\.\d+)? ?(s|ms|msg/s|sessions/s|/s)\b", "<N> $2"),
            (r"\b\d{3,}\b", "<N>"),
        ];
        Normalizer(
            rules
                .iter()
                .map(|(re, to)| (Regex::new(re).expect("a valid rule"), *to))
                .collect(),
        )
    }

    fn apply(&self, line: &str) -> String {
        let mut s = line.trim_end().to_string();
        for (re, to) in &self.0 {
            s = re.replace_all(&s, *to).into_owned();
        }
        s
    }
}

/// One section's bash, fed commands on stdin; it says on stdout when each
/// is done.
struct Shell {
    child: Child,
    done: mpsc::Receiver<String>,
    out: PathBuf,
}

impl Shell {
    fn start(dir: &Path) -> Shell {
        let bin_dir = bin().parent().expect("target dir").to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = dir.join(".readme-out");
        std::fs::create_dir_all(&out).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc"])
            .current_dir(dir)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, _) in std::env::vars() {
            if k.starts_with("MAILKIT_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd.spawn().expect("bash");
        let stdout = child.stdout.take().unwrap();
        let (tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Shell { child, done, out }
    }

    fn send(&mut self, script: &str) {
        let stdin = self.child.stdin.as_mut().expect("bash stdin");
        stdin.write_all(script.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Runs command `n` (its output to `out/n`); waits up to a minute.
    fn run(&mut self, n: usize, text: &str) -> Result<(), String> {
        let file = self.out.join(n.to_string());
        self.send(&format!(
            "{{ {text}\n}} </dev/null >'{}' 2>&1\n__rc=$?; echo \"__done__ {n}\"; (exit $__rc)\n",
            file.display()
        ));
        self.wait_for(&format!("__done__ {n}"), Duration::from_secs(60))
    }

    fn wait_for(&mut self, marker: &str, limit: Duration) -> Result<(), String> {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.done.recv_timeout(left) {
                Ok(l) if l == marker => return Ok(()),
                Ok(_) => {}
                Err(_) => return Err(format!("no {marker:?} within {limit:?}")),
            }
        }
    }

    fn output(&self, n: usize) -> String {
        String::from_utf8_lossy(&std::fs::read(self.out.join(n.to_string())).unwrap_or_default())
            .into_owned()
    }

    /// Stops the background jobs (SIGTERM: servers stop gracefully and
    /// finish their logs) and bash.
    fn finish(mut self) {
        self.send("kill $(jobs -p) 2>/dev/null; wait; echo __end__\n");
        let _ = self.wait_for("__end__", Duration::from_secs(20));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The programs a section needs beyond mailkit, bash and coreutils.
fn missing_tools(s: &Section) -> Vec<&'static str> {
    ["swaks", "jq", "nc"]
        .into_iter()
        .filter(|tool| {
            s.cmds.iter().any(|c| {
                c.text
                    .split(|ch: char| ch.is_whitespace() || ch == '|' || ch == '(')
                    .any(|w| w == *tool)
            })
        })
        .filter(|tool| {
            !Command::new("bash")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect()
}

/// Compares a command's lines with the README's: each printed line must be
/// the next expected one; expected lines passed over are the background
/// servers' (returned, to be found in their logs later).
fn compare(norm: &Normalizer, expected: &[String], actual: &str) -> Result<Vec<String>, String> {
    let mut actual: Vec<String> = actual.lines().map(|l| norm.apply(l)).collect();
    while actual.last().is_some_and(|l| l.is_empty()) {
        actual.pop();
    }
    let mut passed_over = Vec::new();
    let mut a = 0;
    for e in expected {
        let e = norm.apply(e);
        if a < actual.len() && actual[a] == e {
            a += 1;
        } else {
            passed_over.push(e);
        }
    }
    if a < actual.len() {
        return Err(format!(
            "printed a line the README does not show:\n    {}\n  README expects (normalized):\n{}\n  printed (normalized):\n{}",
            actual[a],
            indent(&expected.iter().map(|e| norm.apply(e)).collect::<Vec<_>>()),
            indent(&actual)
        ));
    }
    Ok(passed_over)
}

fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Runs one section; returns its failures.
fn run_section(s: &Section, root: &Path, norm: &Normalizer, show: bool) -> Vec<String> {
    let dir = TempDir::new("readme");
    copy_dir(&root.join("examples"), dir.path());
    // The README's setup line: `chmod 600 users` (it holds passwords).
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            dir.path().join("users"),
            std::fs::Permissions::from_mode(0o600),
        );
    }
    let mut sh = Shell::start(dir.path());
    let mut failures = Vec::new();
    let mut background: Vec<usize> = Vec::new();
    let mut later: Vec<(usize, String)> = Vec::new();
    for (n, c) in s.cmds.iter().enumerate() {
        if let Err(e) = sh.run(n, &c.text) {
            failures.push(format!("README.md:{}: `{}`: {e}", c.line, c.text));
            break;
        }
        let printed = if c.background {
            background.push(n);
            // Its first lines: wait until they are there.
            let end = Instant::now() + Duration::from_secs(10);
            while sh.output(n).lines().count() < c.expected.len() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            sh.output(n)
                .lines()
                .take(c.expected.len())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            sh.output(n)
        };
        if show {
            eprintln!("$ {}\n{}", c.text, sh.output(n));
        }
        match compare(norm, &c.expected, &printed) {
            Ok(over) if c.background && !over.is_empty() => failures.push(format!(
                "README.md:{}: `{}` did not print (normalized):\n{}\n  it printed:\n{}",
                c.line,
                c.text,
                indent(&over),
                indent(&printed.lines().map(|l| norm.apply(l)).collect::<Vec<_>>())
            )),
            Ok(over) => later.extend(over.into_iter().map(|l| (c.line, l))),
            Err(e) => failures.push(format!("README.md:{}: `{}` {e}", c.line, c.text)),
        }
    }
    sh.finish();
    // What the README shows of the background servers' later output.
    let logs: Vec<String> = background
        .iter()
        .flat_map(|&n| {
            std::fs::read_to_string(dir.path().join(".readme-out").join(n.to_string()))
                .unwrap_or_default()
                .lines()
                .map(|l| norm.apply(l))
                .collect::<Vec<_>>()
        })
        .collect();
    if show {
        for &n in &background {
            eprintln!(
                "[background {}]\n{}",
                s.cmds[n].text,
                std::fs::read_to_string(dir.path().join(".readme-out").join(n.to_string()))
                    .unwrap_or_default()
            );
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for l in &logs {
        *counts.entry(l.as_str()).or_default() += 1;
    }
    for (line, l) in &later {
        match counts.get_mut(l.as_str()) {
            Some(k) if *k > 0 => *k -= 1,
            _ => failures.push(format!(
                "README.md:{line}: shows {l:?}, which neither the command nor a background server printed\n  background output (normalized):\n{}",
                indent(&logs)
            )),
        }
    }
    failures
}

#[test]
fn every_readme_example_runs_as_shown() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let strict = std::env::var("MAILKIT_README_STRICT").is_ok_and(|v| v == "1");
    let show = std::env::var("MAILKIT_README_SHOW").is_ok_and(|v| v == "1");
    let only = std::env::var("MAILKIT_README_SECTION").ok();
    let norm = Normalizer::new();
    let all = sections(&readme);
    // The examples use the default ports, as a reader would.
    for port in [1025, 1110, 1465, 2525, 2526] {
        if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            panic!(
                "127.0.0.1:{port} is taken ({e}): the README's examples listen there; stop what runs on it"
            );
        }
    }
    assert!(
        all.iter().map(|s| s.cmds.len()).sum::<usize>() > 20,
        "the README's console blocks were not found"
    );
    let mut failures = Vec::new();
    for s in &all {
        if only.as_deref().is_some_and(|o| !s.title.contains(o)) {
            continue;
        }
        let missing = missing_tools(s);
        if !missing.is_empty() {
            let note = format!(
                "section {:?} needs {} (apt-get install {}; .ci/run installs them)",
                s.title,
                missing.join(", "),
                missing
                    .iter()
                    .map(|t| if *t == "nc" { "netcat-openbsd" } else { t })
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            if strict {
                failures.push(note);
            } else {
                eprintln!("readme: skipped: {note}");
            }
            continue;
        }
        failures.extend(run_section(s, &root, &norm, show));
    }
    assert!(
        failures.is_empty(),
        "{} README example(s) do not run as shown:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

//! `mailkit parse`: the binary on fixture files, stdin, a Maildir, an
//! .eml folder and an mbox; exit statuses, JSON shape, diagnostics with
//! their file and line, extraction that never overwrites or escapes.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::TempDir;

const MIXED: &str = "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\n\
To: Bob <bob@hamburger.edu>, carol@hamburger.edu\n\
Cc: \"Liddell, Alice\" <alice@crepes.fr>\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= and a report\n\
Date: Tue, 02 Jan 2024 09:30:00 +0100\n\
Message-ID: <mixed.1@example.org>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"XX\"\n\
\n\
--XX\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
caf=E9\n\
--XX\n\
Content-Type: application/pdf; name=\"report.pdf\"\n\
Content-Transfer-Encoding: base64\n\
Content-Disposition: attachment; filename=\"../../report.pdf\"\n\
\n\
JVBERi0xLjQK\n\
--XX--\n";

const CLEAN: &str =
    "From: a@x.org\nTo: b@y.org\nSubject: ok\nDate: Tue, 02 Jan 2024 09:30:00 +0100\n\
Message-ID: <ok@x.org>\n\nbody\n";

fn mailkit() -> Command {
    Command::cargo_bin("mailkit").unwrap()
}

fn json(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_document_has_spec_shape() {
    let dir = TempDir::new("parse-json");
    let f = dir.path().join("m.eml");
    std::fs::write(&f, MIXED).unwrap();
    let out = mailkit()
        .args(["parse", "--json", "--bodies"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let docs = json(&out.stdout);
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d["file"], f.display().to_string());
    assert_eq!(d["subject"], "Grüße and a report");
    assert_eq!(
        d["from"],
        serde_json::json!([{"name": "Jörg", "address": "joerg@example.org"}])
    );
    assert_eq!(
        d["to"][1],
        serde_json::json!({"name": null, "address": "carol@hamburger.edu"})
    );
    assert_eq!(d["cc"][0]["name"], "Liddell, Alice");
    assert_eq!(d["reply_to"], serde_json::json!([]));
    assert_eq!(d["date"], "2024-01-02T09:30:00+01:00");
    assert_eq!(d["message_id"], "<mixed.1@example.org>");
    assert_eq!(d["headers"][0]["name"], "From");
    assert_eq!(d["headers"][3]["value"], "Grüße and a report");
    let mime = &d["mime"];
    assert_eq!(mime["content_type"], "multipart/mixed");
    assert_eq!(mime["parts"][0]["charset"], "iso-8859-1");
    assert_eq!(mime["parts"][0]["encoding"], "quoted-printable");
    assert_eq!(mime["parts"][0]["text"], "café");
    assert_eq!(mime["parts"][1]["filename"], "../../report.pdf");
    assert_eq!(mime["parts"][1]["disposition"], "attachment");
    assert_eq!(mime["parts"][1]["size"], 12);
    assert_eq!(mime["parts"][1]["parts"], serde_json::json!([]));
}

#[test]
fn default_view_and_part() {
    let dir = TempDir::new("parse-view");
    let f = dir.path().join("m.eml");
    std::fs::write(&f, MIXED).unwrap();
    mailkit()
        .args(["parse"])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("Subject: Grüße and a report"))
        .stdout(predicate::str::contains(
            "   1  ├─ text/plain; charset=iso-8859-1  quoted-printable",
        ))
        .stdout(predicate::str::contains(
            "   2  └─ application/pdf  base64  12 bytes  attachment  \"../../report.pdf\"",
        ));
    mailkit()
        .args(["parse", "--part", "1"])
        .arg(&f)
        .assert()
        .success()
        .stdout("café");
    mailkit()
        .args(["parse", "--part", "2"])
        .arg(&f)
        .assert()
        .success()
        .stdout("%PDF-1.4\n");
    mailkit()
        .args(["parse", "--part", "9"])
        .arg(&f)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no part 9; this message has parts 0 to 2",
        ));
}

#[test]
fn validate_exit_statuses_and_lines() {
    let dir = TempDir::new("parse-validate");
    std::fs::write(dir.path().join("ok.eml"), CLEAN).unwrap();
    std::fs::write(
        dir.path().join("warn.eml"),
        CLEAN.replace("Message-ID: <ok@x.org>\n", ""),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.eml"),
        CLEAN.replace("Date: Tue, 02 Jan 2024 09:30:00 +0100", "Date: soon"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        mailkit()
            .current_dir(dir.path())
            .arg("parse")
            .args(args)
            .output()
            .unwrap()
    };
    let ok = run(&["--validate", "ok.eml"]);
    assert_eq!(
        (ok.status.code(), ok.stdout.as_slice()),
        (Some(0), &b""[..])
    );
    let warn = run(&["--validate", "warn.eml"]);
    assert_eq!(warn.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&warn.stdout),
        "warn.eml:1: warning: no Message-ID field (RFC 5322 §3.6.4)\n"
    );
    assert_eq!(
        run(&["--validate", "--strict", "warn.eml"]).status.code(),
        Some(1)
    );
    let bad = run(&["--validate", "bad.eml"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout)
        .starts_with("bad.eml:4: error: Date: cannot parse the date: \"soon\" is not a day of the week (Mon-Sun) (RFC 5322 §3.3)"));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("mailkit: error: the message is not valid")
    );
    // As data.
    let j = run(&["--validate", "--json", "bad.eml"]);
    assert_eq!(j.status.code(), Some(1));
    let d = &json(&j.stdout)[0];
    assert_eq!(d["valid"], false);
    assert_eq!(d["diagnostics"][0]["line"], 4);
    assert_eq!(d["diagnostics"][0]["severity"], "error");
    assert_eq!(d["diagnostics"][0]["rule"], "RFC 5322 §3.3");
    // A folder of .eml files: every file, sorted, and a summary.
    let all = run(&["--validate", "."]);
    assert_eq!(all.status.code(), Some(1));
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(
        text.contains("./bad.eml:4: error") && text.contains("./warn.eml:1: warning"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&all.stderr).contains("parsed 3 messages"));
    assert!(String::from_utf8_lossy(&all.stderr).contains("1 of 3 messages is not valid"));
}

#[test]
fn stdin_maildir_and_mbox() {
    let out = mailkit()
        .args(["parse", "--json", "-"])
        .write_stdin(CLEAN)
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)[0]["file"], "-");
    let dir = TempDir::new("parse-inputs");
    let md = dir.path().join("box");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("new/1.host"), CLEAN.replace("ok", "one")).unwrap();
    std::fs::write(md.join("cur/2.host:2,S"), CLEAN.replace("ok", "two")).unwrap();
    std::fs::write(md.join("tmp/3.host"), "half written").unwrap();
    let out = mailkit()
        .args(["parse", "--json"])
        .arg(&md)
        .output()
        .unwrap();
    let subjects: Vec<_> = json(&out.stdout)
        .iter()
        .map(|d| d["subject"].clone())
        .collect();
    assert_eq!(subjects, ["two", "one"]);
    // An mbox: messages split at From_ lines, >From unquoted, lines counted in the file.
    let mbox = format!(
        "From a@x.org Tue Jan  2 09:30:00 2024\n{CLEAN}>From the start\n\nFrom b@y.org Tue Jan  2 09:31:00 2024\n{}",
        CLEAN.replace("Date: Tue, 02 Jan 2024 09:30:00 +0100", "Date: bad")
    );
    let f = dir.path().join("mbox");
    std::fs::write(&f, mbox).unwrap();
    let out = mailkit()
        .args(["parse", "--validate"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("{}:15: error: Date: cannot parse", f.display())),
        "{text}"
    );
    let out = mailkit()
        .args(["parse", "--part", "0"])
        .write_stdin(format!("From x\n{CLEAN}>From here\n"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "body\nFrom here\n");
}

#[test]
fn extract_writes_safe_names_and_never_overwrites() {
    let dir = TempDir::new("parse-extract");
    let f = dir.path().join("m.eml");
    std::fs::write(&f, MIXED).unwrap();
    let out = dir.path().join("out");
    for _ in 0..2 {
        mailkit()
            .args(["parse", "--extract"])
            .arg(&out)
            .arg(&f)
            .assert()
            .success();
    }
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report-1.pdf", "report.pdf"]);
    assert_eq!(
        std::fs::read(out.join("report.pdf")).unwrap(),
        b"%PDF-1.4\n"
    );
    assert!(!dir.path().join("report.pdf").exists());
}

#[test]
fn usage_and_unreadable_inputs() {
    mailkit().args(["parse", "--strict", "x"]).assert().code(2);
    mailkit().args(["parse", "--bodies", "x"]).assert().code(2);
    mailkit()
        .args(["parse", "/nonexistent/m.eml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read /nonexistent/m.eml"));
}

#[test]
fn the_malformed_corpus_reads_as_pythons_email_reads_it() {
    // tests/data/malformed (116 messages written for this project, one
    // defect class each) through `parse --json` and Python's email
    // (policy.default): subject, From/To, the content-type tree, file
    // names. Every remaining difference is listed in the script with the
    // RFC reason mailkit's reading is the right one.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parse_corpus.py");
    let out = match std::process::Command::new("python3")
        .arg(&script)
        .arg("--mailkit")
        .arg(crate::support::bin())
        .output()
    {
        Ok(o) => o,
        Err(e) => return eprintln!("skipped: no python3 ({e})"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("116 messages, 0 unexplained differences"),
        "{text}"
    );
}

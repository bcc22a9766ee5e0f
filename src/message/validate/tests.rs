//! One fixture per rule, each asserting the exact line of its diagnostic.

use super::*;

const CLEAN: &str = "From: Alice <alice@crepes.fr>\n\
To: bob@hamburger.edu\n\
Subject: clean\n\
Date: Tue, 02 Jan 2024 09:30:00 +0100\n\
Message-ID: <clean.1@crepes.fr>\n\
\n\
A perfectly ordinary message.\n";

fn run_opts(data: &[u8], opts: Options) -> Vec<Diagnostic> {
    let m = mime::parse(data);
    validate(data, &m, 1, opts)
}

fn run(data: &[u8]) -> Vec<Diagnostic> {
    run_opts(data, Options::default())
}

/// The one diagnostic whose text contains `needle`: (line, severity).
fn find(diags: &[Diagnostic], needle: &str) -> (usize, Severity) {
    let hits: Vec<_> = diags.iter().filter(|d| d.text.contains(needle)).collect();
    assert!(
        !hits.is_empty(),
        "no diagnostic with {needle:?} in {diags:#?}"
    );
    (hits[0].line, hits[0].severity)
}

fn with(replace: &str, by: &str) -> Vec<u8> {
    assert!(CLEAN.contains(replace));
    CLEAN.replacen(replace, by, 1).into_bytes()
}

use Severity::{Error, Warning};

#[test]
fn clean_message_has_no_diagnostics() {
    assert_eq!(run(CLEAN.as_bytes()), vec![]);
    assert_eq!(run(CLEAN.replace('\n', "\r\n").as_bytes()), vec![]);
}

#[test]
fn missing_date_and_from() {
    let d = run(&with("Date: Tue, 02 Jan 2024 09:30:00 +0100\n", ""));
    assert_eq!(find(&d, "missing Date"), (1, Error));
    let d = run(&with("From: Alice <alice@crepes.fr>\n", ""));
    assert_eq!(find(&d, "missing From"), (1, Error));
}

#[test]
fn duplicate_singletons() {
    let d = run(&with(
        "Subject: clean\n",
        "Subject: clean\nFrom: Mallory <m@evil.example>\n",
    ));
    assert_eq!(
        find(&d, "From field appears more than once (first on line 1)"),
        (4, Error)
    );
    for f in [
        "Sender: s@x.org",
        "Reply-To: r@x.org",
        "Cc: c@x.org",
        "Bcc: b@x.org",
        "In-Reply-To: <a@b>",
        "References: <a@b>",
    ] {
        let data = format!("{f}\n{f}\n{CLEAN}");
        let name = f.split(':').next().unwrap_or_default();
        let d = run(data.as_bytes());
        assert_eq!(
            find(&d, &format!("{name} field appears more than once")),
            (2, Error),
            "{f}"
        );
    }
    let d = run(&with(
        "Subject: clean\n",
        "Subject: clean\nSubject: again\n",
    ));
    assert_eq!(find(&d, "Subject field appears"), (4, Error));
}

#[test]
fn header_line_without_colon_and_bad_names() {
    let d = run(&with("Subject: clean\n", "Subject: clean\nno colon here\n"));
    assert_eq!(find(&d, "without a colon"), (4, Error));
    let d = run(&with("Subject: clean\n", "Sub ject: clean\n"));
    assert_eq!(find(&d, "illegal field name"), (3, Error));
    let d = run(&with("Subject: clean\n", ": clean\n"));
    assert_eq!(find(&d, "illegal field name"), (3, Error));
}

#[test]
fn continuation_line_first() {
    let d = run(format!(" folded\n{CLEAN}").as_bytes());
    assert_eq!(find(&d, "continuation line"), (1, Error));
}

#[test]
fn missing_separator() {
    let d = run(&with(
        "Message-ID: <clean.1@crepes.fr>\n\n",
        "Message-ID: <clean.1@crepes.fr>\n",
    ));
    assert_eq!(find(&d, "missing blank line"), (6, Error));
}

#[test]
fn long_lines() {
    let data = format!(
        "{CLEAN}short\n{}\nafter\n{}\n",
        "x".repeat(1200),
        "y".repeat(80)
    );
    let d = run(data.as_bytes());
    assert_eq!(find(&d, "over the limit of 998"), (9, Error));
    assert_eq!(find(&d, "over the recommended 78"), (11, Warning));
    // 78 characters of UTF-8 are not over 78 even at more octets.
    let d = run(format!("{CLEAN}{}\n", "é".repeat(78)).as_bytes());
    assert!(
        !d.iter().any(|x| x.text.contains("recommended 78")),
        "{d:?}"
    );
}

#[test]
fn many_long_lines_are_summed_up() {
    let data = format!("{CLEAN}{}", format!("{}\n", "z".repeat(90)).repeat(9));
    let d = run(data.as_bytes());
    assert_eq!(
        d.iter()
            .filter(|x| x.text.contains("recommended 78"))
            .count(),
        LIST_LIMIT
    );
    assert_eq!(find(&d, "4 more lines over 78"), (16, Warning));
}

#[test]
fn bare_cr_and_lf() {
    let d = run(&with("A perfectly", "A per\rfectly"));
    assert_eq!(find(&d, "bare CR"), (7, Error));
    let crlf = CLEAN
        .replace('\n', "\r\n")
        .replacen("Subject: clean\r\n", "Subject: clean\n", 1);
    let d = run(crlf.as_bytes());
    assert_eq!(find(&d, "bare LF"), (3, Error));
}

#[test]
fn eight_bit_header() {
    let mut data = with("Subject: clean\n", "Subject: caf\u{e9} cr\u{e8}me\n");
    let d = run(&data);
    assert_eq!(find(&d, "8-bit byte 0xC3"), (3, Error));
    assert!(run_opts(&data, Options { utf8: true }).is_empty());
    // Latin-1 is not UTF-8 even with --utf8.
    let at = data.iter().position(|&b| b == 0xC3).unwrap_or(0);
    data[at] = 0xE9;
    data.remove(at + 1);
    let d = run_opts(&data, Options { utf8: true });
    assert_eq!(find(&d, "invalid UTF-8"), (3, Error));
}

#[test]
fn unparseable_addresses_and_dates() {
    let d = run(&with("To: bob@hamburger.edu", "To: bob at hamburger"));
    assert_eq!(find(&d, "To: cannot parse the address list"), (2, Error));
    let d = run(&with(
        "Date: Tue, 02 Jan 2024 09:30:00 +0100",
        "Date: yesterday",
    ));
    assert_eq!(find(&d, "cannot parse the date"), (4, Error));
    let d = run(&with("Date: Tue, 02 Jan 2024", "Date: Wed, 02 Jan 2024"));
    assert_eq!(find(&d, "day of the week"), (4, Error));
    let d = run(&with(
        "From: Alice <alice@crepes.fr>",
        "From: a@x.org, b@y.org",
    ));
    assert_eq!(find(&d, "no Sender"), (1, Error));
    let d = run(&with(
        "Message-ID: <clean.1@crepes.fr>",
        "Message-ID: clean.1",
    ));
    assert_eq!(find(&d, "Message-ID is not of the form"), (5, Error));
}

#[test]
fn multipart_structure() {
    let head = "From: a@x.org\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMessage-ID: <m@x>\nMIME-Version: 1.0\n";
    let d = run(format!("{head}Content-Type: multipart/mixed\n\n--XX\n\nhi\n--XX--\n").as_bytes());
    assert_eq!(find(&d, "without a boundary"), (5, Error));
    let d =
        run(format!("{head}Content-Type: multipart/mixed; boundary=XX\n\nno parts\n").as_bytes());
    assert_eq!(find(&d, "no start boundary"), (7, Error));
    let d =
        run(format!("{head}Content-Type: multipart/mixed; boundary=XX\n\n--XX\n\nhi\n").as_bytes());
    assert_eq!(find(&d, "no close boundary"), (9, Error));
    let d = run(format!(
        "{head}Content-Type: multipart/mixed; boundary=XX\nContent-Transfer-Encoding: base64\n\n--XX\n\nhi\n--XX--\n"
    )
    .as_bytes());
    assert_eq!(find(&d, "not allowed for multipart/mixed"), (6, Error));
    let clean = format!(
        "{head}Content-Type: multipart/mixed; boundary=XX\n\npreamble\n--XX\n\nhi\n--XX--\n"
    );
    assert_eq!(run(clean.as_bytes()), vec![]);
}

#[test]
fn base64_characters_and_padding() {
    let head = "From: a@x.org\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMessage-ID: <m@x>\nMIME-Version: 1.0\n\
Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n";
    let d = run(format!("{head}aGVs\nbG8*\n").as_bytes());
    assert_eq!(find(&d, "invalid character '*'"), (9, Error));
    let d = run(format!("{head}aGVsbG8\n").as_bytes());
    assert_eq!(find(&d, "bad padding"), (8, Error));
    let d = run(format!("{head}aGVsbG8=\naGVs\n").as_bytes());
    assert_eq!(find(&d, "after the '=' padding"), (9, Error));
    assert_eq!(run(format!("{head}aGVsbG8=\n").as_bytes()), vec![]);
    let d = run(format!("{}{head}aGVsbG8=\n", "")
        .replace("base64", "uuencode")
        .as_bytes());
    assert_eq!(find(&d, "unknown Content-Transfer-Encoding"), (6, Error));
}

#[test]
fn warnings() {
    let d = run(&with("Message-ID: <clean.1@crepes.fr>\n", ""));
    assert_eq!(find(&d, "no Message-ID"), (1, Warning));
    let d = run(&with(
        "Date: Tue, 02 Jan 2024 09:30:00 +0100",
        "Date: Tue, 02 Jan 24 09:30:00 GMT",
    ));
    assert_eq!(find(&d, "two-digit year"), (4, Warning));
    let d = run(&with(
        "To: bob@hamburger.edu",
        "To: <@relay.example:bob@hamburger.edu>",
    ));
    assert_eq!(find(&d, "obs-route"), (2, Warning));
    let d = run_opts(
        &with("To: bob@hamburger.edu", "To: j\u{f6}rg@hamburger.edu"),
        Options { utf8: true },
    );
    assert_eq!(find(&d, "non-ASCII local part"), (2, Warning));
    let d = run(&with("Subject: clean", "Subject: =?klingon?q?x?="));
    assert_eq!(find(&d, "encoded word does not decode"), (3, Warning));
    let d = run(&with("A perfectly", "A caf\u{e9}"));
    assert_eq!(find(&d, "8-bit data"), (7, Warning));
    let d = run(&with(
        "Subject: clean\n",
        "Subject: clean\nContent-Type: text/plain\n",
    ));
    assert_eq!(find(&d, "without MIME-Version"), (4, Warning));
    let d = run(&with("Subject: clean", "Subject : clean"));
    assert_eq!(find(&d, "white space before the colon"), (3, Warning));
    // 8bit declared: no warning.
    let d = run(&with(
        "Subject: clean\n",
        "Subject: clean\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n",
    )
    .iter()
    .copied()
    .chain("caf\u{e9}\n".bytes())
    .collect::<Vec<_>>());
    assert!(!d.iter().any(|x| x.text.contains("8-bit")), "{d:?}");
}

#[test]
fn attached_message_is_checked_with_its_lines() {
    let data = "From: a@x.org\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMessage-ID: <m@x>\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: message/rfc822\n\n\
Subject: inner\nFrom: broken\n\nbody\n--XX--\n";
    let d = run(data.as_bytes());
    assert_eq!(find(&d, "From: cannot parse"), (11, Error));
    assert_eq!(find(&d, "missing Date"), (10, Error));
}

#[test]
fn deep_nesting_is_reported_not_followed() {
    let mut msg = String::from("From: a@x.org\nDate: Tue, 02 Jan 2024 09:30:00 +0100\nMessage-ID: <m@x>\nMIME-Version: 1.0\n");
    for i in 0..40 {
        msg.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"_{i}_\"\n\n--_{i}_\n"
        ));
    }
    let d = run(msg.as_bytes());
    assert!(d.iter().any(|x| x.text.contains("nesting deeper")), "{d:?}");
}

#[test]
fn mbox_offset_moves_line_numbers() {
    let data = with("Date: Tue, 02 Jan 2024 09:30:00 +0100", "Date: never");
    let m = mime::parse(&data);
    let d = validate(&data, &m, 101, Options::default());
    assert_eq!(find(&d, "cannot parse the date"), (104, Error));
}

#[test]
fn a_content_type_without_subtype_is_an_error_at_its_line() {
    let d = run(b"From: a@b.c\nDate: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <x@b.c>\nMIME-Version: 1.0\nContent-Type: text; charset=us-ascii\n\nhi\n");
    let e: Vec<_> = d
        .iter()
        .filter(|x| x.text.contains("not type/subtype"))
        .collect();
    assert_eq!(e.len(), 1, "{d:?}");
    assert_eq!(e[0].line, 5);
}

#[test]
fn an_encoded_word_in_a_parameter_is_a_warning_at_its_line() {
    let d = run(b"From: a@b.c\nDate: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <x@b.c>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"=?utf-8?q?caf=C3=A9.pdf?=\"\n\nx\n--B--\n");
    let w: Vec<_> = d
        .iter()
        .filter(|x| x.text.contains("encoded word in a parameter"))
        .collect();
    assert_eq!(w.len(), 1, "{d:?}");
    assert_eq!((w[0].line, w[0].severity), (9, Severity::Warning));
}

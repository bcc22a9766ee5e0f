#!/usr/bin/env python3
"""Compares `mailkit parse --json` with Python's email package
(policy.default) on every message of tests/data/malformed: the subject,
the From and To addresses, the content-type tree (pre-order, as
Message.walk()) and each part's file name. Differences that mailkit
keeps on purpose are listed in KNOWN with the RFC reason; any other
difference fails.

    tests/parse_corpus.py --mailkit target/release/mailkit [--show]

Exit 0 when every message agrees (or differs only as KNOWN says), 1
otherwise (each difference printed)."""
import argparse
import email
import email.policy
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "data", "malformed")

# file -> {field: why mailkit's reading is the right one}
KNOWN = {
    "015-ew-bad-charset.eml": {
        "subject": "RFC 2047 §6.2: a word in a charset the reader does not know is "
                   "shown as it is, not guessed (Python decodes it as ASCII)"},
    "016-ew-bad-base64.eml": {
        "subject": "RFC 2047 §6.3: a word that does not decode is shown as it is "
                   "(Python drops it); --validate warns"},
    "040-addr-no-brackets-name.eml": {
        "from": "RFC 5322 §3.4.1: 'Alice alice@crepes.fr' is no addr-spec (words of a "
                "local part need dots); shown as it stands, --validate calls it an "
                "error (Python invents a quoted local part)"},
    "044-addr-two-at.eml": {
        "from": "not an address; shown as it stands, --validate calls it an error "
                "(Python shows '<>')"},
    "046-addr-utf8-local.eml": {
        "from": "RFC 6532 §3.2: UTF-8 in a local part is text (Python's bytes parser "
                "leaves it as surrogate escapes)"},
    "054-ct-spaces.eml": {
        "tree": "RFC 2045 §5.1 is a structured field: white space around '/' is CFWS, "
                "the type is text/plain (Python keeps 'text / plain' as the type)"},
    "059-ct-comment.eml": {
        "tree": "RFC 2045 §5.1 (and RFC 822 §3.4.3): a comment is not part of the type "
                "(Python keeps '(a comment)' in it)"},
    "070-filename-unquoted-spaces.eml": {
        "filenames": "an unquoted value with spaces runs to the ';' as MUAs (Thunderbird, "
                     "Apple Mail) read it; RFC 2045 §5.1 wants it quoted (Python stops at "
                     "the first space)"},
    "085-mp-empty-part.eml": {
        "tree": "RFC 2046 §5.1.1: '--B CRLF --B' encloses an empty body part, a "
                "text/plain part with no fields (Python drops it)",
        "filenames": "the same empty part"},
    "096-rfc822-base64.eml": {
        "tree": "RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary; the "
                "validator reports the base64, the part is not read as a message "
                "(Python decodes it anyway)",
        "filenames": "the same part"},
    "100-message-partial.eml": {
        "tree": "RFC 2046 §5.2.2: message/partial holds a fragment, not a message; it is "
                "a leaf until reassembled (Python parses the fragment as a message)",
        "filenames": "the same part"},
    "101-delivery-status.eml": {
        "tree": "RFC 3464 §2.1: message/delivery-status holds groups of fields, not "
                "messages; it is a leaf (Python makes each group a text/plain part)",
        "filenames": "the same part"},
}


def python_view(data):
    m = email.message_from_bytes(data, policy=email.policy.default)

    def addrs(name):
        try:
            h = m[name]
        except Exception:  # noqa: BLE001 - Python's own parse errors
            return "error"
        if h is None:
            return []
        try:
            return [[a.display_name or None, a.addr_spec] for a in h.addresses]
        except Exception:  # noqa: BLE001
            return "error"

    try:
        subject = m["subject"]
        subject = None if subject is None else str(subject)
    except Exception:  # noqa: BLE001
        subject = "error"
    tree, names = [], []
    for p in m.walk():
        tree.append(p.get_content_type())
        try:
            names.append(p.get_filename())
        except Exception:  # noqa: BLE001
            names.append("error")
    return {"subject": subject, "from": addrs("from"), "to": addrs("to"),
            "tree": tree, "filenames": names}


def mailkit_view(mk, path):
    out = subprocess.run([mk, "parse", "--json", path], capture_output=True, timeout=30)
    d = json.loads(out.stdout)
    tree, names = [], []

    def walk(p):
        tree.append(p["content_type"])
        names.append(p["filename"])
        for c in p["parts"]:
            walk(c)

    if d.get("mime"):
        walk(d["mime"])
    return {"subject": d["subject"],
            "from": [[a["name"], a["address"]] for a in d["from"]],
            "to": [[a["name"], a["address"]] for a in d["to"]],
            "tree": tree, "filenames": names}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailkit", default="target/release/mailkit")
    ap.add_argument("--show", action="store_true", help="print both views of every message")
    a = ap.parse_args()
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".eml"))
    bad = 0
    for f in files:
        path = os.path.join(CORPUS, f)
        with open(path, "rb") as fh:
            data = fh.read()
        py, mk = python_view(data), mailkit_view(a.mailkit, path)
        for k in py:
            if py[k] != mk[k] and k not in KNOWN.get(f, {}):
                bad += 1
                print(f"{f}: {k}: python {py[k]!r}, mailkit {mk[k]!r}")
            elif a.show:
                print(f"{f}: {k}: {mk[k]!r}")
    print(f"{len(files)} messages, {bad} unexplained differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

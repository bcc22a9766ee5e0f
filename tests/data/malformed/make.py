#!/usr/bin/env python3
"""Writes the malformed-and-unusual message corpus of issue 20 (written
for this project; no third-party messages). Each case is a small message
that exercises one class of real-world defect or oddity: header folding
and encoded words, address lists, Content-Type and its parameters
(RFC 2231, RFC 2047 where it is not allowed), multipart boundaries,
Content-Transfer-Encoding, line ends and stray bytes.

    tests/data/malformed/make.py        # rewrites NNN-name.eml here

The files are committed; run this only to change the corpus."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def case(name, text, crlf=True):
    data = text.encode("utf-8") if isinstance(text, str) else text
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    cases.append((name, data))


H = "From: Alice <alice@crepes.fr>\nTo: Bob <bob@hamburger.edu>\nDate: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <m@crepes.fr>\n"
MV = "MIME-Version: 1.0\n"

# --- header folding and subjects
case("fold-tab", H + "Subject: Do you like\n\tketchup?\n\nbody\n")
case("fold-space", H + "Subject: Do you like\n ketchup?\n\nbody\n")
case("fold-many", H + "Subject: a\n b\n\tc\n  d\n\nbody\n")
case("fold-lf-only", H + "Subject: folded\n with LF\n\nbody\n", crlf=False)
case("subject-missing", H + "\nbody\n")
case("subject-empty", H + "Subject:\n\nbody\n")
case("subject-twice", H + "Subject: first\nSubject: second\n\nbody\n")
case("subject-8bit-utf8", H + "Subject: Crêpes à la carte\n\nbody\n")
case("subject-8bit-latin1", (H + "Subject: Cr").encode() + b"\xeapes\r\n\r\nbody\r\n")
case("ew-q", H + "Subject: =?utf-8?q?Cr=C3=AApes_et_ketchup?=\n\nbody\n")
case("ew-b", H + "Subject: =?utf-8?b?Q3LDqnBlcyBldCBrZXRjaHVw?=\n\nbody\n")
case("ew-adjacent", H + "Subject: =?utf-8?q?Cr=C3=AA?= =?utf-8?q?pes?=\n\nbody\n")
case("ew-folded", H + "Subject: =?utf-8?q?Cr=C3=AA?=\n =?utf-8?q?pes?=\n\nbody\n")
case("ew-mixed-text", H + "Subject: Re: =?iso-8859-1?q?Cr=EApes?= tonight\n\nbody\n")
case("ew-bad-charset", H + "Subject: =?x-unknown?q?hello?=\n\nbody\n")
case("ew-bad-base64", H + "Subject: =?utf-8?b?###?=\n\nbody\n")
case("ew-lowercase", H + "Subject: =?UTF-8?Q?caf=c3=a9?=\n\nbody\n")
case("ew-inside-word", H + "Subject: abc=?utf-8?q?def?=ghi\n\nbody\n")
case("ew-no-space-between", H + "Subject: =?utf-8?q?one?==?utf-8?q?two?=\n\nbody\n")
case("ew-in-quotes", H + "Subject: \"=?utf-8?q?quoted?=\"\n\nbody\n")
case("ew-latin1-b", H + "Subject: =?ISO-8859-1?B?Q3LqcGVz?=\n\nbody\n")
case("header-odd-case", "FROM: alice@crepes.fr\nto: bob@hamburger.edu\nsUbJeCt: odd case\ndate: Tue, 1 Dec 2026 10:00:00 +0000\n\nbody\n")
case("header-space-before-colon", H + "Subject : space before colon\n\nbody\n")
case("header-no-colon-line", H + "Subject: s\nthis line has no colon\n\nbody\n")
case("header-no-blank-line", H + "Subject: s")
case("header-only", H + "Subject: only a header\n")
case("header-leading-space", " Leading: space\n" + H + "Subject: s\n\nbody\n")
case("header-long-line", H + "Subject: " + "x" * 1200 + "\n\nbody\n")
case("header-nul", (H + "Subject: nul").encode() + b"\x00here\r\n\r\nbody\r\n")

# --- addresses
case("addr-no-domain-from", "From: foo\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-no-domain-to", "From: alice@crepes.fr\nTo: xx\nSubject: s\n\nbody\n")
case("addr-no-domain-mixed", "From: alice@crepes.fr\nTo: xx, Bob <bob@hamburger.edu>\nSubject: s\n\nbody\n")
case("addr-group", "From: alice@crepes.fr\nTo: friends: bob@hamburger.edu, carol@hamburger.edu;\nSubject: s\n\nbody\n")
case("addr-empty-group", "From: alice@crepes.fr\nTo: undisclosed-recipients:;\nSubject: s\n\nbody\n")
case("addr-quoted-comma", "From: \"Smith, Alice\" <alice@crepes.fr>\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-encoded-name", "From: =?utf-8?q?Am=C3=A9lie?= <amelie@crepes.fr>\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-encoded-name-quoted", "From: \"=?utf-8?q?Am=C3=A9lie?=\" <amelie@crepes.fr>\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-comment", "From: alice@crepes.fr (Alice)\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-route", "From: <@relay.example:alice@crepes.fr>\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-no-brackets-name", "From: Alice alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-unclosed-bracket", "From: Alice <alice@crepes.fr\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-trailing-comma", "From: alice@crepes.fr\nTo: bob@hamburger.edu,\nSubject: s\n\nbody\n")
case("addr-empty-elements", "From: alice@crepes.fr\nTo: , bob@hamburger.edu, , carol@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-two-at", "From: alice@@crepes.fr\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-dotted-name", "From: A. Smith <alice@crepes.fr>\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-utf8-local", "From: josé@crepes.fr\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-folded", "From: alice@crepes.fr\nTo: Bob\n <bob@hamburger.edu>,\n\tCarol <carol@hamburger.edu>\nSubject: s\n\nbody\n")
case("addr-empty-from", "From:\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-angle-only", "From: <alice@crepes.fr>\nTo: <bob@hamburger.edu>\nSubject: s\n\nbody\n")
case("addr-quoted-local", "From: \"alice smith\"@crepes.fr\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")
case("addr-literal-domain", "From: alice@[192.0.2.1]\nTo: bob@hamburger.edu\nSubject: s\n\nbody\n")

# --- Content-Type
case("ct-no-subtype", H + MV + "Subject: s\nContent-Type: text; charset=us-ascii\n\nbody\n")
case("ct-uppercase", H + MV + "Subject: s\nContent-Type: TEXT/HTML; CHARSET=UTF-8\n\n<p>body</p>\n")
case("ct-spaces", H + MV + "Subject: s\nContent-Type: text / plain ; charset = \"utf-8\"\n\nbody\n")
case("ct-empty", H + MV + "Subject: s\nContent-Type:\n\nbody\n")
case("ct-garbage", H + MV + "Subject: s\nContent-Type: ;;;\n\nbody\n")
case("ct-twice", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Type: text/html\n\nbody\n")
case("ct-no-mime-version", H + "Subject: s\nContent-Type: text/html\n\n<p>body</p>\n")
case("ct-comment", H + MV + "Subject: s\nContent-Type: text/plain (a comment); charset=utf-8\n\nbody\n")
case("ct-folded-params", H + MV + "Subject: s\nContent-Type: text/plain;\n\tcharset=\"utf-8\";\n\tformat=flowed\n\nbody\n")
case("ct-unknown-type", H + MV + "Subject: s\nContent-Type: x-custom/x-thing\n\nbody\n")
case("rfc2231-boundary", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary*=us-ascii''EeQf\n\n--EeQf\nContent-Type: text/plain\n\none\n--EeQf\nContent-Type: text/plain\n\ntwo\n--EeQf--\n")
case("rfc2231-boundary-continued", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary*0=\"Ee\"; boundary*1=\"Qf\"\n\n--EeQf\nContent-Type: text/plain\n\none\n--EeQf--\n")
case("rfc2231-charset", H + MV + "Subject: s\nContent-Type: text/plain; charset*=utf-8''utf-8\n\nbody\n")
case("rfc2231-filename", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\ntext\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=utf-8''na%C3%AFve.pdf\n\nx\n--B--\n")
case("rfc2231-filename-continued", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8''na%C3%AF;\n filename*1*=ve%20file.pdf\n\nx\n--B--\n")
case("rfc2231-filename-plain-continued", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*0=\"long\"; filename*1=\"name.pdf\"\n\nx\n--B--\n")
case("ew-in-filename", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf; name=\"=?utf-8?q?caf=C3=A9.pdf?=\"\nContent-Disposition: attachment; filename=\"=?utf-8?q?caf=C3=A9.pdf?=\"\n\nx\n--B--\n")
case("filename-name-only", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf; name=report.pdf\n\nx\n--B--\n")
case("filename-unquoted-spaces", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=my report.pdf\n\nx\n--B--\n")
case("filename-8bit", (H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"caf").encode() + "é.pdf\"\n\nx\n--B--\n".encode())
case("disposition-odd-case", H + MV + "Subject: s\nContent-Type: multipart/mixed; boundary=B\n\n--B\ncontent-type: Application/PDF\ncontent-disposition: ATTACHMENT; FILENAME=\"x.pdf\"\n\nx\n--B--\n")

# --- multipart structure
def mp(body, boundary="B", sub="mixed", extra=""):
    return H + MV + f"Subject: s\nContent-Type: multipart/{sub}; boundary=\"{boundary}\"{extra}\n\n" + body


case("mp-simple", mp("--B\nContent-Type: text/plain\n\none\n--B\nContent-Type: text/html\n\n<p>two</p>\n--B--\n"))
case("mp-no-boundary-param", H + MV + "Subject: s\nContent-Type: multipart/mixed\n\n--B\n\none\n--B--\n")
case("mp-no-start-line", mp("no parts here\n"))
case("mp-only-close", mp("--B--\n"))
case("mp-no-close", mp("--B\nContent-Type: text/plain\n\none\n"))
case("mp-preamble-epilogue", mp("preamble\n--B\nContent-Type: text/plain\n\none\n--B--\nepilogue\n"))
case("mp-boundary-in-text", mp("--B\nContent-Type: text/plain\n\nthe text mentions --B in a line\nand --Bx too\n--B--\n"))
case("mp-boundary-prefix", mp("--Bx\nContent-Type: text/plain\n\nnot a part\n--B\nContent-Type: text/plain\n\none\n--B--\n"))
case("mp-boundary-spaces", mp("--B word\nContent-Type: text/plain\n\none\n--B--\n", boundary="B word"))
case("mp-trailing-space-delim", mp("--B  \nContent-Type: text/plain\n\none\n--B--  \n"))
case("mp-nested", mp("--B\nContent-Type: multipart/alternative; boundary=C\n\n--C\nContent-Type: text/plain\n\nplain\n--C\nContent-Type: text/html\n\n<p>html</p>\n--C--\n--B\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--B--\n"))
case("mp-nested-same-boundary", mp("--B\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nplain\n--B--\n--B--\n"))
case("mp-empty-part", mp("--B\n--B\nContent-Type: text/plain\n\none\n--B--\n"))
case("mp-part-no-header", mp("--B\n\njust text\n--B--\n"))
case("mp-digest", mp("--B\n\nSubject: digested\n\nin a digest\n--B--\n", sub="digest"))
case("mp-alternative-empty", mp("--B--\n", sub="alternative"))
case("mp-quoted-boundary-special", mp("--a=b?c\nContent-Type: text/plain\n\none\n--a=b?c--\n", boundary="a=b?c"))
case("mp-long-boundary", mp("--" + "b" * 80 + "\nContent-Type: text/plain\n\none\n--" + "b" * 80 + "--\n", boundary="b" * 80))
case("mp-lf-only", mp("--B\nContent-Type: text/plain\n\none\n--B--\n"), crlf=False)
case("mp-related", mp("--B\nContent-Type: text/html\n\n<img src=cid:i>\n--B\nContent-Type: image/png\nContent-ID: <i>\n\nx\n--B--\n", sub="related"))

# --- attached messages
case("rfc822-attached", mp("--B\nContent-Type: text/plain\n\nsee attached\n--B\nContent-Type: message/rfc822\n\nFrom: carol@x.org\nSubject: inner\n\ninner body\n--B--\n"))
case("rfc822-attached-multipart", mp("--B\nContent-Type: message/rfc822\n\nFrom: carol@x.org\nSubject: inner\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=C\n\n--C\nContent-Type: text/plain\n\np\n--C\nContent-Type: text/html\n\n<p>h</p>\n--C--\n--B--\n"))
case("rfc822-attached-empty-multipart", mp("--B\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/alternative; boundary=C\n\n--C--\n\n--B--\n"))
case("rfc822-base64", mp("--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogaW5uZXIKCmlubmVyIGJvZHkK\n--B--\n"))
case("rfc822-empty", mp("--B\nContent-Type: message/rfc822\n\n--B--\n"))
case("external-body", H + MV + "Subject: s\nContent-Type: message/external-body; access-type=URL;\n URL=\"http://example.org/file.pdf\"\n\nContent-Type: application/pdf\nContent-ID: <id@x>\n\n")
case("external-body-in-mp", mp("--B\nContent-Type: text/plain\n\nsee below\n--B\nContent-Type: message/external-body; access-type=anon-ftp; site=ftp.example.org; name=f.txt\n\nContent-Type: text/plain\n\n--B--\n"))
case("message-partial", H + MV + "Subject: s\nContent-Type: message/partial; id=\"x@y\"; number=1; total=2\n\nFrom: a@b.c\nSubject: part one\n\nhalf\n")
case("delivery-status", mp("--B\nContent-Type: text/plain\n\nbounce\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; b@c\nAction: failed\nStatus: 5.1.1\n--B\nContent-Type: text/rfc822-headers\n\nSubject: orig\n--B--\n", sub="report", extra="; report-type=delivery-status"))

# --- transfer encodings and bytes
case("cte-comment", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: base64 (encoded)\n\naGVsbG8K\n")
case("cte-uppercase", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: QUOTED-PRINTABLE\n\ncaf=C3=A9\n")
case("cte-unknown", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n")
case("cte-spaces", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding:   8bit  \n\ncafé\n")
case("cte-base64-bad", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n")
case("cte-qp-bad", H + MV + "Subject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nbad =ZZ escape and soft=\nbreak\n")
case("cte-on-multipart", mp("--B\nContent-Type: text/plain\n\none\n--B--\n", extra="\nContent-Transfer-Encoding: base64"))
case("body-nul", (H + "Subject: s\n\n").replace("\n", "\r\n").encode() + b"nul \x00 in the body\r\n", crlf=False)
case("body-bare-cr", (H + "Subject: s\n\n").replace("\n", "\r\n").encode() + b"bare\rcr\r\n", crlf=False)
case("body-8bit-no-cte", H + MV + "Subject: s\nContent-Type: text/plain; charset=utf-8\n\ncrêpes\n")
case("body-latin1-declared-utf8", (H + MV + "Subject: s\nContent-Type: text/plain; charset=utf-8\n\ncr").encode() + b"\xeapes\n")
case("charset-unknown", H + MV + "Subject: s\nContent-Type: text/plain; charset=x-klingon\n\nbody\n")
case("mixed-line-ends", (H + "Subject: s\r\n\r\none\ntwo\r\nthree\n").encode(), crlf=False)
case("html-only", H + MV + "Subject: s\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>hi</p></body></html>\n")
case("calendar", H + MV + "Subject: s\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n")

if __name__ == "__main__":
    for f in os.listdir(HERE):
        if f.endswith(".eml"):
            os.remove(os.path.join(HERE, f))
    for i, (name, data) in enumerate(cases, 1):
        with open(os.path.join(HERE, f"{i:03d}-{name}.eml"), "wb") as fh:
            fh.write(data)
    print(f"{len(cases)} messages")

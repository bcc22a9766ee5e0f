#!/usr/bin/env python3
"""Python's imaplib against serve-imap: every command of RFC 9051/3501
and the extensions serve-imap advertises, each answer checked. Run by
tests/mailkit/imap_clients.rs:

  imaplib_every_command.py HOST PORT TLS_PORT

(the server started with --tls-self-signed, STARTTLS on PORT and
implicit TLS on TLS_PORT; any password is accepted). Exits 0 and prints
"ok N" with the number of checks, or fails with the first wrong answer.
"""
import imaplib
import re
import socket
import ssl
import sys
import time

host, port, tls_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
checks = 0


def ok(what, typ, data=None, want=None):
    global checks
    assert typ == "OK", f"{what}: {typ} {data!r}"
    if want is not None:
        text = b" ".join(d if isinstance(d, bytes) else b" ".join(x for x in d if isinstance(x, bytes)) for d in data if d)
        assert re.search(want.encode(), text), f"{what}: {want!r} not in {text!r}"
    checks += 1


def no(what, typ, data=None):
    global checks
    assert typ == "NO", f"{what}: expected NO, got {typ} {data!r}"
    checks += 1


insecure = ssl.create_default_context()
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE

# STARTTLS, CAPABILITY, NOOP, AUTHENTICATE PLAIN, ID, NAMESPACE, ENABLE
c = imaplib.IMAP4(host, port)
assert "STARTTLS" in c.capabilities and "IMAP4REV2" in c.capabilities, c.capabilities
ok("STARTTLS", *c.starttls(ssl_context=insecure))
ok("CAPABILITY", *c.capability(), want="IMAP4rev1 IMAP4rev2")
ok("NOOP", *c.noop())
ok("AUTHENTICATE PLAIN", *c.authenticate("PLAIN", lambda _: b"\0bob@hamburger.edu\0secret"))
ok("ID", *c.xatom("ID", '("name" "imaplib")'))
ok("NAMESPACE", *c.namespace(), want=r'\(\(\"\" \"/\"\)\)')
ok("ENABLE", *c.enable("IMAP4rev2"))
c.logout()

# Implicit TLS, LOGIN, mailboxes
c = imaplib.IMAP4_SSL(host, tls_port, ssl_context=insecure)
ok("LOGIN", *c.login("bob@hamburger.edu", "secret"))
ok("LIST", *c.list(), want=r"\\Sent")
ok("CREATE", *c.create("Work"))
ok("CREATE child", *c.create("Work/2026"))
no("CREATE again", *c.create("Work"))
ok("RENAME", *c.rename("Work/2026", "Work/Old"))
ok("SUBSCRIBE", *c.subscribe("Work"))
ok("LSUB", *c.lsub(), want='"Work"')
ok("UNSUBSCRIBE", *c.unsubscribe("Work"))
typ, data = c.lsub()
assert typ == "OK" and not any(b'"Work"' in d for d in data if d), data
ok("DELETE", *c.delete("Work/Old"))
typ, data = c.list()
assert not any(b"Work/Old" in d for d in data), data
ok("STATUS", *c.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)"), want="MESSAGES 0")

# APPEND, SELECT, FETCH (every item), STORE, SEARCH
msgs = [
    b"From: Alice <alice@crepes.fr>\r\nTo: bob@hamburger.edu\r\nSubject: first\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@crepes.fr>\r\n\r\nDo you like ketchup?\r\n",
    b"From: Carol <carol@example.org>\r\nTo: bob@hamburger.edu\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello zanzibar\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
    b"From: alice@crepes.fr\r\nSubject: third\r\n\r\nshort\r\n",
]
for i, m in enumerate(msgs):
    typ, data = c.append("INBOX", r"(\Flagged)" if i == 0 else None, imaplib.Time2Internaldate(time.time()), m)
    ok(f"APPEND {i}", typ, data, want=r"APPENDUID \d+ %d" % (i + 1))
ok("EXAMINE", *c.select("INBOX", readonly=True), want="3")
no("STORE read-only", *c.store("1", "+FLAGS", r"(\Seen)"))
ok("SELECT", *c.select("INBOX"), want="3")
ok("FETCH FLAGS", *c.fetch("1", "(FLAGS)"), want=r"\\Flagged")
ok("FETCH FAST", *c.fetch("1:*", "FAST"), want="RFC822.SIZE")
ok("FETCH ALL", *c.fetch("1", "ALL"), want="ENVELOPE")
ok("FETCH FULL", *c.fetch("2", "FULL"), want='"mixed"')
ok("FETCH BODYSTRUCTURE", *c.fetch("2", "(BODYSTRUCTURE)"), want='"boundary" "b"')
ok("FETCH ENVELOPE", *c.fetch("1", "(ENVELOPE)"), want='"first"')
ok("FETCH INTERNALDATE", *c.fetch("1", "(INTERNALDATE)"), want="INTERNALDATE")
typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
ok("FETCH HEADER.FIELDS", typ, data)
assert data[0][1] == b"Subject: first\r\n\r\n", data
typ, data = c.fetch("1", "(BODY.PEEK[TEXT]<0.6>)")
ok("FETCH partial", typ, data)
assert data[0][1] == b"Do you", data
typ, data = c.fetch("2", "(BODY.PEEK[2])")
ok("FETCH part", typ, data)
assert data[0][1] == b"AAEC", data
typ, data = c.fetch("2", "(BODY.PEEK[2.MIME])")
ok("FETCH MIME", typ, data)
assert data[0][1].startswith(b"Content-Type: application/octet-stream"), data
typ, data = c.fetch("2", "(BINARY.PEEK[2] BINARY.SIZE[2])")
ok("FETCH BINARY", typ, data)
assert data[0][1] == b"\x00\x01\x02" and b"BINARY.SIZE[2] 3" in data[1], data
typ, data = c.fetch("1", "(RFC822.HEADER)")
ok("FETCH RFC822.HEADER", typ, data)
assert data[0][1].startswith(b"From: Alice"), data
typ, data = c.fetch("3", "(RFC822)")
ok("FETCH RFC822", typ, data)
assert data[0][1] == msgs[2], data
ok("FETCH sets \\Seen", *c.fetch("3", "(FLAGS)"), want=r"\\Seen")
ok("STORE", *c.store("1", "+FLAGS", r"(\Answered $Label1)"), want=r"\\Answered")
ok("STORE -FLAGS", *c.store("1", "-FLAGS", r"(\Flagged)"))
ok("STORE .SILENT", *c.store("2", "+FLAGS.SILENT", r"(\Draft)"))
ok("SEARCH ALL", *c.search(None, "ALL"), want="1 2 3")
ok("SEARCH TEXT", *c.search(None, "TEXT", "zanzibar"), want="^2$")
c.literal = "café".encode()
ok("SEARCH CHARSET", *c.search("UTF-8", "SUBJECT"), want="^2$")
ok("SEARCH FROM/OR/NOT", *c.search(None, "OR", "FROM", "carol", "NOT", "SEEN"), want="1 2")
ok("SEARCH keyword", *c.search(None, "KEYWORD", "$Label1"), want="^1$")
ok("SEARCH SINCE/LARGER", *c.search(None, "SENTSINCE", "1-Dec-2026", "LARGER", "100"), want="^2$")
ok("UID SEARCH", *c.uid("SEARCH", "ANSWERED"), want="^1$")
ok("UID FETCH", *c.uid("FETCH", "2", "(UID FLAGS)"), want=r"UID 2")
ok("UID STORE", *c.uid("STORE", "3", "+FLAGS", r"(\Deleted)"))
ok("CHECK", *c.check())

# COPY, MOVE, EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, IDLE
ok("COPY", *c.copy("1", "Archive"), want=r"COPYUID \d+ 1 1")
ok("UID COPY", *c.uid("COPY", "2", "Archive"))
ok("MOVE", *c._simple_command("MOVE", "1", "Trash"))
ok("UID MOVE", *c.uid("MOVE", "2", "Trash"))
ok("STATUS Trash", *c.status("Trash", "(MESSAGES)"), want="MESSAGES 2")
ok("STATUS Archive", *c.status("Archive", "(MESSAGES)"), want="MESSAGES 2")
ok("EXPUNGE", *c.expunge())
ok("SEARCH after EXPUNGE", *c.search(None, "ALL"), want="^$")
ok("SELECT Archive", *c.select("Archive"), want="2")
ok("UID STORE \\Deleted", *c.uid("STORE", "1", "+FLAGS", r"(\Deleted)"))
ok("UID EXPUNGE", *c.uid("EXPUNGE", "1"))
ok("SEARCH after UID EXPUNGE", *c.search(None, "ALL"), want="^1$")
ok("UNSELECT", *c.unselect())
ok("SELECT Trash", *c.select("Trash"), want="2")
ok("STORE all \\Deleted", *c.store("1:*", "+FLAGS", r"(\Deleted)"))
ok("CLOSE", *c.close())
ok("STATUS Trash after CLOSE", *c.status("Trash", "(MESSAGES)"), want="MESSAGES 0")

ok("SELECT for IDLE", *c.select("INBOX"))
tag = c._new_tag()
c.send(tag + b" IDLE\r\n")
assert c.readline().startswith(b"+"), "IDLE continuation"
other = imaplib.IMAP4(host, port)
other.login("bob@hamburger.edu", "secret")
ok("APPEND during IDLE", *other.append("INBOX", None, None, b"Subject: live\r\n\r\nnew\r\n"))
other.logout()
c.sock.settimeout(5)
line = c.readline()
assert line.endswith(b"EXISTS\r\n"), line
c.send(b"DONE\r\n")
while True:
    line = c.readline()
    if line.startswith(tag):
        assert b" OK " in line, line
        break
checks += 1
typ, data = c.logout()
assert typ == "BYE", (typ, data)
checks += 1
print("ok", checks)

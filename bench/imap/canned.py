#!/usr/bin/env python3
"""A stand-in IMAP server that costs (almost) nothing: it holds N messages
of SIZE bytes, pre-rendered as FETCH responses, in memory and answers
`mailkit fetch --protocol imap`'s commands (LOGIN, EXAMINE, the UID FETCH
listing, UID FETCH of UID ranges, LOGOUT) by sending those bytes. The
client's rate against it is the most any server can get out of the same
client on the same machine: the bench's ceiling.

  canned.py PORT N SIZE    (loopback only; serves until killed)
"""
import re
import socket
import sys

port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
line = b"x" * 75 + b"\r\n"
msgs = []
for i in range(n):
    head = f"From: alice@bench.test\r\nTo: bob@bench.test\r\nSubject: bench {i}\r\nMessage-ID: <{i}@bench.test>\r\n\r\n".encode()
    m = head + (line * (size // 77 + 1))[: max(0, size - len(head))]
    msgs.append(b"* %d FETCH (UID %d FLAGS () BODY[] {%d}\r\n%s)\r\n" % (i + 1, i + 1, len(m), m))
listing = b"".join(b"* %d FETCH (UID %d RFC822.SIZE %d FLAGS ())\r\n" % (i + 1, i + 1, size) for i in range(n))


def answer(tag, cmd):
    u = cmd.upper()
    if u.startswith(b"LOGIN"):
        return tag + b" OK logged in\r\n"
    if u.startswith(b"EXAMINE") or u.startswith(b"SELECT"):
        return b"* %d EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT %d] x\r\n%s OK [READ-ONLY] done\r\n" % (n, n + 1, tag)
    if u.startswith(b"UID FETCH 1:* "):
        return listing + tag + b" OK done\r\n"
    if u.startswith(b"UID FETCH "):
        out = []
        for part in cmd.split(b" ")[2].split(b","):
            a, _, b = part.partition(b":")
            a = int(a)
            b = int(b) if b else a
            out.append(b"".join(msgs[a - 1:b]))
        return b"".join(out) + tag + b" OK done\r\n"
    if u.startswith(b"LOGOUT"):
        return b"* BYE bye\r\n" + tag + b" OK done\r\n"
    return tag + b" OK\r\n"


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
while True:
    c, _ = srv.accept()
    c.sendall(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] canned\r\n")
    buf = b""
    done = False
    while not done:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while b"\r\n" in buf:
            l, buf = buf.split(b"\r\n", 1)
            tag, _, cmd = l.partition(b" ")
            c.sendall(answer(tag, cmd))
            if cmd.upper().startswith(b"LOGOUT"):
                done = True
    c.close()

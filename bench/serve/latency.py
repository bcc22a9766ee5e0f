#!/usr/bin/env python3
"""Delivery latency inside `mailkit serve` (bench/serve.sh): from the 250
after a message's final dot to (a) the `* N EXISTS` an IMAP client in IDLE
hears and (b) the `new` event an open web page's WebSocket hears.

usage: latency.py SMTP IMAP HTTP COUNT   (each HOST:PORT, loopback only)

Sends COUNT messages one at a time to bob@bench.test (smtplib, one
connection), waits for both notices of each before the next, and prints
the median, 95th percentile and maximum of each in milliseconds."""
import base64
import os
import smtplib
import socket
import statistics
import sys
import time


def addr(s):
    host, port = s.rsplit(":", 1)
    assert host.startswith("127."), "loopback only"
    return host, int(port)


smtp_a, imap_a, http_a, count = addr(sys.argv[1]), addr(sys.argv[2]), addr(sys.argv[3]), int(sys.argv[4])

# IMAP: LOGIN, SELECT, IDLE.
imap = socket.create_connection(imap_a)
imap.sendall(b"a LOGIN bob@bench.test pw\r\nb SELECT INBOX\r\nc IDLE\r\n")
ibuf = b""
while b"\r\n+ " not in ibuf and not ibuf.startswith(b"+ "):
    d = imap.recv(65536)
    if not d:
        sys.exit(f"IMAP closed: {ibuf[-300:]!r}")
    ibuf += d
ibuf = b""

# WebSocket: the RFC 6455 handshake.
ws = socket.create_connection(http_a)
key = base64.b64encode(os.urandom(16)).decode()
ws.sendall((f"GET /api/events HTTP/1.1\r\nHost: {http_a[0]}:{http_a[1]}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n").encode())
wbuf = b""
while b"\r\n\r\n" not in wbuf:
    wbuf += ws.recv(4096)
wbuf = wbuf.split(b"\r\n\r\n", 1)[1]


def ws_new_event():
    """Reads frames until a text frame whose JSON says "new"."""
    global wbuf
    while True:
        while len(wbuf) < 2:
            wbuf += ws.recv(65536)
        n, at = wbuf[1] & 0x7F, 2
        if n == 126:
            while len(wbuf) < 4:
                wbuf += ws.recv(65536)
            n, at = int.from_bytes(wbuf[2:4], "big"), 4
        elif n == 127:
            while len(wbuf) < 10:
                wbuf += ws.recv(65536)
            n, at = int.from_bytes(wbuf[2:10], "big"), 10
        while len(wbuf) < at + n:
            wbuf += ws.recv(65536)
        op, payload, wbuf = wbuf[0] & 0x0F, wbuf[at:at + n], wbuf[at + n:]
        if op == 1 and b'"Type":"new"' in payload.replace(b" ", b""):
            return


def imap_exists():
    global ibuf
    while b"EXISTS\r\n" not in ibuf:
        d = imap.recv(65536)
        if not d:
            sys.exit("IMAP closed during IDLE")
        ibuf += d
    ibuf = ibuf.split(b"EXISTS\r\n", 1)[1]


s = smtplib.SMTP(*smtp_a)
s.ehlo("bench.test")
to_idle, to_page = [], []
msg = "Subject: latency\r\n\r\n" + ("x" * 99 + "\r\n") * 10
for i in range(count):
    s.mail("a@bench.test")
    s.rcpt("bob@bench.test")
    code, _ = s.data(msg)
    t0 = time.perf_counter()
    assert code == 250, code
    # The socket reads come in whichever order they happened; both were
    # sent by the server at once, so reading one first delays the other
    # measurement by at most the first's read time.
    imap_exists()
    t1 = time.perf_counter()
    ws_new_event()
    t2 = time.perf_counter()
    to_idle.append((t1 - t0) * 1000)
    to_page.append((t2 - t0) * 1000)
s.quit()


def show(name, v):
    v = sorted(v)
    p95 = v[max(0, int(len(v) * 0.95) - 1)]
    print(f"{name}: median {statistics.median(v):.2f} ms, p95 {p95:.2f} ms, max {v[-1]:.2f} ms ({len(v)} messages)")


show("250 -> IMAP IDLE EXISTS", to_idle)
show("250 -> web page 'new' event", to_page)

#!/usr/bin/env python3
"""A WebSocket client of mailkit's /api/events for bench/serve.sh: the
RFC 6455 handshake, then every text message printed, one a line, until
killed."""
import base64
import os
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
assert host.startswith("127."), "loopback only"
s = socket.create_connection((host, int(port)))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /api/events HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
buf = buf.split(b"\r\n\r\n", 1)[1]
out = sys.stdout
while True:
    while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7F if buf[1] & 0x7F < 126 else 8):
        d = s.recv(65536)
        if not d:
            sys.exit(0)
        buf += d
    n, at = buf[1] & 0x7F, 2
    if n == 126:
        n, at = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(buf[2:10], "big"), 10
    while len(buf) < at + n:
        d = s.recv(65536)
        if not d:
            sys.exit(0)
        buf += d
    op, payload, buf = buf[0] & 0x0F, buf[at:at + n], buf[at + n:]
    if op == 1:
        out.write(payload.decode("utf-8", "replace") + "\n")
        out.flush()

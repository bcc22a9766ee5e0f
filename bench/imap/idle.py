#!/usr/bin/env python3
"""Opens N IMAP connections to a loopback server, each LOGIN, SELECT INBOX,
IDLE (pipelined), waits for every "+ " continuation, prints "READY n=N",
holds until stdin closes, then ends them. One thread, selectors."""
import selectors
import socket
import sys
import time

host, port, user, pw, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
assert host.startswith("127."), "loopback only"
sel = selectors.DefaultSelector()
hello = f"a LOGIN {user} {pw}\r\nb SELECT INBOX\r\nc IDLE\r\n".encode()
idle = 0
buf = {}
t0 = time.monotonic()
opened = 0
pending = []
while opened < n or buf:
    while opened < n and len(buf) < 200:
        s = socket.create_connection((host, port))
        s.setblocking(False)
        s.sendall(hello)
        buf[s] = b""
        sel.register(s, selectors.EVENT_READ)
        opened += 1
    for key, _ in sel.select(timeout=30):
        s = key.fileobj
        d = s.recv(65536)
        if not d:
            sys.exit(f"connection closed before IDLE after {idle} idling: {buf[s][-200:]!r}")
        b = buf[s] + d
        if b"c BAD" in b or b"c NO" in b or b"b NO" in b or b"a NO" in b:
            sys.exit(f"refused: {b[-300:]!r}")
        if b"\r\n+ " in b or b.startswith(b"+ "):
            sel.unregister(s)
            del buf[s]
            pending.append(s)
            idle += 1
        else:
            buf[s] = b[-4096:]
print(f"READY n={idle} secs={time.monotonic() - t0:.1f}", flush=True)
sys.stdin.read()
for s in pending:
    try:
        s.sendall(b"DONE\r\nd LOGOUT\r\n")
    except OSError:
        pass
for s in pending:
    s.close()

#!/usr/bin/env python3
"""SEARCH TEXT WORD on an IMAP server, R times on one connection (after
one warm-up search); prints "COUNT seconds..." (the hits, then each run's
time)."""
import imaplib
import sys
import time

host, port, user, pw, word, r = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
c = imaplib.IMAP4(host, port, timeout=600)
c.login(user, pw)
c.select("INBOX", readonly=True)
typ, data = c.search(None, "TEXT", word)
hits = len(data[0].split())
times = []
for _ in range(r):
    t0 = time.perf_counter()
    typ, data = c.search(None, "TEXT", word)
    times.append(time.perf_counter() - t0)
    assert typ == "OK" and len(data[0].split()) == hits
c.logout()
print(hits, " ".join(f"{t:.4f}" for t in times))

#!/usr/bin/env python3
"""From the SMTP 250 to the IDLE client's "* N EXISTS": an IDLE client on
the IMAP server, then R messages sent over SMTP one at a time; for each,
the time from the 250 after the final dot to the EXISTS. Prints the
milliseconds, one line."""
import smtplib
import socket
import sys
import time

ih, ip, user, pw, sh, sp, rcpt, r = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7], int(sys.argv[8])
s = socket.create_connection((ih, ip))
f = s.makefile("rb")
f.readline()
s.sendall(f"a LOGIN {user} {pw}\r\nb SELECT INBOX\r\nc IDLE\r\n".encode())
while not f.readline().startswith(b"+"):
    pass
smtp = smtplib.SMTP(sh, sp)
out = []
for i in range(r):
    msg = f"From: a@bench.test\r\nTo: {rcpt}\r\nSubject: latency {i}\r\n\r\nhello\r\n"
    smtp.sendmail("a@bench.test", [rcpt], msg)
    t0 = time.perf_counter()
    while True:
        line = f.readline()
        if not line:
            sys.exit("IMAP connection closed")
        if line.endswith(b"EXISTS\r\n"):
            break
    out.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.137)  # land at a different point of any poll interval each time
smtp.quit()
s.sendall(b"DONE\r\nd LOGOUT\r\n")
print(" ".join(f"{x:.1f}" for x in out))

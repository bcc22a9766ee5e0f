#!/usr/bin/env python3
"""Messages for bench/http.sh, the same for every server.

    make-corpus.py maildir ROOT N BOXES    # N files into ROOT/<box>/new, mtimes spread over N minutes
    make-corpus.py smtp HOST:PORT N        # the first N of the same messages over SMTP (smtplib)

Message i: From one of 50 senders, To one of BOXES mailboxes, Subject
"Report <i> about <topic>" (100 topics: `subject:<topic>` matches 1 %),
a body of 60 words from a 2,000-word vocabulary, and the word "zanzibar"
in one message of 500 (0.2 %: the body-word search); about 1.2 KB each.
Deterministic (seeded), so every server holds the same mail.
"""
import os
import random
import smtplib
import sys
import time

TOPICS = [f"topic{t:02d}" for t in range(100)]


def vocabulary(rng):
    letters = "abcdefghijklmnopqrstuvwxy"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(2000)]


def message(i, boxes, rng, vocab, when):
    to = f"user{i % boxes:02d}@bench.test"
    words = [rng.choice(vocab) for _ in range(60)]
    if i % 500 == 7:
        words[rng.randrange(60)] = "zanzibar"
    body = "\n".join(" ".join(words[k:k + 12]) for k in range(0, 60, 12))
    head = (f"From: Sender {i % 50} <sender{i % 50}@crepes.fr>\n"
            f"To: {to}\n"
            f"Subject: Report {i} about {TOPICS[i % 100]}\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(when))}\n"
            f"Message-ID: <bench.{i}@crepes.fr>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n")
    return to, (head + "\n" + body + "\n").encode()


def main():
    kind, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    boxes = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    rng = random.Random(42)
    vocab = vocabulary(rng)
    start = time.time() - n * 60 - 3600
    if kind == "maildir":
        made = set()
        for i in range(n):
            when = start + i * 60
            to, data = message(i, boxes, rng, vocab, when)
            d = os.path.join(target, to)
            if d not in made:
                for sub in ("tmp", "new", "cur"):
                    os.makedirs(os.path.join(d, sub), exist_ok=True)
                made.add(d)
            p = os.path.join(d, "new", f"{int(when)}.M{i}P1.bench")
            with open(p, "wb") as f:
                f.write(data)
            os.utime(p, (when, when))
    else:
        host, port = target.rsplit(":", 1)
        with smtplib.SMTP(host, int(port)) as s:
            for i in range(n):
                to, data = message(i, boxes, rng, vocab, start + i * 60)
                s.sendmail(f"sender{i % 50}@crepes.fr", [to], data.replace(b"\n", b"\r\n"))


if __name__ == "__main__":
    main()

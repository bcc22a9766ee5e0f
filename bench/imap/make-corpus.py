#!/usr/bin/env python3
"""Writes the IMAP bench's Maildirs (seeded, so every run has the same mail).

  make-corpus.py fetch DIR N SIZE   N messages of SIZE bytes (plain text)
  make-corpus.py search DIR N WORD  N varied messages; WORD in every 100th
                                    (in a header, a plain body, a
                                    quoted-printable or a base64 part)
  make-corpus.py small DIR N        N short messages (the IDLE mailbox)
"""
import base64
import mailbox
import quopri
import random
import sys

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam "
         "quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
         "consequat duis aute irure in reprehenderit voluptate velit esse cillum "
         "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
         "sunt culpa qui officia deserunt mollit anim id est laborum").split()


def text(rng, n):
    out, line = [], []
    for _ in range(n):
        line.append(rng.choice(WORDS))
        if len(line) == 12:
            out.append(" ".join(line))
            line = []
    out.append(" ".join(line))
    return "\n".join(out) + "\n"


def head(i, subject, extra=""):
    return (f"From: Alice <alice@bench.test>\nTo: bob@bench.test\n"
            f"Subject: {subject}\nMessage-ID: <{i}@bench.test>\n"
            f"Date: Mon, 30 Nov 2026 12:00:00 +0000\n{extra}")


def main():
    kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    md = mailbox.Maildir(path, create=True)
    rng = random.Random(42)
    if kind == "fetch":
        size = int(sys.argv[4])
        line = b"x" * 75 + b"\n"
        for i in range(n):
            h = head(i, f"bench {i}").encode() + b"\n"
            md.add(h + (line * (size // 76 + 1))[: max(0, size - len(h))])
    elif kind == "small":
        for i in range(n):
            md.add((head(i, f"hello {i}") + "\n" + text(rng, 40)).encode())
    elif kind == "search":
        word = sys.argv[4]
        for i in range(n):
            body = text(rng, rng.randint(150, 600))
            hit = i % 100 == 50
            where = (i // 100) % 4
            subject = f"report {i}" + (f" {word}" if hit and where == 0 else "")
            if hit and where == 1:
                body += f"see {word} here\n"
            if i % 5 == 4:  # multipart: a quoted-printable text, a base64 attachment
                t = body + ("caf\u00e9 na\u00efve\n" if i % 2 else "")
                if hit and where == 2:
                    t += f"{word}\n"
                att = text(rng, 200) + (f"{word}\n" if hit and where == 3 else "")
                qp = quopri.encodestring(t.encode()).decode()
                b64 = base64.encodebytes(att.encode()).decode()
                msg = (head(i, subject, "MIME-Version: 1.0\n"
                            "Content-Type: multipart/mixed; boundary=\"b1\"\n") +
                       "\n--b1\nContent-Type: text/plain; charset=utf-8\n"
                       "Content-Transfer-Encoding: quoted-printable\n\n" + qp +
                       "\n--b1\nContent-Type: text/plain; name=\"notes.txt\"\n"
                       "Content-Disposition: attachment; filename=\"notes.txt\"\n"
                       "Content-Transfer-Encoding: base64\n\n" + b64 + "\n--b1--\n")
            else:
                if hit and where in (2, 3):
                    body += f"{word}\n"
                msg = head(i, subject) + "\n" + body
            md.add(msg.encode())
    else:
        sys.exit(f"unknown kind {kind}")


main()

#!/usr/bin/env python3
"""Writes a corpus of N .eml messages into DIR: a fixed mix of plain text,
multipart/alternative, messages with attachments (base64), encoded words
in Subject and display names, quoted-printable bodies and forwarded
messages (message/rfc822). Deterministic (seeded), so runs compare.

    bench/parse/make-corpus.py DIR [N]
"""
import os
import random
import sys
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta

out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
os.makedirs(out, exist_ok=True)
rnd = random.Random(5322)
WORDS = ("mail message server client header body part boundary charset "
         "résumé Grüße naïve café œuvre 東京 привет hello world").split()
NAMES = ["Alice Liddell", "Bob", "Jörg Müller", "Zoë", "Carol", "Dmitri Иванов", "李雷"]


def text(lines):
    return "\n".join(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12)))
                     for _ in range(lines)) + "\n"


def base(i):
    m = EmailMessage()
    m["From"] = f"{rnd.choice(NAMES)} <user{i % 97}@example.org>"
    m["To"] = ", ".join(f"{rnd.choice(NAMES)} <rcpt{j}@example.net>" for j in range(rnd.randint(1, 3)))
    if i % 5 == 0:
        m["Cc"] = f"cc{i % 13}@example.com"
    m["Subject"] = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 7)))
    m["Date"] = format_datetime(datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=1)))
                                + timedelta(minutes=i))
    m["Message-ID"] = f"<corpus.{i}@example.org>"
    return m


for i in range(n):
    kind = i % 5
    m = base(i)
    if kind == 0:                                   # plain, maybe 8-bit text as QP
        m.set_content(text(rnd.randint(3, 30)))
    elif kind == 1:                                 # alternative
        t = text(rnd.randint(3, 20))
        m.set_content(t)
        m.add_alternative("<html><body><p>" + t.replace("\n", "</p><p>") + "</p></body></html>\n",
                          subtype="html")
    elif kind == 2:                                 # attachments
        m.set_content(text(rnd.randint(2, 10)))
        for k in range(rnd.randint(1, 2)):
            blob = rnd.randbytes(rnd.randint(2000, 20000))
            m.add_attachment(blob, maintype="application", subtype="octet-stream",
                             filename=f"{rnd.choice(WORDS)}-{k}.bin")
    elif kind == 3:                                 # alternative + attachment
        m.set_content(text(rnd.randint(3, 15)))
        m.add_alternative("<p>" + text(3) + "</p>\n", subtype="html")
        m.add_attachment(rnd.randbytes(rnd.randint(500, 5000)), maintype="image", subtype="png",
                         filename=f"{rnd.choice(NAMES)}.png")
    else:                                           # forwarded message
        inner = base(i + 1)
        inner.set_content(text(rnd.randint(2, 10)))
        m.set_content("See the forwarded message.\n")
        m.add_attachment(inner)
    with open(os.path.join(out, f"{i:05d}.eml"), "wb") as f:
        f.write(bytes(m))

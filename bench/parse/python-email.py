#!/usr/bin/env python3
"""The peer for bench/parse.sh: Python's email package over every .eml in
DIR, message_from_binary_file with policy.default, walking every part
(content type and file name read, as `parse --json` reports them).

    bench/parse/python-email.py DIR
"""
import email
import email.policy
import os
import sys

d = sys.argv[1]
parts = 0
for name in sorted(os.listdir(d)):
    if not name.endswith(".eml"):
        continue
    with open(os.path.join(d, name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    for p in msg.walk():
        p.get_content_type()
        p.get_filename()
        parts += 1
print(parts, "parts", file=sys.stderr)

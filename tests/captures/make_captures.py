#!/usr/bin/env python3
"""Writes the sample captures: byte streams as a tutorial-style client sends them.

Run from anywhere: python3 make_captures.py. Each frame is built the way the tutorials
teach: struct.pack('i', len(header)) + JSON header + body.
"""
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(header, body=b""):
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return struct.pack("<i", len(head)) + head + body


POEM = (
    "TCP is a stream of bytes;\n"
    "messages merge and split in flight.\n"
    "Four bytes of length, a header, a body:\n"
    "the receiver counts, and gets them right.\n"
).encode("utf-8")

session = b"".join([
    frame({"op": "hello", "client": "tutorial.py"}),
    frame({"op": "chat", "text": "你好, Seam!"}),
    frame({"cmd": "put", "filename": "poem.txt", "filesize": len(POEM)}, POEM),
    frame({"op": "put_end", "md5": hashlib.md5(POEM).hexdigest()}),
    frame({"filename": "empty.txt", "size": 0}),
    frame({"op": "echo", "size": 5}, b"hello"),
])

with open(os.path.join(HERE, "tutorial-session.bin"), "wb") as f:
    f.write(session)

# The same kind of upload, cut off by a dropped connection 10 bytes before its end.
upload = frame({"cmd": "put", "filename": "poem.txt", "filesize": len(POEM)}, POEM)
with open(os.path.join(HERE, "cut-short.bin"), "wb") as f:
    f.write(upload[:-10])

#!/usr/bin/env python3
"""An upload client written the way the Python socket tutorials teach it.

Usage: python3 tutorial_client.py HOST PORT FILE...

For every file: a JSON header, its length packed with struct.pack('i', ...), then the raw
file bytes read in 1024- or 8192-byte pieces and sent with sendall. All files go one after
another on the same connection, and the client closes it without reading any reply, as
the tutorials' clients do. Only the standard library is used.
"""

import json
import os
import socket
import struct
import sys


def send_file(sock, path, index):
    filename = os.path.basename(path)
    filesize = os.path.getsize(path)
    # The two header styles the tutorials use.
    if index % 2 == 0:
        header = {"cmd": "put", "filename": filename, "filesize": filesize}
        piece = 1024
    else:
        header = {"filename": filename, "size": filesize}
        piece = 8192
    header_bytes = json.dumps(header).encode("utf-8")
    sock.sendall(struct.pack("i", len(header_bytes)))
    sock.sendall(header_bytes)
    sent = 0
    with open(path, "rb") as f:
        while sent < filesize:
            data = f.read(piece)
            if not data:
                raise RuntimeError("%s shrank while it was sent" % path)
            sock.sendall(data)
            sent += len(data)
    print("sent %s (%d bytes)" % (filename, sent))


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    host, port, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((host, port))
    for index, path in enumerate(paths):
        send_file(sock, path, index)
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

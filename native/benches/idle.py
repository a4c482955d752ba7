#!/usr/bin/env python3
"""Memory of idle connections held by `seam serve`.

Opens N connections (default 2,000) to one server; each sends one echo request (of --body
bytes, default 200 KiB, so that its body streamed through the large read buffer) and then
stays open, idle. Prints the server's resident memory (VmRSS) before and after, and the
growth per idle connection against the target of 16 KiB. The baseline is the same server,
in the same run, after the same number of connections came and went (warm-up), so the
allocator's own caches are counted in both figures. `--seam PATH` measures another build
(for example one of an older version) the same way. It asserts nothing.

Usage (from the repository root):  python3 native/benches/idle.py [--conns 2000] [--body 204800]
"""
import argparse
import json
import resource
import socket
import struct
import tempfile
import time

from seam_bench import SeamServer, build_seam, uptime

TARGET_KIB = 16


def frame(header, body=b""):
    head = json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + body


def read_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return bytes(data)


def echo(sock, body):
    sock.sendall(frame({"op": "echo", "size": len(body)}, body))
    (head_len,) = struct.unpack("<I", read_exactly(sock, 4))
    header = json.loads(read_exactly(sock, head_len))
    assert header["op"] == "echo", header
    assert read_exactly(sock, header["size"]) == body


def connect(addr):
    host, port = addr.rsplit(":", 1)
    return socket.create_connection((host, int(port)))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conns", type=int, default=2000)
    parser.add_argument("--body", type=int, default=200 * 1024)
    parser.add_argument("--seam", help="the seam binary to measure (default: build this one)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    seam = args.seam or build_seam()
    body = b"x" * args.body
    print(f"load before: {uptime()}")
    with tempfile.TemporaryDirectory() as root:
        server = SeamServer(seam, root)
        try:
            pid = server.proc.pid
            warm = [connect(server.addr) for _ in range(min(args.conns, 200))]
            for sock in warm:
                echo(sock, body)
            for sock in warm:
                sock.close()
            time.sleep(0.5)
            before = rss_kib(pid)
            idle = []
            for _ in range(args.conns):
                sock = connect(server.addr)
                echo(sock, body)
                idle.append(sock)
            time.sleep(0.5)
            after = rss_kib(pid)
            per_conn = (after - before) / args.conns
            verdict = "PASS" if per_conn <= TARGET_KIB else "BELOW"
            print(f"server RSS: {before / 1024:.1f} MiB with no connection, "
                  f"{after / 1024:.1f} MiB with {args.conns} idle connections "
                  f"(each after one {args.body}-byte echo)")
            print(f"per idle connection: {per_conn:.1f} KiB (target <= {TARGET_KIB} KiB): {verdict}")
            for sock in idle:
                sock.close()
        finally:
            server.stop()
    print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()

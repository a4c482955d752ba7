#!/usr/bin/env python3
"""Transfer benchmark of `seam serve` / `seam put` / `seam get` on loopback.

Every figure is measured in the same run, on the same file, against baselines:
  * md5sum of the file (one core hashing: the physical limit of a verified transfer),
  * a raw socket copy of the same bytes into a file (no framing, no hashing),
  * an upload with a Python client and server written as the tutorials teach
    (struct.pack('i') + JSON header + recv loop; no hashing, no prints).
It prints medians of several runs and the ratios the project targets; it asserts nothing.

Usage (from the repository root):  python3 native/benches/transfer.py [--size-mib 1024] [--runs 3]
"""
import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

from seam_bench import SeamServer, build_seam, peak_rss_mib

BLOCK = 1 << 20


def make_file(path, size):
    with open(path, "wb") as f:
        left = size
        seed = os.urandom(BLOCK)
        i = 0
        while left > 0:
            # Cheap, incompressible-enough data: a random block with a counter stamped in.
            block = struct.pack("<Q", i) + seed[8:]
            f.write(block[: min(left, BLOCK)])
            left -= BLOCK
            i += 1


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- raw socket copy: the same bytes through a socket into a file, nothing else ---------

def raw_copy(src, dst):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def receive():
        conn, _ = listener.accept()
        buf = bytearray(BLOCK)
        view = memoryview(buf)
        with open(dst, "wb") as out:
            while True:
                n = conn.recv_into(buf)
                if n == 0:
                    break
                out.write(view[:n])
        conn.close()

    t = threading.Thread(target=receive)
    t.start()
    with socket.create_connection(("127.0.0.1", port)) as s, open(src, "rb") as f:
        s.sendfile(f)
        s.shutdown(socket.SHUT_WR)
    t.join()
    listener.close()


# --- the tutorials' upload, as tutorial 000 teaches it (its per-chunk print and MD5 left
# out, which only makes it faster): struct.pack('i') + JSON header, the file sent line by
# line (`for line in f`), received with recv(1024) ---------------------------------------

TUTORIAL_SERVER = r'''
import json, socket, struct, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(5)
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
file_info_length = struct.unpack("i", conn.recv(4))[0]
file_info = json.loads(conn.recv(file_info_length).decode("utf8"))
filename, filesize = file_info["filename"], file_info["filesize"]
recv_data_length = 0
with open(sys.argv[1] + "/" + filename, "wb") as f:
    while recv_data_length < filesize:
        data = conn.recv(1024)
        if not data:
            break
        recv_data_length += len(data)
        f.write(data)
conn.close()
'''

TUTORIAL_CLIENT = r'''
import json, os, socket, struct, sys
port, filename = int(sys.argv[1]), sys.argv[2]
sock = socket.socket()
sock.connect(("127.0.0.1", port))
file_info = {"action": "put", "filename": os.path.basename(filename), "filesize": os.path.getsize(filename)}
file_info_json = json.dumps(file_info).encode("utf8")
sock.send(struct.pack("i", len(file_info_json)))
sock.send(file_info_json)
with open(filename, "rb") as f:
    for line in f:
        sock.sendall(line)
sock.close()
'''


def tutorial_upload(src, root):
    server = subprocess.Popen([sys.executable, "-c", TUTORIAL_SERVER, root], stdout=subprocess.PIPE)
    port = int(server.stdout.readline())
    subprocess.run([sys.executable, "-c", TUTORIAL_CLIENT, str(port), src], check=True)
    server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--dir",
        default="/dev/shm" if os.path.isdir("/dev/shm") else None,
        help="where the files go (default: /dev/shm, a RAM disk, so that the figures measure "
        "the transfer and not the disk; fsync there is free). Give a disk folder to include "
        "the disk's write speed, which then bounds every verified, fsynced transfer.",
    )
    args = parser.parse_args()
    seam = build_seam()
    work = tempfile.mkdtemp(prefix="seam-bench-", dir=args.dir)
    try:
        src = os.path.join(work, "payload.bin")
        size = args.size_mib << 20
        make_file(src, size)
        subprocess.run(["cat", src], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        md5 = subprocess.run(["md5sum", src], capture_output=True, text=True, check=True).stdout.split()[0]
        times = {k: [] for k in ["md5sum", "raw", "up", "down", "tutorial"]}
        rss = []
        cpu = {k: [] for k in ["md5sum", "up_client", "up_server"]}
        for run in range(args.runs):
            before = children_cpu()
            times["md5sum"].append(timed(lambda: subprocess.run(["md5sum", src], stdout=subprocess.DEVNULL, check=True)))
            cpu["md5sum"].append(children_cpu() - before)
            raw_dst = os.path.join(work, "raw.bin")
            times["raw"].append(timed(lambda: raw_copy(src, raw_dst)))
            os.remove(raw_dst)

            root = os.path.join(work, f"root{run}")
            server = SeamServer(seam, root)
            up = [seam, "put", src, "--server", server.addr, "--json", "--quiet"]
            result = {}
            def upload():
                result["out"] = subprocess.run(up, capture_output=True, text=True, check=True).stdout
            before, server_before = children_cpu(), cpu_seconds(server.proc.pid)
            times["up"].append(timed(upload))
            cpu["up_client"].append(children_cpu() - before)
            cpu["up_server"].append(cpu_seconds(server.proc.pid) - server_before)
            rss.append(peak_rss_mib(server.proc.pid))
            assert json.loads(result["out"])["md5"] == md5, "upload MD5"
            dst = os.path.join(work, "down.bin")
            down = [seam, "get", "payload.bin", "-o", dst, "--server", server.addr, "--quiet", "--force"]
            times["down"].append(timed(lambda: subprocess.run(down, check=True)))
            server.stop()
            shutil.rmtree(root)
            os.remove(dst)

            tut_root = os.path.join(work, "tutorial")
            os.makedirs(tut_root, exist_ok=True)
            times["tutorial"].append(timed(lambda: tutorial_upload(src, tut_root)))
            shutil.rmtree(tut_root)

        med = {k: statistics.median(v) for k, v in times.items()}
        mb = size / 1e6
        print(f"\nSeam transfer benchmark: {args.size_mib} MiB file in {args.dir or tempfile.gettempdir()}, "
              f"{args.runs} runs, medians, loopback, {os.cpu_count()} cores")
        print(f"{'measurement':<34}{'seconds':>9}{'MB/s':>9}")
        for key, label in [("md5sum", "md5sum (hash only)"), ("raw", "raw socket copy (no hash)"),
                           ("up", "seam put (hash both sides)"), ("down", "seam get (hash both sides)"),
                           ("tutorial", "tutorial Python upload (no hash)")]:
            print(f"{label:<34}{med[key]:>9.2f}{mb / med[key]:>9.0f}")
        c = {k: statistics.median(v) for k, v in cpu.items()}
        floor = (c["up_client"] + c["up_server"]) / (os.cpu_count() or 1)
        print(f"\nCPU seconds (user + system): md5sum {c['md5sum']:.2f}; seam put: client {c['up_client']:.2f}, "
              f"server {c['up_server']:.2f}. Both sides hash the whole file on a {os.cpu_count()}-core machine, so "
              f"no schedule can beat (client + server) / cores = {floor:.2f} s, i.e. {floor / med['md5sum']:.2f}x md5sum.")
        rows = [
            ("upload / md5sum", med["up"] / med["md5sum"], "<= 1.3", med["up"] / med["md5sum"] <= 1.3),
            ("download / md5sum", med["down"] / med["md5sum"], "<= 1.3", med["down"] / med["md5sum"] <= 1.3),
            ("upload / raw socket copy", med["up"] / med["raw"], "(info)", None),
            ("download / raw socket copy", med["down"] / med["raw"], "(info)", None),
            ("speed-up over the tutorial upload", med["tutorial"] / med["up"], ">= 2.5", med["tutorial"] / med["up"] >= 2.5),
            ("server peak RSS during upload, MiB", max(rss), "<= 32", max(rss) <= 32),
        ]
        print(f"\n{'ratio':<38}{'value':>8}  {'target':<8}verdict")
        for name, value, target, ok in rows:
            verdict = "" if ok is None else ("PASS" if ok else "BELOW TARGET")
            print(f"{name:<38}{value:>8.2f}  {target:<8}{verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

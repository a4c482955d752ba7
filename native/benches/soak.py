#!/usr/bin/env python3
"""Soak test of `seam serve`: mixed traffic from several clients at once for N minutes.

Each client loops over: upload a file (sizes vary up to 4 MiB), download it back and check its
MD5, an echo (`seam send`), a chat visit (`seam chat`, one line), and an allowed command
(`seam exec -- echo`). Meanwhile the server's resident memory is sampled every second. At the
end it prints the operations per kind, failures, and the server's RSS after the first 10 s,
at its peak, and at the end. It asserts nothing; its exit code is 1 when an operation failed.

Usage (from the repository root):  python3 native/benches/soak.py [--minutes 5] [--clients 4]
"""
import argparse
import collections
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time

from seam_bench import SeamServer, build_seam, uptime


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def client_loop(seam, addr, cid, end, work, counts, failures, lock):
    folder = os.path.join(work, f"client-{cid}")
    back = os.path.join(folder, "back")
    os.makedirs(back)
    rnd = 0
    while time.time() < end:
        rnd += 1
        name = f"soak-{cid}-{rnd % 8}.bin"
        path = os.path.join(folder, name)
        data = os.urandom((rnd * 7919 + cid * 104729) % (4 << 20))
        with open(path, "wb") as f:
            f.write(data)
        ops = [
            ("put", [seam, "put", path, "--force", "--quiet", "--server", addr], None),
            ("get", [seam, "get", name, "-o", back, "--force", "--quiet", "--server", addr], None),
            ("send", [seam, "send", f"soak {cid} {rnd}", "--quiet", "--server", addr], None),
            ("chat", [seam, "chat", "--name", f"soak{cid}-{rnd}", "--quiet", "--server", addr], b"hello\n"),
            ("exec", [seam, "exec", "--quiet", "--server", addr, "--", "echo", "soak"], None),
        ]
        for kind, argv, stdin in ops:
            result = subprocess.run(argv, input=stdin, capture_output=True, timeout=120)
            ok = result.returncode == 0
            if ok and kind == "get":
                with open(os.path.join(back, name), "rb") as f:
                    ok = hashlib.md5(f.read()).hexdigest() == hashlib.md5(data).hexdigest()
            with lock:
                counts[kind] += 1
                if not ok:
                    failures.append(f"{kind}: {result.stderr.decode(errors='replace').strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--dir", default=None, help="where the server's root and files go")
    args = parser.parse_args()

    seam = build_seam()
    work = tempfile.mkdtemp(prefix="seam-soak-", dir=args.dir)
    try:
        server = SeamServer(seam, os.path.join(work, "root"), "--allow-exec", "echo")
        print(f"soak: {args.clients} clients for {args.minutes} min; {uptime()}", flush=True)
        start = time.time()
        end = start + args.minutes * 60
        counts, failures, lock = collections.Counter(), [], threading.Lock()
        threads = [
            threading.Thread(
                target=client_loop,
                args=(seam, server.addr, cid, end, work, counts, failures, lock),
            )
            for cid in range(args.clients)
        ]
        for t in threads:
            t.start()
        samples = []
        while any(t.is_alive() for t in threads):
            samples.append((time.time() - start, rss_mib(server.proc.pid)))
            time.sleep(1)
        for t in threads:
            t.join()
        final = rss_mib(server.proc.pid)
        server.stop()
        at_10 = next((rss for t, rss in samples if t >= 10), float("nan"))
        peak = max(rss for _, rss in samples)
        total = sum(counts.values())
        print(f"operations: {total} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
        print(f"failed: {len(failures)}")
        for failure in failures[:20]:
            print(f"  {failure}")
        print(f"server RSS, MiB: {at_10:.1f} after 10 s, {peak:.1f} peak, {final:.1f} at the end "
              f"(end / 10 s = {final / at_10:.3f})")
        print(uptime())
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

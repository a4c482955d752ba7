#!/usr/bin/env python3
"""TLS benchmark: `seam put` / `seam get` of one file over TLS against plain TCP, and the
cost of a new connection (connect, TLS handshake, hello, one echo round trip), in the same
run on loopback. Plain and TLS runs alternate, so that both see the same machine load.

Targets: TLS upload and download at least 0.8x the plain figures; a new TLS connection with
one echo round trip at most 2 ms p50. It prints medians and ratios; it asserts nothing.

Usage (from the repository root):  python3 native/benches/tls.py [--size-mib 1024] [--runs 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from seam_bench import SeamServer, build_seam, uptime
from transfer import children_cpu, cpu_seconds, make_file


def start(seam, root, tls):
    """A server, plain or TLS; with TLS, the client flags that pin its certificate."""
    server = SeamServer(seam, root, *(["--tls"] if tls else []))
    if not tls:
        return server, []
    line = server.proc.stdout.readline().decode()
    fingerprint = next(word for word in line.split() if word.startswith("SHA256:"))
    return server, ["--fingerprint", fingerprint]


def timed(command, env, server):
    """Wall seconds of a client command, and the CPU seconds it and the server used."""
    cpu_before = children_cpu() + cpu_seconds(server.proc.pid)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    return wall, children_cpu() + cpu_seconds(server.proc.pid) - cpu_before


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument(
        "--dir",
        default="/dev/shm" if os.path.isdir("/dev/shm") else None,
        help="where the files go (default: /dev/shm, a RAM disk, so that the disk is not the limit)",
    )
    args = parser.parse_args()
    seam = build_seam()
    size = args.size_mib << 20
    work = tempfile.mkdtemp(prefix="seam-tls-bench-", dir=args.dir)
    env = {**os.environ, "XDG_CONFIG_HOME": os.path.join(work, "config")}
    env.pop("SEAM_TLS", None)
    env.pop("SEAM_TOKEN", None)
    try:
        src = os.path.join(work, "payload.bin")
        make_file(src, size)
        times = {(mode, op): [] for mode in ("plain", "tls") for op in ("up", "down")}
        cpu = {key: [] for key in times}
        for _ in range(args.runs):
            for mode in ("plain", "tls"):
                root = os.path.join(work, f"root-{mode}")
                server, flags = start(seam, root, mode == "tls")
                try:
                    up = [seam, "put", src, "--server", server.addr, "--quiet", "--force", *flags]
                    wall, used = timed(up, env, server)
                    times[(mode, "up")].append(wall)
                    cpu[(mode, "up")].append(used)
                    dst = os.path.join(work, "back.bin")
                    down = [seam, "get", "payload.bin", "-o", dst, "--server", server.addr,
                            "--quiet", "--force", *flags]
                    wall, used = timed(down, env, server)
                    times[(mode, "down")].append(wall)
                    cpu[(mode, "down")].append(used)
                    os.remove(dst)
                    os.remove(os.path.join(root, "payload.bin"))
                finally:
                    server.stop()
        connect = {}
        for mode in ("plain", "tls"):
            server, flags = start(seam, os.path.join(work, f"root-{mode}"), mode == "tls")
            try:
                out = subprocess.run(
                    [seam, "bench-connect", "--server", server.addr,
                     "--connections", str(args.connections), *flags],
                    check=True, env=env, capture_output=True, text=True,
                ).stdout
                connect[mode] = json.loads(out)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = size / 1e6
    rate = {key: mb / statistics.median(value) for key, value in times.items()}
    print(f"\nSeam TLS benchmark: {args.size_mib} MiB file in {args.dir or tempfile.gettempdir()}, "
          f"{args.runs} runs each, medians, loopback, {os.cpu_count()} cores; {uptime()}")
    print(f"{'measurement':<36}{'plain MB/s':>12}{'TLS MB/s':>12}{'TLS/plain':>11}")
    for op, label in (("up", "seam put (MD5 both sides)"), ("down", "seam get (MD5 both sides)")):
        print(f"{label:<36}{rate[('plain', op)]:>12.0f}{rate[('tls', op)]:>12.0f}"
              f"{rate[('tls', op)] / rate[('plain', op)]:>11.2f}")
    print("\nCPU seconds, client + server (less sensitive to other load than wall time):")
    for op in ("up", "down"):
        p, t = statistics.median(cpu[("plain", op)]), statistics.median(cpu[("tls", op)])
        print(f"  {op:<5} plain {p:.2f}  TLS {t:.2f}  TLS/plain {t / p:.2f}")
    print(f"\nnew connection + hello + one 16-byte echo, {args.connections} connections one after another:")
    for mode in ("plain", "tls"):
        c = connect[mode]
        print(f"  {mode:<6} p50 {c['p50_ms']:.3f} ms   p99 {c['p99_ms']:.3f} ms   max {c['max_ms']:.3f} ms")
    rows = [
        ("TLS upload / plain upload", rate[("tls", "up")] / rate[("plain", "up")], ">= 0.8"),
        ("TLS download / plain download", rate[("tls", "down")] / rate[("plain", "down")], ">= 0.8"),
        ("TLS new connection p50 (ms)", connect["tls"]["p50_ms"], "<= 2"),
    ]
    print(f"\n{'figure':<36}{'value':>8}  {'target':<8}verdict")
    for name, value, target in rows:
        ok = value >= 0.8 if target.startswith(">=") else value <= 2.0
        print(f"{name:<36}{value:>8.2f}  {target:<8}{'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()

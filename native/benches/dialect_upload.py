#!/usr/bin/env python3
"""Upload through the tutorials' `ftp` dialect against `seam put`, in the same run.

`seam put --dialect ftp FILE` sends the file as the tutorial's FTP client does
(struct.pack('i') + {"cmd": "put", "filename", "filesize"} + the bytes, no reply) to
`seam serve`'s main listener, which stores such uploads with every guarantee of its own
(MD5 on the fly, temporary file, fsync, rename). `seam put FILE` is the baseline. The ftp
upload is timed until the file appears under its final name (the dialect has no reply);
`seam put` until its `stored` reply (which comes after the same rename). It prints medians,
the ratio (target: at least 0.9) and the server's peak RSS (target: under 32 MiB); it
asserts nothing.

Usage (from the repository root):  python3 native/benches/dialect_upload.py [--size-mib 512] [--runs 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from seam_bench import SeamServer, build_seam, peak_rss_mib, uptime
from transfer import make_file


def wait_for(path, size, deadline=120.0):
    start = time.perf_counter()
    while time.perf_counter() - start < deadline:
        try:
            if os.path.getsize(path) == size:
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"{path} did not appear whole within {deadline} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where the files go (default /dev/shm: the transfer, not the disk)")
    args = parser.parse_args()
    seam = build_seam()
    work = tempfile.mkdtemp(prefix="seam-bench-dialect-", dir=args.dir)
    try:
        src = os.path.join(work, "payload.bin")
        size = args.size_mib << 20
        make_file(src, size)
        subprocess.run(["cat", src], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        md5 = subprocess.run(["md5sum", src], capture_output=True, text=True, check=True).stdout.split()[0]
        times = {"put": [], "ftp": []}
        rss = {"put": [], "ftp": []}
        for run in range(args.runs):
            for mode in ["put", "ftp"]:
                root = os.path.join(work, f"root-{mode}-{run}")
                server = SeamServer(seam, root)
                name = f"{mode}-{run}.bin"
                start = time.perf_counter()
                if mode == "put":
                    out = subprocess.run([seam, "put", src, "--as", name, "--server", server.addr,
                                          "--json", "--quiet"], capture_output=True, text=True, check=True).stdout
                    assert json.loads(out)["md5"] == md5, "upload MD5"
                else:
                    out = subprocess.run([seam, "put", "--dialect", "ftp", src, "--as", name, "--server",
                                          server.addr, "--json", "--quiet"], capture_output=True, text=True,
                                         check=True).stdout
                    assert json.loads(out)["md5"] == md5, "ftp upload MD5"
                    wait_for(os.path.join(root, name), size)
                times[mode].append(time.perf_counter() - start)
                rss[mode].append(peak_rss_mib(server.proc.pid))
                server.stop()
                shutil.rmtree(root)
        med = {k: statistics.median(v) for k, v in times.items()}
        mb = size / 1e6
        print(f"\nftp-dialect upload benchmark: {args.size_mib} MiB file in {args.dir or tempfile.gettempdir()}, "
              f"{args.runs} runs, medians, loopback, {os.cpu_count()} cores; {uptime()}")
        print(f"{'measurement':<40}{'seconds':>9}{'MB/s':>9}{'server peak RSS MiB':>21}")
        for key, label in [("put", "seam put (baseline)"), ("ftp", "seam put --dialect ftp")]:
            print(f"{label:<40}{med[key]:>9.3f}{mb / med[key]:>9.0f}{max(rss[key]):>21.1f}")
        ratio = med["put"] / med["ftp"]
        print(f"\nftp speed / seam put speed: {ratio:.2f}x (target >= 0.9)")
        print(f"server peak RSS, ftp: {max(rss['ftp']):.1f} MiB (target < 32)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

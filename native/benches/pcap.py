#!/usr/bin/env python3
"""Benchmark of `seam decode --pcap` on a real capture of about 1 GiB of transfers.

It records, with tcpdump on loopback, `seam put` and `seam get` of two 256 MiB files
(about 1 GiB of Seam traffic, both ways), then times, in the same run:
  * `md5sum` of the capture file (a baseline: reading and hashing every byte once);
  * `seam decode --pcap FILE` (listing: every packet parsed, every stream reassembled);
  * `seam decode --pcap FILE --stream all` (and every byte decoded, events printed);
  * the same on a capture written here of an upload in 1,448-byte segments (what an
    Ethernet link carries; loopback's are up to 64 KiB), for the per-packet cost;
and prints MB/s of capture (medians of --runs runs), the ratios to md5sum, and each
command's peak RSS (VmHWM), which must stay bounded by the reassembly window, not grow with
the capture. Target: at least 300 MB/s of capture on one core. It asserts nothing.

Needs root (tcpdump) and tcpdump installed. Files go under /dev/shm (RAM) so that the disk
does not slow the capture down and make tcpdump drop packets.

Usage (from the repository root):  python3 native/benches/pcap.py [--runs 3] [--mib 256]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_MBPS = 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_mib(pid):
    """The process's peak RSS so far (VmHWM), in MiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed(cmd):
    """Runs cmd (stdout discarded); returns (seconds, peak RSS in MiB).

    The peak is VmHWM sampled every 2 ms while the command runs (it only grows, so the last
    sample is the peak up to then); wait4's ru_maxrss would count the forking Python too."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, vm_hwm_mib(proc.pid))
        time.sleep(0.002)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return seconds, peak


def capture(seam, work, mib):
    cap = os.path.join(work, "transfers.pcap")
    root = os.path.join(work, "root")
    port = free_port()
    dump = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-n", "-s", "0", "-B", "262144", "-w", cap, f"tcp port {port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in dump.stderr:
        if "listening on" in line:
            break
    server = subprocess.Popen([seam, "serve", "--listen", f"127.0.0.1:{port}", "--root", root],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    server.stdout.readline()
    addr = f"127.0.0.1:{port}"
    for n in range(2):
        path = os.path.join(work, f"file{n}.bin")
        with open(path, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(mib):
                f.write(block)
        subprocess.run([seam, "put", "-q", path, "--server", addr], check=True)
        subprocess.run([seam, "get", "-q", f"file{n}.bin", "-o", os.path.join(work, f"back{n}.bin"),
                        "--server", addr], check=True)
        os.remove(path)
        os.remove(os.path.join(work, f"back{n}.bin"))
    time.sleep(1)
    server.terminate()
    server.wait()
    dump.terminate()
    rest = dump.stderr.read()
    dump.wait()
    print("tcpdump:", " ".join(rest.split()))
    shutil.rmtree(root, ignore_errors=True)
    return cap


def ethernet_sized_capture(work, mib):
    """A capture of one upload cut into 1,448-byte segments, as an Ethernet link would carry
    it (loopback's are up to 64 KiB): the same framing, about 45 times more packets per byte.
    Written here, packet by packet, since loopback cannot be made to cut this small."""
    import struct
    cap = os.path.join(work, "ethernet-sized.pcap")
    mss = 1448
    body = os.urandom(1 << 20)
    header = b'{"op":"put_data","size":%d}' % len(body)
    frame = struct.pack("<I", len(header)) + header + body
    seq = 1000
    with open(cap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

        def packet(flags, payload, t):
            nonlocal seq
            tcp = struct.pack("!HHIIBBHHH", 40000, 8800, seq, 1, 5 << 4, flags, 65535, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            eth = bytes(12) + b"\x08\x00"
            data = eth + ip + tcp + payload
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(data), len(data)))
            f.write(data)
            seq = (seq + len(payload) + (1 if flags & 0x02 else 0)) & 0xFFFFFFFF

        t = 0
        packet(0x02, b"", t)
        for _ in range(mib):
            for at in range(0, len(frame), mss):
                t += 10
                packet(0x18, frame[at:at + mss], t)
        packet(0x11, b"", t + 10)
    return cap


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mib", type=int, default=256, help="size of each of the two files")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "seam-native"], check=True)
    seam = os.path.abspath("target/release/seam")
    work = tempfile.mkdtemp(prefix="seam-pcap-bench-", dir="/dev/shm")
    try:
        cap = capture(seam, work, args.mib)
        size = os.path.getsize(cap)
        print(f"capture: {size:,} bytes ({size / 2**30:.2f} GiB)")
        print("load before:", os.getloadavg())
        commands = {
            "md5sum (baseline)": ["md5sum", cap],
            "seam decode --pcap (list streams)": [seam, "decode", "--pcap", cap],
            "seam decode --pcap --stream all": [seam, "decode", "--pcap", cap, "--stream", "all"],
        }
        small = ethernet_sized_capture(work, args.mib)
        small_size = os.path.getsize(small)
        print(f"ethernet-sized capture: {small_size:,} bytes, 1,448-byte segments")
        commands["seam decode --pcap --stream all (1,448 B segments)"] = [
            seam, "decode", "--pcap", small, "--stream", "all"]
        sizes = {name: size for name in commands}
        sizes["seam decode --pcap --stream all (1,448 B segments)"] = small_size
        results = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                results[name].append(timed(cmd))
        base = statistics.median(size / s / 1e6 for s, _ in results["md5sum (baseline)"])
        for name, runs in results.items():
            mbps = statistics.median(sizes[name] / s / 1e6 for s, _ in runs)
            rss = max(r for _, r in runs)
            verdict = ""
            if name.startswith("seam"):
                verdict = "PASS" if mbps >= TARGET_MBPS else "BELOW"
                verdict = f"  target >= {TARGET_MBPS} MB/s: {verdict}"
            print(f"{name:36} {mbps:8.0f} MB/s  x{mbps / base:4.2f} of md5sum  peak RSS {rss:6.1f} MiB{verdict}")
        print("load after:", os.getloadavg())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What Seam's benchmark scripts share: building `seam`, running `seam serve` on a free
port, and reading a process's peak memory and the machine's load."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_seam():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "seam-native"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "seam")


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        with open("/proc/loadavg") as f:
            return "load average: " + " ".join(f.read().split()[:3])


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class SeamServer:
    def __init__(self, seam, root, *flags):
        self.proc = subprocess.Popen(
            [seam, "serve", "--listen", "127.0.0.1:0", "--root", root, *flags],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"},
        )
        line = self.proc.stdout.readline().decode()
        self.addr = line.strip().rsplit(" ", 1)[-1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

#!/usr/bin/env python3
"""Upload benchmark of `seam serve --store s3://…` against the AWS CLI, to the same local
S3-compatible server (moto's), in the same run, on the same file.

  * `seam put FILE` through `seam serve --store s3://BUCKET/seam` (multipart parts of 8 MiB,
    MD5 on the fly, completed after the client's MD5 matched),
  * `aws s3 cp FILE s3://BUCKET/aws/FILE` (the AWS CLI's own multipart upload, no MD5 check
    of the whole file).

moto is the bottleneck of both; the figure that matters is the ratio (Seam / AWS CLI, in
throughput: at least 1.0 means Seam adds nothing) and the server's peak RSS during the
upload (VmHWM). Runs alternate between the two and medians are printed; it asserts nothing.

Usage (from the repository root):  python3 native/benches/s3_upload.py [--size-mib 1024] [--runs 3]
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from seam_bench import SeamServer, build_seam, peak_rss_mib, uptime

BLOCK = 1 << 20
MOTO = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address='127.0.0.1', port=int(sys.argv[1]), verbose=False)
server.start()
print('ready', flush=True)
sys.stdin.read()
server.stop()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_file(path, size):
    seed = os.urandom(BLOCK)
    with open(path, "wb") as f:
        for i in range(0, size, BLOCK):
            block = i.to_bytes(8, "little") + seed[8:]
            f.write(block[: min(BLOCK, size - i)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20

    seam = build_seam()
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-c", MOTO, str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert moto.stdout.readline().strip() == b"ready"
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}
    os.environ.update(env)
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="bench")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.bin")
        make_file(path, size)
        server = SeamServer(seam, os.path.join(tmp, "root"), "--store", "s3://bench/seam")
        seam_times, aws_times, rss = [], [], []
        try:
            for run in range(args.runs):
                order = ["seam", "aws"] if run % 2 == 0 else ["aws", "seam"]
                for who in order:
                    start = time.perf_counter()
                    if who == "seam":
                        subprocess.run([seam, "put", path, "--quiet", "--force", "--server", server.addr],
                                       check=True)
                        seam_times.append(time.perf_counter() - start)
                        rss.append(peak_rss_mib(server.proc.pid))
                        s3.delete_object(Bucket="bench", Key="seam/bench.bin")
                    else:
                        subprocess.run(["aws", "s3", "cp", path, "s3://bench/aws/bench.bin", "--only-show-errors"],
                                       check=True)
                        aws_times.append(time.perf_counter() - start)
                        s3.delete_object(Bucket="bench", Key="aws/bench.bin")
        finally:
            server.stop()
            moto.stdin.close()
            moto.wait()

    mib = size / (1 << 20)
    seam_median, aws_median = statistics.median(seam_times), statistics.median(aws_times)
    print(f"machine: {os.cpu_count()} cores; {uptime()}")
    print(f"file: {mib:.0f} MiB, {args.runs} runs each, alternating; medians")
    print(f"seam put via seam serve --store s3://  {seam_median:7.2f} s  {mib / seam_median:7.1f} MiB/s"
          f"   runs: {', '.join(f'{t:.2f}' for t in seam_times)}")
    print(f"aws s3 cp                              {aws_median:7.2f} s  {mib / aws_median:7.1f} MiB/s"
          f"   runs: {', '.join(f'{t:.2f}' for t in aws_times)}")
    print(f"ratio (Seam throughput / AWS CLI throughput): {aws_median / seam_median:.2f}x (target >= 1.0)")
    print(f"seam serve peak RSS (VmHWM) after the uploads: {max(rss):.1f} MiB (target <= 64)")


if __name__ == "__main__":
    main()

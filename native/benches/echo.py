#!/usr/bin/env python3
"""Echo, chat and many-client benchmark of `seam serve` on loopback.

Every figure comes from the same run, measured against baselines in that run:
  * a bare blocking-socket ping-pong, 16-byte messages, no framing (`seam bench-pingpong
    --serve` in one process, `--connect` in another, as `seam serve` and its client run):
    the limit for round trips on one connection;
  * the same echo served by tokio without any framing (`--serve --tokio`): the floor of any
    server built on non-blocking sockets and epoll, as `seam serve` is (shown for reference);
  * an echo server and client written as the Python tutorials teach (struct.pack('i') length
    + JSON header + body, one round trip at a time);
  * `seam serve` echo round trips on one connection, driven by `seam bench-echo` (a compiled
    client, so that the figure measures the server and not a Python client);
  * chat lines pipelined through `seam serve` by one sender to N receivers (`seam bench-chat`);
  * 1,000 connections at once, each doing 100 echo round trips: failures, p50/p99 latency,
    and the server's peak RSS (VmHWM in /proc/PID/status).
Rates are medians of --runs runs, the runs interleaved so that a change in the machine's load
hits every measurement alike; a ratio is the median of the ratios within each run. It prints figures, ratios, targets and PASS/BELOW; it asserts
nothing. The machine's load (uptime) is printed before and after: on a shared machine the
ratios are the figures to read.

Usage (from the repository root):  python3 native/benches/echo.py [--runs 5] [--quick]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from seam_bench import SeamServer, build_seam, peak_rss_mib, uptime


def seam_json(seam, *args):
    out = subprocess.run([seam, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"seam {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


# --- the tutorials' echo: struct.pack('i') + JSON header + body, one round trip at a time ----

TUTORIAL_SERVER = r'''
import json, socket, struct
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(5)
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    prefix = conn.recv(4)
    if not prefix:
        break
    header_len = struct.unpack("i", prefix)[0]
    header = json.loads(conn.recv(header_len).decode("utf-8"))
    size = header["size"]
    body = b""
    while len(body) < size:
        body += conn.recv(size - len(body))
    reply = json.dumps({"op": "echo", "size": len(body)}).encode("utf-8")
    conn.sendall(struct.pack("i", len(reply)) + reply + body)
conn.close()
'''

TUTORIAL_CLIENT = r'''
import json, socket, struct, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket()
s.connect(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
body = b"abcdefghijklmnop"
start = time.perf_counter()
for _ in range(count):
    header = json.dumps({"op": "echo", "size": len(body)}).encode("utf-8")
    s.sendall(struct.pack("i", len(header)) + header + body)
    header_len = struct.unpack("i", s.recv(4))[0]
    reply = json.loads(s.recv(header_len).decode("utf-8"))
    got = b""
    while len(got) < reply["size"]:
        got += s.recv(reply["size"] - len(got))
    assert got == body
print(count / (time.perf_counter() - start))
s.close()
'''


def pingpong(seam, round_trips, *server_flags):
    """A bare ping-pong: the echo server in a process of its own, the client in another."""
    server = subprocess.Popen([seam, "bench-pingpong", "--serve", "127.0.0.1:0", *server_flags],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    addr = server.stdout.readline().decode().strip()
    result = seam_json(seam, "bench-pingpong", "--connect", addr, "--round-trips", str(round_trips))
    server.wait()
    return result


def tutorial_echo(round_trips):
    server = subprocess.Popen([sys.executable, "-c", TUTORIAL_SERVER], stdout=subprocess.PIPE)
    port = int(server.stdout.readline())
    out = subprocess.run([sys.executable, "-c", TUTORIAL_CLIENT, str(port), str(round_trips)],
                         capture_output=True, text=True, check=True)
    server.wait()
    return float(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--round-trips", type=int, default=50_000, help="per one-connection run")
    parser.add_argument("--chat-messages", type=int, default=1_000_000)
    parser.add_argument("--chat-receivers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-round-trips", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke test")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.round_trips, args.chat_messages = 1, 5_000, 50_000
        args.clients, args.client_round_trips = 100, 10
    seam = build_seam()
    load_before = uptime()
    root = tempfile.mkdtemp(prefix="seam-echo-bench-")
    rates = {k: [] for k in ["pingpong", "tokio", "tutorial", "echo", "chat"]}
    lat = {k: [] for k in ["pingpong", "tokio", "echo"]}
    many = []
    n = args.round_trips
    for run in range(args.runs):
        p = pingpong(seam, n)
        rates["pingpong"].append(p["rate"])
        lat["pingpong"].append((p["p50_us"], p["p99_us"]))
        t = pingpong(seam, n, "--tokio")
        rates["tokio"].append(t["rate"])
        lat["tokio"].append((t["p50_us"], t["p99_us"]))
        rates["tutorial"].append(tutorial_echo(max(n // 5, 1000)))
        server = SeamServer(seam, root)
        e = seam_json(seam, "bench-echo", "--server", server.addr, "--round-trips", str(n))
        rates["echo"].append(e["rate"])
        lat["echo"].append((e["p50_us"], e["p99_us"]))
        c = seam_json(seam, "bench-chat", "--server", server.addr, "--messages", str(args.chat_messages),
                      "--receivers", str(args.chat_receivers))
        rates["chat"].append(c["rate"])
        server.stop()
        # The many-client run gets a fresh server, so its peak RSS is that run's alone.
        server = SeamServer(seam, root)
        m = seam_json(seam, "bench-echo", "--server", server.addr, "--connections", str(args.clients),
                      "--round-trips", str(args.client_round_trips))
        m["rss_mib"] = peak_rss_mib(server.proc.pid)
        server.stop()
        many.append(m)
        print(f"run {run + 1}/{args.runs}: ping-pong {p['rate']:,.0f}/s, tokio {t['rate']:,.0f}/s, tutorial {rates['tutorial'][-1]:,.0f}/s, "
              f"seam echo {e['rate']:,.0f}/s, chat {c['rate']:,.0f} lines/s, "
              f"{args.clients} clients p99 {m['p99_us'] / 1000:.1f} ms, RSS {m['rss_mib']:.1f} MiB", file=sys.stderr)
    load_after = uptime()
    shutil.rmtree(root, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in rates.items()}
    paired = lambda a, b: statistics.median(x / y for x, y in zip(rates[a], rates[b]))
    many_ok = all(m["failed_connections"] == 0 and m["completed"] == args.clients * args.client_round_trips
                  for m in many)
    worst_rss = max(m["rss_mib"] for m in many)
    p50_many = statistics.median(m["p50_us"] for m in many)
    p99_many = statistics.median(m["p99_us"] for m in many)
    print(f"\nSeam echo/chat benchmark: loopback, {os.cpu_count()} cores, {args.runs} runs, medians")
    print(f"load before: {load_before}")
    print(f"load after:  {load_after}")
    print(f"\n{'measurement':<52}{'per second':>12}{'p50 us':>9}{'p99 us':>9}")
    pl = [statistics.median(x[i] for x in lat["pingpong"]) for i in (0, 1)]
    tl = [statistics.median(x[i] for x in lat["tokio"]) for i in (0, 1)]
    el = [statistics.median(x[i] for x in lat["echo"]) for i in (0, 1)]
    print(f"{'bare blocking ping-pong, 16 B, no framing (limit)':<52}{med['pingpong']:>12,.0f}{pl[0]:>9.1f}{pl[1]:>9.1f}")
    print(f"{'the same on tokio, no framing (async floor)':<52}{med['tokio']:>12,.0f}{tl[0]:>9.1f}{tl[1]:>9.1f}")
    print(f"{'tutorial-style Python echo (struct + JSON header)':<52}{med['tutorial']:>12,.0f}")
    print(f"{'seam serve echo, 16 B, one connection':<52}{med['echo']:>12,.0f}{el[0]:>9.1f}{el[1]:>9.1f}")
    print(f"{'seam serve chat lines, pipelined, ' + str(args.chat_receivers) + ' receivers + sender':<52}{med['chat']:>12,.0f}")
    print(f"{str(args.clients) + ' clients x ' + str(args.client_round_trips) + ' echo round trips':<52}"
          f"{statistics.median(m['rate'] for m in many):>12,.0f}{p50_many:>9.0f}{p99_many:>9.0f}")
    rows = [
        ("echo / tutorial Python echo", paired("echo", "tutorial"), ">= 1.5", paired("echo", "tutorial") >= 1.5),
        ("echo / bare ping-pong", paired("echo", "pingpong"), ">= 0.8", paired("echo", "pingpong") >= 0.8),
        ("tokio, no framing / bare ping-pong", paired("tokio", "pingpong"), "(info)", None),
        ("echo / tokio, no framing", paired("echo", "tokio"), "(info)", None),
        ("chat lines per second", med["chat"], ">= 500000", med["chat"] >= 500_000),
        (f"{args.clients} clients: all round trips succeeded", 1.0 if many_ok else 0.0, "= 1", many_ok),
        ("server peak RSS with them, MiB", worst_rss, "<= 64", worst_rss <= 64),
    ]
    print(f"\n{'ratio':<44}{'value':>12}  {'target':<10}verdict")
    for name, value, target, ok in rows:
        shown = f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"
        verdict = "" if ok is None else ("PASS" if ok else "BELOW")
        print(f"{name:<44}{shown:>12}  {target:<10}{verdict}")


if __name__ == "__main__":
    main()

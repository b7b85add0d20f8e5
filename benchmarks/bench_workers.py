"""Suggestions/s and p99 against ``graphmatch serve`` while writes arrive.

Point it at a running server (``--port``), or give it a data dir (``--data-dir D``, seeded once
by ``serve --demo --demo-people 100000 --data-dir D``) and it starts, in one run, one process
(``serve``) and then ``serve --workers 2`` on it, and prints one table for both.

Readers send ``GET /v1/people/{random id}/suggestions`` on keep-alive connections: with
``--client wrk`` (the default where ``wrk`` is installed) one ``wrk`` process, a C client
that takes little of the cores it shares with the server; with ``--client python``, client
processes over raw sockets (they also count the answers per worker). One writer thread adds
random friendships at ``--writes-per-s``; after each acknowledged write it reads the pair
back on new connections **without** waiting (until the friendship shows: how long until any
worker shows an acknowledged write, by worker) and **with** ``Graphmatch-Min-Position``
(read-your-writes). The client's CPU (wrk's, and this process's) is printed as a share of
the run's wall time, next to the server's.

    .venv/bin/python benchmarks/bench_workers.py --data-dir D --seconds 20
    .venv/bin/python benchmarks/bench_workers.py --port 8080 --client python
    .venv/bin/python benchmarks/bench_workers.py --data-dir D --code ../base --code . --servers 2

``--code DIR`` (repeatable) starts the servers from the checkout in DIR instead of this one:
a baseline and the code under test measured in one run, one after the other for each
server kind. ``--servers 2`` measures only ``--workers 2``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _read_response(sock: socket.socket, buf: bytes) -> tuple[int, bytes, bytes]:
    """Read one HTTP response with Content-Length; return status, headers, leftover bytes."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, head, rest[length:]


def reader(
    host: str, port: int, people: int, query: str, conns: int, until: float, out: Any
) -> None:
    """One client process: conns keep-alive connections round robin, one request in flight each."""
    rng = random.Random()
    latencies: list[float] = []
    workers: Counter[str] = Counter()
    errors = 0
    lock = threading.Lock()

    def one() -> None:
        nonlocal errors
        mine: list[float] = []
        seen: Counter[str] = Counter()
        bad = 0
        sock = socket.create_connection((host, port))
        buf = b""
        while time.monotonic() < until:
            pid = rng.randrange(people)
            req = (
                f"GET /v1/people/{pid}/suggestions?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            try:
                sock.sendall(req)
                status, head, buf = _read_response(sock, buf)
            except OSError:
                bad += 1
                sock.close()
                sock = socket.create_connection((host, port))
                buf = b""
                continue
            mine.append(time.perf_counter() - t0)
            if status != 200:
                bad += 1
                seen[f"status {status}"] += 1
            i = head.find(b"Graphmatch-Worker: ")
            seen[head[i + 19 : i + 20].decode() if i >= 0 else "-"] += 1
        sock.close()
        with lock:
            latencies.extend(mine)
            workers.update(seen)
            errors += bad

    threads = [threading.Thread(target=one) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, dict(workers), errors))


def writer(
    host: str, port: int, people: int, per_s: float, until: float, report: dict[str, Any]
) -> None:
    """Add random friendships at per_s; read each back with Graphmatch-Min-Position."""
    rng = random.Random(5)
    waits: list[tuple[float, str]] = []
    visible: list[tuple[float, str]] = []
    bad = writes = 0
    conn = http.client.HTTPConnection(host, port, timeout=30)
    while time.monotonic() < until:
        a, b = rng.sample(range(people), 2)
        conn.request("PUT", f"/v1/people/{a}/friends/{b}")
        answer = conn.getresponse()
        answer.read()
        writes += 1
        if answer.status not in (200, 201):
            bad += 1
            print(f"write: {answer.status}")
            continue
        position = answer.getheader("Graphmatch-Position") or "0"
        acked = time.perf_counter()
        for _ in range(1000):  # without waiting: until a worker shows it (new connections)
            probe = http.client.HTTPConnection(host, port, timeout=30)
            probe.request("GET", f"/v1/people/{a}/friends?limit=1000")
            shown = probe.getresponse()
            data = json.loads(shown.read())
            probe.close()
            if shown.status == 200 and str(b) in data["friends"]:
                worker = shown.getheader("Graphmatch-Worker") or "-"
                visible.append((time.perf_counter() - acked, worker))
                break
        fresh = http.client.HTTPConnection(host, port, timeout=30)  # either worker
        t0 = time.perf_counter()
        fresh.request(
            "GET",
            f"/v1/people/{a}/friends?limit=1000",
            headers={"Graphmatch-Min-Position": position},
        )
        back = fresh.getresponse()
        body = json.loads(back.read())
        waits.append((time.perf_counter() - t0, back.getheader("Graphmatch-Worker") or "-"))
        fresh.close()
        if back.status != 200 or str(b) not in body["friends"]:
            bad += 1
            print(f"read back: {back.status} {str(body)[:200]}")
        time.sleep(1 / per_s)
    report.update(writes=writes, write_errors=bad, waits=waits, visible=visible)


_WRK_SCRIPT = """
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", "/v1/people/" .. math.random(0, PEOPLE - 1) .. "/suggestions?QUERY")
end
"""


def _ms(text: str) -> float:
    """Return a wrk latency ("812.00us", "3.21ms", "1.02s") in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(host: str, port: int, people: int, query: str, conns: int, seconds: float) -> dict:
    """Run wrk (one thread, conns connections) for seconds; return its figures and CPU."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT.replace("PEOPLE", str(people)).replace("QUERY", query))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency", "-s", f.name]
    out = subprocess.run([*cmd, f"http://{host}:{port}"], capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    errors = sum(
        int(n)
        for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout|read|write|connect) (\d+)", out)
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "max": _ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "errors": errors,
        "client_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


def run_python(
    host: str, port: int, people: int, query: str, conns: int, seconds: float, procs: int
) -> dict:
    """Run the raw-socket client processes; return their figures."""
    until = time.monotonic() + seconds
    out: Any = mp.Queue()
    workers = [
        mp.Process(target=reader, args=(host, port, people, query, conns, until, out))
        for _ in range(procs)
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    for proc in workers:
        proc.start()
    latencies: list[float] = []
    seen: Counter[str] = Counter()
    errors = 0
    for _ in workers:
        lat, answered, bad = out.get()
        latencies += lat
        seen.update(answered)
        errors += bad
    for proc in workers:
        proc.join()
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies.sort()

    def q(x: float) -> float:
        return latencies[min(len(latencies) - 1, int(x * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": q(0.5),
        "p99": q(0.99),
        "max": latencies[-1] * 1000,
        "errors": errors,
        "workers": dict(sorted(seen.items())),
        "client_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


def measure(args: argparse.Namespace, host: str, port: int) -> dict:
    """Run the readers and the writer against host:port at once; return the figures."""
    report: dict[str, Any] = {}
    until = time.monotonic() + args.seconds
    cpu0 = time.process_time()
    w = threading.Thread(
        target=writer, args=(host, port, args.people, args.writes_per_s, until, report)
    )
    w.start()
    if args.client == "wrk":
        figures = run_wrk(
            host, port, args.people, args.query, args.conns * args.processes, args.seconds
        )
    else:
        figures = run_python(
            host, port, args.people, args.query, args.conns, args.seconds, args.processes
        )
    w.join()
    figures["client_cpu_s"] += time.process_time() - cpu0  # the writer thread's share
    figures.update(report)
    return figures


def start_server(
    args: argparse.Namespace, workers: int, code: Path = ROOT
) -> tuple[subprocess.Popen[str], int]:
    """Start serve (workers 1: one process) from the checkout code on args.data_dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    cmd = [sys.executable, "-m", "graphmatch", "serve", "--port", "0", "--data-dir", args.data_dir]
    cmd += ["--threads", str(args.threads), "--access-log", args.access_log]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(
        cmd,
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if " on http://" in line and ("serving" in line or "worker processes" in line):
            return proc, int(line.strip().rsplit(":", 1)[1])
    raise SystemExit(f"server did not start (exit {proc.wait()})")


def server_cpu_s(proc: subprocess.Popen[str]) -> float:
    """Return the CPU seconds of proc and its descendants (the worker processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, int]] = {}  # pid -> (parent, ticks)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total, grew = {proc.pid}, 0, True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree:
        total += stats.get(pid, (0, 0))[1]
    return total / ticks


def summary(name: str, f: dict, server_s: float | None) -> str:
    """Return one table row."""
    waits = sorted(t for t, _ in f["waits"]) or [0.0]
    by_follower = sorted(t for t, w in f["visible"] if w not in ("0", "-"))
    follower = by_follower or [float("nan")]
    every = sorted(t for t, _ in f["visible"]) or [float("nan")]
    server = f"{server_s / f['seconds']:.2f}" if server_s is not None else "-"
    return (
        f"| {name} | {f['rps']:,.0f} | {f['p50']:.1f} | {f['p99']:.1f} | {f['max']:.0f} | "
        f"{f['errors']} | {f['writes']} ({f['write_errors']} bad) | "
        f"{every[-1] * 1000:.1f} / {follower[-1] * 1000:.1f} ({len(by_follower)}) | "
        f"{waits[-1] * 1000:.1f} | {server} | {f['client_cpu_s'] / f['seconds']:.2f} |"
    )


def main() -> None:
    """Run the load and print one report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, help="a running server (else --data-dir)")
    p.add_argument(
        "--data-dir", help="start serve and serve --workers 2 on it, one after the other"
    )
    p.add_argument("--threads", type=int, default=8, help="server threads (per worker)")
    p.add_argument("--access-log", default="-", help="the servers' --access-log (- : on)")
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument(
        "--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    p.add_argument("--processes", type=int, default=2, help="python client processes")
    p.add_argument(
        "--conns",
        type=int,
        default=8,
        help="connections per client process (wrk: times --processes)",
    )
    p.add_argument("--writes-per-s", type=float, default=20)
    p.add_argument("--query", default="limit=10")
    p.add_argument(
        "--code",
        action="append",
        type=Path,
        help="start the servers from this checkout (repeatable: one row each; default: this one)",
    )
    p.add_argument(
        "--servers", default="1,2", help="which to start: 1 (one process), 2 (--workers 2)"
    )
    args = p.parse_args()
    load0 = os.getloadavg()
    header = (
        "| server | suggestions/s | p50 ms | p99 ms | max ms | errors | writes | "
        "visible after ack, max ms: any / follower (n) | read-your-writes max ms | "
        "server cores | client cores |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    if args.port is not None:
        f = measure(args, args.host, args.port)
        f["seconds"] = args.seconds
        rows.append(summary(f"port {args.port}", f, None))
        if "workers" in f:
            print(f"answers per worker {f['workers']}")
    else:
        if not args.data_dir:
            p.error("give --port (a running server) or --data-dir (to start them)")
        codes = [c.resolve() for c in args.code or [ROOT]]
        for workers in [int(w) for w in args.servers.split(",")]:
            for code in codes:
                proc, port = start_server(args, workers, code)
                try:
                    time.sleep(2)  # the followers' first polls; the index is built before serving
                    cpu0 = server_cpu_s(proc)
                    t0 = time.monotonic()
                    f = measure(args, args.host, port)
                    f["seconds"] = time.monotonic() - t0
                    server_s = server_cpu_s(proc) - cpu0
                finally:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=60)
                name = "one process" if workers == 1 else f"--workers {workers}"
                if len(codes) > 1:
                    name = f"{code.name}: {name}"
                rows.append(summary(f"{name}, {args.threads} threads", f, server_s))
                if "workers" in f:
                    print(f"{name}: answers per worker {f['workers']}")
    print(
        f"client {args.client}, {args.conns * args.processes} connections, about "
        f"{args.writes_per_s:g} writes/s, {args.seconds:g} s; load average "
        f"{' '.join(f'{x:.2f}' for x in load0)} at the start, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end"
    )
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()

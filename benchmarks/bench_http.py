"""HTTP benchmark: requests/s and latency of GET /v1/people/{id}/suggestions on loopback.

Starts ``graphmatch serve --demo`` (memory store, 100,000 generated people by default) as a
separate process, waits for it, then sends a fixed number of requests for random people from
a pool of client threads, each holding one keep-alive connection. Prints requests/s, p50,
p90, p99 and max latency and the error count (any non-200 or connection failure).

    .venv/bin/python benchmarks/bench_http.py --people 100000 --requests 20000 --clients 8
    .venv/bin/python benchmarks/bench_http.py --wrk 20   # also run wrk for 20 s if installed
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(people: int, threads: int) -> tuple[subprocess.Popen[str], str, int]:
    """Start the API over a demo network; return the process, host and port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    cmd = [sys.executable, "-m", "api", "serve", "--port", "0", "--demo"]
    cmd += ["--demo-people", str(people), "--threads", str(threads), "--store", "memory"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    print(line.strip(), file=sys.stderr)
    host, port = line.strip().rsplit("http://", 1)[1].split(":")
    return proc, host, int(port)


def run_load(
    host: str, port: int, ids: list[str], clients: int, query: str
) -> tuple[float, list[float], int]:
    """Send one request per id from a pool of keep-alive clients; return time, latencies, errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    chunks = [ids[i::clients] for i in range(clients)]
    start_line = threading.Barrier(clients + 1)

    def client(chunk: list[str]) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        bad = 0
        start_line.wait()
        for pid in chunk:
            t0 = time.perf_counter()
            try:
                conn.request("GET", f"/v1/people/{pid}/suggestions?{query}")
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or b"suggestions" not in body:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    start_line.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, errors


def percentile(sorted_values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of sorted values, nearest rank."""
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def run_wrk(host: str, port: int, people: int, seconds: int, clients: int, query: str) -> str:
    """Run wrk (if installed) with random ids; return its report."""
    script = f"""
math.randomseed(1)
request = function()
  return wrk.format("GET", "/v1/people/" .. math.random(0, {people - 1}) .. "/suggestions?{query}")
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", f.name,
             f"http://{host}:{port}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(f.name)
    return out.stdout


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a JSON summary on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--query", default="limit=10", help="query string for suggestions")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrk", type=int, default=0, metavar="SECONDS", help="also run wrk")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    proc, host, port = start_server(args.people, args.threads)
    startup = time.perf_counter() - t0
    try:
        rng = random.Random(args.seed)
        warm = [str(rng.randrange(args.people)) for _ in range(args.warmup)]
        run_load(host, port, warm, args.clients, args.query)
        ids = [str(rng.randrange(args.people)) for _ in range(args.requests)]
        elapsed, latencies, errors = run_load(host, port, ids, args.clients, args.query)
        latencies.sort()
        ms = [x * 1000 for x in latencies]
        report = {
            "endpoint": f"GET /v1/people/{{id}}/suggestions?{args.query}",
            "people": args.people,
            "requests": len(latencies),
            "clients": args.clients,
            "server_threads": args.threads,
            "errors": errors,
            "seconds": round(elapsed, 2),
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(ms, 0.50), 2),
            "p90_ms": round(percentile(ms, 0.90), 2),
            "p99_ms": round(percentile(ms, 0.99), 2),
            "max_ms": round(ms[-1], 2),
            "mean_ms": round(statistics.fmean(ms), 2),
            "server_startup_s": round(startup, 1),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(report, indent=2))
        if args.wrk and shutil.which("wrk"):
            print(run_wrk(host, port, args.people, args.wrk, args.clients, args.query))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

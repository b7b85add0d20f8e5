"""Flood benchmark: latency with idle sockets held open, and a 256-client flood, on loopback.

Starts ``graphmatch serve --demo`` (memory store, keyless on 127.0.0.1, default limits) as a
separate process and measures, in one run:

1. **unflooded**: a normal client's ``/healthz`` and suggestions latency (one keep-alive
   connection, requests one after another), and the suggestions throughput of 8 keep-alive
   clients;
2. **1,000 idle sockets** held open (connected, never sending a byte): the same normal client;
3. **256-client flood**: 256 keep-alive clients each sending suggestions as fast as answered for
   ``--flood-s`` seconds, while the normal client probes ``/healthz``. It reports the share of
   requests answered (200, 429 or 503) within 1 s, the answers by status, and the throughput of
   served (200) suggestions against the unflooded throughput.

Every ratio is against the unflooded figures of the same run. The load clients run on the same
machine as the server, so on a small machine they take CPU from it (256 client threads above
all): the flood throughput ratio is a lower bound for the server alone.

    .venv/bin/python benchmarks/bench_flood.py                 # 10,000 people, about a minute
    .venv/bin/python benchmarks/bench_flood.py --people 100000 --flood-s 20 --json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(people: int, threads: int) -> tuple[subprocess.Popen[str], str, int]:
    """Start the API over a demo network (default settings, keyless); return it, host, port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    cmd = [sys.executable, "-m", "graphmatch", "serve", "--port", "0", "--demo"]
    cmd += ["--demo-people", str(people), "--threads", str(threads), "--store", "memory"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    print(line.strip(), file=sys.stderr)
    host, port = line.strip().rsplit("http://", 1)[1].split(":")
    return proc, host, int(port)


def percentile(sorted_values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


def probe(host: str, port: int, paths: list[str]) -> list[float]:
    """Send paths one after another on one keep-alive connection; return latencies in ms."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    out = []
    for path in paths:
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        out.append((time.perf_counter() - t0) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} from an unflooded server")
    conn.close()
    return sorted(out)


def normal_client(host: str, port: int, ids: list[str]) -> dict[str, list[float]]:
    """Measure /healthz and suggestions latency as one ordinary client would see them."""
    return {
        "healthz": probe(host, port, ["/healthz"] * len(ids)),
        "suggestions": probe(host, port, [f"/v1/people/{i}/suggestions?limit=10" for i in ids]),
    }


def load(
    host: str, port: int, clients: int, seconds: float, people: int, seed: int
) -> list[tuple[int | None, float]]:
    """Run keep-alive clients sending random suggestions for seconds; return (status, s)."""
    results: list[tuple[int | None, float]] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    until = [0.0]

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[tuple[int | None, float]] = []
        ready.wait()
        while time.monotonic() < until[0]:
            t0 = time.perf_counter()
            status: int | None
            try:
                conn.request("GET", f"/v1/people/{rng.randrange(people)}/suggestions?limit=10")
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                status = None
                conn.close()
            mine.append((status, time.perf_counter() - t0))
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    until[0] = time.monotonic() + seconds
    ready.wait()
    for t in threads:
        t.join(timeout=seconds + 30)
    return results


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run the three phases and print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--probes", type=int, default=400, help="requests per latency probe")
    parser.add_argument("--idle", type=int, default=1000, help="idle sockets to hold open")
    parser.add_argument("--flood", type=int, default=256, help="flood clients")
    parser.add_argument("--flood-s", type=float, default=10.0, help="flood duration")
    parser.add_argument("--base-clients", type=int, default=8, help="unflooded load clients")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < args.idle + args.flood + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.idle + args.flood + 256), hard))

    proc, host, port = start_server(args.people, args.threads)
    rng = random.Random(args.seed)
    try:
        ids = [str(rng.randrange(args.people)) for _ in range(args.probes)]
        probe(host, port, [f"/v1/people/{i}/suggestions?limit=10" for i in ids[:100]])  # warm
        base = normal_client(host, port, ids)
        base_load = load(host, port, args.base_clients, args.flood_s, args.people, args.seed)
        base_ok = sum(1 for s, _ in base_load if s == 200)
        base_rps = base_ok / args.flood_s

        idle = [socket.create_connection((host, port), timeout=10) for _ in range(args.idle)]
        time.sleep(1.0)  # let the server accept them all
        with_idle = normal_client(host, port, ids)
        for s in idle:
            s.close()
        time.sleep(1.0)

        health: list[float] = []
        stop = threading.Event()

        def health_probe() -> None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            while not stop.is_set():
                t0 = time.perf_counter()
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                health.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.01)
            conn.close()

        prober = threading.Thread(target=health_probe, daemon=True)
        prober.start()
        flood = load(host, port, args.flood, args.flood_s, args.people, args.seed + 1)
        stop.set()
        prober.join(timeout=30)
        health.sort()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    statuses = Counter("none" if s is None else str(s) for s, _ in flood)
    late = sum(1 for s, t in flood if s is None or t > 1.0)
    within = (len(flood) - late) / max(1, len(flood))
    flood_ok = statuses.get("200", 0)
    flood_rps = flood_ok / args.flood_s
    flood_lat = sorted(t * 1000 for _, t in flood)
    rows = [
        ("/healthz, unflooded", base["healthz"], None),
        ("/healthz, 1,000 idle sockets", with_idle["healthz"], base["healthz"]),
        (f"/healthz, {args.flood}-client flood", health, base["healthz"]),
        ("suggestions, unflooded", base["suggestions"], None),
        ("suggestions, 1,000 idle sockets", with_idle["suggestions"], base["suggestions"]),
    ]
    lines = [
        "| measurement | p50 ms | p99 ms | p99 vs unflooded |",
        "|---|---|---|---|",
    ]
    for name, values, against in rows:
        ratio = (
            "1.00"
            if against is None
            else f"{percentile(values, 0.99) / percentile(against, 0.99):.2f}"
        )
        lines.append(f"| {name} | {ms(values, 0.5)} | {ms(values, 0.99)} | {ratio} |")
    lines += [
        "",
        "| flood | value |",
        "|---|---|",
        f"| clients, seconds | {args.flood}, {args.flood_s:g} |",
        f"| requests answered | {len(flood) - statuses.get('none', 0):,} of {len(flood):,} |",
        # The count too: a share printed to one decimal rounds a few late answers to 100.0%.
        f"| answered within 1 s | {within:.2%} ({late:,} later or unanswered) |",
        f"| answers by status | {', '.join(f'{k}: {v:,}' for k, v in sorted(statuses.items()))} |",
        f"| flood latency p50 / p99 / max ms | {ms(flood_lat, 0.5)} / {ms(flood_lat, 0.99)} / "
        f"{flood_lat[-1] if flood_lat else float('nan'):.1f} |",
        f"| served suggestions/s, unflooded ({args.base_clients} clients) | {base_rps:,.0f} |",
        f"| served suggestions/s, flood | {flood_rps:,.0f} |",
        f"| flood throughput vs unflooded | {flood_rps / base_rps:.2f} |",
        "",
        f"{args.people:,} people, {args.threads} server threads, {os.cpu_count()} CPUs, "
        "clients on the same machine.",
    ]
    print("\n".join(lines))
    if args.json:
        print(
            json.dumps(
                {
                    "flood_statuses": dict(statuses),
                    "answered_within_1s": within,
                    "late_or_unanswered": late,
                    "base_rps": base_rps,
                    "flood_rps": flood_rps,
                    "p99_ms": {name: percentile(v, 0.99) for name, v, _ in rows},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Flood benchmark: latency with idle sockets held open, and a 256-client flood, on loopback.

Starts ``graphmatch serve --demo`` (memory store, keyless on 127.0.0.1, default limits) as a
separate process and measures, in one run:

1. **unflooded**: a normal client's ``/healthz`` and suggestions latency (one keep-alive
   connection, requests one after another);
2. **1,000 idle sockets** held open (connected, never sending a byte): the same normal client;
3. **rounds** (``--rounds``, 3) of ``--flood-s`` seconds (5) of the unflooded throughput load,
   then as long a **256-client flood**: 256 keep-alive connections each sending suggestions as
   fast as answered, while the normal client probes ``/healthz``. It reports, per round and
   in all, how many requests were answered (200, 429 or 503) within 1 s, the answers by
   status, the latency distribution and its maximum, and the throughput of served (200)
   suggestions
   against that of 8 keep-alive connections (``--base-clients``) in the same round. The
   phases take turns so that a ratio is taken seconds apart, under the same load from
   other jobs.

The load client (unflooded throughput and flood alike, so their ratio is the server's) is
``wrk`` where it is installed (``--client wrk``, the default then): one C process on epoll,
whose Lua script counts the answers by status and, from wrk's latency histogram, the answers
that took longer than 1 s (wrk runs with a 10 s timeout so that such an answer is still
measured, not only counted). ``--client python`` is the fallback: keep-alive ``http.client``
threads in this process, which on a small machine take CPU from the server and add their own
interpreter-lock waits to the latencies they measure. The normal client is Python in both.
The client's and the server's CPU are printed as shares of the phase's wall time.

    .venv/bin/python benchmarks/bench_flood.py                 # 10,000 people, about a minute
    .venv/bin/python benchmarks/bench_flood.py --client python
    .venv/bin/python benchmarks/bench_flood.py --people 100000 --rounds 2 --flood-s 10 --json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
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


# One wrk thread: its event loop handles every connection, and a second would take the core
# the server needs. The 10 s timeout only sizes wrk's histogram (an answer slower than the
# timeout is counted as a timeout and left out of it): the 1 s line is drawn in done().
_WRK_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(SEED * 1000 + id)
  statuses = {}
end
function request()
  return wrk.format("GET", "/v1/people/" .. math.random(0, PEOPLE - 1) .. "/suggestions?limit=10")
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
local function over(latency, limit_us, n)
  -- Answers slower than limit_us: the smallest percentile past it, by bisection.
  if n == 0 or latency.max <= limit_us then return 0 end
  local lo, hi = 0.0, 100.0
  for _ = 1, 60 do
    local mid = (lo + hi) / 2
    if latency:percentile(mid) > limit_us then hi = mid else lo = mid end
  end
  return math.floor(n * (100.0 - hi) / 100.0 + 0.5)
end
function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("statuses")) do
      parts[status] = (parts[status] or 0) + count
    end
  end
  local by = {}
  for status, count in pairs(parts) do
    table.insert(by, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  local recorded = summary.requests - e.timeout
  io.write(string.format(
    'GRAPHMATCH {"requests": %d, "duration_us": %d, "statuses": {%s}, "late": %d, ' ..
    '"timeouts": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, table.concat(by, ", "), over(latency, 1000000, recorded),
    e.timeout, e.connect, e.read, e.write, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


def process_cpu_s(pid: int) -> float:
    """Return the CPU seconds (user + system) process pid has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    host: str, port: int, conns: int, seconds: float, people: int, seed: int
) -> dict[str, Any]:
    """Run wrk (one thread, conns keep-alive connections) for seconds; return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT.replace("PEOPLE", str(people)).replace("SEED", str(seed)))
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    cmd += ["--latency", "-s", f.name, f"http://{host}:{port}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in out.splitlines() if x.startswith("GRAPHMATCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{out}")
    w = json.loads(line.removeprefix("GRAPHMATCH "))
    statuses = Counter({str(k): int(v) for k, v in w["statuses"].items()})
    if errors := w["connect"] + w["read"] + w["write"]:
        statuses["none"] += errors  # a socket error: no answer
    return {
        "requests": w["requests"] + errors,
        "seconds": w["duration_us"] / 1e6,
        "statuses": statuses,
        # An answer slower than 1 s, or none (a socket error, or wrk's 10 s timeout).
        "late": w["late"] + w["timeouts"] + errors,
        "timeouts": w["timeouts"],
        "p50_ms": w["p50_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "client_cpu": (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / wall,
    }


def run_python(
    host: str, port: int, conns: int, seconds: float, people: int, seed: int
) -> dict[str, Any]:
    """Run the http.client threads; return the same figures as run_wrk."""
    cpu0 = time.process_time()
    t0 = time.monotonic()
    results = load(host, port, conns, seconds, people, seed)
    client_cpu = (time.process_time() - cpu0) / (time.monotonic() - t0)
    latencies = sorted(t * 1000 for _, t in results)
    statuses = Counter("none" if s is None else str(s) for s, _ in results)
    return {
        "requests": len(results),
        "seconds": seconds,
        "statuses": statuses,
        "late": sum(1 for s, t in results if s is None or t > 1.0),
        "timeouts": 0,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "client_cpu": client_cpu,
    }


def run_load(
    args: argparse.Namespace, server_pid: int, host: str, port: int, conns: int, seed: int
) -> dict[str, Any]:
    """Run the chosen load client; add served/s and the server's CPU share to its figures."""
    run = run_wrk if args.client == "wrk" else run_python
    cpu0, t0 = process_cpu_s(server_pid), time.monotonic()
    figures = run(host, port, conns, args.flood_s, args.people, seed)
    figures["server_cpu"] = (process_cpu_s(server_pid) - cpu0) / (time.monotonic() - t0)
    figures["served_per_s"] = figures["statuses"].get("200", 0) / figures["seconds"]
    return figures


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.2f}"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def merge(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up the rounds of one phase: counts and seconds summed, the worst max."""
    statuses: Counter[str] = Counter()
    for f in phases:
        statuses.update(f["statuses"])
    seconds = sum(f["seconds"] for f in phases)
    core_s = sum(f["server_cpu"] * f["seconds"] for f in phases)
    return {
        "requests": sum(f["requests"] for f in phases),
        "late": sum(f["late"] for f in phases),
        "statuses": statuses,
        "seconds": seconds,
        "max_ms": max(f["max_ms"] for f in phases),
        "served_per_s": statuses.get("200", 0) / seconds,
        "server_cpu": core_s / seconds,
    }


def per_core(flood: dict[str, Any], unflooded: dict[str, Any]) -> float:
    """Return the flood's served/s per server core against the unflooded one's."""
    return (flood["served_per_s"] / flood["server_cpu"]) / (
        unflooded["served_per_s"] / unflooded["server_cpu"]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the phases and print the tables (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--probes", type=int, default=400, help="requests per latency probe")
    parser.add_argument("--idle", type=int, default=1000, help="idle sockets to hold open")
    parser.add_argument("--flood", type=int, default=256, help="flood connections")
    parser.add_argument(
        "--flood-s", type=float, default=5.0, help="seconds of each load phase, per round"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of unflooded load, then flood"
    )
    parser.add_argument("--base-clients", type=int, default=8, help="unflooded connections")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load client (default: wrk where installed)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not installed (apt-get install wrk)")
    if args.rounds < 1 or args.flood_s <= 0:
        parser.error("--rounds must be at least 1 and --flood-s above 0")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < args.idle + args.flood + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.idle + args.flood + 256), hard))

    load_before = loadavg()
    proc, host, port = start_server(args.people, args.threads)
    rng = random.Random(args.seed)
    rounds: list[tuple[dict[str, Any], dict[str, Any]]] = []
    try:
        ids = [str(rng.randrange(args.people)) for _ in range(args.probes)]
        probe(host, port, [f"/v1/people/{i}/suggestions?limit=10" for i in ids[:100]])  # warm
        base = normal_client(host, port, ids)

        idle = [socket.create_connection((host, port), timeout=10) for _ in range(args.idle)]
        time.sleep(1.0)  # let the server accept them all
        with_idle = normal_client(host, port, ids)
        for s in idle:
            s.close()
        time.sleep(1.0)

        health: list[float] = []
        stop, flooding = threading.Event(), threading.Event()

        def health_probe() -> None:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            while not stop.is_set():
                if not flooding.wait(0.05):
                    continue
                t0 = time.perf_counter()
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                health.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.01)
            conn.close()

        prober = threading.Thread(target=health_probe, daemon=True)
        prober.start()
        # Unflooded and flood in turns: load from other jobs on a shared machine drifts over
        # a minute, and each round's ratio is taken seconds apart.
        for r in range(args.rounds):
            seed = args.seed + 2 * r
            unflooded = run_load(args, proc.pid, host, port, args.base_clients, seed)
            flooding.set()
            flood = run_load(args, proc.pid, host, port, args.flood, seed + 1)
            flooding.clear()
            rounds.append((unflooded, flood))
        stop.set()
        prober.join(timeout=30)
        health.sort()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    unflooded_all = merge([u for u, _ in rounds])
    flood_all = merge([f for _, f in rounds])
    within = (flood_all["requests"] - flood_all["late"]) / max(1, flood_all["requests"])
    ratio = flood_all["served_per_s"] / unflooded_all["served_per_s"]
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
        vs = (
            "1.00"
            if against is None
            else f"{percentile(values, 0.99) / percentile(against, 0.99):.2f}"
        )
        lines.append(f"| {name} | {ms(values, 0.5)} | {ms(values, 0.99)} | {vs} |")

    def by_status(f: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {v:,}" for k, v in sorted(f["statuses"].items()))

    lines += [
        "",
        f"{args.client} client; per round {args.flood_s:g} s unflooded "
        f"({args.base_clients} connections), then {args.flood_s:g} s of flood "
        f"({args.flood} connections). CPU in cores (server / client).",
        "",
        "| round | unflooded served/s | CPU | flood served/s | CPU | flood vs unflooded "
        "| per server core | flood answers by status | later than 1 s "
        "| flood p50 / p99 / max ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, (u, f) in enumerate(rounds, 1):
        lines.append(
            f"| {n} | {u['served_per_s']:,.0f} | {u['server_cpu']:.2f} / {u['client_cpu']:.2f} "
            f"| {f['served_per_s']:,.0f} | {f['server_cpu']:.2f} / {f['client_cpu']:.2f} "
            f"| {f['served_per_s'] / u['served_per_s']:.2f} | {per_core(f, u):.2f} "
            f"| {by_status(f)} | {f['late']:,} "
            f"| {f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f} |"
        )
    lines += [
        f"| all | {unflooded_all['served_per_s']:,.0f} | {unflooded_all['server_cpu']:.2f} "
        f"| {flood_all['served_per_s']:,.0f} | {flood_all['server_cpu']:.2f} | {ratio:.2f} "
        f"| {per_core(flood_all, unflooded_all):.2f} | {by_status(flood_all)} "
        f"| {flood_all['late']:,} "
        f"| max {flood_all['max_ms']:.1f} |",
        "",
        # The count too: a share printed to one decimal rounds a few late answers to 100.0%.
        f"flood: {flood_all['requests'] - flood_all['late']:,} of {flood_all['requests']:,} "
        f"requests answered within 1 s ({within:.2%}; {flood_all['late']:,} later or "
        f"unanswered); unflooded: {unflooded_all['late']:,} later or unanswered. "
        f"Flood served/s vs unflooded: {ratio:.2f} ({per_core(flood_all, unflooded_all):.2f} "
        "per server core: the server's share of the CPU moves with other jobs' load).",
        f"{args.people:,} people, {args.threads} server threads, {os.cpu_count()} CPUs, "
        f"clients on the same machine; load average {load_before} at the start, "
        f"{loadavg()} at the end.",
    ]
    print("\n".join(lines))
    if args.json:
        print(
            json.dumps(
                {
                    "client": args.client,
                    "rounds": [{"unflooded": u, "flood": f} for u, f in rounds],
                    "answered_within_1s": within,
                    "flood_vs_unflooded": ratio,
                    "flood_vs_unflooded_per_core": per_core(flood_all, unflooded_all),
                    "p99_ms": {name: percentile(v, 0.99) for name, v, _ in rows},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Suggestions/s and p99 against a running ``graphmatch serve`` while writes arrive.

Point it at a server (``serve --workers 2 --demo --demo-people 100000 --data-dir D``, or the
same with one worker for the baseline). Readers are client processes with keep-alive
connections sending ``GET /v1/people/{random id}/suggestions`` over raw sockets (cheap, so the
client takes little of the cores it shares with the server); one writer thread adds random
friendships at ``--writes-per-s`` and after each one reads the pair back on a new connection
with ``Graphmatch-Min-Position`` (read-your-writes: how long that wait is, and which worker
answered). Prints requests/s, p50/p99/max, errors, the answers per worker and the
read-your-writes waits.

    .venv/bin/python benchmarks/bench_workers.py --port 8080 --people 100000 --seconds 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import socket
import threading
import time
from collections import Counter
from typing import Any


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
    report.update(writes=writes, write_errors=bad, waits=waits)


def main() -> None:
    """Run the load and print one report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--processes", type=int, default=2, help="client processes")
    p.add_argument("--conns", type=int, default=8, help="connections per client process")
    p.add_argument("--writes-per-s", type=float, default=20)
    p.add_argument("--query", default="limit=10")
    args = p.parse_args()
    until = time.monotonic() + args.seconds
    out: Any = mp.Queue()
    procs = [
        mp.Process(
            target=reader,
            args=(args.host, args.port, args.people, args.query, args.conns, until, out),
        )
        for _ in range(args.processes)
    ]
    start = time.monotonic()
    for proc in procs:
        proc.start()
    report: dict[str, Any] = {}
    w = threading.Thread(
        target=writer, args=(args.host, args.port, args.people, args.writes_per_s, until, report)
    )
    w.start()
    latencies: list[float] = []
    workers: Counter[str] = Counter()
    errors = 0
    for _ in procs:
        lat, seen, bad = out.get()
        latencies += lat
        workers.update(seen)
        errors += bad
    for proc in procs:
        proc.join()
    w.join()
    elapsed = time.monotonic() - start
    latencies.sort()

    def q(x: float) -> float:
        return latencies[min(len(latencies) - 1, int(x * len(latencies)))] * 1000

    waits = sorted(t for t, _ in report["waits"])
    print(
        f"{len(latencies) / elapsed:,.0f} suggestion requests/s over {elapsed:.1f} s, "
        f"p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {latencies[-1] * 1000:.0f} ms, "
        f"{errors} errors; answers per worker {dict(sorted(workers.items()))}"
    )
    by = Counter(worker for _, worker in report["waits"])
    print(
        f"{report['writes']} writes ({report['write_errors']} errors or not read back); "
        f"read-your-writes reads: p50 {waits[len(waits) // 2] * 1000:.1f} ms, "
        f"max {waits[-1] * 1000:.1f} ms, answered by workers {dict(sorted(by.items()))}"
    )


if __name__ == "__main__":
    main()

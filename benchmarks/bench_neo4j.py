"""Benchmark the Neo4j store on ego-Facebook against the local Neo4j.

Bulk-loads ego-Facebook (after clearing the database!) and times the store's aggregate reads
on random people, next to the memory store for reference.

Usage::

    scripts/neo4j-local start
    .venv/bin/python benchmarks/bench_neo4j.py [--people 200] [--batch-size 10000] [--json]

Connection: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, else the local server's ``.neo4j/uri``
with the password scripts/neo4j-local sets (``graphmatch-test`` unless NEO4J_PASSWORD is set).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import graphmatch as gm  # noqa: E402
from graphmatch.stores.neo4j.store import Neo4jStore  # noqa: E402

DATA = ROOT / "tests" / "data" / "facebook_combined.txt.gz"


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50/p99/max in milliseconds."""
    ms = sorted(s * 1e3 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return {"p50_ms": statistics.median(ms), "p99_ms": p99, "max_ms": ms[-1]}


def timed(call: Callable[[str], Any], people: list[str]) -> dict[str, float]:
    """Time call(person) for each person."""
    samples = []
    for p in people:
        t0 = time.perf_counter()
        call(p)
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=200, help="random people to query (200)")
    ap.add_argument("--batch-size", type=int, default=10_000, help="rows per write transaction")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cap", type=int, default=None, help="max_degree for the reads")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    uri = os.environ.get("NEO4J_URI")
    if not uri and (ROOT / ".neo4j" / "uri").is_file():
        uri = (ROOT / ".neo4j" / "uri").read_text().strip()
    auth = (
        os.environ.get("NEO4J_USER") or "neo4j",
        os.environ.get("NEO4J_PASSWORD") or "graphmatch-test",
    )
    edges, _ = gm.read_edgelist(DATA)
    memory = gm.MemoryStore.from_edgelist(DATA)
    rng = random.Random(args.seed)
    people = rng.sample(sorted(memory.graph, key=int), args.people)
    # Pair each person with the next one: never themselves.
    others = {p: people[(i + 1) % len(people)] for i, p in enumerate(people)}
    report: dict[str, Any] = {"dataset": DATA.name, "people_sampled": len(people)}

    try:
        with Neo4jStore(uri, auth=auth, batch_size=args.batch_size, timeout=120) as neo:
            neo.ping()
            neo.clear()
            t0 = time.perf_counter()
            created = neo.bulk_load(edges)
            elapsed = time.perf_counter() - t0
            report["bulk_load"] = {
                "friendships": created,
                "seconds": round(elapsed, 3),
                "friendships_per_s": round(created / elapsed),
                "batch_size": args.batch_size,
            }
            # Warm-up: the first run of each query text pays Cypher planning and JIT.
            for p in people[:20]:
                neo.two_hop_weights(p, args.cap)
                neo.two_hop_counts(p, args.cap)
                neo.mutual(p, [others[p]], args.cap)
            cap = args.cap
            matcher = gm.Matcher(neo)
            report["neo4j"] = {
                "two_hop_weights": timed(lambda p: neo.two_hop_weights(p, cap), people),
                "two_hop_counts": timed(lambda p: neo.two_hop_counts(p, cap), people),
                "mutual": timed(lambda p: neo.mutual(p, [others[p]], cap), people),
                "mutual_friends": timed(lambda p: matcher.mutual_friends(p, others[p]), people),
                **{
                    f"suggest {score}": timed(
                        lambda p, s=score: matcher.suggest(p, 10, s, max_degree=cap), people
                    )
                    for score in gm.SCORES
                },
            }
    except gm.GraphMatchError as exc:
        print(f"bench_neo4j: {exc}", file=sys.stderr)
        return 1
    cap = args.cap
    memory.build_index()
    mem_matcher = gm.Matcher(memory)
    report["memory"] = {
        "two_hop_weights": timed(lambda p: memory.two_hop_weights(p, cap), people),
        "two_hop_counts": timed(lambda p: memory.two_hop_counts(p, cap), people),
        "mutual": timed(lambda p: memory.mutual(p, [others[p]], cap), people),
        "mutual_friends": timed(lambda p: mem_matcher.mutual_friends(p, others[p]), people),
        **{
            f"suggest {score}": timed(
                lambda p, s=score: mem_matcher.suggest(p, 10, s, max_degree=cap), people
            )
            for score in gm.SCORES
        },
    }

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    bl = report["bulk_load"]
    print(
        f"bulk load: {bl['friendships']} friendships in {bl['seconds']} s "
        f"= {bl['friendships_per_s']:,} friendships/s (batch {bl['batch_size']})"
    )
    print(f"{'store':8} {'query':30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for store in ("neo4j", "memory"):
        for query, t in report[store].items():
            print(f"{store:8} {query:30} {t['p50_ms']:8.2f} {t['p99_ms']:8.2f} {t['max_ms']:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

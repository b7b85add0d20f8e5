"""Benchmark seed_data: generation time and peak memory, export, and writes into stores.

Run from the repository root::

    .venv/bin/python benchmarks/bench_seed.py                  # 100,000 people, mean degree 20
    .venv/bin/python benchmarks/bench_seed.py --people 10000 --stores memory,neo4j

Peak memory is reported twice: the process high-water mark (``ru_maxrss``, includes the
interpreter and imports) and, in a second run, Python-level allocations under ``tracemalloc``
(numpy registers its buffers with it). tracemalloc slows allocation, so its run is not timed.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seed_data import export, generate, summary, write_to_store


def _maxrss_mib() -> float:
    # Linux reports kilobytes (macOS bytes); these machines are Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _open(kind: str) -> Any:
    if kind == "memory":
        from graphmatch.stores.memory import MemoryStore

        return MemoryStore()
    from graphmatch import open_store

    return open_store(kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--mean-degree", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stores", default="memory", help="comma list: memory,neo4j or ''")
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str]] = []
    rss_before = _maxrss_mib()
    t0 = time.perf_counter()
    net = generate(args.people, args.mean_degree, seed=args.seed)
    gen_s = time.perf_counter() - t0
    rows.append(("people", f"{net.n_people:,}"))
    rows.append(("friendships", f"{net.n_friendships:,}"))
    rows.append(("generate", f"{gen_s:.2f} s"))
    rows.append(("peak RSS after generate", f"{_maxrss_mib():.0f} MiB (was {rss_before:.0f})"))

    t0 = time.perf_counter()
    pairs = net.friendships  # the string pairs stores receive: built once, cached
    rows.append(("friendship tuples (str)", f"{time.perf_counter() - t0:.2f} s ({len(pairs):,})"))

    t0 = time.perf_counter()
    s = summary(net)
    rows.append(("summary", f"{time.perf_counter() - t0:.2f} s"))
    for key in (
        "mean_degree",
        "largest_degree",
        "average_clustering",
        "average_clustering_estimated",
        "giant_component_share",
        "mean_mutual_random_pairs",
        "mean_mutual_event_pairs",
        "max_mutual_event_strangers",
    ):
        rows.append((f"  {key}", str(s[key])))

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = export(net, tmp)
        size = sum(p.stat().st_size for p in paths.values())
        rows.append(("export", f"{time.perf_counter() - t0:.2f} s ({size / 2**20:.0f} MiB)"))

    for kind in [k for k in args.stores.split(",") if k]:
        try:
            store = _open(kind)
        except Exception as exc:  # report and carry on: the other figures still stand
            rows.append((f"write {kind}", f"n/a ({type(exc).__name__}: {exc})"))
            continue
        try:
            stats = write_to_store(net, store, progress=False)
            rows.append(
                (
                    f"write {kind}",
                    f"{stats.seconds:.2f} s ({stats.friendships_per_second:,.0f} friendships/s)",
                )
            )
            rows.append((f"generate + write {kind}", f"{gen_s + stats.seconds:.2f} s"))
        finally:
            store.close()
        rows.append((f"peak RSS after {kind}", f"{_maxrss_mib():.0f} MiB"))

    if not args.no_tracemalloc:
        del net, pairs
        gc.collect()
        tracemalloc.start()
        generate(args.people, args.mean_degree, seed=args.seed)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(("tracemalloc peak, generate", f"{peak / 2**20:.0f} MiB"))

    width = max(len(k) for k, _ in rows)
    print(f"seed_data benchmark: {args.people:,} people, mean degree {args.mean_degree:g}")
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

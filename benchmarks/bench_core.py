"""Benchmark ``suggest`` against the idiomatic networkx way, measured in the same run.

Graphs: ego-Facebook (tests/data) and Slashdot folded to undirected, read from the shared data
folder (``$GRAPHMATCH_DATA`` or ``../shared/data`` beside the checkout); missing files are
skipped with a note. Prints one table: p50/p99 per operation, and the ratio of the networkx
baseline's p50 to graphmatch's.

Baselines (what people write today):
- ``nx Counter``: ``Counter`` over the 2-hop neighbourhood, friends and self removed,
  ``heapq.nlargest(10)`` by count.
- ``nx adamic_adar``: distance-2 candidates scored with ``nx.adamic_adar_index``, top 10 with
  ``heapq.nlargest``.

Usage: ``python benchmarks/bench_core.py [--people 300] [--seed 1] [--quick]``
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from itertools import chain
from pathlib import Path

import networkx as nx

import graphmatch as gm

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("GRAPHMATCH_DATA", ROOT.parent / "shared" / "data"))
GRAPHS = {
    "ego-Facebook": ROOT / "tests" / "data" / "facebook_combined.txt.gz",
    "Slashdot (undirected)": DATA / "soc-Slashdot0902.txt.gz",
}


def nx_counter_top10(G: nx.Graph, u: str) -> list[tuple[str, int]]:
    """Top 10 friends-of-friends by mutual count, the plain-Python way."""
    c = Counter(chain.from_iterable(G[w] for w in G[u]))
    c.pop(u, None)
    for w in G[u]:
        c.pop(w, None)
    return heapq.nlargest(10, c.items(), key=lambda kv: kv[1])


def nx_aa_top10(G: nx.Graph, u: str) -> list[tuple[str, str, float]]:
    """Top 10 by networkx's adamic_adar_index over the distance-2 candidates."""
    near = set(G[u])
    cands = {v for w in near for v in G[w]} - near - {u}
    return heapq.nlargest(10, nx.adamic_adar_index(G, [(u, v) for v in cands]), key=lambda t: t[2])


def timed(fn: Callable[[str], object], people: list[str]) -> list[float]:
    """Return the wall time of fn(u) for each person, in milliseconds."""
    out = []
    for u in people:
        t0 = time.perf_counter()
        fn(u)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def pct(xs: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of xs."""
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=300, help="sampled people per graph")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="ego-Facebook only, 100 people")
    args = ap.parse_args()
    n = 100 if args.quick else args.people
    rows = []
    for name, path in GRAPHS.items():
        if args.quick and name != "ego-Facebook":
            continue
        if not path.exists():
            print(f"skipping {name}: {path} not found")
            continue
        t0 = time.perf_counter()
        store = gm.MemoryStore.from_edgelist(path)
        load_s = time.perf_counter() - t0
        G = store.graph
        m = gm.Matcher(store)
        people = random.Random(args.seed).sample(sorted(G), n)
        p, f = store.counts()
        print(f"{name}: {p:,} people, {f:,} friendships, loaded in {load_s:.1f} s")
        cases = [
            ("common_neighbors", lambda u: m.suggest(u, 10, "common_neighbors"), "nx Counter",
             lambda u: nx_counter_top10(G, u)),
            ("adamic_adar", lambda u: m.suggest(u, 10, "adamic_adar"), "nx adamic_adar",
             lambda u: nx_aa_top10(G, u)),
        ]  # fmt: skip
        for label, ours, base_label, base in cases:
            # Interleave baseline and ours per person so drift affects both alike.
            t_ours, t_base = [], []
            for u in people:
                t_base += timed(base, [u])
                t_ours += timed(ours, [u])
            rows.append((name, f"suggest {label}", "graphmatch", t_ours, None))
            rows.append((name, f"suggest {label}", base_label, t_base, t_ours))
    print()
    print(
        f"{'graph':<22} {'operation':<28} {'impl':<16} {'p50 ms':>9} {'p99 ms':>9} {'p50 ratio':>10}"
    )
    for name, op, impl, ts, ours in rows:
        ratio = f"{pct(ts, 50) / pct(ours, 50):.1f}x" if ours else ""
        print(f"{name:<22} {op:<28} {impl:<16} {pct(ts, 50):>9.3f} {pct(ts, 99):>9.3f} {ratio:>10}")
    print("\nratio = baseline p50 / graphmatch p50 (higher means graphmatch is faster)")


if __name__ == "__main__":
    main()

"""The fixed cost of a call and mutual counts from string ids, against networkx, in one run.

Usage::

    python benchmarks/bench_fixed_cost.py [--graphs lastfm,deezer,synth-1m] [--people 300]
        [--pairs 1000000] [--old MODULE] [--no-fixed] [--no-suggest]

Prints one table. Rows:

* ``fixed cost``: ``Matcher.suggest`` on the README's 7-person graph (2 suggestions, 3 named
  at most), best of 7 ``timeit`` rounds of 20,000 calls (``timeit`` turns the garbage
  collector off), and the same with it on;
* per graph: AA and ``cn_ra`` suggest top-10 (p50 over sampled people, interleaved person by
  person with networkx's way, ``adamic_adar_index`` over the distance-2 pairs, and back to
  back); one pair
  through ``Matcher.mutual_counts`` against ``nx.common_neighbors`` (p50 over sampled
  friendships, interleaved); ``MemoryStore.mutual_counts`` of ``--pairs`` pairs of string
  ids (best of 3, the calls of every implementation interleaved round by round), beside its
  parts: ids to positions by the id table (:mod:`graphmatch.index.idtable`, the batch path)
  and by the dict (``LiveIndex.positions``), and the kernel on positions alone; and the
  batch again with its ids as equal copies (other str objects than the store's).
  ``--no-suggest`` skips the suggest rows.

``--old MODULE`` times a second copy of the package beside this one, interleaved with it
(say, the previous commit's ``graphmatch/`` copied as ``gm_old`` with its imports renamed):
before and after from one run, on the same graph objects. Ratios are only firm within a run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import random
import sys
import time
import timeit
from collections.abc import Callable
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np

import graphmatch as gm
from graphmatch_bench.baselines import nx_aa_top10
from graphmatch_bench.data import load_pairs
from graphmatch_bench.timing import back_to_back, interleaved, pct

README_GRAPH = [
    ("ann", "bob"),
    ("ann", "cat"),
    ("bob", "eve"),
    ("cat", "eve"),
    ("cat", "fay"),
    ("eve", "gus"),
]


def _row(what: str, impl: str, value: str, ratio: str = "") -> None:
    """Print one table row."""
    print(f"| {what} | {impl} | {value} | {ratio} |", flush=True)


def _fixed_cost(mods: dict[str, ModuleType]) -> None:
    """Time Matcher.suggest on the 7-person graph, per package, rounds interleaved."""
    G = nx.Graph(README_GRAPH)
    calls: dict[str, Callable[[], object]] = {}
    for label, mod in mods.items():
        store = mod.MemoryStore(G, index="sync")
        store.build_index()
        matcher = mod.Matcher(store)
        matcher.suggest("ann")
        calls[label] = lambda m=matcher: m.suggest("ann")
    for gc_on in (False, True):
        best = dict.fromkeys(calls, float("inf"))
        for _ in range(7):
            for label, fn in calls.items():
                setup = "gc.enable()" if gc_on else "pass"
                t = timeit.Timer(fn, setup=setup, globals={"gc": gc}).timeit(20_000) / 20_000
                best[label] = min(best[label], t)
        for label, t in best.items():
            ratio = "" if label == "new" else f"new is {best['new'] / t:.2f}x this"
            what = "fixed cost (7 people)" + (", gc on" if gc_on else "")
            _row(what, label, f"{t * 1e6:.2f} µs", ratio)


def _graph(
    name: str, mods: dict[str, ModuleType], people: int, n_pairs: int, suggest: bool = True
) -> None:
    """Measure suggest, one pair and batched mutual counts on one graph."""
    t0 = time.perf_counter()
    pairs, _ = load_pairs(name)
    G = nx.Graph()
    G.add_edges_from(pairs)
    stores: dict[str, Any] = {}
    for label, mod in mods.items():
        stores[label] = mod.MemoryStore(G, index="sync")
        stores[label].build_index()
    print(
        f"# {name}: {G.number_of_nodes():,} people, {G.number_of_edges():,} friendships, "
        f"mean degree {2 * G.number_of_edges() / G.number_of_nodes():.1f}, "
        f"built in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    rng = random.Random(1)
    nodes = list(G)
    sample = [nodes[rng.randrange(len(nodes))] for _ in range(people)]
    matchers = {label: mods[label].Matcher(s) for label, s in stores.items()}
    for score in ("adamic_adar", "cn_ra") if suggest else ():
        impls: dict[str, Callable[[Any], object]] = {
            label: (lambda u, m=m, score=score: m.suggest(u, score=score))
            for label, m in matchers.items()
        }
        if score == "adamic_adar":
            impls["networkx adamic_adar_index"] = lambda u: nx_aa_top10(G, u)
        # Interleaved person by person (each call after the others filled the caches), and
        # back to back (one implementation over the whole sample, as a service runs).
        for how, times in (
            ("interleaved", interleaved(impls, sample)),
            ("back to back", back_to_back(impls, sample)),
        ):
            ref = pct(times["new"], 50)
            for label, ts in times.items():
                p50 = pct(ts, 50)
                ratio = "" if label == "new" else f"{p50 / ref:.1f}x new"
                what = f"{name}: suggest {score} top-10 p50, {how}"
                _row(what, label, f"{p50 * 1e6:.1f} µs", ratio)
    edges = [pairs[rng.randrange(len(pairs))] for _ in range(max(people, 1000))]
    one: dict[str, Callable[[Any], object]] = {
        label: (lambda p, m=m: m.mutual_counts([p])) for label, m in matchers.items()
    }
    one["networkx common_neighbors"] = lambda p: sum(1 for _ in nx.common_neighbors(G, *p))
    times = interleaved(one, edges)
    ref = pct(times["new"], 50)
    for label, ts in times.items():
        p50 = pct(ts, 50)
        ratio = "" if label == "new" else f"{p50 / ref:.1f}x new"
        _row(f"{name}: mutual count, 1 pair, p50", label, f"{p50 * 1e6:.2f} µs", ratio)
    picks = np.random.default_rng(1).integers(0, len(pairs), n_pairs)
    batch = [pairs[i] for i in picks.tolist()]
    index = stores["new"].fresh_index()
    flat_ids = [p for pair in batch for p in pair]
    flat = index.positions(flat_ids)
    many: dict[str, Callable[[], object]] = {
        label: (lambda s=s: s.mutual_counts(batch)) for label, s in stores.items()
    }
    # The same ids as other str objects (as parsed from a request): the id table finds them
    # by their bytes, not by address. Made in batch order, so they lie in memory in the
    # order they are read (ids parsed from one request would too).
    copies = [((a + "-")[:-1], (b + "-")[:-1]) for a, b in batch]
    many["new, ids as copies"] = lambda: stores["new"].mutual_counts(copies)
    t1 = time.perf_counter()
    stores["new"].mutual_counts(batch[:1000])  # builds the id table (once per index)
    table = index._table
    if table is not None:
        print(
            f"# {name}: id table built in {time.perf_counter() - t1:.2f} s, "
            f"{table.nbytes / 2**20:.0f} MiB, {table.size:,} ids",
            flush=True,
        )
    many["new: ids to positions, id table"] = lambda: index._find(batch)
    many["new: ids to positions, dict"] = lambda: index.positions(flat_ids)
    many["new: kernel on positions only"] = lambda: index.mutual_counts_at(flat[0::2], flat[1::2])
    if "old" in stores:
        old_index = stores["old"].fresh_index()
        many["old: kernel on positions only"] = lambda: old_index.mutual_counts_at(
            flat[0::2], flat[1::2]
        )
    best = dict.fromkeys(many, float("inf"))
    for _ in range(3):
        for label, fn in many.items():
            t1 = time.perf_counter()
            fn()
            best[label] = min(best[label], time.perf_counter() - t1)
    for label, t in best.items():
        ratio = "" if label == "new" else f"{t / best['new']:.2f}x new's time"
        rate = f"{n_pairs / t / 1e6:.2f} M pairs/s"
        _row(f"{name}: mutual counts, {n_pairs:,} pairs", label, rate, ratio)


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the table; return the exit code."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--graphs", default="lastfm,deezer")
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--old", help="a second copy of the package, by module name")
    parser.add_argument("--no-fixed", action="store_true", help="skip the 7-person graph")
    parser.add_argument("--no-suggest", action="store_true", help="skip the suggest rows")
    args = parser.parse_args(argv)
    mods: dict[str, ModuleType] = {"new": gm}
    if args.old:
        mods["old"] = importlib.import_module(args.old)
    print(f"# load average {os.getloadavg()}; python {sys.version.split()[0]}")
    print("| what | implementation | value | ratio |\n|---|---|---:|---|")
    if not args.no_fixed:
        _fixed_cost(mods)
    for name in args.graphs.split(","):
        if name:
            _graph(name, mods, args.people, args.pairs, not args.no_suggest)
    print(f"# load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

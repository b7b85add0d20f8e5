"""Memory under churn: millions of friendship writes into a live store, and what grows.

Builds a ``MemoryStore`` with its live index (default: synth-1m, 1M people and 10M
friendships, the seeded generator's cached edges), freezes the loaded graph out of the
collector as ``graphmatch serve`` does, then runs rounds until ``--writes`` friendship writes
have gone in. A round adds ``--round`` friendships between random people (a tenth of them
to newcomers, as in ``graphmatch bench --writes``) with ``add_friendships``, then removes
them one by one with ``remove_friendship`` and removes the newcomers, so the graph ends
every round the size it began. Each row: writes so far, the index's positions, buffer
slots, garbage slots and array bytes, the graph's friendships, the bytes of networkx's
node and adjacency dicts (``sys.getsizeof`` of the maps and of every person's row of
friends, not the edge-data dicts they point to), and the process's resident memory. The
last rows repack the index (``compact``) and collect garbage.

Nothing here is a baseline of another library: the figure is growth against the first row
of the same run. Resident memory includes networkx's dicts, which keep their capacity when a
key is deleted (CPython never shrinks a dict on delete), and freed objects the allocator
keeps for reuse; the index's own arrays are the ``index_mib`` column, networkx's maps
``dicts_mib``.

    .venv/bin/python benchmarks/bench_churn.py                     # synth-1m, 10M writes, ~10 min
    .venv/bin/python benchmarks/bench_churn.py --graph synth:100000:1000000 --writes 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphmatch import MemoryStore  # noqa: E402
from graphmatch_bench.data import load_pairs  # noqa: E402


def rss_mib() -> float:
    """Return this process's resident memory in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def dicts_mib(G: nx.Graph) -> float:
    """Return the MiB of networkx's own dicts: the node and adjacency maps and every row."""
    rows = sum(sys.getsizeof(nbrs) for nbrs in G._adj.values())
    return (rows + sys.getsizeof(G._adj) + sys.getsizeof(G._node)) / 2**20


def row(store: MemoryStore, writes: int, seconds: float, note: str) -> dict[str, object]:
    """Return one table row: the index's stats, the graph's size and resident memory."""
    index = store.fresh_index()
    assert index is not None, "the live index went stale"
    stats = index.stats()
    return {
        "writes": writes,
        "positions": stats["positions"],
        "slots": stats["slots"],
        "garbage": stats["garbage"],
        "index_mib": round(stats["nbytes"] / 2**20, 1),
        "friendships": store.graph.number_of_edges(),
        "dicts_mib": round(dicts_mib(store.graph), 1),
        "rss_mib": round(rss_mib(), 1),
        "seconds": round(seconds, 1),
        "note": note,
    }


def churn_round(
    store: MemoryStore, people: list[str], size: int, tag: str, rng: random.Random
) -> int:
    """Add size new friendships (a tenth to newcomers), then remove them; return the writes."""
    G = store.graph
    newcomers = [f"{tag}-{i}" for i in range(max(1, size // 10))]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < size:
        a = rng.choice(people)
        b = rng.choice(newcomers) if len(pairs) % 10 == 0 else rng.choice(people)
        if a != b and not G.has_edge(a, b) and (b, a) not in pairs:
            pairs.add((a, b))
    batch = list(pairs)
    added = store.add_friendships(batch)
    assert added == size, (added, size)
    for a, b in batch:
        store.remove_friendship(a, b)
    for p in newcomers:
        if store.exists(p):
            store.remove_person(p)
    return 2 * size


def main() -> None:
    """Run the churn and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--graph", default="synth-1m", help="graph name or synth:PEOPLE:FRIENDSHIPS"
    )
    parser.add_argument("--writes", type=int, default=10_000_000, help="friendship writes in all")
    parser.add_argument("--round", type=int, default=500_000, help="friendships added per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args()

    pairs, source = load_pairs(args.graph)
    t0 = time.perf_counter()
    store = MemoryStore(nx.Graph(pairs), index="off")
    del pairs
    store.build_index()
    gc.collect()
    gc.freeze()
    people = sorted(store.graph)
    print(f"{args.graph} ({source}): loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rows = [row(store, 0, 0.0, "loaded, index built, gc.freeze()")]
    rng = random.Random(args.seed)
    writes, r = 0, 0
    while writes < args.writes:
        t = time.perf_counter()
        writes += churn_round(store, people, args.round, f"churn{r}", rng)
        rows.append(row(store, writes, time.perf_counter() - t, f"round {r + 1}"))
        print(json.dumps(rows[-1]), file=sys.stderr)
        r += 1
    index = store.fresh_index()
    assert index is not None
    t = time.perf_counter()
    with index.lock, index.writing():
        index.compact()
    rows.append(row(store, writes, time.perf_counter() - t, "compact()"))
    gc.collect()
    rows.append(row(store, writes, 0.0, "gc.collect()"))
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    first = rows[0]
    cols = ["writes", "positions", "slots", "garbage", "friendships", "index_mib", "dicts_mib"]
    cols += ["rss_mib"]
    print("| " + " | ".join(cols) + " | RSS vs loaded | dicts vs loaded | s | note |")
    print("|" + "---:|" * (len(cols) + 3) + "---|")
    for x in rows:
        rss, dicts = (float(str(x[c])) - float(str(first[c])) for c in ("rss_mib", "dicts_mib"))
        cells = [f"{x[c]:,}" if isinstance(x[c], int) else str(x[c]) for c in cols]
        print(
            f"| {' | '.join(cells)} | {rss:+.0f} MiB | {dicts:+.0f} MiB | {x['seconds']} "
            f"| {x['note']} |"
        )


if __name__ == "__main__":
    main()

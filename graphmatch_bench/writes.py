"""``graphmatch bench --writes``: suggest latency while friendships change, and ingest rates.

One store, its live index built once. For each write rate (0 first, the baseline of the same
run) a writer thread adds friendships between random people at that rate (and removes old
ones, a fifth of the writes, oldest first) while the main thread asks for suggestions back
to back. Each row says suggest p50/p99 and reads/s, their ratio to the 0-writes row, the
share of reads the compiled path answered, the write rate reached, and how many reads missed
an acknowledged write: every 64 reads the reader checks, on the compiled index, the friendship
the writer acknowledged last (removals take only friendships 1,000 writes old, so it is still
there). Then: the repack (compaction) time and the index's memory, bulk ingest into the live
store (friendships/s, and the longest read meanwhile), networkx's own ``add_edges_from`` of
a batch made the same way into the same graph before the index is built (the ceiling, since
networkx is the store's truth), and ingest through the journaled store (one fsync per request of
1,000 friendships).
"""

from __future__ import annotations

import collections
import gc
import random
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any

import networkx as nx

from graphmatch import Matcher, MemoryStore
from graphmatch.index.live import LiveIndex
from graphmatch_bench.data import load_pairs
from graphmatch_bench.timing import pct

__all__ = ["WriteRow", "format_writes", "run_writes"]


@dataclass
class WriteRow:
    """One line of the ``--writes`` table."""

    graph: str
    load: str
    p50_us: float | None = None
    p99_us: float | None = None
    reads_per_s: float | None = None
    p50_ratio: float | None = None
    compiled_share: float | None = None
    writes_per_s: float | None = None
    missed: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _writer(
    store: MemoryStore,
    people: list[str],
    rate: float,
    stop: threading.Event,
    acked: list[tuple[str, str] | None],
    done: list[int],
) -> None:
    """Write friendships at ``rate`` per second until stop; publish the last add in acked."""
    rng = random.Random(11)
    old: collections.deque[tuple[str, str]] = collections.deque()
    t0 = time.perf_counter()
    n = 0
    while not stop.is_set():
        due = t0 + n / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(min(due - now, 0.01))
            continue
        if n % 5 == 4 and len(old) > 1000:
            a, b = old.popleft()
            store.remove_friendship(a, b)
        else:
            a, b = rng.sample(people, 2)
            if store.add_friendship(a, b):
                old.append((a, b))
                acked[0] = (a, b)
        n += 1
    done[0] = n


def _has(index: LiveIndex, a: str, b: str) -> bool:
    """Return whether the compiled index holds the friendship a-b (in a consistent read)."""

    def look() -> bool:
        start, deg, indices = index.rows()
        p, q = index.pos[a], index.pos[b]
        row = indices[start[p] : start[p] + deg[p]]
        return bool(q in row)

    return index.read(look)


def _mixed(
    graph: str,
    store: MemoryStore,
    people: list[str],
    rate: float,
    seconds: float,
) -> WriteRow:
    """Measure suggest back to back for ``seconds`` with a writer at ``rate``."""
    index = store.fresh_index()
    assert index is not None
    hits = [0]
    plain_top, plain_as = store.top_candidates, store.top_candidates_as

    def counted(*args: Any) -> Any:
        out = plain_top(*args)
        hits[0] += out is not None
        return out

    def counted_as(*args: Any) -> Any:
        out = plain_as(*args)
        hits[0] += out is not None
        return out

    # Both ways a Matcher reaches the kernels (the second is its latency path).
    store.top_candidates = counted  # type: ignore[method-assign,assignment]
    store.top_candidates_as = counted_as  # type: ignore[method-assign,assignment]
    m = Matcher(store)
    stop = threading.Event()
    acked: list[tuple[str, str] | None] = [None]
    done = [0]
    thread = None
    repacks, repack_s = index.repacks, index.repack_seconds
    if rate > 0:
        thread = threading.Thread(
            target=_writer, args=(store, people, rate, stop, acked, done), daemon=True
        )
        thread.start()
    rng = random.Random(5)
    lat: list[float] = []
    missed = checks = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    try:
        while True:
            u = people[rng.randrange(len(people))]
            s = time.perf_counter()
            m.suggest(u)
            e = time.perf_counter()
            lat.append(e - s)
            if len(lat) % 64 == 0:
                last = acked[0]
                if last is not None:
                    checks += 1
                    missed += not _has(index, *last)
                if e >= end:
                    break
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        del store.top_candidates, store.top_candidates_as
    wall = time.perf_counter() - t0
    return WriteRow(
        graph,
        f"{rate:,.0f} writes/s" if rate else "no writes",
        p50_us=pct(lat, 50) * 1e6,
        p99_us=pct(lat, 99) * 1e6,
        reads_per_s=len(lat) / wall,
        compiled_share=hits[0] / len(lat),
        writes_per_s=done[0] / wall if rate else 0.0,
        missed=missed,
        note=f"longest {max(lat) * 1e3:.1f} ms; {checks} acknowledged writes checked; repacks "
        f"{index.repacks - repacks} ({index.repack_seconds - repack_s:.3f} s)",
        extra={"longest_read_ms": max(lat) * 1e3},
    )


def _new_pairs(people: list[str], count: int, seed: int, tag: str) -> list[tuple[str, str]]:
    """Return count random friendships, a tenth of them to newcomers named tag + number."""
    rng = random.Random(seed)
    pairs = []
    for i in range(count):
        a = people[rng.randrange(len(people))]
        b = f"{tag}{i // 10}" if i % 10 == 0 else people[rng.randrange(len(people))]
        if a != b:
            pairs.append((a, b))
    return pairs


def _ingest(graph: str, store: MemoryStore, people: list[str], count: int) -> WriteRow:
    """Bulk-add count new friendships (a tenth to new people) while a reader times suggest."""
    pairs = _new_pairs(people, count, 9, "new")
    m = Matcher(store)
    stop = threading.Event()
    worst = [0.0]
    reads = [0]
    slow: list[tuple[float, float]] = []  # (start, end) of reads over 10 ms

    def reader() -> None:
        r = random.Random(3)
        while not stop.is_set():
            s = time.perf_counter()
            m.suggest(people[r.randrange(len(people))])
            e = time.perf_counter()
            worst[0] = max(worst[0], e - s)
            if e - s > 0.01:
                slow.append((s, e))
            reads[0] += 1

    # Python's cyclic collector stops every thread while it walks all tracked objects (a
    # networkx graph of 10M friendships is tens of millions of dicts): timed apart, since it
    # is not the index, and the longest read no collection overlapped is given too.
    pauses = [0.0, 0.0]  # longest, running start
    collections: list[tuple[float, float]] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            pauses[1] = time.perf_counter()
        else:
            end = time.perf_counter()
            pauses[0] = max(pauses[0], end - pauses[1])
            if end - pauses[1] > 0.001:
                collections.append((pauses[1], end))

    index = store.fresh_index()
    repacks = index.repacks if index is not None else 0
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.2)
    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    try:
        store.add_friendships(pairs)
    finally:
        took = time.perf_counter() - t0
        gc.callbacks.remove(on_gc)
        stop.set()
        thread.join()
    repacked = (index.repacks - repacks) if index is not None else 0
    clear = [e - s for s, e in slow if not any(s < ge and gs < e for gs, ge in collections)]
    # Reads under 10 ms were not kept: the longest of them is at most that.
    clear_ms = max(clear, default=min(worst[0], 0.01)) * 1e3
    return WriteRow(
        graph,
        "bulk ingest, live in-memory store",
        writes_per_s=len(pairs) / took,
        note=f"add_friendships of {len(pairs):,} (a tenth to newcomers) in {took:.2f} s; "
        f"{reads[0]:,} reads meanwhile, the longest {worst[0] * 1e3:.1f} ms; longest garbage "
        f"collection {pauses[0] * 1e3:.1f} ms; longest read no collection overlapped "
        f"{clear_ms:.1f} ms; {repacked} repacks",
        extra={
            "longest_read_ms": worst[0] * 1e3,
            "longest_read_clear_of_gc_ms": clear_ms,
            "longest_gc_ms": pauses[0] * 1e3,
            "reads": reads[0],
            "seconds": took,
        },
    )


def _raw_networkx(graph: str, G: nx.Graph, people: list[str], count: int) -> WriteRow:
    """Time networkx alone: ``G.add_edges_from`` of a batch made as the live ingest's is.

    Then takes the batch out again (it holds no friendship G had), so G is as it was.
    """
    adj = G._adj
    pairs = [(a, b) for a, b in _new_pairs(people, count, 8, "raw") if b not in adj.get(a, ())]
    newcomers = [p for p in dict.fromkeys(chain.from_iterable(pairs)) if p not in adj]
    t0 = time.perf_counter()
    G.add_edges_from(pairs)
    took = time.perf_counter() - t0
    G.remove_edges_from(pairs)
    G.remove_nodes_from(newcomers)
    return WriteRow(
        graph,
        "networkx add_edges_from alone",
        writes_per_s=len(pairs) / took,
        note=f"{len(pairs):,} (a tenth to newcomers) into the same graph before the index is "
        f"built, no reader, in {took:.2f} s: the ceiling while networkx is the store's truth",
        extra={"seconds": took},
    )


def _journaled(graph: str, G: nx.Graph, count: int) -> WriteRow:
    """Ingest count friendships through a journaled store, 1,000 per request (one fsync each)."""
    from graphmatch.stores.journal import JournaledStore

    with tempfile.TemporaryDirectory() as d:
        store = JournaledStore(MemoryStore(G, index="off"), d)
        store.build_index()
        people = sorted(G)
        rng = random.Random(13)
        batch = [(a, b) for a, b in (rng.sample(people, 2) for _ in range(count))]
        t0 = time.perf_counter()
        for lo in range(0, len(batch), 1000):
            store.add_friendships(batch[lo : lo + 1000])
        took = time.perf_counter() - t0
        store.close()
    return WriteRow(
        graph,
        "ingest, journaled store",
        writes_per_s=count / took,
        note=f"{count:,} friendships, 1,000 per request, fsync per request, in {took:.2f} s",
    )


def run_writes(
    graph: str,
    rates: list[float],
    *,
    seconds: float = 10.0,
    ingest: int = 100_000,
    gc_freeze: bool = False,
    log: Any = print,
) -> list[WriteRow]:
    """Run the ``--writes`` measurement on one graph; return its rows.

    Parameters
    ----------
    graph : str
        A graph name or ``synth:PEOPLE:FRIENDSHIPS`` (see :mod:`graphmatch_bench.data`).
    rates : list of float
        Friendship writes per second to measure at (0 is added first if missing).
    seconds : float, default 10
        How long each rate runs.
    ingest : int, default 100000
        Friendships for the bulk and journaled ingest rows (0 skips them).
    gc_freeze : bool, default False
        Call :func:`gc.freeze` once the graph is loaded, so the cyclic collector stops
        walking it (what a long-running server holding a big graph may do).
    log : callable
        Progress lines.

    Returns
    -------
    list of WriteRow

    Examples
    --------
    >>> rows = run_writes("synth:300:1200", [100], seconds=0.2, ingest=0, log=lambda s: None)
    >>> [r.load for r in rows][1:3], rows[2].missed
    (['no writes', '100 writes/s'], 0)
    """
    pairs, source = load_pairs(graph)
    G = nx.Graph(pairs)
    people = sorted(G)
    log(f"{graph}: {len(people):,} people, {G.number_of_edges():,} friendships ({source})")
    raw = None
    if ingest:
        log(f"  networkx alone, {ingest:,} friendships")
        raw = _raw_networkx(graph, G, people, ingest)
    store = MemoryStore(G, index="off")
    t0 = time.perf_counter()
    index = store.build_index()
    if gc_freeze:
        gc.collect()
        gc.freeze()
    build = time.perf_counter() - t0
    rows = [
        WriteRow(
            graph,
            "build the live index",
            note=f"{build:.2f} s; {index.nbytes / 2**20:.0f} MiB of arrays",
            extra=index.stats(),
        )
    ]
    ordered = [0.0, *[r for r in rates if r > 0]]
    for rate in ordered:
        log(f"  {rate:,.0f} writes/s for {seconds:g} s")
        rows.append(_mixed(graph, store, people, rate, seconds))
    base = rows[1].p50_us
    for r in rows[1:]:
        if base and r.p50_us is not None:
            r.p50_ratio = r.p50_us / base
    before = index.stats()
    t0 = time.perf_counter()
    with index.lock, index.writing():
        index.compact()
    took = time.perf_counter() - t0
    after = index.stats()
    rows.append(
        WriteRow(
            graph,
            "repack (compaction), forced",
            note=f"{took * 1e3:.0f} ms under the write lock (reads go on); buffer "
            f"{before['slots'] * index.indices.itemsize / 2**20:.0f} -> "
            f"{after['slots'] * index.indices.itemsize / 2**20:.0f} MiB, garbage "
            f"{before['garbage']:,} -> 0 slots; arrays {after['nbytes'] / 2**20:.0f} MiB",
            extra={"seconds": took, "before": before, "after": after},
        )
    )
    if ingest:
        log(f"  ingest {ingest:,} friendships")
        live = _ingest(graph, store, people, ingest)
        rows.append(live)
        assert raw is not None
        rows.append(raw)
        if live.writes_per_s and raw.writes_per_s:
            live.note += f"; {live.writes_per_s / raw.writes_per_s:.2f}x networkx alone"
        # The same graph (with the ingest's friendships) under a journaled store, the live
        # store and its index let go first: one index of this size at a time.
        del store, index
        gc.collect()
        log(f"  journaled ingest {min(ingest, 50_000):,} friendships")
        rows.append(_journaled(graph, G, min(ingest, 50_000)))
    return rows


def _cell(value: float | None, fmt: str) -> str:
    """Format one table cell, blank for None."""
    return "" if value is None else format(value, fmt)


def format_writes(rows: list[WriteRow]) -> str:
    """Return the rows as one aligned text table.

    Examples
    --------
    >>> print(format_writes([WriteRow("g", "no writes", 50.0, 90.0, 1e4, 1.0, 1.0, 0.0, 0)]))
    ... # doctest: +NORMALIZE_WHITESPACE
    graph  load  suggest p50  p99  reads/s  p50 x  compiled  writes/s  missed  note
    g  no writes  50.0 µs  90.0 µs  10,000  1.00x  100%  0  0
    """
    head = ["graph", "load", "suggest p50", "p99", "reads/s", "p50 x", "compiled", "writes/s"]
    head += ["missed", "note"]
    table = [head]
    for r in rows:
        table.append(
            [
                r.graph,
                r.load,
                _cell(r.p50_us, ".1f") + (" µs" if r.p50_us is not None else ""),
                _cell(r.p99_us, ".1f") + (" µs" if r.p99_us is not None else ""),
                _cell(r.reads_per_s, ",.0f"),
                _cell(r.p50_ratio, ".2f") + ("x" if r.p50_ratio is not None else ""),
                "" if r.compiled_share is None else f"{r.compiled_share:.0%}",
                _cell(r.writes_per_s, ",.0f"),
                "" if r.missed is None else str(r.missed),
                r.note,
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    )


def as_dicts(rows: list[WriteRow]) -> list[dict[str, Any]]:
    """Return the rows as JSON-ready data."""
    return [asdict(r) for r in rows]

"""``graphmatch bench``: graphmatch against the libraries people use, measured in one run.

One table: operation x implementation x graph -> p50/p99 latency, throughput, peak memory
(RSS) and build time, with each baseline's ratio to graphmatch measured in the same process,
interleaved person by person so machine load drifts onto every implementation alike.

Operations
----------
- ``suggest CN`` / ``suggest AA``: top-10 friends-of-friends for one person by common
  neighbours / Adamic-Adar (graphmatch also names 3 mutual friends per suggestion; the
  baselines name none). Baselines: networkx ``Counter`` over the 2-hop neighbourhood,
  ``nx.adamic_adar_index`` over the distance-2 candidates + ``heapq.nlargest``, a scipy
  sparse row product ``A[u] @ A`` + top-k, igraph and NetworKit where installed.
- ``mutual 1 pair``: friends in common of one pair (``Matcher.mutual_counts`` with one pair,
  and the lighter paths under it).
- ``mutual batch``: counts for many pairs at once (``MemoryStore.mutual_counts``), pairs/s.
- ``batch top-10``: every person's top-10 (common neighbours), ranking only and with JSONL
  writing, against scipy block products ``A[block] @ A`` + per-row top-k on the same number
  of threads (on big graphs measured on a sample of blocks and extrapolated: the row says so).
- ``build``: networkx graph, graphmatch CSR index, scipy CSR, igraph, NetworKit.

Graphs: ``facebook`` (ego-Facebook), ``slashdot``, ``github`` (from ``$GRAPHMATCH_DATA`` or
``../shared/data``; skipped with a note when missing), ``synth-100k`` (100k people / 1M
friendships) and ``synth-1m`` (1M / 10M) from :func:`seed_data.generate`, or ``synth:N:M``.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graphmatch.loaders import read_edgelist
from graphmatch.matcher import Matcher
from graphmatch.stores.memory import MemoryStore

__all__ = [
    "GRAPHS",
    "QUICK_GRAPHS",
    "Row",
    "add_arguments",
    "format_table",
    "run_bench",
    "run_from_args",
]

ROOT = Path(__file__).resolve().parent.parent
#: Named graphs: a path (edge list) or ``synth:PEOPLE:FRIENDSHIPS``.
GRAPHS = {
    "facebook": "facebook_combined.txt.gz",
    "slashdot": "soc-Slashdot0902.txt.gz",
    "github": "git_web_ml/git_edges.csv",
    "synth-100k": "synth:100000:1000000",
    "synth-1m": "synth:1000000:10000000",
}
QUICK_GRAPHS = ("facebook", "synth:10000:100000")
SEED = 1
#: Pairs given to the pure-Python batch baselines (they run at ~10k pairs/s).
SLOW_PAIRS = 20_000


def data_dir() -> Path:
    """Return the shared data folder: ``$GRAPHMATCH_DATA`` or ``../shared/data``.

    Returns
    -------
    Path
        The folder (it may not exist).

    Examples
    --------
    >>> isinstance(data_dir(), Path)
    True
    """
    env = os.environ.get("GRAPHMATCH_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


# -- measuring -----------------------------------------------------------------------------
def rss_bytes() -> int:
    """Return the resident set size of this process now (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs``); return whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Return the peak RSS since the last :func:`reset_peak` (or since start)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def pct(xs: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of xs, by linear interpolation."""
    return float(np.percentile(np.asarray(xs, dtype=np.float64), q)) if xs else math.nan


@dataclass
class Row:
    """One line of the table.

    Times are seconds. ``ratio`` is how many times faster graphmatch is than this row
    (p50 for latencies, throughput for batches); None on graphmatch's own rows.
    """

    graph: str
    operation: str
    impl: str
    p50: float | None = None
    p99: float | None = None
    throughput: float | None = None
    unit: str = ""
    ratio: float | None = None
    build_s: float | None = None
    peak_rss: int | None = None
    note: str = ""
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# -- graphs --------------------------------------------------------------------------------
def _cache_dir() -> Path:
    """Return where generated synthetic edge arrays are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "graphmatch" / "bench"


def synthetic_edges(people: int, friendships: int, cache: bool = True) -> np.ndarray:
    """Return the ``(m, 2)`` edge array of ``seed_data.generate`` for a size, cached on disk.

    Parameters
    ----------
    people, friendships : int
        The size; the mean degree asked of the generator is ``2 * friendships / people``.
    cache : bool, default True
        Keep the array in ``~/.cache/graphmatch/bench`` (a 1M-person network takes minutes).

    Returns
    -------
    numpy.ndarray
        int32 positions; ids are ``str(position)``.

    Examples
    --------
    >>> synthetic_edges(100, 300, cache=False).shape[1]
    2
    """
    from seed_data import generate

    path = _cache_dir() / f"synth-{people}-{friendships}-seed{SEED}.npy"
    if cache and path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    edges: np.ndarray = generate(people, 2 * friendships / people, seed=SEED).edges
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, edges)
    return edges


def load_pairs(spec: str) -> tuple[list[tuple[str, str]], str]:
    """Return the friendships of a named graph or spec, and a description.

    Raises
    ------
    FileNotFoundError
        If the graph's file is missing.
    """
    target = GRAPHS.get(spec, spec)
    if target.startswith("synth:"):
        _, n_s, m_s = target.split(":")
        edges = synthetic_edges(int(n_s), int(m_s))
        ids = [str(i) for i in range(int(n_s))]
        return [(ids[a], ids[b]) for a, b in edges.tolist()], "seed_data.generate(seed=1)"
    path = Path(target)
    if not path.is_absolute():
        local = ROOT / "tests" / "data" / target
        path = local if local.exists() else data_dir() / target
    if not path.exists():
        raise FileNotFoundError(str(path))
    pairs, _ = read_edgelist(path)
    return list(pairs), path.name


# -- baselines -----------------------------------------------------------------------------
def nx_counter_top10(G: nx.Graph, u: str) -> list[tuple[str, int]]:
    """Top 10 friends-of-friends by mutual count, the plain-Python way."""
    c = Counter(chain.from_iterable(G[w] for w in G[u]))
    c.pop(u, None)
    for w in G[u]:
        c.pop(w, None)
    return heapq.nlargest(10, c.items(), key=lambda kv: kv[1])


def nx_aa_top10(G: nx.Graph, u: str) -> list[tuple[str, str, float]]:
    """Top 10 by ``nx.adamic_adar_index`` over the distance-2 candidates."""
    near = set(G[u])
    cands = {v for w in near for v in G[w]} - near - {u}
    return heapq.nlargest(10, nx.adamic_adar_index(G, [(u, v) for v in cands]), key=lambda t: t[2])


def _topk_row(vals: np.ndarray, cols: np.ndarray, k: int) -> np.ndarray:
    """Return the k best columns of one sparse row: value desc, then column asc."""
    if vals.shape[0] > k:
        part = np.argpartition(-vals, k - 1)[:k]
        vals, cols = vals[part], cols[part]
    best: np.ndarray = np.asarray(cols)[np.lexsort((cols, -vals))]
    return best


def scipy_top10(A: Any, W: Any, u: int) -> np.ndarray:
    """Top 10 by a sparse row product: ``A[u] @ W`` less u and u's friends."""
    row = (A[[u]] @ W).tocsr()
    friends = A.indices[A.indptr[u] : A.indptr[u + 1]]
    keep = ~np.isin(row.indices, friends) & (row.indices != u)
    return _topk_row(row.data[keep], row.indices[keep], 10)


def scipy_block_topk(A: Any, rows: np.ndarray, k: int) -> list[np.ndarray]:
    """Top k by common neighbours for a block of rows: ``A[rows] @ A`` + per-row top-k."""
    import scipy.sparse as sp

    F = A[rows]
    C = (F @ A).tocsr()
    me = sp.csr_matrix((np.ones(len(rows)), (np.arange(len(rows)), rows)), shape=C.shape)
    C = (C - C.multiply(F) - C.multiply(me)).tocsr()
    C.eliminate_zeros()
    out = []
    for i in range(len(rows)):
        p, q = C.indptr[i], C.indptr[i + 1]
        out.append(_topk_row(C.data[p:q], C.indices[p:q], k))
    return out


def igraph_counter_top10(adj: Sequence[Sequence[int]], u: int) -> list[tuple[int, int]]:
    """Top 10 by mutual count over an igraph adjacency list (``g.get_adjlist()``)."""
    c = Counter(chain.from_iterable(adj[w] for w in adj[u]))
    c.pop(u, None)
    for w in adj[u]:
        c.pop(w, None)
    return heapq.nlargest(10, c.items(), key=lambda kv: kv[1])


def igraph_aa_top10(g: Any, adj: Sequence[Sequence[int]], u: int) -> list[int]:
    """Top 10 by igraph's ``similarity_inverse_log_weighted`` (Adamic-Adar) row."""
    row = np.asarray(g.similarity_inverse_log_weighted(vertices=[u])[0])
    row[u] = 0.0
    row[list(adj[u])] = 0.0
    nz = np.flatnonzero(row)
    best: list[int] = _topk_row(row[nz], nz, 10).tolist()
    return best


def networkit_top10(index: Any, G: Any, u: int) -> list[tuple[tuple[int, int], float]]:
    """Top 10 by a NetworKit link-prediction index over the distance-2 candidates."""
    near = set(G.iterNeighbors(u))
    cands = {v for w in near for v in G.iterNeighbors(w)} - near - {u}
    scored = index.runOn([(u, v) for v in cands])
    return heapq.nlargest(10, scored, key=lambda t: t[1])


def _suggest(m: Matcher, sample: Sequence[str], score: str, i: int) -> object:
    """Call ``Matcher.suggest`` for the i-th sampled person."""
    return m.suggest(sample[i], 10, score)


def _scipy_one(A: Any, M: Any, sample: Sequence[int], i: int) -> object:
    """Call :func:`scipy_top10` for the i-th sampled person."""
    return scipy_top10(A, M, sample[i])


def _nk_one(index: Any, G: Any, sample: Sequence[int], i: int) -> object:
    """Call :func:`networkit_top10` for the i-th sampled person."""
    return networkit_top10(index, G, sample[i])


# -- the run -------------------------------------------------------------------------------
def _interleaved(
    impls: dict[str, Callable[[Any], object]], items: Sequence[Any], warm: int = 3
) -> dict[str, list[float]]:
    """Time each implementation on each item, alternating implementations per item."""
    for fn in impls.values():
        for x in items[:warm]:
            fn(x)
    times: dict[str, list[float]] = {label: [] for label in impls}
    clock = time.perf_counter
    order = list(impls.items())
    for i, x in enumerate(items):
        # Rotate who goes first, so no implementation always runs on a cold cache.
        for label, fn in order[i % len(order) :] + order[: i % len(order)]:
            t0 = clock()
            fn(x)
            times[label].append(clock() - t0)
    return times


def _back_to_back(
    impls: dict[str, Callable[[Any], object]], items: Sequence[Any], warm: int = 3
) -> dict[str, list[float]]:
    """Time each implementation on every item in a row: its steady state, caches its own."""
    times: dict[str, list[float]] = {}
    clock = time.perf_counter
    for label, fn in impls.items():
        for x in items[:warm]:
            fn(x)
        ts = times[label] = []
        for x in items:
            t0 = clock()
            fn(x)
            ts.append(clock() - t0)
    return times


def _latency_rows(
    graph: str, op: str, times: dict[str, list[float]], ours: str, note: dict[str, str]
) -> list[Row]:
    """Turn per-call times into rows with p50 ratios against graphmatch."""
    ref = pct(times[ours], 50)
    rows = []
    for label, ts in times.items():
        p50 = pct(ts, 50)
        rows.append(
            Row(
                graph,
                op,
                label,
                p50=p50,
                p99=pct(ts, 99),
                throughput=len(ts) / sum(ts),
                unit="calls/s",
                ratio=None if label == ours else p50 / ref,
                note=note.get(label, ""),
                samples=len(ts),
            )
        )
    return rows


def bench_graph(
    name: str,
    *,
    people: int = 300,
    pairs_single: int = 2000,
    pairs_batch: int = 1_000_000,
    batch_threads: int = 2,
    scipy_block_sample: int | None = None,
    baselines: Iterable[str] = ("networkx", "scipy", "igraph", "networkit"),
    log: Callable[[str], None] = print,
) -> list[Row]:
    """Measure every operation on one graph; return its rows.

    Parameters
    ----------
    name : str
        A key of :data:`GRAPHS` or ``synth:PEOPLE:FRIENDSHIPS``.
    people : int, default 300
        People sampled for the latency operations.
    pairs_single : int, default 2000
        Pairs timed one by one.
    pairs_batch : int, default 1000000
        Pairs in the batched mutual-count operation.
    batch_threads : int, default 2
        Threads for graphmatch batch and the scipy block products.
    scipy_block_sample : int, optional
        Time scipy on this many blocks only and extrapolate (default: all blocks up to
        200,000 people, else 8 blocks).
    baselines : iterable of str
        Which baselines to run (those not installed are skipped).
    log : callable
        Where progress notes go.

    Returns
    -------
    list of Row

    Raises
    ------
    FileNotFoundError
        If the graph's file is missing.
    """
    from graphmatch.batch.run import JsonlSink, iter_blocks, run_batch
    from graphmatch.index import kernels

    wanted = set(baselines)
    rows: list[Row] = []
    rng = random.Random(SEED)
    gc.collect()
    pairs, source = load_pairs(name)
    reset_peak()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    G = nx.Graph()
    G.add_edges_from(pairs)
    nx_build = time.perf_counter() - t0
    rss_nx = rss_bytes() - rss0
    n, m = G.number_of_nodes(), G.number_of_edges()
    log(f"{name}: {n:,} people, {m:,} friendships ({source}); networkx built in {nx_build:.1f} s")
    rows.append(
        Row(
            name,
            "build",
            "networkx Graph",
            build_s=nx_build,
            peak_rss=rss_nx,
            note=f"{n:,} people, {m:,} friendships; peak = RSS growth",
        )
    )

    plain = MemoryStore(G, index="off")
    indexed = MemoryStore(G, index="off")
    rss1 = rss_bytes()
    t0 = time.perf_counter()
    index = indexed.build_index()
    ix_build = time.perf_counter() - t0
    rss_ix = rss_bytes() - rss1
    rows.append(
        Row(
            name,
            "build",
            "graphmatch index",
            build_s=ix_build,
            peak_rss=rss_ix,
            note=f"arrays {index.nbytes / 2**20:.0f} MiB; peak = RSS growth "
            "(arrays + id list + id->position map)",
        )
    )
    pos = index.pos
    ids = index.ids

    A: Any = None
    if "scipy" in wanted:
        import scipy.sparse as sp

        rss2 = rss_bytes()
        t0 = time.perf_counter()
        a = np.fromiter((pos[x] for p in pairs for x in p), dtype=np.int64, count=2 * len(pairs))
        src, dst = a[0::2], a[1::2]
        A = sp.csr_matrix(
            (np.ones(2 * len(src)), (np.concatenate([src, dst]), np.concatenate([dst, src]))),
            shape=(n, n),
        )
        A.sum_duplicates()
        A.data[:] = 1.0
        sp_build = time.perf_counter() - t0
        rows.append(Row(name, "build", "scipy csr", build_s=sp_build, peak_rss=rss_bytes() - rss2))
        deg = np.diff(A.indptr).astype(np.float64)
        with np.errstate(divide="ignore"):
            w = np.where(deg >= 2, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
        W = (sp.diags(w) @ A).tocsr()
    g: Any = None
    if "igraph" in wanted:
        try:
            import igraph
        except ImportError:
            log("igraph not installed: skipped (pip install 'graphmatch[bench]')")
        else:
            rss2 = rss_bytes()
            t0 = time.perf_counter()
            g = igraph.Graph(n=n, edges=[(pos[a], pos[b]) for a, b in pairs])
            ig_adj = g.get_adjlist()
            rows.append(
                Row(
                    name,
                    "build",
                    "igraph",
                    build_s=time.perf_counter() - t0,
                    peak_rss=rss_bytes() - rss2,
                    note="Graph + get_adjlist()",
                )
            )
    nkG: Any = None
    if "networkit" in wanted:
        try:
            import networkit as nk
        except ImportError:
            log("networkit not installed: skipped (pip install 'graphmatch[bench]')")
        else:
            nk.engineering.setNumberOfThreads(batch_threads)
            rss2 = rss_bytes()
            t0 = time.perf_counter()
            e = np.fromiter((pos[x] for p in pairs for x in p), dtype=np.uint64, count=2 * m)
            nkG = nk.Graph(n)
            nkG.addEdges((e[0::2], e[1::2]))
            nkG.indexEdges()
            rows.append(
                Row(
                    name,
                    "build",
                    "networkit",
                    build_s=time.perf_counter() - t0,
                    peak_rss=rss_bytes() - rss2,
                )
            )
            nk_cn = nk.linkprediction.CommonNeighborsIndex(nkG)
            nk_aa = nk.linkprediction.AdamicAdarIndex(nkG)

    sample = rng.sample(ids, min(people, n))
    sample_pos = [pos[u] for u in sample]
    ours = Matcher(indexed)
    base = Matcher(plain)
    note = {
        "graphmatch": "index; names 3 mutual friends",
        "graphmatch plain": "index off; own pass, interleaved with graphmatch",
    }

    # -- suggest ---------------------------------------------------------------------------
    sample_idx = range(len(sample))
    for score, op in (
        ("common_neighbors", "suggest CN top-10"),
        ("adamic_adar", "suggest AA top-10"),
    ):
        impls: dict[str, Callable[[Any], object]] = {
            "graphmatch": partial(_suggest, ours, sample, score),
        }
        if score == "common_neighbors":
            impls["networkx Counter"] = lambda i: nx_counter_top10(G, sample[i])
        else:
            impls["networkx adamic_adar_index"] = lambda i: nx_aa_top10(G, sample[i])
        if A is not None:
            M = A if score == "common_neighbors" else W
            impls["scipy A[u] @ A"] = partial(_scipy_one, A, M, sample_pos)
        if g is not None:
            if score == "common_neighbors":
                impls["igraph Counter"] = lambda i: igraph_counter_top10(ig_adj, sample_pos[i])
            else:
                impls["igraph inverse_log_weighted"] = lambda i: igraph_aa_top10(
                    g, ig_adj, sample_pos[i]
                )
        if nkG is not None:
            idx = nk_cn if score == "common_neighbors" else nk_aa
            impls["networkit linkprediction"] = partial(_nk_one, idx, nkG, sample_pos)
        reset_peak()
        times = _interleaved(impls, sample_idx)
        r = _latency_rows(name, op, times, "graphmatch", note)
        for row in r:
            row.peak_rss = peak_rss_bytes()  # one peak for the interleaved group
        rows.extend(r)
        # The plain path reads the very networkx dicts the networkx baselines read, so in
        # one group it would warm their caches person by person: it gets a pass of its own,
        # interleaved with graphmatch, and its ratio comes from that pass.
        own = _interleaved(
            {
                "graphmatch": impls["graphmatch"],
                "graphmatch plain": partial(_suggest, base, sample, score),
            },
            range(len(sample)),
        )
        rows.extend(
            row
            for row in _latency_rows(name, op, own, "graphmatch", note)
            if row.impl != "graphmatch"
        )
        # Interleaving leaves every call with caches another implementation just filled; a
        # service answering only this question runs back to back, so that is measured too.
        rows.extend(
            _latency_rows(
                name, f"{op}, back to back", _back_to_back(impls, sample_idx), "graphmatch", note
            )
        )
        log(f"  {op}: graphmatch p50 {pct(times['graphmatch'], 50) * 1e6:.1f} µs")

    # -- mutual counts ---------------------------------------------------------------------
    edge_sample = [pairs[i] for i in (rng.randrange(len(pairs)) for _ in range(pairs_single))]
    esp = [(pos[a], pos[b]) for a, b in edge_sample]
    indptr, indices = index.indptr, index.indices

    def kernel_pair(i: int) -> int:
        return int(kernels.mutual_count(indptr, indices, *esp[i]))

    single: dict[str, Callable[[Any], object]] = {
        "graphmatch": lambda i: ours.mutual_counts([edge_sample[i]]),
        "graphmatch store.mutual_counts": lambda i: indexed.mutual_counts([edge_sample[i]]),
        "graphmatch kernel (positions)": kernel_pair,
        "graphmatch mutual_friends": lambda i: ours.mutual_friends(*edge_sample[i]).count,
        "networkx common_neighbors": lambda i: sum(
            1 for _ in nx.common_neighbors(G, *edge_sample[i])
        ),
        "networkx set &": lambda i: len(G[edge_sample[i][0]].keys() & G[edge_sample[i][1]].keys()),
    }
    if A is not None:
        single["scipy row multiply"] = lambda i: A[esp[i][0]].multiply(A[esp[i][1]]).sum()
    if g is not None:
        single["igraph set &"] = lambda i: len(set(ig_adj[esp[i][0]]) & set(ig_adj[esp[i][1]]))
    if nkG is not None:
        single["networkit CommonNeighborsIndex.run"] = lambda i: nk_cn.run(*esp[i])
    times = _interleaved(single, range(len(edge_sample)))
    rows.extend(
        _latency_rows(
            name,
            "mutual 1 pair",
            times,
            "graphmatch",
            {
                "graphmatch": "Matcher.mutual_counts([(a, b)])",
                "graphmatch kernel (positions)": "numba call on positions: the floor under it",
                "graphmatch mutual_friends": "count + named, consent-filtered",
            },
        )
    )
    log(f"  mutual 1 pair: graphmatch p50 {pct(times['graphmatch'], 50) * 1e6:.2f} µs")

    nb = min(pairs_batch, 20 * m)
    batch_pairs = [pairs[i] for i in np.random.default_rng(SEED).integers(0, len(pairs), nb)]
    bp = np.array([(pos[a], pos[b]) for a, b in batch_pairs], dtype=np.int64)
    slow_pairs = batch_pairs[: min(nb, SLOW_PAIRS)]
    sizes = {"networkx set &": len(slow_pairs)}
    many: dict[str, Callable[[], object]] = {
        "graphmatch": lambda: indexed.mutual_counts(batch_pairs),
        "graphmatch Matcher.mutual_counts": lambda: ours.mutual_counts(batch_pairs),
        "graphmatch index.mutual_counts_at (positions)": lambda: index.mutual_counts_at(
            bp[:, 0], bp[:, 1]
        ),
        # Pure-Python baselines run on a slice (SLOW_PAIRS) and are reported per pair.
        "networkx set &": lambda: [len(G[a].keys() & G[b].keys()) for a, b in slow_pairs],
    }
    if A is not None:

        def scipy_many() -> list[Any]:
            # Chunks keep the two fancy-indexed row matrices from growing with the batch.
            return [
                np.asarray(A[bp[s : s + 100_000, 0]].multiply(A[bp[s : s + 100_000, 1]]).sum(1))
                for s in range(0, nb, 100_000)
            ]

        many["scipy rows multiply"] = scipy_many
    if nkG is not None:
        nk_pairs = [(int(a), int(b)) for a, b in bp.tolist()]
        many["networkit CommonNeighborsIndex.runOn"] = lambda: nk_cn.runOn(nk_pairs)
    indexed.mutual_counts(batch_pairs[:10])  # warm up (compile, caches)
    index.mutual_counts_at(bp[:10, 0], bp[:10, 1])
    best: dict[str, float] = {}
    peaks: dict[str, int] = {}
    for _ in range(3):
        for label, fn in many.items():
            reset_peak()
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best[label] = min(best.get(label, math.inf), dt)
            peaks[label] = max(peaks.get(label, 0), peak_rss_bytes())
    ref = nb / best["graphmatch"]
    for label, dt in best.items():
        size = sizes.get(label, nb)
        rows.append(
            Row(
                name,
                "mutual batch",
                label,
                throughput=size / dt,
                unit="pairs/s",
                ratio=None if label == "graphmatch" else ref / (size / dt),
                peak_rss=peaks[label],
                samples=size,
                note=f"MemoryStore.mutual_counts({nb:,} pairs), best of 3"
                if label == "graphmatch"
                else f"{size:,} pairs, best of 3",
            )
        )
    log(f"  mutual batch: graphmatch {ref / 1e6:.2f} M pairs/s")

    # -- batch top-10 for everyone ---------------------------------------------------------
    # Compile (or load from numba's cache) the parallel kernel outside the timing.
    tiny = MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="off")
    for _ in iter_blocks(tiny, "common_neighbors", 10, threads=batch_threads):
        pass
    reset_peak()
    t0 = time.perf_counter()
    for _ in iter_blocks(indexed, "common_neighbors", 10, threads=batch_threads, index=index):
        pass
    gm_batch = time.perf_counter() - t0
    gm_peak = peak_rss_bytes()
    rows.append(
        Row(
            name,
            "batch top-10 all",
            "graphmatch",
            p50=gm_batch,
            throughput=n / gm_batch,
            unit="people/s",
            peak_rss=gm_peak,
            samples=n,
            note=f"ranking only, {batch_threads} threads, blocks of 20,000",
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        reset_peak()
        t0 = time.perf_counter()
        rep = run_batch(
            indexed, JsonlSink(Path(tmp) / "s.jsonl"), k=10, progress=False, threads=batch_threads
        )
        full = time.perf_counter() - t0
        out_size = (Path(tmp) / "s.jsonl").stat().st_size
    rows.append(
        Row(
            name,
            "batch top-10 all",
            "graphmatch -> JSONL",
            p50=full,
            throughput=n / full,
            unit="people/s",
            ratio=full / gm_batch,
            peak_rss=peak_rss_bytes(),
            samples=n,
            note=f"run_batch: ranking {rep.rank_seconds:.1f} s + writing "
            f"{rep.write_seconds:.1f} s, {out_size / 2**20:.0f} MiB",
        )
    )
    log(f"  batch top-10: graphmatch {gm_batch:.1f} s (with JSONL {full:.1f} s)")
    if A is not None:
        bs = 20_000 if n > 200_000 else 5_000
        starts = list(range(0, n, bs))
        sample_blocks = scipy_block_sample or (len(starts) if n <= 200_000 else 8)
        chosen = sorted(random.Random(SEED).sample(starts, min(sample_blocks, len(starts))))
        reset_peak()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(batch_threads) as pool:
            list(pool.map(lambda s: scipy_block_topk(A, np.arange(s, min(n, s + bs)), 10), chosen))
        dt = time.perf_counter() - t0
        covered = sum(min(n, s + bs) - s for s in chosen)
        est = dt * n / covered
        rows.append(
            Row(
                name,
                "batch top-10 all",
                "scipy A[block] @ A",
                p50=est,
                throughput=n / est,
                unit="people/s",
                ratio=est / gm_batch,
                peak_rss=peak_rss_bytes(),
                samples=covered,
                note=f"{batch_threads} threads, blocks of {bs:,}"
                + (
                    ""
                    if covered == n
                    else f"; extrapolated from {len(chosen)} of {len(starts)} blocks "
                    f"({covered:,} people)"
                ),
            )
        )
        log(f"  batch top-10: scipy {est:.1f} s")
    rows.append(
        Row(
            name,
            "memory",
            "graphmatch store",
            peak_rss=rss_bytes() - rss0,
            note=f"networkx graph + index, RSS growth; index arrays {index.nbytes / 2**20:.0f} MiB",
        )
    )
    return rows


def _child(name: str, kwargs: dict[str, Any], conn: Any) -> None:
    """Run one graph's benchmark and send the rows (or the error) back through a pipe."""
    try:
        rows = bench_graph(name, log=lambda s: print(s, file=sys.stderr, flush=True), **kwargs)
        conn.send(("ok", [asdict(r) for r in rows]))
    except FileNotFoundError as exc:
        conn.send(("missing", str(exc)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _in_child(name: str, kwargs: dict[str, Any], log: Callable[[str], None]) -> list[Row]:
    """Run :func:`bench_graph` in a child process; return its rows."""
    import multiprocessing as mp

    # spawn, not fork: forking a process whose numba (OpenMP) thread pool is running is
    # unsafe, and a test session or an embedding app may well have started it.
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, kwargs, child))
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        proc.join()
        status, payload = "error", f"the benchmark process died (exit code {proc.exitcode})"
    proc.join()
    if status == "missing":
        raise FileNotFoundError(payload)
    if status == "error":
        raise RuntimeError(f"benchmark of {name} failed: {payload}")
    return [Row(**r) for r in payload]


def _fmt_time(s: float | None) -> str:
    """Format seconds with a unit that fits."""
    if s is None or math.isnan(s):
        return ""
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs" if s < 1e-5 else f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _fmt_rate(x: float | None, unit: str) -> str:
    """Format a throughput."""
    if x is None:
        return ""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.2f}{suffix} {unit}"
    return f"{x:.1f} {unit}"


def format_table(rows: Sequence[Row]) -> str:
    """Return the rows as a fixed-width text table.

    Parameters
    ----------
    rows : sequence of Row
        What :func:`run_bench` returned.

    Returns
    -------
    str
        The table, one line per row, then a legend.

    Examples
    --------
    >>> print(format_table([Row("g", "suggest", "graphmatch", p50=1e-5, p99=2e-5)]))
    ... # doctest: +ELLIPSIS
    graph ...
    """
    head = (
        "graph",
        "operation",
        "implementation",
        "p50",
        "p99",
        "throughput",
        "x slower",
        "build",
        "peak RSS",
        "note",
    )
    body = []
    for r in rows:
        body.append(
            (
                r.graph,
                r.operation,
                r.impl,
                _fmt_time(r.p50),
                _fmt_time(r.p99),
                _fmt_rate(r.throughput, r.unit),
                "" if r.ratio is None else f"{r.ratio:.1f}x",
                _fmt_time(r.build_s),
                "" if r.peak_rss is None else f"{r.peak_rss / 2**20:,.0f} MiB",
                r.note,
            )
        )
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)
    ]
    right = {3, 4, 5, 6, 7, 8}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(head)] + [line(b) for b in body]
    out.append(
        "\nx slower = this row's p50 (or batch time) / graphmatch's; for pairs/s rows, "
        "graphmatch's throughput / this row's. Higher means graphmatch is faster.\n"
        "peak RSS: kernel high-water mark over that measurement (Linux clear_refs), or RSS "
        "growth where the note says so."
    )
    return "\n".join(out)


def run_bench(
    graphs: Sequence[str],
    *,
    people: int = 300,
    pairs_single: int = 2000,
    pairs_batch: int = 1_000_000,
    threads: int = 2,
    baselines: Iterable[str] = ("networkx", "scipy", "igraph", "networkit"),
    log: Callable[[str], None] = print,
    isolate: bool = True,
) -> tuple[list[Row], list[str]]:
    """Benchmark each graph in turn; return the rows and notes on skipped graphs.

    Parameters
    ----------
    graphs : sequence of str
        Names from :data:`GRAPHS` or ``synth:PEOPLE:FRIENDSHIPS`` specs.
    people, pairs_single, pairs_batch, threads, baselines, log
        As for :func:`bench_graph`.
    isolate : bool, default True
        Measure each graph in a child process of its own, so one graph's memory does not hide
        the next one's (RSS rarely shrinks) and the peak RSS is that graph's alone.

    Returns
    -------
    rows : list of Row
    notes : list of str

    Examples
    --------
    >>> rows, notes = run_bench(["synth:200:800"], people=5, pairs_single=5,
    ...                         pairs_batch=100, log=lambda s: None)  # doctest: +SKIP
    """
    rows: list[Row] = []
    notes: list[str] = []
    base = list(baselines)
    kwargs: dict[str, Any] = {
        "people": people,
        "pairs_single": pairs_single,
        "pairs_batch": pairs_batch,
        "batch_threads": threads,
        "baselines": base,
    }
    for name in graphs:
        try:
            if isolate:
                rows.extend(_in_child(name, kwargs, log))
            else:
                rows.extend(bench_graph(name, log=log, **kwargs))
        except FileNotFoundError as exc:
            note = f"skipped {name}: {exc} not found (set GRAPHMATCH_DATA)"
            notes.append(note)
            log(note)
        gc.collect()
    return rows, notes


def _machine() -> dict[str, Any]:
    """Return what the numbers were measured on."""
    import numba

    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        # The configured size, not get_num_threads(): that would start the thread pool.
        "numba_threads": numba.config.NUMBA_NUM_THREADS,  # type: ignore[attr-defined]
        "load_average": list(load),
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``bench`` options to a parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``bench`` subcommand's parser.

    Returns
    -------
    None

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["--quick"]).quick
    True
    """
    p.add_argument(
        "--graphs",
        help=f"comma-separated: {', '.join(GRAPHS)} or synth:PEOPLE:FRIENDSHIPS "
        "(default: all; --quick: facebook,synth:10000:100000)",
    )
    p.add_argument("--quick", action="store_true", help="small graphs and samples: < 1 minute")
    p.add_argument("--people", type=int, help="people sampled per latency operation (300)")
    p.add_argument("--pairs", type=int, help="pairs in the batched mutual counts (1,000,000)")
    p.add_argument("--threads", type=int, default=2, help="threads for the batch operations")
    p.add_argument(
        "--baselines",
        default="networkx,scipy,igraph,networkit",
        help="comma-separated baselines to run (default: all installed)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--output", metavar="FILE", help="also write the JSON to FILE")


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``graphmatch bench`` from parsed arguments; return the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        From a parser set up by :func:`add_arguments`.

    Returns
    -------
    int
        0.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); add_arguments(p)
    >>> run_from_args(p.parse_args(["--graphs", "synth:200:800", "--people", "5"]))
    ... # doctest: +SKIP
    """
    if args.graphs:
        graphs = [g.strip() for g in args.graphs.split(",") if g.strip()]
    else:
        graphs = list(QUICK_GRAPHS if args.quick else GRAPHS)
    people = args.people or (50 if args.quick else 300)
    pairs = args.pairs or (100_000 if args.quick else 1_000_000)
    single = 300 if args.quick else 2000
    progress = (lambda s: print(s, file=sys.stderr)) if args.json else print
    before = _machine()
    rows, notes = run_bench(
        graphs,
        people=people,
        pairs_single=single,
        pairs_batch=pairs,
        threads=args.threads,
        baselines=[b.strip() for b in args.baselines.split(",")],
        log=progress,
    )
    data = {
        "machine": before,
        "load_average_after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "graphs": graphs,
        "notes": notes,
        "rows": [asdict(r) for r in rows],
    }
    if args.output:
        Path(args.output).write_text(json.dumps(data, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print()
        print(format_table(rows))
        for n in notes:
            print(n)
        load = before["load_average"]
        print(f"machine: {before['cpus']} cpus, load average at start {load[0]:.1f}")
    return 0

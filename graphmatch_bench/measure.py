"""The operations measured on one graph: build, suggest, mutual counts, batch top-10.

:func:`build` makes every installed implementation's structure once (a baseline that is not
installed gets a row saying so); each ``*_rows`` function then measures one operation on
that :class:`Subject` and returns its rows. :func:`graphmatch_bench.run.bench_graph` calls
them in this order, on one random stream, so every figure is the one the single-function
harness measured.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graphmatch import Matcher, MemoryStore
from graphmatch.index.live import LiveIndex
from graphmatch_bench.baselines import (
    MISSING_NOTE,
    igraph_aa_top10,
    igraph_counter_top10,
    load,
    networkit_top10,
    nx_aa_top10,
    nx_counter_top10,
    scipy_block_topk,
    scipy_top10,
)
from graphmatch_bench.data import SEED
from graphmatch_bench.table import Row
from graphmatch_bench.timing import (
    back_to_back,
    interleaved,
    latency_rows,
    pct,
    peak_rss_bytes,
    reset_peak,
    rss_bytes,
)

__all__ = ["SLOW_PAIRS", "Subject", "batch_rows", "build", "mutual_rows", "suggest_rows"]

#: Pairs given to the pure-Python batch baselines (they run at ~10k pairs/s).
SLOW_PAIRS = 20_000


@dataclass
class Subject:
    """One graph, built once for every implementation that is installed.

    The baseline structures are None where that baseline was not asked for or is missing.
    """

    name: str
    pairs: list[tuple[str, str]]
    G: nx.Graph
    plain: MemoryStore
    indexed: MemoryStore
    index: LiveIndex
    rss0: int
    A: Any = None
    W: Any = None
    g: Any = None
    ig_adj: Any = None
    nkG: Any = None
    nk_cn: Any = None
    nk_aa: Any = None


def _suggest(m: Matcher, sample: Sequence[str], score: str, i: int) -> object:
    """Call ``Matcher.suggest`` for the i-th sampled person."""
    return m.suggest(sample[i], 10, score)


def _scipy_one(A: Any, M: Any, sample: Sequence[int], i: int) -> object:
    """Call :func:`scipy_top10` for the i-th sampled person."""
    return scipy_top10(A, M, sample[i])


def _nk_one(index: Any, G: Any, sample: Sequence[int], i: int) -> object:
    """Call :func:`networkit_top10` for the i-th sampled person."""
    return networkit_top10(index, G, sample[i])


def build(
    name: str,
    pairs: list[tuple[str, str]],
    source: str,
    *,
    baselines: Iterable[str],
    batch_threads: int,
    log: Callable[[str], None],
) -> tuple[Subject, list[Row]]:
    """Build the graph for graphmatch and each baseline; time and size each build.

    Parameters
    ----------
    name : str
        The graph's name in the rows.
    pairs : list of (str, str)
        Its friendships.
    source : str
        Where they came from (for the log).
    baselines : iterable of str
        Baselines to build for (a missing one gets a row with a note instead).
    batch_threads : int
        Threads NetworKit may use.
    log : callable
        Where progress notes go.

    Returns
    -------
    subject : Subject
    rows : list of Row
        The ``build`` rows.

    Examples
    --------
    >>> subject, rows = build("g", [("a", "b"), ("b", "c")], "test", baselines=["networkx"],
    ...                       batch_threads=1, log=lambda s: None)
    >>> [r.impl for r in rows]
    ['networkx Graph', 'graphmatch index']
    """
    wanted = set(baselines)
    rows: list[Row] = []
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

    A: Any = None
    W: Any = None
    sp = load("scipy") if "scipy" in wanted else None
    if "scipy" in wanted and sp is None:
        rows.append(Row(name, "build", "scipy csr", note=MISSING_NOTE))
        log(f"scipy {MISSING_NOTE}")
    if sp is not None:
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
    ig_adj: Any = None
    igraph = load("igraph") if "igraph" in wanted else None
    if "igraph" in wanted and igraph is None:
        rows.append(Row(name, "build", "igraph", note=MISSING_NOTE))
        log(f"igraph {MISSING_NOTE}")
    if igraph is not None:
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
    nk_cn: Any = None
    nk_aa: Any = None
    nk = load("networkit") if "networkit" in wanted else None
    if "networkit" in wanted and nk is None:
        rows.append(Row(name, "build", "networkit", note=MISSING_NOTE))
        log(f"networkit {MISSING_NOTE}")
    if nk is not None:
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
    subject = Subject(
        name, pairs, G, plain, indexed, index, rss0, A, W, g, ig_adj, nkG, nk_cn, nk_aa
    )
    return subject, rows


def suggest_rows(s: Subject, sample: Sequence[str], log: Callable[[str], None]) -> list[Row]:
    """Measure top-10 suggestions (CN and AA) for sampled people against every baseline.

    Each score is timed three ways: all implementations interleaved person by person,
    graphmatch against its own plain path (a pass of its own), and back to back.

    Parameters
    ----------
    s : Subject
        What :func:`build` returned.
    sample : sequence of str
        The people to ask for.
    log : callable
        Where progress notes go.

    Returns
    -------
    list of Row

    Examples
    --------
    >>> s, _ = build("g", [("a", "w"), ("w", "b")], "t", baselines=["networkx"],
    ...              batch_threads=1, log=lambda m: None)
    >>> sorted({r.impl for r in suggest_rows(s, ["a", "b"], log=lambda m: None)})
    ['graphmatch', 'graphmatch plain', 'networkx Counter', 'networkx adamic_adar_index']
    """
    name, G, pos, plain, indexed = s.name, s.G, s.index.pos, s.plain, s.indexed
    A, W, g, ig_adj, nkG, nk_cn, nk_aa = s.A, s.W, s.g, s.ig_adj, s.nkG, s.nk_cn, s.nk_aa
    rows: list[Row] = []
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
        times = interleaved(impls, sample_idx)
        r = latency_rows(name, op, times, "graphmatch", note)
        for row in r:
            row.peak_rss = peak_rss_bytes()  # one peak for the interleaved group
        rows.extend(r)
        # The plain path reads the very networkx dicts the networkx baselines read, so in
        # one group it would warm their caches person by person: it gets a pass of its own,
        # interleaved with graphmatch, and its ratio comes from that pass.
        own = interleaved(
            {
                "graphmatch": impls["graphmatch"],
                "graphmatch plain": partial(_suggest, base, sample, score),
            },
            range(len(sample)),
        )
        rows.extend(
            row
            for row in latency_rows(name, op, own, "graphmatch", note)
            if row.impl != "graphmatch"
        )
        # Interleaving leaves every call with caches another implementation just filled; a
        # service answering only this question runs back to back, so that is measured too.
        rows.extend(
            latency_rows(
                name, f"{op}, back to back", back_to_back(impls, sample_idx), "graphmatch", note
            )
        )
        log(f"  {op}: graphmatch p50 {pct(times['graphmatch'], 50) * 1e6:.1f} µs")
    return rows


def mutual_rows(
    s: Subject,
    rng: random.Random,
    *,
    pairs_single: int,
    pairs_batch: int,
    log: Callable[[str], None],
) -> list[Row]:
    """Measure mutual-friend counts: one pair at a time, and many pairs in one call.

    Parameters
    ----------
    s : Subject
        What :func:`build` returned.
    rng : random.Random
        Draws the single pairs (the run's one stream, after the people sample).
    pairs_single : int
        Pairs timed one by one.
    pairs_batch : int
        Pairs in the batched call (at most 20 per friendship).
    log : callable
        Where progress notes go.

    Returns
    -------
    list of Row

    Examples
    --------
    >>> s, _ = build("g", [("a", "w"), ("w", "b")], "t", baselines=["networkx"],
    ...              batch_threads=1, log=lambda m: None)
    >>> rows = mutual_rows(s, random.Random(1), pairs_single=4, pairs_batch=10,
    ...                    log=lambda m: None)
    >>> sorted({r.operation for r in rows})
    ['mutual 1 pair', 'mutual batch']
    """
    from graphmatch.index import kernels

    name, pairs, G, index, pos, indexed = s.name, s.pairs, s.G, s.index, s.index.pos, s.indexed
    A, g, ig_adj, nkG, nk_cn = s.A, s.g, s.ig_adj, s.nkG, s.nk_cn
    m = G.number_of_edges()
    rows: list[Row] = []
    ours = Matcher(indexed)
    edge_sample = [pairs[i] for i in (rng.randrange(len(pairs)) for _ in range(pairs_single))]
    esp = [(pos[a], pos[b]) for a, b in edge_sample]
    start, deg, indices = index.rows()

    def kernel_pair(i: int) -> int:
        return int(kernels.mutual_count(start, deg, indices, *esp[i]))

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
    times = interleaved(single, range(len(edge_sample)))
    rows.extend(
        latency_rows(
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
    return rows


def batch_rows(
    s: Subject,
    *,
    batch_threads: int,
    scipy_block_sample: int | None,
    log: Callable[[str], None],
) -> list[Row]:
    """Measure everyone's top-10: ranking only, with JSONL writing, and scipy block products.

    Parameters
    ----------
    s : Subject
        What :func:`build` returned.
    batch_threads : int
        Threads for graphmatch batch and the scipy block products.
    scipy_block_sample : int, optional
        Time scipy on this many blocks only and extrapolate (default: all blocks up to
        200,000 people, else 8 blocks).
    log : callable
        Where progress notes go.

    Returns
    -------
    list of Row

    Examples
    --------
    >>> s, _ = build("g", [("a", "w"), ("w", "b")], "t", baselines=["networkx"],
    ...              batch_threads=1, log=lambda m: None)
    >>> [r.impl for r in batch_rows(s, batch_threads=1, scipy_block_sample=None,
    ...                             log=lambda m: None)]
    ['graphmatch', 'graphmatch -> JSONL']
    """
    from graphmatch.batch.run import JsonlSink, iter_blocks, run_batch

    name, index, indexed, A = s.name, s.index, s.indexed, s.A
    rows: list[Row] = []
    n = len(s.index.ids)
    # Compile (or load from numba's cache) the parallel kernel outside the timing.
    tiny = MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="off")
    for _ in iter_blocks(tiny, "common_neighbors", 10, threads=batch_threads):
        pass
    # Ranking only: the snapshot batch ranks (a frozen, id-ordered copy of the live index)
    # is taken before the clock starts; the JSONL row below includes taking it.
    frozen = index.freeze()
    reset_peak()
    t0 = time.perf_counter()
    for _ in iter_blocks(indexed, "common_neighbors", 10, threads=batch_threads, index=frozen):
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
            list(pool.map(lambda b: scipy_block_topk(A, np.arange(b, min(n, b + bs)), 10), chosen))
        dt = time.perf_counter() - t0
        covered = sum(min(n, b + bs) - b for b in chosen)
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
    return rows

"""Time ``suggest`` with the learned ranker against ``cn_ra`` on one graph, interleaved.

Usage::

    .venv/bin/python benchmarks/bench_learned.py --graph synth-1m --model MODEL --people 2000

Both are the compiled kernels over the same CSR arrays, built straight from the synthetic edge
array of ``graphmatch bench`` (no networkx graph: a 1M-person one would take minutes): for each
sampled person, ``cn_ra``'s :func:`graphmatch.index.kernels.suggest` and the learned ranker's
:func:`graphmatch.learn._kernels.suggest` (top 10, 3 named mutual friends), in alternating
order, so both see the same machine load. Prints p50/p90 of each and the ratio of the p50s.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from graphmatch.index import kernels
from graphmatch.learn import _kernels
from graphmatch.learn.model import Model
from graphmatch.learn.ranker import _Scratch


def csr(edges: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted CSR arrays (indptr, indices) of an undirected edge array."""
    a = np.concatenate([edges[:, 0], edges[:, 1]]).astype(np.int64)
    b = np.concatenate([edges[:, 1], edges[:, 0]]).astype(np.int32)
    order = np.lexsort((b, a))
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    return indptr, np.ascontiguousarray(b[order])


def main() -> int:
    """Run the timing and print the table."""
    from graphmatch_bench.data import GRAPHS, _synth_size, synthetic_edges

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", default="synth-1m", help="a synthetic graph of graphmatch bench")
    p.add_argument("--model", required=True, help="a model file (graphmatch train)")
    p.add_argument("--people", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    people, friendships = _synth_size(GRAPHS.get(args.graph, args.graph))
    t0 = time.perf_counter()
    edges = synthetic_edges(people, friendships)
    n = int(edges.max()) + 1
    indptr, indices = csr(edges, n)
    print(f"{args.graph}: {n:,} people, {len(edges):,} friendships; CSR in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    model = Model.load(args.model)
    arrays = model.kernel_arrays()
    start, deg, rank = indptr[:-1], np.diff(indptr), np.arange(n, dtype=np.int64)
    no = np.zeros(n, np.bool_)
    none = np.empty(0, np.int64)
    cnt, wsum, touched = np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64)
    scratch = _Scratch(n).arrays()
    users = random.Random(args.seed).sample(range(n), args.people)

    def classic(u: int) -> None:
        kernels.suggest(indptr, indices, no, no, none, u, 2**62, kernels.CN_RA, 10, 3,
                        cnt, wsum, touched)  # fmt: skip

    def learned(u: int) -> None:
        _kernels.suggest(start, deg, indices, rank, no, no, none, u, model.candidates,
                         model.needs_clustering, 10, 3, *arrays, *scratch)  # fmt: skip

    for u in users[:20]:  # compile (or load numba's cache) and warm the caches
        classic(u)
        learned(u)
    times: dict[str, list[float]] = {"cn_ra": [], "learned": []}
    for i, u in enumerate(users):
        pair = [("cn_ra", classic), ("learned", learned)]
        for name, fn in pair if i % 2 == 0 else pair[::-1]:
            t = time.perf_counter()
            fn(u)
            times[name].append(time.perf_counter() - t)
    p50 = {k: float(np.median(v)) for k, v in times.items()}
    for name, v in times.items():
        print(f"{name:8s} p50 {p50[name] * 1e6:8.1f} us   p90 {np.quantile(v, 0.9) * 1e6:8.1f} us")
    print(f"learned / cn_ra p50: {p50['learned'] / p50['cn_ra']:.2f}x "
          f"({args.people:,} people, interleaved; model {model.learner}, "
          f"{len(model.roots)} trees, {model.candidates} candidates)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

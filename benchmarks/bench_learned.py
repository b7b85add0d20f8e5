"""Time ``suggest`` with the learned ranker against ``cn_ra`` on one graph, interleaved.

Usage::

    .venv/bin/python benchmarks/bench_learned.py --graph synth-1m --model A.json B.json \
        --people 2000 --repeats 3 --profile [--old OLD_KERNELS.py]

Every timing is of the compiled kernels over the same CSR arrays, built straight from the
synthetic edge array of ``graphmatch bench`` (no networkx graph: a 1M-person one would take
minutes), or from an edge-list file's positions. For each sampled person, ``cn_ra``'s
:func:`graphmatch.index.kernels.suggest` (as the frozen index calls it: positions in id order)
and each model's :func:`graphmatch.learn._kernels.suggest` (top 10, 3 named mutual friends),
interleaved (each step runs every ranker once, in a rotating order, each on a different
person; over the run each ranks every sampled person once), so all see the same machine load
and none is handed another's warm caches. Prints p50/p90 of
each and the ratio of each p50 to ``cn_ra``'s, once per repeat (each repeat samples its own
people, seed + repeat) with the load average at its end; ``--profile`` adds, per model, the
stages timed alone (stage 1 with the features, then the model over those rows). ``--old``
times a copy of a previous ``graphmatch/learn/_kernels.py`` (a file, say from ``git show``)
with the first model beside this one, interleaved in the same steps: before and after from
one run, after checking that both give the same rows and scores for every sampled person.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

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


def load_edges(graph: str) -> np.ndarray:
    """Return the int edge array of a synthetic graph name or an edge-list file."""
    from graphmatch_bench.data import GRAPHS, _synth_size, synthetic_edges

    if Path(graph).is_file():
        from graphmatch.stores.memory import MemoryStore

        ix = MemoryStore.from_edgelist(graph, index="off").build_index()
        start, deg, indices = ix.rows()
        src = np.repeat(np.arange(len(deg)), deg)
        dst = np.concatenate([indices[s : s + d] for s, d in zip(start, deg, strict=True)])
        keep = src < dst
        return np.stack([src[keep], dst[keep]], axis=1)
    people, friendships = _synth_size(GRAPHS.get(graph, graph))
    return synthetic_edges(people, friendships)


def main() -> int:
    """Run the timing and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graph", default="synth-1m", help="a synthetic graph or an edge-list file")
    p.add_argument("--model", nargs="+", required=True, help="model files (graphmatch train)")
    p.add_argument("--people", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", action="store_true", help="also time each model's stages")
    p.add_argument("--repeats", type=int, default=1, help="timed runs, each its own sample")
    p.add_argument("--old", help="a previous _kernels.py, timed with the first model")
    args = p.parse_args()
    t0 = time.perf_counter()
    edges = load_edges(args.graph)
    n = int(edges.max()) + 1
    indptr, indices = csr(edges, n)
    print(f"{args.graph}: {n:,} people, {len(edges):,} friendships; CSR in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    start, deg, rank = indptr[:-1], np.diff(indptr), np.arange(n, dtype=np.int64)
    no = np.zeros(n, np.bool_)
    none = np.empty(0, np.int64)
    cnt, wsum, touched = np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64)
    scratch = _Scratch(n).arrays()

    def classic(u: int) -> object:
        return kernels.suggest(start, deg, indices, kernels.ORDERED, no, no, none, u, 2**62,
                               kernels.CN_RA, 10, 3, cnt, wsum, touched)  # fmt: skip

    runners: dict[str, Callable[[int], object]] = {"cn_ra": classic}
    models: dict[str, Model] = {}
    for path in args.model:
        model = Model.load(path)
        arrays = model.kernel_arrays()
        name = Path(path).stem
        models[name] = model

        def learned(u: int, model: Model = model, arrays: tuple = arrays) -> object:
            return _kernels.suggest(start, deg, indices, rank, no, no, none, u,
                                    model.candidates, model.needs_clustering, 10, 3, *arrays,
                                    *scratch)  # fmt: skip

        runners[name] = learned
    if args.old:
        first = next(iter(models))
        name = f"{first} (old kernel)"
        models[name] = models[first]
        runners[name] = old_runner(
            args.old, runners[first], models[first], start, deg, indices, rank, no, none,
            random.Random(args.seed).sample(range(n), args.people),
        )  # fmt: skip
    print("\n| repeat | ranker | trees x depth | candidates | features | p50 us | p90 us | "
          "p50 / cn_ra | load average |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for rep in range(args.repeats):
        users = random.Random(args.seed + rep).sample(range(n), args.people)
        times = interleaved(runners, users)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        p50 = {k: float(np.median(v)) for k, v in times.items()}
        for name, v in times.items():
            m = models.get(name)
            shape = f"{len(m.roots)} x {m.depth}" if m is not None and len(m.roots) else "-"
            print(f"| {rep + 1} | {name} | {shape} | {m.candidates if m else '-'} | "
                  f"{len(m.features) if m else '-'} | {p50[name] * 1e6:.1f} | "
                  f"{np.quantile(v, 0.9) * 1e6:.1f} | {p50[name] / p50['cn_ra']:.2f}x | "
                  f"{load} |")  # fmt: skip
    print(f"\n({args.people:,} people a repeat, each ranker once per person, interleaved)")
    if args.profile:
        users = random.Random(args.seed).sample(range(n), args.people)
        mine = {k: v for k, v in models.items() if not k.endswith("(old kernel)")}
        profile(mine, start, deg, indices, rank, no, none, users, scratch)
    return 0


def interleaved(
    runners: dict[str, Callable[[int], object]], users: list[int]
) -> dict[str, list[float]]:
    """Return each runner's call times over users, every step running each once, rotating."""
    for u in users[:20]:  # compile (or load numba's cache) and warm the caches
        for fn in runners.values():
            fn(u)
    times: dict[str, list[float]] = {k: [] for k in runners}
    pairs = list(runners.items())
    stride = max(1, len(users) // len(pairs))
    for i in range(len(users)):
        r = i % len(pairs)
        for j, (name, fn) in enumerate(pairs[r:] + pairs[:r]):
            # Each ranker on a different person at each step (each sees every person once):
            # ranking the same person back to back would hand the later rankers the rows the
            # first one brought into cache (with two models that flattered them by about 1.5x).
            u = users[(i + ((r + j) % len(pairs)) * stride) % len(users)]
            t = time.perf_counter()
            fn(u)
            times[name].append(time.perf_counter() - t)
    return times


def old_runner(
    path: str, new: Callable[[int], object], model: Model, start: np.ndarray, deg: np.ndarray,
    indices: np.ndarray, rank: np.ndarray, no: np.ndarray, none: np.ndarray, users: list[int],
) -> Callable[[int], object]:  # fmt: skip
    """Return a runner of the old kernel file's suggest, checked equal to new on users."""
    # Named by its file and registered, so numba's cache beside it can find it again.
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    old = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = old
    spec.loader.exec_module(old)
    arrays = model.kernel_arrays()
    scratch = _Scratch(len(deg)).arrays()  # its own: a kernel may use the scratch differently

    def run(u: int) -> object:
        return old.suggest(start, deg, indices, rank, no, no, none, u, model.candidates,
                           model.needs_clustering, 10, 3, *arrays, *scratch)  # fmt: skip

    for u in users:
        a, b = run(u), new(u)
        if not all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)):  # type: ignore[call-overload]
            raise SystemExit(f"the old and new kernels differ for position {u}")
    print(f"old and new kernels: the same rows and scores for {len(users):,} people")
    return run


def profile(
    models: dict[str, Model], start: np.ndarray, deg: np.ndarray, indices: np.ndarray,
    rank: np.ndarray, no: np.ndarray, none: np.ndarray, users: list[int], scratch: tuple,
) -> None:  # fmt: skip
    """Print each model's stages timed alone: candidates with features, then the model."""
    print("\n| ranker | stage 1 + features p50 us | model p50 us | rows |")
    print("|---|---|---|---|")
    for name, model in models.items():
        arrays = model.kernel_arrays()
        feat, marg, rows = [], [], []
        for u in users:
            t = time.perf_counter()
            _, _, X = _kernels.candidates(
                start, deg, indices, rank, no, none, u, model.candidates,
                model.needs_clustering, *scratch,
            )  # fmt: skip
            feat.append(time.perf_counter() - t)
            t = time.perf_counter()
            _kernels.margins(X, *arrays)
            marg.append(time.perf_counter() - t)
            rows.append(X.shape[0])
        print(f"| {name} | {np.median(feat) * 1e6:.1f} | {np.median(marg) * 1e6:.1f} | "
              f"{np.median(rows):.0f} |")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())

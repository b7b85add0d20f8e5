"""What the learned ranker's size costs in precision: candidates x trees x depth x features.

Usage (seeded)::

    .venv/bin/python benchmarks/learn_tradeoff.py --graphs GitHub "Twitch DE" ego-Facebook \
        --seed 7 --out models/

For each graph (a shared graph's name, see evaluate_all.py): hide friendships and build the
stage-1 candidate rows of 4,000 people once, as ``graphmatch train`` does, at the largest cut;
a smaller cut is each person's first rows (stage 1 orders them by cn_ra). Each configuration
is fitted on 80% of the people and ranks the other 20%; the table is its paired difference
in validation precision@10 against the first configuration (mean and 95% CI). ``--out``
writes each GitHub-style model file, named ``GRAPH-CANDIDATES-TREESxDEPTH-FEATURES.json``, for
``bench_learned.py`` to time.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from evaluate_all import GRAPHS  # type: ignore[import-not-found]

from graphmatch.evaluation import mean_interval
from graphmatch.evaluation.split import _string_graph
from graphmatch.learn.features import FEATURES
from graphmatch.learn.training import (
    DEFAULT_FEATURES,
    TrainingSet,
    _fit_hgb,
    _thin,
    build_training_set,
    precision_at,
)
from graphmatch.stores.memory import MemoryStore
from graphmatch_bench.data import shared_data_dir

#: (candidates, trees, depth, features): the first is the base of the differences.
CONFIGS = [
    (200, 100, 4, FEATURES),
    (100, 100, 4, FEATURES),
    (100, 50, 4, FEATURES),
    (100, 100, 3, FEATURES),
    (50, 100, 4, FEATURES),
    (50, 100, 4, DEFAULT_FEATURES),
    (50, 50, 4, FEATURES),
    (50, 50, 4, DEFAULT_FEATURES),
]


def first_rows(ts: TrainingSet, n: int) -> TrainingSet:
    """Return each person's first n candidate rows (stage 1's cut at n)."""
    sizes = np.minimum(np.diff(ts.offsets), n)
    keep = np.concatenate(
        [np.arange(lo, lo + k) for lo, k in zip(ts.offsets[:-1], sizes, strict=True)]
    ).astype(np.int64)
    offsets = np.zeros(ts.people + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return TrainingSet(ts.X[keep], ts.y[keep], ts.counts[keep], ts.rank[keep], offsets,
                       ts.relevant)  # fmt: skip


def main() -> int:
    """Print one Markdown table: configurations by graph, paired P@10 difference."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=shared_data_dir(),
    )
    p.add_argument("--graphs", nargs="+", default=["GitHub", "Twitch DE", "ego-Facebook"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, help="write each fitted model here")
    args = p.parse_args()
    cells: dict[str, list[str]] = {}
    for name in args.graphs:
        g = _string_graph(MemoryStore.from_edgelist(args.data_dir / GRAPHS[name], index="off"))
        full = build_training_set(g, seed=args.seed, candidates=max(c[0] for c in CONFIGS))
        order = np.random.default_rng(args.seed).permutation(full.people)
        cut = round(0.8 * full.people)
        fit_people, val_people = np.sort(order[:cut]), np.sort(order[cut:])
        base = None
        for cand, trees, depth, feats in CONFIGS:
            ts = first_rows(full, cand)
            fit, val = ts.subset(fit_people), ts.subset(val_people)
            cols = [FEATURES.index(f) for f in feats]
            X, y = _thin(fit, 250_000, args.seed)
            model = _fit_hgb(X[:, cols], y, args.seed, feats, max_iter=trees, max_depth=depth)
            p10 = precision_at(val, model.probability(val.X[:, cols]))
            base = p10 if base is None else base
            d = mean_interval(p10 - base)
            key = f"| {cand} | {trees} x {depth} | {len(feats)} |"
            cells.setdefault(key, []).append(
                f"{p10.mean():.4f} ({d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}])"
            )
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                stem = f"{name.replace(' ', '_')}-{cand}-{trees}x{depth}-{len(feats)}"
                dataclasses.replace(model, candidates=cand).save(args.out / f"{stem}.json")
    print("| candidates | trees x depth | features | " + " | ".join(args.graphs) + " |")
    print("|---|---|---|" + "---|" * len(args.graphs))
    for key, row in cells.items():
        print(key + " " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

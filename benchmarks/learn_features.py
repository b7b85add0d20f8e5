"""What each feature of the learned ranker is worth: permutation importance on validation P@10.

Usage (seeded)::

    .venv/bin/python benchmarks/learn_features.py --graphs "Twitch DE" GitHub --seed 7

For each graph (a shared graph's name, see evaluate_all.py): hide friendships and build the
candidate rows as ``graphmatch train`` does, fit histogram gradient boosting on 80% of the
people, then, on the other 20%, shuffle one feature's column at a time (seeded, across rows)
and measure the paired drop in precision@10 (mean and 95% CI over the validation people). A
feature whose drop is within noise of zero on every graph does not pay its cost.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from evaluate_all import GRAPHS  # type: ignore[import-not-found]

from graphmatch.evaluation import mean_interval
from graphmatch.evaluation.split import _string_graph
from graphmatch.learn.features import FEATURES
from graphmatch.learn.training import _fit_hgb, _thin, build_training_set, precision_at
from graphmatch.stores.memory import MemoryStore
from graphmatch_bench.data import shared_data_dir


def main() -> int:
    """Print one Markdown table: features by graph, drop in P@10 when shuffled."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=shared_data_dir(),
    )
    p.add_argument("--graphs", nargs="+", default=["Twitch DE", "GitHub"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--people", type=int, default=4000)
    args = p.parse_args()
    table: dict[str, dict[str, str]] = {f: {} for f in FEATURES}
    bases = {}
    for name in args.graphs:
        g = _string_graph(MemoryStore.from_edgelist(args.data_dir / GRAPHS[name], index="off"))
        ts = build_training_set(g, seed=args.seed, people=args.people)
        order = np.random.default_rng(args.seed).permutation(ts.people)
        cut = round(0.8 * ts.people)
        fit, val = ts.subset(np.sort(order[:cut])), ts.subset(np.sort(order[cut:]))
        X, y = _thin(fit, 250_000, args.seed)
        model = _fit_hgb(X, y, args.seed, FEATURES)
        base = precision_at(val, model.probability(val.X))
        bases[name] = f"{base.mean():.4f}"
        rng = np.random.default_rng(args.seed + 1)
        for j, feature in enumerate(FEATURES):
            shuffled = val.X.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drop = mean_interval(base - precision_at(val, model.probability(shuffled)))
            table[feature][name] = f"{drop.mean:+.4f} [{drop.low:+.4f}, {drop.high:+.4f}]"
    print("| feature | " + " | ".join(args.graphs) + " |")
    print("|---|" + "---|" * len(args.graphs))
    print("| (validation P@10, nothing shuffled) | " + " | ".join(bases.values()) + " |")
    for feature in FEATURES:
        print(f"| `{feature}` | " + " | ".join(table[feature][n] for n in args.graphs) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

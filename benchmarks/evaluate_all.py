"""Reproduce docs/evaluation.md: evaluate every score on the shared real graphs.

Usage (one command, seeded)::

    .venv/bin/python benchmarks/evaluate_all.py --seed 7 --sample 2000 --jobs 2 \
        --json docs/data/evaluation.json > evaluation-tables.md

For each graph it hides 10% of friendships (per-person quota, see graphmatch.evaluation.run),
ranks a seeded sample of people with every score and the ``random`` baseline, and prints a
Markdown table plus the paired margin of ``cn_ra`` over the best of the four classic scores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from graphmatch.evaluation import METRICS, evaluate
from graphmatch.rule import SCORES

GRAPHS = {
    "ego-Facebook": "facebook_combined.txt.gz",
    "GitHub": "git_web_ml/git_edges.csv",
    "Deezer HU": "deezer/HU/HU_edges.csv",
    "Deezer RO": "deezer/RO/RO_edges.csv",
    "LastFM Asia": "lastfm_asia/lastfm_asia_edges.csv",
    "Twitch DE": "twitch/DE/DE_edges.csv",
    "Twitch FR": "twitch/FR/FR_edges.csv",
}
NEW = "cn_ra"
#: The classic scores cn_ra is compared with (graphmatch.SCORES has cn_ra itself too).
CLASSIC = tuple(s for s in SCORES if s != NEW)


def run_one(name: str, path: str, args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate one graph and return its JSON plus the paired margins."""
    res = evaluate(
        path,
        holdout=args.holdout,
        k=args.k,
        seed=args.seed,
        sample_people=args.sample,
        progress=not args.quiet,
    )
    best = res.best("precision", among=CLASSIC)
    data = res.as_dict()
    data["graph"] = name
    data["best_classic"] = best
    data["margins"] = {
        metric: res.difference(NEW, res.best(metric, among=CLASSIC), metric).as_dict()
        for metric in METRICS
    }
    data["margins_vs"] = {m: res.best(m, among=CLASSIC) for m in METRICS}
    data["table"] = res.table()
    data["summary"] = res.summary()
    return data


def markdown(data: dict[str, Any], k: int) -> str:
    """Render one graph's result as a Markdown table."""
    heads = ["score", f"P@{k}", f"R@{k}", f"MAP@{k}", f"NDCG@{k}", f"HR@{k}", "ROC-AUC", "PR-AUC"]
    lines = [f"### {data['graph']}", "", data["summary"], ""]
    lines += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    best = {m: max(s["metrics"][m]["mean"] for s in data["scores"].values()) for m in METRICS}
    for name, s in data["scores"].items():
        cells = [f"`{name}`"]
        for m in METRICS:
            iv = s["metrics"][m]
            text = f"{iv['mean']:.4f} ± {(iv['high'] - iv['low']) / 2:.4f}"
            cells.append(f"**{text}**" if iv["mean"] == best[m] else text)
        cells += [f"{s['roc_auc']:.4f}", f"{s['pr_auc']:.4f}"]
        lines.append("| " + " | ".join(cells) + " |")
    m = data["margins"]["precision"]
    lines += [
        "",
        f"`{NEW}` - `{data['best_classic']}` on P@{k} (paired over the same people): "
        f"{m['mean']:+.4f}, 95% CI [{m['low']:+.4f}, {m['high']:+.4f}]",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    """Run every graph and print Markdown; write JSON if asked."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(
            os.environ.get("GRAPHMATCH_DATA") or Path(__file__).parents[2] / "shared" / "data"
        ),
        help="folder of the shared graphs (default: $GRAPHMATCH_DATA, else ../shared/data)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--sample", type=int, default=2000, help="people evaluated per graph")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", type=Path, help="write all results here")
    p.add_argument("--only", nargs="*", help="graph names to run (default: all)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    names = args.only or list(GRAPHS)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {n: pool.submit(run_one, n, str(args.data_dir / GRAPHS[n]), args) for n in names}
        results = [futures[n].result() for n in names]
    wins = 0
    rows = []
    for data in results:
        m = data["margins"]["precision"]
        wins += m["mean"] > 0
        rows.append(
            f"| {data['graph']} | `{data['best_classic']}` | {m['mean']:+.4f} | "
            f"[{m['low']:+.4f}, {m['high']:+.4f}] | {data['seconds']:.0f} s |"
        )
    print(
        f"## Summary: `{NEW}` beats the best classic score on P@{args.k} on {wins} of "
        f"{len(results)} graphs\n"
    )
    print("| graph | best classic (P@10) | margin | 95% CI | time |\n|---|---|---|---|---|")
    print("\n".join(rows) + "\n")
    for data in results:
        print(markdown(data, args.k))
    print(f"(total {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

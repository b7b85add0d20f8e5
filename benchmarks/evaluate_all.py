"""Reproduce docs/evaluation.md: evaluate every score on the shared real graphs.

Usage (one command, seeded)::

    .venv/bin/python benchmarks/evaluate_all.py --seed 7 --sample 2000 --jobs 2 \
        --json docs/data/evaluation.json > evaluation-tables.md

or in pieces (``--only A B --json part1.json``, ...), then ``--merge part*.json --json
docs/data/evaluation.json``: each graph's result depends only on its seed, not on the others.

For each graph it hides 10% of friendships (per-person quota, see graphmatch.evaluation.run),
trains the learned ranker on the training part only, ranks a seeded sample of people with every
score and the ``random`` baseline, and prints Markdown tables: every score's paired P@10
difference against the best of the four classic scores (``vs_best_classic``), and each graph's
metrics. ``scripts/charts`` draws them from the ``--json`` file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from graphmatch.evaluation import CLASSIC, LEARNED, METRICS, evaluate
from graphmatch.rule import SCORES
from graphmatch_bench.data import shared_data_dir

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
#: Scores compared with the best classic score in the summary (and the margin chart).
CHALLENGERS = ("cn_ra", LEARNED)


def run_one(name: str, path: str, args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate one graph and return its JSON plus the paired margins."""
    res = evaluate(
        path,
        holdout=args.holdout,
        k=args.k,
        seed=args.seed,
        sample_people=args.sample,
        progress=not args.quiet,
        scores=[*SCORES, LEARNED],
    )
    best = res.best("precision", among=CLASSIC)
    data = res.as_dict()
    data["graph"] = name
    data["source"] = GRAPHS[name]  # relative to --data-dir: no path of this machine
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
    lines.append("")
    for name in CHALLENGERS:
        vs = data["scores"][name]["vs_best_classic"]
        lines.append(
            f"`{name}` - `{vs['baseline']}` on P@{k} (paired over the same people): "
            f"{vs['diff']:+.4f}, 95% CI [{vs['low']:+.4f}, {vs['high']:+.4f}]  "
        )
    t = data["scores"][LEARNED].get("training") or {}
    if t:
        val = ", ".join(f"{n} {v:.4f}" for n, v in t["validation_precision_at_10"].items())
        lines.append(
            f"`learned`: {t['learner']}, trained on the training part in {t['seconds']:.0f} s "
            f"({t['people_sampled']:,} people, {t['rows']:,} candidate pairs; validation P@10 "
            f"{val})"
        )
    lines.append("")
    return "\n".join(lines)


def verdict(vs: dict[str, Any]) -> str:
    """Return better / worse / no significant difference, from the CI."""
    if vs["low"] > 0:
        return "better"
    if vs["high"] < 0:
        return "worse"
    return "tie (CI spans 0)"


def main() -> int:
    """Run every graph and print Markdown; write JSON if asked."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-dir",
        type=Path,
        default=shared_data_dir(),
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
    p.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="evaluate nothing: print the tables of --json files of earlier runs (pieces of "
        "the graphs, e.g. with --only), in the order of GRAPHS",
    )
    args = p.parse_args()
    names = args.only or list(GRAPHS)
    started = time.perf_counter()
    if args.merge:
        pieces = {d["graph"]: d for f in args.merge for d in json.loads(f.read_text())}
        results = [pieces[n] | {"source": GRAPHS[n]} for n in GRAPHS if n in pieces]
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = {
                n: pool.submit(run_one, n, str(args.data_dir / GRAPHS[n]), args) for n in names
            }
            results = [futures[n].result() for n in names]
    print(f"## Summary: P@{args.k} against the best classic score, paired 95% CI\n")
    print("| graph | best classic | its P@10 | score | difference | 95% CI | verdict |")
    print("|---|---|---|---|---|---|---|")
    tally = dict.fromkeys(CHALLENGERS, 0)
    for data in results:
        base = data["best_classic"]
        p_base = data["scores"][base]["metrics"]["precision"]["mean"]
        for name in CHALLENGERS:
            vs = data["scores"][name]["vs_best_classic"]
            tally[name] += vs["low"] > 0
            print(
                f"| {data['graph']} | `{base}` | {p_base:.4f} | `{name}` | {vs['diff']:+.4f} | "
                f"[{vs['low']:+.4f}, {vs['high']:+.4f}] | {verdict(vs)} |"
            )
    print()
    for name in CHALLENGERS:
        print(f"`{name}` is better (CI above zero) on {tally[name]} of {len(results)} graphs.  ")
    print()
    for data in results:
        print(markdown(data, args.k))
    print(f"(total {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Reproduce docs/evaluation.md: evaluate every score on the shared real graphs.

Usage (one command, seeded)::

    .venv/bin/python benchmarks/evaluate_all.py --seed 7 --sample 2000 --jobs 2 \
        --json docs/evaluation-results.json > docs/evaluation-tables.md

For each graph it hides 10% of friendships (per-person quota, see graphmatch.evaluation.run),
trains the learned ranker on the training part only, ranks a seeded sample of people with every
score and the ``random`` baseline, and prints Markdown tables: every score's paired P@10
difference against the best of the four classic scores (``vs_best_classic``), and each graph's
metrics. With ``--chart FILE.svg`` it also draws those differences with their 95% CIs.
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

from graphmatch.evaluation import CLASSIC, LEARNED, METRICS, evaluate
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
#: Scores compared with the best classic score in the summary and the chart.
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
    data["best_classic"] = best
    data["margins"] = {
        metric: res.difference(NEW, res.best(metric, among=SCORES), metric).as_dict()
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


def chart(results: list[dict[str, Any]], k: int) -> str:
    """Return an SVG of each challenger's P@k difference vs the best classic, with 95% CIs."""
    rows = [
        (d["graph"], n, d["scores"][n]["vs_best_classic"]) for d in results for n in CHALLENGERS
    ]
    span = max(max(abs(v["low"]), abs(v["high"])) for _, _, v in rows) or 1.0
    width, left, bar_h, gap = 760, 230, 14, 10
    mid = left + (width - left - 20) / 2
    scale = (width - left - 40) / 2 / span
    height = 50 + len(results) * (len(CHALLENGERS) * bar_h + gap) + 30
    colours = {"cn_ra": "#888888", LEARNED: "#2b6cb0"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14">P@{k} minus the best classic score, paired, '
        "95% CI (seed 7, 10% hidden)</text>",
        f'<line x1="{mid}" y1="35" x2="{mid}" y2="{height - 25}" stroke="#000"/>',
    ]
    y = 45.0
    for d in results:
        out.append(f'<text x="10" y="{y + bar_h}">{d["graph"]}</text>')
        for name in CHALLENGERS:
            v = d["scores"][name]["vs_best_classic"]
            x0, x1 = sorted((mid, mid + v["diff"] * scale))
            out.append(
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" '
                f'height="{bar_h - 3}" fill="{colours[name]}"/>'
            )
            lo, hi = mid + v["low"] * scale, mid + v["high"] * scale
            cy = y + (bar_h - 3) / 2
            out.append(
                f'<line x1="{lo:.1f}" y1="{cy:.1f}" x2="{hi:.1f}" y2="{cy:.1f}" stroke="#000"/>'
            )
            out.append(f'<text x="{left - 70}" y="{y + bar_h - 4}" font-size="10">{name}</text>')
            y += bar_h
        y += gap
    out.append(
        f'<text x="{mid - 60}" y="{height - 8}">0 = best classic (±{span:.3f} at the edges)</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


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
    p.add_argument("--chart", type=Path, help="write an SVG chart of the P@k differences here")
    p.add_argument("--only", nargs="*", help="graph names to run (default: all)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    names = args.only or list(GRAPHS)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {n: pool.submit(run_one, n, str(args.data_dir / GRAPHS[n]), args) for n in names}
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
    if args.chart:
        args.chart.write_text(chart(results, args.k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

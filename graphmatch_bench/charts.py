"""Draw the charts of docs/ from the data files committed beside them: ``scripts/charts``.

Every chart is an SVG under ``docs/img/``, drawn by matplotlib (the ``docs`` extra) from the
JSON the measuring commands write into ``docs/data/``:

=============================  ==========================================================
data file                      written by
=============================  ==========================================================
``evaluation.json``            ``benchmarks/evaluate_all.py --json docs/data/evaluation.json``
``bench-quick.json``           ``graphmatch bench --quick --output docs/data/bench-quick.json``
``batch-*.json``               ``benchmarks/bench_batch.py ... --output docs/data/batch-NAME.json``
``spark-hubs.json``            ``benchmarks/bench_batch.py --graph ... --output`` per cap,
                               gathered by :func:`merge_hub_runs`
=============================  ==========================================================

A chart whose data file is missing is skipped with a note. The output is deterministic: the
same data gives the same bytes (``svg.hashsalt`` fixed, no date in the metadata, text kept
as text in matplotlib's bundled DejaVu Sans, so no font file of the machine is embedded).

Usage::

    python -m graphmatch_bench.charts [--data docs/data] [--out docs/img]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CHARTS", "draw_all", "main", "merge_hub_runs", "style"]

#: The evaluation's scores in the order the docs list them.
_SCORES = (
    "common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "cn_ra", "learned",
    "random",
)  # fmt: skip
_COLOURS = ("#8c8c8c", "#c7a36b", "#4c78a8", "#72b7b2", "#e45756", "#2b6cb0", "#d3d3d3")


def style() -> None:
    """Set matplotlib up for reproducible SVG: fixed salt, bundled font, text as text.

    Returns
    -------
    None

    Examples
    --------
    >>> style()  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "graphmatch",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.dpi": 100,
        }
    )


def _save(fig: Any, path: Path) -> Path:
    """Write a figure as SVG without a date; close it; return the path."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


def _load(path: Path) -> Any:
    """Return a JSON data file's content."""
    return json.loads(path.read_text(encoding="utf-8"))


def evaluation_precision(data: list[dict[str, Any]], out: Path) -> Path:
    """Draw precision@k per score with 95% CIs, one panel per graph; return the SVG path.

    Parameters
    ----------
    data : list of dict
        ``benchmarks/evaluate_all.py --json``: one entry per graph.
    out : Path
        The SVG to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> evaluation_precision(json.load(open("docs/data/evaluation.json")),
    ...                      Path("p.svg"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    cols = 4
    rows = (len(data) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.6 * rows), squeeze=False)
    k = data[0]["k"] if data else 10
    for ax, g in zip(axes.flat, data, strict=False):
        names = [s for s in _SCORES if s in g["scores"]]
        iv = [g["scores"][s]["metrics"]["precision"] for s in names]
        means = [i["mean"] for i in iv]
        err = [[i["mean"] - i["low"] for i in iv], [i["high"] - i["mean"] for i in iv]]
        xs = range(len(names))
        colours = [_COLOURS[_SCORES.index(s)] for s in names]
        ax.bar(xs, means, yerr=err, color=colours, capsize=2, width=0.75)
        ax.set_title(g["graph"], fontsize=9)
        ax.set_xticks(list(xs), [_short(s) for s in names], rotation=45, ha="right")
        ax.grid(axis="x", visible=False)
    for ax in list(axes.flat)[len(data) :]:
        ax.set_visible(False)
    axes[0][0].set_ylabel(f"precision@{k}")
    fig.suptitle(
        f"Hidden friendships found again: precision@{k}, 95% CI "
        "(seed 7, 10% held out, 2,000 people per graph)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, out)


#: The scores whose paired difference against the best classic score the margin chart draws.
_CHALLENGERS = ("cn_ra", "learned")


def evaluation_margin(data: list[dict[str, Any]], out: Path) -> Path:
    """Draw each challenger's paired P@k difference against the best classic score; return it.

    The challengers are ``cn_ra`` and, where the data has it, ``learned``; each graph's
    ``scores[NAME].vs_best_classic`` (``graphmatch evaluate --json``) gives the difference
    and its 95% CI.

    Parameters
    ----------
    data : list of dict
        ``benchmarks/evaluate_all.py --json``.
    out : Path
        The SVG to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> evaluation_margin(json.load(open("docs/data/evaluation.json")),
    ...                   Path("m.svg"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    names = [n for n in _CHALLENGERS if any(n in g["scores"] for g in data)]
    step = len(names) + 1
    fig, ax = plt.subplots(figsize=(7, 0.35 * step * len(data) + 1.2))
    ticks: list[float] = []
    for i, g in enumerate(data[::-1]):
        base = i * step
        ticks.append(base + (len(names) - 1) / 2)
        for j, name in enumerate(names[::-1]):
            vs = g["scores"].get(name, {}).get("vs_best_classic")
            if vs is None:
                continue
            y = base + j
            colour = "#e45756" if vs["low"] > 0 else ("#4c78a8" if vs["high"] < 0 else "#8c8c8c")
            ax.errorbar(
                vs["diff"],
                y,
                xerr=[[vs["diff"] - vs["low"]], [vs["high"] - vs["diff"]]],
                fmt="o" if name == "learned" else "s",
                color=colour,
                capsize=3,
            )
            ax.annotate(
                f"{name} vs {_short(vs['baseline'])}",
                (vs["high"], y),
                xytext=(6, -3),
                textcoords="offset points",
                fontsize=8,
            )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ticks, [g["graph"] for g in data[::-1]])
    ax.set_xlabel("score minus the best classic score, precision@10 (paired, 95% CI)")
    ax.set_title(" and ".join(names) + " against the best classic score", fontsize=10)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return _save(fig, out)


def _short(score: str) -> str:
    """Return a score's short label."""
    return {
        "common_neighbors": "CN",
        "jaccard": "Jaccard",
        "adamic_adar": "AA",
        "resource_allocation": "RA",
        "cn_ra": "cn_ra",
        "learned": "learned",
        "random": "random",
    }.get(score, score)


def bench_suggest(data: dict[str, Any], out: Path) -> Path:
    """Draw ``suggest`` p50 latency per implementation (log scale), per graph; return it.

    Parameters
    ----------
    data : dict
        ``graphmatch bench --output``: ``rows`` of the table.
    out : Path
        The SVG to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> bench_suggest(json.load(open("docs/data/bench-quick.json")),
    ...               Path("b.svg"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    rows = [r for r in data["rows"] if r["operation"].startswith("suggest") and r.get("p50")]
    panels: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        panels.setdefault((r["graph"], r["operation"]), []).append(r)
    keys = list(panels)
    if not keys:
        raise ValueError("no suggest rows in the bench data")
    cols = 2
    nrows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(10, 2.2 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        rs = sorted(panels[key], key=lambda r: r["p50"])
        ys = list(range(len(rs)))[::-1]
        colours = ["#e45756" if r["impl"].startswith("graphmatch") else "#4c78a8" for r in rs]
        ax.barh(ys, [r["p50"] * 1e6 for r in rs], color=colours)
        ax.set_xscale("log")
        ax.set_yticks(ys, [r["impl"] for r in rs], fontsize=7)
        ax.set_title(f"{key[0]}: {key[1]}", fontsize=8)
        ax.grid(axis="y", visible=False)
        for y, r in zip(ys, rs, strict=True):
            ax.annotate(
                _us(r["p50"]), (r["p50"] * 1e6, y), xytext=(3, -3), textcoords="offset points",
                fontsize=7,
            )  # fmt: skip
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("p50 latency, µs (log scale)")
    load = data.get("machine", {}).get("load_average", [float("nan")])[0]
    fig.suptitle(
        f"One person's top-10 suggestions: median latency (graphmatch bench --quick; "
        f"{data.get('machine', {}).get('cpus', '?')} cores, load {load:.1f} at start)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, out)


def _us(seconds: float) -> str:
    """Format seconds as µs or ms."""
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


#: The engines of the batch chart: label, key of the wall time, key of the peak memory.
_ENGINES = (
    ("in-process ranking", "ranking_s", "ranking_peak_rss_mib"),
    ("in-process to JSONL", "jsonl_s", "jsonl_peak_rss_mib"),
    ("scipy A[block] @ A", "scipy_s", "scipy_peak_rss_mib"),
    ("Spark local[2] to JSONL", "spark_s", "spark_jvm_peak_rss_mib"),
)


def batch_engines(runs: Sequence[dict[str, Any]], out: Path) -> Path:
    """Draw the batch engines' wall time (log) and peak memory per graph; return the SVG path.

    Parameters
    ----------
    runs : sequence of dict
        ``benchmarks/bench_batch.py --output`` files, one per graph.
    out : Path
        The SVG to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> batch_engines([json.load(open("docs/data/batch-synth-100k.json"))],
    ...               Path("e.svg"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 0.9 * len(runs) * len(_ENGINES) / 2 + 1.6))
    colours = ("#e45756", "#f2a09a", "#4c78a8", "#54a24b")
    height = 0.8 / len(_ENGINES)
    labels = [f"{r['graph']}\n{r['params']['score']}, k {r['params']['k']}" for r in runs]
    for ax, which in ((ax_t, 1), (ax_m, 2)):
        for e, engine in enumerate(_ENGINES):
            for g, run in enumerate(runs):
                value = run.get(engine[which])
                if not isinstance(value, (int, float)) or (which == 1 and value <= 0):
                    continue
                if engine[0].startswith("Spark") and run.get("spark_status") != "done":
                    continue
                y = len(runs) - 1 - g + (len(_ENGINES) / 2 - e - 0.5) * height
                ax.barh(y, value, height=height, color=colours[e], label=engine[0])
                text = f"{_secs(value)} s" if which == 1 else f"{value:,.0f} MiB"
                ax.annotate(text, (value, y), xytext=(3, -2.5), textcoords="offset points",
                            fontsize=7)  # fmt: skip
        ax.set_yticks(range(len(runs))[::-1], labels)
        ax.grid(axis="y", visible=False)
    ax_t.set_xscale("log")
    ax_t.set_xlabel("wall time, s (log scale)")
    ax_m.set_xlabel("peak RSS, MiB (the process; for Spark the JVM)")
    ax_m.set_yticklabels([])
    handles, names = ax_t.get_legend_handles_labels()
    uniq = dict(zip(names, handles, strict=True))
    fig.legend(uniq.values(), uniq.keys(), loc="lower center", ncol=4, frameon=False)
    load = max(r["machine"]["load_average_start"][0] for r in runs)
    fig.suptitle(
        f"Everyone's top-10: in-process batch, scipy, Spark local[2] "
        f"(2 cores shared with other work, load average at start up to {load:.1f})",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _save(fig, out)


def spark_hubs(data: dict[str, Any], out: Path) -> Path:
    """Draw the two-hop rows and Spark's shuffle against the degree cap; return the SVG path.

    Parameters
    ----------
    data : dict
        What :func:`merge_hub_runs` wrote: ``graph`` and ``runs`` (one per cap).
    out : Path
        The SVG to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> spark_hubs(json.load(open("docs/data/spark-hubs.json")), Path("h.svg"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    runs = data["runs"]
    labels = [_hub_label(r) for r in runs]
    fig, (ax_r, ax_s, ax_k) = plt.subplots(1, 3, figsize=(11, 2.8))
    xs = list(range(len(runs)))
    rows = [r["two_hop_rows"] / 1e6 for r in runs]
    ax_r.bar(xs, rows, color="#4c78a8")
    ax_r.set_ylabel("two-hop join rows, millions")
    shuffle = [r.get("spark_shuffle_mib") if r.get("spark_status") == "done" else 0 for r in runs]
    seconds = [r.get("spark_s") if r.get("spark_status") == "done" else 0 for r in runs]
    ax_s.bar(xs, shuffle, color="#54a24b")
    ax_s.set_ylabel("Spark shuffle written, MiB")
    for x, v, s in zip(xs, shuffle, seconds, strict=True):
        ax_s.annotate(f"{s:.0f} s" if s else "not run", (x, v or 0), xytext=(0, 2),
                      textcoords="offset points", ha="center", fontsize=7)  # fmt: skip
    for x, v in zip(xs, rows, strict=True):
        ax_r.annotate(f"{v:.1f}M", (x, v), xytext=(0, 2), textcoords="offset points",
                      ha="center", fontsize=7)  # fmt: skip
    skew = [_spread(r) for r in runs]
    ax_k.bar(xs, skew, color="#e45756")
    ax_k.axhline(1, color="black", linewidth=0.8)
    ax_k.set_ylabel("slowest / median task")
    for x, v in zip(xs, skew, strict=True):
        ax_k.annotate(f"{v:.1f}x" if v else "-", (x, v), xytext=(0, 2),
                      textcoords="offset points", ha="center", fontsize=7)  # fmt: skip
    for ax in (ax_r, ax_s, ax_k):
        ax.set_xticks(xs, labels)
        ax.grid(axis="x", visible=False)
    fig.suptitle(
        f"Hubs: the degree cap bounds Spark's two-hop join ({data['graph']}, "
        f"largest degree {runs[0]['max_degree_in_graph']:,}; Spark wall time on the bars; "
        "tasks of the heaviest stage)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, out)


def _hub_label(run: dict[str, Any]) -> str:
    """Return a hub run's label: its cap, and whether broadcast joins were off."""
    cap = run["params"]["max_degree"]
    label = "no cap" if cap is None else f"cap {cap}"
    if (run.get("spark_conf") or {}).get("spark.sql.autoBroadcastJoinThreshold") == "-1":
        label += "\nshuffle join"
    return label


def _secs(seconds: float) -> str:
    """Format seconds with three significant digits, whole seconds from 100 up."""
    return f"{seconds:,.0f}" if seconds >= 100 else f"{seconds:.3g}"


def _spread(run: dict[str, Any]) -> float:
    """Return the slowest task over the median one in a run's heaviest Spark stage, or 0."""
    heavy = run.get("spark_heaviest_stage")
    spread = heavy.get("task_spread") if isinstance(heavy, dict) else None
    return float(spread["max_over_median"]) if isinstance(spread, dict) else 0.0


def merge_hub_runs(paths: Sequence[Path], out: Path) -> Path:
    """Gather ``bench_batch.py --output`` files of one graph (one per cap) into one file.

    Parameters
    ----------
    paths : sequence of Path
        The per-cap JSON files.
    out : Path
        The merged file (``graph`` and ``runs``, the uncapped run first, then by cap).

    Returns
    -------
    Path

    Examples
    --------
    >>> merge_hub_runs([Path("a.json"), Path("b.json")], Path("hubs.json"))  # doctest: +SKIP
    """
    runs = [_load(p) for p in paths]
    for r in runs:
        r.pop("spark_stages", None)  # the per-stage detail stays in the per-run files
    runs.sort(
        key=lambda r: (
            r["params"]["max_degree"] is not None,
            r["params"]["max_degree"] or 0,
            _hub_label(r),
        )
    )
    out.write_text(json.dumps({"graph": runs[0]["graph"], "runs": runs}, indent=2) + "\n")
    return out


def _evaluation(data_dir: Path, out_dir: Path) -> list[Path]:
    """Draw the evaluation charts."""
    data = _load(data_dir / "evaluation.json")
    return [
        evaluation_precision(data, out_dir / "evaluation-precision.svg"),
        evaluation_margin(data, out_dir / "evaluation-margin.svg"),
    ]


def _bench(data_dir: Path, out_dir: Path) -> list[Path]:
    """Draw the suggest latency chart."""
    return [bench_suggest(_load(data_dir / "bench-quick.json"), out_dir / "bench-suggest.svg")]


def _batch(data_dir: Path, out_dir: Path) -> list[Path]:
    """Draw the batch engines chart from every ``batch-*.json``."""
    files = sorted(data_dir.glob("batch-*.json"))
    if not files:
        raise FileNotFoundError(data_dir / "batch-*.json")
    runs = sorted((_load(f) for f in files), key=lambda r: r["people"])
    return [batch_engines(runs, out_dir / "batch-engines.svg")]


def _hubs(data_dir: Path, out_dir: Path) -> list[Path]:
    """Draw the hubs chart."""
    return [spark_hubs(_load(data_dir / "spark-hubs.json"), out_dir / "spark-hubs.svg")]


#: Chart groups by name: what each draws from the data folder into the output folder.
CHARTS: dict[str, Callable[[Path, Path], list[Path]]] = {
    "evaluation": _evaluation,
    "bench": _bench,
    "batch": _batch,
    "hubs": _hubs,
}


def draw_all(data_dir: Path, out_dir: Path, log: Callable[[str], None] = print) -> list[Path]:
    """Draw every chart whose data file exists; return the SVGs written.

    Parameters
    ----------
    data_dir : Path
        The folder of data files (``docs/data``).
    out_dir : Path
        Where the SVGs go (``docs/img``).
    log : callable, default print
        Receives one line per chart written or skipped.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     draw_all(Path(tmp), Path(tmp), log=lambda s: None)
    []
    """
    style()
    written: list[Path] = []
    for name, draw in CHARTS.items():
        try:
            paths = draw(data_dir, out_dir)
        except FileNotFoundError as exc:
            log(f"{name}: skipped, no data file ({Path(str(exc.filename or exc)).name})")
            continue
        for p in paths:
            log(f"{name}: wrote {p}")
        written.extend(paths)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Draw the charts from the command line; return 0, or 1 when none was drawn.

    Parameters
    ----------
    argv : sequence of str, optional
        ``--data FOLDER --out FOLDER`` (defaults ``docs/data`` and ``docs/img``).

    Returns
    -------
    int

    Examples
    --------
    >>> main(["--data", "/nonexistent", "--out", "/tmp"])  # doctest: +SKIP
    1
    """
    p = argparse.ArgumentParser(prog="python -m graphmatch_bench.charts", description=__doc__)
    p.add_argument("--data", type=Path, default=Path("docs/data"), help="data files (docs/data)")
    p.add_argument("--out", type=Path, default=Path("docs/img"), help="SVGs (docs/img)")
    args = p.parse_args(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('charts need matplotlib: pip install "graphmatch[docs]"', file=sys.stderr)
        return 1
    return 0 if draw_all(args.data, args.out) else 1


if __name__ == "__main__":
    sys.exit(main())

"""``scripts/charts``: every chart drawn from tiny data files, valid SVG, the same bytes twice."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from graphmatch_bench.charts import draw_all, main, merge_hub_runs

SVG = "{http://www.w3.org/2000/svg}"


def _interval(mean: float) -> dict[str, float]:
    return {"mean": mean, "low": mean - 0.01, "high": mean + 0.01, "n": 100}


def _evaluation() -> list[dict[str, Any]]:
    graphs = []
    for name, base in (("Tiny A", 0.2), ("Tiny B", 0.05)):
        names = ("common_neighbors", "jaccard", "adamic_adar", "cn_ra", "learned")
        scores: dict[str, Any] = {
            s: {"metrics": {"precision": _interval(base + 0.01 * i)}} for i, s in enumerate(names)
        }
        for s, diff in (("cn_ra", 0.002), ("learned", 0.009)):
            scores[s]["vs_best_classic"] = {
                "baseline": "adamic_adar", "diff": diff, "low": diff - 0.003, "high": diff + 0.003,
            }  # fmt: skip
        graphs.append({"graph": name, "k": 10, "scores": scores})
    return graphs


def _batch(people: int, spark: bool) -> dict[str, Any]:
    run: dict[str, Any] = {
        "graph": f"synth {people}",
        "people": people,
        "params": {"score": "cn_ra", "k": 10, "max_degree": None},
        "machine": {"cpus": 2, "load_average_start": [1.5, 1.0, 1.0]},
        "max_degree_in_graph": 40,
        "two_hop_rows": 12_345_678,
        "ranking_s": 1.5,
        "ranking_peak_rss_mib": 300,
        "jsonl_s": 1.8,
        "jsonl_peak_rss_mib": 320,
        "scipy_s": 12.0,
        "scipy_peak_rss_mib": 500,
        "spark_status": "done" if spark else "failed after 9 s: cancelled",
        "spark_s": 200.0,
        "spark_shuffle_mib": 275,
        "spark_jvm_peak_rss_mib": 2000,
        "spark_heaviest_stage": {"stage": 7, "task_spread": {"max_over_median": 3.5}},
    }
    return run


def _write_data(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.json").write_text(json.dumps(_evaluation()))
    rows = [
        {"graph": g, "operation": op, "impl": impl, "p50": p50}
        for g in ("Tiny A", "Tiny B")
        for op in ("suggest CN top-10", "suggest AA top-10")
        for impl, p50 in (("graphmatch", 5e-5), ("networkx Counter", 3e-4), ("scipy", 2e-3))
    ] + [{"graph": "Tiny A", "operation": "mutual 1 pair", "impl": "graphmatch", "p50": 1e-5}]
    bench = {"machine": {"cpus": 2, "load_average": [0.5, 0.5, 0.5]}, "rows": rows}
    (folder / "bench-quick.json").write_text(json.dumps(bench))
    (folder / "batch-small.json").write_text(json.dumps(_batch(1000, True)))
    (folder / "batch-big.json").write_text(json.dumps(_batch(100_000, False)))
    caps = []
    for cap in (None, 100, 50, "shuffle"):
        run = _batch(1000, True)
        run["params"]["max_degree"] = None if cap == "shuffle" else cap
        if cap == "shuffle":
            run["spark_conf"] = {"spark.sql.autoBroadcastJoinThreshold": "-1"}
        run["two_hop_rows"] = cap * 10_000 if isinstance(cap, int) else 9_000_000
        path = folder / f"hub-{cap}.json"
        path.write_text(json.dumps(run))
        caps.append(path)
    merge_hub_runs(caps, folder / "spark-hubs.json")
    for p in caps:
        p.unlink()


def test_every_chart_is_valid_svg_without_a_date_and_the_same_bytes_when_redrawn(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _write_data(data)
    first = draw_all(data, tmp_path / "one", log=lambda s: None)
    second = draw_all(data, tmp_path / "two", log=lambda s: None)
    names = sorted(p.name for p in first)
    assert names == [
        "batch-engines.svg",
        "bench-suggest.svg",
        "evaluation-margin.svg",
        "evaluation-precision.svg",
        "spark-hubs.svg",
    ]
    for a, b in zip(sorted(first), sorted(second), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        root = ET.fromstring(a.read_bytes())
        assert root.tag == f"{SVG}svg"
        assert "<dc:date>" not in a.read_text()
        # Text stays text (no embedded glyphs): the graph names are in the file as written.
        texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert texts, a.name
    precision = (tmp_path / "one" / "evaluation-precision.svg").read_text()
    assert "Tiny A" in precision and "Tiny B" in precision
    margin = (tmp_path / "one" / "evaluation-margin.svg").read_text()
    assert "learned vs AA" in margin and "cn_ra vs AA" in margin
    hubs = (tmp_path / "one" / "spark-hubs.svg").read_text()
    assert "no cap" in hubs and "cap 50" in hubs and "shuffle join" in hubs


def test_a_missing_data_file_skips_its_chart_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "evaluation.json").write_text(json.dumps(_evaluation()))
    lines: list[str] = []
    written = draw_all(data, tmp_path / "out", log=lines.append)
    assert sorted(p.name for p in written) == ["evaluation-margin.svg", "evaluation-precision.svg"]
    assert any(line.startswith("bench: skipped") for line in lines)
    assert any(line.startswith("batch: skipped") for line in lines)


def test_main_exits_1_when_no_chart_could_be_drawn(tmp_path: Path) -> None:
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 1


def test_merged_hub_runs_put_the_uncapped_run_first_then_by_cap(tmp_path: Path) -> None:
    paths = []
    for cap in (50, None, 200):
        run = _batch(10, True)
        run["params"]["max_degree"] = cap
        run["spark_stages"] = [{"stage": 1}]
        paths.append(tmp_path / f"{cap}.json")
        paths[-1].write_text(json.dumps(run))
    merged = json.loads(merge_hub_runs(paths, tmp_path / "hubs.json").read_text())
    assert [r["params"]["max_degree"] for r in merged["runs"]] == [None, 50, 200]
    assert all("spark_stages" not in r for r in merged["runs"])

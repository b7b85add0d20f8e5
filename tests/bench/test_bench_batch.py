"""``benchmarks/bench_batch.py``: a smoke run on a tiny synthetic graph (no timing assertions)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from graphmatch_bench.data import synthetic_edges
from graphmatch_bench.engines import two_hop_rows

ROOT = Path(__file__).resolve().parents[2]


def _bench_batch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "benchmarks/bench_batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_json_output_has_every_part_and_the_two_hop_rows_of_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("scipy")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the warm-up writes nothing here, but keep the tree clean
    out = tmp_path / "batch.json"
    argv = ["--people", "300", "--friendships", "1200", "--no-spark", "--scipy", "--output"]
    assert _bench_batch().main([*argv, str(out)]) == 0
    data = json.loads(out.read_text())
    assert "| synth 300 / 1,200 |" in capsys.readouterr().out
    assert data["people"] == 300
    assert data["params"] == {"score": "cn_ra", "k": 10, "max_degree": None}
    for key in ("ranking_s", "jsonl_s", "parquet_s", "scipy_s", "legacy_encode_s"):
        assert key in data, key
    assert data["ranking_peak_rss_mib"] > 0
    assert data["scipy_extrapolated_from"] == "1 of 1 blocks"
    assert data["command"].startswith("python benchmarks/bench_batch.py --people 300")
    assert "spark_s" not in data

    edges = synthetic_edges(300, 1200)
    pairs = {(min(a, b), max(a, b)) for a, b in edges.tolist() if a != b}
    degrees = np.bincount(np.array(sorted(pairs)).ravel(), minlength=300)
    assert data["friendships"] == len(pairs)
    assert data["two_hop_rows"] == two_hop_rows(degrees)

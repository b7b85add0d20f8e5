"""``graphmatch bench``: a smoke run of --quick on a tiny graph (no timing assertions)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from graphmatch.cli.batch import register
from graphmatch_bench.harness import Row, format_table, run_bench


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_quick_bench_on_a_tiny_graph_prints_json_with_every_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    out = tmp_path / "bench.json"
    args = _parser().parse_args(
        ["bench", "--quick", "--graphs", "synth:300:1200", "--json", "--output", str(out)]
    )
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(out.read_text())
    ops = {(r["operation"], r["impl"]) for r in data["rows"]}
    for op in ("suggest CN top-10", "suggest AA top-10", "mutual 1 pair", "mutual batch"):
        assert (op, "graphmatch") in ops
    assert ("batch top-10 all", "graphmatch") in ops
    assert ("build", "graphmatch index") in ops
    assert ("suggest CN top-10", "networkx Counter") in ops
    assert ("suggest CN top-10, back to back", "networkx Counter") in ops
    assert ("suggest CN top-10", "graphmatch plain") in ops
    assert ("suggest AA top-10", "networkx adamic_adar_index") in ops
    ours = [r for r in data["rows"] if r["impl"] == "graphmatch"]
    assert all(r["ratio"] is None for r in ours)
    assert all(r["ratio"] is not None for r in data["rows"] if r["impl"] == "networkx Counter")


def test_a_missing_graph_file_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMATCH_DATA", str(tmp_path / "nowhere"))
    rows, notes = run_bench(["slashdot"], log=lambda s: None)
    assert rows == []
    assert len(notes) == 1 and "skipped slashdot" in notes[0]


def test_the_table_names_each_row_and_the_ratio() -> None:
    rows = [
        Row("g", "suggest CN top-10", "graphmatch", p50=1e-5, p99=3e-5),
        Row("g", "suggest CN top-10", "networkx Counter", p50=3e-4, p99=1e-3, ratio=30.0),
    ]
    text = format_table(rows)
    assert "networkx Counter" in text and "30.0x" in text and "10.0 µs" in text

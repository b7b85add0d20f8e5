"""``graphmatch bench``: a smoke run of --quick on a tiny graph (no timing assertions)."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import pytest

from graphmatch.cli import main
from graphmatch_bench.baselines import MISSING_NOTE
from graphmatch_bench.cli import register
from graphmatch_bench.data import data_dirs, load_pairs
from graphmatch_bench.run import run_bench
from graphmatch_bench.table import Row, format_table


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
    assert ("batch top-10 all", "graphmatch -> JSONL") in ops
    assert ("build", "graphmatch index") in ops
    assert ("memory", "graphmatch store") in ops
    assert ("suggest CN top-10", "networkx Counter") in ops
    assert ("suggest CN top-10, back to back", "networkx Counter") in ops
    assert ("suggest CN top-10", "graphmatch plain") in ops
    assert ("suggest AA top-10", "networkx adamic_adar_index") in ops
    assert ("mutual 1 pair", "graphmatch kernel (positions)") in ops
    ours = [r for r in data["rows"] if r["impl"] == "graphmatch"]
    assert all(r["ratio"] is None for r in ours)
    assert all(r["ratio"] is not None for r in data["rows"] if r["impl"] == "networkx Counter")


def test_a_missing_baseline_is_a_row_with_a_note_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    # None in sys.modules makes `import scipy.sparse` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    rows, notes = run_bench(
        ["synth:200:800"],
        people=5,
        pairs_single=5,
        pairs_batch=100,
        threads=1,
        baselines=["networkx", "scipy"],
        log=lambda s: None,
        isolate=False,
    )
    assert notes == []
    scipy_rows = [r for r in rows if r.impl.startswith("scipy")]
    assert [(r.operation, r.note) for r in scipy_rows] == [("build", MISSING_NOTE)]
    assert any(r.impl == "networkx Counter" for r in rows)
    assert MISSING_NOTE in format_table(rows)


def test_a_missing_graph_file_is_skipped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMATCH_DATA", str(tmp_path / "nowhere"))
    rows, notes = run_bench(["slashdot"], log=lambda s: None)
    assert rows == []
    assert len(notes) == 1 and "skipped slashdot" in notes[0]


def test_graph_files_come_from_graphmatch_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMATCH_DATA", str(tmp_path))
    with gzip.open(tmp_path / "soc-Slashdot0902.txt.gz", "wt") as fh:
        fh.write("# a tiny stand-in\n1 2\n2 3\n")
    assert data_dirs()[-1] == tmp_path
    pairs, source = load_pairs("slashdot")
    assert (sorted(pairs), source) == ([("1", "2"), ("2", "3")], "soc-Slashdot0902.txt.gz")


@pytest.mark.parametrize("graphs", ["nosuch", "facebook,nosuch", "synth:12", "synth:a:b"])
def test_an_unknown_graph_exits_non_zero_with_one_line(
    graphs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--graphs", graphs]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphmatch: error: "), captured.err


def test_the_table_names_each_row_and_the_ratio() -> None:
    rows = [
        Row("g", "suggest CN top-10", "graphmatch", p50=1e-5, p99=3e-5),
        Row("g", "suggest CN top-10", "networkx Counter", p50=3e-4, p99=1e-3, ratio=30.0),
    ]
    text = format_table(rows)
    assert "networkx Counter" in text and "30.0x" in text and "10.0 µs" in text

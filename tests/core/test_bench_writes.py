"""``graphmatch bench --writes``: a smoke run on a tiny graph (no timing assertions)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from graphmatch_bench.cli import register


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_writes_bench_has_a_row_per_rate_all_compiled_none_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    args = _parser().parse_args(
        [
            "bench",
            "--quick",
            "--json",
            "--writes",
            "200,2000",
            "--graphs",
            "synth:300:1200",
            "--seconds",
            "0.3",
        ]
    )
    assert args.func(args) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    loads = [r["load"] for r in rows]
    assert loads[:4] == ["build the live index", "no writes", "200 writes/s", "2,000 writes/s"]
    mixed = rows[1:4]
    assert mixed[0]["p50_ratio"] == 1.0
    assert all(r["compiled_share"] == 1.0 and r["missed"] == 0 for r in mixed)
    assert "repack (compaction), forced" in loads
    assert "bulk ingest, live in-memory store" in loads and "ingest, journaled store" in loads


def test_writes_rates_must_be_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    from graphmatch.errors import InvalidInput

    args = _parser().parse_args(["bench", "--writes", "fast", "--graphs", "synth:300:1200"])
    with pytest.raises(InvalidInput):
        args.func(args)

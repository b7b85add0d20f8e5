"""The command line: readable output, --json, one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from graphmatch.cli import main
from tests.conftest import FACEBOOK


def test_suggest_prints_json_matching_the_library(
    capsys: pytest.CaptureFixture[str], facebook_graph: nx.Graph
) -> None:
    code = main(["suggest", "0", "--graph", str(FACEBOOK), "--limit", "3", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    people = [s["id"] for s in data["suggestions"]]
    assert len(people) == 3
    for s in data["suggestions"]:
        assert s["mutual_count"] == len(list(nx.common_neighbors(facebook_graph, "0", s["id"])))


def test_mutual_prints_the_count(
    capsys: pytest.CaptureFixture[str], facebook_graph: nx.Graph
) -> None:
    assert main(["mutual", "0", "1", "--graph", str(FACEBOOK)]) == 0
    count = len(list(nx.common_neighbors(facebook_graph, "0", "1")))
    assert f"have {count} friends in common" in capsys.readouterr().out


def test_load_reports_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", str(FACEBOOK), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["people"], data["friendships"]) == (4039, 88234)


@pytest.mark.parametrize(
    "argv",
    [
        ["suggest", "nobody", "--graph", str(FACEBOOK)],
        ["mutual", "0", "1", "--graph", "/no/such/file.txt"],
        ["suggest", "0", "--graph", str(FACEBOOK), "--limit", "0"],
        ["suggest", "0"],
    ],
)
def test_errors_exit_non_zero_with_one_readable_line(argv: list[str], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "graphmatch", *argv], capture_output=True, text=True
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("graphmatch: error: ")
    assert proc.stdout == ""


def test_malformed_file_error_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "graphmatch", "load", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert f"{bad}:2:" in proc.stderr

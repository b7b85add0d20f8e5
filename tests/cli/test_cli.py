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


def test_a_usage_error_exits_2_with_the_usage_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suggest"]) == 2
    assert "usage: graphmatch suggest" in capsys.readouterr().err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("graphmatch ")
    assert main(["seed", "--help"]) == 0
    assert "--people" in capsys.readouterr().out


def test_plugin_errors_end_through_the_one_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # seed_data's own handler no longer prints errors: the CLI's rule does, once.
    assert main(["seed", "--people", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("graphmatch: error: ") and len(err.strip().splitlines()) == 1
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["seed", "--people", "50", "--mean-degree", "4", "--out", str(blocked)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"graphmatch: error: {blocked}") and len(err.strip().splitlines()) == 1


def test_an_error_can_carry_its_own_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.server import RefusedToServe

    def refuse(*args: object, **kwargs: object) -> int:
        raise RefusedToServe("refusing to serve on 0.0.0.0 with no API keys")

    monkeypatch.setattr("api.server.serve", refuse)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert capsys.readouterr().err == (
        "graphmatch: error: refusing to serve on 0.0.0.0 with no API keys\n"
    )


def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("api.server.serve", interrupted)
    assert main(["serve"]) == 130
    assert capsys.readouterr().err == "graphmatch: interrupted\n"


def test_the_cli_store_kinds_match_open_store() -> None:
    from graphmatch.cli._main import STORE_KINDS
    from graphmatch.stores._open import STORE_KINDS as OPEN_KINDS

    assert STORE_KINDS == OPEN_KINDS

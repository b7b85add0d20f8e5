"""The presence subcommands on an edge list plus a presence file (memory), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphmatch.cli import main


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    graph = tmp_path / "g.txt"
    graph.write_text("a b\nb c\na d\nd c\nc e\nf e\n")
    return ["--graph", str(graph), "--presence", str(tmp_path / "p.jsonl")]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_checkin_then_nearby_across_processes(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "checkin", "a", "--lat", "10", "--lon", "179.9999", *files)[0] == 0
    assert run(capsys, "checkin", "c", "--lat", "10", "--lon", "-179.9999", *files)[0] == 0
    assert run(capsys, "checkin", "e", "--lat", "10", "--lon", "0", *files)[0] == 0
    code, out, _ = run(capsys, "nearby", "a", "--radius", "30", "--json", *files)
    assert code == 0
    assert json.loads(out)["nearby"] == [
        {
            "id": "c",
            "score": 2.0,
            "mutual_count": 2,
            "mutual": ["b", "d"],
            "distance_m": 22,
            "same_event": False,
            "within_radius": True,
        }
    ]
    code, out, _ = run(capsys, "nearby", "a", "--radius", "30", *files)
    assert "c" in out and "b, d" in out
    assert run(capsys, "checkout", "c", *files)[0] == 0
    assert json.loads(run(capsys, "nearby", "a", "--json", *files)[1]) == {"nearby": []}


def test_events_and_top_pairs(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "event", "conf", "--name", "Conf", "--lat", "1", "--lon", "2", *files
    )
    assert code == 0 and "Conf" in out
    for who in "acef":
        assert run(capsys, "checkin", who, "--event", "conf", *files)[0] == 0
    out = run(capsys, "event", "conf", "--json", *files)[1]
    assert json.loads(out)["attendees"] == 4
    out = run(capsys, "top-pairs", "conf", "--json", *files)[1]
    assert json.loads(out)["pairs"][0] == {
        "a": "a",
        "b": "c",
        "mutual_count": 2,
        "mutual": ["b", "d"],
    }


def test_errors_are_one_line_and_exit_1(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "checkin", "a", "--lat", "91", "--lon", "0", *files)
    assert code == 1 and "lat must be from -90 to 90" in err
    code, _, err = run(capsys, "checkin", "zz", "--lat", "1", "--lon", "0", *files)
    assert code == 1 and "not found" in err
    code, _, err = run(capsys, "checkin", "a", "--event", "nope", *files)
    assert code == 1 and "event 'nope' not found" in err
    code, _, err = run(capsys, "nearby", "a", *files)
    assert code == 1 and "not checked in" in err
    code, _, err = run(capsys, "nearby", "a", "--radius", "0", *files)
    assert code == 1 and "radius_m" in err

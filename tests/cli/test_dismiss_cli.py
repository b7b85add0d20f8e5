"""``graphmatch dismiss`` and ``graphmatch dismissed``: on a data dir and on Neo4j."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import graphmatch as gm
from graphmatch.cli import main
from graphmatch.stores.journal import JournaledStore

WORLD = [("ann", "bob"), ("bob", "eve"), ("bob", "fay"), ("ann", "cat"), ("cat", "eve")]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A server's data dir holding the small world above (closed, as after a shutdown)."""
    s = JournaledStore(gm.MemoryStore(), tmp_path / "data")
    s.add_friendships(WORLD)
    s.close()
    return tmp_path / "data"


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphmatch", *argv], capture_output=True, text=True, timeout=120
    )


def test_dismiss_on_a_data_dir_lasts_and_can_be_undone(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data-dir", str(data_dir)]
    assert main(["dismiss", "ann", "eve", *where]) == 0
    assert "eve will not be suggested to ann again" in capsys.readouterr().out
    assert main(["dismiss", "ann", "eve", *where, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is False
    assert main(["dismiss", "fay", "ann", *where]) == 0
    capsys.readouterr()
    assert main(["dismissed", "ann", *where, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": "ann", "dismissed": ["eve"]}
    # Without a person: every pair, the export a ranker trains on.
    assert main(["dismissed", *where]) == 0
    assert capsys.readouterr().out.splitlines() == ["ann\teve", "fay\tann"]
    s = JournaledStore(gm.MemoryStore(), data_dir)  # what the server will see next start
    assert [x.person for x in gm.Matcher(s).suggest("ann")] == ["fay"]
    s.close()
    assert main(["dismiss", "ann", "eve", "--undo", *where, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is True
    assert main(["dismissed", *where, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"dismissals": [["fay", "ann"]]}


@pytest.mark.neo4j
def test_dismiss_on_neo4j(
    neo4j_store_session: gm.Neo4jStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.neo4j import neo4j_settings

    uri, (user, password) = neo4j_settings()
    assert uri is not None
    for name, value in (("NEO4J_URI", uri), ("NEO4J_USER", user), ("NEO4J_PASSWORD", password)):
        monkeypatch.setenv(name, value)
    neo = neo4j_store_session
    neo.clear()
    neo.add_friendships(WORLD)
    assert main(["dismiss", "ann", "eve", "--store", "neo4j"]) == 0
    assert main(["dismiss", "bob", "cat"]) == 0  # NEO4J_URI set: Neo4j is the default
    capsys.readouterr()
    assert neo.dismissals() == [("ann", "eve"), ("bob", "cat")]
    assert main(["dismissed", "ann", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dismissed"] == ["eve"]
    assert [x.person for x in gm.Matcher(neo).suggest("ann")] == ["fay"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["dismiss", "ann", "eve"], "need a durable store"),
        (["dismiss", "ann", "eve", "--store", "memory"], "need a durable store"),
        (["dismiss", "ann", "nobody", "--data-dir", "{data}"], "nobody"),
        (["dismiss", "ann", "ann", "--data-dir", "{data}"], "cannot dismiss themselves"),
        (["dismissed", "nobody", "--data-dir", "{data}"], "nobody"),
        (["dismissed", "--data-dir", "{empty}"], "holds no graphmatch data"),
    ],
)
def test_errors_are_one_line_and_a_non_zero_exit(
    argv: list[str], says: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    (tmp_path / "empty").mkdir()
    args = [a.format(data=data_dir, empty=tmp_path / "empty") for a in argv]
    proc = _run(args)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphmatch: error: "), proc.stderr
    assert says in lines[0] and proc.stdout == ""
    assert not list((tmp_path / "empty").iterdir())  # a typo never sets up a data dir


def test_a_data_dir_a_running_server_holds_is_refused(data_dir: Path) -> None:
    held = JournaledStore(gm.MemoryStore(), data_dir)
    try:
        proc = _run(["dismiss", "ann", "eve", "--data-dir", str(data_dir)])
    finally:
        held.close()
    assert proc.returncode == 1
    assert "in use by another process" in proc.stderr and len(proc.stderr.splitlines()) == 1

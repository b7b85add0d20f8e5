"""``graphmatch train GRAPH --out MODEL``: writes a model the ranker loads; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.cli import main
from graphmatch.learn import LearnedRanker


def _edge_list(tmp_path: Path) -> Path:
    g = nx.relaxed_caveman_graph(20, 6, 0.2, seed=4)
    path = tmp_path / "g.txt"
    path.write_text("".join(f"{a} {b}\n" for a, b in g.edges() if a != b))
    return path


def test_train_writes_a_model_file_the_ranker_serves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph, out = _edge_list(tmp_path), tmp_path / "model.json"
    rc = main(["train", str(graph), "--out", str(out), "--people", "60", "--no-progress",
               "--json"])  # fmt: skip
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["out"] == str(out) and printed["training"]["source"] == str(graph)
    ranker = LearnedRanker.load(out)
    store = gm.MemoryStore.from_edgelist(graph)
    found = ranker.suggest(store, "0", limit=5)
    assert found and all(0.0 <= s.score <= 1.0 for s in found)


def test_train_takes_the_forest_and_the_cut(tmp_path: Path) -> None:
    graph, out = _edge_list(tmp_path), tmp_path / "model.json"
    rc = main(["train", str(graph), "--out", str(out), "--people", "60", "--no-progress",
               "--learner", "hist_gradient_boosting", "--trees", "7", "--depth", "2",
               "--candidates", "9"])  # fmt: skip
    assert rc == 0
    model = LearnedRanker.load(out).model
    assert (len(model.roots), model.candidates, model.training["trees"]) == (7, 9, 7)
    assert model.depth <= 2
    assert main(["train", str(graph), "--out", str(out), "--depth", "13"]) == 1


def test_train_errors_are_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphmatch: error:")
    graph = _edge_list(tmp_path)
    assert main(["train", str(graph), "--out", str(tmp_path / "m"), "--people", "0"]) == 1
    assert "people" in capsys.readouterr().err
    assert main(["train", str(graph)]) == 2  # --out is required: a usage error

"""evaluate with the learned ranker: trained on the training part only; vs_best_classic."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch import evaluation as ev
from graphmatch.learn import training

GRAPH = nx.relabel_nodes(nx.relaxed_caveman_graph(25, 8, 0.2, seed=5), str)
GRAPH.remove_edges_from(list(nx.selfloop_edges(GRAPH)))  # rewiring can make a few


@pytest.fixture(scope="module")
def run() -> tuple[ev.EvaluationResult, list[nx.Graph], list[gm.learn.Model]]:
    seen: list[nx.Graph] = []
    models: list[Any] = []
    real = training.train

    def spy(graph: nx.Graph, **kw: Any) -> Any:
        seen.append(graph.copy())
        models.append(real(graph, **kw))
        return models[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(training, "train", spy)
    try:
        res = ev.evaluate(
            GRAPH, k=5, seed=2, scores=["common_neighbors", "adamic_adar", "cn_ra", "learned"],
            progress=False, learn_people=120,
        )  # fmt: skip
    finally:
        mp.undo()
    return res, seen, models


def test_the_learned_ranker_is_trained_on_the_training_part_of_the_split_only(
    run: tuple[ev.EvaluationResult, list[nx.Graph], list[Any]],
) -> None:
    res, seen, _ = run
    split = ev.holdout_split(GRAPH, 0.1, seed=2)
    assert len(seen) == 1
    trained_on = seen[0]
    assert {frozenset(e) for e in trained_on.edges()} == {frozenset(e) for e in split.train.edges()}
    assert not any(trained_on.has_edge(a, b) for a, b in split.hidden_pairs)
    assert res.scores["learned"].training is not None
    assert res.scores["learned"].training["people_sampled"] <= 120


def test_learned_results_are_the_rankers_suggestions_on_the_training_graph(
    run: tuple[ev.EvaluationResult, list[nx.Graph], list[Any]],
) -> None:
    res, _, models = run
    split = ev.holdout_split(GRAPH, 0.1, seed=2)
    store = gm.MemoryStore(split.train)
    ranker = gm.learn.LearnedRanker(models[0])
    people = sorted(split.hidden)
    got = res.scores["learned"].per_person["precision"]
    for i in (0, len(people) // 2, len(people) - 1):
        found = [s.person for s in ranker.suggest(store, people[i], 5, explain=0)]
        assert got[i] == ev.precision_at_k(found, split.hidden[people[i]], 5)


def test_every_score_reports_its_paired_difference_against_the_best_classic_score(
    run: tuple[ev.EvaluationResult, list[nx.Graph], list[Any]],
) -> None:
    res, _, _ = run
    best = max(
        ("common_neighbors", "adamic_adar"),
        key=lambda n: res.scores[n].metrics["precision"].mean,
    )
    data = json.loads(json.dumps(res.as_dict()))
    for name, score in data["scores"].items():
        vs = score["vs_best_classic"]
        assert set(vs) == {"baseline", "diff", "low", "high"}
        assert vs["baseline"] == best
        want = res.difference(name, best)
        assert (vs["diff"], vs["low"], vs["high"]) == (want.mean, want.low, want.high)
    assert data["scores"][best]["vs_best_classic"]["diff"] == 0.0
    assert "training" in data["scores"]["learned"]
    assert "vs best classic" in res.table().splitlines()[0]


def test_without_a_classic_score_there_is_no_comparison() -> None:
    res = ev.evaluate(GRAPH, k=5, seed=1, scores=["cn_ra"], progress=False)
    assert res.scores["cn_ra"].vs_best_classic is None

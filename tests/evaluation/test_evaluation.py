"""Offline evaluation: metric functions by hand and against scikit-learn, hold-out, evaluate."""

from __future__ import annotations

import argparse
import json
import math
import random

import networkx as nx
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score

import graphmatch as gm
from graphmatch import evaluation as ev
from graphmatch.cli.evaluate import register
from graphmatch.rule import order_key, score_from_stats
from tests.conftest import FACEBOOK

# -- per-person metrics, worked by hand ------------------------------------------------------
RANKED = ["a", "x", "b", "y", "c"]
RELEVANT = {"a", "b", "z"}


def test_precision_counts_hits_over_k_even_when_the_list_is_short() -> None:
    assert ev.precision_at_k(RANKED, RELEVANT, 3) == pytest.approx(2 / 3)
    assert ev.precision_at_k(["a"], RELEVANT, 4) == 0.25


def test_recall_counts_hits_over_all_relevant_items() -> None:
    assert ev.recall_at_k(RANKED, RELEVANT, 1) == pytest.approx(1 / 3)
    assert ev.recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert ev.recall_at_k(RANKED, set(), 5) == 0.0


def test_average_precision_at_k_averages_precision_at_each_hit() -> None:
    # Hits at ranks 1 and 3; three relevant, k = 5: (1/1 + 2/3) / min(5, 3).
    assert ev.average_precision_at_k(RANKED, RELEVANT, 5) == pytest.approx((1 + 2 / 3) / 3)
    # k = 2: one hit at rank 1, normalised by min(2, 3) = 2.
    assert ev.average_precision_at_k(RANKED, RELEVANT, 2) == pytest.approx(0.5)
    assert ev.average_precision_at_k(["a", "b"], {"a", "b"}, 2) == 1.0


def test_ndcg_discounts_hits_by_log_rank_against_a_perfect_list() -> None:
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ev.ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(dcg / ideal)
    assert ev.ndcg_at_k(["a", "b"], {"a", "b"}, 2) == pytest.approx(1.0)


def test_hit_rate_is_one_when_any_of_the_first_k_is_relevant() -> None:
    assert ev.hit_rate_at_k(["x", "a"], {"a"}, 1) == 0.0
    assert ev.hit_rate_at_k(["x", "a"], {"a"}, 2) == 1.0


def test_metrics_reject_a_k_that_is_not_a_positive_integer() -> None:
    for bad in (0, -1, True, 2.5):
        with pytest.raises(gm.InvalidInput):
            ev.precision_at_k(RANKED, RELEVANT, bad)  # type: ignore[arg-type]


def test_ndcg_agrees_with_scikit_learn_on_random_rankings() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        n, k = int(rng.integers(2, 30)), int(rng.integers(1, 12))
        items = [str(i) for i in range(n)]
        ranked = [str(i) for i in rng.permutation(n)[: int(rng.integers(1, n + 1))]]
        relevant = {str(i) for i in range(n) if rng.random() < 0.3} or {items[0]}
        truth = np.array([[1.0 if it in relevant else 0.0 for it in items]])
        # Ranked items score n, n-1, ...; the rest score below them all (never shown).
        score = np.array([[float(n - ranked.index(it)) if it in ranked else -1.0 for it in items]])
        unranked_relevant = relevant - set(ranked)
        if unranked_relevant and len(ranked) < k:
            continue  # sklearn would rank unshown items inside the cut-off; we never show them
        expected = ndcg_score(truth, score, k=k)
        assert ev.ndcg_at_k(ranked, relevant, k) == pytest.approx(expected)


# -- global pair metrics ---------------------------------------------------------------------
def test_roc_auc_counts_ties_as_one_half_by_hand() -> None:
    # Positives 0.8, 0.3; negatives 0.4, 0.8: win, tie, lose, lose -> 1.5 / 4.
    assert ev.roc_auc([1, 0, 1, 0], [0.8, 0.4, 0.3, 0.8]) == 0.375
    assert ev.roc_auc([0, 1], [0.0, 1.0]) == 1.0


def test_average_precision_steps_over_distinct_thresholds_by_hand() -> None:
    assert ev.average_precision([1, 0, 1], [0.9, 0.5, 0.4]) == pytest.approx(0.5 + 0.5 * 2 / 3)
    # One tied threshold holding everything: precision 2/4 at recall 1.
    assert ev.average_precision([1, 0, 1, 0], [1.0, 1.0, 1.0, 1.0]) == 0.5


@pytest.mark.parametrize("seed", range(30))
def test_roc_auc_and_average_precision_match_scikit_learn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    # Few distinct values so that ties are common, as with mutual-friend counts.
    s = rng.integers(0, int(rng.integers(1, 8)), n).astype(float) * rng.random()
    assert ev.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert ev.average_precision(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)


def test_pair_metrics_reject_one_class_and_mismatched_lengths() -> None:
    with pytest.raises(gm.InvalidInput):
        ev.roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(gm.InvalidInput):
        ev.average_precision([1, 0], [0.2])
    with pytest.raises(gm.InvalidInput):
        ev.roc_auc([1, 2], [0.2, 0.3])


def test_mean_interval_is_mean_plus_minus_1_96_standard_errors() -> None:
    x = np.array([0.0, 0.1, 0.5, 0.2, 0.9])
    iv = ev.mean_interval(x)
    half = 1.959963984540054 * x.std(ddof=1) / math.sqrt(len(x))
    assert (iv.mean, iv.low, iv.high, iv.n) == pytest.approx(
        (x.mean(), x.mean() - half, x.mean() + half, 5)
    )
    assert ev.mean_interval([0.3]).low == 0.3
    with pytest.raises(gm.InvalidInput):
        ev.mean_interval([])


# -- hold-out --------------------------------------------------------------------------------
def _graph(seed: int = 0) -> nx.Graph:
    g = nx.powerlaw_cluster_graph(300, 4, 0.3, seed=seed)
    g.add_edge(1000, 0)  # a person with one friend, who must keep it
    return nx.relabel_nodes(g, str)


def test_holdout_never_leaves_anyone_without_a_friend_and_never_touches_small_degrees() -> None:
    g = _graph()
    split = ev.holdout_split(g, 0.3, seed=5, min_degree=3)
    assert all(split.train.degree(p) >= 1 for p in g)
    assert "1000" not in split.hidden
    for p, lost in split.hidden.items():
        assert g.degree(p) >= 3
        assert len(lost) <= math.ceil(0.3 * g.degree(p))
        assert all(g.has_edge(p, q) and not split.train.has_edge(p, q) for q in lost)
    assert split.train.number_of_edges() + len(split.hidden_pairs) == g.number_of_edges()


def test_holdout_is_seeded_and_leaves_the_input_graph_alone() -> None:
    g = _graph()
    edges = g.number_of_edges()
    a, b = ev.holdout_split(g, 0.1, seed=1), ev.holdout_split(g, 0.1, seed=1)
    assert a.hidden_pairs == b.hidden_pairs
    assert ev.holdout_split(g, 0.1, seed=2).hidden_pairs != a.hidden_pairs
    assert g.number_of_edges() == edges
    assert 0.05 < len(a.hidden_pairs) / edges <= 0.11


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_holdout_rejects_fractions_outside_zero_one(bad: float) -> None:
    with pytest.raises(gm.InvalidInput):
        ev.holdout_split(_graph(), bad)


# -- ranking and evaluate --------------------------------------------------------------------
def test_cn_ra_ranks_by_the_matcher_order_rule_over_networkx_values() -> None:
    g = _graph(3)
    store = gm.MemoryStore(g)
    for person in ["0", "5", "77", "1000"]:
        cands = {v for w in g[person] for v in g[w]} - set(g[person]) - {person}
        ra = dict(
            ((v, r) for _, v, r in nx.resource_allocation_index(g, [(person, v) for v in cands]))
        )
        keys = sorted(
            order_key(
                v,
                len(list(nx.common_neighbors(g, person, v))) * ra[v],
                len(list(nx.common_neighbors(g, person, v))),
            )
            for v in cands
        )
        expected = [key[2] for key in keys[:10]]
        found = gm.Matcher(store, explain=0).suggest(person, limit=10, score="cn_ra")
        assert [s.person for s in found] == expected


def test_cn_ra_is_count_times_resource_allocation_and_zero_without_mutual_friends() -> None:
    assert score_from_stats("cn_ra", 3, 1.0, 0.5, 4, 4) == 1.5
    assert score_from_stats("cn_ra", 0, 0.0, 0.0, 4, 4) == 0.0
    with pytest.raises(gm.InvalidInput):
        score_from_stats("nope", 1, 1.0, 1.0, 1, 1)


@pytest.fixture(scope="module")
def facebook_result() -> ev.EvaluationResult:
    return ev.evaluate(FACEBOOK, k=10, seed=3, sample_people=150, max_pairs=2000, progress=False)


def test_every_score_beats_the_random_baseline_on_facebook(
    facebook_result: ev.EvaluationResult,
) -> None:
    res = facebook_result
    # cn_ra is one of the scores; the baseline comes last.
    assert list(res.scores) == [*dict.fromkeys([*gm.SCORES, "cn_ra"]), "random"]
    assert res.evaluated_people == 150 < res.eligible_people
    rand = res.scores["random"]
    for name in [*gm.SCORES, "cn_ra"]:
        s = res.scores[name]
        assert s.metrics["precision"].low > rand.metrics["precision"].high
        assert s.roc_auc > 0.9 > 0.6 > rand.roc_auc
    assert 0.4 < rand.roc_auc < 0.6


def test_evaluate_ranks_registered_scores_exactly_as_matcher_suggest(
    facebook_result: ev.EvaluationResult,
) -> None:
    # Recompute one person's precision from Matcher.suggest on the same split.
    full = nx.Graph(gm.read_edgelist(FACEBOOK)[0])
    split = ev.holdout_split(full, 0.1, seed=3)
    eligible = sorted(split.hidden)
    import random

    people = sorted(random.Random(3).sample(eligible, 150))
    m = gm.Matcher(gm.MemoryStore(split.train))
    got = facebook_result.scores["adamic_adar"].per_person["precision"]
    for i in (0, 75, 149):
        found = [s.person for s in m.suggest(people[i], limit=10, score="adamic_adar")]
        assert got[i] == ev.precision_at_k(found, split.hidden[people[i]], 10)


def test_results_serialise_to_json_and_a_table_with_every_score(
    facebook_result: ev.EvaluationResult,
) -> None:
    data = json.loads(json.dumps(facebook_result.as_dict()))
    assert set(data["scores"]) == {*gm.SCORES, "cn_ra", "random"}
    assert set(data["scores"]["jaccard"]["metrics"]) == set(ev.METRICS)
    table = facebook_result.table()
    assert all(name in table for name in data["scores"])
    diff = facebook_result.difference("cn_ra", "jaccard")
    assert diff.low <= diff.mean <= diff.high


def test_evaluate_is_deterministic_for_a_seed_and_accepts_int_ids() -> None:
    g = nx.connected_caveman_graph(10, 6)  # int ids become strings
    a = ev.evaluate(g, k=5, seed=4, scores=["jaccard"], progress=False)
    b = ev.evaluate(g, k=5, seed=4, scores=["jaccard"], progress=False)
    for name in a.scores:
        assert a.scores[name].metrics == b.scores[name].metrics
        assert (a.scores[name].roc_auc, a.scores[name].pr_auc) == (
            b.scores[name].roc_auc,
            b.scores[name].pr_auc,
        )
    assert list(a.scores) == ["jaccard", "random"]


def test_evaluate_rejects_unknown_scores_and_bad_parameters() -> None:
    g = _graph()
    with pytest.raises(gm.InvalidInput):
        ev.evaluate(g, scores=["pagerank"], progress=False)
    with pytest.raises(gm.InvalidInput):
        ev.evaluate(g, scores="jaccard", progress=False)
    with pytest.raises(gm.InvalidInput):
        ev.evaluate(g, k=0, progress=False)
    with pytest.raises(gm.InvalidInput):
        ev.evaluate(g, sample_people=0, progress=False)
    with pytest.raises(gm.InvalidInput):
        ev.evaluate(nx.path_graph(["a", "b"]), progress=False)


def test_evaluate_subcommand_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["evaluate", str(FACEBOOK), "--sample", "40", "--scores", "jaccard,cn_ra", "--json"]
    )
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["scores"]) == ["jaccard", "cn_ra", "random"]
    assert data["evaluated_people"] == 40


def test_pair_values_are_the_bits_of_every_ranking_path() -> None:
    from graphmatch.evaluation.run import _pair_value
    from tests.oracles.test_order_rule import summation_graph

    g = summation_graph()
    m = gm.Matcher(gm.MemoryStore(g, index="off"))
    rng = random.Random(0)
    for score in gm.SCORES:
        values = {_pair_value(g, score, "u", f"v{i}", rng).hex() for i in range(1, 7)}
        assert values == {m.score("u", "v1", score).hex()}
        assert {s.score.hex() for s in m.suggest("u", limit=6, score=score)} == values

"""graphmatch against networkx on the real ego-Facebook graph (the issue's acceptance sweep)."""

from __future__ import annotations

import functools
import math
import random

import networkx as nx
import pytest

import graphmatch as gm
from tests.support.oracle import nx_top, quantise

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["off", "sync"], ids=["plain", "indexed"])
def matcher(facebook_graph: nx.Graph, request: pytest.FixtureRequest) -> gm.Matcher:
    return gm.Matcher(gm.MemoryStore(facebook_graph.copy(), index=request.param))


@functools.cache
def _nx_top(G: nx.Graph, u: str, score: str, k: int) -> list[tuple[str, float, int]]:
    return nx_top(G, u, score, k)


def _assert_same(got: list[gm.Suggestion], want: list[tuple[str, float, int]]) -> None:
    assert [s.person for s in got] == [v for v, _, _ in want]
    for s, (_, score, count) in zip(got, want, strict=True):
        assert s.score == pytest.approx(score, abs=1e-9)
        assert s.mutual_count == count


def test_common_neighbors_top10_matches_networkx_for_every_person(
    matcher: gm.Matcher, facebook_graph: nx.Graph
) -> None:
    for u in facebook_graph:
        _assert_same(
            matcher.suggest(u, limit=10, score="common_neighbors"),
            _nx_top(facebook_graph, u, "common_neighbors", 10),
        )


@pytest.mark.parametrize("score", ["jaccard", "adamic_adar", "resource_allocation", "cn_ra"])
def test_weighted_top10_matches_networkx_on_300_people(
    matcher: gm.Matcher, facebook_graph: nx.Graph, score: str
) -> None:
    people = random.Random(score).sample(sorted(facebook_graph), 300)
    for u in people:
        _assert_same(
            matcher.suggest(u, limit=10, score=score), _nx_top(facebook_graph, u, score, 10)
        )


def test_mutual_friends_match_networkx_on_10000_random_pairs(
    matcher: gm.Matcher, facebook_graph: nx.Graph
) -> None:
    rng = random.Random(7)
    nodes = sorted(facebook_graph)
    checked = 0
    while checked < 10_000:
        a, b = rng.choice(nodes), rng.choice(nodes)
        if a == b:
            continue
        want = set(nx.common_neighbors(facebook_graph, a, b))
        got = matcher.mutual_friends(a, b)
        assert got.count == len(want)
        assert set(got.people) == want
        checked += 1


def test_mutual_friends_of_friends_in_a_dense_circle_are_many(
    matcher: gm.Matcher, facebook_graph: nx.Graph
) -> None:
    # The product's story: somebody really does share dozens of friends with a stranger.
    best = matcher.suggest("0", limit=1)[0]
    assert best.mutual_count == len(list(nx.common_neighbors(facebook_graph, "0", best.person)))
    assert not facebook_graph.has_edge("0", best.person)


@pytest.mark.parametrize("score", gm.SCORES)
def test_degree_cap_matches_networkx_on_the_capped_mutual_set(
    matcher: gm.Matcher, facebook_graph: nx.Graph, score: str
) -> None:
    cap = 60
    G = facebook_graph
    for u in random.Random(11).sample(sorted(G), 40):
        got = matcher.suggest(u, limit=10, score=score, max_degree=cap)
        expected = []
        near = set(G[u])
        cands = {v for w in near if G.degree(w) <= cap for v in G[w]} - near - {u}
        for v in cands:
            common = [w for w in nx.common_neighbors(G, u, v) if G.degree(w) <= cap]
            value = {
                "common_neighbors": float(len(common)),
                # DESIGN/scores.py: with a cap, |M| counts capped friends over true degrees.
                "jaccard": len(common) / (G.degree(u) + G.degree(v) - len(common)),
                "adamic_adar": sum(1 / math.log(G.degree(w)) for w in common),
                "resource_allocation": sum(1 / G.degree(w) for w in common),
                "cn_ra": len(common) * sum(1 / G.degree(w) for w in common),
            }[score]
            expected.append((v, value, len(common)))
        expected.sort(key=lambda t: (-quantise(t[1]), -t[2], t[0]))
        _assert_same(got, expected[:10])

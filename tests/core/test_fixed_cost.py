"""The latency paths around the kernel: preallocated outputs, the inlined read, the fast checks.

``Matcher.suggest`` checks the common call in one expression and ``LiveIndex.top`` keeps the
kernel's outputs per thread (``kernels.suggest_into``) and tries once without ``read()``.
These tests hold those shortcuts to the answers of the general paths: the same suggestions as
the plain path for every score, limit and explain in any order on one thread (so the kept
buffers regrow and are reused), the same errors for every argument the fast check lets
through to the slow one, and positions that report the first unknown id.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

import graphmatch as gm
from graphmatch.index import kernels


def _graph(seed: int) -> nx.Graph:
    rng = random.Random(seed)
    G = nx.gnm_random_graph(60, 240, seed=seed)
    G = nx.relabel_nodes(G, {v: f"p{v:02d}" for v in G})
    for v in rng.sample(sorted(G), 5):
        G.nodes[v]["discoverable"] = False
    for v in rng.sample(sorted(G), 5):
        G.nodes[v]["show_as_mutual"] = False
    return G


def _rows(found: list[gm.Suggestion]) -> list[tuple[str, int, list[str]]]:
    return [(s.person, s.mutual_count, s.mutual) for s in found]


@pytest.mark.parametrize("seed", [0, 1])
def test_suggest_on_the_fast_path_equals_the_plain_path_in_any_call_order(seed: int) -> None:
    G = _graph(seed)
    store = gm.MemoryStore(G, index="sync")
    store.build_index()
    store.block("p01", "p02")
    store.block("p03", "p01")
    store.dismiss("p01", "p04")
    fast, plain = gm.Matcher(store), gm.Matcher(store, push_down=False)
    rng = random.Random(seed)
    people = sorted(G)
    # Growing and shrinking limits and explains on one thread: the kept outputs regrow.
    calls = [(1, None), (10, None), (1000, 0), (3, 7), (50, 100), (10, None), (2, 1)]
    calls += [(rng.randint(1, 60), rng.choice([None, 0, 1, 3, 12])) for _ in range(20)]
    for limit, explain in calls:
        for score in gm.SCORES:
            for u in ["p01", *rng.sample(people, 4)]:
                got = fast.suggest(u, limit, score, explain=explain)
                want = plain.suggest(u, limit, score, explain=explain)
                assert _rows(got) == _rows(want), (u, limit, score, explain)
                assert [s.score for s in got] == pytest.approx([s.score for s in want])
    assert store._index is not None  # the compiled path answered, not a fallback


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 0}, gm.InvalidInput),
        ({"limit": 1001}, gm.InvalidInput),
        ({"limit": True}, gm.InvalidInput),
        ({"limit": 2.0}, gm.InvalidInput),
        ({"score": "nosuch"}, gm.InvalidInput),
        ({"score": ["cn_ra"]}, gm.InvalidInput),  # unhashable: no TypeError from a set probe
        ({"explain": -1}, gm.InvalidInput),
        ({"max_degree": 0}, gm.InvalidInput),
    ],
)
def test_the_fast_check_lets_every_bad_argument_reach_its_error(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="sync")
    store.build_index()
    with pytest.raises(error):
        gm.Matcher(store).suggest("a", **kwargs)  # type: ignore[arg-type]


def test_an_unknown_person_is_not_found_on_the_fast_path() -> None:
    store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="sync")
    store.build_index()
    m = gm.Matcher(store)
    for who in ["nobody", 7, None]:
        with pytest.raises(gm.PersonNotFound):
            m.suggest(who)  # type: ignore[arg-type]
    assert [s.person for s in m.suggest("a")] == ["b"]


def test_the_journaled_store_takes_the_latency_path_with_the_same_answers(tmp_path: Path) -> None:
    store = gm.JournaledStore(gm.MemoryStore(index="sync"), tmp_path, fsync=False)
    try:
        store.add_friendships(_graph(3).edges)
        store.build_index()
        assert isinstance(store, gm.BuildsSuggestions)
        calls: list[str] = []
        inner = store.inner.top_candidates_as

        def counted(person_id: str, *args: Any) -> Any:
            calls.append(person_id)
            return inner(person_id, *args)

        store.inner.top_candidates_as = counted  # type: ignore[method-assign]
        fast, plain = gm.Matcher(store), gm.Matcher(store, push_down=False)
        for who in sorted(store.inner.graph)[:10]:
            assert _rows(fast.suggest(who, score="adamic_adar")) == _rows(
                plain.suggest(who, score="adamic_adar")
            )
        assert len(calls) == 10
        with pytest.raises(gm.PersonNotFound):
            fast.suggest("nobody")
    finally:
        store.close()


def test_suggest_into_writes_what_suggest_returns_and_never_past_its_buffers() -> None:
    G = _graph(3)
    ix = gm.MemoryStore(G, index="sync").build_index()
    start, deg, indices = ix.rows()
    n = deg.shape[0]
    none = np.empty(0, np.int64)
    for u in range(len(ix.ids)):
        for code in kernels.SCORE_CODES.values():
            for k, explain in [(10, 3), (1, 0), (40, 5)]:
                scratch = (np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64))
                args = (start, deg, indices, kernels.ORDERED, ix.banned, ix.hidden, none, u,
                        2**62, code, k, explain, *scratch)  # fmt: skip
                rows, scores = kernels.suggest(*args)
                w = 2 + explain
                # A guard slot past the end of each buffer must stay untouched.
                out = np.full(k * w + 1, -7, np.int64)
                out_scores = np.full(k + 1, -7.0)
                m = kernels.suggest_into(*args, out[:-1], out_scores[:-1])
                assert m == rows.shape[0]
                assert out[: m * w].reshape(m, w).tolist() == rows.tolist()
                assert out_scores[:m].tolist() == scores.tolist()
                assert out[-1] == -7 and out_scores[-1] == -7.0
                # Buffers too small for k: k is cut to what fits, the best rows first.
                small = np.full(w + 1, -7, np.int64)
                small_scores = np.full(2, -7.0)
                m1 = kernels.suggest_into(*args, small[:-1], small_scores[:-1])
                assert m1 == min(1, rows.shape[0])
                assert small[:w].tolist()[: 2 * m1] == rows[:m1, :2].ravel().tolist()
                assert small[-1] == -7 and small_scores[-1] == -7.0


def test_positions_of_many_ids_and_the_first_unknown_one() -> None:
    ix = gm.MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="sync").build_index()
    assert ix.positions(["c", "a", "b", "a"]).tolist() == [2, 0, 1, 0]
    assert ix.positions(iter(["b"])).tolist() == [1]
    assert ix.positions([]).tolist() == []
    with pytest.raises(gm.PersonNotFound, match="zz"):
        ix.positions(["a", "zz", "yy"])
    with pytest.raises(gm.PersonNotFound):
        ix.positions(["a", ["b"]])  # type: ignore[list-item]
    assert ix.mutual_counts([("a", "c"), ("a", "b")]).tolist() == [1, 0]


def test_one_pair_through_the_store_takes_the_scalar_path_and_keeps_the_errors() -> None:
    store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b"), ("a", "b")]), index="sync")
    store.build_index()
    assert store.mutual_counts([("a", "b")]) == [1]
    assert store.mutual_counts(iter([("a", "w")])) == [1]
    assert gm.Matcher(store).mutual_counts([("w", "b")]) == [1]
    with pytest.raises(gm.PersonNotFound):
        store.mutual_counts([("a", "nobody")])
    with pytest.raises(gm.PersonNotFound):
        store.mutual_counts([("a", ["b"])])  # type: ignore[list-item]
    with pytest.raises(gm.InvalidInput):
        store.mutual_counts([("a",)])  # type: ignore[list-item]


def test_suggestions_built_by_the_index_equal_those_built_from_its_rows() -> None:
    store = gm.MemoryStore(_graph(4), index="sync")
    ix = store.build_index()
    store.block("p05", "p06")
    for u in sorted(store.graph)[:20]:
        for explain in (0, 3, 9):
            rows = ix.top(u, "cn_ra", 10, None, store._excluded_now, explain)
            built = ix.top(u, "cn_ra", 10, None, store._excluded_now, explain, gm.Suggestion)
            assert rows is not None and built is not None
            assert built == [gm.Suggestion(*r) for r in rows]
            assert all(type(s) is gm.Suggestion for s in built)
            # Each suggestion owns its list of named friends.
            assert len({id(s.mutual) for s in built}) == len(built)


def test_mutual_counts_looked_up_before_a_write_recount_and_see_a_removal() -> None:
    store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b"), ("b", "x"), ("x", "a")]), index="sync")
    ix = store.build_index()
    wanted = [("a", "b"), ("w", "x")]
    before = ix.version
    flat = ix.positions(["a", "b", "w", "x"])
    store.add_person("c")
    store.add_friendship("a", "c")
    store.add_friendship("c", "b")
    # A write since the lookup, nobody removed: the positions stand, the count is new.
    assert ix.read(lambda: ix._counts_present(wanted, flat, before)).tolist() == [3, 2]
    store.remove_person("w")
    with pytest.raises(gm.PersonNotFound, match="w"):
        ix.read(lambda: ix._counts_present(wanted, flat, before))
    assert ix.mutual_counts([("a", "b"), ("c", "x")]).tolist() == [2, 2]

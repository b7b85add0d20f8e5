"""Bulk ingest into a live store: networkx's graph and a from-scratch index are the oracles.

``MemoryStore.add_friendships`` with the index on plans each step's rows in numpy and merges
them in one compiled pass (``LiveIndex.plan`` / ``apply``), validating only newcomers' ids.
Each test compares the graph with what ``networkx.Graph.add_edges_from`` makes of the same
batch, the count returned with the edges networkx gained, and ``index.freeze()`` with an index
built from scratch from the graph.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphmatch as gm
from graphmatch.index import live as live_module
from graphmatch.index import live_kernels
from graphmatch.index.csr import CSRIndex
from tests.support.race import torn_reads


@pytest.fixture
def tiny_steps() -> Iterator[None]:
    """Steps of a few friendships and no spare tail: many steps, moves and repacks mid-batch."""
    saved = (live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX)
    spare = live_module.MIN_SPARE
    live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = 3, 2, 5
    live_module.MIN_SPARE = 0
    try:
        yield
    finally:
        live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = saved
        live_module.MIN_SPARE = spare


def _index_is_the_graph(store: gm.MemoryStore) -> None:
    """Assert the live index, frozen, equals an index built from scratch from the graph."""
    index = store.fresh_index()
    assert index is not None and not index.broken and index.version % 2 == 0
    got = index.freeze()
    want = CSRIndex(store.graph._adj, 0)
    assert got.ids == want.ids
    assert got.indptr.tolist() == want.indptr.tolist()
    assert got.indices.tolist() == want.indices.tolist()
    present = [index.pos[p] for p in want.ids]
    assert index.rank[present].tolist() == list(range(len(present)))


def _store(edges: list[tuple[str, str]], people: list[str]) -> gm.MemoryStore:
    G = nx.Graph()
    G.add_nodes_from(people)
    G.add_edges_from(edges)
    store = gm.MemoryStore(G, index="off")
    store.build_index()
    return store


def _check(store: gm.MemoryStore, batch: list[tuple[str, str]], live: bool = True) -> None:
    """Ingest batch into store and into a copy by networkx; compare graph, count and index."""
    want = store.graph.copy()
    before = want.number_of_edges()
    want.add_edges_from(batch)
    got = store.add_friendships(batch)
    assert got == want.number_of_edges() - before
    assert nx.utils.graphs_equal(store.graph, want)
    assert list(store.graph) == list(want)  # newcomers in networkx's order too
    for u, v in store.graph.edges():
        assert store.graph._adj[u][v] is store.graph._adj[v][u]  # one edge dict, both sides
    if live:
        _index_is_the_graph(store)
    else:
        assert store.fresh_index() is None


@pytest.mark.parametrize("live", [True, False])
def test_newcomers_repeats_present_and_reversed_pairs(live: bool, tiny_steps: None) -> None:
    """One batch with every case: networkx's graph, the count, the index from scratch."""
    store = _store([("a", "b"), ("b", "c"), ("c", "d")], ["a", "b", "c", "d", "z"])
    if not live:
        store = gm.MemoryStore(store.graph, index="off")
    batch = [
        ("a", "b"),  # present
        ("b", "a"),  # present, reversed
        ("a", "c"),  # new
        ("c", "a"),  # new, then reversed in the same batch
        ("a", "c"),  # repeated
        ("new2", "a"),  # a newcomer sorting after everyone
        ("0new", "new2"),  # a newcomer sorting before everyone, with another
        ("z", "d"),  # an isolated person
        ("b", "0new"),
        ("new2", "0new"),  # repeated, reversed, between newcomers
    ]
    _check(store, batch, live)
    assert store.friends("a") == ["b", "c", "new2"]
    if live:
        assert store.fresh_index() is not None
        assert store.mutual_count("a", "0new") == 2  # b and new2, on the compiled path


@pytest.mark.parametrize(
    "bad",
    [("x", "x"), ("ok", "a/b"), ("ok", ""), ("ok", 5), ("ok",), "abc", 7, ("ok", ["l"])],
)
def test_a_bad_item_late_in_the_batch_writes_nothing(bad: object, tiny_steps: None) -> None:
    """A bad pair after good ones (newcomers among them): InvalidInput, the store unchanged."""
    store = _store([("a", "b")], ["a", "b", "c"])
    index = store.fresh_index()
    assert index is not None
    version = index.version
    snapshot = store.graph.copy()
    good = [("a", "c"), ("new", "a"), ("b", "c")] * 5
    with pytest.raises(gm.InvalidInput):
        store.add_friendships([*good, bad])  # type: ignore[list-item]
    assert nx.utils.graphs_equal(store.graph, snapshot)
    assert index.version == version  # not one step taken
    _index_is_the_graph(store)


def test_present_ids_are_not_checked_again() -> None:
    """An id a wrapped graph already holds may be befriended (as add_friendship allows)."""
    store = _store([("odd/id", "b")], ["c"])
    assert store.add_friendships([("odd/id", "c"), ("c", "b")]) == 2
    _index_is_the_graph(store)


names = st.sampled_from([f"p{i:02d}" for i in range(30)])
pair_lists = st.lists(st.tuples(names, names).filter(lambda t: t[0] != t[1]), max_size=60)


@settings(max_examples=60, deadline=None)
@given(start=pair_lists, batch=pair_lists, people=st.lists(names, max_size=10))
def test_random_batches_match_networkx(
    start: list[tuple[str, str]], batch: list[tuple[str, str]], people: list[str]
) -> None:
    """Random graphs and batches, small and big steps: always networkx's graph and index."""
    for steps in ((3, 2, 5), (1024, 128, 16384)):
        saved = (live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX)
        spare = live_module.MIN_SPARE
        live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = steps
        live_module.MIN_SPARE = 0
        try:
            _check(_store(start, people), batch)
        finally:
            live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = saved
            live_module.MIN_SPARE = spare


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.sets(st.integers(0, 11), max_size=8), min_size=12, max_size=12),
    adds=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40),
    spare=st.integers(0, 64),
)
def test_add_sorted_merges_like_sets(
    rows: list[set[int]], adds: list[tuple[int, int]], spare: int
) -> None:
    """The compiled merge against Python sets: rows in place, moved, or stopped for a repack."""
    n = len(rows)
    deg = np.array([len(r) for r in rows], np.int64)
    room = deg + np.array([i % 3 for i in range(n)], np.int64)  # some full, some with room
    start = np.concatenate(([0], np.cumsum(room)[:-1])).astype(np.int64)
    indices = np.full(int(room.sum()) + spare, -1, np.int32)
    for p, r in enumerate(rows):
        indices[start[p] : start[p] + deg[p]] = sorted(r)
    meta = np.array([int(room.sum()), 0], np.int64)
    keys = sorted({(a, b) for a, b in adds if a != b} | {(b, a) for a, b in adds if a != b})
    src = np.array([k[0] for k in keys], np.int64)
    dst = np.array([k[1] for k in keys], np.int64)
    want = [set(r) for r in rows]
    for a, b in keys:
        want[a].add(b)
    stop, added = live_kernels.add_sorted(start, deg, room, indices, meta, src, dst, 0)
    # Rows before the stop are merged, the rest untouched; a stop is for want of tail room.
    done = {int(p) for p in src[:stop]}
    for p in range(n):
        row = indices[start[p] : start[p] + deg[p]].tolist()
        assert row == sorted(want[p] if p in done else rows[p])
        assert deg[p] <= room[p]
    assert added == sum(len(want[p]) - len(rows[p]) for p in done)
    assert meta[0] <= indices.shape[0]
    if stop < len(keys):
        p = int(src[stop])
        need = max(live_kernels.MIN_ROOM, 2 * int(room[p]), len(want[p]))
        assert meta[0] + need > indices.shape[0]


@settings(max_examples=60, deadline=None)
@given(
    src=st.lists(st.integers(0, 5), max_size=30),
    deg=st.lists(st.integers(0, 6), min_size=6, max_size=6),
    extra=st.lists(st.integers(0, 3), min_size=6, max_size=6),
)
def test_tail_bound_is_the_python_sum(src: list[int], deg: list[int], extra: list[int]) -> None:
    """The bound a repack reserves, against the rule written out in Python."""
    d = np.array(deg, np.int64)
    room = d + np.array(extra, np.int64)
    want = 0
    for p in sorted(set(src)):
        final = deg[p] + src.count(p)
        if final > room[p]:
            want += max(live_kernels.MIN_ROOM, 2 * int(room[p]), final)
    got = live_kernels.tail_bound(np.array(sorted(src), np.int64), d, room)
    assert got == want


def test_someone_removed_between_steps_comes_back(tiny_steps: None) -> None:
    """A person removed between two steps of a bulk add is created again, as networkx would."""
    store = _store([("a", "b")], ["a", "b", "c", "d"])
    index = store.fresh_index()
    assert index is not None
    calls = [0]
    plain = index.yield_to_readers

    def remove_d_once() -> None:
        calls[0] += 1
        if calls[0] == 2:
            store.remove_person("d")  # another writer, between two steps
        plain()

    index.yield_to_readers = remove_d_once  # type: ignore[method-assign]
    batch = [("a", "c"), ("b", "c"), ("a", "e"), ("c", "d"), ("d", "a"), ("b", "d")] * 2
    assert store.add_friendships(batch) == 6
    want = nx.Graph([("a", "b"), *batch])
    assert nx.utils.graphs_equal(store.graph, want)
    _index_is_the_graph(store)


def test_readers_never_see_half_a_bulk_write(tiny_steps: None) -> None:
    """Bulk adds in many steps (with removals between) while readers check every row.

    Inside ``read`` every friendship must be on both sides and every row sorted.
    """
    people = [str(i) for i in range(50)]
    store = _store([], people)
    ix = store.fresh_index()
    assert ix is not None

    def writer(stop: threading.Event) -> None:
        rng = random.Random(7)
        i = 0
        while not stop.is_set() or i < 30:
            i += 1
            batch = [tuple(rng.sample(people, 2)) for _ in range(rng.randrange(1, 40))]
            store.add_friendships(batch)  # type: ignore[arg-type]
            for a, b in rng.sample(sorted(store.graph.edges()), 5):
                store.remove_friendship(a, b)
            if i % 10 == 5:
                with ix.lock, ix.writing():
                    ix.compact()

    assert torn_reads(ix, people, writer, reads=300) == 0
    assert ix.repacks > 1
    _index_is_the_graph(store)


def test_people_coming_and_going_reuse_positions() -> None:
    """Removed people's positions go to newcomers: the arrays stop growing under churn."""
    store = _store([("a", "b"), ("b", "c")], ["a", "b", "c"])
    index = store.fresh_index()
    assert index is not None
    rng = random.Random(3)
    for i in range(200):
        store.add_friendships([(f"x{i}", "a"), (f"y{i}", f"x{i}"), ("b", f"y{i}")])
        store.remove_person(f"x{i}")
        store.remove_person(f"y{i}")
        if rng.random() < 0.2:
            _index_is_the_graph(store)
    assert index.stats()["positions"] <= 5  # the three, plus the two a step holds at once
    _index_is_the_graph(store)
    assert store.mutual_count("a", "c") == 1


def test_every_change_lands_inside_a_version_step(tiny_steps: None) -> None:
    """Graph and index change only while the version is odd; planning and repacks outside.

    A lock-free reader keeps an answer only if the version was even and unchanged around it,
    so a change made outside a step could be read half-done; a repack inside one would stall
    every reader for its length.
    """
    store = _store([("a", "b"), ("b", "c")], ["a", "b", "c", "d"])
    index = store.fresh_index()
    assert index is not None
    seen: dict[str, set[int]] = {}

    def spy(obj: object, name: str) -> None:
        real = getattr(obj, name)

        def wrapped(*args: object, **kwargs: object) -> object:
            seen.setdefault(name, set()).add(index.version % 2)
            return real(*args, **kwargs)

        setattr(obj, name, wrapped)

    for name in ("apply", "add_people", "plan", "reserve_plan"):
        spy(index, name)
    for name in ("add_edges_from", "add_nodes_from"):
        spy(store.graph, name)
    batch = [(f"n{i % 7}", "abcd"[i % 4]) for i in range(40)] + [("a", "c"), ("c", "d")] * 5
    store.add_friendships(batch)
    assert seen["apply"] == seen["add_people"] == {1}
    assert seen["add_edges_from"] == seen["add_nodes_from"] == {1}
    assert seen["plan"] == seen["reserve_plan"] == {0}
    _index_is_the_graph(store)

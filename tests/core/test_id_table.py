"""Batched mutual counts from string ids through the id table, against networkx.

The table (:mod:`graphmatch.index.idtable`) answers ids to positions for batches; these tests
check it against a dict on unicode ids of every length around its 7-byte short-id boundary,
and ``MemoryStore.mutual_counts`` against ``nx.common_neighbors`` while people and
friendships come and go between batches (newcomers missing from the table, removed people
forgotten, their positions reused), with the batch threshold lowered so every batch takes the
table path.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import graphmatch as gm
from graphmatch._validation import id_problem
from graphmatch.index import live as live_module
from graphmatch.index.idtable import IdTable, encode_ids

#: Ids under the id rule, any script, around the 7-byte boundary of the short hash.
rule_ids = st.text(min_size=1, max_size=12).filter(lambda s: id_problem(s) is None)


@pytest.fixture(autouse=True)
def _every_batch_uses_the_table() -> Iterator[None]:
    saved = live_module.TABLE_MIN, live_module.TABLE_SLACK
    live_module.TABLE_MIN, live_module.TABLE_SLACK = 1, 3
    yield
    live_module.TABLE_MIN, live_module.TABLE_SLACK = saved


def _copy(person_id: str) -> str:
    """Return an equal str that is another object (one character ones are shared)."""
    return (person_id + "-")[:-1]


def _want(G: nx.Graph, pairs: list[tuple[str, str]]) -> list[int]:
    return [len(list(nx.common_neighbors(G, a, b))) if a != b else G.degree(a) for a, b in pairs]


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(st.text(min_size=0, max_size=12), unique=True, max_size=60),
    others=st.lists(st.text(max_size=12), max_size=20),
    data=st.data(),
)
def test_table_lookups_match_a_dict(ids: list[str], others: list[str], data: st.DataObject) -> None:
    """Any str (surrogates and NULs too): a hit is the dict's position, else -1."""
    where = np.arange(len(ids), dtype=np.int64)[::-1].copy()
    table = IdTable(ids, where)
    truth = {p: int(w) for p, w in zip(ids, where, strict=True) if "\x00" not in p}
    asked = [p for p in others + ids if "\x00" not in p]
    if asked:
        assert table.lookup(asked).tolist() == [truth.get(p, -1) for p in asked]
    gone = data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    for p in gone:
        assert table.forget(p) == (p in truth)
        truth.pop(p, None)
    if asked:
        assert table.lookup(asked).tolist() == [truth.get(p, -1) for p in asked]


def test_a_nul_or_a_non_str_is_not_looked_up() -> None:
    table = IdTable(["a", "b\x00c"], np.array([0, 1]))
    assert table.lookup(["a", "b"]).tolist() == [0, -1]
    assert encode_ids(["b\x00c"]) is None
    with pytest.raises(ValueError):
        table.lookup(["b\x00c"])
    with pytest.raises(TypeError):
        table.lookup(["a", 1])  # type: ignore[list-item]


def test_many_ids_parallel_and_serial_agree() -> None:
    ids = [f"person-{i}-é" if i % 3 else str(i) for i in range(50_000)]
    rng = np.random.default_rng(2)
    where = rng.permutation(len(ids))
    table = IdTable(ids, where)
    asked = [ids[i] for i in rng.integers(0, len(ids), 40_000).tolist()] + ["nobody"]
    enc = encode_ids(asked)
    assert enc is not None
    truth = dict(zip(ids, where.tolist(), strict=True))
    want = [truth.get(p, -1) for p in asked]
    assert table.find(*enc).tolist() == want
    from graphmatch.index import kernels

    with kernels.PARALLEL:
        assert table.find(*enc, parallel=True).tolist() == want


class StringIdsMachine(RuleBasedStateMachine):
    """A store with its index on; batches of string ids checked against networkx."""

    @initialize(people=st.lists(rule_ids, min_size=2, max_size=12, unique=True), data=st.data())
    def start(self, people: list[str], data: st.DataObject) -> None:
        G = nx.Graph()
        G.add_nodes_from(people)
        for _ in range(data.draw(st.integers(0, 20))):
            a, b = data.draw(st.lists(st.sampled_from(people), min_size=2, max_size=2))
            if a != b:
                G.add_edge(a, b)
        self.store = gm.MemoryStore(G, index="sync")
        self.index = self.store.build_index()
        self.gone: list[str] = []

    def _people(self) -> list[str]:
        return sorted(self.store.graph)

    @rule(p=rule_ids)
    def add_person(self, p: str) -> None:
        self.store.add_person(p)  # a newcomer: not in the table, may reuse a position

    @rule(data=st.data())
    def remove_person(self, data: st.DataObject) -> None:
        people = self._people()
        if len(people) > 2:
            p = data.draw(st.sampled_from(people))
            self.store.remove_person(p)
            self.gone.append(p)

    @rule(data=st.data())
    def readd_removed(self, data: st.DataObject) -> None:
        back = [p for p in self.gone if not self.store.exists(p)]
        if back:
            self.store.add_person(data.draw(st.sampled_from(back)))

    @rule(data=st.data())
    def befriend(self, data: st.DataObject) -> None:
        a, b = data.draw(st.lists(st.sampled_from(self._people()), min_size=2, max_size=2))
        if a != b:
            self.store.add_friendship(a, b)

    @rule(data=st.data())
    def unfriend(self, data: st.DataObject) -> None:
        edges = sorted(self.store.graph.edges())
        if edges:
            self.store.remove_friendship(*data.draw(st.sampled_from(edges)))

    @rule(data=st.data())
    def counts(self, data: st.DataObject) -> None:
        people = self._people()
        pair = st.tuples(st.sampled_from(people), st.sampled_from(people))
        pairs = data.draw(st.lists(pair, min_size=2, max_size=20))  # one pair: scalar path
        # Ids that are the store's own objects are found by address; equal copies (ids
        # parsed from a request) by their bytes: some copied, or all.
        copy = data.draw(st.sampled_from(["none", "some", "all"]))
        if copy != "none":
            pairs = [
                (_copy(a), b) if copy == "all" or i % 2 else (a, b)
                for i, (a, b) in enumerate(pairs)
            ]
            pairs = [(a, _copy(b)) if copy == "all" else (a, b) for a, b in pairs]
        G = self.store.graph
        assert self.store.mutual_counts(pairs) == _want(G, pairs)
        assert self.store.fresh_index() is self.index
        assert self.index._table is not None  # the batch took the table path

    @rule(data=st.data())
    def unknown(self, data: st.DataObject) -> None:
        people = self._people()
        missing = [p for p in self.gone if not self.store.exists(p)] or ["nobody-\u00e9"]
        ghost = data.draw(st.sampled_from(missing))
        if ghost in self.store.graph:
            return
        ghost = data.draw(st.sampled_from([ghost, _copy(ghost)]))
        pairs = [(people[0], people[1]), (people[1], ghost), (ghost, people[0])]
        with pytest.raises(gm.PersonNotFound) as caught:
            self.store.mutual_counts(pairs)
        assert caught.value.person_id == ghost

    @invariant()
    def table_is_exact(self) -> None:
        table = getattr(getattr(self, "index", None), "_table", None)
        if table is None:
            return
        ids = [p for p in self.index.ids if p is not None] + self.gone
        got = table.lookup(ids).tolist()
        for p, w in zip(ids, got, strict=True):
            # A hit is the person's position now; a miss is a newcomer or someone gone.
            assert w == -1 or self.index.pos.get(p) == w


TestStringIds = StringIdsMachine.TestCase
TestStringIds.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_a_removal_between_lookup_and_count_is_looked_up_again() -> None:
    """The position a removed person leaves is reused: the count must not be the newcomer's."""
    G = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    store = gm.MemoryStore(G, index="sync")
    ix = store.build_index()
    batch = [("a", "d"), ("b", "d")]
    removals = ix.removals
    flat = ix._find(batch)
    store.remove_person("d")
    store.add_friendships([("new", "a"), ("new", "b"), ("new", "c")])
    assert ix.pos["new"] == flat[1]  # d's position went to the newcomer
    with pytest.raises(gm.PersonNotFound) as caught:
        ix.read(lambda: ix._counts_present(batch, flat, removals))
    assert caught.value.person_id == "d"
    assert store.mutual_counts([("a", "new"), ("b", "new")]) == [2, 2]


def test_the_table_is_built_again_after_many_newcomers() -> None:
    G = nx.Graph([("a", "b"), ("b", "c")])
    store = gm.MemoryStore(G, index="sync")
    ix = store.build_index()
    assert store.mutual_counts([("a", "c")] * 2) == [1, 1]
    first = ix._table
    assert first is not None and first.size == 3
    store.add_friendships([(f"n{i}", "b") for i in range(5)])  # over TABLE_SLACK (3)
    assert store.mutual_counts([("n0", "n4"), ("a", "n1")]) == [1, 1]
    assert ix._table is not first and ix._table is not None and ix._table.size == 8


def test_large_batches_match_networkx_on_unicode_ids() -> None:
    """Over two parallel chunks of ids, with non-ASCII ids of every length, after churn."""
    live_module.TABLE_MIN = 256
    rng = np.random.default_rng(7)
    names = [("ü" * (i % 5)) + str(i) + ("日本" if i % 7 == 0 else "") for i in range(3000)]
    G = nx.Graph()
    G.add_nodes_from(names)
    ends = rng.integers(0, len(names), (12_000, 2)).tolist()
    G.add_edges_from((names[a], names[b]) for a, b in ends if a != b)
    store = gm.MemoryStore(G, index="sync")
    store.build_index()
    picks = rng.integers(0, len(names), (20_000, 2)).tolist()
    pairs = [(names[a], names[b]) for a, b in picks]
    assert store.mutual_counts(pairs) == _want(G, pairs)
    copies = [(_copy(a), _copy(b)) for a, b in pairs]  # the sample says: by bytes
    assert store.mutual_counts(copies) == _want(G, pairs)
    for p in names[:50]:
        store.remove_person(p)
    store.add_friendships([(f"neu-{i}", names[100 + i]) for i in range(50)])
    store.add_friendships([(f"neu-{i}", names[200 + i]) for i in range(50)])
    people = sorted(G)
    pairs = [(people[a % len(people)], people[b % len(people)]) for a, b in picks]
    assert store.mutual_counts(pairs) == _want(G, pairs)


def test_bad_batches_keep_the_errors_of_the_dict_path() -> None:
    store = gm.MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="sync")
    store.build_index()
    with pytest.raises(gm.InvalidInput):
        store.mutual_counts([("a", "c"), ("a", "b", "c")])  # type: ignore[list-item]
    with pytest.raises(gm.PersonNotFound) as caught:
        store.mutual_counts([("a", "c"), ("a", 7)])  # type: ignore[list-item]
    assert caught.value.person_id == 7
    with pytest.raises(gm.PersonNotFound) as caught:
        store.mutual_counts([("a", "c"), ("a\x00b", "c")])
    assert caught.value.person_id == "a\x00b"
    assert store.mutual_counts([("a", "c"), ("c", "a")]) == [1, 1]


def test_batches_racing_removals_and_reused_positions() -> None:
    """A writer removes x and lets a newcomer with other friends take x's position, then puts
    x back: every batch a reader counts meanwhile is x's count then, or names x unknown."""
    import threading

    live_module.TABLE_MIN = 2
    hub = [f"h{i}" for i in range(6)]
    G = nx.Graph([("x", h) for h in hub] + [("y", h) for h in hub])
    G.add_edges_from(("z", f"o{i}") for i in range(4))  # z's friends: none of x's
    store = gm.MemoryStore(G, index="sync")
    store.build_index()
    stop = threading.Event()
    bad: list[object] = []
    seen: set[int] = set()

    def writer() -> None:
        while not stop.is_set():
            store.remove_person("x")
            store.add_friendships([("new", f"o{i}") for i in range(4)])  # x's position
            stop.wait(0.0005)
            store.remove_person("new")
            store.add_friendships([("x", h) for h in hub])
            stop.wait(0.0005)  # x present a while, so batches find x too

    def reader() -> None:
        for _ in range(300):
            try:
                got = store.mutual_counts([("x", "y"), ("y", "x"), ("z", "x")])
            except gm.PersonNotFound as e:
                if e.person_id != "x":
                    bad.append(e)
                continue
            # x is back with some of its friendships so far; the newcomer would give z 4.
            if got[0] != got[1] or got[2] != 0:
                bad.append(got)
            seen.add(got[0])

    w = threading.Thread(target=writer)
    readers = [threading.Thread(target=reader) for _ in range(2)]
    w.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    w.join()
    assert bad == []
    assert seen  # some batches found x

"""The live index under every write: a stateful property test against networkx, and torn reads.

The state machine drives one store with the index on through random interleavings of every
write (people and friendships added and removed, one at a time and in bulk, blocks, consent
flags), forced repacks, full rebuilds and reads. Each read is checked against the plain path
(``Matcher(store, push_down=False)``: networkx and the store's sets) and networkx itself on the
graph as it is then, and the index is checked to have answered on the compiled path. After every
step, the index, frozen, must equal an index built from scratch from the graph: a write the
index missed, or took half, fails there if no read caught it first.
"""

from __future__ import annotations

import random
import threading

import networkx as nx
import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import graphmatch as gm
from graphmatch.index import live as live_module
from graphmatch.index.csr import CSRIndex
from tests.support.race import torn_reads

NAMES = [f"p{i:02d}" for i in range(40)]
ids = st.sampled_from(NAMES)


def _same(got: list[gm.Suggestion], want: list[gm.Suggestion]) -> None:
    assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
        (s.person, s.mutual_count, s.mutual) for s in want
    ]
    assert [s.score for s in got] == pytest.approx([s.score for s in want], rel=1e-12)


class LiveIndexMachine(RuleBasedStateMachine):
    """One MemoryStore with its live index on, checked against networkx after every step."""

    def __init__(self) -> None:
        super().__init__()
        # No spare tail beyond what a repack must leave: rows outgrow it within a few writes,
        # so moves to the tail and repacks mid-batch happen on these small graphs.
        self._spare = live_module.MIN_SPARE
        live_module.MIN_SPARE = 0
        self._steps = (live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX)
        G = nx.Graph()
        G.add_nodes_from(NAMES[:10])
        G.add_edges_from([("p00", "p01"), ("p01", "p02"), ("p02", "p03"), ("p00", "p04")])
        self.store = gm.MemoryStore(G, index="sync")
        self.index = self.store.build_index()
        self.fast = gm.Matcher(self.store, explain=3)
        self.plain = gm.Matcher(self.store, explain=3, push_down=False)

    def teardown(self) -> None:
        live_module.MIN_SPARE = self._spare
        live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = self._steps

    def _people(self) -> list[str]:
        return sorted(self.store.graph)

    # -- writes ---------------------------------------------------------------------------
    @rule(p=ids)
    def add_person(self, p: str) -> None:
        self.store.add_person(p)

    @rule(ps=st.lists(ids, max_size=6))
    def add_people(self, ps: list[str]) -> None:
        self.store.add_people([(p, {}) for p in ps])

    @rule(p=ids)
    def remove_person(self, p: str) -> None:
        if self.store.exists(p):
            self.store.remove_person(p)

    @rule(a=ids, b=ids)
    def add_friendship(self, a: str, b: str) -> None:
        if a != b and self.store.exists(a) and self.store.exists(b):
            self.store.add_friendship(a, b)

    @rule(pairs=st.lists(st.tuples(ids, ids).filter(lambda t: t[0] != t[1]), max_size=30))
    def add_friendships(self, pairs: list[tuple[str, str]]) -> None:
        self.store.add_friendships(pairs)  # creates missing people too

    @rule(data=st.data())
    def remove_friendship(self, data: st.DataObject) -> None:
        edges = sorted(self.store.graph.edges())
        if edges:
            a, b = data.draw(st.sampled_from(edges))
            assert self.store.remove_friendship(a, b)

    @rule(a=ids, b=ids, on=st.booleans())
    def block(self, a: str, b: str, on: bool) -> None:
        if a != b and self.store.exists(a) and self.store.exists(b):
            (self.store.block if on else self.store.unblock)(a, b)

    @rule(p=ids, discoverable=st.none() | st.booleans(), shown=st.none() | st.booleans())
    def consent(self, p: str, discoverable: bool | None, shown: bool | None) -> None:
        if self.store.exists(p):
            self.store.set_consent(p, discoverable=discoverable, show_as_mutual=shown)

    @rule(small=st.booleans())
    def bulk_steps(self, small: bool) -> None:
        """Bulk adds in steps of a few friendships (many steps, one plan each) or in one."""
        sizes = (3, 2, 5) if small else self._steps
        live_module.BULK_CHUNK, live_module.BULK_MIN, live_module.BULK_MAX = sizes

    @rule()
    def compact(self) -> None:
        with self.index.lock, self.index.writing():
            self.index.compact()

    @rule()
    def rebuild(self) -> None:
        self.index = self.store.build_index()

    # -- reads ----------------------------------------------------------------------------
    @precondition(lambda self: len(self.store.graph) > 0)
    @rule(
        data=st.data(),
        score=st.sampled_from(gm.SCORES),
        cap=st.none() | st.integers(1, 6),
        limit=st.integers(1, 12),
    )
    def suggest(self, data: st.DataObject, score: str, cap: int | None, limit: int) -> None:
        u = data.draw(st.sampled_from(self._people()))
        # The compiled path answered (no fallback to networkx), and like the plain path.
        pushed = self.store.top_candidates(u, score, limit, cap, 3)
        assert pushed is not None
        _same(
            self.fast.suggest(u, limit, score, max_degree=cap),
            self.plain.suggest(u, limit, score, max_degree=cap),
        )

    @precondition(lambda self: len(self.store.graph) > 1)
    @rule(data=st.data())
    def mutual(self, data: st.DataObject) -> None:
        a, b = data.draw(st.lists(st.sampled_from(self._people()), min_size=2, max_size=2))
        G = self.store.graph
        want = len(list(nx.common_neighbors(G, a, b))) if a != b else G.degree(a)
        assert self.index.mutual_count(a, b) == want
        assert self.fast.mutual_counts([(a, b)]) == [want]
        assert self.fast.mutual_counts([(a, b), (b, a)]) == [want, want]
        if a != b:
            assert self.fast.mutual_friends(a, b) == self.plain.mutual_friends(a, b)

    @precondition(lambda self: len(self.store.graph) > 1)
    @rule(data=st.data(), score=st.sampled_from(gm.SCORES))
    def rank(self, data: st.DataObject, score: str) -> None:
        people = self._people()
        u = data.draw(st.sampled_from(people))
        others = data.draw(st.lists(st.sampled_from(people), max_size=8))
        _same(self.fast.rank(u, others, score), self.plain.rank(u, others, score))

    # -- the index is the graph ------------------------------------------------------------
    @invariant()
    def index_is_the_graph(self) -> None:
        store = self.store
        assert store.fresh_index() is self.index
        got = self.index.freeze()
        want = CSRIndex(
            store.graph._adj,
            0,
            store.undiscoverable(store.graph),
            store.hidden_as_mutual(store.graph),
        )
        assert got.ids == want.ids
        assert got.indptr.tolist() == want.indptr.tolist()
        assert got.indices.tolist() == want.indices.tolist()
        assert got.banned.tolist() == want.banned.tolist()
        assert got.hidden.tolist() == want.hidden.tolist()
        # rank is the id order of the people present, and every row is sorted.
        ix = self.index
        present = [ix.pos[p] for p in want.ids]
        assert ix.rank[present].tolist() == list(range(len(present)))
        start, deg, indices = ix.rows()
        for p in present:
            row = indices[start[p] : start[p] + deg[p]]
            assert np.all(row[1:] > row[:-1])
        assert ix.version % 2 == 0


TestLiveIndex = LiveIndexMachine.TestCase
TestLiveIndex.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


def test_readers_never_see_half_a_write() -> None:
    """Writers add and remove friendships (rows move and repack) while readers check rows.

    Inside ``read`` every friendship must be on both sides and every row sorted: a torn
    state must never be handed back, only retried.
    """
    spare = live_module.MIN_SPARE
    live_module.MIN_SPARE = 0
    try:
        people = [str(i) for i in range(60)]
        G = nx.Graph()
        G.add_nodes_from(people)
        store = gm.MemoryStore(G, index="sync")
        ix = store.build_index()

        def writer(stop: threading.Event) -> None:
            rng = random.Random(5)
            while not stop.is_set():
                a, b = rng.sample(people, 2)
                if rng.random() < 0.6:
                    store.add_friendship(a, b)
                else:
                    store.remove_friendship(a, b)
                if rng.random() < 0.01:
                    with ix.lock, ix.writing():
                        ix.compact()

        assert torn_reads(ix, people, writer, reads=400) == 0
        assert ix.repacks > 1
        for p in people:  # and the final state is networkx's
            assert sorted(
                ix.ids[q] for q in ix.rows()[2][ix.start[ix.pos[p]] :][: ix.deg[ix.pos[p]]]
            ) == sorted(store.graph[p])
    finally:
        live_module.MIN_SPARE = spare


@pytest.mark.parametrize("kind", ["frozen", "live"])
def test_both_indexes_hand_out_the_row_contract(kind: str) -> None:
    """rows() -> (start, deg, indices), sorted rows; ids, pos, banned, hidden, rank (id order)."""
    G = nx.Graph([("b", "c"), ("c", "d"), ("b", "d"), ("d", "e")])
    store = gm.MemoryStore(G, index="off")
    live = store.build_index()
    if kind == "live":
        store.add_person("a")  # sorts before everyone present: positions leave id order
        store.add_friendship("a", "c")
        store.set_consent("e", discoverable=False)
        store.set_consent("d", show_as_mutual=False)
        store.remove_person("b")
    index = live if kind == "live" else CSRIndex(G._adj, 0)
    start, deg, indices = index.rows()
    present = sorted(store.graph)
    for p in present:
        at = index.pos[p]
        assert index.ids[at] == p
        row = [index.ids[q] for q in indices[start[at] : start[at] + deg[at]].tolist()]
        assert row == [index.ids[q] for q in sorted(index.pos[f] for f in store.graph[p])]
        assert sorted(row) == sorted(store.graph[p])
        assert bool(index.banned[at]) == (p in store.undiscoverable([p]))
        assert bool(index.hidden[at]) == (p in store.hidden_as_mutual([p]))
    ranks = [int(index.rank[index.pos[p]]) for p in present]
    assert ranks == list(range(len(present)))
    assert index.rank.dtype == np.int64
    if kind == "live":
        assert store.fresh_index() is live and live.version % 2 == 0
        assert "b" not in live.pos and None in live.ids

"""The memory store's compiled read index: never stale, never half-built."""

from __future__ import annotations

import random
import threading
import time

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphmatch as gm
from graphmatch.index.live import LiveIndex


def _graph() -> nx.Graph:
    return nx.relabel_nodes(nx.powerlaw_cluster_graph(2000, 4, 0.3, seed=5), str)


def test_a_write_is_seen_by_the_next_read_even_with_a_built_index() -> None:
    store = gm.MemoryStore(_graph(), index="background")
    store.build_index()
    m = gm.Matcher(store)
    before = m.suggest("0", limit=5, score="common_neighbors")
    target = before[0].person
    store.add_friendship("0", target)  # the live index takes it before the write returns
    after = m.suggest("0", limit=50, score="common_neighbors")
    assert target not in {s.person for s in after}


def _arrays(
    live: gm.CSRIndex | LiveIndex,
) -> tuple[list[str], list[int], list[int], list[bool], list[bool]]:
    """Everything an index answers from, as plain lists for comparing two indexes."""
    index = live.freeze()
    return (
        index.ids,
        index.indptr.tolist(),
        index.indices.tolist(),
        index.banned.tolist(),
        index.hidden.tolist(),
    )


def _same_answers(indexed: gm.Matcher, plain: gm.Matcher, people: list[str]) -> None:
    for person in people:
        for score in gm.SCORES:
            got = indexed.suggest(person, 10, score)
            want = plain.suggest(person, 10, score)
            assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
                (s.person, s.mutual_count, s.mutual) for s in want
            ], (person, score)
            assert [s.score for s in got] == pytest.approx([s.score for s in want], rel=1e-12)


def test_an_index_built_while_writes_land_is_discarded_or_consistent() -> None:
    """Whenever the store hands an index back as fresh, it is the graph as it is right then.

    A writer adds friendships (new people too) and changes consent in bursts, with quiet gaps,
    while indexes are built. Each round pauses the writer between two writes and asks the store
    for its index: it must either refuse it (``fresh_index()`` is None: the build is discarded)
    or give one whose arrays equal an index built from a copy of the graph at that moment, and
    whose suggestions equal the plain path's on the same store. The rounds go on until both
    have been seen: builds that writes landed on, and indexes handed back as fresh.
    """
    store = gm.MemoryStore(_graph(), index="off")
    gate = threading.Lock()  # held by the writer for each write, by the test to pause it
    stop = threading.Event()
    writes = [0]

    def writer() -> None:
        rng = random.Random(3)
        while not stop.is_set():
            for _ in range(rng.randrange(1, 30)):  # a burst of writes...
                a, b = str(rng.randrange(2500)), str(rng.randrange(2500))
                if a == b:
                    continue
                with gate:
                    store.add_friendships([(a, b)])
                    if rng.random() < 0.1:
                        store.set_consent(a, discoverable=rng.random() < 0.5)
                        store.set_consent(b, show_as_mutual=rng.random() < 0.5)
                    writes[0] += 1
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.03))  # ...then a quiet gap

    thread = threading.Thread(target=writer)
    thread.start()
    overlapped = fresh_seen = 0
    try:
        for _ in range(400):
            before = writes[0]
            built = store.build_index()  # never raises, whatever the writer does
            overlapped += writes[0] > before
            with gate:  # the writer is paused between two writes
                fresh = store.fresh_index()
                if fresh is not None:
                    assert fresh is built  # index="off" never builds on a read
                    snapshot = gm.MemoryStore(store.graph.copy(), index="off")
                    for person in store.undiscoverable(store.graph):
                        snapshot.set_consent(person, discoverable=False)
                    for person in store.hidden_as_mutual(store.graph):
                        snapshot.set_consent(person, show_as_mutual=False)
                    assert _arrays(fresh) == _arrays(snapshot.build_index())
                    people = random.Random(len(fresh.ids)).sample(fresh.ids, 5)
                    _same_answers(gm.Matcher(store), gm.Matcher(store, push_down=False), people)
                    fresh_seen += 1
            if overlapped >= 3 and fresh_seen >= 3:
                break
    finally:
        stop.set()
        thread.join()
    # Both cases were exercised: builds with writes landing on them, and fresh indexes checked.
    assert overlapped >= 1 and fresh_seen >= 1, (overlapped, fresh_seen)
    # Once the writes stop, a rebuilt index answers like the plain path for everyone sampled.
    assert store.build_index() is store.fresh_index()
    people = random.Random(1).sample(sorted(store.graph), 50)
    _same_answers(gm.Matcher(store), gm.Matcher(store, push_down=False), people)


def _hub_graph() -> nx.Graph:
    """Return a graph whose hub neighbourhoods overflow the kernels' cache-sized hash table."""
    from graphmatch.index.kernels import HASH_SLOTS_MAX

    rng = random.Random(7)
    n = HASH_SLOTS_MAX  # a friend of everyone: their friends walk n two-hop edges
    G = nx.Graph((str(i), str(rng.randrange(n))) for i in range(n) for _ in range(2))
    G.add_edges_from(("hub", str(i)) for i in range(0, n, 1))
    G.add_edges_from(("hub2", str(i)) for i in range(0, n, 3))
    G.remove_edges_from(nx.selfloop_edges(G))
    return G


def test_hub_and_ordinary_neighbourhoods_rank_alike_with_and_without_the_index() -> None:
    G = _hub_graph()
    store, plain_store = gm.MemoryStore(G, index="sync"), gm.MemoryStore(G, index="off")
    for s in (store, plain_store):
        s.set_consent("5", discoverable=False)
        s.set_consent("hub2", show_as_mutual=False)
        s.block("hub", "9")
    indexed, plain = gm.Matcher(store, explain=3), gm.Matcher(plain_store, explain=3)
    people = ["hub", "hub2", "0", "1", "2", *random.Random(2).sample(sorted(G), 6)]
    for person in people:
        for score in gm.SCORES:
            for cap in (None, 40, 30000):
                got = indexed.suggest(person, 10, score, max_degree=cap)
                want = plain.suggest(person, 10, score, max_degree=cap)
                assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
                    (s.person, s.mutual_count, s.mutual) for s in want
                ], (person, score, cap)
                assert [s.score for s in got] == pytest.approx([s.score for s in want])


def test_mutual_counts_at_positions_match_networkx_and_ids() -> None:
    G = _graph()
    store = gm.MemoryStore(G, index="sync")
    index = store.build_index()
    rng = random.Random(4)
    people = sorted(G)
    pairs = [(rng.choice(people), rng.choice(people)) for _ in range(20_000)]  # > one chunk
    want = [len(list(nx.common_neighbors(G, a, b))) if a != b else G.degree(a) for a, b in pairs]
    flat = index.positions([p for pair in pairs for p in pair])
    assert index.mutual_counts_at(flat[0::2], flat[1::2]).tolist() == want
    assert store.mutual_counts(pairs) == want


def test_positions_name_the_unknown_person() -> None:
    index = gm.MemoryStore(_graph(), index="off").build_index()
    with pytest.raises(gm.PersonNotFound) as caught:
        index.positions(["0", "nobody", "1"])
    assert caught.value.person_id == "nobody"


@pytest.mark.parametrize(
    ("a", "b"),
    [([0, 1], [1]), ([0, -1], [1, 2]), ([0, 2000], [1, 2]), ([0.0, 1.0], [1, 2])],
)
def test_mutual_counts_at_rejects_bad_positions(a: list[float], b: list[int]) -> None:
    import numpy as np

    index = gm.MemoryStore(_graph(), index="off").build_index()
    with pytest.raises(gm.InvalidInput):
        index.mutual_counts_at(np.array(a), np.array(b))


@pytest.mark.parametrize("index", ["sync", "off"])
def test_a_pair_of_three_ids_is_refused(index: str) -> None:
    store = gm.MemoryStore(_graph(), index=index)
    with pytest.raises(gm.InvalidInput):
        store.mutual_counts([("0", "1", "2")])  # type: ignore[list-item]


def test_positions_refuse_an_unhashable_id_as_unknown() -> None:
    index = gm.MemoryStore(_graph(), index="off").build_index()
    with pytest.raises(gm.PersonNotFound):
        index.positions(["0", ["not", "an", "id"]])  # type: ignore[list-item]


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.sets(st.integers(0, 60), max_size=40), min_size=2, max_size=8),
    data=st.data(),
)
def test_the_block_merge_counts_every_common_friend_once(
    rows: list[set[int]], data: st.DataObject
) -> None:
    """Rows of every length around the 4-entry blocks, ties at block ends: set intersection."""
    from graphmatch.index import kernels

    flat = [sorted(r) for r in rows]
    deg = np.array([len(r) for r in flat], np.int64)
    start = np.zeros(len(flat), np.int64)
    start[1:] = np.cumsum(deg)[:-1]
    indices = np.array([w for r in flat for w in r], np.int32)
    pick = st.integers(0, len(rows) - 1)
    pairs = data.draw(st.lists(st.tuples(pick, pick), min_size=1, max_size=30))
    a = np.array([x for x, _ in pairs], np.int64)
    b = np.array([y for _, y in pairs], np.int64)
    want = [len(rows[x] & rows[y]) for x, y in pairs]
    assert kernels.mutual_counts(start, deg, indices, a, b).tolist() == want

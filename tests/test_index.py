"""The memory store's compiled read index: never stale, never half-built."""

from __future__ import annotations

import random
import threading

import networkx as nx

import graphmatch as gm


def _graph() -> nx.Graph:
    return nx.relabel_nodes(nx.powerlaw_cluster_graph(2000, 4, 0.3, seed=5), str)


def test_a_write_is_seen_by_the_next_read_even_with_a_built_index() -> None:
    store = gm.MemoryStore(_graph(), index="background")
    store.build_index()
    m = gm.Matcher(store)
    before = m.suggest("0", limit=5, score="common_neighbors")
    target = before[0].person
    store.add_friendship("0", target)  # the index is now stale and must not answer
    after = m.suggest("0", limit=50, score="common_neighbors")
    assert target not in {s.person for s in after}


def test_an_index_built_while_writes_land_is_discarded_or_consistent() -> None:
    store = gm.MemoryStore(_graph(), index="off")
    stop = threading.Event()

    def writer() -> None:
        rng = random.Random(3)
        while not stop.is_set():
            a, b = str(rng.randrange(2500)), str(rng.randrange(2500))
            if a != b:
                store.add_friendships([(a, b)])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(5):
            index = store.build_index()  # never raises, whatever the writer does
            assert index.version <= store._version
    finally:
        stop.set()
        thread.join()
    store.build_index()
    plain = gm.Matcher(gm.MemoryStore(store.graph, index="off"))
    indexed = gm.Matcher(store)
    for person in random.Random(1).sample(sorted(store.graph), 50):
        for score in gm.SCORES:
            got = indexed.suggest(person, 10, score)
            want = plain.suggest(person, 10, score)
            assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
                (s.person, s.mutual_count, s.mutual) for s in want
            ]

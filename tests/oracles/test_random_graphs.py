"""Property: on random graphs, the matcher agrees with networkx for every score."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import graphmatch as gm
from tests.support.oracle import nx_top


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph:
    n = draw(st.integers(min_value=2, max_value=25))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            max_size=80,
        )
    )
    G = nx.Graph()
    G.add_nodes_from(str(i) for i in range(n))
    G.add_edges_from((str(a), str(b)) for a, b in pairs)
    return G


@settings(max_examples=300, deadline=None)
@given(
    G=graphs(),
    score=st.sampled_from(gm.SCORES),
    limit=st.integers(1, 12),
    index=st.sampled_from(["off", "sync"]),
)
def test_suggestions_match_networkx_on_random_graphs(
    G: nx.Graph, score: str, limit: int, index: str
) -> None:
    m = gm.Matcher(gm.MemoryStore(G, index=index))
    for u in G:
        got = [(s.person, s.mutual_count) for s in m.suggest(u, limit=limit, score=score)]
        assert got == [(v, c) for v, _, c in nx_top(G, u, score, limit)]

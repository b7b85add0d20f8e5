"""Shared fixtures: the real ego-Facebook graph and a ``store`` over every store kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.loaders import read_edgelist

DATA = Path(__file__).parent / "data"
FACEBOOK = DATA / "facebook_combined.txt.gz"

STORE_KINDS = [
    "memory",
    "memory-indexed",
    "journaled",
    pytest.param("neo4j", marks=pytest.mark.neo4j),
]


@pytest.fixture(scope="session")
def neo4j_store_session() -> Iterator[gm.GraphStore]:
    """Open one Neo4j driver for the run; skips (fails under CI=true) if Neo4j is down."""
    from tests.support.neo4j import connect

    neo = connect()
    yield neo
    neo.close()


@pytest.fixture(scope="session")
def facebook_graph() -> nx.Graph:
    """Return ego-Facebook as a networkx graph with string ids (the oracle's copy)."""
    edges, _ = read_edgelist(FACEBOOK)
    return nx.Graph(edges)


@pytest.fixture(params=STORE_KINDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[gm.GraphStore]:
    """Yield an empty store of each kind."""
    if request.param == "neo4j":
        neo = request.getfixturevalue("neo4j_store_session")
        neo.clear()
        yield neo
    elif request.param == "journaled":
        from graphmatch.stores.journal import JournaledStore

        # The durable wrapper the HTTP server uses over memory, index on, fsync off for speed.
        journaled = JournaledStore(
            gm.MemoryStore(index="sync"), tmp_path_factory.mktemp("journal"), fsync=False
        )
        yield journaled
        journaled.close()
    elif request.param == "memory-indexed":
        # Rebuilt synchronously by the read after every write, so every read takes the
        # compiled path: the same suite then checks the kernels against the plain path.
        yield gm.MemoryStore(index="sync")
    else:
        yield gm.MemoryStore(index="off")

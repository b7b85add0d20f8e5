"""Shared fixtures: the one Neo4j store, ego-Facebook, and a ``store`` over every store kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import pytest

import graphmatch as gm

if TYPE_CHECKING:
    from graphmatch.stores.neo4j import Neo4jStore

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
FACEBOOK = DATA / "facebook_combined.txt.gz"
NEO4J_FIXTURE = "neo4j_store_session"
NEO4J_ROUTING_FIXTURE = "neo4j_routing_store_session"

STORE_KINDS = [
    "memory",
    "memory-indexed",
    "journaled",
    pytest.param("neo4j", marks=pytest.mark.neo4j),
]
#: The conformance suite (tests/contract) runs Neo4j twice: over bolt:// (one server) and
#: over a neo4j:// routing URI (reads routed to readers, writes to the writer, bookmarks).
CONTRACT_STORE_KINDS = [*STORE_KINDS, pytest.param("neo4j-routing", marks=pytest.mark.neo4j)]


@pytest.fixture(scope="session")
def neo4j_store_session() -> Iterator[Neo4jStore]:
    """The one Neo4j store of the run: every test that needs Neo4j gets it from here.

    It is opened on the test server (``scripts/neo4j-local start`` or ``NEO4J_URI``) once per
    session and closed at the end. When no server answers, the tests that need it skip with the
    reason, except under ``CI=true``, where they fail: CI never skips a Neo4j test silently.
    Tests that need an empty graph clear it themselves (the ``store`` fixture does).
    """
    from tests.support.neo4j import connect

    neo = connect()
    yield neo
    neo.close()


@pytest.fixture(scope="session")
def neo4j_routing_store_session() -> Iterator[Neo4jStore]:
    """The same test server through a ``neo4j://`` routing URI (opened once per session)."""
    from tests.support.neo4j import connect

    neo = connect(scheme="neo4j")
    yield neo
    neo.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the Neo4j fixture ``neo4j``, so ``-m "not neo4j"`` leaves it."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if NEO4J_FIXTURE in names or NEO4J_ROUTING_FIXTURE in names:
            item.add_marker(pytest.mark.neo4j)


@pytest.fixture(scope="session")
def facebook_graph() -> nx.Graph:
    """Return ego-Facebook as a networkx graph with string ids (the oracle's copy)."""
    edges, _ = gm.read_edgelist(FACEBOOK)
    return nx.Graph(edges)


@pytest.fixture(params=STORE_KINDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[gm.GraphStore]:
    """Yield an empty store of each kind."""
    yield from open_store_kind(request, tmp_path_factory)


def open_store_kind(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[gm.GraphStore]:
    """Yield an empty store of the kind request.param names (the ``store`` fixtures' body)."""
    if request.param in ("neo4j", "neo4j-routing"):
        fixture = NEO4J_FIXTURE if request.param == "neo4j" else NEO4J_ROUTING_FIXTURE
        neo = request.getfixturevalue(fixture)
        neo.clear()
        yield neo
    elif request.param == "journaled":
        from graphmatch.stores import JournaledStore

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

"""The conformance suite's ``store``: every kind of tests/conftest.py, and Neo4j by routing URI.

Issue 17 asks that a ``neo4j://`` URI run the store's whole conformance suite: here the
``store`` fixture adds ``neo4j-routing`` (the same server, through the routing driver) to the
kinds every other test directory uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import graphmatch as gm
from tests.conftest import CONTRACT_STORE_KINDS, open_store_kind


@pytest.fixture(params=CONTRACT_STORE_KINDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[gm.GraphStore]:
    """Yield an empty store of each kind, Neo4j over bolt:// and over neo4j://."""
    yield from open_store_kind(request, tmp_path_factory)

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

STORE_KINDS = ["memory", "memory-indexed"]


@pytest.fixture(scope="session")
def facebook_graph() -> nx.Graph:
    """Return ego-Facebook as a networkx graph with string ids (the oracle's copy)."""
    edges, _ = read_edgelist(FACEBOOK)
    return nx.Graph(edges)


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> Iterator[gm.GraphStore]:
    """Yield an empty store of each kind."""
    if request.param == "memory-indexed":
        # Rebuilt synchronously by the read after every write, so every read takes the
        # compiled path: the same suite then checks the kernels against the plain path.
        yield gm.MemoryStore(index="sync")
    else:
        yield gm.MemoryStore(index="off")

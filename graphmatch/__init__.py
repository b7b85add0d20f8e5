"""graphmatch: friends-in-common discovery on networkx or Neo4j.

>>> import networkx as nx, graphmatch as gm
>>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")])))
>>> m.mutual_friends("a", "b").count
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    GraphMatchError,
    InvalidInput,
    ParseError,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)
from .loaders import LoadReport, iter_edges, read_edgelist
from .matcher import Matcher, Mutual, Suggestion
from .memory import MemoryStore
from .scores import DEFAULT_SCORE, SCORES, pair_score
from .store import GraphStore, PairStats

if TYPE_CHECKING:
    from .neo4j_store import Neo4jStore

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SCORE",
    "SCORES",
    "GraphMatchError",
    "GraphStore",
    "InvalidInput",
    "LoadReport",
    "Matcher",
    "MemoryStore",
    "Mutual",
    "Neo4jStore",
    "PairStats",
    "ParseError",
    "PersonExists",
    "PersonNotFound",
    "StoreUnavailable",
    "Suggestion",
    "iter_edges",
    "pair_score",
    "read_edgelist",
]


def __getattr__(name: str) -> Any:
    # The Neo4j store pulls in the driver; import it only when someone asks for it.
    if name == "Neo4jStore":
        from .neo4j_store import Neo4jStore

        return Neo4jStore
    raise AttributeError(f"module 'graphmatch' has no attribute {name!r}")

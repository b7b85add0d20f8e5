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
from .index import CSRIndex
from .loaders import LoadReport, iter_edges, read_edgelist
from .matcher import Matcher, Mutual, Suggestion
from .memory import MemoryStore
from .presence import (
    CheckIn,
    EventInfo,
    EventNotFound,
    EventPair,
    MemoryPresenceIndex,
    Nearby,
    NotCheckedIn,
    Presence,
    PresenceIndex,
)
from .scores import DEFAULT_SCORE, SCORES, pair_score
from .store import GraphStore, PairStats

if TYPE_CHECKING:
    from .evaluation import EvaluationResult, evaluate
    from .neo4j_store import Neo4jStore
    from .presence_neo4j import Neo4jPresenceIndex

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SCORE",
    "SCORES",
    "CSRIndex",
    "CheckIn",
    "EvaluationResult",
    "EventInfo",
    "EventNotFound",
    "EventPair",
    "GraphMatchError",
    "GraphStore",
    "InvalidInput",
    "LoadReport",
    "Matcher",
    "MemoryPresenceIndex",
    "MemoryStore",
    "Mutual",
    "Nearby",
    "Neo4jPresenceIndex",
    "Neo4jStore",
    "NotCheckedIn",
    "PairStats",
    "ParseError",
    "PersonExists",
    "PersonNotFound",
    "Presence",
    "PresenceIndex",
    "StoreUnavailable",
    "Suggestion",
    "evaluate",
    "iter_edges",
    "pair_score",
    "read_edgelist",
]


def __getattr__(name: str) -> Any:
    # The Neo4j classes pull in the driver; import them only when someone asks for them.
    if name == "Neo4jStore":
        from .neo4j_store import Neo4jStore

        return Neo4jStore
    if name in ("evaluate", "EvaluationResult"):
        from . import evaluation

        return getattr(evaluation, name)
    if name == "Neo4jPresenceIndex":
        from .presence_neo4j import Neo4jPresenceIndex

        return Neo4jPresenceIndex
    raise AttributeError(f"module 'graphmatch' has no attribute {name!r}")

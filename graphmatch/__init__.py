"""graphmatch: friends-in-common discovery on networkx or Neo4j.

>>> import networkx as nx, graphmatch as gm
>>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")])))
>>> m.mutual_friends("a", "b").count
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphmatch.errors import (
    GraphMatchError,
    InvalidInput,
    ParseError,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)
from graphmatch.index.csr import CSRIndex
from graphmatch.loaders import LoadReport, iter_edges, read_edgelist
from graphmatch.matcher import Matcher, Mutual, Suggestion
from graphmatch.presence.service import (
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
from graphmatch.rule import DEFAULT_SCORE, SCORES, pair_score
from graphmatch.stores.memory import MemoryStore
from graphmatch.stores.protocol import GraphStore, PairStats

if TYPE_CHECKING:
    from graphmatch.evaluation.run import EvaluationResult, evaluate
    from graphmatch.presence.neo4j import Neo4jPresenceIndex
    from graphmatch.stores.neo4j.store import Neo4jStore

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
        from graphmatch.stores.neo4j.store import Neo4jStore

        return Neo4jStore
    if name in ("evaluate", "EvaluationResult"):
        from graphmatch import evaluation

        return getattr(evaluation, name)
    if name == "Neo4jPresenceIndex":
        from graphmatch.presence.neo4j import Neo4jPresenceIndex

        return Neo4jPresenceIndex
    raise AttributeError(f"module 'graphmatch' has no attribute {name!r}")

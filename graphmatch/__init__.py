"""graphmatch: friends-in-common discovery on networkx or Neo4j.

Every public name is importable from here. Only the errors load with the package: the rest
(networkx, numpy, numba, the Neo4j driver) load on first use of a name that needs them, so
``import graphmatch`` stays cheap for command lines and apps that use a small part.

>>> import networkx as nx, graphmatch as gm
>>> m = gm.Matcher(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")])))
>>> m.mutual_friends("a", "b").count
1
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from graphmatch.errors import (
    EventNotFound,
    GraphMatchError,
    InvalidInput,
    JournalCorrupt,
    NotCheckedIn,
    ParseError,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from graphmatch._validation import check_id
    from graphmatch.evaluation.run import EvaluationResult, evaluate
    from graphmatch.index.csr import CSRIndex
    from graphmatch.loaders import LoadReport, iter_edges, read_edgelist
    from graphmatch.matcher import Matcher, Mutual, Suggestion
    from graphmatch.presence import (
        CheckIn,
        EventInfo,
        EventPair,
        MemoryPresenceIndex,
        Nearby,
        Presence,
        PresenceIndex,
    )
    from graphmatch.presence.neo4j import Neo4jPresenceIndex
    from graphmatch.rule import DEFAULT_SCORE, LEARNED, SCORES, pair_score
    from graphmatch.stores._open import open_store
    from graphmatch.stores.journal import JournaledStore
    from graphmatch.stores.memory import MemoryStore
    from graphmatch.stores.neo4j.store import Neo4jStore
    from graphmatch.stores.protocol import (
        BuildsSuggestions,
        BulkLoads,
        CountsMutual,
        Dismisses,
        GraphStore,
        HasIndex,
        ListsBlocks,
        PairStats,
        RanksCandidates,
        RunsQueries,
    )

__version__ = "0.1.0"

#: Where each lazily loaded public name lives (presence names through their package, which
#: re-exports them from its small modules).
_LAZY: dict[str, str] = {
    "BuildsSuggestions": "graphmatch.stores.protocol",
    "BulkLoads": "graphmatch.stores.protocol",
    "CSRIndex": "graphmatch.index.csr",
    "CheckIn": "graphmatch.presence",
    "CountsMutual": "graphmatch.stores.protocol",
    "DEFAULT_SCORE": "graphmatch.rule",
    "LEARNED": "graphmatch.rule",
    "Dismisses": "graphmatch.stores.protocol",
    "EvaluationResult": "graphmatch.evaluation.run",
    "EventInfo": "graphmatch.presence",
    "EventPair": "graphmatch.presence",
    "GraphStore": "graphmatch.stores.protocol",
    "HasIndex": "graphmatch.stores.protocol",
    "JournaledStore": "graphmatch.stores.journal",
    "ListsBlocks": "graphmatch.stores.protocol",
    "LoadReport": "graphmatch.loaders",
    "Matcher": "graphmatch.matcher",
    "MemoryPresenceIndex": "graphmatch.presence",
    "MemoryStore": "graphmatch.stores.memory",
    "Mutual": "graphmatch.matcher",
    "Nearby": "graphmatch.presence",
    "Neo4jPresenceIndex": "graphmatch.presence.neo4j",
    "Neo4jStore": "graphmatch.stores.neo4j.store",
    "PairStats": "graphmatch.stores.protocol",
    "Presence": "graphmatch.presence",
    "PresenceIndex": "graphmatch.presence",
    "RanksCandidates": "graphmatch.stores.protocol",
    "RunsQueries": "graphmatch.stores.protocol",
    "SCORES": "graphmatch.rule",
    "Suggestion": "graphmatch.matcher",
    "check_id": "graphmatch._validation",
    "evaluate": "graphmatch.evaluation.run",
    "iter_edges": "graphmatch.loaders",
    "open_store": "graphmatch.stores._open",
    "pair_score": "graphmatch.rule",
    "read_edgelist": "graphmatch.loaders",
}

__all__ = [
    "DEFAULT_SCORE",
    "LEARNED",
    "SCORES",
    "BuildsSuggestions",
    "BulkLoads",
    "CSRIndex",
    "CheckIn",
    "CountsMutual",
    "Dismisses",
    "EvaluationResult",
    "EventInfo",
    "EventNotFound",
    "EventPair",
    "GraphMatchError",
    "GraphStore",
    "HasIndex",
    "InvalidInput",
    "JournalCorrupt",
    "JournaledStore",
    "ListsBlocks",
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
    "RanksCandidates",
    "RunsQueries",
    "StoreUnavailable",
    "Suggestion",
    "check_id",
    "evaluate",
    "iter_edges",
    "open_store",
    "pair_score",
    "read_edgelist",
]


def __getattr__(name: str) -> Any:
    # PEP 562: load a public name's module on first access and cache the name here, so the
    # next access is a plain attribute lookup.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphmatch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The lazy names are not in globals() until used; list them anyway.
    return sorted({*globals(), *__all__})

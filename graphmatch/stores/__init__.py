"""Graph stores behind one seam.

- :mod:`~graphmatch.stores.protocol`: :class:`GraphStore`, the Protocol every store keeps,
  and the optional capabilities a store may add to push work down.
- :mod:`~graphmatch.stores.memory`: :class:`MemoryStore`, networkx in memory (the default).
- :mod:`~graphmatch.stores.journal`: :class:`JournaledStore`, a memory store made durable.
- :mod:`~graphmatch.stores.neo4j`: :class:`Neo4jStore`, Neo4j 5.x over Bolt (``[neo4j]`` extra).
- :func:`open_store`: the one place that picks a store from settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphmatch.stores._open import STORE_KINDS, open_store
from graphmatch.stores.journal import JournalCorrupt, JournaledStore
from graphmatch.stores.memory import MemoryStore
from graphmatch.stores.protocol import GraphStore, PairStats

if TYPE_CHECKING:
    from graphmatch.stores.neo4j import Neo4jStore

__all__ = [
    "STORE_KINDS",
    "GraphStore",
    "JournalCorrupt",
    "JournaledStore",
    "MemoryStore",
    "Neo4jStore",
    "PairStats",
    "open_store",
]


def __getattr__(name: str) -> Any:
    # Neo4jStore pulls in the driver: import it only when asked for.
    if name == "Neo4jStore":
        from graphmatch.stores.neo4j import Neo4jStore

        return Neo4jStore
    raise AttributeError(f"module 'graphmatch.stores' has no attribute {name!r}")

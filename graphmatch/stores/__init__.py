"""Graph stores behind one seam.

- :mod:`~graphmatch.stores.protocol`: :class:`GraphStore`, the Protocol every store keeps,
  and the optional capabilities a store may add to push work down.
- :mod:`~graphmatch.stores.memory`: :class:`MemoryStore`, networkx in memory (the default).
- :mod:`~graphmatch.stores.journal`: :class:`JournaledStore`, a memory store made durable.
- :mod:`~graphmatch.stores.follower`: :class:`JournalFollower`, a read-only copy of a data dir
  that follows its journal (the worker processes of ``serve --workers``).
- :mod:`~graphmatch.stores.neo4j`: :class:`Neo4jStore`, Neo4j 5.x over Bolt (``[neo4j]`` extra).
- :func:`open_store`: the one place that picks a store from settings.

The names load on first use: importing ``graphmatch.stores.protocol`` (as the matcher does)
must not pull in networkx or the Neo4j driver through this package.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphmatch.stores._open import STORE_KINDS, open_store
    from graphmatch.stores.follower import JournalFollower
    from graphmatch.stores.journal import JournalCorrupt, JournaledStore
    from graphmatch.stores.memory import MemoryStore
    from graphmatch.stores.neo4j.store import Neo4jStore
    from graphmatch.stores.protocol import GraphStore, PairStats

_LAZY: dict[str, str] = {
    "STORE_KINDS": "graphmatch.stores._open",
    "GraphStore": "graphmatch.stores.protocol",
    "JournalCorrupt": "graphmatch.stores.journal",
    "JournaledStore": "graphmatch.stores.journal",
    "JournalFollower": "graphmatch.stores.follower",
    "MemoryStore": "graphmatch.stores.memory",
    "Neo4jStore": "graphmatch.stores.neo4j.store",
    "PairStats": "graphmatch.stores.protocol",
    "open_store": "graphmatch.stores._open",
}

__all__ = [
    "STORE_KINDS",
    "GraphStore",
    "JournalCorrupt",
    "JournalFollower",
    "JournaledStore",
    "MemoryStore",
    "Neo4jStore",
    "PairStats",
    "open_store",
]


def __getattr__(name: str) -> Any:
    # PEP 562: import the member's module on first access, then keep the name here.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphmatch.stores' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # List the lazy names too, before they are first used.
    return sorted({*globals(), *__all__})

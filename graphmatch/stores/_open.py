"""Open a store by name: the one place that decides memory or Neo4j from settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from graphmatch.errors import InvalidInput

if TYPE_CHECKING:
    from graphmatch.stores.protocol import GraphStore

__all__ = ["STORE_KINDS", "open_store"]

STORE_KINDS = ("memory", "neo4j")
#: Environment variables for Neo4jStore's time limits, and the keyword each one sets.
NEO4J_TIMEOUTS = {
    "NEO4J_TIMEOUT": "timeout",
    "NEO4J_CONNECT_TIMEOUT": "connect_timeout",
    "NEO4J_RETRY_TIME": "retry_time",
}


class _TimeLimits(TypedDict, total=False):
    timeout: float
    connect_timeout: float
    retry_time: float


def _seconds(environ: Mapping[str, str]) -> _TimeLimits:
    """Return the Neo4jStore time limits set in environ, by keyword."""
    out: dict[str, float] = {}
    for var, keyword in NEO4J_TIMEOUTS.items():
        text = environ.get(var)
        if text is None or text == "":
            continue
        try:
            out[keyword] = float(text)
        except ValueError:
            raise InvalidInput(f"{var} must be a number of seconds, got {text!r}") from None
    return cast(_TimeLimits, out)


def open_store(
    kind: str | None = None,
    *,
    graph: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> GraphStore:
    """Open a store by kind, defaulting to Neo4j when ``NEO4J_URI`` is set, else memory.

    Parameters
    ----------
    kind : {"memory", "neo4j"}, optional
        Which store. None picks ``memory`` when a graph file is given, else ``neo4j`` if
        ``NEO4J_URI`` is set, else ``memory``.
    graph : str or Path, optional
        An edge-list file to load into a memory store.
    env : mapping, optional
        Environment to read (defaults to ``os.environ``). For Neo4j: ``NEO4J_URI``,
        ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``, and the time limits
        ``NEO4J_TIMEOUT``, ``NEO4J_CONNECT_TIMEOUT`` and ``NEO4J_RETRY_TIME`` (seconds; see
        :class:`~graphmatch.Neo4jStore`).

    Returns
    -------
    GraphStore

    Raises
    ------
    InvalidInput
        For an unknown kind, a graph file given with the Neo4j store, or a Neo4j time limit
        that is not a positive number of seconds.
    StoreUnavailable
        If Neo4j cannot be reached.

    Examples
    --------
    >>> open_store("memory").counts()
    (0, 0)
    """
    environ = os.environ if env is None else env
    if kind is None:
        # A file to load always means memory; otherwise NEO4J_URI picks Neo4j.
        kind = "neo4j" if graph is None and environ.get("NEO4J_URI") else "memory"
    if kind == "memory":
        # Imported here: networkx costs ~100 ms, and `graphmatch --help` needs none of it.
        from graphmatch.stores.memory import MemoryStore

        return MemoryStore.from_edgelist(graph) if graph is not None else MemoryStore()
    if kind == "neo4j":
        if graph is not None:
            raise InvalidInput("--graph loads a file into memory; use 'graphmatch load' for Neo4j")
        from graphmatch.stores.neo4j.store import Neo4jStore

        user = environ.get("NEO4J_USER", "neo4j")
        password = environ.get("NEO4J_PASSWORD")
        neo: GraphStore = Neo4jStore(
            environ.get("NEO4J_URI"),
            auth=(user, password) if password is not None else None,
            database=environ.get("NEO4J_DATABASE"),
            **_seconds(environ),
        )
        neo.ping()
        return neo
    raise InvalidInput(f"unknown store {kind!r}; choose one of {', '.join(STORE_KINDS)}")

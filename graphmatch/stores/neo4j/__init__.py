"""The Neo4j store (needs the ``graphmatch[neo4j]`` extra)."""

from __future__ import annotations

from graphmatch.stores.neo4j.store import Neo4jStore

__all__ = ["Neo4jStore"]

"""Presence's modules and seams: one module per concern, no cycles, declared capabilities."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
import graphmatch.errors as errors
import graphmatch.presence as presence
from graphmatch.presence.memory import MemoryPresenceIndex
from graphmatch.presence.model import CheckIn, EventInfo
from graphmatch.presence.neo4j import Neo4jPresenceIndex
from graphmatch.presence.protocol import BucketsAttendees, ListsBlockedPairs, PresenceIndex
from graphmatch.presence.service import Presence
from graphmatch.stores.protocol import RunsQueries

PACKAGE = Path(presence.__file__).parent


def _presence_imports() -> dict[str, set[str]]:
    """Map each presence module to the presence modules it imports (anywhere in it)."""
    out: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        if path.name == "__init__.py":
            continue
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            found |= {
                n.removeprefix("graphmatch.presence.")
                for n in names
                if n.startswith("graphmatch.presence.")
            }
            if any(n == "graphmatch.presence" for n in names):
                found.add("__init__")
        out[path.stem] = found
    return out


def test_presence_modules_import_each_other_without_a_cycle() -> None:
    graph = _presence_imports()
    assert set(graph) >= {"file", "geo", "memory", "model", "neo4j", "protocol", "service"}
    # No module goes through the package's __init__ (it imports them all).
    assert all("__init__" not in deps for deps in graph.values()), graph
    assert "service" not in graph["neo4j"]
    assert nx.is_directed_acyclic_graph(
        nx.DiGraph([(m, d) for m, deps in graph.items() for d in deps])
    ), graph


def test_the_neo4j_index_uses_only_the_stores_public_surface() -> None:
    tree = ast.parse((PACKAGE / "neo4j.py").read_text(encoding="utf-8"))
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "store"
        and node.attr.startswith("_")
    ]
    assert private == []
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert {m for m in imported if m.split(".")[0] == "neo4j"} == {"neo4j.spatial"}
    assert not any(m.startswith("graphmatch.stores.neo4j") for m in imported)


def test_package_all_is_sorted_and_every_name_resolves() -> None:
    names = presence.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    for name in names:
        assert getattr(presence, name) is not None
    # The names that lived in service.py before the split still import from there.
    from graphmatch.presence import service

    for name in names:
        assert getattr(service, name) is getattr(presence, name)


def test_presence_errors_live_in_graphmatch_errors_and_are_re_exported() -> None:
    import graphmatch.stores as stores
    import graphmatch.stores.journal as journal

    assert presence.EventNotFound is errors.EventNotFound
    assert presence.NotCheckedIn is errors.NotCheckedIn
    assert stores.JournalCorrupt is journal.JournalCorrupt is errors.JournalCorrupt
    assert issubclass(errors.EventNotFound, errors.GraphMatchError)
    assert issubclass(errors.EventNotFound, LookupError)
    assert issubclass(errors.JournalCorrupt, errors.StoreUnavailable)
    assert errors.NotCheckedIn.__mro__[1] is errors.GraphMatchError
    assert str(errors.EventNotFound("conf")) == "event 'conf' not found"
    assert str(errors.NotCheckedIn("ann")) == "person 'ann' is not checked in"
    at_conf = errors.NotCheckedIn("ann", "conf")
    assert str(at_conf) == "person 'ann' is not checked in at event 'conf'"


class _FakeCypher:
    """Records queries; answers every read and write with the rows it is given."""

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.rows = rows or []

    def run_read(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.calls.append(("read", query))
        return self.rows

    def run_write(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.calls.append(("write", query))
        return self.rows

    def run_schema(self, statement: str) -> None:
        self.calls.append(("schema", statement))


def test_the_neo4j_index_is_a_presence_index_with_both_push_downs() -> None:
    fake = _FakeCypher([{"name": "Conf", "location": None}])
    assert isinstance(fake, RunsQueries)
    idx = Neo4jPresenceIndex(fake)
    assert isinstance(idx, PresenceIndex)
    assert isinstance(idx, BucketsAttendees) and isinstance(idx, ListsBlockedPairs)
    assert idx.get_event("conf") == EventInfo("conf", "Conf", None, None)
    kinds = [k for k, _ in fake.calls]
    # The schema first, once, then one read; nothing else was asked of the store.
    assert kinds == ["schema"] * kinds.count("schema") + ["read", "read"]
    assert "db.awaitIndexes" in fake.calls[-2][1]
    idx.get_event("conf")
    assert [k for k, _ in fake.calls[len(kinds) :]] == ["read"]


def test_the_memory_index_offers_no_push_down() -> None:
    idx = MemoryPresenceIndex()
    assert isinstance(idx, PresenceIndex)
    assert not isinstance(idx, BucketsAttendees) and not isinstance(idx, ListsBlockedPairs)


class _PushingIndex(MemoryPresenceIndex):
    """A memory index that also answers top_pairs' two reads itself, and counts them."""

    def __init__(self, store: gm.MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.pushed: list[str] = []

    def attendee_buckets(self, attendees: list[str]) -> dict[str, list[str]]:
        self.pushed.append("buckets")
        out: dict[str, list[str]] = {}
        for a in attendees:
            for w in self.store.friends(a):
                out.setdefault(w, []).append(a)
        return out

    def blocked_pairs(self, attendees: list[str]) -> set[tuple[str, str]]:
        self.pushed.append("blocks")
        att = set(attendees)
        return {
            (a, b) if a < b else (b, a)
            for a in attendees
            for b in self.store.blocked_with(a)
            if b in att
        }


@pytest.mark.parametrize("explain", [0, 2])
def test_top_pairs_takes_the_push_downs_an_index_offers_with_the_same_answer(
    explain: int,
) -> None:
    G = nx.relabel_nodes(nx.gnp_random_graph(40, 0.15, seed=3), str)
    store = gm.MemoryStore(G, index="off")
    store.block("1", "2")
    store.block("7", "3")
    pushing = _PushingIndex(store)
    plain = Presence(store, clock=lambda: 0.0)
    fast = Presence(store, index=pushing, clock=lambda: 0.0)
    for p in (plain, fast):
        p.add_event("conf")
        for who in map(str, range(0, 40, 2)):
            p.check_in(who, event_id="conf")
        for who in ("1", "3", "7"):
            p.check_in(who, event_id="conf")
    want = plain.top_pairs("conf", limit=25, explain=explain)
    assert want and fast.top_pairs("conf", limit=25, explain=explain) == want
    # One blocks query for the pairs, one more for whom the explanations may name.
    assert sorted(pushing.pushed) == sorted(["blocks", "buckets"] + ["blocks"] * (explain > 0))
    assert all({t.a, t.b} not in ({"1", "2"}, {"3", "7"}) for t in want)


def test_a_file_index_is_a_presence_index_of_its_own_module(tmp_path: Path) -> None:
    from graphmatch.presence.file import FilePresenceIndex

    path = tmp_path / "p.jsonl"
    idx = FilePresenceIndex(path)
    assert isinstance(idx, PresenceIndex)
    idx.put(CheckIn("a", 1.0, 2.0, None, True, 0.0, 1e12), now=0.0)
    again = FilePresenceIndex(path)
    found = again.get("a", now=1.0)
    assert found is not None and (found.lat, found.lon) == (1.0, 2.0)


def test_presence_picks_the_memory_index_for_stores_that_run_no_queries(tmp_path: Path) -> None:
    from graphmatch.stores.journal import JournaledStore

    journaled = JournaledStore(gm.MemoryStore(), tmp_path / "data", fsync=False)
    try:
        for store in (gm.MemoryStore(), journaled):
            assert type(Presence(store).index) is MemoryPresenceIndex
    finally:
        journaled.close()


@pytest.mark.neo4j
def test_presence_keeps_presence_in_neo4j_for_a_neo4j_store(
    neo4j_store_session: gm.GraphStore,
) -> None:
    assert type(Presence(neo4j_store_session).index) is Neo4jPresenceIndex

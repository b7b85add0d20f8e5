"""Finding the test Neo4j: the helpers behind the one ``neo4j_store_session`` fixture.

Tests do not open their own connection: they take ``neo4j_store_session`` (``tests/conftest.py``),
which calls :func:`connect` once per run (``neo4j_routing_store_session`` is the same server
through a ``neo4j://`` routing URI, for the conformance suite). The server is the one
``scripts/neo4j-local start`` runs (its URI is in ``.neo4j/uri``), or any server named by
``NEO4J_URI``. When none answers, tests skip with the reason, except under ``CI=true``, where
they fail: in CI the Neo4j tests must never be skipped silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphmatch import StoreUnavailable
from graphmatch.stores.neo4j import Neo4jStore

ROOT = Path(__file__).resolve().parents[2]
URI_FILE = ROOT / ".neo4j" / "uri"
LOCAL_SCRIPT = ROOT / "scripts" / "neo4j-local"
DEFAULT_PASSWORD = "graphmatch-test"  # what scripts/neo4j-local sets when NEO4J_PASSWORD is unset


def in_ci() -> bool:
    """Return whether we run under CI (Neo4j tests must not skip there)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def neo4j_settings() -> tuple[str | None, tuple[str, str]]:
    """Return ``(uri, auth)`` from the environment or the local server's URI file."""
    uri = os.environ.get("NEO4J_URI")
    if not uri and URI_FILE.is_file():
        uri = URI_FILE.read_text().strip() or None
    auth = (
        os.environ.get("NEO4J_USER") or "neo4j",
        os.environ.get("NEO4J_PASSWORD") or DEFAULT_PASSWORD,
    )
    return uri, auth


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere, with a reason that says how to start Neo4j."""
    hint = f"{reason}; start one with `scripts/neo4j-local start` (or set NEO4J_URI)"
    if in_ci():
        pytest.fail(f"Neo4j is required under CI=true: {hint}", pytrace=False)
    pytest.skip(hint)


def with_scheme(uri: str, scheme: str) -> str:
    """Return uri with its scheme family swapped, keeping the TLS suffix.

    ``with_scheme("bolt://h:1", "neo4j")`` is ``"neo4j://h:1"``; ``bolt+s`` becomes ``neo4j+s``.
    """
    head, sep, rest = uri.partition("://")
    _, plus, tls = head.partition("+")
    return f"{scheme}{plus}{tls}{sep}{rest}"


def connect(scheme: str | None = None, **kwargs: object) -> Neo4jStore:
    """Open a Neo4jStore on the test server, or skip/fail (see :func:`unavailable`).

    scheme ``"neo4j"`` opens it through a routing URI (``neo4j://``): the driver asks the
    server for its routing table and sends reads to readers, writes to the writer.
    """
    uri, auth = neo4j_settings()
    if uri is None:
        unavailable("no Neo4j URI (NEO4J_URI unset and no .neo4j/uri)")
        raise AssertionError("unreachable")  # for type checkers: unavailable() never returns
    if scheme is not None:
        uri = with_scheme(uri, scheme)
    store = Neo4jStore(uri, auth=auth, timeout=30, **kwargs)  # type: ignore[arg-type]
    try:
        store.ping()
    except StoreUnavailable as exc:
        store.close()
        unavailable(str(exc))
    return store

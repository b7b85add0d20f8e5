"""Bookmarks across stateless replicas over one Neo4j: a replica reads a write made elsewhere.

Two app instances, each with its own driver (so its own bookmark manager), stand for two API
processes: the driver's shared bookmark manager chains sessions within one process only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.routing import BOOKMARK
from graphmatch.stores.neo4j import Neo4jStore
from graphmatch.stores.neo4j.store import _CAUSAL
from tests.support.neo4j import connect

pytestmark = pytest.mark.neo4j


@pytest.fixture
def replicas() -> Iterator[tuple[FlaskClient, FlaskClient, Neo4jStore]]:
    """Two apps over the test server: one by ``bolt://``, one by the routing ``neo4j://``."""
    first = connect()
    second = connect(scheme="neo4j")
    first.clear()
    try:
        a = create_app({"TESTING": True, "ACCESS_LOG": "off"}, store=first).test_client()
        b = create_app({"TESTING": True, "ACCESS_LOG": "off"}, store=second).test_client()
        yield a, b, second
    finally:
        first.clear()
        first.close()
        second.close()


def test_a_write_returns_its_bookmark_and_another_replica_reads_it_with_it(
    replicas: tuple[FlaskClient, FlaskClient, Neo4jStore],
) -> None:
    a, b, _ = replicas
    for pid in ("bk-a", "bk-b", "bk-c"):
        created = a.post("/v1/people", json={"id": pid})
        assert created.status_code == 201 and created.headers.get(BOOKMARK)
    previous = None
    for other in ("bk-b", "bk-c"):
        wrote = a.put(f"/v1/people/bk-a/friends/{other}")
        assert wrote.status_code == 201
        bookmark = wrote.headers[BOOKMARK]
        assert bookmark and bookmark != previous  # each write moves the database on
        previous = bookmark
        read = b.get("/v1/people/bk-a/friends", headers={BOOKMARK: bookmark})
        assert read.status_code == 200 and other in read.get_json()["friends"]
        assert BOOKMARK not in read.headers  # reads write nothing: no bookmark to hand on
    # Several bookmarks (comma-separated) are waited for together.
    both = f"{created.headers[BOOKMARK]},{previous}"
    read = b.get("/v1/people/bk-a/friends", headers={BOOKMARK: both})
    assert read.status_code == 200 and sorted(read.get_json()["friends"]) == ["bk-b", "bk-c"]
    assert _CAUSAL.get() is None  # the scope ended with its request


@pytest.mark.parametrize(
    "value",
    ["has space", "I", "FB:" + "x" * 1025, ",".join(["FB:abc"] * 17), "FB:caf\u00e9"],
    ids=str,
)
def test_a_malformed_bookmark_is_a_400(
    replicas: tuple[FlaskClient, FlaskClient, Neo4jStore], value: str
) -> None:
    _, b, _ = replicas
    r = b.get("/v1/people/nobody/friends", headers={BOOKMARK: value})
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["code"] == "invalid_bookmark"


def test_a_bookmark_neo4j_never_gave_is_refused_not_a_503(
    replicas: tuple[FlaskClient, FlaskClient, Neo4jStore],
) -> None:
    a, b, _ = replicas
    assert a.post("/v1/people", json={"id": "bk-z"}).status_code == 201
    r = b.get("/v1/people/bk-z/friends", headers={BOOKMARK: "FB:AAAAAAAAAAAAAAAAAAAAAAAA"})
    assert r.status_code == 422, r.get_data(as_text=True)

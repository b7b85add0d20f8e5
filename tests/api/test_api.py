"""The HTTP API through Flask's test client: every endpoint and every error code, every store."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
import seed_data
from api import create_app

# a - b - c, a - d - c, c - e: c is two steps from a through b and d; e through c's side.
EDGES = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "e")]


@pytest.fixture
def app(store: gm.GraphStore) -> Flask:
    return create_app({"TESTING": True}, store=store)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def net(client: FlaskClient) -> FlaskClient:
    """A client over a small network built through the API itself."""
    for pid in "abcdef":
        assert client.post("/v1/people", json={"id": pid}).status_code == 201
    for a, b in EDGES:
        assert client.put(f"/v1/people/{a}/friends/{b}").status_code == 201
    return client


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert a JSON error with this status and code; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    return body


# -- people ----------------------------------------------------------------------------------
def test_creating_a_person_returns_201_with_attributes_and_location(client: FlaskClient) -> None:
    r = client.post(
        "/v1/people", json={"id": "ann", "attributes": {"city": "Oslo", "tags": ["x"], "age": 30}}
    )
    assert r.status_code == 201
    assert r.headers["Location"] == "/v1/people/ann"
    assert r.get_json() == {
        "id": "ann",
        "attributes": {"city": "Oslo", "tags": ["x"], "age": 30},
        "discoverable": True,
        "show_as_mutual": True,
        "friend_count": 0,
    }


def test_creating_a_person_with_consent_flags_sets_them(client: FlaskClient) -> None:
    r = client.post("/v1/people", json={"id": "ann", "discoverable": False})
    assert r.get_json()["discoverable"] is False
    assert r.get_json()["show_as_mutual"] is True


def test_creating_an_existing_person_is_409(client: FlaskClient) -> None:
    client.post("/v1/people", json={"id": "ann"})
    body = error(client.post("/v1/people", json={"id": "ann"}), 409, "person_exists")
    assert body["details"] == {"id": "ann"}


def test_getting_a_person_returns_their_attributes_and_degree(net: FlaskClient) -> None:
    body = net.get("/v1/people/c").get_json()
    assert body["id"] == "c"
    assert body["friend_count"] == 3


def test_getting_an_unknown_person_is_404_with_the_id(client: FlaskClient) -> None:
    body = error(client.get("/v1/people/nobody"), 404, "person_not_found")
    assert body["details"] == {"id": "nobody"}


def test_deleting_a_person_removes_them_and_their_friendships(net: FlaskClient) -> None:
    assert net.delete("/v1/people/b").status_code == 204
    error(net.get("/v1/people/b"), 404, "person_not_found")
    assert net.get("/v1/people/a/friends").get_json()["friends"] == ["d"]
    error(net.delete("/v1/people/b"), 404, "person_not_found")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": ""},
        {"id": 5},
        {"id": "a/b"},
        {"id": "x", "attributes": {"discoverable": True}},
        {"id": "x", "attributes": {"bad name": 1}},
        {"id": "x", "attributes": {"nested": {"a": 1}}},
        {"id": "x", "unknown": 1},
        {"id": "x", "discoverable": "yes"},
        ["x"],
    ],
)
def test_creating_a_person_with_an_invalid_body_is_422(client: FlaskClient, payload: Any) -> None:
    r = client.post("/v1/people", json=payload)
    body = error(r, 422, r.get_json()["code"])
    assert body["code"] in {"validation_failed", "invalid_input"}


def test_reserved_attribute_names_are_refused_with_422(client: FlaskClient) -> None:
    r = client.post("/v1/people", json={"id": "x", "attributes": {"id": "y"}})
    assert r.status_code == 422


@pytest.mark.parametrize("raw", ["{bad", "", "NaN", '{"id": Infinity}', "[" * 100_000])
def test_a_malformed_json_body_is_400(client: FlaskClient, raw: str) -> None:
    r = client.post("/v1/people", data=raw, content_type="application/json")
    error(r, 400, "malformed_json")


def test_a_body_over_the_size_limit_is_413(store: gm.GraphStore) -> None:
    client = create_app({"MAX_CONTENT_LENGTH": 100}, store=store).test_client()
    r = client.post("/v1/people", json={"id": "x" * 200})
    body = error(r, 413, "payload_too_large")
    assert body["details"] == {"max_bytes": 100}


# -- friendships -----------------------------------------------------------------------------
def test_adding_a_friendship_is_201_then_200_when_it_exists(client: FlaskClient) -> None:
    client.post("/v1/people", json={"id": "a"})
    client.post("/v1/people", json={"id": "b"})
    first = client.put("/v1/people/a/friends/b")
    assert (first.status_code, first.get_json()["created"]) == (201, True)
    again = client.put("/v1/people/b/friends/a")
    assert (again.status_code, again.get_json()["created"]) == (200, False)


def test_befriending_oneself_is_422(client: FlaskClient) -> None:
    client.post("/v1/people", json={"id": "a"})
    error(client.put("/v1/people/a/friends/a"), 422, "invalid_input")


def test_befriending_an_unknown_person_is_404(client: FlaskClient) -> None:
    client.post("/v1/people", json={"id": "a"})
    body = error(client.put("/v1/people/a/friends/zz"), 404, "person_not_found")
    assert body["details"]["id"] == "zz"


def test_removing_a_friendship_is_204_and_idempotent(net: FlaskClient) -> None:
    assert net.delete("/v1/people/a/friends/b").status_code == 204
    assert net.delete("/v1/people/a/friends/b").status_code == 204
    assert "b" not in net.get("/v1/people/a/friends").get_json()["friends"]
    error(net.delete("/v1/people/a/friends/zz"), 404, "person_not_found")


def test_friends_are_listed_sorted_and_paginated_by_cursor(client: FlaskClient) -> None:
    client.post("/v1/people", json={"id": "hub"})
    ids = [f"p{i:02d}" for i in range(25)]
    r = client.post("/v1/friendships/bulk", json={"friendships": [["hub", p] for p in ids]})
    assert r.get_json() == {"received": 25, "created": 25}
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/people/hub/friends", query_string=query).get_json()
        assert page["total"] == 25
        seen += page["friends"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_friends_can_be_paged_by_offset(client: FlaskClient) -> None:
    client.post("/v1/friendships/bulk", json={"friendships": [["h", "x"], ["h", "y"], ["h", "z"]]})
    page = client.get("/v1/people/h/friends?offset=1&limit=1").get_json()
    assert page["friends"] == ["y"]
    assert page["next_cursor"] is not None


def test_a_cursor_and_an_offset_together_are_422(net: FlaskClient) -> None:
    error(net.get("/v1/people/a/friends?offset=1&cursor=YQ"), 422, "validation_failed")


def test_a_forged_cursor_is_422(net: FlaskClient) -> None:
    error(net.get("/v1/people/a/friends?cursor=%%%"), 422, "invalid_cursor")


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=1001", "offset=-1", "x=1"])
def test_bad_paging_parameters_are_422(net: FlaskClient, query: str) -> None:
    body = error(net.get(f"/v1/people/a/friends?{query}"), 422, "validation_failed")
    assert body["details"]["errors"]


def test_listing_friends_of_an_unknown_person_is_404(client: FlaskClient) -> None:
    error(client.get("/v1/people/zz/friends"), 404, "person_not_found")


# -- bulk ------------------------------------------------------------------------------------
def test_bulk_import_creates_missing_people_under_either_path(client: FlaskClient) -> None:
    r = client.post("/v1/friendships:bulk", json={"friendships": [["a", "b"], ["b", "a"]]})
    assert r.status_code == 200
    assert r.get_json()["received"] == 2
    assert client.get("/v1/people/a/friends").get_json()["friends"] == ["b"]


def test_a_bulk_batch_over_the_bound_is_413_and_writes_nothing(store: gm.GraphStore) -> None:
    client = create_app({"BULK_MAX_ITEMS": 3}, store=store).test_client()
    pairs = [["a", str(i)] for i in range(4)]
    body = error(
        client.post("/v1/friendships/bulk", json={"friendships": pairs}), 413, "batch_too_large"
    )
    assert body["details"] == {"max_items": 3, "received": 4}
    assert store.counts() == (0, 0)


def test_a_bulk_batch_with_one_bad_pair_is_422_and_writes_nothing(client: FlaskClient) -> None:
    for pairs in ([["a", "b"], ["c", "c"]], [["a", "b"], ["c"]], [["a", "b"], ["", "x"]]):
        r = client.post("/v1/friendships/bulk", json={"friendships": pairs})
        error(r, 422, "validation_failed")
    error(client.get("/v1/people/a"), 404, "person_not_found")


# -- mutual friends, suggestions, rank -------------------------------------------------------
def test_mutual_friends_are_counted_and_named(net: FlaskClient) -> None:
    body = net.get("/v1/people/a/mutual/c").get_json()
    assert body == {"count": 2, "people": ["b", "d"], "hidden": 0, "exact": True}


def test_mutual_friends_hide_people_who_opted_out(net: FlaskClient) -> None:
    net.put("/v1/people/b/consent", json={"show_as_mutual": False})
    body = net.get("/v1/people/a/mutual/c").get_json()
    assert body == {"count": 2, "people": ["d"], "hidden": 1, "exact": False}


def test_mutual_friends_of_oneself_is_422_and_of_a_stranger_404(net: FlaskClient) -> None:
    error(net.get("/v1/people/a/mutual/a"), 422, "invalid_input")
    error(net.get("/v1/people/a/mutual/zz"), 404, "person_not_found")
    error(net.get("/v1/people/a/mutual/c?max_degree=0"), 422, "validation_failed")


def test_suggestions_match_the_library(net: FlaskClient, store: gm.GraphStore) -> None:
    body = net.get("/v1/people/a/suggestions?limit=5&score=adamic_adar&explain=1").get_json()
    expected = gm.Matcher(store).suggest("a", limit=5, score="adamic_adar", explain=1)
    assert body == {"suggestions": [s.as_dict() for s in expected]}
    assert body["suggestions"][0]["id"] == "c"
    assert body["suggestions"][0]["mutual_count"] == 2


def test_suggestions_leave_out_blocked_and_undiscoverable_people(net: FlaskClient) -> None:
    assert net.put("/v1/people/c/blocks/a").status_code == 204
    assert net.get("/v1/people/a/suggestions").get_json() == {"suggestions": []}
    assert net.delete("/v1/people/c/blocks/a").status_code == 204
    assert [s["id"] for s in net.get("/v1/people/a/suggestions").get_json()["suggestions"]] == ["c"]
    r = net.put("/v1/people/c/consent", json={"discoverable": False})
    assert r.get_json() == {"id": "c", "discoverable": False, "show_as_mutual": True}
    assert net.get("/v1/people/a/suggestions").get_json() == {"suggestions": []}


@pytest.mark.parametrize(
    "query", ["score=nope", "limit=0", "limit=1.5", "explain=101", "max_degree=0", "extra=1"]
)
def test_bad_suggestion_parameters_are_422(net: FlaskClient, query: str) -> None:
    error(net.get(f"/v1/people/a/suggestions?{query}"), 422, "validation_failed")


def test_suggestions_for_an_unknown_person_are_404(client: FlaskClient) -> None:
    error(client.get("/v1/people/zz/suggestions"), 404, "person_not_found")


def test_rank_orders_posted_candidates_like_the_library(
    net: FlaskClient, store: gm.GraphStore
) -> None:
    r = net.post("/v1/people/a/rank", json={"candidates": ["f", "e", "c"], "score": "jaccard"})
    expected = gm.Matcher(store).rank("a", ["f", "e", "c"], score="jaccard")
    assert r.get_json() == {"suggestions": [s.as_dict() for s in expected]}
    assert [s["id"] for s in r.get_json()["suggestions"]] == ["c", "e", "f"]


def test_rank_keeps_friends_only_when_asked(net: FlaskClient) -> None:
    body = {"candidates": ["b", "c"], "include_friends": True, "limit": 1}
    assert len(net.post("/v1/people/a/rank", json=body).get_json()["suggestions"]) == 1
    plain = net.post("/v1/people/a/rank", json={"candidates": ["b"]}).get_json()
    assert plain == {"suggestions": []}


def test_rank_errors(net: FlaskClient, store: gm.GraphStore) -> None:
    error(net.post("/v1/people/a/rank", json={"candidates": ["zz"]}), 404, "person_not_found")
    error(net.post("/v1/people/a/rank", json={"candidates": []}), 422, "validation_failed")
    error(net.post("/v1/people/a/rank", json={}), 422, "validation_failed")
    error(net.post("/v1/people/a/rank", data="[", content_type="application/json"), 400,
          "malformed_json")  # fmt: skip
    small = create_app({"RANK_MAX_CANDIDATES": 2}, store=store).test_client()
    body = {"candidates": ["b", "c", "d"]}
    error(small.post("/v1/people/a/rank", json=body), 413, "batch_too_large")


# -- blocks and consent ----------------------------------------------------------------------
def test_blocking_oneself_is_422_and_a_stranger_404(net: FlaskClient) -> None:
    error(net.put("/v1/people/a/blocks/a"), 422, "invalid_input")
    error(net.put("/v1/people/a/blocks/zz"), 404, "person_not_found")
    error(net.delete("/v1/people/zz/blocks/a"), 404, "person_not_found")


def test_consent_flags_left_out_stay_unchanged(net: FlaskClient) -> None:
    net.put("/v1/people/a/consent", json={"discoverable": False})
    r = net.put("/v1/people/a/consent", json={"show_as_mutual": False})
    assert r.get_json() == {"id": "a", "discoverable": False, "show_as_mutual": False}
    r = net.put("/v1/people/a/consent", json={"discoverable": True, "show_as_mutual": True})
    assert net.get("/v1/people/a").get_json()["discoverable"] is True
    error(net.put("/v1/people/a/consent", json={"discoverable": 1}), 422, "validation_failed")
    error(net.put("/v1/people/zz/consent", json={}), 404, "person_not_found")


# -- health, routing, docs -------------------------------------------------------------------
def test_health_and_readiness_answer_ok(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


class _DownStore(gm.MemoryStore):
    def ping(self) -> None:
        raise gm.StoreUnavailable("bolt://secret-host:7687 refused")

    def person(self, person_id: str) -> dict[str, Any]:
        raise gm.StoreUnavailable("bolt://secret-host:7687 refused")


def test_an_unreachable_store_is_503_without_its_address() -> None:
    client = create_app(store=_DownStore()).test_client()
    for r in (client.get("/readyz"), client.get("/v1/people/a")):
        body = error(r, 503, "store_unavailable")
        assert "secret-host" not in r.get_data(as_text=True)
        assert body["message"] == "the graph store is unavailable"


class _BrokenStore(gm.MemoryStore):
    def friends(self, person_id: str) -> list[str]:
        raise RuntimeError("internal detail /etc/secret")


def test_an_unexpected_error_is_a_json_500_without_a_traceback() -> None:
    client = create_app(store=_BrokenStore()).test_client()
    client.post("/v1/people", json={"id": "a"})
    r = client.get("/v1/people/a/friends")
    error(r, 500, "internal_error")
    assert "secret" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_unknown_routes_and_methods_are_json_404_and_405(client: FlaskClient) -> None:
    error(client.get("/v1/nothing/here"), 404, "not_found")
    error(client.get("/nothing"), 404, "not_found")
    r = client.patch("/v1/people/a")
    error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_the_openapi_document_lists_every_stable_path(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/v1/people",
        "/v1/people/{person_id}",
        "/v1/people/{person_id}/friends/{other_id}",
        "/v1/people/{person_id}/friends",
        "/v1/people/{person_id}/mutual/{other_id}",
        "/v1/people/{person_id}/suggestions",
        "/v1/people/{person_id}/rank",
        "/v1/people/{person_id}/blocks/{other_id}",
        "/v1/people/{person_id}/consent",
        "/v1/friendships/bulk",
        "/healthz",
        "/readyz",
    ):
        assert path in doc["paths"], path
    bulk = doc["components"]["schemas"]["BulkFriendships"]["properties"]["friendships"]
    assert bulk["maxItems"] == 10_000


def test_the_docs_page_is_swagger_ui_served_offline(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.content_type
    html = page.get_data(as_text=True)
    links = re.findall(r'(?:src|href)="\./([^"]*)"', html)
    assert {"static/swagger-ui/swagger-ui-bundle.js", "static/docs/docs.js", "openapi.json"} <= set(
        links
    )
    bodies = {}
    for link in links:
        r = client.get("/" + link)
        assert r.status_code == 200, link
        bodies[link] = r.get_data()
        r.close()
    # The real Swagger UI, from the installed package, started by our own script.
    assert b"SwaggerUIBundle" in bodies["static/swagger-ui/swagger-ui-bundle.js"]
    assert b"openapi.json" in bodies["static/docs/docs.js"]
    # Swagger UI's files name URLs in licences and examples; what we write names none.
    for text in (
        html,
        bodies["static/docs/docs.js"].decode(),
        bodies["static/docs/docs.css"].decode(),
    ):
        assert "http://" not in text
        assert "https://" not in text
        assert "//cdn" not in text
    assert client.get("/static/swagger-ui/nope.js").status_code == 404


def test_the_docs_page_says_what_to_install_without_swagger_ui(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "flask_swagger_ui", None)  # import raises ImportError
    for path in ("/docs", "/static/swagger-ui/swagger-ui-bundle.js"):
        r = client.get(path)
        assert r.status_code == 503
        assert r.get_json()["code"] == "docs_unavailable"
        assert "graphmatch[api]" in r.get_json()["message"]


def test_the_api_package_imports_neither_networkx_nor_neo4j() -> None:
    import subprocess
    import sys

    code = (
        "import sys, api, api.server, api.cli; "
        "bad = [m for m in ('networkx', 'neo4j', 'flask') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Flask is expected; networkx arrives only through graphmatch's memory store.
    assert "neo4j" not in out.stdout
    from pathlib import Path

    for source in (Path(__file__).parents[2] / "api").glob("*.py"):
        text = source.read_text()
        assert "import networkx" not in text and "import neo4j" not in text, source
        assert "from networkx" not in text and "from neo4j" not in text, source


#: Where api may import graphmatch names from: the package and its public subpackages (their
#: ``__init__`` re-exports), and the matcher module for MAX_LIMIT / MAX_EXPLAIN.
API_MAY_IMPORT_FROM = (
    "graphmatch",
    "graphmatch.cli",
    "graphmatch.matcher",
    "graphmatch.presence",
    "graphmatch.stores",
)


def test_the_api_imports_only_graphmatchs_public_names() -> None:
    import ast
    import importlib
    from pathlib import Path

    seen = 0
    for source in sorted((Path(__file__).parents[2] / "api").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "graphmatch"]
                assert all(n == "graphmatch" for n in names), (source.name, names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("graphmatch"):
                seen += 1
                where = f"{source.name}:{node.lineno}"
                assert node.module in API_MAY_IMPORT_FROM, f"{where} imports {node.module}"
                public = set(importlib.import_module(node.module).__all__) | {"__version__"}
                for alias in node.names:
                    assert alias.name in public, f"{where}: {node.module}.{alias.name}"
    assert seen >= 5  # the walk found api's imports


# -- concurrency -----------------------------------------------------------------------------
@pytest.fixture
def threaded(store: gm.GraphStore) -> Iterator[Flask]:
    yield create_app(store=store)


def test_concurrent_writes_are_all_kept_and_reads_stay_consistent(threaded: Flask) -> None:
    """Writers add friendships to a hub while readers check the friend list and its count."""
    setup = threaded.test_client()
    setup.post("/v1/people", json={"id": "hub"})
    writers, per_writer = 4, 40
    for w in range(writers):
        for i in range(per_writer):
            setup.post("/v1/people", json={"id": f"w{w}-{i}"})
    problems: list[str] = []
    done = threading.Event()

    def write(w: int) -> None:
        client = threaded.test_client()
        for i in range(per_writer):
            r = client.put(f"/v1/people/hub/friends/w{w}-{i}")
            if r.status_code != 201:
                problems.append(f"write {w}-{i}: {r.status_code}")

    def read() -> None:
        client = threaded.test_client()
        last = 0
        while not done.is_set():
            page = client.get("/v1/people/hub/friends?limit=1000").get_json()
            person = client.get("/v1/people/hub").get_json()
            if len(page["friends"]) != page["total"] or page["friends"] != sorted(page["friends"]):
                problems.append("inconsistent page")
            if page["total"] < last or person["friend_count"] < page["total"]:
                problems.append("went backwards")
            last = page["total"]

    readers = [threading.Thread(target=read) for _ in range(2)]
    workers = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in readers + workers:
        t.start()
    for t in workers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert problems == []
    final = setup.get("/v1/people/hub").get_json()
    assert final["friend_count"] == writers * per_writer


def test_flask_seed_command_fills_the_app_store_like_graphmatch_seed() -> None:
    store = gm.MemoryStore(index="off")
    app = create_app(store=store)
    result = app.test_cli_runner().invoke(args=["seed", "--people", "300", "--seed", "4"])
    assert result.exit_code == 0, result.output
    net = seed_data.generate(300, seed=4)
    assert store.counts() == (300, len(net.friendships))
    bad = app.test_cli_runner().invoke(args=["seed", "--people", "3"])
    assert bad.exit_code != 0
    assert "people must be at least 10" in bad.output

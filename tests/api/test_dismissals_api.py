"""Dismissals over HTTP, on every store: dismiss, undo, list, and what a viewer token may do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api.viewer import TOKEN_SECRET_ENV, mint_token

SECRET = "dismissal-test-secret-0123456789abcdef"
WRITE = "write-key"
KEY = {"X-API-Key": WRITE}
# a's friends b and d: c is two steps away through both, e and f through b.
EDGES = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("b", "e"), ("b", "f")]


@pytest.fixture
def app(store: gm.GraphStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv(TOKEN_SECRET_ENV, SECRET)
    config = {"TESTING": True, "API_KEYS": {WRITE: "write"}, "RATE_PER_ADDRESS": 0}
    app = create_app(config, store=store)
    c = app.test_client()
    for pid in "abcdefg":
        assert c.post("/v1/people", json={"id": pid}, headers=KEY).status_code == 201
    for x, y in EDGES:
        assert c.put(f"/v1/people/{x}/friends/{y}", headers=KEY).status_code == 201
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _suggested(c: FlaskClient, person: str) -> list[str]:
    r = c.get(f"/v1/people/{person}/suggestions", headers=KEY)
    assert r.status_code == 200, r.get_data(as_text=True)
    return [s["id"] for s in r.get_json()["suggestions"]]


def _token(person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(person, secret=SECRET)}"}


def test_a_dismissed_suggestion_does_not_come_back_until_undone(client: FlaskClient) -> None:
    assert _suggested(client, "a") == ["c", "e", "f"]
    r = client.put("/v1/people/a/dismissals/c", headers=KEY)
    assert r.status_code == 201
    assert r.get_json() == {"id": "a", "dismissed": "c", "created": True}
    r = client.put("/v1/people/a/dismissals/c", headers=KEY)
    assert r.status_code == 200 and r.get_json()["created"] is False
    assert _suggested(client, "a") == ["e", "f"]
    assert "a" in _suggested(client, "c")  # one-way
    r = client.get("/v1/people/a/dismissals", headers=KEY)
    assert r.get_json() == {"id": "a", "dismissed": ["c"], "total": 1, "next_cursor": None}
    assert client.delete("/v1/people/a/dismissals/c", headers=KEY).status_code == 204
    assert client.delete("/v1/people/a/dismissals/c", headers=KEY).status_code == 204
    assert _suggested(client, "a") == ["c", "e", "f"]
    assert client.get("/v1/people/a/dismissals", headers=KEY).get_json()["dismissed"] == []


def test_bad_dismissals_are_json_errors(client: FlaskClient) -> None:
    for method in (client.put, client.delete):
        r = method("/v1/people/a/dismissals/nobody", headers=KEY)
        assert r.status_code == 404 and r.get_json()["code"] == "person_not_found"
        r = method("/v1/people/nobody/dismissals/a", headers=KEY)
        assert r.status_code == 404
    r = client.put("/v1/people/a/dismissals/a", headers=KEY)
    assert r.status_code == 422 and set(r.get_json()) == {"code", "message", "details"}
    assert client.get("/v1/people/nobody/dismissals", headers=KEY).status_code == 404
    r = client.get("/v1/people/a/dismissals?limit=0", headers=KEY)
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"
    r = client.get("/v1/people/a/dismissals?cursor=%25%25", headers=KEY)
    assert r.status_code == 422 and r.get_json()["code"] == "invalid_cursor"
    assert client.put("/v1/people/a/dismissals/c").status_code == 401  # no key


def test_the_list_pages_and_leaves_out_people_blocked_either_way(client: FlaskClient) -> None:
    for other in "cefg":
        assert client.put(f"/v1/people/a/dismissals/{other}", headers=KEY).status_code == 201
    assert client.put("/v1/people/g/blocks/a", headers=KEY).status_code == 204
    r = client.get("/v1/people/a/dismissals?limit=2", headers=KEY).get_json()
    assert r["dismissed"] == ["c", "e"] and r["total"] == 3 and r["next_cursor"]
    r = client.get(f"/v1/people/a/dismissals?limit=2&cursor={r['next_cursor']}", headers=KEY)
    assert r.get_json()["dismissed"] == ["f"] and r.get_json()["next_cursor"] is None


def test_a_viewer_token_dismisses_and_lists_only_for_its_own_person(client: FlaskClient) -> None:
    mine, theirs = _token("a"), _token("c")
    assert client.put("/v1/people/a/dismissals/c", headers=mine).status_code == 201
    assert client.get("/v1/people/a/dismissals", headers=mine).get_json()["dismissed"] == ["c"]
    r = client.get("/v1/people/a/suggestions", headers=mine)
    assert [s["id"] for s in r.get_json()["suggestions"]] == ["e", "f"]
    for method, url, token in (
        (client.put, "/v1/people/c/dismissals/a", mine),  # for someone else
        (client.put, "/v1/people/a/dismissals/e", theirs),
        (client.delete, "/v1/people/a/dismissals/c", theirs),
        (client.get, "/v1/people/a/dismissals", theirs),  # whom a dismissed is a's own
    ):
        r = method(url, headers=token)
        assert r.status_code == 403 and r.get_json()["code"] == "forbidden", url
    assert client.delete("/v1/people/a/dismissals/c", headers=mine).status_code == 204


def test_the_endpoints_are_documented(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    one = doc["paths"]["/v1/people/{person_id}/dismissals/{other_id}"]
    assert set(one) == {"put", "delete"}
    assert set(one["put"]["responses"]) >= {"200", "201", "404", "422"}
    assert one["put"]["x-scope"] == "write"
    listing = doc["paths"]["/v1/people/{person_id}/dismissals"]["get"]
    named = {p["name"] for p in listing["parameters"] if p["in"] != "header"}
    assert named == {"person_id", "limit", "cursor"}
    assert {"Dismissal", "DismissalsPage"} <= set(doc["components"]["schemas"])

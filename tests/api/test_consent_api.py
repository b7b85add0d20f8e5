"""No block or see-only leak through any endpoint, on every store: the endpoints are enumerated.

A and W are friends and one blocks the other. Every GET endpoint of the app (from
``app.url_map``, with the query parameters the OpenAPI document lists, set to show as much as
they can) is asked about A and about W, with an app key and with viewer tokens. No answer to a
request about A may name W, nor the reverse; no pair in an event's top pairs that holds one of
them may name the other; and S, who checked in see-only, never shows up in anything presence
answers, nor do S's coordinates anywhere, except to S's own viewer token.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api.viewer import TOKEN_SECRET_ENV, mint_token

SECRET = "consent-test-secret-0123456789abcdef"
READ, WRITE = "read-key", "write-key"
EDGES = [
    ("A", "W"), ("A", "M"), ("A", "Z"),
    ("W", "V"), ("M", "V"), ("W", "Z"),
    ("S", "M"), ("S", "V"),
]  # fmt: skip
PEOPLE = ["A", "M", "S", "V", "W", "Z"]
# Every check-in has its own coordinate, so a number in an answer says whose it is.
BASE_LAT, BASE_LON = 59.9139, 10.7522
S_LAT, S_LON = 59.9141234, 10.7523456
# Static files carry no person data; their path takes a file name, not an id.
# (meta.swagger_ui: the Swagger UI files of /docs.)
STATIC = {"static", "explorer.static", "meta.swagger_ui"}
# Pages without a scope (health, documentation, the explorer's page, the score list): no
# person data.
PUBLIC = {"/", "/docs", "/docs/", "/healthz", "/readyz", "/openapi.json", "/v1/scores"}


@pytest.fixture(params=["A blocks W", "W blocks A"])
def app(
    store: gm.GraphStore, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv(TOKEN_SECRET_ENV, SECRET)
    config = {
        "TESTING": True,
        "API_KEYS": {READ: "read", WRITE: "write"},
        "RATE_PER_ADDRESS": 0,
        "RATE_PER_KEY": 0,
        "RATE_PER_VIEWER": 0,
    }
    app = create_app(config, store=store)
    c = app.test_client()
    w = {"X-API-Key": WRITE}
    for pid in PEOPLE:
        assert c.post("/v1/people", json={"id": pid}, headers=w).status_code == 201
    for a, b in EDGES:
        assert c.put(f"/v1/people/{a}/friends/{b}", headers=w).status_code == 201
    who, whom = ("A", "W") if request.param == "A blocks W" else ("W", "A")
    assert c.put(f"/v1/people/{who}/blocks/{whom}", headers=w).status_code in (200, 201, 204)
    assert c.put("/v1/events/conf", json={"name": "Conf"}, headers=w).status_code in (200, 201)
    for i, pid in enumerate(p for p in PEOPLE if p != "S"):
        spot = {"lat": BASE_LAT + i * 1e-5, "lon": BASE_LON, "event_id": "conf"}
        assert c.put(f"/v1/people/{pid}/presence", json=spot, headers=w).status_code == 200
    see_only = {"lat": S_LAT, "lon": S_LON, "event_id": "conf", "visible": False}
    assert c.put("/v1/people/S/presence", json=see_only, headers=w).status_code == 200
    yield app


def _strings(value: Any) -> set[str]:
    """Return every string value (not object key) anywhere in a JSON value."""
    out: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return out


def _numbers(value: Any) -> set[float]:
    """Return every number anywhere in a JSON value."""
    out: set[float] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int | float):
            out.add(float(item))
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return out


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Yield every JSON object anywhere in a JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            yield item
            stack.extend(item.values())


def _pairs(value: Any) -> Iterator[dict[str, Any]]:
    """Yield every object shaped like an event pair (``a`` and ``b``)."""
    for item in _objects(value):
        if isinstance(item.get("a"), str) and isinstance(item.get("b"), str):
            yield item


def _most_revealing(app: Flask, rule: str) -> dict[str, str]:
    """Return query values that show the most: the largest limit and explanation, etc."""
    doc = app.test_client().get("/openapi.json").get_json()
    path = rule.replace("<", "{").replace(">", "}")
    op = doc["paths"].get(path, {}).get("get", {})
    query: dict[str, str] = {}
    for param in op.get("parameters", []):
        if param["in"] != "query":
            continue
        name, schema = param["name"], param.get("schema", {})
        if name in ("limit", "explain") or name == "radius_m":
            query[name] = str(schema["maximum"])
        elif name == "include_friends":
            query[name] = "true"
    return query


def _requests(app: Flask) -> Iterator[tuple[str, str, dict[str, str], set[str]]]:
    """Yield (rule, url, query, people the request is about) for every GET endpoint."""
    for r in app.url_map.iter_rules():
        if "GET" not in (r.methods or set()) or r.endpoint in STATIC:
            continue
        args = sorted(r.arguments)
        assert set(args) <= {"person_id", "other_id", "event_id"}, (r.rule, args)
        base = _most_revealing(app, r.rule)
        choices = {
            "person_id": PEOPLE,
            "other_id": PEOPLE,
            "event_id": ["conf"],
        }
        for values in itertools.product(*(choices[a] for a in args)):
            kwargs = dict(zip(args, values, strict=True))
            if kwargs.get("person_id") is not None and kwargs.get("person_id") == kwargs.get(
                "other_id"
            ):
                continue
            url = r.rule
            for name, value in kwargs.items():
                url = url.replace(f"<{name}>", value)
            about = {v for k, v in kwargs.items() if k in ("person_id", "other_id")}
            yield r.rule, url, base, about
            if "viewer" in _viewer_params(app, r.rule):
                for viewer in PEOPLE:
                    yield r.rule, url, {**base, "viewer": viewer}, about | {viewer}


def _viewer_params(app: Flask, rule: str) -> set[str]:
    doc = app.test_client().get("/openapi.json").get_json()
    op = doc["paths"].get(rule.replace("<", "{").replace(">", "}"), {}).get("get", {})
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def _check(rule: str, url: str, about: set[str], body: Any, owner: bool) -> None:
    where = f"GET {url}"
    names = _strings(body)
    for x, y in (("A", "W"), ("W", "A")):
        if x in about:
            assert y not in names, f"{where} (about {x}) names {y}: {body}"
    for pair in _pairs(body):
        ends = {pair["a"], pair["b"]}
        for x, y in (("A", "W"), ("W", "A")):
            if x in ends:
                assert y not in _strings(pair.get("mutual", [])), f"{where}: {pair}"
    if not owner:
        numbers = _numbers(body)
        assert S_LAT not in numbers and S_LON not in numbers, f"{where} shows S's coordinates"
    if "/nearby" in rule or rule.startswith("/v1/events"):
        # Named as a mutual friend is the graph speaking; as a result, it would be presence.
        shown = {item.get(k) for item in _objects(body) for k in ("id", "a", "b")}
        assert "S" not in shown, f"{where} shows S, who checked in see-only: {body}"


def test_every_get_endpoint_is_enumerated(app: Flask) -> None:
    rules = {r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or set())}
    checked = {rule for rule, _, _, _ in _requests(app)}
    for must in (
        "/v1/people/<person_id>/suggestions",
        "/v1/people/<person_id>/mutual/<other_id>",
        "/v1/people/<person_id>/nearby",
        "/v1/people/<person_id>/presence",
        "/v1/people/<person_id>/friends",
        "/v1/events/<event_id>/introductions/<person_id>",
        "/v1/events/<event_id>/top-pairs",
    ):
        assert must in checked
    skipped = {r.rule for r in app.url_map.iter_rules() if r.endpoint in STATIC}
    assert rules == checked | skipped


def test_no_endpoint_leaks_a_block_or_a_see_only_check_in_to_an_app_key(app: Flask) -> None:
    c: FlaskClient = app.test_client()
    seen = 0
    for rule, url, query, about in _requests(app):
        r = c.get(url, query_string=query, headers={"X-API-Key": READ})
        assert r.status_code < 500, (url, r.get_data(as_text=True))
        if r.status_code == 200 and r.mimetype == "application/json":
            _check(rule, url, about, r.get_json(), owner=False)
            seen += 1
    assert seen > 80


def test_mutual_between_blocked_people_names_nobody(app: Flask) -> None:
    c = app.test_client()
    for a, b in (("A", "W"), ("W", "A")):
        got = c.get(f"/v1/people/{a}/mutual/{b}", headers={"X-API-Key": READ}).get_json()
        assert got == {"count": 1, "people": [], "hidden": 1, "exact": False}
    got = c.get("/v1/people/A/mutual/V", headers={"X-API-Key": READ}).get_json()
    assert got == {"count": 2, "people": ["M"], "hidden": 1, "exact": False}


def test_suggestions_count_the_blocked_friend_but_do_not_name_them(app: Flask) -> None:
    c = app.test_client()
    r = c.get("/v1/people/A/suggestions?explain=100", headers={"X-API-Key": READ})
    found = {s["id"]: (s["mutual_count"], s["mutual"]) for s in r.get_json()["suggestions"]}
    assert found["V"] == (2, ["M"])


def test_a_see_only_check_in_is_not_readable_but_by_its_owner(app: Flask) -> None:
    c = app.test_client()
    r = c.get("/v1/people/S/presence", headers={"X-API-Key": READ})
    assert r.status_code == 404 and r.get_json()["code"] == "not_checked_in"
    r = c.get("/v1/people/S/presence", headers={"X-API-Key": WRITE})
    assert r.status_code == 404
    # A visible check-in says where (the event), but its coordinates are the owner's.
    got = c.get("/v1/people/M/presence", headers={"X-API-Key": READ}).get_json()
    assert (got["event_id"], got["lat"], got["lon"], got["visible"]) == ("conf", None, None, True)
    mine = {"Authorization": f"Bearer {mint_token('S', secret=SECRET)}"}
    got = c.get("/v1/people/S/presence", headers=mine).get_json()
    assert (got["lat"], got["lon"], got["visible"]) == (S_LAT, S_LON, False)
    theirs = {"Authorization": f"Bearer {mint_token('M', secret=SECRET)}"}
    assert c.get("/v1/people/S/presence", headers=theirs).status_code == 403


@pytest.mark.parametrize("person", PEOPLE)
def test_no_endpoint_leaks_to_a_viewer_token(app: Flask, person: str) -> None:
    c = app.test_client()
    token = {"Authorization": f"Bearer {mint_token(person, secret=SECRET)}"}
    answered = 0
    for rule, url, query, about in _requests(app):
        r = c.get(url, query_string=query, headers=token)
        assert r.status_code < 500, (url, r.get_data(as_text=True))
        if r.status_code != 200:
            assert r.status_code in (403, 404), (url, r.status_code)
            assert r.mimetype == "application/json", url
            continue
        if rule in PUBLIC:
            continue
        answered += 1
        # A token reads only its own person's data: everything it got is about them.
        assert url.startswith(f"/v1/people/{person}/") or url.endswith(f"/{person}"), url
        _check(rule, url, about, r.get_json(), owner=person == "S")
    assert answered >= 3


def test_viewer_tokens_act_for_one_person_only(app: Flask) -> None:
    c = app.test_client()
    a = {"Authorization": f"Bearer {mint_token('A', secret=SECRET)}"}
    assert c.get("/v1/people/A/suggestions", headers=a).status_code == 200
    assert c.get("/v1/people/M/suggestions", headers=a).status_code == 403
    assert c.get("/v1/people/A/mutual/V", headers=a).status_code == 200
    # Mutual lists only with people they may see: the blocked one is as if unknown.
    r = c.get("/v1/people/A/mutual/W", headers=a)
    assert r.status_code == 404 and r.get_json()["code"] == "person_not_found"
    assert c.get("/v1/people", headers=a).status_code == 403
    # Writes: only their own friendships, blocks, consent and presence.
    assert c.put("/v1/people/A/friends/V", headers=a).status_code in (200, 201)
    assert c.put("/v1/people/M/friends/V", headers=a).status_code == 403
    assert c.put("/v1/people/A/blocks/Z", headers=a).status_code in (200, 201, 204)
    assert c.put("/v1/people/A/consent", json={"discoverable": True}, headers=a).status_code < 300
    assert c.delete("/v1/people/A/presence", headers=a).status_code == 204
    assert c.delete("/v1/people/M/presence", headers=a).status_code == 403
    assert c.post("/v1/people", json={"id": "new"}, headers=a).status_code == 403
    assert c.delete("/v1/people/A", headers=a).status_code == 403


def test_bad_and_expired_tokens_are_401(app: Flask) -> None:
    c = app.test_client()
    expired = mint_token("A", secret=SECRET, ttl_s=1, now=0)
    forged = mint_token("A", secret="another-secret-0123456789abcdefghij")
    for token in (expired, forged, expired[:-2] + "xx"):
        r = c.get("/v1/people/A/suggestions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
        assert token not in r.get_data(as_text=True)

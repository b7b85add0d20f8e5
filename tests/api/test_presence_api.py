"""The presence and event endpoints through Flask's test client, over every store kind."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api import presence as presence_api
from graphmatch.presence import Presence

T0 = 1_000_000.0
EDGES = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "e")]


@pytest.fixture
def now() -> list[float]:
    return [T0]


@pytest.fixture
def app(store: gm.GraphStore, now: list[float]) -> Flask:
    app = create_app({"TESTING": True}, store=store)
    if "presence" not in app.blueprints:  # until api.app lists the blueprint itself
        app.register_blueprint(presence_api.bp)
    presence_api.init_presence(app, Presence(store, clock=lambda: now[0]))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    c = app.test_client()
    for pid in "abcdef":
        assert c.post("/v1/people", json={"id": pid}).status_code == 201
    for x, y in EDGES:
        assert c.put(f"/v1/people/{x}/friends/{y}").status_code == 201
    return c


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    return body


def test_check_in_nearby_and_check_out(client: FlaskClient, now: list[float]) -> None:
    r = client.put("/v1/people/a/presence", json={"lat": 59.91, "lon": 10.75, "ttl_s": 600})
    assert r.status_code == 200
    assert r.get_json() == {
        "id": "a",
        "lat": 59.91,
        "lon": 10.75,
        "event_id": None,
        "visible": True,
        "checked_in_at": T0,
        "expires_at": T0 + 600,
        "ttl_s": 600.0,
    }
    for pid in "ce":
        client.put(f"/v1/people/{pid}/presence", json={"lat": 59.9101, "lon": 10.75})
    r = client.get("/v1/people/a/nearby?radius_m=50&explain=1")
    assert r.status_code == 200
    assert r.get_json() == {
        "nearby": [
            {
                "id": "c",
                "score": 2.0,
                "mutual_count": 2,
                "mutual": ["b"],
                "distance_m": 11,
                "same_event": False,
                "within_radius": True,
            },
            {
                "id": "e",
                "score": 0.0,
                "mutual_count": 0,
                "mutual": [],
                "distance_m": 11,
                "same_event": False,
                "within_radius": True,
            },
        ]
    }
    assert client.get("/v1/people/a/nearby?radius_m=5").get_json() == {"nearby": []}
    assert client.delete("/v1/people/c/presence").status_code == 204
    assert client.delete("/v1/people/c/presence").status_code == 204
    error(client.get("/v1/people/c/presence"), 404, "not_checked_in")
    now[0] = T0 + 600
    error(client.get("/v1/people/a/nearby"), 404, "not_checked_in")


def test_same_order_as_rank_endpoint(client: FlaskClient) -> None:
    for pid in "abcdef":
        client.put(f"/v1/people/{pid}/presence", json={"lat": 1.0, "lon": 1.0})
    near = client.get("/v1/people/a/nearby?score=jaccard&include_friends=true").get_json()
    ranked = client.post(
        "/v1/people/a/rank",
        json={"candidates": list("bcdef"), "score": "jaccard", "include_friends": True},
    ).get_json()
    assert [(n["id"], n["score"], n["mutual"]) for n in near["nearby"]] == [
        (s["id"], s["score"], s["mutual"]) for s in ranked["suggestions"]
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"lat": 90.5, "lon": 0}, "validation_failed"),
        ({"lat": 0, "lon": -180.5}, "validation_failed"),
        ({"lat": 0, "lon": 0, "ttl_s": 59}, "validation_failed"),
        ({"lat": 0, "lon": 0, "ttl_s": 86_401}, "validation_failed"),
        ({"lat": 0, "lon": 0, "extra": 1}, "validation_failed"),
        ({"lat": 0}, "validation_failed"),
        ({"lon": 0, "event_id": "conf"}, "validation_failed"),
        ({}, "validation_failed"),
    ],
)
def test_check_in_validation(client: FlaskClient, body: dict[str, Any], code: str) -> None:
    error(client.put("/v1/people/a/presence", json=body), 422, code)


@pytest.mark.parametrize("query", ["radius_m=0.5", "radius_m=50001", "radius_m=x", "limit=0"])
def test_nearby_validation(client: FlaskClient, query: str) -> None:
    client.put("/v1/people/a/presence", json={"lat": 0, "lon": 0})
    error(client.get(f"/v1/people/a/nearby?{query}"), 422, "validation_failed")


def test_unknown_people_and_events_are_404(client: FlaskClient) -> None:
    error(client.put("/v1/people/zz/presence", json={"lat": 0, "lon": 0}), 404, "person_not_found")
    error(client.get("/v1/people/zz/nearby"), 404, "person_not_found")
    body = error(
        client.put("/v1/people/a/presence", json={"event_id": "nope"}), 404, "event_not_found"
    )
    assert body["details"] == {"event_id": "nope"}
    error(client.get("/v1/events/nope"), 404, "event_not_found")
    error(client.get("/v1/events/nope/top-pairs"), 404, "event_not_found")
    error(client.get("/v1/events/nope/introductions/a"), 404, "event_not_found")


def test_events_introductions_and_top_pairs(client: FlaskClient) -> None:
    r = client.put("/v1/events/conf", json={"name": "Conf", "lat": 52.52, "lon": 13.405})
    assert r.status_code == 200
    assert r.get_json() == {
        "id": "conf",
        "name": "Conf",
        "lat": 52.52,
        "lon": 13.405,
        "attendees": 0,
    }
    for pid in "acef":
        client.put(f"/v1/people/{pid}/presence", json={"event_id": "conf"})
    assert client.get("/v1/events/conf").get_json()["attendees"] == 4
    intro = client.get("/v1/events/conf/introductions/a").get_json()
    assert [s["id"] for s in intro["suggestions"]] == ["c", "e", "f"]
    error(client.get("/v1/events/conf/introductions/b"), 404, "not_checked_in")
    pairs = client.get("/v1/events/conf/top-pairs?limit=5").get_json()
    assert pairs == {
        "pairs": [
            {"a": "a", "b": "c", "mutual_count": 2, "mutual": ["b", "d"]},
        ]
    }
    near = client.get("/v1/people/a/nearby?radius_m=1").get_json()["nearby"]
    assert {n["id"] for n in near} == {"c", "e", "f"} and all(n["same_event"] for n in near)


def test_openapi_documents_the_presence_paths(app: Flask) -> None:
    from api.openapi import build_openapi

    groups = [(bp.url_prefix or "", bp.operations) for bp in app.blueprints.values()]  # type: ignore[attr-defined]
    doc = build_openapi(groups, dict(app.config))
    assert "/v1/people/{person_id}/nearby" in doc["paths"]
    assert "/v1/events/{event_id}/top-pairs" in doc["paths"]
    params = doc["paths"]["/v1/people/{person_id}/nearby"]["get"]["parameters"]
    radius = next(p for p in params if p["name"] == "radius_m")
    assert radius["schema"]["maximum"] == 50_000
    responses = doc["paths"]["/v1/people/{person_id}/nearby"]["get"]["responses"]
    assert "not_checked_in" in responses["404"]["description"] and "409" not in responses

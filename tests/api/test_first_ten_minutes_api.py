"""What a new user's client met in the first ten minutes over HTTP (issue 15, item 6).

One document whatever the configuration, an empty header that hides nothing, ``800.0`` as an
integer, the rules between fields written into the schema, ``/docs/``, one answer for "not
checked in", and ``nearby`` saying who is listed beyond the radius.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api.schema import Model, integer, load_query, obj, validate
from api.viewer import TOKEN_SECRET_ENV, mint_token

SECRET = "s" * 32


def document(config: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = (
        create_app(config, store=gm.MemoryStore()).test_client().get("/openapi.json").get_json()
    )
    return doc


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv(TOKEN_SECRET_ENV, SECRET)
    store = gm.MemoryStore()
    store.add_friendships([("a", "m"), ("m", "b"), ("a", "n"), ("n", "b"), ("a", "f")])
    return create_app({"TESTING": True}, store=store)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_openapi_document_is_the_same_with_or_without_keys() -> None:
    keyless = document({})
    keyed = document({"API_KEYS": "k:write"})
    assert keyless == keyed
    op = keyless["paths"]["/v1/people/{person_id}/suggestions"]["get"]
    assert {"401", "403", "421", "429", "503"} <= set(op["responses"])
    assert {"apiKey": []} in op["security"] and {} in op["security"]


@pytest.mark.parametrize(
    ("path", "method", "viewer_may"),
    [
        ("/v1/people/{person_id}/suggestions", "get", True),
        ("/v1/people/{person_id}/presence", "put", True),
        ("/v1/people", "post", False),
        ("/v1/friendships/bulk", "post", False),
    ],
)
def test_the_viewer_token_scheme_is_declared_where_a_token_may_call(
    path: str, method: str, viewer_may: bool
) -> None:
    doc = document({})
    assert doc["components"]["securitySchemes"]["viewerToken"]["bearerFormat"] == "JWT"
    security = doc["paths"][path][method]["security"]
    assert ({"viewerToken": []} in security) is viewer_may


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/v1/people", "post", "415"),
        ("/v1/people/{person_id}/presence", "delete", "415"),
        ("/v1/people/{person_id}/mutual/{other_id}", "get", "429"),
        ("/readyz", "get", "429"),
    ],
)
def test_the_refusals_under_load_and_of_web_pages_are_documented(
    path: str, method: str, status: str
) -> None:
    response = document({})["paths"][path][method]["responses"][status]
    if status == "429":
        assert "Retry-After" in response["headers"]


def test_healthz_is_never_rate_limited_so_no_429_is_documented() -> None:
    assert "429" not in document({})["paths"]["/healthz"]["get"]["responses"]


def test_an_empty_x_api_key_does_not_hide_a_valid_bearer(app: Flask) -> None:
    keyed = create_app({"API_KEYS": "good-key:read"}, store=gm.MemoryStore())
    keyed.extensions["graphmatch"].store.add_person("a")
    c = keyed.test_client()
    headers = {"Authorization": "Bearer good-key", "X-API-Key": ""}
    assert c.get("/v1/people/a", headers=headers).status_code == 200
    token = mint_token("a", secret=SECRET)
    viewer = {"Authorization": f"Bearer {token}", "X-API-Key": " "}
    assert app.test_client().get("/v1/people/a/suggestions", headers=viewer).status_code == 200


@pytest.mark.parametrize("limit", [800.0, 8e2])
def test_a_whole_number_written_as_a_float_is_an_integer_in_a_body(
    client: FlaskClient, limit: float
) -> None:
    r = client.post("/v1/people/a/rank", json={"candidates": ["b"], "limit": limit})
    assert r.status_code == 200, r.get_json()


def test_a_fraction_is_still_not_an_integer(client: FlaskClient) -> None:
    r = client.post("/v1/people/a/rank", json={"candidates": ["b"], "limit": 1.5})
    assert r.status_code == 422


@pytest.mark.parametrize(("raw", "typed"), [("800", 800), ("800.0", 800), ("8e2", 800)])
def test_a_whole_number_in_a_query_string_is_an_int_for_the_view(raw: str, typed: int) -> None:
    loaded = load_query(Model("Q", obj({"limit": integer(1, 1000)})), {"limit": raw})
    assert loaded == {"limit": typed} and type(loaded["limit"]) is int


def test_cursor_or_offset_is_a_rule_of_the_schema(client: FlaskClient) -> None:
    r = client.get("/v1/people/a/friends?offset=1&cursor=YQ")
    assert r.status_code == 422
    assert r.get_json()["details"]["errors"][0]["message"] == (
        "must not have cursor and offset together"
    )
    op = document({})["paths"]["/v1/people/{person_id}/friends"]["get"]
    assert "not cursor and offset together" in op["description"]


@pytest.mark.parametrize("schema_name", ["CheckInRequest", "EventUpdate"])
def test_lat_with_lon_is_a_rule_of_the_schema(schema_name: str) -> None:
    schema = document({})["components"]["schemas"][schema_name]
    assert schema["dependentRequired"] == {"lat": ["lon"], "lon": ["lat"]}
    assert validate({"lat": 1.0}, schema)[0].message == "is required with lat"


def test_a_check_in_needs_a_coordinate_or_an_event_in_the_schema(client: FlaskClient) -> None:
    schema = document({})["components"]["schemas"]["CheckInRequest"]
    assert schema["anyOf"] == [{"required": ["lat"]}, {"required": ["event_id"]}]
    r = client.put("/v1/people/a/presence", json={"ttl_s": 600})
    assert r.status_code == 422
    assert r.get_json()["details"]["errors"][0]["message"] == "must have lat or event_id"


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
def test_the_docs_page_answers_with_and_without_a_trailing_slash(
    client: FlaskClient, path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Content-Security-Policy" in r.headers
    page = r.get_data(as_text=True)
    # Links relative to the page (no <base>: the policy's base-uri 'none' would ignore it).
    root = "../" if path.endswith("/") else "./"
    assert f'<script src="{root}static/docs/docs.js">' in page and "<base" not in page


@pytest.mark.parametrize(
    "path", ["/v1/people/a/presence", "/v1/people/a/nearby", "/v1/events/conf/introductions/a"]
)
def test_not_checked_in_is_one_answer_everywhere(client: FlaskClient, path: str) -> None:
    client.put("/v1/events/conf", json={"name": "Conf"})
    r = client.get(path)
    assert (r.status_code, r.get_json()["code"]) == (404, "not_checked_in")


def test_nearby_says_who_is_listed_for_the_event_beyond_the_radius(client: FlaskClient) -> None:
    client.put("/v1/events/conf", json={"name": "Conf", "lat": 52.52, "lon": 13.405})
    client.put("/v1/people/a/presence", json={"event_id": "conf", "lat": 52.52, "lon": 13.405})
    # b is at the event too, about 550 m away; f is 10 m away but not at the event.
    client.put("/v1/people/b/presence", json={"event_id": "conf", "lat": 52.525, "lon": 13.405})
    client.put("/v1/people/f/presence", json={"lat": 52.52009, "lon": 13.405})
    near = client.get("/v1/people/a/nearby?radius_m=100&include_friends=true").get_json()
    rows = {n["id"]: (n["same_event"], n["within_radius"]) for n in near["nearby"]}
    assert rows == {"b": (True, False), "f": (False, True)}
    far = next(n for n in near["nearby"] if n["id"] == "b")
    assert far["distance_m"] > 100

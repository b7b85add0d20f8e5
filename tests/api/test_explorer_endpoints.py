"""The endpoints the explorer needs, on every store: people search, events, attendees, the page.

Pagination is walked to the end and must give every match exactly once, in id order; search
matches a prefix of the id (exact case) or of the name or any word of it (any case); a viewer
never sees people blocked either way with them or who opted out of discovery.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app

STATIC = Path(__file__).resolve().parents[2] / "api" / "static" / "explorer"

#: id -> name; mixed case and shared words, so prefix rules are exercised.
PEOPLE = {
    "Ann-1": "Ann Lee",
    "ann-2": "Annabel Moss",
    "bob": "Bob Anders",
    "bo": "Robert Bo",
    "carl": "Carl Lee",
    "dana": "Dana Mossley",
    "eve": "eve ANNE",
    "x10": "Xena Ten",
    "x2": "Xavier Two",
    "zed": "",
}


@pytest.fixture
def app(store: gm.GraphStore) -> Flask:
    for pid, name in PEOPLE.items():
        store.add_person(pid, {"name": name} if name else {"age": 3})
    store.add_friendships([("Ann-1", "bob"), ("bob", "carl"), ("carl", "dana"), ("dana", "eve")])
    return create_app({"TESTING": True}, store=store)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def walk(client: FlaskClient, path: str, key: str, limit: int, **params: str) -> list[Any]:
    """Follow next_cursor from the first page to the last; return every item in order."""
    items: list[Any] = []
    cursor = None
    for _ in range(100):
        args = {"limit": str(limit), **params}
        if cursor is not None:
            args["cursor"] = cursor
        r = client.get(path, query_string=args)
        assert r.status_code == 200, r.get_json()
        page = r.get_json()
        assert len(page[key]) <= limit
        items += page[key]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page[key]) == limit  # only the last page may be short
    raise AssertionError("pagination did not end")


# -- people search -------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 3, 4, 10, 11])
def test_listing_everyone_covers_each_person_exactly_once_in_id_order(
    client: FlaskClient, limit: int
) -> None:
    people = walk(client, "/v1/people", "people", limit)
    assert [p["id"] for p in people] == sorted(PEOPLE)
    by_id = {p["id"]: p for p in people}
    assert by_id["bob"] == {"id": "bob", "name": "Bob Anders", "friend_count": 2}
    assert by_id["zed"]["name"] is None  # no string name attribute


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Ann", ["Ann-1", "ann-2", "eve"]),  # id Ann-1; names Annabel and "eve ANNE", not Anders
        ("ann-", ["ann-2"]),  # ids by exact case; no name word starts with "ann-"
        ("lee", ["Ann-1", "carl"]),  # a later word of the name, any case
        ("moss", ["ann-2", "dana"]),  # "Moss" and "Mossley"
        ("bo", ["bo", "bob"]),  # ids bo and bob; "Robert Bo" has the word Bo
        ("x1", ["x10"]),
        ("Robert Bo", ["bo"]),  # the whole name is a prefix too
        ("nobody", []),
    ],
)
def test_search_matches_a_prefix_of_the_id_or_of_the_name_or_a_word_of_it(
    client: FlaskClient, q: str, expected: list[str]
) -> None:
    for limit in (1, 2, 50):
        assert [p["id"] for p in walk(client, "/v1/people", "people", limit, q=q)] == expected


def test_id_prefixes_are_exact_case_and_names_any_case(client: FlaskClient) -> None:
    ids = [p["id"] for p in walk(client, "/v1/people", "people", 5, q="ANN-")]
    assert ids == []  # no id starts with "ANN-" and no name word starts with "ann-"
    assert [p["id"] for p in walk(client, "/v1/people", "people", 5, q="Ann-")] == ["Ann-1"]
    assert [p["id"] for p in walk(client, "/v1/people", "people", 5, q="EVE")] == ["eve"]


def test_a_viewer_never_finds_blocked_or_undiscoverable_people(
    client: FlaskClient, store: gm.GraphStore
) -> None:
    store.block("carl", "bob")  # carl blocked bob
    store.block("dana", "carl")  # dana blocked carl: hidden from carl too
    store.set_consent("eve", discoverable=False)
    store.set_consent("carl", discoverable=False)  # the viewer themself stays visible to them
    for limit in (1, 2, 20):
        seen = [p["id"] for p in walk(client, "/v1/people", "people", limit, viewer="carl")]
        assert seen == sorted(set(PEOPLE) - {"bob", "dana", "eve"})
    assert [p["id"] for p in walk(client, "/v1/people", "people", 3, q="b", viewer="bob")] == [
        "bo",
        "bob",
    ]
    # Without a viewer everyone is listed (an app key's directory view).
    assert len(walk(client, "/v1/people", "people", 100)) == len(PEOPLE)


def test_search_refuses_bad_input_with_json_errors(client: FlaskClient) -> None:
    r = client.get("/v1/people?viewer=nobody")
    assert r.status_code == 404 and r.get_json()["code"] == "person_not_found"
    r = client.get("/v1/people?cursor=!!!")
    assert r.status_code == 422 and r.get_json()["code"] == "invalid_cursor"
    r = client.get("/v1/people?limit=0")
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"
    r = client.get("/v1/people?colour=red")
    assert r.status_code == 422
    assert client.post("/v1/people", json={"id": "new"}).status_code == 201  # POST still there


def test_search_sees_writes_at_once(client: FlaskClient, store: gm.GraphStore) -> None:
    store.add_person("annika", {"name": "Annika"})
    assert "annika" in [p["id"] for p in walk(client, "/v1/people", "people", 2, q="ann")]
    store.remove_person("annika")
    assert "annika" not in [p["id"] for p in walk(client, "/v1/people", "people", 2, q="ann")]


# -- events and attendees ------------------------------------------------------------------
@pytest.fixture
def events(app: Flask) -> Any:
    svc = app.extensions["graphmatch.presence.service"]
    for i in range(7):
        svc.add_event(f"ev-{i}", name=f"Event {i}")
    svc.add_event("conf", name="The Conference", lat=52.52, lon=13.40)
    for pid in ("Ann-1", "carl", "eve", "x10", "x2", "zed"):
        svc.check_in(pid, event_id="conf")
    svc.check_in("bob", event_id="conf", visible=False)  # see-only: never listed
    svc.check_in("dana", event_id="ev-3")
    return svc


@pytest.mark.parametrize("limit", [1, 3, 8, 9])
def test_listing_events_covers_each_exactly_once(
    client: FlaskClient, events: Any, limit: int
) -> None:
    found = walk(client, "/v1/events", "events", limit)
    assert [e["id"] for e in found] == sorted(["conf", *(f"ev-{i}" for i in range(7))])
    by_id = {e["id"]: e for e in found}
    assert by_id["conf"] == {
        "id": "conf",
        "name": "The Conference",
        "lat": pytest.approx(52.52),
        "lon": pytest.approx(13.40),
        "attendees": 6,
    }
    assert by_id["ev-3"]["attendees"] == 1 and by_id["ev-0"]["attendees"] == 0


def test_no_events_is_an_empty_page(client: FlaskClient) -> None:
    assert client.get("/v1/events").get_json() == {"events": [], "next_cursor": None}


@pytest.mark.parametrize("limit", [1, 2, 5, 6, 50])
def test_attendees_page_through_everyone_visibly_checked_in(
    client: FlaskClient, events: Any, limit: int
) -> None:
    found = walk(client, "/v1/events/conf/attendees", "attendees", limit)
    assert [a["id"] for a in found] == ["Ann-1", "carl", "eve", "x10", "x2", "zed"]
    assert found[0] == {"id": "Ann-1", "name": "Ann Lee", "friend_count": 1}
    page = client.get("/v1/events/conf/attendees?limit=2").get_json()
    assert page["event_id"] == "conf" and page["total"] == 6


def test_attendees_for_a_viewer_leave_out_whom_they_may_not_see(
    client: FlaskClient, events: Any, store: gm.GraphStore
) -> None:
    store.block("x2", "carl")
    store.set_consent("zed", discoverable=False)
    found = walk(client, "/v1/events/conf/attendees", "attendees", 2, viewer="carl")
    assert [a["id"] for a in found] == ["Ann-1", "carl", "eve", "x10"]
    assert client.get("/v1/events/conf/attendees?viewer=carl").get_json()["total"] == 4


def test_unknown_event_is_a_404_json_error(client: FlaskClient, events: Any) -> None:
    for path in ("/v1/events/nope/attendees", "/v1/events/nope/attendees?limit=3"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.get_json() == {
            "code": "event_not_found",
            "message": r.get_json()["message"],
            "details": {"event_id": "nope"},
        }
    r = client.get("/v1/events/conf/attendees?viewer=nobody")
    assert r.status_code == 404 and r.get_json()["code"] == "person_not_found"
    assert client.get("/v1/events?cursor=***").status_code == 422


def test_top_pairs_for_a_viewer_leave_out_people_blocked_with_them(
    client: FlaskClient, events: Any, store: gm.GraphStore
) -> None:
    # Ann-1 and carl share bob; carl and eve share dana.
    everyone = client.get("/v1/events/conf/top-pairs?explain=5").get_json()["pairs"]
    assert [(p["a"], p["b"]) for p in everyone] == [("Ann-1", "carl"), ("carl", "eve")]
    store.block("eve", "x10")
    store.block("bob", "x10")  # bob is a named mutual: hidden from x10 as a name
    seen = client.get("/v1/events/conf/top-pairs?explain=5&viewer=x10").get_json()["pairs"]
    assert seen == [{"a": "Ann-1", "b": "carl", "mutual_count": 1, "mutual": []}]
    assert client.get("/v1/events/conf/top-pairs?viewer=nobody").status_code == 404


# -- the documents: OpenAPI and the page -----------------------------------------------------
def test_the_new_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    people = doc["paths"]["/v1/people"]
    assert {"get", "post"} <= set(people)
    # The store's operations also take the Graphmatch-Bookmark header (Neo4j bookmarks).
    query = {p["name"] for p in people["get"]["parameters"] if p["in"] != "header"}
    assert query == {"q", "limit", "cursor", "viewer"}
    assert (
        "PeoplePage"
        in people["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    events = doc["paths"]["/v1/events"]["get"]
    assert {p["name"] for p in events["parameters"] if p["in"] != "header"} == {"limit", "cursor"}
    attendees = doc["paths"]["/v1/events/{event_id}/attendees"]["get"]
    assert "404" in attendees["responses"] and "422" in attendees["responses"]
    assert "/" not in doc["paths"]  # the page is not an API operation


def test_the_explorer_is_served_at_the_root_with_every_asset_it_names(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    html = r.get_data(as_text=True)
    r.close()  # a file response: close it, or its file handle outlives the test
    assets = re.findall(r'(?:src|href)="(/explorer/[^"]+)"', html)
    assert sorted(assets) == ["/explorer/explorer.css", "/explorer/explorer.js"]
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200, asset
        assert got.get_data() == (STATIC / asset.rsplit("/", 1)[-1]).read_bytes()
        got.close()
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert client.get("/explorer/missing.js").status_code == 404


def test_package_data_ships_the_explorer() -> None:
    import tomllib

    pyproject = tomllib.loads((STATIC.parents[2] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["api"]
    for asset in STATIC.iterdir():
        rel = asset.relative_to(STATIC.parent.parent).as_posix()
        assert any(Path(rel).match(g) for g in globs), f"{rel} is not package data"

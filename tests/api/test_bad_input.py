"""Bad input, as a hostile or unlucky client sends it: never a 5xx, every error body JSON.

The sweep runs on the memory store and on Neo4j; the waitress checks send raw, malformed HTTP
to a real server; the entry-point checks make the library, the loaders and the CLI refuse the
ids the URL rules cannot address (one rule: :func:`graphmatch.check_id`).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api.errors import json_server_errors

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
#: Success answers that are pages, not JSON (the docs page, the explorer, static files).
PAGES = re.compile(r"^/(docs|explorer|static)?(/|$)")
#: Path parameters of the sweep: people who exist, and an event that does not.
PARAMS = {"person_id": "a", "other_id": "b", "event_id": "ev1", "filename": "nope.txt"}

#: Ids no URL can address, with why: every entry point refuses them.
BAD_IDS = [
    "\ud800x",  # lone high surrogate (JSON "\ud800x")
    "x\udfff",  # lone low surrogate
    "a/b",
    "/",
    "a\x00b",
    "tab\there",
    "line\nbreak",
    "\x7f",
    "c1\x85",
    " ",
    "\t \u2028",
    ".",
    "..",
]
#: JSON texts for the ids above (json.dumps escapes surrogates as \\udXXX).
BAD_ID_JSON = [json.dumps(i) for i in BAD_IDS]

MALFORMED_BODIES = [
    b"{",
    b"[1,",
    b"nul",
    b"{'id': 'a'}",
    b'{"id": "a",}',
    b"NaN",
    b'{"id": NaN}',
    b'{"id": Infinity}',
    b'{"id": -Infinity}',
    b"\xff\xfe\x00",  # not UTF-8
    b'{"id": "a\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8 either
    b'{"id": "\xc3"}',  # truncated UTF-8
    b"[" * 100_000,  # nesting deep enough to break a recursive decoder
    b'"' + b"\\" * 3 + b'"',
]
WRONG_TYPES = [
    b"[]",
    b"1",
    b'"a"',
    b"true",
    b"null",
    b'{"id": ["a"]}',
    b'{"id": 1}',
    b'{"id": 1e999999}',  # decodes to inf
    b'{"id": "a", "attributes": []}',
    b'{"id": "a", "attributes": {"n": 123456789012345678901234567890}}',
    b'{"id": "a", "attributes": {"n": {"deep": 1}}}',
    b'{"id": "a", "discoverable": "yes"}',
    b'{"id": ""}',
    b'{"id": "' + b"x" * 5000 + b'"}',
]


def _store(request: pytest.FixtureRequest) -> Iterator[gm.GraphStore]:
    if request.param == "neo4j":
        neo = request.getfixturevalue("neo4j_store_session")
        neo.clear()
        yield neo
        neo.clear()
    else:
        yield gm.MemoryStore()


sweep_store = pytest.fixture(
    params=["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)], name="sweep_store"
)(_store)


@pytest.fixture
def app(sweep_store: gm.GraphStore) -> Flask:
    app = create_app({"TESTING": True}, store=sweep_store)
    client = app.test_client()
    for pid in "abcd":
        assert client.post("/v1/people", json={"id": pid}).status_code == 201
    for a, b in [("a", "c"), ("b", "c"), ("a", "d")]:
        assert client.put(f"/v1/people/{a}/friends/{b}").status_code == 201
    return app


class Sweep:
    """Sends requests, checks the two invariants on each, counts them."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.cases = 0
        self.statuses: dict[int, int] = {}

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send one request; assert no 5xx and a JSON body (pages aside); return the response."""
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body, "content_type": content_type}
        response = self.client.open(path, method=method, **kwargs)
        response.get_data()  # buffered (get_json still works), then the file behind it closed
        response.close()
        case = f"{method} {path[:80]} {body[:60] if body else body!r}"
        status = response.status_code
        self.cases += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        assert status < 500, (case, status, response.get_data()[:300])
        data = response.get_data()
        if method == "HEAD" or not data:
            return response
        page = status < 400 and PAGES.match(path.split("?", 1)[0]) is not None
        if not page:
            assert response.mimetype == "application/json", (case, status, data[:200])
            doc = json.loads(data)
            if status >= 400:
                assert set(doc) == {"code", "message", "details"}, (case, doc)
                assert isinstance(doc["code"], str) and isinstance(doc["details"], dict)
        return response

    def expect(self, status: int, method: str, path: str, body: bytes | None = None) -> Any:
        """Send one request and assert its status; return the decoded JSON body."""
        response = self.send(method, path, body)
        assert response.status_code == status, (method, path, body, response.get_json())
        return response.get_json()


def _routes(app: Flask) -> list[tuple[str, set[str]]]:
    """Every rule of the app with its path parameters filled in, and its methods."""
    out = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: PARAMS.get(m[1], "x"), rule.rule)
        out.append((path, set(rule.methods or ())))
    return sorted(out)


def test_the_bad_input_sweep_never_answers_5xx_and_always_json(app: Flask) -> None:
    sweep = Sweep(app.test_client())

    # Ids and attributes that are not valid Unicode text: 422 with the place, on every store.
    for text in (r'"\ud800x"', r'"x\udfff"', r'"\udc00\ud800"'):
        doc = sweep.expect(422, "POST", "/v1/people", f'{{"id": {text}}}'.encode())
        assert doc["details"]["errors"][0]["path"] == "/id"
        body = f'{{"id": "u1", "attributes": {{"city": {text}}}}}'.encode()
        doc = sweep.expect(422, "POST", "/v1/people", body)
        assert doc["details"]["errors"][0]["path"] == "/attributes/city"
        body = f'{{"id": "u1", "attributes": {{"tags": ["ok", {text}]}}}}'.encode()
        doc = sweep.expect(422, "POST", "/v1/people", body)
        assert doc["details"]["errors"][0]["path"] == "/attributes/tags/1"
        body = f'{{"id": "u1", "attributes": {{{text}: "v"}}}}'.encode()
        sweep.expect(422, "POST", "/v1/people", body)
        body = f'{{"friendships": [["a", {text}]]}}'.encode()
        doc = sweep.expect(422, "POST", "/v1/friendships/bulk", body)
        assert doc["details"]["errors"][0]["path"] == "/friendships/0/1"
        sweep.expect(422, "POST", "/v1/people/a/rank", f'{{"candidates": [{text}]}}'.encode())
    # A well-formed surrogate pair is one valid character (an emoji): accepted.
    sweep.expect(201, "POST", "/v1/people", rb'{"id": "smile\ud83d\ude00"}')
    sweep.expect(200, "GET", "/v1/people/smile%F0%9F%98%80")

    # Ids the URL rules cannot address: refused on create and in bulk, on every store.
    for raw in BAD_ID_JSON:
        sweep.expect(422, "POST", "/v1/people", f'{{"id": {raw}}}'.encode())
        sweep.expect(
            422, "POST", "/v1/friendships/bulk", f'{{"friendships": [["a", {raw}]]}}'.encode()
        )
    # ... and refused in paths (the same rule), or never routed at all.
    for path in ("%00", "a%0Ab", "%7F", "%20", "%09", "%2E", "%2E%2E", "%2F", "a%2Fb"):
        doc = sweep.send("GET", f"/v1/people/{path}").get_json()
        assert doc["code"] in {"validation_failed", "not_found"}, (path, doc)
    assert sweep.send("GET", "/v1/people/a/mutual/%00").status_code == 422
    # Invalid UTF-8 in a path decodes to U+FFFD (werkzeug): a valid, unknown id.
    sweep.expect(404, "GET", "/v1/people/%ED%A0%80")
    sweep.expect(422, "GET", "/v1/people/" + "x" * 300)

    # Odd paths: never a redirect page, never HTML.
    for path in (
        "/v1//people/a",
        "//v1/people/a",
        "/v1/people//friends",
        "/v1/people/a/",
        "/v1/people/a//",
        "/v1/",
        "/v1",
        "/v1/people/a/friends/",
        "/static//x",
        "/static/",
        "/openapi.json/",
        "/healthz/",
        "/%2e%2e/etc/passwd",
        "/v1/people/a/nosuch",
        "/" + "x" * 5000,
    ):
        response = sweep.send("GET", path)
        assert response.status_code in (400, 404, 405, 421), (path, response.status_code)

    # Query strings: wrong types, huge numbers, NaN, unknown names.
    for query in (
        "limit=0",
        "limit=-1",
        "limit=1e309",
        "limit=NaN",
        "limit=99999999999999999999999999",
        "limit=abc",
        "limit=",
        "score=nosuch",
        "score=%00",
        "score=%ED%A0%80",
        "explain=-1",
        "max_degree=0",
        "max_degree=1e999",
        "nosuch=1",
    ):
        sweep.expect(422, "GET", f"/v1/people/a/suggestions?{query}")
    sweep.expect(422, "GET", "/v1/people/a?limit=1")

    # Malformed JSON and wrong types on every route that takes a body.
    body_routes = [
        ("POST", "/v1/people"),
        ("POST", "/v1/friendships/bulk"),
        ("POST", "/v1/people/a/rank"),
        ("PUT", "/v1/people/a/consent"),
    ]
    for method, path in body_routes:
        for body in MALFORMED_BODIES:
            sweep.expect(400, method, path, body)
        for body in WRONG_TYPES:
            status = sweep.send(method, path, body).status_code
            assert status in (400, 413, 422), (method, path, body[:60], status)
        sweep.expect(400, method, path, b"")
        sweep.send(method, path, b'{"id": "a"}', content_type="text/plain")

    # Every method on every route, with no body and with a broken one.
    routes = _routes(app)
    assert len(routes) >= 15, routes
    for path, _ in routes:
        for method in METHODS:
            sweep.send(method, path)
            sweep.send(method, path, b"{")
        sweep.send("BREW", path)  # an unknown method: 405 from routing

    assert sweep.cases >= 150, sweep.cases
    assert not any(s >= 500 for s in sweep.statuses)


# -- waitress' own answers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """The API under a real waitress server (its JSON error task installed) on loopback."""
    import waitress

    app = create_app({"TESTING": True}, store=gm.MemoryStore())
    srv: Any = waitress.create_server(
        app, host="127.0.0.1", port=0, threads=2, max_request_header_size=8192
    )
    json_server_errors(srv)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield "127.0.0.1", int(srv.effective_port)
    srv.close()
    thread.join(timeout=10)


def _raw(address: tuple[str, int], payload: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer; return status, headers and body."""
    with socket.create_connection(address, timeout=10) as sock:
        chunks = []
        try:  # the server may answer and close before it has read everything
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # closed with unread input: what it sent before is all there is
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


RAW_REQUESTS = {
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "header without a colon": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400),
    "bare LF in a header": (b"GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400),
    "space before the colon": (b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    "bad Content-Length": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        400,
    ),
    "negative Content-Length": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    "headers too large": (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
        431,
    ),
    "bad chunk size": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
    ),
    "chunk not terminated": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd",
        400,
    ),
    "method with a control character": (b"G\x01T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    # waitress says 501; RFC 9112 6.3 asks 400 when chunked is not the final coding (gzip
    # alone), and allows it for one it does not know before chunked: 400 both ways, no 5xx.
    "unknown transfer coding": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        400,
    ),
    "unknown transfer coding before chunked": (
        b"POST /v1/people HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        400,
    ),
}


@pytest.mark.parametrize("name", sorted(RAW_REQUESTS))
def test_waitress_refuses_malformed_requests_in_json(server: tuple[str, int], name: str) -> None:
    payload, expected = RAW_REQUESTS[name]
    status, headers, body = _raw(server, payload)
    assert status == expected, (name, status, body[:200])
    assert headers["content-type"] == "application/json", (name, headers, body[:200])
    doc = json.loads(body)
    assert set(doc) == {"code", "message", "details"}
    if "transfer coding" in name:
        assert doc["code"] == "unsupported_transfer_coding"
    assert "a" * 50 not in body.decode()  # nothing of the request is echoed back at length


def test_the_app_answers_json_through_waitress_too(server: tuple[str, int]) -> None:
    host = b"Host: 127.0.0.1:%d\r\n" % server[1]  # a loopback name: the Host check passes it
    for path in (b"/v1//people/a", b"//v1/people/a", b"/v1/people/a/"):
        status, headers, _ = _raw(server, b"GET %s HTTP/1.1\r\n%s\r\n" % (path, host))
        assert (status, headers["content-type"]) == (404, "application/json"), path
    payload = b'{"id": "\\ud800x"}'
    request = (
        b"POST /v1/people HTTP/1.1\r\n%s" % host + b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
    )
    status, headers, body = _raw(server, request)
    assert status == 422 and json.loads(body)["code"] == "validation_failed"


# -- the other entry points: library, loaders, CLI ------------------------------------------------
@pytest.mark.parametrize("bad", BAD_IDS, ids=ascii)
def test_every_library_store_refuses_ids_no_url_can_address(
    bad: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stores: list[gm.GraphStore] = [
        gm.MemoryStore(),
        gm.JournaledStore(gm.MemoryStore(), tmp_path_factory.mktemp("j"), fsync=False),
    ]
    for store in stores:
        with pytest.raises(gm.InvalidInput):
            store.add_person(bad)
        with pytest.raises(gm.InvalidInput):
            store.add_friendships([("ok", bad)])
        with pytest.raises(gm.InvalidInput):
            store.add_people([("ok", {}), (bad, {})])
        assert store.counts() == (0, 0)  # refused whole: nothing was written
        store.close()
    with pytest.raises(gm.InvalidInput):
        gm.check_id(bad)


def test_attributes_must_be_valid_unicode_text_nested_too() -> None:
    store = gm.MemoryStore()
    for attrs in (
        {"\ud800": "v"},
        {"city": "\udc00"},
        {"tags": ["ok", "\ud800"]},
        {"doc": {"k": ["\udfff"]}},
        {"doc": {"\ud800": 1}},
    ):
        with pytest.raises(gm.InvalidInput, match="not valid Unicode"):
            store.add_person("p", attrs)
    assert store.counts() == (0, 0)
    assert store.add_person("p", {"city": "Zürich", "tags": ["😀"]})


@pytest.mark.neo4j
@pytest.mark.parametrize("bad", BAD_IDS, ids=ascii)
def test_neo4j_refuses_the_same_ids(bad: str, neo4j_store_session: Any) -> None:
    neo = neo4j_store_session
    neo.clear()
    with pytest.raises(gm.InvalidInput):
        neo.add_person(bad)
    with pytest.raises(gm.InvalidInput):
        neo.add_friendships([("ok", bad)])
    with pytest.raises(gm.InvalidInput):
        neo.add_person("p", {"tags": ["ok", "\ud800"]})
    assert neo.counts() == (0, 0)


@pytest.mark.parametrize("line", ["1 a/b", "1 .", "1\t..", "x\x00 2", "a,b/c"])
def test_edge_lists_with_unaddressable_ids_are_refused_with_the_line(
    line: str, tmp_path: Path
) -> None:
    suffix = ".csv" if "," in line else ".txt"
    path = tmp_path / f"g{suffix}"
    header = "u,v\n" if suffix == ".csv" else ""
    path.write_text(f"{header}1 2\n".replace(" ", "," if suffix == ".csv" else " ") + line + "\n")
    with pytest.raises(gm.ParseError) as caught:
        gm.read_edgelist(path)
    assert caught.value.line_no == (3 if suffix == ".csv" else 2)
    with pytest.raises(gm.ParseError):
        gm.MemoryStore.from_edgelist(path)


def test_the_cli_load_refuses_them_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from graphmatch.cli import main

    path = tmp_path / "g.txt"
    path.write_text("1 2\n2 a/b\n")
    assert main(["load", str(path)]) != 0
    err = capsys.readouterr().err
    assert "g.txt:2" in err and "'/'" in err

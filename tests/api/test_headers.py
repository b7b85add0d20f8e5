"""Security headers on every answer; the keyless server's Host and content-type checks."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

import graphmatch as gm
from api import create_app
from api.guard import DOCS_CSP, host_allowed


def make_app(**config: Any) -> Flask:
    return create_app({"TESTING": True, **config}, store=gm.MemoryStore())


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/v1/people/nobody", 404),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/healthz", 405),
        ("GET", "/openapi.json", 200),
    ],
)
def test_api_answers_carry_the_security_headers_and_no_store(
    method: str, path: str, status: int
) -> None:
    r = make_app().test_client().open(path, method=method)
    assert r.status_code == status
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"


def test_personal_data_is_never_cached() -> None:
    client = make_app().test_client()
    assert client.post("/v1/people", json={"id": "ann"}).status_code == 201
    r = client.get("/v1/people/ann")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"


def test_the_docs_page_allows_only_its_own_origin() -> None:
    r = make_app().test_client().get("/docs")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert csp == DOCS_CSP
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "*" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_security_headers_hold_with_keys_too() -> None:
    r = make_app(API_KEYS="k:read").test_client().get("/v1/people/x")
    assert r.status_code == 401
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


# -- Host (DNS rebinding) --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "port", "ok"),
    [
        ("localhost", None, True),
        ("localhost:8080", 8080, True),
        ("LOCALHOST:8080", 8080, True),
        ("127.0.0.1:8080", 8080, True),
        ("[::1]:8080", 8080, True),
        ("[::1]", 8080, True),
        ("localhost:8081", 8080, False),
        ("evil.example", None, False),
        ("evil.example:8080", 8080, False),
        ("127.0.0.1.evil.example:8080", 8080, False),
        ("localhost:80x", 8080, False),
        ("", 8080, False),
        ("[::2]:8080", 8080, False),
    ],
)
def test_only_loopback_names_pass_the_host_check(host: str, port: int | None, ok: bool) -> None:
    assert host_allowed(host, port) is ok


def test_a_keyless_server_refuses_a_foreign_host_with_421_json() -> None:
    app = make_app()
    app.config["PORT"] = "8080"  # what serve sets (waitress gives a string)
    client = app.test_client()
    r = client.get("/healthz", headers={"Host": "rebound.example:8080"})
    assert r.status_code == 421 and r.mimetype == "application/json"
    assert r.get_json()["code"] == "misdirected_request"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # and a write from such a page does not happen
    r = client.post("/v1/people", json={"id": "x"}, headers={"Host": "rebound.example:8080"})
    assert r.status_code == 421
    assert client.get("/v1/people/x", headers={"Host": "localhost:8080"}).status_code == 404
    assert client.get("/healthz", headers={"Host": "localhost:9999"}).status_code == 421
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8080"}).status_code == 200


def test_allowed_hosts_extend_the_loopback_names() -> None:
    client = make_app(ALLOWED_HOSTS=("graphmatch.test",)).test_client()
    assert client.get("/healthz", headers={"Host": "graphmatch.test:8443"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "other.test"}).status_code == 421


def test_allowed_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHMATCH_ALLOWED_HOSTS", "A.test, b.test")
    client = make_app().test_client()
    assert client.get("/healthz", headers={"Host": "a.test"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "b.test:1"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "c.test"}).status_code == 421


@pytest.mark.parametrize("config", [{"API_KEYS": "k:write"}, {"OPEN": True}])
def test_servers_with_keys_or_open_skip_the_loopback_checks(config: dict[str, Any]) -> None:
    client = make_app(**config).test_client()
    headers = {"Host": "api.example.com", "X-API-Key": "k"}
    assert client.get("/healthz", headers=headers).status_code == 200
    r = client.post("/v1/people", data='{"id": "t"}', content_type="text/plain", headers=headers)
    assert r.status_code != 415


# -- content type (CSRF) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_keyless_server_refuses_non_json_writes_with_415(
    method: str, content_type: str | None
) -> None:
    client = make_app().test_client()
    assert client.post("/v1/people", json={"id": "a"}).status_code == 201
    headers = {} if content_type is None else {"Content-Type": content_type}
    path = "/v1/people" if method == "POST" else "/v1/people/a/consent"
    r = client.open(path, method=method, data='{"id": "b"}', headers=headers)
    assert r.status_code == 415, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "unsupported_media_type"
    assert client.get("/v1/people/b").status_code == 404  # nothing was written


def test_json_writes_and_bodiless_writes_still_work() -> None:
    client = make_app().test_client()
    assert client.post("/v1/people", json={"id": "a"}).status_code == 201
    r = client.post(
        "/v1/people", data='{"id": "b"}', content_type="application/json; charset=utf-8"
    )
    assert r.status_code == 201
    assert client.put("/v1/people/a/friends/b").status_code == 201  # no body at all
    assert client.delete("/v1/people/a/friends/b").status_code == 204

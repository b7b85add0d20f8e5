"""Access control: read and write keys, both headers, constant-time checks, the bind rule."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

import graphmatch as gm
from api import create_app
from api.auth import KeyRing
from api.server import is_loopback, serve
from api.settings import load_settings, parse_keys

READ, WRITE = "read-key-123", "write-key-456"


@pytest.fixture
def client(store: gm.GraphStore) -> FlaskClient:
    store.add_person("a")
    store.add_person("b")
    return create_app({"API_KEYS": f"{READ}:read,{WRITE}:write"}, store=store).test_client()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_without_a_key_every_v1_call_is_401_with_a_challenge(client: FlaskClient) -> None:
    for r in (client.get("/v1/people/a"), client.put("/v1/people/a/friends/b")):
        assert r.status_code == 401
        assert r.get_json()["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_401(client: FlaskClient) -> None:
    assert client.get("/v1/people/a", headers=bearer("wrong")).status_code == 401
    assert client.get("/v1/people/a", headers={"X-API-Key": ""}).status_code == 401


def test_a_read_key_reads_by_either_header_but_cannot_write(client: FlaskClient) -> None:
    assert client.get("/v1/people/a", headers=bearer(READ)).status_code == 200
    assert client.get("/v1/people/a", headers={"X-API-Key": READ}).status_code == 200
    r = client.put("/v1/people/a/friends/b", headers=bearer(READ))
    assert r.status_code == 403
    assert r.get_json()["code"] == "forbidden"


def test_ranking_is_a_read_even_though_it_is_a_post(client: FlaskClient) -> None:
    r = client.post("/v1/people/a/rank", json={"candidates": ["b"]}, headers=bearer(READ))
    assert r.status_code == 200


def test_a_write_key_reads_and_writes(client: FlaskClient) -> None:
    assert client.put("/v1/people/a/friends/b", headers=bearer(WRITE)).status_code == 201
    assert client.get("/v1/people/a", headers={"X-API-Key": WRITE}).status_code == 200


def test_health_openapi_and_docs_need_no_key(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        r = client.get(path)
        assert r.status_code == 200, path
        r.close()


def test_keys_appear_neither_in_config_nor_in_logs(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/v1/people/a", headers=bearer(READ))
    client.get("/v1/people/a", headers=bearer("guess-" + WRITE))
    app = client.application
    assert READ not in repr(dict(app.config))
    assert WRITE not in repr(app.extensions["graphmatch"])
    assert READ not in caplog.text and WRITE not in caplog.text


def test_the_key_ring_compares_every_key() -> None:
    ring = KeyRing({"a": "read", "b": "write"})
    assert ring.scope_of("b") == "write"
    assert ring.scope_of("a") == "read"
    assert ring.scope_of("c") is None
    assert not KeyRing({}).enabled


def test_keys_come_from_the_environment_in_either_form() -> None:
    env = {"GRAPHMATCH_READ_KEYS": "r1,r2", "GRAPHMATCH_WRITE_KEYS": "w1"}
    assert load_settings(env=env)["API_KEYS"] == {"r1": "read", "r2": "read", "w1": "write"}
    env = {"GRAPHMATCH_API_KEYS": "x:read,y:write", "GRAPHMATCH_OPEN": "1"}
    settings = load_settings(env=env)
    assert settings["API_KEYS"] == {"x": "read", "y": "write"}
    assert settings["OPEN"] is True


def test_a_malformed_key_entry_is_refused_without_echoing_the_key() -> None:
    with pytest.raises(gm.InvalidInput) as info:
        parse_keys("secretvalue:admin")
    assert "secretvalue" not in str(info.value)
    with pytest.raises(gm.InvalidInput):
        load_settings(env={"GRAPHMATCH_BULK_MAX_ITEMS": "many"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("::", False), ("10.1.2.3", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts_are_recognised(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serving_beyond_loopback_without_keys_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("GRAPHMATCH_API_KEYS", "GRAPHMATCH_READ_KEYS", "GRAPHMATCH_WRITE_KEYS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("GRAPHMATCH_OPEN", raising=False)
    with pytest.raises(gm.InvalidInput, match="refusing to serve"):
        serve("0.0.0.0", 0)

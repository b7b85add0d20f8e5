"""The per-request cuts (issue 17): the same answers, headers and log lines, for less work.

The oracle is the standard library: every body :mod:`api.jsonio` writes must parse to what
``json.dumps`` (Flask's default provider) would have written, with orjson and without it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import networkx as nx
import pytest
from flask import Flask, session
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st

import graphmatch as gm
from api import accesslog, jsonio
from api.app import ApiFlask, create_app
from api.guard import add_missing
from api.routing import _bookmark_header


@contextmanager
def without_orjson(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the block as if the api extra's orjson were not installed."""
    with monkeypatch.context() as m:
        m.setattr(jsonio, "orjson", None)
        yield


def stdlib(value: Any) -> Any:
    """Return value as Flask's default provider writes it, parsed back."""
    provider = DefaultJSONProvider(Flask("oracle"))
    provider.sort_keys = False
    return json.loads(provider.dumps(value))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too: orjson refuses them, the fallback writes them
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # lone surrogates included: orjson refuses them too
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_dumps_bytes_writes_what_the_standard_library_writes(value: Any) -> None:
    out = jsonio.dumps_bytes(value, DefaultJSONProvider.default)
    assert json.loads(out) == stdlib(value)
    assert not out.endswith(b"\n")
    assert jsonio.dumps_bytes(value, newline=True) == out + b"\n"


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70, "neg": -(2**65)},
        {"s": "x\ud800y"},
        {1: "int key", "b": [1.5, 1e-7, 1e22]},
        {"when": dt.datetime(2026, 12, 1, 8, 14, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2)},
        {"u": uuid.UUID(int=7)},
        {"é": "ü", "emoji": "\U0001f600"},
    ],
)
def test_edge_values_match_the_default_provider_with_and_without_orjson(
    value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = stdlib(value)
    assert json.loads(jsonio.dumps_bytes(value, DefaultJSONProvider.default)) == expected
    with without_orjson(monkeypatch):
        fallback = jsonio.dumps_bytes(value, DefaultJSONProvider.default)
    assert json.loads(fallback) == expected


def test_dates_keep_flasks_http_format() -> None:
    when = dt.datetime(2026, 12, 1, 8, 14, 10, tzinfo=dt.UTC)
    out = jsonio.dumps_bytes({"t": when}, DefaultJSONProvider.default)
    assert json.loads(out) == {"t": "Tue, 01 Dec 2026 08:14:10 GMT"}


def test_what_neither_encoder_knows_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        jsonio.dumps_bytes({"x": object()}, DefaultJSONProvider.default)


def network() -> gm.MemoryStore:
    G = nx.barabasi_albert_graph(300, 4, seed=3)
    return gm.MemoryStore(nx.relabel_nodes(G, str))


@pytest.mark.parametrize("orjson", [True, False])
def test_suggestions_over_http_are_the_matchers(
    orjson: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = network()
    matcher = gm.Matcher(store)
    client = create_app({"TESTING": True}, store=store).test_client()
    with monkeypatch.context() as m:
        if not orjson:
            m.setattr(jsonio, "orjson", None)
        for pid in ["0", "1", "17", "299"]:
            r = client.get(f"/v1/people/{pid}/suggestions?limit=7&score=adamic_adar")
            assert r.status_code == 200 and r.mimetype == "application/json"
            assert r.data.endswith(b"}\n")
            expected = [s.as_dict() for s in matcher.suggest(pid, 7, "adamic_adar")]
            assert json.loads(r.data) == {"suggestions": expected}
            assert [tuple(s["mutual"]) for s in r.get_json()["suggestions"]] == [
                tuple(s["mutual"]) for s in expected
            ]
        # Errors are JSON through the same provider.
        r = client.get("/v1/people/nobody/suggestions")
        assert r.status_code == 404 and r.get_json()["code"] == "person_not_found"


def test_debug_answers_stay_indented() -> None:
    app = create_app({"TESTING": True}, store=gm.MemoryStore())
    app.debug = True
    body = app.test_client().get("/healthz").data
    assert body == b'{\n  "status": "ok"\n}\n'


def test_ensure_sync_asks_once_per_function(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ApiFlask("t")
    asked: list[Any] = []
    real = __import__("inspect").iscoroutinefunction

    def counting(func: Any) -> bool:
        asked.append(func)
        return real(func)

    monkeypatch.setattr("api.app.inspect.iscoroutinefunction", counting)

    def view() -> str:
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    assert asked == [view]


def test_a_coroutine_view_is_still_made_sync_as_flask_does() -> None:
    async def view() -> str:
        return "ok"

    ours, flasks = ApiFlask("a"), Flask("b")
    try:
        expected: Any = flasks.ensure_sync(view)
    except RuntimeError as exc:  # Flask's async views need the asgiref extra
        with pytest.raises(RuntimeError, match=str(exc)[:30]):
            ours.ensure_sync(view)
        return
    assert ours.ensure_sync(view) is not view and callable(expected)


def test_no_session_is_opened_and_none_can_be_written() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "s" * 32}, store=gm.MemoryStore())
    with app.test_request_context("/healthz"):
        app.preprocess_request()
        from flask.globals import request_ctx

        assert app.session_interface.is_null_session(request_ctx.session)
        with pytest.raises(RuntimeError):
            session["x"] = 1
    r = app.test_client().get("/healthz")
    assert "Set-Cookie" not in r.headers


class CausalStore(gm.MemoryStore):
    """A memory store that says it has causal scopes (as the Neo4j store does)."""

    def causal(self, bookmarks: list[str]) -> Any:  # pragma: no cover - never entered here
        raise NotImplementedError


@pytest.mark.parametrize(("store", "hooks"), [(gm.MemoryStore(), 0), (CausalStore(), 1)])
def test_the_bookmark_hook_runs_once_and_only_over_a_causal_store(
    store: gm.MemoryStore, hooks: int
) -> None:
    app = create_app({"TESTING": True}, store=store)
    every = [f for funcs in app.after_request_funcs.values() for f in funcs]
    assert every.count(_bookmark_header) == hooks


def test_add_missing_keeps_what_is_set_and_adds_in_order() -> None:
    from werkzeug.datastructures import Headers

    h = Headers([("content-type", "application/json"), ("x-frame-options", "SAMEORIGIN")])
    add_missing(h, [("X-Frame-Options", "DENY"), ("A", "1"), ("Content-Type", "x"), ("B", "2")])
    assert h.to_wsgi_list() == [
        ("content-type", "application/json"),
        ("x-frame-options", "SAMEORIGIN"),
        ("A", "1"),
        ("B", "2"),
    ]


@pytest.mark.parametrize("orjson", [True, False])
def test_access_log_lines_are_ascii_json(orjson: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {"path": "/v1/people/Ren\u00e9e\u2028x\x1b", "status": 200, "duration_ms": 0.125}
    with monkeypatch.context() as m:
        if not orjson:
            m.setattr(jsonio, "orjson", None)
        line = jsonio.dumps_line(fields)
    assert line.isascii() and "\n" not in line
    assert json.loads(line) == fields
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/\u00e9", "graphmatch.request_id": "r1"}
    logged = json.loads(accesslog._line(environ, {"status": 404}, 0.0, 12))
    assert logged["path"] == "/\u00e9" and logged["request_id"] == "r1"


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**31),
    st.sampled_from(["cn_ra", "adamic_adar", "jaccard", "common_neighbors"]),
    st.integers(0, 6),
)
def test_an_explicit_explain_takes_the_latency_path_with_the_same_answer(
    seed: int, score: str, explain: int
) -> None:
    # The HTTP view always passes explain; the matcher's pushed-down path must answer it as
    # the plain path (every score from the store's reads, no kernel) does.
    G = nx.relabel_nodes(nx.gnp_random_graph(40, 0.12, seed=seed), str)
    fast = gm.Matcher(gm.MemoryStore(G))
    plain = gm.Matcher(gm.MemoryStore(G.copy()), push_down=False)
    for pid in ["0", "7", "39"]:
        got = fast.suggest(pid, 10, score, explain=explain)
        assert got == plain.suggest(pid, 10, score, explain=explain)
        assert all(len(s.mutual) <= explain for s in got)
    with pytest.raises(gm.PersonNotFound):
        fast.suggest("nobody", 10, score, explain=explain)


def test_the_view_reaches_the_stores_suggestion_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    store = network()
    calls: list[int] = []
    real = store.top_candidates_as

    def counting(*args: Any) -> Any:
        calls.append(args[3])
        return real(*args)

    monkeypatch.setattr(store, "top_candidates_as", counting)
    client = create_app({"TESTING": True}, store=store).test_client()
    assert client.get("/v1/people/3/suggestions?explain=2").status_code == 200
    assert calls == [2]


def test_a_loaded_query_is_kept_but_never_shared() -> None:
    from api.models import SUGGESTIONS_QUERY
    from api.schema import ValidationFailed, load_query

    first = load_query(SUGGESTIONS_QUERY, {"limit": "5"})
    first["limit"] = 99
    again = load_query(SUGGESTIONS_QUERY, {"limit": "5"})
    assert again["limit"] == 5 and again is not first
    for _ in range(2):  # a refusal is not kept: it is refused again
        with pytest.raises(ValidationFailed):
            load_query(SUGGESTIONS_QUERY, {"limit": "0"})


# -- the lean path (api.lean) -------------------------------------------------------------------
def _answer(app: Flask, path: str, headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    """Return status, body and headers (less the request id) of one GET."""
    r = app.test_client().get(path, headers=headers or {})
    kept = sorted((k.lower(), v) for k, v in r.headers.items() if k.lower() != "x-request-id")
    return r.status_code, r.data, kept


def _flask_only(app: Flask) -> Flask:
    """Turn app's lean path off the way an unknown hook does (a hook without a twin)."""
    app.before_request(lambda: None)
    return app


def _pair(**config: Any) -> tuple[Flask, Flask]:
    store = network()
    make = lambda: create_app({"TESTING": True, **config}, store=store)  # noqa: E731
    return make(), _flask_only(make())


LEAN_CASES = [
    "/v1/people/5/suggestions",
    "/v1/people/5/suggestions?limit=3&score=jaccard&explain=1",
    "/v1/people/5/suggestions?limit=3&limit=9",  # the first value wins, as in werkzeug
    "/v1/people/5/suggestions?max_degree=40",
    "/v1/people/nobody/suggestions",  # 404 from Flask after the lean path gave up
    "/v1/people/5/suggestions?limit=0",  # 422
    "/v1/people/5/suggestions?limit=abc",
    "/v1/people/5/suggestions?color=red",
    "/v1/people/5/suggestions?score=nope",
    "/v1/people/5/suggestions?limit=%33",  # escapes: Flask's parsing
    "/v1/people/5/suggestions?limit=3&",
    "/v1/people/5/suggestions/",
    "/v1/people/%C3%A9/suggestions",
    "/v1/people/5/suggestions?explain=200",
]


@pytest.mark.parametrize("path", LEAN_CASES)
def test_the_lean_path_answers_as_flask_does(path: str) -> None:
    lean, flask_only = _pair()
    assert _answer(lean, path) == _answer(flask_only, path)
    assert flask_only.extensions["graphmatch.lean"].served == 0


def test_plain_suggestion_reads_take_the_lean_path_and_others_do_not() -> None:
    app, _ = _pair()
    client, lean = app.test_client(), app.extensions["graphmatch.lean"]
    assert client.get("/v1/people/5/suggestions?limit=3").status_code == 200
    assert lean.served == 1
    for request in [
        lambda: client.get("/v1/people/5/suggestions?limit=%33"),
        lambda: client.head("/v1/people/5/suggestions"),
        lambda: client.get("/v1/people/5/suggestions", headers={"Graphmatch-Min-Position": "0"}),
        lambda: client.get("/v1/people/5/suggestions", data=b"{}"),
        lambda: client.get("/v1/people/nobody/suggestions"),
        lambda: client.get("/v1/people/5/friends"),
    ]:
        request()
    assert lean.served == 1


def test_a_hook_without_a_twin_turns_the_lean_path_off() -> None:
    app, _ = _pair()
    ran: list[str] = []
    app.before_request(lambda: ran.append("hook") and None)
    assert app.test_client().get("/v1/people/5/suggestions").status_code == 200
    assert ran == ["hook"] and app.extensions["graphmatch.lean"].served == 0


def test_keys_are_checked_and_failures_counted_once_on_the_lean_path() -> None:
    config = {"API_KEYS": "good:read", "AUTH_FAILURES_PER_MIN": 3}
    lean, flask_only = _pair(**config)
    for app in (lean, flask_only):
        client = app.test_client()
        ok = client.get("/v1/people/5/suggestions", headers={"X-API-Key": "good"})
        assert ok.status_code == 200
        statuses = [
            client.get("/v1/people/5/suggestions", headers={"X-API-Key": "bad"}).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
    assert lean.extensions["graphmatch.lean"].served == 1


def test_a_request_flask_finishes_takes_its_rate_token_once() -> None:
    # Capacity 3 (1/s for 3 s); four 404s: the fourth is refused, not the second.
    config = {"RATE_PER_ADDRESS": 1, "RATE_BURST_S": 3, "RATE_LIMIT_LOOPBACK": True}
    lean, _ = _pair(**config)
    client = lean.test_client()
    statuses = [client.get("/v1/people/nobody/suggestions").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_a_shed_request_is_refused_on_the_lean_path_too() -> None:
    from api.limits import clear_shed, mark_shed

    app, _ = _pair()
    mark_shed("queue_wait")
    try:
        r = app.test_client().get("/v1/people/5/suggestions")
    finally:
        clear_shed()
    assert r.status_code == 503 and r.get_json()["details"] == {"reason": "queue_wait"}


def test_the_host_check_holds_on_the_lean_path() -> None:
    lean, flask_only = _pair()
    for app in (lean, flask_only):
        app.config["PORT"] = 8080
    for host in ["127.0.0.1:8080", "evil.example:8080", "localhost:9"]:
        headers = {"Host": host}
        path = "/v1/people/5/suggestions"
        assert _answer(lean, path, headers) == _answer(flask_only, path, headers)
    assert lean.extensions["graphmatch.lean"].served == 1


def test_a_writer_worker_answers_with_its_position_on_the_lean_path(tmp_path: Any) -> None:
    from api.workers import WorkerRole
    from graphmatch.stores import JournaledStore

    apps = []
    for name in ("lean", "flask"):
        store = JournaledStore(gm.MemoryStore(), tmp_path / name)
        store.add_friendships([("a", "b"), ("b", "c"), ("c", "d")])
        app = create_app({"TESTING": True}, store=store)
        WorkerRole(index=0, kind="writer", sockets=[], public_port=0).install(app, store)
        apps.append(app if name == "lean" else _flask_only(app))
    try:
        got = [_answer(app, "/v1/people/a/suggestions") for app in apps]
        position = str(apps[0].extensions["graphmatch"].store.position)
    finally:
        for app in apps:
            app.extensions["graphmatch"].store.close()
    assert got[0] == got[1]
    assert ("graphmatch-worker", "0") in got[0][2]
    assert ("graphmatch-position", position) in got[0][2]
    assert apps[0].extensions["graphmatch.lean"].served == 1

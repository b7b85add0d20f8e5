"""Rate limits (429), shedding (503) and the access log, through Flask's test client."""

from __future__ import annotations

import json
import logging
import math
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

import graphmatch as gm
from api import create_app
from api.accesslog import request_id
from api.limits import TokenBuckets, clear_shed, mark_shed
from api.settings import load_settings

KEY = "the-good-key-7c1"
PUBLIC = {"REMOTE_ADDR": "203.0.113.9"}


def make_app(**config: Any) -> Flask:
    return create_app({"TESTING": True, **config}, store=gm.MemoryStore())


def assert_429(r: Any, limit: str) -> None:
    assert r.status_code == 429, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"code", "message", "details"} and body["code"] == "rate_limited"
    assert body["details"]["limit"] == limit
    retry = int(r.headers["Retry-After"])
    assert retry >= 1 and body["details"]["retry_after_s"] == retry


# -- the bucket ------------------------------------------------------------------------------
def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    now = [100.0]
    b = TokenBuckets(rate=2.0, capacity=4.0, clock=lambda: now[0])
    assert [b.take("x") for _ in range(4)] == [0.0] * 4
    assert b.take("x") == pytest.approx(0.5)
    assert b.take("y") == 0.0  # keys are independent
    now[0] += 0.5
    assert b.take("x") == 0.0
    assert b.take("x") > 0
    now[0] += 100
    assert [b.take("x") for _ in range(4)] == [0.0] * 4  # refills to capacity, not beyond
    assert b.take("x") > 0


def test_a_refused_take_spends_nothing_and_the_table_is_bounded() -> None:
    now = [0.0]
    b = TokenBuckets(rate=1.0, capacity=1.0, max_keys=3, clock=lambda: now[0])
    assert b.take("x") == 0.0
    for _ in range(10):
        assert b.take("x") == pytest.approx(1.0)
    now[0] += 1.0
    assert b.take("x") == 0.0  # waiting as told is enough
    for k in "abcdef":
        b.take(k)
    assert len(b._buckets) == 3


def test_a_zero_rate_bucket_never_refills() -> None:
    b = TokenBuckets(rate=0.0, capacity=1.0)
    assert b.take("x") == 0.0
    assert math.isinf(b.take("x"))


# -- limits through the app ------------------------------------------------------------------
def test_an_address_over_its_rate_gets_429_with_retry_after() -> None:
    client = make_app(RATE_PER_ADDRESS=5.0, RATE_BURST_S=2.0).test_client()
    codes = [client.get("/v1/people/x", environ_base=PUBLIC).status_code for _ in range(10)]
    assert codes == [404] * 10  # a burst of rate x 2 seconds
    assert_429(client.get("/v1/people/x", environ_base=PUBLIC), "address")
    # another address is not held back, and /healthz always answers
    assert (
        client.get("/v1/people/x", environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code == 404
    )
    assert client.get("/healthz", environ_base=PUBLIC).status_code == 200


def test_loopback_is_exempt_from_the_address_limit_unless_asked() -> None:
    client = make_app(RATE_PER_ADDRESS=1.0, RATE_BURST_S=1.0).test_client()
    assert {client.get("/v1/people/x").status_code for _ in range(20)} == {404}
    strict = make_app(RATE_PER_ADDRESS=1.0, RATE_BURST_S=1.0, RATE_LIMIT_LOOPBACK=True)
    client = strict.test_client()
    assert client.get("/v1/people/x").status_code == 404
    assert_429(client.get("/v1/people/x"), "address")


def test_a_key_over_its_rate_gets_429_wherever_it_comes_from() -> None:
    app = make_app(API_KEYS=f"{KEY}:read,other:read", RATE_PER_KEY=3.0, RATE_BURST_S=1.0)
    client = app.test_client()
    for n in range(3):
        addr = {"REMOTE_ADDR": f"198.51.100.{n}"}
        assert (
            client.get("/v1/people/x", headers={"X-API-Key": KEY}, environ_base=addr).status_code
            == 404
        )
    r = client.get(
        "/v1/people/x",
        headers={"Authorization": f"Bearer {KEY}"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert_429(r, "key")
    assert client.get("/v1/people/x", headers={"X-API-Key": "other"}).status_code == 404
    # the limiter keeps digests, never the key
    assert KEY not in repr(app.extensions["graphmatch.limits"]["key"]._buckets)


def test_a_person_over_the_viewer_rate_gets_429_however_many_tokens_they_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.viewer import TOKEN_SECRET_ENV, mint_token

    secret = "v" * 32
    monkeypatch.setenv(TOKEN_SECRET_ENV, secret)
    app = make_app(RATE_PER_VIEWER=3.0, RATE_BURST_S=1.0)
    app.extensions["graphmatch"].store.add_friendships([("a", "b"), ("c", "b")])
    client = app.test_client()
    tokens = [mint_token("a", secret=secret, ttl_s=60 + n) for n in range(4)]
    assert len(set(tokens)) == 4
    codes = [
        client.get(
            "/v1/people/a/suggestions",
            headers={"Authorization": f"Bearer {t}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n, t in enumerate(tokens)
    ]
    assert codes == [200, 200, 200, 429]
    r = client.get("/v1/people/a/suggestions", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert_429(r, "viewer")
    other = {"Authorization": f"Bearer {mint_token('c', secret=secret)}"}
    assert client.get("/v1/people/c/suggestions", headers=other).status_code == 200
    # A bad token is not counted for anyone: it is the wrong-key limit's (401) to count.
    bad = {"Authorization": f"Bearer {tokens[0][:-2]}xx"}
    assert client.get("/v1/people/c/suggestions", headers=bad).status_code == 401


def test_wrong_keys_are_throttled_per_address() -> None:
    client = make_app(API_KEYS=f"{KEY}:read", AUTH_FAILURES_PER_MIN=10.0).test_client()
    codes = [
        client.get("/v1/people/x", headers={"X-API-Key": f"guess-{i}"}).status_code
        for i in range(2000)
    ]
    assert codes[:10] == [401] * 10
    assert codes.count(401) == 10 and codes.count(429) == 1990
    r = client.get("/v1/people/x", headers={"X-API-Key": "guess"})
    assert_429(r, "auth_failures")
    assert int(r.headers["Retry-After"]) <= 6
    # The guessing address is refused even with the right key; others are not.
    assert client.get("/v1/people/x", headers={"X-API-Key": KEY}).status_code == 429
    other = {"REMOTE_ADDR": "192.0.2.44"}
    assert (
        client.get("/v1/people/x", headers={"X-API-Key": KEY}, environ_base=other).status_code
        == 404
    )
    assert client.get("/healthz").status_code == 200


def test_limits_are_settings_from_the_environment() -> None:
    env = {
        "GRAPHMATCH_RATE_PER_ADDRESS": "7.5",
        "GRAPHMATCH_RATE_PER_KEY": "0",
        "GRAPHMATCH_AUTH_FAILURES_PER_MIN": "12",
        "GRAPHMATCH_RATE_LIMIT_LOOPBACK": "1",
        "GRAPHMATCH_MAX_QUEUE": "9",
        "GRAPHMATCH_MAX_CONNECTIONS": "123",
        "GRAPHMATCH_IDLE_TIMEOUT_S": "4",
        "GRAPHMATCH_ACCESS_LOG": "off",
    }
    s = load_settings(env=env)
    assert (s["RATE_PER_ADDRESS"], s["RATE_PER_KEY"], s["AUTH_FAILURES_PER_MIN"]) == (7.5, 0, 12)
    assert s["RATE_LIMIT_LOOPBACK"] is True
    assert (s["MAX_QUEUE"], s["MAX_CONNECTIONS"], s["IDLE_TIMEOUT_S"]) == (9, 123, 4)
    assert s["ACCESS_LOG"] == "off"
    with pytest.raises(gm.InvalidInput):
        load_settings(env={"GRAPHMATCH_MAX_QUEUE": "-1"})
    with pytest.raises(gm.InvalidInput):
        load_settings(env={"GRAPHMATCH_RATE_PER_KEY": "lots"})


def test_a_zero_rate_turns_the_limit_off() -> None:
    client = make_app(RATE_PER_ADDRESS=0, RATE_LIMIT_LOOPBACK=True).test_client()
    assert {client.get("/v1/people/x").status_code for _ in range(300)} == {404}


# -- shedding --------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["queue_full", "queue_wait", "connections"])
def test_a_shed_request_gets_503_json_at_once_and_health_does_not(reason: str) -> None:
    client = make_app().test_client()
    mark_shed(reason)
    try:
        r = client.post("/v1/people", json={"id": "never"})
        assert r.status_code == 503
        body = r.get_json()
        assert body["code"] == "overloaded" and body["details"] == {"reason": reason}
        assert int(r.headers["Retry-After"]) >= 1
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get("/healthz").status_code == 200
    finally:
        clear_shed()
    assert client.get("/v1/people/never").status_code == 404  # the shed write did nothing


class FakeChannel:
    """What the dispatcher needs of a waitress channel: service() and an over_cap flag."""

    def __init__(self, over_cap: bool = False, path: str = "/v1/people/a") -> None:
        self.over_cap = over_cap
        self.seen: list[str | None] = []
        self.requests = [SimpleNamespace(command="GET", path=path)]

    def service(self) -> None:
        from api.limits import shed_reason

        self.seen.append(shed_reason())

    def cancel(self) -> None:
        pass


def _run_queued(dispatcher: Any) -> None:
    while dispatcher.queue:
        dispatcher.queue.popleft().service()


def test_the_dispatcher_sheds_past_its_queue_bound_and_its_wait_bound() -> None:
    from api.limits import shed_reason
    from api.overload import SheddingDispatcher

    d = SheddingDispatcher()  # no threads: the test drains the queue itself
    d.max_queue, d.max_wait_s = 2, 60.0
    channels = [FakeChannel(), FakeChannel(), FakeChannel(), FakeChannel(over_cap=True)]
    for c in channels:
        d.add_task(c)
    _run_queued(d)
    assert [c.seen for c in channels] == [[None], [None], ["queue_full"], ["connections"]]
    assert shed_reason() is None  # the mark does not outlive its request
    d.max_wait_s = -1.0  # every wait is over it
    late = FakeChannel()
    d.add_task(late)
    _run_queued(d)
    assert late.seen == ["queue_wait"]


def test_the_wait_bound_counts_from_the_requests_first_byte_not_from_its_queueing() -> None:
    import time

    from api.overload import SheddingDispatcher

    d = SheddingDispatcher()
    d.max_wait_s = 0.5
    slow_to_read, fresh = FakeChannel(), FakeChannel()
    # Its first byte came 0.6 s ago (the loop took that long to read and parse it).
    slow_to_read.requests[0].graphmatch_arrived = time.monotonic() - 0.6
    fresh.requests[0].graphmatch_arrived = time.monotonic()
    d.add_task(slow_to_read)
    d.add_task(fresh)
    _run_queued(d)
    assert slow_to_read.seen == ["queue_wait"] and fresh.seen == [None]


def test_the_server_stamps_each_parsed_request_with_its_first_bytes_time() -> None:
    import socket
    import time

    from api.overload import GuardedChannel

    a, b = socket.socketpair()
    try:
        server = SimpleNamespace(
            add_task=lambda channel: None,
            adj=None,
            active_channels={},
            pull_trigger=lambda: None,
        )
        from waitress.adjustments import Adjustments

        server.adj = Adjustments()
        channel = GuardedChannel(server, a, ("127.0.0.1", 1), server.adj, map={})
        before = time.monotonic()
        channel.received(b"GET /v1/people/a HTTP/1.1\r\nHo")
        time.sleep(0.05)
        channel.received(b"st: x\r\n\r\n")
        (parsed,) = channel.requests
        assert before <= parsed.graphmatch_arrived <= before + 0.04  # the first byte's time
        channel.del_channel({})
    finally:
        a.close()
        b.close()


def test_probes_and_refusals_take_turns_with_requests_instead_of_queueing_behind_them() -> None:
    from api.overload import SheddingDispatcher

    d = SheddingDispatcher()
    d.max_queue = 3
    order: list[str] = []
    work = [FakeChannel() for _ in range(3)]
    probes = [FakeChannel(path="/healthz") for _ in range(3)]
    refused = FakeChannel()  # arrives with the queue full
    for n, c in enumerate(work):
        c.service = lambda n=n: order.append(f"work{n}")  # type: ignore[method-assign]
        d.add_task(c)
    for n, c in enumerate(probes):
        c.service = lambda n=n: order.append(f"probe{n}")  # type: ignore[method-assign]
        d.add_task(c)
    refused.service = lambda: order.append("refused")  # type: ignore[method-assign]
    d.add_task(refused)
    _run_queued(d)
    # Quick answers alternate with real work, each lane in its own arrival order.
    assert order == ["probe0", "work0", "probe1", "work1", "probe2", "work2", "refused"]


# -- access log ------------------------------------------------------------------------------
def test_request_ids_are_taken_when_well_formed_and_made_otherwise() -> None:
    assert request_id({"HTTP_X_REQUEST_ID": "abc-123.x:y_z"}) == "abc-123.x:y_z"
    made = {request_id({"HTTP_X_REQUEST_ID": bad}) for bad in ["", "a b", "x" * 129, "é", "a\n"]}
    assert len(made) == 5 and all(len(m) == 32 for m in made)


def test_each_request_is_one_json_line_with_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    client = make_app(API_KEYS=f"{KEY}:write").test_client()
    caplog.set_level(logging.INFO, logger="graphmatch.access")
    r = client.get(
        "/v1/people/x?cursor=tok3n-in-query",
        headers={"Authorization": f"Bearer {KEY}", "X-Request-Id": "req-1"},
    )
    assert r.headers["X-Request-Id"] == "req-1"
    r.get_data()  # the line is written once the body is sent
    r = client.get("/v1/people/x", headers={"X-API-Key": "wr0ng-key"})
    r.get_data()
    assert r.status_code == 401 and len(r.headers["X-Request-Id"]) == 32
    lines = [
        json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "graphmatch.access"
    ]
    assert len(lines) == 2
    first, second = lines
    assert first["request_id"] == "req-1" and first["path"] == "/v1/people/x"
    assert first["method"] == "GET" and first["remote"] == "127.0.0.1"
    assert isinstance(first["duration_ms"], float) and first["status"] == 422
    assert second["status"] == 401 and second["request_id"] == r.headers["X-Request-Id"]
    text = caplog.text
    assert KEY not in text and "wr0ng" not in text and "tok3n" not in text


# -- fewer system calls per answer -----------------------------------------------------------
def _serve_counting_sends(app: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[bytes]]:
    """Start api.overload's server for app on a free port, recording every send."""
    import threading

    import waitress.wasyncore as wasyncore

    from api.overload import create_server

    sent: list[bytes] = []
    original = wasyncore.dispatcher.send

    def send(self: Any, data: bytes, do_close: bool = True) -> int:
        sent.append(bytes(data))
        result: int = original(self, data, do_close)
        return result

    monkeypatch.setattr(wasyncore.dispatcher, "send", send)
    server = create_server(app, "127.0.0.1", 0, 2, load_settings({}))
    threading.Thread(target=server.run, daemon=True).start()
    return server, sent


def test_a_sized_answer_goes_out_in_one_send_and_a_streamed_one_still_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.client

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/sized":
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", "7")]
            )
            return iter([b'{"a":1}'])
        start_response("200 OK", [("Content-Type", "text/plain")])  # no length: chunked
        return iter([b"one", b"two"])

    server, sent = _serve_counting_sends(app, monkeypatch)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        for _ in range(3):
            conn.request("GET", "/sized")
            answer = conn.getresponse()
            assert answer.read() == b'{"a":1}' and answer.getheader("Content-Length") == "7"
        sized = list(sent)
        # waitress alone sends the header and the body apart: six sends for three answers.
        assert len(sized) == 3 and all(s.startswith(b"HTTP/1.1 200") for s in sized)
        assert all(s.endswith(b'\r\n\r\n{"a":1}') for s in sized)
        conn.request("GET", "/streamed")
        answer = conn.getresponse()
        assert answer.read() == b"onetwo" and answer.getheader("Transfer-Encoding") == "chunked"
    finally:
        server.close()


# -- the loop while workers answer -----------------------------------------------------------
def test_a_channel_whose_answer_a_worker_is_sending_does_not_ask_for_room_to_write() -> None:
    import socket

    from waitress.adjustments import Adjustments

    from api.overload import GuardedChannel

    a, b = socket.socketpair()
    try:
        server = SimpleNamespace(
            add_task=lambda channel: None,
            adj=Adjustments(),
            active_channels={},
            pull_trigger=lambda: None,
        )
        channel = GuardedChannel(server, a, ("127.0.0.1", 1), server.adj, map={})
        channel.received(b"GET /v1/people/a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert channel.requests  # a worker answers it
        channel.total_outbufs_len = 10  # the bytes that worker is sending now
        assert not channel.writable()  # waitress' own channel: 10, so poll, spin
        channel.total_outbufs_len = server.adj.outbuf_high_watermark + 1
        assert channel.writable()  # the worker waits for the loop to make room
        channel.total_outbufs_len = 10
        channel.will_close = True
        assert channel.writable()  # to close it
        channel.will_close = False
        channel.requests = []  # answered: what is left goes out from the loop
        assert channel.writable()
        channel.total_outbufs_len = 0
        assert not channel.writable()
        channel.del_channel({})
    finally:
        a.close()
        b.close()


def test_the_loop_does_not_spin_while_a_worker_sends_and_large_answers_arrive_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.client
    import threading
    import time

    import waitress.wasyncore as wasyncore

    big = b"x" * (4 << 20)  # more than a socket's buffer: the worker sends part of it

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/sized":
            start_response("200 OK", [("Content-Length", "7")])
            return [b'{"a":1}']
        if environ["PATH_INFO"] == "/big":
            start_response("200 OK", [("Content-Length", str(len(big)))])
            return [big]
        start_response("200 OK", [("Content-Type", "text/plain")])  # chunked
        return (big[i : i + 65536] for i in range(0, len(big), 65536))

    server, _ = _serve_counting_sends(app, monkeypatch)
    loop = next(t for t in threading.enumerate() if getattr(t, "_target", None) == server.run)
    original_send = wasyncore.dispatcher.send
    write_turns = [0]

    def slow_send(self: Any, data: bytes, do_close: bool = True) -> int:
        if threading.current_thread() is not loop:
            # A worker, its out-buffer lock held, waiting as if for the GIL, while other
            # connections wake the loop (here: the trigger).
            server.pull_trigger()
            time.sleep(0.05)
        result: int = original_send(self, data, do_close)
        return result

    original_event = wasyncore.dispatcher.handle_write_event

    def counted(self: Any) -> None:
        write_turns[0] += 1
        original_event(self)

    monkeypatch.setattr(wasyncore.dispatcher, "send", slow_send)
    monkeypatch.setattr(wasyncore.dispatcher, "handle_write_event", counted)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=20)
        for _ in range(3):
            conn.request("GET", "/sized")
            assert conn.getresponse().read() == b'{"a":1}'
        # waitress' own channel: the loop reports the socket writable and turns again at
        # once for as long as each send takes (thousands of turns for these three answers).
        assert write_turns[0] <= 3
        monkeypatch.setattr(wasyncore.dispatcher, "send", original_send)
        for path in ("/big", "/streamed"):
            conn.request("GET", path)
            answer = conn.getresponse()
            time.sleep(0.2)  # let the socket fill: the rest waits in the out buffer
            assert answer.read() == big
    finally:
        server.close()

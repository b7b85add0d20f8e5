"""Flood drills against a real ``graphmatch serve`` process on loopback.

Idle sockets, slow clients, a connection cap, a bounded flood of 256 clients, a wrong-key flood,
and the access log it writes. Every drill is bounded in count and time and stops by itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import ROOT, serve_command

GOOD_KEY = "drill-good-key-3f9a"


class FloodServer:
    """A ``graphmatch serve`` process on a free loopback port; its stderr is read as it comes."""

    def __init__(self, env_extra: dict[str, str] | None = None, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
        env.update(env_extra or {})
        self.proc = subprocess.Popen(
            [*serve_command(), "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.stderr: list[str] = []
        # Drain stderr all along: a full pipe would stall the server's log writer.
        self._drain = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._drain.start()
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.stop()
            raise AssertionError(f"server did not start: {line!r} {''.join(self.stderr)!r}")
        self.base = line.strip().rsplit(" ", 1)[-1]
        host_port = self.base.removeprefix("http://")
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.stderr.append(line)

    def connection(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(
        self, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0
    ) -> tuple[int, dict[str, str], Any]:
        conn = self.connection(timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), json.loads(response.read())
        finally:
            conn.close()

    def post(self, path: str, body: Any) -> int:
        conn = self.connection()
        try:
            headers = {"Content-Type": "application/json", "X-API-Key": GOOD_KEY}
            conn.request("POST", path, body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self._drain.join(timeout=5)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def start() -> Iterator[Any]:
    """Start servers for a test; stop them all when it ends."""
    started: list[FloodServer] = []

    def run(env: dict[str, str] | None = None, *args: str) -> FloodServer:
        server = FloodServer(env, *args)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def enough_files() -> None:
    """Let this process hold the sockets a drill opens."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))


def seed_people(server: FloodServer) -> None:
    """A small graph where ``a`` has suggestions: a-b, a-c, b-d, c-d, b-e."""
    for pid in "abcde":
        assert server.post("/v1/people", {"id": pid}) == 201
    assert (
        server.post(
            "/v1/friendships/bulk",
            {"friendships": [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"], ["b", "e"]]},
        )
        == 200
    )


def open_idle(server: FloodServer, n: int) -> list[socket.socket]:
    """Open n TCP connections that never send a byte."""
    return [socket.create_connection((server.host, server.port), timeout=10) for _ in range(n)]


def test_a_thousand_idle_sockets_leave_health_and_suggestions_answered(start: Any) -> None:
    server = start({"GRAPHMATCH_API_KEYS": f"{GOOD_KEY}:write"})
    seed_people(server)
    idle = open_idle(server, 1000)
    try:
        time.sleep(0.5)  # let the server accept them all
        status, _, body = server.get("/healthz", timeout=10)
        assert (status, body) == (200, {"status": "ok"})
        status, _, body = server.get(
            "/v1/people/a/suggestions?limit=5", {"X-API-Key": GOOD_KEY}, timeout=10
        )
        assert status == 200
        assert [s["id"] for s in body["suggestions"]] == ["d", "e"]
    finally:
        for s in idle:
            s.close()


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """Return whether the server closes sock within seconds (sending trickle bit by bit)."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.25)
    sent = 0
    while time.monotonic() < deadline:
        if sent < len(trickle):
            try:
                sock.send(trickle[sent : sent + 1])
            except OSError:
                return True
            sent += 1
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_idle_and_slow_clients_are_disconnected(start: Any) -> None:
    server = start({"GRAPHMATCH_IDLE_TIMEOUT_S": "1", "GRAPHMATCH_REQUEST_TIMEOUT_S": "1"})
    idle = socket.create_connection((server.host, server.port), timeout=10)
    slow = socket.create_connection((server.host, server.port), timeout=10)
    try:
        # Headers that never finish: a byte every quarter second keeps the socket "active".
        loris = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"X-Slow: " + b"a" * 200
        assert _closed_within(slow, 8, trickle=loris), "a slow request was not cut off"
        assert _closed_within(idle, 8), "an idle connection was not closed"
        assert server.get("/healthz")[0] == 200
    finally:
        idle.close()
        slow.close()


def test_past_the_connection_cap_requests_get_503_and_health_still_answers(start: Any) -> None:
    server = start({"GRAPHMATCH_MAX_CONNECTIONS": "40"})
    idle = open_idle(server, 60)
    try:
        time.sleep(0.5)
        status, headers, body = server.get("/v1/people/nobody")
        assert status == 503, body
        assert body["code"] == "overloaded" and body["details"]["reason"] == "connections"
        assert int(headers["Retry-After"]) >= 1
        assert headers.get("Connection", "").lower() == "close"
        assert server.get("/healthz")[:3:2] == (200, {"status": "ok"})
    finally:
        for s in idle:
            s.close()
    # Once the idle sockets are gone, requests are served again.
    time.sleep(0.5)
    assert server.get("/v1/people/nobody")[0] == 404


#: The flood's length and each client's read timeout. A client left in the backlog behind the
#: others' keep-alive connections (waitress' old cap of 100) waits for the whole flood, so it
#: times out; 8 s leaves room for a loaded 2-core CI machine, where 2 of 2,842 answers once
#: took over 4 s (the measured figures are benchmarks/bench_flood.py's, not this test's).
FLOOD_S = 10
FLOOD_CLIENT_TIMEOUT_S = 8


def _flood_client(server: FloodServer, until: float, results: list[Any], lock: Any) -> None:
    """Send requests on one keep-alive connection until the deadline; record each outcome."""
    conn = server.connection(timeout=FLOOD_CLIENT_TIMEOUT_S)
    paths = ["/v1/people/a/suggestions?limit=5", "/healthz"]
    n = 0
    while time.monotonic() < until:
        path = paths[n % 2]
        n += 1
        started = time.monotonic()
        try:
            conn.request("GET", path, headers={"X-API-Key": GOOD_KEY})
            response = conn.getresponse()
            raw = response.read()
            kind = response.getheader("Content-Type", "")
            outcome = (path, response.status, kind, raw, time.monotonic() - started)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = server.connection(timeout=FLOOD_CLIENT_TIMEOUT_S)
        except (OSError, http.client.HTTPException) as exc:
            outcome = (path, None, type(exc).__name__, b"", time.monotonic() - started)
            conn.close()
            conn = server.connection(timeout=FLOOD_CLIENT_TIMEOUT_S)
        with lock:
            results.append(outcome)
    conn.close()


@pytest.mark.parametrize(
    "env",
    [{}, {"GRAPHMATCH_MAX_QUEUE": "4", "GRAPHMATCH_RATE_PER_KEY": "0"}],
    ids=["defaults", "short-queue"],
)
def test_a_flood_of_256_clients_gets_every_request_answered(
    start: Any, env: dict[str, str]
) -> None:
    server = start({"GRAPHMATCH_API_KEYS": f"{GOOD_KEY}:write", **env})
    seed_people(server)
    results: list[Any] = []
    lock = threading.Lock()
    # The flood outlasts the clients' timeout: a client kept waiting behind the others'
    # connections (waitress' old cap of 100) times out instead of being answered at the end.
    until = time.monotonic() + FLOOD_S
    clients = [
        threading.Thread(target=_flood_client, args=(server, until, results, lock))
        for _ in range(256)
    ]
    for t in clients:
        t.start()
    for t in clients:
        t.join(timeout=FLOOD_S + 2 * FLOOD_CLIENT_TIMEOUT_S)
    assert not any(t.is_alive() for t in clients)
    failed = [r for r in results if r[1] is None]
    assert not failed, f"{len(failed)} of {len(results)} got no answer, e.g. {failed[:3]}"
    statuses = {r[1] for r in results}
    assert statuses <= {200, 429, 503}, statuses
    assert all(r[2] == "application/json" and json.loads(r[3]) for r in results)
    assert any(r[1] == 200 and r[0].startswith("/v1/") for r in results)
    # /healthz is never shed.
    assert all(r[1] == 200 for r in results if r[0] == "/healthz")
    refused = [json.loads(r[3]) for r in results if r[1] == 503]
    assert all(b["code"] == "overloaded" for b in refused)
    if env:  # a queue of 4 for 256 clients: the bound is reached, and answered at once
        assert any(b["details"]["reason"] == "queue_full" for b in refused)


def test_a_wrong_key_flood_is_throttled_and_the_log_keeps_no_secret(start: Any) -> None:
    server = start({"GRAPHMATCH_API_KEYS": f"{GOOD_KEY}:read"})
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(w: int) -> None:
        conn = server.connection()
        for i in range(500):
            conn.request("GET", "/v1/people/a", headers={"X-API-Key": f"wrong-{w}-{i}-k3y"})
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    workers = [threading.Thread(target=guess, args=(w,)) for w in range(4)]
    started = time.monotonic()
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=60)
    assert len(statuses) == 2000
    assert set(statuses) <= {401, 429}
    # At most a minute's allowance of wrong keys is even checked; the rest is refused at once.
    assert statuses.count(401) <= 31 + int(time.monotonic() - started), statuses.count(401)
    status, headers, body = server.get("/v1/people/a", {"X-API-Key": "one-more-wrong"})
    assert status == 429 and body["details"]["limit"] == "auth_failures"
    assert int(headers["Retry-After"]) >= 1
    # /healthz answers an address that is throttled.
    assert server.get("/healthz")[0] == 200
    # A request brings its own id (echoed and logged); a query string never reaches the log.
    status, headers, _ = server.get(
        "/healthz?token=s3cret-query-value", {"X-Request-Id": "drill-42", "X-API-Key": GOOD_KEY}
    )
    assert headers["X-Request-Id"] == "drill-42" and status == 422  # healthz takes no query
    server.stop()
    lines = [json.loads(line) for line in server.stderr if line.startswith("{")]
    assert len(lines) >= 2000
    text = "".join(server.stderr)
    assert "k3y" not in text and GOOD_KEY not in text and "s3cret" not in text
    assert all(
        set(line) >= {"method", "path", "status", "duration_ms", "request_id", "remote"}
        for line in lines
    )
    drill = [line for line in lines if line["request_id"] == "drill-42"]
    assert drill and drill[0]["path"] == "/healthz" and drill[0]["status"] == 422
    assert {line["status"] for line in lines} >= {401, 429}


def test_the_keyless_server_refuses_foreign_hosts_and_non_json_writes(start: Any) -> None:
    server = start()
    conn = server.connection()
    with contextlib.closing(conn):
        conn.request("GET", "/healthz", headers={"Host": f"rebound.example:{server.port}"})
        response = conn.getresponse()
        assert response.status == 421 and json.loads(response.read())["code"]
        conn.request("GET", "/healthz", headers={"Host": f"localhost:{server.port + 1}"})
        response = conn.getresponse()
        assert response.status == 421, "the wrong port passed"
        response.read()
        conn.request(
            "POST", "/v1/people", body='{"id": "x"}', headers={"Content-Type": "text/plain"}
        )
        response = conn.getresponse()
        assert response.status == 415
        assert json.loads(response.read())["code"] == "unsupported_media_type"
        conn.request(
            "POST", "/v1/people", body='{"id": "x"}', headers={"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        assert response.status == 201
        response.read()


def test_allowed_hosts_come_from_the_environment(start: Any) -> None:
    server = start({"GRAPHMATCH_ALLOWED_HOSTS": "graphmatch.test"})
    status, _, _ = server.get("/healthz", {"Host": f"graphmatch.test:{server.port}"})
    assert status == 200
    assert server.get("/healthz", {"Host": "other.test"})[0] == 421

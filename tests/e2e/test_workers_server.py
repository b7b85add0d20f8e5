"""``graphmatch serve --workers 2`` over a data dir: one writer, one follower, one socket."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.server import ROOT, Server, serve_command, serve_env, server_starter

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="finds workers through /proc")


@pytest.fixture
def start() -> Iterator[Callable[..., Server]]:
    yield from server_starter(timeout=20)


def call(
    server: Server, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request on a new connection (so the kernel may give it to either worker)."""
    url = urlsplit(server.base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=20)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(
            method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, dict(answer.getheaders()), json.loads(raw) if raw else None
    finally:
        conn.close()


def workers(server: Server) -> dict[str, int]:
    """Return the worker processes' pids by kind (writer, follower)."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    out = {}
    for child in children:
        spec = json.loads(Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[-2])
        out[spec["kind"]] = int(child)
    return out


def read_everywhere(server: Server, path: str, position: str) -> dict[str, Any]:
    """Read path with Graphmatch-Min-Position until both workers answered; their answers."""
    seen: dict[str, Any] = {}
    deadline = time.monotonic() + 120  # a bounded wait: a restarted worker loads first
    while time.monotonic() < deadline:  # new connections go to either worker
        try:
            status, headers, body = call(
                server, "GET", path, headers={"Graphmatch-Min-Position": position}
            )
        except OSError:  # a worker killed or just restarted: its queued connections reset
            time.sleep(0.05)
            continue
        assert status == 200, (status, body)
        seen[headers["Graphmatch-Worker"]] = body
        if len(seen) == 2:
            return seen
        time.sleep(0.01)
    raise AssertionError(f"only worker(s) {sorted(seen)} answered in 120 s")


def test_a_write_is_read_back_from_every_worker(
    start: Callable[..., Server], tmp_path: Path
) -> None:
    server = start(tmp_path, "--workers", "2", "--access-log", "off")
    vias = set()
    for i in range(40):  # writes land on either worker; the follower forwards its share
        status, headers, _ = call(server, "POST", "/v1/people", {"id": f"p{i}"})
        assert status == 201
        assert headers["Graphmatch-Worker"] == "0"  # the writer answered
        vias.add(headers.get("Graphmatch-Via"))
    assert "1" in vias, "no write came through the follower"
    for _ in range(20):  # presence and events are the writer's, reads included
        status, headers, _ = call(server, "GET", "/v1/events")
        assert status == 200 and headers["Graphmatch-Worker"] == "0"
    status, headers, _ = call(server, "PUT", "/v1/people/p0/friends/p1")
    assert status in (200, 201)
    position = headers["Graphmatch-Position"]
    seen = read_everywhere(server, "/v1/people/p0/friends", position)
    assert all(body["friends"] == ["p1"] for body in seen.values()), seen


def test_min_position_is_checked(start: Callable[..., Server], tmp_path: Path) -> None:
    server = start(tmp_path, "--workers", "2", "--access-log", "off")
    status, _, body = call(server, "GET", "/healthz", headers={"Graphmatch-Min-Position": "x"})
    assert status == 400 and body["code"] == "invalid_position"
    status, headers, body = call(
        server, "GET", "/v1/people/nobody", headers={"Graphmatch-Min-Position": "999"}
    )
    assert status == 503 and body["code"] == "behind" and headers["Retry-After"] == "1"


def test_killed_workers_lose_no_acknowledged_write(
    start: Callable[..., Server], tmp_path: Path
) -> None:
    server = start(tmp_path, "--workers", "2", "--access-log", "off")
    pairs = [("a", "b"), ("b", "c"), ("c", "d")]
    for a, b in pairs:
        for pid in (a, b):
            call(server, "POST", "/v1/people", {"id": pid})
        status, headers, _ = call(server, "PUT", f"/v1/people/{a}/friends/{b}")
        assert status == 201
    position = headers["Graphmatch-Position"]
    before = workers(server)
    os.kill(before["writer"], signal.SIGKILL)
    os.kill(before["follower"], signal.SIGKILL)
    deadline = time.monotonic() + 120  # a bounded wait for the parent to start both again
    status = 0
    while time.monotonic() < deadline:
        try:  # refused while no worker listens, 503 while the writer is down
            status, headers, _ = call(server, "PUT", "/v1/people/a/friends/d")
        except OSError:
            time.sleep(0.05)
            continue
        if status != 503:
            break
    assert status == 201, status
    seen = read_everywhere(server, "/v1/people/a/friends", headers["Graphmatch-Position"])
    for body in seen.values():
        assert body["friends"] == ["b", "d"]
    assert int(headers["Graphmatch-Position"]) > int(position)
    after = workers(server)
    assert set(after.values()).isdisjoint(before.values())
    assert server.stop(signal.SIGTERM) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in after.values())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--workers", "2"], "--workers needs --data-dir"),
    ],
)
def test_bad_workers_is_one_line(extra: list[str], message: str) -> None:
    done = subprocess.run(
        [*serve_command(), "--port", "0", "--store", "memory", *extra],
        cwd=ROOT,
        env=serve_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr

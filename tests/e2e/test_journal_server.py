"""The real server on a damaged or restarted data dir: refuse, recover, keep presence, demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graphmatch.stores.journal import HEADER_BYTES, JOURNAL

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}


def _command(data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "graphmatch", "serve", "--port", "0", "--data-dir", str(data_dir),
            "--store", "memory", *extra]  # fmt: skip


class Server:
    """One ``graphmatch serve`` process on a free loopback port."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            _command(data_dir, *extra),
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "graphmatch: serving ... on http://host:port"
        if "http://" not in line:
            self.proc.kill()
            _, errors = self.proc.communicate(timeout=20)
            raise AssertionError(f"server did not start: {line!r} {errors!r}")
        self.base = line.strip().rsplit(" ", 1)[-1]
        self.stderr = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def stop(self, sig: int) -> int:
        """Send sig, wait for the end, keep stderr; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        _, self.stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start servers for a test; any still running when it ends (a failed test) is killed."""
    started: list[Server] = []

    def start(data_dir: Path, *extra: str) -> Server:
        server = Server(data_dir, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.returncode is None:
            server.stop(signal.SIGKILL)


def test_a_truncated_journal_refuses_to_serve_and_recover_serves_what_is_left(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    for i in range(40):
        assert first.call("POST", "/v1/people", {"id": f"p{i}"})[0] == 201
    assert first.stop(signal.SIGTERM) == 0
    journal = data / JOURNAL
    size = journal.stat().st_size
    with open(journal, "r+b") as f:
        f.truncate(HEADER_BYTES + (size - HEADER_BYTES) // 2)

    refused = subprocess.run(
        _command(data), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "http://" not in refused.stdout
    errors = refused.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert "journal.jsonl is truncated" in errors[0] and "--recover" in errors[0]

    second = start_server(data, "--recover")
    assert second.call("GET", "/v1/people/p0")[0] == 200
    assert second.call("GET", "/v1/people/p39")[0] == 404
    assert second.call("POST", "/v1/people", {"id": "after"})[0] == 201
    assert second.stop(signal.SIGTERM) == 0
    assert "recovered with loss" in second.stderr and "write(s) lost" in second.stderr
    third = start_server(data)  # recovery left a directory that opens without --recover
    assert third.call("GET", "/v1/people/after")[0] == 200
    assert third.stop(signal.SIGTERM) == 0


def test_check_ins_and_events_survive_a_sigkill(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    for pid in ("a", "b"):
        assert first.call("POST", "/v1/people", {"id": pid})[0] == 201
    event = {"name": "Conf", "lat": 52.52, "lon": 13.405}
    assert first.call("PUT", "/v1/events/conf", event)[0] in (200, 201)
    here = {"lat": 52.52, "lon": 13.405, "event_id": "conf", "ttl_s": 3600}
    assert first.call("PUT", "/v1/people/a/presence", here)[0] == 200
    assert first.call("PUT", "/v1/people/b/presence", here)[0] == 200
    assert first.call("DELETE", "/v1/people/b/presence")[0] == 204
    first.stop(signal.SIGKILL)
    second = start_server(data)
    status, body = second.call("GET", "/v1/events/conf")
    assert status == 200 and body["name"] == "Conf" and body["attendees"] == 1
    assert second.call("GET", "/v1/people/a/presence")[0] == 200
    assert second.call("GET", "/v1/people/b/presence")[0] == 404
    assert second.stop(signal.SIGTERM) == 0


def test_the_demo_event_is_there_after_every_start(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    data = tmp_path / "data"
    demo = ("--demo", "--demo-people", "200")
    first = start_server(data, *demo)
    status, body = first.call("GET", "/v1/events/event-1")
    assert status == 200 and body["attendees"] > 0
    attendees = body["attendees"]
    assert first.stop(signal.SIGTERM) == 0
    second = start_server(data, *demo)  # from the durable presence file
    assert second.call("GET", "/v1/events/event-1") == (200, body)
    assert second.stop(signal.SIGTERM) == 0
    (data / "presence.jsonl").unlink()  # presence lost (or expired): the event is re-created
    third = start_server(data, *demo)
    status, again = third.call("GET", "/v1/events/event-1")
    assert status == 200 and again["attendees"] == attendees
    assert third.stop(signal.SIGTERM) == 0
    (data / "presence.jsonl").unlink()
    # Another demo size names people this store does not hold: serve anyway, without the event.
    fourth = start_server(data, "--demo", "--demo-people", "5000")
    assert fourth.call("GET", "/v1/events/event-1")[0] == 404
    assert fourth.stop(signal.SIGTERM) == 0
    assert "demo: no event" in fourth.stderr

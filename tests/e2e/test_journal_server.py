"""The real server on a damaged or restarted data dir: refuse, recover, keep presence, demo."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graphmatch.stores.journal import HEADER_BYTES, JOURNAL
from tests.support.server import ROOT, Server, serve_command, serve_env, server_starter


def _command(data_dir: Path, *extra: str) -> list[str]:
    return [*serve_command(), "--port", "0", "--data-dir", str(data_dir), "--store", "memory",
            *extra]  # fmt: skip


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start servers for a test; any still running when it ends (a failed test) is killed."""
    # A restart on a damaged data dir replays the journal first: reads get a longer bound.
    yield from server_starter(timeout=30.0)


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
        _command(data), cwd=ROOT, env=serve_env(), capture_output=True, text=True, timeout=60
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

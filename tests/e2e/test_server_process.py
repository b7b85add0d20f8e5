"""The real server: write over HTTP, kill it (SIGTERM, SIGKILL), restart, find every write."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.server import ROOT, Server, serve_command, server_starter


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Start servers for a test; any still running when it ends (a failed test) is killed."""
    yield from server_starter()


def write_until_killed(server: Server, sig: int) -> tuple[set[str], set[tuple[str, str]]]:
    """Write people and friendships from two threads; kill the server mid-stream.

    Returns the writes the server acknowledged (a 2xx reply arrived) before it died.
    """
    people: set[str] = set()
    friendships: set[tuple[str, str]] = set()
    lock = threading.Lock()
    enough = threading.Event()

    def writer(w: int) -> None:
        previous = None
        for i in range(100_000):
            pid = f"w{w}-{i}"
            try:
                status, _ = server.call("POST", "/v1/people", {"id": pid, "attributes": {"i": i}})
                if status == 201:
                    with lock:
                        people.add(pid)
                if previous is not None:
                    status, _ = server.call("PUT", f"/v1/people/{previous}/friends/{pid}")
                    if status in (200, 201):
                        with lock:
                            friendships.add((previous, pid))
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                return  # the server is gone (maybe halfway through a reply)
            previous = pid
            if len(people) >= 60:
                enough.set()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    enough.wait(timeout=60)
    server.stop(sig)  # while both writers are still going
    for t in threads:
        t.join(timeout=30)
    return people, friendships


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_every_acknowledged_write_survives_the_server_being_killed(
    data_dir: Path, sig: int, start_server: Callable[..., Server]
) -> None:
    first = start_server(data_dir)
    status, _ = first.call("POST", "/v1/people", {"id": "anchor"})
    assert status == 201
    people, friendships = write_until_killed(first, sig)
    assert len(people) >= 60

    second = start_server(data_dir)
    try:
        assert second.call("GET", "/v1/people/anchor")[0] == 200
        for pid in people:
            status, body = second.call("GET", f"/v1/people/{pid}")
            assert status == 200, pid
            assert body["attributes"]["i"] == int(pid.split("-")[1])
        for a, b in friendships:
            status, body = second.call("GET", f"/v1/people/{a}/mutual/{b}")
            assert status == 200
            page = second.call("GET", f"/v1/people/{a}/friends?limit=1000")[1]
            assert b in page["friends"], (a, b)
        # and the restarted server takes writes again
        assert second.call("POST", "/v1/people", {"id": "after"})[0] == 201
    finally:
        assert second.stop(signal.SIGTERM) == 0
    third = start_server(data_dir)
    try:
        assert third.call("GET", "/v1/people/after")[0] == 200
    finally:
        third.stop(signal.SIGTERM)


def test_a_sigterm_shuts_the_server_down_cleanly(
    data_dir: Path, start_server: Callable[..., Server]
) -> None:
    server = start_server(data_dir)
    assert server.call("GET", "/readyz") == (200, {"status": "ready"})
    assert server.stop(signal.SIGTERM) == 0


def test_serving_on_all_interfaces_without_keys_exits_with_an_explanation(
    data_dir: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMATCH_")}
    done = subprocess.run(
        [*serve_command(), "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--open" in done.stderr


def test_a_demo_start_points_at_the_page_its_event_and_its_best_pair(
    data_dir: Path, start_server: Callable[..., Server]
) -> None:
    server = start_server(data_dir, "--demo", "--demo-people", "300")
    assert server.proc.stdout is not None
    story = server.proc.stdout.readline()  # the line after "serving ... on http://..."
    _, pairs = server.call("GET", "/v1/events/event-1/top-pairs?limit=1")
    best = pairs["pairs"][0]
    assert story.startswith(f"graphmatch: explorer: open {server.base}/ - at ")
    assert f"#{best['a']} and " in story and f"#{best['b']}, " in story
    assert story.rstrip().endswith(f"{best['mutual_count']} friends in common")
    assert server.stop(signal.SIGTERM) == 0


def test_the_rate_limit_options_apply_to_the_running_server(
    data_dir: Path, start_server: Callable[..., Server]
) -> None:
    server = start_server(
        data_dir, "--rate-per-address", "1", "--rate-burst-s", "1", "--rate-limit-loopback"
    )
    codes = [server.call("GET", "/readyz")[0] for _ in range(3)]
    assert codes[0] == 200 and 429 in codes[1:]
    assert server.call("GET", "/healthz")[0] == 200  # probes are never limited
    assert server.stop(signal.SIGTERM) == 0

"""docker-compose.cluster.yml and N API replicas over one routing URI, as far as no Docker allows.

Without Docker or Neo4j Enterprise no cluster can be formed here: the file is parsed and its
rules checked (three members that discover each other, replicas over ``neo4j://``, the keys and
the licence required), and its api command runs as two replicas over the local server through a
``neo4j://`` URI: a write through one is read through the other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.compose import MissingVariable, service
from tests.support.neo4j import neo4j_settings, with_scheme

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "docker-compose.cluster.yml"
KEYS = "drill-read:read,drill-write:write"
ENV = {"NEO4J_ACCEPT_LICENSE_AGREEMENT": "yes", "GRAPHMATCH_API_KEYS": KEYS}
MEMBERS = ("neo4j1", "neo4j2", "neo4j3")


def test_the_cluster_file_refuses_to_start_without_keys_or_the_licence() -> None:
    for missing in ENV:
        env = {k: v for k, v in ENV.items() if k != missing}
        for name in ("api", *MEMBERS):
            try:
                service(CLUSTER, name, env)
            except MissingVariable as exc:
                assert missing in str(exc)
                break
        else:
            raise AssertionError(f"compose would start without {missing}")


def test_three_members_discover_each_other_and_advertise_their_names() -> None:
    endpoints = set()
    for name in MEMBERS:
        _, env = service(CLUSTER, name, ENV)
        assert env["NEO4J_server_default__advertised__address"] == name
        assert env["NEO4J_initial_dbms_default__primaries__count"] == "3"
        assert env["NEO4J_AUTH"].startswith("neo4j/")
        endpoints.add(env["NEO4J_dbms_cluster_discovery_v2_endpoints"])
    assert endpoints == {",".join(f"{m}:6000" for m in MEMBERS)}  # the same list everywhere
    doc: dict[str, Any] = yaml.safe_load(CLUSTER.read_text())
    for name in MEMBERS:
        assert doc["services"][name]["image"] == "neo4j:5.26-enterprise"
        assert doc["services"][name]["healthcheck"]["test"]


def test_the_replicas_run_the_single_server_command_over_a_routing_uri() -> None:
    single, _ = service(ROOT / "docker-compose.yml", "api", ENV)
    command, env = service(CLUSTER, "api", ENV)
    assert command == single  # one command; only the URI and the count differ
    assert env["NEO4J_URI"].startswith("neo4j://") and env["GRAPHMATCH_API_KEYS"] == KEYS
    doc: dict[str, Any] = yaml.safe_load(CLUSTER.read_text())
    api = doc["services"]["api"]
    assert api["deploy"]["replicas"] >= 2
    assert set(api["depends_on"]) == set(MEMBERS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replica:
    """The api service's command, run here against the local server by a routing URI."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        port = _free_port()
        args = list(command[1:])
        args[args.index("--port") + 1] = str(port)
        args[args.index("--host") + 1] = "127.0.0.1"  # no need to listen beyond loopback here
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graphmatch", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            _, errors = self.proc.communicate(timeout=30)
            raise AssertionError(f"a replica did not start: {line!r} {errors}")
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=30)


@pytest.fixture
def replicas(neo4j_store_session: Any) -> Iterator[Callable[[], Replica]]:
    neo4j_store_session.clear()
    command, env = service(CLUSTER, "api", ENV)
    uri, (user, password) = neo4j_settings()
    assert uri is not None
    env.update(NEO4J_URI=with_scheme(uri, "neo4j"), NEO4J_USER=user, NEO4J_PASSWORD=password)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    started: list[Replica] = []

    def start() -> Replica:
        started.append(Replica(command, {**base, **env}))
        return started[-1]

    yield start
    for replica in started:
        replica.stop()


def test_two_replicas_over_one_routing_uri_share_every_write(
    replicas: Callable[[], Replica],
) -> None:
    a, b = replicas(), replicas()
    read, write = "drill-read", "drill-write"
    for replica in (a, b):
        assert replica.call("GET", "/readyz", read) == (200, {"status": "ready"})
    pairs = [["u", "w"], ["w", "v"], ["u", "z"], ["z", "v"], ["w", "t"]]
    assert a.call("POST", "/v1/friendships/bulk", write, {"friendships": pairs})[0] == 200
    # Written through a, read through b (and back): the replicas keep no state of their own.
    found = b.call("GET", "/v1/people/u/suggestions", read)[1]["suggestions"]
    assert [(s["id"], s["mutual_count"]) for s in found] == [("v", 2), ("t", 1)]
    assert b.call("PUT", "/v1/people/u/dismissals/v", write)[0] == 201
    found = a.call("GET", "/v1/people/u/suggestions", read)[1]["suggestions"]
    assert [s["id"] for s in found] == ["t"]

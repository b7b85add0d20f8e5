"""``graphmatch serve --workers 2 --store neo4j``: stateless workers over one Neo4j."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.e2e.test_neo4j_outage import DrillNeo4j, drill_neo4j  # noqa: F401 - the fixture
from tests.e2e.test_workers_server import call, workers
from tests.support.server import ROOT, Server, serve_command, serve_env

pytestmark = pytest.mark.neo4j


class NeoServer(Server):
    """``serve --workers 2 --store neo4j`` on a free port (no data dir)."""

    def __init__(self, uri: str) -> None:
        self.timeout = 20.0
        self.stderr = ""
        cmd = [*serve_command(), "--port", "0", "--store", "neo4j", "--workers", "2"]
        self.proc = subprocess.Popen(
            [*cmd, "--access-log", "off"],
            cwd=ROOT,
            env={**serve_env(), "NEO4J_URI": uri},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            _, errors = self.proc.communicate(timeout=20)
            raise AssertionError(f"server did not start: {line!r} {errors!r}")
        self.base = line.strip().rsplit(" ", 1)[-1]


def test_stateless_workers_share_one_neo4j(drill_neo4j: DrillNeo4j) -> None:  # noqa: F811
    server = NeoServer(drill_neo4j.uri)
    try:
        assert set(workers(server)) == {"stateless"}
        for pid in ("wa", "wb"):
            assert call(server, "POST", "/v1/people", {"id": pid})[0] == 201
        status, headers, _ = call(server, "PUT", "/v1/people/wa/friends/wb")
        assert status == 201 and "Graphmatch-Position" not in headers
        seen = {}
        for _ in range(400):  # new connections go to either worker
            status, headers, body = call(server, "GET", "/v1/people/wb/friends")
            assert status == 200 and body["friends"] == ["wa"], body
            seen[headers["Graphmatch-Worker"]] = True
            if len(seen) == 2:
                break
        assert set(seen) == {"0", "1"}
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0, server.stderr

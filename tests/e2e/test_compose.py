"""docker-compose.yml, checked as far as a machine without Docker can.

The api service's command runs as a subprocess with the service's environment, its variables
substituted as compose would (``${VAR:-default}``, ``${VAR:?message}``), NEO4J_URI pointed at
the local test Neo4j, and must reach ``/readyz``. Without the keys compose must refuse to start,
and the command itself must refuse 0.0.0.0 (why compose asks for them).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.compose import MissingVariable, service
from tests.support.neo4j import neo4j_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def api_service(env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Return the api service's command and environment, interpolated with env."""
    return service(COMPOSE, "api", env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _executable(command: list[str]) -> list[str]:
    """Run the image's `graphmatch` as this checkout's (the venv's script, else -m)."""
    assert command[0] == "graphmatch", command
    script = Path(sys.executable).parent / "graphmatch"
    head = [str(script)] if script.is_file() else [sys.executable, "-m", "graphmatch"]
    return head + command[1:]


def _with_port(command: list[str], port: int) -> list[str]:
    """The command with its --port value replaced (8000 may be taken on a shared machine)."""
    out = list(command)
    out[out.index("--port") + 1] = str(port)
    return out


@pytest.fixture
def compose_env() -> dict[str, str]:
    """What a user exports before `docker compose up`, with the local Neo4j's password."""
    _, (_, password) = neo4j_settings()
    return {"NEO4J_PASSWORD": password, "GRAPHMATCH_API_KEYS": "drill-read:read,drill-write:write"}


def test_compose_refuses_to_start_without_api_keys(compose_env: dict[str, str]) -> None:
    env = {k: v for k, v in compose_env.items() if k != "GRAPHMATCH_API_KEYS"}
    with pytest.raises(MissingVariable, match="GRAPHMATCH_API_KEYS"):
        api_service(env)
    with pytest.raises(MissingVariable):
        api_service({**env, "GRAPHMATCH_API_KEYS": ""})  # ":?" refuses empty too


def test_the_command_without_keys_refuses_0000_which_is_why_compose_requires_them(
    compose_env: dict[str, str],
) -> None:
    command, environment = api_service(compose_env)
    environment.pop("GRAPHMATCH_API_KEYS")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    done = subprocess.run(
        _executable(_with_port(command, _free_port())),
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "GRAPHMATCH_API_KEYS" in done.stderr


def test_the_image_installs_the_extras_the_service_needs() -> None:
    text = DOCKERFILE.read_text()
    installs = re.findall(r"^RUN pip install (.+)$", text, flags=re.MULTILINE)
    assert any(re.search(r"\.\[[^\]]*\bapi\b[^\]]*\]", i) for i in installs), installs
    assert any(re.search(r"\.\[[^\]]*\bneo4j\b[^\]]*\]", i) for i in installs), installs
    command, _ = api_service({"GRAPHMATCH_API_KEYS": "k:read"})
    assert command[:2] == ["graphmatch", "serve"] and "--store" in command
    assert command[command.index("--store") + 1] == "neo4j"
    doc = yaml.safe_load(COMPOSE.read_text())
    assert "/readyz" in " ".join(doc["services"]["api"]["healthcheck"]["test"])


@pytest.fixture
def served(compose_env: dict[str, str], neo4j_store_session: Any) -> Iterator[tuple[str, str]]:
    """The api service's command, running against the local Neo4j; yields (base URL, stderr)."""
    command, environment = api_service(compose_env)
    assert environment["NEO4J_URI"] == "bolt://neo4j:7687"  # the compose network's name...
    uri, (user, _) = neo4j_settings()
    assert uri is not None
    environment["NEO4J_URI"] = uri  # ... is the local test server here
    environment["NEO4J_USER"] = user
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    proc = subprocess.Popen(
        _executable(_with_port(command, port)),
        cwd=ROOT,
        env={**base, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "graphmatch: serving ... on http://0.0.0.0:PORT"
        if "http://" not in line:
            proc.kill()
            _, errors = proc.communicate(timeout=30)
            raise AssertionError(f"the api service's command did not start: {line!r} {errors}")
        yield f"http://127.0.0.1:{port}", line
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=30)


def _get(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_api_services_command_reaches_readyz_on_neo4j(served: tuple[str, str]) -> None:
    base, line = served
    assert "0.0.0.0" in line, line
    assert _get(f"{base}/readyz") == (200, {"status": "ready"})
    # Keys are on: no key, 401; the read key from GRAPHMATCH_API_KEYS reads.
    assert _get(f"{base}/v1/people/nobody")[0] == 401
    status, body = _get(f"{base}/v1/people/nobody", {"X-API-Key": "drill-read"})
    assert (status, body["code"]) == (404, "person_not_found")

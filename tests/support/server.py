"""A real ``graphmatch serve`` process on a free loopback port, for the end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def serve_command() -> list[str]:
    """Return ``graphmatch serve``, the command a user runs, in this interpreter."""
    return [sys.executable, "-m", "graphmatch", "serve"]


def serve_env() -> dict[str, str]:
    """Return this environment without graphmatch's and Neo4j's settings (memory, keyless)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}


class Server:
    """One ``graphmatch serve --data-dir`` process; ``timeout`` bounds each request's read."""

    def __init__(self, data_dir: Path, *extra: str, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.stderr = ""
        self.proc = subprocess.Popen(
            [*serve_command(), "--port", "0", "--data-dir", str(data_dir), *extra],
            cwd=ROOT,
            env=serve_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "graphmatch: serving ... on http://host:port"
        if "http://" not in line:
            self.proc.kill()
            _, errors = self.proc.communicate(timeout=20)  # reaps it and closes the pipes
            raise AssertionError(f"server did not start: {line!r} {errors!r}")
        self.base = line.strip().rsplit(" ", 1)[-1]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one JSON request; return the status and the decoded body."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def stop(self, sig: int) -> int:
        """Send sig, wait for the end, keep stderr, close the pipes; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        _, self.stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode


def server_starter(**options: Any) -> Iterator[Callable[..., Server]]:
    """Yield a function that starts servers; kill any still running afterwards (a failed test)."""
    import signal

    started: list[Server] = []

    def start(data_dir: Path, *extra: str) -> Server:
        server = Server(data_dir, *extra, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.returncode is None:
            server.stop(signal.SIGKILL)

"""Debian's Chromium under Playwright and a ``graphmatch serve --demo`` process, for page tests.

Chromium comes from Debian's ``chromium`` package (``scripts/test`` installs it when missing);
Playwright's own browser download is never used. Without Chromium or Playwright a browser test
skips with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
#: The flags this machine's closed network needs (see the machine notes): no background calls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
READ_KEY = "explorer-read-key"
WRITE_KEY = "explorer-write-key"
PEOPLE = 2000
TIMEOUT_MS = 20_000
SERVE = [sys.executable, "-m", "graphmatch", "serve"]


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail under CI, where the browser tests must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class DemoServer:
    """``graphmatch serve --demo`` on a free loopback port, with one read and one write key."""

    def __init__(self, people: int = PEOPLE, **extra_env: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
        env["GRAPHMATCH_API_KEYS"] = f"{READ_KEY}:read,{WRITE_KEY}:write"
        env.update(extra_env)
        self.proc = subprocess.Popen(
            [*SERVE, "--demo", "--demo-people", str(people), "--port", "0"],
            cwd=ROOT,
            env=env,
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

    def call(
        self, method: str, path: str, body: Any = None, key: str = READ_KEY, bearer: bool = False
    ) -> Any:
        """Call the API directly (not through the page) and return the decoded JSON."""
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        auth = {"Authorization": f"Bearer {key}"} if bearer else {"X-API-Key": key}
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **auth},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def stop(self) -> None:
        """Stop the server and close its pipes."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.communicate(timeout=20)

    def off_server(self, requests: list[Any]) -> list[str]:
        """Return the URLs of the requests that went anywhere but this server."""
        host = urlsplit(self.base).netloc
        return [r.url for r in requests if urlsplit(r.url).netloc != host]


def chromium() -> Iterator[Any]:
    """Yield Debian's Chromium launched headless by Playwright (for a module fixture)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium; scripts/test does it)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """Write a full-page screenshot ``name``.png under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

"""``scripts/screenshot``: the README's picture is written from the demo, as a small PNG.

Like the browser test, it needs Debian's Chromium and Playwright: without them it skips with
the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def test_the_screenshot_script_writes_the_picture_of_the_demos_best_pair(tmp_path: Path) -> None:
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium; scripts/test does it)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    out = tmp_path / "explorer.png"
    done = subprocess.run(
        [sys.executable, "scripts/screenshot.py", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The demo's best pair at its conference: the README's story (40 friends in common).
    assert done.stdout.strip().endswith(", 40"), done.stdout
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 600 and height > 400
    assert len(data) < 300_000

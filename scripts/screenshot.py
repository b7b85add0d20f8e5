"""Write the README's picture of the explorer: ``docs/img/explorer.png`` (``scripts/screenshot``).

Starts ``graphmatch serve --demo`` (the seeded 10,000-person network of the README's story, no
API keys) on a free loopback port, opens the explorer in Debian's Chromium through Playwright,
picks the first person of the conference's best pair, opens their suggestion of the second,
and photographs the "Friends in common" card: the picture of a stranger who knows 40 of your
friends. The PNG is reduced to a 64-colour palette (Pillow, which matplotlib brings with the
``docs`` extra) to stay small.

Usage::

    bash scripts/screenshot [--out docs/img/explorer.png] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
#: No background calls from the browser (the same flags as tests/e2e/test_explorer_browser.py).
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
TIMEOUT_MS = 60_000


def _get(base: str, path: str) -> Any:
    """Return the decoded JSON of one GET."""
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


def _settle(page: Any) -> None:
    """Wait until the page has no action in flight."""
    page.wait_for_selector('body[data-busy="0"]', state="attached", timeout=TIMEOUT_MS)


def shoot(base: str, out: Path, chromium: str) -> tuple[str, str, int]:
    """Photograph the mutual-friends picture of the demo's best pair; return (a, b, count)."""
    from playwright.sync_api import sync_playwright

    eid = _get(base, "/v1/events")["events"][0]["id"]
    best = _get(base, f"/v1/events/{quote(eid, safe='')}/top-pairs?limit=1")["pairs"][0]
    me, stranger = best["a"], best["b"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(base + "/")
            _settle(page)
            page.fill("#search-q", me)
            page.press("#search-q", "Enter")
            _settle(page)
            page.click(f'#search-results .person[data-id="{me}"]')
            _settle(page)
            page.click(f'#suggestions .suggestion[data-id="{stranger}"]')
            _settle(page)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.locator("#view-graph").screenshot(path=str(out))
        finally:
            browser.close()
    return me, stranger, int(best["mutual_count"])


def _shrink(path: Path, colours: int = 64) -> None:
    """Reduce a PNG to a palette of a few colours, in place (no-op without Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(
            colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    """Serve the demo, photograph the explorer, stop the server; return 0."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "explorer.png")
    p.add_argument("--chromium", default="/usr/bin/chromium", help="Debian's Chromium")
    args = p.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"{args.chromium} is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "graphmatch", "serve", "--demo", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "graphmatch: serving ... on http://host:port"
        if "http://" not in line:
            print(f"the demo did not start: {line!r}", file=sys.stderr)
            return 1
        base = line.strip().rsplit(" ", 1)[-1]
        me, stranger, count = shoot(base, args.out, args.chromium)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    _shrink(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): #{me} and #{stranger}, {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

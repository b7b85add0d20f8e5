"""``graphmatch token PERSON`` and the ``serve`` options for the limits under load (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from api.cli import limit_settings
from api.viewer import TOKEN_SECRET_ENV, read_token
from graphmatch.cli._main import build_parser

ROOT = Path(__file__).resolve().parents[2]
SECRET = "t" * 32


def declared_command(name: str) -> str:
    """Return the ``graphmatch.commands`` entry point pyproject.toml declares for name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: str = project["project"]["entry-points"]["graphmatch.commands"][name]
    return found


@pytest.fixture
def with_token_command(tmp_path: Path) -> dict[str, str]:
    """An environment whose metadata holds the token entry point as pyproject declares it.

    The shared virtual environment was installed before the command existed; a distribution
    of its own on the path stands in for reinstalling, with the very line from pyproject.
    """
    dist = tmp_path / "graphmatch_token_check-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: graphmatch-token-check\nVersion: 0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[graphmatch.commands]\ntoken = {declared_command('token')}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMATCH_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
    env[TOKEN_SECRET_ENV] = SECRET
    return env


def test_token_is_registered_like_serve() -> None:
    assert declared_command("token") == "api.cli:register_token [api]"
    assert declared_command("serve") == "api.cli:register [api]"


def test_graphmatch_token_prints_a_token_for_the_person(with_token_command: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "graphmatch", "token", "6452", "--ttl", "600"],
        cwd=ROOT, env=with_token_command, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert read_token(proc.stdout.strip(), SECRET) == "6452"


def test_graphmatch_token_without_a_secret_is_one_line(with_token_command: dict[str, str]) -> None:
    env = {k: v for k, v in with_token_command.items() if k != TOKEN_SECRET_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "graphmatch", "token", "6452"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphmatch: error: "), proc.stderr
    assert TOKEN_SECRET_ENV in lines[0]


@pytest.mark.parametrize(
    ("argv", "settings"),
    [
        ([], {}),
        (["--rate-per-key", "5"], {"RATE_PER_KEY": 5.0}),
        (["--rate-per-viewer", "0"], {"RATE_PER_VIEWER": 0.0}),
        (["--max-connections", "64", "--idle-timeout-s", "3"],
         {"MAX_CONNECTIONS": 64, "IDLE_TIMEOUT_S": 3}),
        (["--rate-limit-loopback", "--access-log", "off"],
         {"RATE_LIMIT_LOOPBACK": True, "ACCESS_LOG": "off"}),
    ],
)  # fmt: skip
def test_serve_options_become_settings(argv: list[str], settings: dict[str, object]) -> None:
    args = build_parser().parse_args(["serve", *argv])
    assert limit_settings(args) == settings


def test_serve_help_documents_every_limit() -> None:
    from api.settings import NUMBERS

    proc = subprocess.run(
        [sys.executable, "-m", "graphmatch", "serve", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    text = " ".join(proc.stdout.split())
    for _, var, _ in NUMBERS:
        assert f"${var}" in text, var


def test_a_negative_limit_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "--rate-per-key", "-1"])
    assert exit_info.value.code == 2

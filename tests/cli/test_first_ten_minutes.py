"""What a new user tries in their first ten minutes: each mistake is one line and a non-zero exit.

Issue 15, item 6: every command here once printed a traceback, did the wrong thing silently,
or left its help unclear. Run as a user runs them, in a subprocess, and read stderr whole.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def graphmatch(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m graphmatch ARGV`` from cwd with this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMATCH_", "NEO4J"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "graphmatch", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """Return the one ``graphmatch: error:`` line on stderr (and check there is nothing else)."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("graphmatch: error: "), proc.stderr
    return lines[0]


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    path = tmp_path / "g.txt"
    path.write_text("a b\nb c\na d\nd c\n")
    return path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "99999"], "--port must be 0 to 65535"),
        (["--port", "-1"], "--port must be 0 to 65535"),
        (["--threads", "0"], "--threads must be at least 1"),
    ],
)
def test_serve_refuses_a_port_or_thread_count_it_cannot_use_in_one_line(
    argv: list[str], says: str
) -> None:
    proc = graphmatch("serve", *argv)
    assert proc.returncode == 2
    assert says in one_error_line(proc)


def test_serve_on_a_port_in_use_says_so_in_one_line_before_seeding(taken_port: int) -> None:
    proc = graphmatch("serve", "--demo", "--port", str(taken_port))
    assert proc.returncode == 1
    assert f"127.0.0.1:{taken_port}: Address already in use" in one_error_line(proc)
    assert proc.stdout == ""


def test_loading_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    proc = graphmatch("load", str(tmp_path))
    assert proc.returncode == 1
    assert "is a folder" in one_error_line(proc)


@pytest.mark.parametrize(
    ("presence", "says"),
    [("missing/p.jsonl", "does not exist"), (".", "is a folder")],
)
def test_checkin_with_an_unusable_presence_path_is_one_line(
    graph_file: Path, tmp_path: Path, presence: str, says: str
) -> None:
    proc = graphmatch(
        "checkin", "a", "--lat", "1", "--lon", "1", "--graph", str(graph_file),
        "--presence", str(tmp_path / presence),
    )  # fmt: skip
    assert proc.returncode == 1
    assert says in one_error_line(proc)


def test_a_presence_command_announces_the_log_it_starts_in_the_current_folder(
    graph_file: Path, tmp_path: Path
) -> None:
    first = graphmatch("checkin", "a", "--lat", "1", "--lon", "1", "--graph", str(graph_file),
                       cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert f"presence kept in {tmp_path / 'presence.jsonl'}" in first.stderr
    again = graphmatch("checkin", "b", "--lat", "1", "--lon", "1", "--graph", str(graph_file),
                       cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0 and "presence kept" not in again.stderr


def test_evaluate_help_reads_as_written() -> None:
    out = graphmatch("evaluate", "--help").stdout
    assert "95% " in out.replace("\n", " ") and "%%" not in out
    assert "cn_ra,cn_ra" not in out and "jacc\n" not in out


@pytest.mark.parametrize(
    ("command", "stated"),
    [
        ("suggest", "(default: 10)"),
        ("nearby", "(default: cn_ra)"),
        ("serve", "(default: 8080)"),
        ("batch", "Spark shuffle partitions (default: 8)"),
    ],
)
def test_help_states_the_defaults(command: str, stated: str) -> None:
    out = graphmatch(command, "--help").stdout
    assert stated in " ".join(out.split())


def test_mutual_json_says_whether_the_list_is_exact(graph_file: Path) -> None:
    proc = graphmatch("mutual", "a", "c", "--graph", str(graph_file), "--json")
    assert json.loads(proc.stdout) == {"count": 2, "people": ["b", "d"], "hidden": 0, "exact": True}


def test_bench_with_an_unknown_baseline_is_one_line() -> None:
    proc = graphmatch("bench", "--baselines", "nosuch")
    assert proc.returncode == 1
    assert "unknown 'nosuch'" in one_error_line(proc)


def test_bench_runs_only_the_installed_baselines_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphmatch_bench import baselines
    from graphmatch_bench.cli import _baselines

    monkeypatch.setattr(baselines, "find_spec", lambda name: None if name == "scipy" else object())
    assert _baselines(None) == ["networkx", "igraph", "networkit"]
    assert _baselines("scipy") == ["scipy"]  # named: run, and its row says it is missing


def test_the_first_batch_says_it_may_be_compiling(graph_file: Path, tmp_path: Path) -> None:
    proc = graphmatch("batch", "--graph", str(graph_file), "--out", str(tmp_path / "s.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert "compiles the ranking kernels" in proc.stderr

"""The package's public surface: ``__all__``, what ``import graphmatch`` loads, the plugins."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import graphmatch as gm

#: Modules ``import graphmatch`` must not load: the extras' libraries, and the heavy core
#: ones that make the import cost more than the 150 ms it is allowed.
NOT_ON_IMPORT = ("flask", "werkzeug", "waitress", "faker", "neo4j", "numba", "networkx", "numpy")


def _ruff_order(name: str) -> tuple[int, str]:
    """Sort key of ruff's RUF022: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter; return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_every_name_in_all_resolves_and_nothing_private_is_exported() -> None:
    assert gm.__all__, "graphmatch exports nothing"
    assert len(set(gm.__all__)) == len(gm.__all__)
    assert gm.__all__ == sorted(gm.__all__, key=_ruff_order)
    for name in gm.__all__:
        assert not name.startswith("_"), name
        assert getattr(gm, name) is not None, name
    # The design's public names and the declared capabilities are all there.
    for name in (
        "MemoryStore",
        "Neo4jStore",
        "JournaledStore",
        "open_store",
        "Matcher",
        "Mutual",
        "Suggestion",
        "GraphMatchError",
        "PersonNotFound",
        "StoreUnavailable",
        "RanksCandidates",
        "BuildsSuggestions",
        "CountsMutual",
        "ListsBlocks",
        "HasIndex",
        "BulkLoads",
        "RunsQueries",
    ):
        assert name in gm.__all__, name


def test_the_lazy_names_are_the_objects_their_modules_define() -> None:
    from graphmatch.matcher import Matcher
    from graphmatch.stores.memory import MemoryStore
    from graphmatch.stores.protocol import RanksCandidates

    assert gm.Matcher is Matcher
    assert gm.MemoryStore is MemoryStore
    assert gm.RanksCandidates is RanksCandidates
    assert set(gm.__all__) <= set(dir(gm))
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = gm.nosuch  # type: ignore[attr-defined]


def test_star_import_gives_exactly_all() -> None:
    out = _run("from graphmatch import *; print(sorted(k for k in dir() if not k.startswith('_')))")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(sorted(gm.__all__))


def test_import_graphmatch_loads_no_extra_and_no_heavy_module() -> None:
    out = _run(f"import sys, graphmatch; print([m for m in {NOT_ON_IMPORT!r} if m in sys.modules])")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_numba_loads_with_the_first_index_not_with_the_store() -> None:
    code = textwrap.dedent(
        """
        import sys
        import networkx as nx
        import graphmatch as gm
        store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
        assert gm.Matcher(store).suggest("a")[0].person == "b"
        before = "numba" in sys.modules
        store.build_index()
        assert store.mutual_count("a", "b") == 1
        print(before, "numba" in sys.modules)
        """
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_registering_the_commands_loads_no_extra() -> None:
    code = (
        "import sys; from graphmatch.cli import build_parser; build_parser(); "
        "print([m for m in ('flask', 'faker', 'waitress', 'neo4j', 'numba', 'scipy') "
        "if m in sys.modules])"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_help_lists_the_plugin_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graphmatch", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    listed = set(re.findall(r"^\s{4}(\S+)", out.stdout, re.M))
    assert {"serve", "seed", "bench", "load", "mutual", "suggest", "batch"} <= listed


def _broken_plugin(tmp_path: Path) -> dict[str, str]:
    """Install a plugin whose module fails to import; return the environment that sees it."""
    (tmp_path / "frob_plugin.py").write_text("import frobnicate_lib  # not installed\n")
    info = tmp_path / "frob_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: frob-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[graphmatch.commands]\nfrob = frob_plugin:register [fast]\n"
    )
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def test_a_plugin_that_fails_to_import_answers_one_line_and_leaves_the_rest(
    tmp_path: Path,
) -> None:
    env = _broken_plugin(tmp_path)
    run = [sys.executable, "-m", "graphmatch"]
    for argv in (["frob"], ["frob", "--help", "x"]):
        out = subprocess.run([*run, *argv], capture_output=True, text=True, env=env)
        assert out.returncode == 1
        assert out.stdout == ""
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr
        assert lines[0].startswith("graphmatch: error: 'frob' is not installed")
        assert "frobnicate_lib" in lines[0]
        assert "pip install 'frob-plugin[fast]'" in lines[0]
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0, helped.stderr
    assert "frob" in helped.stdout and "serve" in helped.stdout
    other = subprocess.run([*run, "mutual", "a", "b"], capture_output=True, text=True, env=env)
    assert other.returncode == 1 and "give an edge list" in other.stderr


def test_a_missing_extra_at_run_time_names_the_extra_to_install() -> None:
    # api.cli imports; Flask (the [api] extra) does not: `serve` must say which extra.
    code = (
        "import sys; sys.modules['flask'] = None; sys.modules['waitress'] = None; "
        "from graphmatch.cli import main; sys.exit(main(['serve', '--port', '0']))"
    )
    out = _run(code)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("graphmatch: error: ")
    assert "pip install 'graphmatch[api]'" in lines[0]


def test_a_missing_driver_in_a_core_command_names_the_neo4j_extra() -> None:
    code = (
        "import sys; sys.modules['neo4j'] = None; "
        "from graphmatch.cli import main; sys.exit(main(['suggest', '0', '--store', 'neo4j']))"
    )
    out = _run(code, env={**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1"})
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "pip install 'graphmatch[neo4j]'" in out.stderr


def test_the_core_works_without_tqdm_and_shows_no_bar() -> None:
    # tqdm comes with the [seed] extra: batch and evaluate asked for a bar must still run.
    code = textwrap.dedent(
        """
        import os, sys, tempfile
        sys.modules["tqdm"] = None  # as if not installed: importing it raises ImportError
        import networkx as nx
        import graphmatch as gm
        from graphmatch.batch import run_batch
        store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
        out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
        print(run_batch(store, out, k=5, progress=True).people)
        G = nx.relabel_nodes(nx.karate_club_graph(), str)
        print(type(gm.evaluate(G, k=5, scores=["jaccard"], progress=True)).__name__)
        """
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "EvaluationResult"]
    assert out.stderr == ""

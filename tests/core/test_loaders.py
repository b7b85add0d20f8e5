"""Edge-list loading: SNAP and CSV formats, folding, and errors that name the line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import graphmatch as gm
from tests.conftest import FACEBOOK


def test_ego_facebook_loads_with_the_published_counts() -> None:
    store = gm.MemoryStore.from_edgelist(FACEBOOK)
    assert store.counts() == (4039, 88234)
    assert store.load_report is not None
    assert store.load_report.duplicates == 0
    assert store.load_report.self_loops == 0


def test_snap_file_with_comments_crlf_and_gzip_is_read(tmp_path: Path) -> None:
    path = tmp_path / "g.txt.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"# Directed graph\r\n# FromNodeId\tToNodeId\r\n1\t2\r\n2\t3\r\n\r\n")
    assert list(gm.iter_edges(path)) == [("1", "2"), ("2", "3")]


def test_directed_input_is_folded_and_loops_and_duplicates_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("1 2\n2 1\n3 3\n1 2\n2 3\n")
    edges, report = gm.read_edgelist(path)
    assert edges == [("1", "2"), ("2", "3")]
    assert (report.lines, report.edges, report.duplicates, report.self_loops) == (5, 2, 2, 1)
    assert report.people == 3


def test_csv_with_header_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("node_1,node_2\n0,1\n1,2\n")
    store = gm.MemoryStore.from_edgelist(path)
    assert store.friends("1") == ["0", "2"]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.txt", "1 2\n# ok\n3\n", 3),
        ("bad.txt", "1 2\n1 2 3\n", 2),
        ("bad.csv", "a,b\n1,2\n1;2\n", 3),
        ("bad.csv", "a;b\n1,2\n", 1),
    ],
)
def test_malformed_lines_raise_a_parse_error_naming_the_line(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(gm.ParseError) as info:
        gm.MemoryStore.from_edgelist(path)
    assert info.value.line_no == line
    assert f"{path}:{line}:" in str(info.value)


def test_missing_file_raises_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(gm.InvalidInput, match="no such file"):
        gm.read_edgelist(tmp_path / "nope.txt")


def test_corrupt_gzip_raises_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "g.gz"
    path.write_bytes(b"\x1f\x8b" + b"junk" * 10)
    with pytest.raises(gm.InvalidInput):
        gm.read_edgelist(path)


def test_wrapped_graph_is_not_copied_and_must_use_string_ids() -> None:
    import networkx as nx

    G = nx.Graph([("a", "b")])
    store = gm.MemoryStore(G)
    store.add_person("c")
    assert "c" in G
    with pytest.raises(gm.InvalidInput, match="string node ids"):
        gm.MemoryStore(nx.Graph([(1, 2)]))
    with pytest.raises(gm.InvalidInput, match="undirected"):
        gm.MemoryStore(nx.DiGraph([("a", "b")]))

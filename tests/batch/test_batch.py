"""Batch top-k for everyone: same answers as Matcher.suggest, resumable, every sink."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.batch.run import (
    SUGGESTED_QUERY,
    Block,
    JsonlSink,
    Neo4jSink,
    default_checkpoint,
    iter_blocks,
    run_batch,
)
from graphmatch.cli.batch import register
from graphmatch.loaders import read_edgelist
from tests.conftest import FACEBOOK

SCORES = list(gm.SCORES)


def _small_graph() -> nx.Graph:
    """A random graph with string ids whose string order differs from numeric order."""
    G = nx.gnp_random_graph(70, 0.07, seed=11)
    return nx.relabel_nodes(G, {i: f"p{i}" for i in G})


def _with_consent(G: nx.Graph, index: str) -> gm.MemoryStore:
    """Wrap G with the same blocks and opt-outs every time."""
    store = gm.MemoryStore(G, index=index)
    store.block("p1", "p2")
    store.block("p3", "p10")
    store.block("p40", "p3")
    store.set_consent("p5", discoverable=False)
    store.set_consent("p6", show_as_mutual=False)
    store.set_consent("p7", discoverable=False, show_as_mutual=False)
    return store


def _as_tuples(sugg: list[gm.Suggestion]) -> list[tuple[str, float, int, list[str]]]:
    return [(s.person, s.score, s.mutual_count, s.mutual) for s in sugg]


def _batch(store: gm.MemoryStore, **kw: Any) -> dict[str, list[tuple[str, float, int, list[str]]]]:
    return {p: rows for block in iter_blocks(store, **kw) for p, rows in block.rows()}


@pytest.mark.parametrize("score", SCORES)
def test_batch_equals_suggest_for_every_person_with_blocks_and_opt_outs(score: str) -> None:
    G = _small_graph()
    store = _with_consent(G, "off")
    got = _batch(store, score=score, k=7, block_size=9, explain=2)
    indexed = gm.Matcher(_with_consent(G, "sync"))
    plain = gm.Matcher(_with_consent(G, "off"))
    assert sorted(got) == sorted(G)
    for person in G:
        want = _as_tuples(indexed.suggest(person, 7, score, explain=2))
        assert got[person] == want, person
        # The plain path sums weights in another order: equal up to rounding.
        slow = _as_tuples(plain.suggest(person, 7, score, explain=2))
        assert [(v, c, m) for v, _, c, m in got[person]] == [(v, c, m) for v, _, c, m in slow]
        assert [s for _, s, _, _ in got[person]] == pytest.approx([s for _, s, _, _ in slow])


def test_batch_skips_dismissed_people_like_suggest() -> None:
    G = _small_graph()

    def dismissing(index: str) -> gm.MemoryStore:
        store = _with_consent(G.copy(), index)
        plain = gm.Matcher(store)
        for person in ("p0", "p8", "p21"):  # each dismisses their top two
            for s in plain.suggest(person, 2):
                store.dismiss(person, s.person)
        friend = next(iter(G["p8"]))
        store.dismiss("p8", friend)  # a friend already: still named as a mutual friend
        return store

    got = _batch(dismissing("off"), k=7, block_size=9, explain=3)
    want = gm.Matcher(dismissing("sync"))
    for person in G:
        assert got[person] == _as_tuples(want.suggest(person, 7, explain=3)), person
    store = dismissing("off")
    for person in ("p0", "p8", "p21"):
        assert not set(store.dismissed(person)) & {v for v, _, _, _ in got[person]}


def test_batch_honours_the_degree_cap_like_suggest() -> None:
    G = _small_graph()
    store = _with_consent(G, "off")
    got = _batch(store, score="adamic_adar", k=5, block_size=16, max_degree=5, explain=1)
    m = gm.Matcher(_with_consent(G, "sync"))
    for person in G:
        assert got[person] == _as_tuples(
            m.suggest(person, 5, "adamic_adar", max_degree=5, explain=1)
        )


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_on_ego_facebook_sample_equals_suggest(threads: int) -> None:
    edges, _ = read_edgelist(FACEBOOK)
    G = nx.Graph(edges)
    store = gm.MemoryStore(G, index="off")
    m = gm.Matcher(gm.MemoryStore(G, index="sync"))
    plain = gm.Matcher(gm.MemoryStore(G, index="off"))
    sample = set(random.Random(7).sample(sorted(G), 60))
    for score in ("common_neighbors", "adamic_adar"):
        got = _batch(store, score=score, k=10, block_size=500, threads=threads)
        assert len(got) == G.number_of_nodes()
        for person in sample:
            assert got[person] == _as_tuples(m.suggest(person, 10, score, explain=0))
            slow = plain.suggest(person, 10, score, explain=0)
            assert [(v, c) for v, _, c, _ in got[person]] == [
                (s.person, s.mutual_count) for s in slow
            ]


def test_jsonl_lines_hold_id_and_suggestions_with_score_and_count(tmp_path: Path) -> None:
    G = _small_graph()
    store = _with_consent(G, "off")
    out = tmp_path / "s.jsonl"
    report = run_batch(store, out, score="jaccard", k=4, block_size=8, progress=False)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert report.people == len(lines) == G.number_of_nodes()
    m = gm.Matcher(_with_consent(G, "sync"))
    for line in lines:
        want = [
            {"id": s.person, "score": s.score, "mutual_count": s.mutual_count}
            for s in m.suggest(line["id"], 4, "jaccard", explain=0)
        ]
        assert line["suggestions"] == want
    ck = json.loads(default_checkpoint(out).read_text())
    assert ck["complete"] and ck["offset"] == out.stat().st_size


def test_jsonl_escapes_ids_that_need_it(tmp_path: Path) -> None:
    G = nx.Graph([('a"q', "w"), ("w", "b\\s"), ("w", "c\n")])
    out = tmp_path / "s.jsonl"
    run_batch(gm.MemoryStore(G, index="off"), out, k=3, explain=1, progress=False)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert [s["id"] for s in rows['a"q']["suggestions"]] == ["b\\s", "c\n"]
    assert rows['a"q']["suggestions"][0]["mutual"] == ["w"]


class _Interrupting(JsonlSink):
    """A sink that dies half-way through writing a given block, as a kill would."""

    def __init__(self, path: Path, die_at: int) -> None:
        super().__init__(path)
        self.die_at = die_at

    def write(self, block: Block) -> int:
        if block.number == self.die_at:
            data = self.encode(block)
            self._file.write(data[: len(data) // 2])
            self._file.flush()
            raise KeyboardInterrupt
        return super().write(block)


@pytest.mark.parametrize("explain", [0, 2])
def test_resume_after_an_interrupt_gives_the_uninterrupted_file(
    tmp_path: Path, explain: int
) -> None:
    G = _small_graph()
    whole = tmp_path / "whole.jsonl"
    kw: dict[str, Any] = {"score": "adamic_adar", "k": 5, "block_size": 10, "explain": explain}
    run_batch(_with_consent(G, "off"), whole, progress=False, **kw)

    out = tmp_path / "part.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_batch(_with_consent(G, "off"), _Interrupting(out, 3), progress=False, **kw)
    ck = json.loads(default_checkpoint(out).read_text())
    assert ck["blocks_done"] == 3 and not ck["complete"]
    assert out.stat().st_size > ck["offset"]  # the torn half block is still there

    report = run_batch(_with_consent(G, "off"), out, resume=True, progress=False, **kw)
    assert report.resumed_blocks == 3
    assert out.read_bytes() == whole.read_bytes()


def test_resume_of_a_finished_run_changes_nothing(tmp_path: Path) -> None:
    G = _small_graph()
    out = tmp_path / "s.jsonl"
    run_batch(_with_consent(G, "off"), out, block_size=16, progress=False)
    before = out.read_bytes()
    report = run_batch(_with_consent(G, "off"), out, block_size=16, resume=True, progress=False)
    assert report.resumed_blocks == report.blocks
    assert out.read_bytes() == before


def test_resume_refuses_a_checkpoint_of_other_parameters_or_another_graph(
    tmp_path: Path,
) -> None:
    G = _small_graph()
    out = tmp_path / "s.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_batch(_with_consent(G, "off"), _Interrupting(out, 1), block_size=10, progress=False)
    with pytest.raises(gm.InvalidInput, match="another graph or other parameters"):
        run_batch(_with_consent(G, "off"), out, block_size=10, k=3, resume=True, progress=False)
    G.add_edge("p0", "p69")
    with pytest.raises(gm.InvalidInput, match="another graph or other parameters"):
        run_batch(_with_consent(G, "off"), out, block_size=10, resume=True, progress=False)


def test_neo4j_sink_writes_batched_unwind_rows_with_ranks() -> None:
    G = _small_graph()
    calls: list[tuple[str, dict[str, Any]]] = []
    sink = Neo4jSink(lambda q, p: calls.append((q, p)), rows_per_write=7)
    store = _with_consent(G, "off")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run_batch(store, sink, k=3, block_size=20, checkpoint=Path(tmp) / "ck", progress=False)
    assert all(q == SUGGESTED_QUERY for q, _ in calls)
    assert all(len(p["rows"]) <= 7 for _, p in calls)
    rows = {r["id"]: r["suggestions"] for _, p in calls for r in p["rows"]}
    assert len(rows) == G.number_of_nodes()
    m = gm.Matcher(_with_consent(G, "sync"))
    for person, sugg in rows.items():
        want = m.suggest(person, 3, explain=0)
        assert sugg == [
            {"id": s.person, "score": s.score, "mutual_count": s.mutual_count, "rank": r}
            for r, s in enumerate(want, 1)
        ]


def test_a_sink_without_a_path_needs_a_checkpoint() -> None:
    store = gm.MemoryStore(_small_graph(), index="off")
    with pytest.raises(gm.InvalidInput, match="checkpoint"):
        run_batch(store, Neo4jSink(lambda q, p: None), progress=False)


@pytest.mark.parametrize(
    "kw", [{"k": 0}, {"block_size": 0}, {"explain": -1}, {"score": "pagerank"}, {"max_degree": 0}]
)
def test_bad_parameters_are_invalid_input(kw: dict[str, Any]) -> None:
    store = gm.MemoryStore(_small_graph(), index="off")
    with pytest.raises(gm.InvalidInput):
        next(iter_blocks(store, **kw))


def test_cli_batch_writes_jsonl_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = tmp_path / "g.txt"
    graph.write_text("1 2\n2 3\n3 4\n1 5\n5 3\n")
    out = tmp_path / "s.jsonl"
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command", required=True))
    argv = ["batch", "--graph", str(graph), "--out", str(out), "--k", "2", "--no-progress"]
    args = parser.parse_args([*argv, "--json"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 5
    first = out.read_text()
    assert json.loads(first.splitlines()[0]) == {
        "id": "1",
        "suggestions": [{"id": "3", "score": 2.0, "mutual_count": 2}],
    }
    args = parser.parse_args([*argv, "--resume"])
    assert args.func(args) == 0
    assert out.read_text() == first


# -- which stores batch takes ---------------------------------------------------------------


def test_batch_accepts_a_journaled_store_and_answers_as_its_memory_store(tmp_path: Path) -> None:
    from graphmatch.stores.journal import JournaledStore

    G = _small_graph()
    journaled = JournaledStore(_with_consent(G.copy(), "off"), tmp_path / "data", fsync=False)
    try:
        assert journaled.block_pairs() == _with_consent(G, "off").block_pairs()
        want = _batch(_with_consent(G, "off"), k=4, explain=2, block_size=16)
        assert _batch(journaled, k=4, explain=2, block_size=16) == want
        report = run_batch(journaled, tmp_path / "s.jsonl", k=4, block_size=16, progress=False)
        assert report.people == G.number_of_nodes()
        assert journaled.fresh_index() is not None  # the run built the inner store's index
    finally:
        journaled.close()


class _BlocksOnly:
    """A store that lists its blocks but has no compiled index (HasIndex)."""

    def block_pairs(self) -> list[tuple[str, str]]:
        return []


def test_batch_refuses_a_store_without_an_index_naming_what_it_lacks(tmp_path: Path) -> None:
    from graphmatch.stores.neo4j.store import Neo4jStore

    # The driver connects lazily: nothing listens on this port, and nothing needs to.
    neo = Neo4jStore("bolt://127.0.0.1:9", auth=None)
    try:
        for call in (
            lambda: run_batch(neo, tmp_path / "s.jsonl", progress=False),
            lambda: next(iter_blocks(neo)),
        ):
            with pytest.raises(gm.InvalidInput, match=r"HasIndex\) and .*ListsBlocks\)") as err:
                call()
            assert "Neo4jStore lacks" in str(err.value)
    finally:
        neo.close()
    with pytest.raises(gm.InvalidInput, match="batch needs a store with a compiled CSR") as err:
        run_batch(_BlocksOnly(), tmp_path / "s.jsonl", progress=False)  # type: ignore[arg-type]
    assert "ListsBlocks" not in str(err.value)
    assert not (tmp_path / "s.jsonl").exists()  # refused before anything was written


# -- batch --to neo4j, end to end on the real server ------------------------------------------

_SUGGESTED = """
MATCH (a:Person)-[r:SUGGESTED]->(b:Person)
RETURN a.id AS a, b.id AS b, r.score AS score, r.mutual_count AS mutual_count, r.rank AS rank
ORDER BY a, rank
"""


@pytest.mark.neo4j
def test_cli_batch_to_neo4j_writes_the_suggestions_suggest_gives(
    neo4j_store_session: gm.GraphStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from graphmatch.cli import main
    from graphmatch.stores.protocol import RunsQueries
    from tests.support.neo4j import neo4j_settings

    neo = neo4j_store_session
    assert isinstance(neo, RunsQueries)
    neo.clear()
    G = _small_graph()
    graph = tmp_path / "g.txt"
    graph.write_text("".join(f"{a} {b}\n" for a, b in G.edges))
    memory = gm.MemoryStore.from_edgelist(graph)
    people = sorted(str(p) for p in G.nodes if G.degree(p) > 0)  # those the file names
    assert memory.counts() == (len(people), G.number_of_edges())
    neo.add_people([(p, {}) for p in people])  # batch's MATCH skips unknown people
    neo.add_friendships([(str(a), str(b)) for a, b in G.edges])
    uri, (user, password) = neo4j_settings()
    assert uri is not None
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_USER", user)
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    monkeypatch.delenv("NEO4J_DATABASE", raising=False)
    argv = ["batch", "--graph", str(graph), "--to", "neo4j", "--k", "3", "--block-size", "16"]
    argv += ["--checkpoint", str(tmp_path / "neo4j.checkpoint.json"), "--no-progress", "--json"]

    m = gm.Matcher(memory)
    want = [
        {"a": p, "b": s.person, "score": s.score, "mutual_count": s.mutual_count, "rank": r}
        for p in people
        for r, s in enumerate(m.suggest(p, 3, explain=0), 1)
    ]
    assert want  # the graph has suggestions to write
    for _ in range(2):  # a second run replaces the relationships rather than adding to them
        assert main(argv) == 0, capsys.readouterr().err
        assert json.loads(capsys.readouterr().out)["people"] == len(people)
        assert neo.run_read(_SUGGESTED, {}) == want
    neo.clear()

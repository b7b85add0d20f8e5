"""Vectorised batch output: the per-suggestion writer's bytes, and the same Parquet rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import graphmatch as gm
from graphmatch.batch import _encode
from graphmatch.batch.run import Block, JsonlSink, ParquetSink, iter_blocks, run_batch


def _reference_lines(block: Block) -> bytes:
    """The JSON lines as json.dumps writes them, one suggestion at a time (the oracle)."""
    out = []
    for person, sugg in block.rows():
        items = []
        for v, s, c, mutual in sugg:
            item: dict[str, object] = {"id": v, "score": s, "mutual_count": c}
            if block.named is not None:
                item["mutual"] = mutual
            items.append(item)
        out.append(json.dumps({"id": person, "suggestions": items}, separators=(",", ":")))
    return "".join(line + "\n" for line in out).encode()


_AWKWARD = ['a"b', "back\\slash", "tab\there", "new\nline", "café", "雪", "😀", "a, b", "[x]", ""]


def _random_block(seed: int, explain: int) -> Block:
    """A block of random results over awkward ids (escapes, non-ASCII, separators, empty)."""
    rng = np.random.default_rng(seed)
    ids = sorted({*_AWKWARD, *(f"p{i}" for i in range(40))})
    n, k = len(ids), 6
    lengths = rng.integers(0, k + 1, n)
    found = np.full((n, k), -1, np.int64)
    for i in range(n):
        found[i, : lengths[i]] = rng.choice(n, lengths[i], replace=False)
    # Scores across repr's regimes: tiny (exponent), ordinary, whole numbers, huge.
    scale = rng.choice([1e-9, 1e-5, 1.0, 3.0, 1e17], (n, k))
    scores = np.where(rng.random((n, k)) < 0.3, np.floor(scale * 7) + 1, rng.random((n, k)) * scale)
    counts = rng.integers(1, 10**6, (n, k))
    named = None
    if explain:
        named = np.full((n, k, explain), -1, np.int64)
        for i in range(n):
            for j in range(lengths[i]):
                m = int(rng.integers(0, explain + 1))
                named[i, j, :m] = rng.choice(n, m, replace=False)
    return Block(0, ids, ids, found, counts, scores, lengths, named)


@pytest.mark.parametrize("explain", [0, 3])
@pytest.mark.parametrize("seed", range(4))
def test_vectorised_lines_equal_json_dumps_for_awkward_ids_and_scores(
    seed: int, explain: int
) -> None:
    block = _random_block(seed, explain)
    got = JsonlSink("unused.jsonl").encode(block)
    assert got == _reference_lines(block)
    # Each line parses back to the arrays' values, scores bit for bit.
    for line, (person, sugg) in zip(got.decode().splitlines(), block.rows(), strict=True):
        data = json.loads(line)
        assert data["id"] == person
        assert [(s["id"], s["score"].hex(), s["mutual_count"]) for s in data["suggestions"]] == [
            (v, s.hex(), c) for v, s, c, _ in sugg
        ]


def test_quoted_ids_are_json_dumps_of_each_id() -> None:
    buf, start = _encode.quoted_ids(_AWKWARD)
    got = [bytes(buf[start[i] : start[i + 1] - 1]).decode() for i in range(len(_AWKWARD))]
    assert got == [json.dumps(x) for x in _AWKWARD]
    buf, start = _encode.quoted_ids([])
    assert len(buf) == 0 and start.tolist() == [0]


def _store() -> gm.MemoryStore:
    G = nx.relabel_nodes(nx.gnp_random_graph(120, 0.05, seed=5), lambda i: f"n{i}" + "é" * (i % 3))
    G.add_node("alone")
    store = gm.MemoryStore(G, index="off")
    people = sorted(G)
    random.Random(2).shuffle(people)
    store.block(people[0], people[1])
    store.set_consent(people[2], discoverable=False)
    store.set_consent(people[3], show_as_mutual=False)
    return store


@pytest.mark.parametrize("explain", [0, 2])
def test_a_whole_run_writes_the_reference_lines_block_after_block(
    tmp_path: Path, explain: int
) -> None:
    store = _store()
    out = tmp_path / "s.jsonl"
    run_batch(store, out, k=5, block_size=17, explain=explain, progress=False)
    want = b"".join(_reference_lines(b) for b in iter_blocks(store, k=5, explain=explain))
    assert out.read_bytes() == want
    assert out.read_bytes().count(b"\n") == len(store.graph)


@pytest.mark.parametrize("explain", [0, 2])
def test_parquet_rows_are_the_jsonl_rows(tmp_path: Path, explain: int) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    store = _store()
    run_batch(store, tmp_path / "s.jsonl", k=4, block_size=25, explain=explain, progress=False)
    run_batch(store, ParquetSink(tmp_path / "s.parquet"), k=4, block_size=25, explain=explain,
              progress=False)  # fmt: skip
    table = pq.read_table(tmp_path / "s.parquet").to_pylist()
    want = []
    for line in (tmp_path / "s.jsonl").read_text().splitlines():
        data = json.loads(line)
        for rank, s in enumerate(data["suggestions"], 1):
            row = {
                "id": data["id"],
                "rank": rank,
                "suggested": s["id"],
                "score": s["score"],
                "mutual_count": s["mutual_count"],
            }
            if explain:
                row["mutual"] = s["mutual"]
            want.append(row)
    assert want and table == want
    assert any(row.get("mutual") for row in want) == bool(explain)

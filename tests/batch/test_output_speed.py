"""Vectorised batch output: the per-suggestion writer's bytes, and the same Parquet rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- The compiled float formatter: CPython's repr, byte for byte. ---

_EDGE_FLOATS = [
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
    1.7976931348623157e308, 1e-05, 9.999999999999999e-05, 0.0001, 0.00010000000000000002,
    1e16, 9999999999999998.0, 1e15, 1e17, 123456789012345678.0, 1e22, 1e23, 2.0**53,
    2.0**53 + 2, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 4.35, 5e-7, 1.5, 100.0,
    float("inf"), float("-inf"),
    *(2.0**e for e in range(-1074, 1024, 7)),
    *(10.0**e for e in range(-323, 309, 3)),
]  # fmt: skip


def test_float_reprs_match_repr_on_edge_cases() -> None:
    got = _encode.float_reprs(np.array(_EDGE_FLOATS))
    assert got == [repr(x) for x in _EDGE_FLOATS]
    assert _encode.float_reprs(np.array([float("nan"), -float("nan")])) == ["nan", "nan"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=50))
def test_float_reprs_match_repr_on_any_float(values: list[float]) -> None:
    assert _encode.float_reprs(np.array(values)) == [repr(x) for x in values]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=200))
def test_float_reprs_match_repr_on_any_bit_pattern(patterns: list[int]) -> None:
    values = np.array(patterns, np.uint64).view(np.float64)
    values = values[np.isfinite(values)]
    assert _encode.float_reprs(values) == [repr(x) for x in values.tolist()]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(2, 5000), min_size=1, max_size=30),
    st.integers(1, 5000),
    st.integers(1, 5000),
)
def test_float_reprs_match_repr_on_the_rules_scores(degrees: list[int], du: int, dv: int) -> None:
    # The scores a batch writes: the canonical sums of the rule's weights, and the products
    # and quotients of the derived scores.
    from graphmatch import rule

    degrees.sort()
    m = len(degrees)
    ra = rule.weighted_sum(rule.ra_weight, degrees)
    aa = rule.weighted_sum(rule.aa_weight, degrees)
    scores = [float(m), ra, aa, m * ra, m / (du + dv + m)]
    assert _encode.float_reprs(np.array(scores)) == [repr(x) for x in scores]


def test_many_chunks_and_empty_rows_give_the_reference_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Blocks of more rows than one chunk: the chunks are written apart and moved together.
    block = _random_block(7, 2)
    for rows in (1, 2, 3, 5, len(block.people) + 1):
        monkeypatch.setattr(_encode, "CHUNK_ROWS", rows)
        assert JsonlSink("unused.jsonl").encode(block) == _reference_lines(block)
    empty = Block(0, [], block.ids, block.found[:0], block.counts[:0], block.scores[:0],
                  block.lengths[:0], None)  # fmt: skip
    assert JsonlSink("unused.jsonl").encode(empty) == b""

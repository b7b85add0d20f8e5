"""The Spark batch on local[2]: row for row the in-process batch (ids, order, counts, bits)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.batch.run import ParquetSink, run_batch
from graphmatch.cli.batch import register
from tests.conftest import FACEBOOK

pytest.importorskip("pyspark", reason="the Spark batch needs the spark extra (pyspark)")

from graphmatch.batch import spark as sp

# Consent cases in both graphs: a block (either direction), an opt-out of discovery, a person
# hidden as a mutual friend, and one who is both.
# p3-p45, 0-1 and 107-1684 are also friends: neither may be named to the other as a mutual.
_BLOCKS = [("p1", "p2"), ("p3", "p10"), ("p40", "p3"), ("p45", "p3")]
_FB_BLOCKS = [("0", "1"), ("107", "1684"), ("3437", "0")]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local[2] session for the file: starting Spark costs more than a small job."""
    session = sp.session("local[2]", shuffle_partitions=4)
    yield session
    session.stop()


def _consent(
    store: gm.MemoryStore, blocks: list[tuple[str, str]], off: str, hide: str, both: str
) -> gm.MemoryStore:
    for a, b in blocks:
        store.block(a, b)
    store.set_consent(off, discoverable=False)
    store.set_consent(hide, show_as_mutual=False)
    store.set_consent(both, discoverable=False, show_as_mutual=False)
    return store


# Dismissals: each of these dismisses their two best suggestions, and p8 also a friend.
_DISMISSING = ("p0", "p8", "p21")


def _synthetic() -> gm.MemoryStore:
    """String ids whose string order is not numeric order, an isolated person, consent cases."""
    G = nx.relabel_nodes(nx.gnp_random_graph(70, 0.08, seed=11), lambda i: f"p{i}")
    G.add_node("p_alone")
    store = _consent(gm.MemoryStore(G, index="off"), _BLOCKS, "p5", "p6", "p7")
    for person in _DISMISSING:
        for s in gm.Matcher(store).suggest(person, 2):
            store.dismiss(person, s.person)
    store.dismiss("p8", min(G["p8"]))
    return store


@pytest.fixture(scope="module")
def synthetic(spark: Any) -> tuple[gm.MemoryStore, sp.BatchFrames]:
    store = _synthetic()
    return store, sp.frames_from_store(spark, store)


@pytest.fixture(scope="module")
def facebook(spark: Any) -> tuple[gm.MemoryStore, sp.BatchFrames]:
    store = gm.MemoryStore.from_edgelist(FACEBOOK, index="off")
    # 107 and 1684 are hubs: the opt-outs and the hidden mutual friend touch many rows.
    _consent(store, _FB_BLOCKS, "1684", "107", "348")
    return store, sp.frames_from_store(spark, store)


def _rows(jsonl: bytes) -> list[tuple[str, list[tuple[str, str, int, list[str]]]]]:
    """Parse JSON lines into (id, [(suggested, score bits, mutual count, named)]) rows."""
    out = []
    for line in jsonl.decode().splitlines():
        data = json.loads(line)
        out.append(
            (
                data["id"],
                [
                    (
                        s["id"],
                        struct.pack("<d", s["score"]).hex(),
                        s["mutual_count"],
                        s.get("mutual", []),
                    )
                    for s in data["suggestions"]
                ],
            )
        )
    return out


def _compare(tmp_path: Path, store: gm.MemoryStore, frames: sp.BatchFrames, **kw: Any) -> None:
    """Assert the Spark JSONL equals the in-process file byte for byte and row for row."""
    want_path = tmp_path / "process.jsonl"
    run_batch(store, want_path, progress=False, **kw)
    report = sp.run_spark_batch(frames, jsonl=str(tmp_path / "spark.jsonl"), **kw)
    got, want = sp.read_jsonl_parts(tmp_path / "spark.jsonl"), want_path.read_bytes()
    got_rows, want_rows = _rows(got), _rows(want)
    assert len(got_rows) == len(want_rows) == len(store.graph) == report.people
    for g, w in zip(got_rows, want_rows, strict=True):
        assert g == w, g[0]
    assert got == want
    # Not vacuous: people get suggestions, and explanations name people.
    assert sum(len(s) for _, s in want_rows) > len(want_rows)
    if kw.get("explain"):
        assert any(m for _, s in want_rows for *_, m in s)


def _check_consent(
    jsonl: bytes, blocks: list[tuple[str, str]], off: set[str], hidden: set[str]
) -> None:
    """The consent rules hold in the output (a wrong exclusion fails here, not only in diffs)."""
    blocked = {*blocks, *((b, a) for a, b in blocks)}
    for person, sugg in _rows(jsonl):
        for v, _, _, named in sugg:
            assert v not in off and (person, v) not in blocked and v != person
            assert not hidden.intersection(named)
            assert not any((person, w) in blocked for w in named)


# Every score uncapped; the default and the two classic ones the issue names also capped.
SYNTH_CASES = [
    *(
        pytest.param(score, cap, id=f"{score}-cap{cap}")
        for score in ("cn_ra", "adamic_adar", "jaccard")
        for cap in (None, 6)
    ),
    pytest.param("resource_allocation", None, id="resource_allocation-capNone"),
    pytest.param("common_neighbors", None, id="common_neighbors-capNone"),
]


@pytest.mark.parametrize(("score", "cap"), SYNTH_CASES)
def test_spark_equals_the_process_batch_on_a_synthetic_graph(
    tmp_path: Path, synthetic: tuple[gm.MemoryStore, sp.BatchFrames], score: str, cap: int | None
) -> None:
    store, frames = synthetic
    _compare(tmp_path, store, frames, score=score, k=7, explain=2, max_degree=cap)
    jsonl = sp.read_jsonl_parts(tmp_path / "spark.jsonl")
    _check_consent(jsonl, _BLOCKS, {"p5", "p7"}, {"p6", "p7"})
    for person, sugg in _rows(jsonl):
        assert not set(store.dismissed(person)) & {v for v, *_ in sugg}


# Salting: every mutual friend of more than 4 friends (the planted hub's 45 friends make 12
# keys; most people here have 5-8) is split over several join keys; the answers must not move.
@pytest.mark.parametrize(("score", "cap"), [("cn_ra", None), ("adamic_adar", 30)])
def test_salted_hubs_give_the_process_batch_row_for_row(
    tmp_path: Path, spark: Any, score: str, cap: int | None
) -> None:
    store = _synthetic()
    store.add_friendships(("hub", f"p{i}") for i in range(0, 70) if i % 3 and i != 6)
    frames = sp.frames_from_store(spark, store)
    _compare(tmp_path, store, frames, score=score, k=7, explain=2, max_degree=cap)
    unsalted = sp.read_jsonl_parts(tmp_path / "spark.jsonl")
    salted = tmp_path / "salted.jsonl"
    sp.run_spark_batch(
        frames, jsonl=str(salted), score=score, k=7, explain=2, max_degree=cap, salt_above=4
    )
    assert sp.read_jsonl_parts(salted) == unsalted == (tmp_path / "process.jsonl").read_bytes()


# ego-Facebook's two-hop join is 9.3M pair rows uncapped. Jaccard (counts only) runs
# uncapped; the weighted scores, which collect and sort each pair's weights, run with a cap
# of 60 (1.0M rows) to keep the file short (the synthetic graph runs them uncapped too).
FB_CASES = [
    pytest.param("jaccard", None, 2, id="jaccard-uncapped"),
    pytest.param("cn_ra", 60, 3, id="cn_ra-cap60"),
    pytest.param("adamic_adar", 60, 0, id="adamic_adar-cap60"),
]


@pytest.mark.parametrize(("score", "cap", "explain"), FB_CASES)
def test_spark_equals_the_process_batch_on_ego_facebook(
    tmp_path: Path,
    facebook: tuple[gm.MemoryStore, sp.BatchFrames],
    score: str,
    cap: int | None,
    explain: int,
) -> None:
    store, frames = facebook
    _compare(tmp_path, store, frames, score=score, k=10, explain=explain, max_degree=cap)
    _check_consent(
        sp.read_jsonl_parts(tmp_path / "spark.jsonl"), _FB_BLOCKS, {"1684", "348"}, {"107", "348"}
    )


def test_parquet_output_equals_the_process_parquet_sink_and_reruns_replace_it(
    tmp_path: Path, spark: Any, synthetic: tuple[gm.MemoryStore, sp.BatchFrames]
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    store, frames = synthetic
    kw: dict[str, Any] = {"score": "adamic_adar", "k": 5, "explain": 2}
    run_batch(store, ParquetSink(tmp_path / "process.parquet"), progress=False, **kw)
    out = str(tmp_path / "spark.parquet")
    for _ in range(2):  # the second run replaces the first: no duplicate rows
        sp.run_spark_batch(frames, parquet=out, jsonl=str(tmp_path / "spark.jsonl"), **kw)
    got = pq.read_table(out).to_pylist()
    want = pq.read_table(tmp_path / "process.parquet").to_pylist()
    key = [(r["id"], r["rank"]) for r in got]
    assert key == sorted(key) and len(set(key)) == len(key)
    assert got == want and len(want) > len(store.graph)
    assert sp.read_jsonl_parts(tmp_path / "spark.jsonl").count(b"\n") == len(store.graph)


def _cli(*argv: str) -> None:
    """Run ``graphmatch batch`` in this process (reusing the test's Spark session)."""
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", *argv])
    assert args.func(args) == 0


def test_cli_spark_engine_from_an_edge_list_and_from_parquet_writes_the_process_output(
    tmp_path: Path, spark: Any
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    G = nx.relabel_nodes(nx.gnp_random_graph(40, 0.12, seed=3), str)
    graph = tmp_path / "g.txt"
    graph.write_text("".join(f"{a} {b}\n" for a, b in G.edges))
    common = ["--score", "jaccard", "--k", "4", "--explain", "1", "--no-progress"]
    _cli(*common, "--graph", str(graph), "--out", str(tmp_path / "p.jsonl"))
    src = tmp_path / "in" / "friendships"
    src.mkdir(parents=True)
    pq.write_table(
        pa.table({"a": [a for a, _ in G.edges], "b": [b for _, b in G.edges]}),
        src / "part-0.parquet",
    )
    # The Parquet run also salts every mutual friend of more than 3 friends.
    for source, out in (
        (["--graph", str(graph)], "s.jsonl"),
        (["--parquet", str(src.parent), "--salt-above", "3"], "q.jsonl"),
    ):
        _cli(
            *common,
            *source,
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--out",
            str(tmp_path / out),
        )
        assert sp.read_jsonl_parts(tmp_path / out) == (tmp_path / "p.jsonl").read_bytes()
    with pytest.raises(gm.InvalidInput):
        _cli(*common, "--graph", str(graph), "--engine", "spark", "--resume", "--out", "x.jsonl")
    with pytest.raises(gm.InvalidInput, match="--salt-above is for --engine spark"):
        _cli(*common, "--graph", str(graph), "--salt-above", "3", "--out", "y.jsonl")


def test_parquet_input_with_blocks_consent_and_dismissals_equals_the_store(
    tmp_path: Path, spark: Any, synthetic: tuple[gm.MemoryStore, sp.BatchFrames]
) -> None:
    store, frames = synthetic
    src = tmp_path / "in"
    frames.friendships.write.parquet(str(src / "friendships"))
    frames.people.write.parquet(str(src / "people"))
    frames.blocks.write.parquet(str(src / "blocks"))
    frames.consent.write.parquet(str(src / "consent"))
    assert frames.dismissals is not None
    frames.dismissals.write.parquet(str(src / "dismissals"))
    _compare(
        tmp_path, store, sp.frames_from_parquet(spark, str(src)), score="cn_ra", k=6, explain=2
    )


def test_bad_parameters_are_invalid_input(
    synthetic: tuple[gm.MemoryStore, sp.BatchFrames],
) -> None:
    _, frames = synthetic
    for kw in ({"score": "nope"}, {"k": 0}, {"explain": -1}, {"max_degree": 0},
               {"salt_above": 0}, {"salt_above": True}):  # fmt: skip
        with pytest.raises(gm.InvalidInput):
            sp.rank_frame(frames, **kw)
    with pytest.raises(gm.InvalidInput):
        sp.run_spark_batch(frames)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_cli_on_a_standalone_cluster_on_loopback_writes_the_process_output(
    tmp_path: Path,
) -> None:
    """A master and two workers as separate processes (PySpark's own jars): no local mode."""
    import pyspark

    home = Path(pyspark.__file__).parent
    env = {**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    klass = [str(home / "bin" / "spark-class"), "org.apache.spark.deploy"]
    log = (tmp_path / "master.log").open("w")
    procs = [
        subprocess.Popen(
            [klass[0], f"{klass[1]}.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(_free_port())],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    ]  # fmt: skip
    try:
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [klass[0], f"{klass[1]}.worker.Worker", url, "--host", "127.0.0.1",
                     "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port()),
                     "--work-dir", str(tmp_path / f"work{i}")],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        deadline = time.monotonic() + 180
        while (tmp_path / "master.log").read_text().count("Registering worker") < 2:
            assert time.monotonic() < deadline, "the workers never registered"
            time.sleep(1)
        G = nx.relabel_nodes(nx.gnp_random_graph(40, 0.12, seed=3), str)
        graph = tmp_path / "g.txt"
        graph.write_text("".join(f"{a} {b}\n" for a, b in G.edges))
        common = ["--graph", str(graph), "--score", "adamic_adar", "--k", "4", "--explain", "2",
                  "--no-progress"]  # fmt: skip
        store = gm.MemoryStore.from_edgelist(graph, index="off")
        run_batch(store, tmp_path / "p.jsonl", score="adamic_adar", k=4, explain=2,
                  progress=False)  # fmt: skip
        # In a child process: this process's local[2] session cannot share the JVM.
        subprocess.run(
            [sys.executable, "-m", "graphmatch", "batch", *common, "--engine", "spark",
             "--master", url, "--out", str(tmp_path / "c.jsonl")],
            check=True, env=env, timeout=600,
        )  # fmt: skip
        assert sp.read_jsonl_parts(tmp_path / "c.jsonl") == (tmp_path / "p.jsonl").read_bytes()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        log.close()

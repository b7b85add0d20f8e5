"""Benchmark the batch: ranking alone, to JSONL, to Parquet, and Spark local[2], on one graph.

Usage::

    python benchmarks/bench_batch.py --people 100000 --friendships 1000000 [--no-spark]
    python benchmarks/bench_batch.py --graph tests/data/facebook_combined.txt.gz

The graph is ``graphmatch_bench.data.synthetic_edges`` (seed_data's generator, cached on
disk); ids are ``str(position)``. Columns:

- **ranking**: ``iter_blocks`` over everyone, results kept in memory (the index prebuilt,
  the kernels warmed);
- **to JSONL / to Parquet**: ``run_batch`` ranking plus writing (fsync per block), index
  build excluded (it is the same for both and reported apart). The ratio is to the ranking
  time; the CPU ratio compares process CPU seconds, which a machine shared with other work
  disturbs less than wall time;
- **legacy JSONL encode**: the per-suggestion f-string writer this replaced, encoding the
  same blocks (no ranking), for the before/after;
- **Spark local[2]**: ``run_spark_batch`` to JSONL on the same graph, shuffle bytes from
  Spark's task metrics, and whether its output equals the in-process file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

import graphmatch as gm
from graphmatch.batch.run import Block, JsonlSink, ParquetSink, iter_blocks, run_batch


def _legacy_encode(block: Block) -> bytes:
    """Encode a block as the per-suggestion writer did (for the before/after column)."""
    ids = block.ids
    found, counts, scores = block.found.tolist(), block.counts.tolist(), block.scores.tolist()
    lines = []
    for i, m in enumerate(block.lengths.tolist()):
        f, c, s = found[i], counts[i], scores[i]
        items = [
            f'{{"id":{json.dumps(ids[f[j]])},"score":{s[j]!r},"mutual_count":{c[j]}}}'
            for j in range(m)
        ]
        lines.append(f'{{"id":{json.dumps(block.people[i])},"suggestions":[{",".join(items)}]}}\n')
    return "".join(lines).encode()


def _store(people: int, friendships: int) -> gm.MemoryStore:
    """Return the synthetic graph as a memory store (no background index)."""
    from graphmatch_bench.data import synthetic_edges

    edges = synthetic_edges(people, friendships)
    G = nx.Graph()
    G.add_nodes_from(str(i) for i in range(people))
    G.add_edges_from((str(a), str(b)) for a, b in edges.tolist())
    return gm.MemoryStore(G, index="off")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return 0."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--friendships", type=int, default=1_000_000)
    p.add_argument("--graph", metavar="FILE", help="an edge list instead of the synthetic graph")
    p.add_argument("--score", default=gm.DEFAULT_SCORE, choices=gm.SCORES)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, help="ranking threads (default: all cores)")
    p.add_argument("--no-spark", action="store_true", help="skip the Spark column")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--max-degree", type=int, help="degree cap (both engines)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = p.parse_args(argv)

    t = time.perf_counter()
    if args.graph:
        store = gm.MemoryStore.from_edgelist(args.graph, index="off")
        name = Path(args.graph).name
    else:
        store = _store(args.people, args.friendships)
        name = f"synth {args.people:,} / {args.friendships:,}"
    t_graph = time.perf_counter() - t
    t = time.perf_counter()
    index = store.build_index()
    t_index = time.perf_counter() - t
    kw = {"score": args.score, "k": args.k, "max_degree": args.max_degree}

    # Warm the compiled kernels (numba's cache) outside every timing: ranking and encoding.
    warm = next(iter_blocks(store, block_size=1000, threads=args.threads, index=index, **kw))
    JsonlSink(Path("unused.jsonl")).encode(warm)
    t, c = time.perf_counter(), time.process_time()
    blocks = list(iter_blocks(store, threads=args.threads, index=index, **kw))
    rank, rank_cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    for block in blocks:
        _legacy_encode(block)
    legacy = time.perf_counter() - t
    del blocks

    row: dict[str, object] = {
        "graph": name,
        "graph_build_s": round(t_graph, 1),
        "index_s": round(t_index, 2),
        "ranking_s": round(rank, 2),
        "ranking_cpu_s": round(rank_cpu, 2),
        "legacy_encode_s": round(legacy, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.jsonl"
        c = time.process_time()
        rep = run_batch(store, out, threads=args.threads, progress=False, **kw)
        row["jsonl_cpu_s"] = round(time.process_time() - c, 2)
        row["jsonl_cpu_ratio"] = round((time.process_time() - c) / rank_cpu, 2)
        row["jsonl_s"] = round(rep.rank_seconds + rep.write_seconds, 2)
        row["jsonl_write_s"] = round(rep.write_seconds, 2)
        row["jsonl_ratio"] = round((rep.rank_seconds + rep.write_seconds) / rank, 2)
        row["jsonl_mib"] = round(out.stat().st_size / 2**20)
        try:
            c = time.process_time()
            rep = run_batch(
                store, ParquetSink(Path(tmp) / "s.parquet"), threads=args.threads,
                progress=False, **kw,
            )  # fmt: skip
            row["parquet_cpu_ratio"] = round((time.process_time() - c) / rank_cpu, 2)
            row["parquet_s"] = round(rep.rank_seconds + rep.write_seconds, 2)
            row["parquet_ratio"] = round((rep.rank_seconds + rep.write_seconds) / rank, 2)
        except gm.InvalidInput as exc:  # no pyarrow
            row["parquet_s"] = f"skipped: {exc}"
        if not args.no_spark:
            row.update(_spark(store, out, args, Path(tmp)))
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    print(
        "| graph | ranking | to JSONL (writing) | ratio (CPU ratio) | to Parquet | ratio "
        "(CPU ratio) | legacy JSONL encode | Spark local[2] | Spark shuffle | same bytes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {row['graph']} | {row['ranking_s']} s | {row['jsonl_s']} s ({row['jsonl_write_s']} s)"
        f" | {row['jsonl_ratio']}x ({row['jsonl_cpu_ratio']}x) | {row.get('parquet_s')} s"
        f" | {row.get('parquet_ratio')}x ({row.get('parquet_cpu_ratio')}x)"
        f" | {row['legacy_encode_s']} s | {row.get('spark_s', '-')} s"
        f" | {row.get('spark_shuffle_mib', '-')} MiB | {row.get('spark_same_bytes', '-')} |"
    )
    print(
        f"(index build {row['index_s']} s; JSONL {row['jsonl_mib']} MiB; "
        f"peak RSS {row['peak_rss_mib']} MiB)"
    )
    if args.json:
        print(json.dumps(row, indent=2))
    return 0


def _spark(
    store: gm.MemoryStore, reference: Path, args: argparse.Namespace, tmp: Path
) -> dict[str, object]:
    """Run the Spark batch on the same graph; return its time, shuffle and equality."""
    try:
        from graphmatch.batch import spark as sp
    except ImportError as exc:
        return {"spark_s": f"skipped: {exc}"}
    spark = sp.session(args.master, shuffle_partitions=8, ui=True)
    try:
        frames = sp.frames_from_store(spark, store)
        frames.friendships.count()  # shipped before the clock starts
        before = sp.shuffle_bytes(spark)
        out = tmp / "spark.jsonl"
        t = time.perf_counter()
        sp.run_spark_batch(
            frames, jsonl=str(out), score=args.score, k=args.k, max_degree=args.max_degree
        )
        seconds = time.perf_counter() - t
        shuffled = sp.shuffle_bytes(spark) - before
        same = sp.read_jsonl_parts(out) == reference.read_bytes()
    finally:
        spark.stop()
    return {
        "spark_s": round(seconds, 1),
        "spark_shuffle_mib": round(shuffled / 2**20),
        "spark_same_bytes": "yes" if same else "NO",
    }


if __name__ == "__main__":
    sys.exit(main())

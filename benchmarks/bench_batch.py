"""Benchmark the batch: ranking alone, to JSONL, to Parquet, and Spark local[2], on one graph.

Usage::

    python benchmarks/bench_batch.py --people 100000 --friendships 1000000 [--no-spark]
    python benchmarks/bench_batch.py --graph tests/data/facebook_combined.txt.gz
    python benchmarks/bench_batch.py --people 100000 --friendships 1000000 --scipy \
        --spark-memory 8g --output docs/data/batch-synth-100k.json
    python benchmarks/bench_batch.py --people 3000 --friendships 15000 --hubs 3 \
        --hub-degree 1500 --spark-salt-above 200 --no-legacy   # planted hubs, salted

The graph is ``graphmatch_bench.data.synthetic_edges`` (seed_data's generator, cached on
disk); ids are ``str(position)``. Columns:

- **ranking**: ``iter_blocks`` over everyone, results kept in memory (the index prebuilt,
  the kernels warmed);
- **to JSONL / to Parquet**: ``run_batch`` ranking plus writing (fsync per block), index
  build excluded (it is the same for both and reported apart). The ratio is to the ranking
  time; the CPU ratio compares process CPU seconds, which a machine shared with other work
  disturbs less than wall time;
- **legacy JSONL encode**: the per-suggestion f-string writer this replaced, encoding the
  same blocks (no ranking), for the before/after; its bytes are compared with the file
  ``run_batch`` wrote (``jsonl_same_bytes_as_legacy``);
- **scipy** (``--scipy``): ``A[block] @ A`` less self and friends, top-k per row, on the same
  threads (common neighbours; over 200k people 8 random blocks, extrapolated);
- **Spark local[2]**: ``run_spark_batch`` to JSONL on the same graph, shuffle bytes, task
  run time and peak memory from Spark's REST API (``graphmatch_bench.engines``), the JVM's
  peak RSS, the two-hop rows, and whether its output equals the in-process file byte for
  byte; ``--spark-timeout`` cancels it (reported, with the stages it finished);
  ``--spark-salt-above N`` salts the two-hop join's hubs (``run_spark_batch(salt_above=N)``),
  and ``--hubs H --hub-degree D`` plants H hubs of D friends in the synthetic graph.

Peak memory is the kernel's high-water mark of this process (reset before each part), so
the ranking's is the graph and index plus the ranking's own; ``--output FILE`` writes every
number as JSON (the data ``scripts/charts`` draws).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import numpy as np

import graphmatch as gm
from graphmatch.batch.run import Block, JsonlSink, ParquetSink, iter_blocks, run_batch
from graphmatch_bench.engines import two_hop_rows
from graphmatch_bench.timing import peak_rss_bytes, reset_peak


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


def _store(people: int, friendships: int, hubs: int = 0, hub_degree: int = 0) -> gm.MemoryStore:
    """Return the synthetic graph as a memory store (no background index), hubs planted."""
    from graphmatch_bench.data import synthetic_edges

    edges = synthetic_edges(people, friendships)
    G = nx.Graph()
    G.add_nodes_from(str(i) for i in range(people))
    G.add_edges_from((str(a), str(b)) for a, b in edges.tolist())
    rng = random.Random(1)
    for h in range(hubs):  # people + h, each a friend of hub_degree random people
        G.add_edges_from((str(people + h), str(v)) for v in rng.sample(range(people), hub_degree))
    return gm.MemoryStore(G, index="off")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; return 0."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--friendships", type=int, default=1_000_000)
    p.add_argument("--graph", metavar="FILE", help="an edge list instead of the synthetic graph")
    p.add_argument("--hubs", type=int, default=0, help="hubs planted in the synthetic graph")
    p.add_argument("--hub-degree", type=int, default=1000, help="friends of each planted hub")
    p.add_argument(
        "--spark-salt-above", type=int, help="salt mutual friends of more friends than this"
    )
    p.add_argument("--score", default=gm.DEFAULT_SCORE, choices=gm.SCORES)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, help="ranking threads (default: all cores)")
    p.add_argument("--no-spark", action="store_true", help="skip the Spark column")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--max-degree", type=int, help="degree cap (both engines)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    p.add_argument("--output", metavar="FILE", help="also write the numbers as JSON to FILE")
    p.add_argument("--scipy", action="store_true", help="add scipy's block products")
    p.add_argument("--no-legacy", action="store_true", help="skip the legacy encode column")
    p.add_argument("--spark-partitions", type=int, default=8, help="shuffle partitions (8)")
    p.add_argument("--spark-memory", default="4g", help="Spark driver memory (local mode: 4g)")
    p.add_argument("--spark-timeout", type=float, default=3600, help="cancel Spark after S s")
    p.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more Spark settings, e.g. spark.sql.autoBroadcastJoinThreshold=-1 (repeatable)",
    )
    args = p.parse_args(argv)

    t = time.perf_counter()
    if args.graph:
        store = gm.MemoryStore.from_edgelist(args.graph, index="off")
        name = Path(args.graph).name
    else:
        store = _store(args.people, args.friendships, args.hubs, args.hub_degree)
        name = f"synth {args.people:,} / {args.friendships:,}"
        if args.hubs:
            name += f" + {args.hubs} hubs of {args.hub_degree:,}"
    t_graph = time.perf_counter() - t
    t = time.perf_counter()
    index = store.build_index().freeze()  # the packed, id-ordered snapshot batch ranks
    t_index = time.perf_counter() - t
    kw = {"score": args.score, "k": args.k, "max_degree": args.max_degree}

    # Warm the compiled kernels (numba's cache) outside every timing: ranking and encoding.
    warm = next(iter_blocks(store, block_size=1000, threads=args.threads, index=index, **kw))
    JsonlSink(Path("unused.jsonl")).encode(warm)
    t, c = time.perf_counter(), time.process_time()
    reset_peak()
    t, c = time.perf_counter(), time.process_time()
    blocks = list(iter_blocks(store, threads=args.threads, index=index, **kw))
    rank, rank_cpu = time.perf_counter() - t, time.process_time() - c
    rank_peak = peak_rss_bytes()
    legacy: float | str = "skipped"
    legacy_digest = None
    if not args.no_legacy:
        h = hashlib.blake2b()
        t = time.perf_counter()
        for block in blocks:
            data = _legacy_encode(block)
            h.update(data)  # the bytes run_batch's file must equal (about 1% of the time)
        legacy = round(time.perf_counter() - t, 2)
        legacy_digest = h.hexdigest()
    del blocks

    degrees = np.diff(index.indptr)
    row: dict[str, object] = {
        "graph": name,
        "people": len(index.ids),
        "friendships": int(degrees.sum()) // 2,
        "max_degree_in_graph": int(degrees.max(initial=0)),
        "two_hop_rows": two_hop_rows(degrees, args.max_degree),
        "params": {"score": args.score, "k": args.k, "max_degree": args.max_degree},
        "command": "python benchmarks/bench_batch.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": _machine(),
        "graph_build_s": round(t_graph, 1),
        "index_s": round(t_index, 2),
        "ranking_s": round(rank, 2),
        "ranking_cpu_s": round(rank_cpu, 2),
        "ranking_peak_rss_mib": round(rank_peak / 2**20),
        "legacy_encode_s": legacy,
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.jsonl"
        reset_peak()
        c = time.process_time()
        rep = run_batch(store, out, threads=args.threads, progress=False, **kw)
        row["jsonl_peak_rss_mib"] = round(peak_rss_bytes() / 2**20)
        row["jsonl_cpu_s"] = round(time.process_time() - c, 2)
        row["jsonl_cpu_ratio"] = round((time.process_time() - c) / rank_cpu, 2)
        row["jsonl_s"] = round(rep.rank_seconds + rep.write_seconds, 2)
        row["jsonl_write_s"] = round(rep.write_seconds, 2)
        row["jsonl_ratio"] = round((rep.rank_seconds + rep.write_seconds) / rank, 2)
        row["jsonl_mib"] = round(out.stat().st_size / 2**20)
        if legacy_digest is not None:
            with out.open("rb") as fh:
                same = hashlib.file_digest(fh, "blake2b").hexdigest() == legacy_digest
            row["jsonl_same_bytes_as_legacy"] = "yes" if same else "NO"
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
        if args.scipy:
            row.update(_scipy(index, args))
        if not args.no_spark:
            row.update(_spark(store, out, args, Path(tmp)))
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    row["load_average_after"] = list(os.getloadavg())

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
        f"(index build {row['index_s']} s; JSONL {row['jsonl_mib']} MiB, the legacy writer's "
        f"bytes: {row.get('jsonl_same_bytes_as_legacy', 'not compared')}; peak RSS: ranking "
        f"{row['ranking_peak_rss_mib']} MiB, to JSONL {row['jsonl_peak_rss_mib']} MiB, "
        f"process {row['peak_rss_mib']} MiB; load average {row['machine']['load_average_start']}"  # type: ignore[index]
        f" at the start, {row['load_average_after']} after)"
    )
    if args.json:
        print(json.dumps(row, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    return 0


def _machine() -> dict[str, object]:
    """Return what the numbers were measured on (cores, load average at the start)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
    }


def _scipy(index: object, args: argparse.Namespace) -> dict[str, object]:
    """Time scipy's block products (common neighbours) for everyone, extrapolated past 200k."""
    try:
        import scipy.sparse as sp
    except ImportError as exc:
        return {"scipy_s": f"skipped: {exc}"}
    from graphmatch_bench.baselines import scipy_block_topk

    indptr = np.asarray(index.indptr)  # type: ignore[attr-defined]
    n = len(indptr) - 1
    A = sp.csr_matrix(
        (np.ones(int(indptr[-1])), np.asarray(index.indices), indptr),  # type: ignore[attr-defined]
        shape=(n, n),
    )
    bs = 20_000 if n > 200_000 else 5_000
    starts = list(range(0, n, bs))
    chosen = starts if n <= 200_000 else sorted(random.Random(1).sample(starts, 8))
    threads = args.threads or os.cpu_count() or 1
    reset_peak()
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda b: scipy_block_topk(A, np.arange(b, min(n, b + bs)), args.k), chosen))
    dt = time.perf_counter() - t
    covered = sum(min(n, b + bs) - b for b in chosen)
    return {
        "scipy_s": round(dt * n / covered, 1),
        "scipy_extrapolated_from": f"{len(chosen)} of {len(starts)} blocks",
        "scipy_peak_rss_mib": round(peak_rss_bytes() / 2**20),
    }


def _spark(
    store: gm.MemoryStore, reference: Path, args: argparse.Namespace, tmp: Path
) -> dict[str, object]:
    """Run the Spark batch on the same graph; return its time, shuffle and equality."""
    try:
        from graphmatch.batch import spark as sp
    except ImportError as exc:
        return {"spark_s": f"skipped: {exc}"}
    from graphmatch_bench import engines

    conf = dict(kv.split("=", 1) for kv in args.spark_conf)
    spark = sp.session(
        args.master,
        shuffle_partitions=args.spark_partitions,
        ui=True,
        spark__driver__memory=args.spark_memory,
        **{k.replace(".", "__"): v for k, v in conf.items()},
    )
    timer = threading.Timer(args.spark_timeout, spark.sparkContext.cancelAllJobs)
    try:
        frames = sp.frames_from_store(spark, store)
        frames.friendships.count()  # shipped before the clock starts
        first = {s["stage"] for s in engines.spark_stages(spark)}
        out = tmp / "spark.jsonl"
        t = time.perf_counter()
        timer.start()
        try:
            sp.run_spark_batch(
                frames, jsonl=str(out), score=args.score, k=args.k, max_degree=args.max_degree,
                salt_above=args.spark_salt_above,
            )  # fmt: skip
            status = "done"
        except Exception as exc:  # cancelled by the timer, or out of memory
            status = f"failed after {time.perf_counter() - t:.0f} s: {str(exc).splitlines()[0]}"
        seconds = time.perf_counter() - t
        timer.cancel()
        stages = [s for s in engines.spark_stages(spark) if s["stage"] not in first]
        # The two heaviest stages (the two-hop join and the aggregation): median and slowest
        # task, to see whether hubs skew them.
        for s in sorted(stages, key=lambda s: s["run_s"], reverse=True)[:2]:
            try:
                s["task_spread"] = engines.spark_task_spread(spark, s["stage"])
            except (OSError, ValueError, KeyError) as exc:  # the REST API did not answer
                s["task_spread"] = f"unavailable: {exc}"
        memory = engines.spark_peak_memory(spark)
        jvm = engines.jvm_peak_rss_bytes(spark)
        same = status == "done" and sp.read_jsonl_parts(out) == reference.read_bytes()
    finally:
        timer.cancel()
        spark.stop()
    shuffled = sum(s["shuffle_write_bytes"] for s in stages)
    heavy = max(stages, key=lambda s: s["run_s"], default=None)
    return {
        "spark_status": status,
        "spark_master": args.master,
        "spark_partitions": args.spark_partitions,
        "spark_salt_above": args.spark_salt_above,
        "spark_conf": conf,
        "spark_s": round(seconds, 1),
        "spark_shuffle_mib": round(shuffled / 2**20),
        "spark_run_s": round(sum(s["run_s"] for s in stages), 1),
        "spark_spill_mib": round(sum(s["spill_bytes"] for s in stages) / 2**20),
        "spark_tasks": sum(s["tasks"] for s in stages),
        "spark_heaviest_stage": heavy,
        "spark_jvm_peak_rss_mib": None if jvm is None else round(jvm / 2**20),
        "spark_peak_memory_mib": {
            k.replace("_bytes", ""): round(v / 2**20) for k, v in memory.items()
        },
        "spark_same_bytes": "yes" if same else "NO",
        "spark_stages": stages,
    }


if __name__ == "__main__":
    sys.exit(main())

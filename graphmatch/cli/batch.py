"""The ``graphmatch batch`` subcommand (``bench`` comes from ``graphmatch_bench``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graphmatch.errors import InvalidInput
from graphmatch.rule import DEFAULT_SCORE, LEARNED, SCORES

__all__ = ["register"]


def _cmd_spark(args: argparse.Namespace) -> int:
    """Run ``graphmatch batch --engine spark``: the same output, computed on Spark."""
    if args.to == "neo4j" or args.resume or args.checkpoint or args.block_size or args.threads:
        raise InvalidInput(
            "--engine spark writes files only and reruns in full (overwrite): drop --to neo4j, "
            "--resume, --checkpoint, --block-size and --threads"
        )
    if args.out is None and args.parquet_out is None:
        raise InvalidInput("give --out FOLDER.jsonl (or FOLDER.parquet) or --parquet-out FOLDER")
    from graphmatch.batch import spark as sp

    jsonl = parquet = None
    if args.out is not None:
        if str(args.out).endswith(".parquet"):
            parquet = args.out
        else:
            jsonl = args.out
    if args.parquet_out is not None:
        parquet = args.parquet_out
    # A session this command starts, it stops; one the caller already runs, it leaves running.
    ours = not sp.has_active_session()
    spark = sp.session(args.master, shuffle_partitions=args.shuffle_partitions)
    try:
        if args.parquet is not None:
            frames = sp.frames_from_parquet(spark, args.parquet)
        else:
            frames = sp.frames_from_edgelist(spark, args.graph)
        report = sp.run_spark_batch(
            frames,
            jsonl=jsonl,
            parquet=parquet,
            score=args.score,
            k=args.k,
            explain=args.explain,
            max_degree=args.max_degree,
            salt_above=args.salt_above,
        )
    finally:
        if ours:
            spark.stop()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{report.people:,} people on Spark ({args.master}) -> "
            f"{', '.join(report.outputs)} in {report.seconds:.1f} s"
        )
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    """Run ``graphmatch batch``: top-k for everyone, to JSONL, Parquet or Neo4j."""
    if (args.graph is None) == (args.parquet is None):
        raise InvalidInput("give one input: --graph FILE (an edge list) or --parquet FOLDER")
    if args.score == LEARNED and args.model is None:
        raise InvalidInput(
            "--score learned needs --model MODEL (graphmatch train GRAPH --out MODEL)"
        )
    if args.model is not None and args.score != LEARNED:
        raise InvalidInput("--model is for --score learned")
    if args.engine == "spark":
        if args.score == LEARNED:
            raise InvalidInput("--score learned runs in process, not on Spark (--engine process)")
        return _cmd_spark(args)
    if args.salt_above is not None:
        raise InvalidInput("--salt-above is for --engine spark (it splits Spark's two-hop join)")
    if args.parquet is not None or args.parquet_out is not None:
        raise InvalidInput("--parquet and --parquet-out are for --engine spark")
    from graphmatch.batch.run import DEFAULT_BLOCK_SIZE, Neo4jSink, Sink, run_batch
    from graphmatch.stores.memory import MemoryStore
    from graphmatch.stores.protocol import GraphStore, RunsQueries

    target: GraphStore | None = None
    if args.to == "neo4j":
        from graphmatch.stores._open import open_store

        if args.checkpoint is None:  # checked first: no connection to close on the way out
            raise InvalidInput("--to neo4j needs --checkpoint FILE to be resumable")
        target = open_store("neo4j")
        if not isinstance(target, RunsQueries):
            target.close()
            raise InvalidInput("this Neo4j store cannot run batched writes (no run_write)")
        sink: Sink | str = Neo4jSink(target.run_write)
    else:
        if args.out is None:
            raise InvalidInput("give --out FILE.jsonl (or FOLDER.parquet), or --to neo4j")
        sink = args.out
    if not args.no_progress:
        # The bar sits at 0% while numba compiles the parallel kernels (about 20 s on 2 cores,
        # once: numba caches them beside the package); say so rather than look stuck.
        print(
            "graphmatch: batch: the first run after an install compiles the ranking kernels "
            "(numba, up to ~20 s at 0%); later runs load them from the cache",
            file=sys.stderr,
            flush=True,
        )
    try:
        # Index "off": the batch builds the index itself, once, without a background thread.
        store = MemoryStore.from_edgelist(args.graph, index="off")
        report = run_batch(
            store,
            sink,
            score=args.score,
            k=args.k,
            block_size=args.block_size or DEFAULT_BLOCK_SIZE,
            explain=args.explain,
            max_degree=args.max_degree,
            resume=args.resume,
            checkpoint=args.checkpoint,
            progress=not args.no_progress,
            threads=args.threads,
            model=args.model,
        )
    finally:
        if target is not None:
            target.close()
    data = report.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        where = "Neo4j" if args.to == "neo4j" else args.out
        print(
            f"{report.people:,} people in {report.blocks} blocks "
            f"({report.resumed_blocks} resumed) -> {where} in {report.seconds:.1f} s "
            f"(index {report.index_seconds:.1f} s, ranking {report.rank_seconds:.1f} s, "
            f"writing {report.write_seconds:.1f} s)"
        )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``batch`` subcommand to the ``graphmatch`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    None

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["batch", "--graph", "g.txt", "--out", "s.jsonl"]).k
    10
    """
    p = subparsers.add_parser(
        "batch",
        help="every person's top-k suggestions, to JSONL/Parquet or Neo4j",
        description=(
            "Rank every person's suggestions with the compiled index, in blocks on every "
            "core, streaming to a file (resumable with --resume) or into Neo4j; or on Apache "
            "Spark (--engine spark), with the same output."
        ),
    )
    p.add_argument("--graph", metavar="FILE", help="edge-list file to rank")
    p.add_argument(
        "--parquet",
        metavar="FOLDER",
        help="Spark input: FOLDER/friendships (a, b), and people (id), blocks (a, b), "
        "consent (id, discoverable, show_as_mutual) where present",
    )
    p.add_argument(
        "--engine",
        choices=("process", "spark"),
        default="process",
        help="rank in this process (default) or on Spark",
    )
    p.add_argument("--master", default="local[2]", help="Spark master URL (default local[2])")
    p.add_argument(
        "--shuffle-partitions", type=int, default=8, metavar="N", help="Spark shuffle partitions"
    )
    p.add_argument("--parquet-out", metavar="FOLDER", help="Spark: also write this Parquet dataset")
    p.add_argument(
        "--salt-above",
        type=int,
        metavar="H",
        help="Spark: split each mutual friend of more than H friends over ceil(d/H) join keys",
    )
    p.add_argument("--score", choices=(*SCORES, LEARNED), default=DEFAULT_SCORE)
    p.add_argument(
        "--model", metavar="MODEL", help="--score learned: a model file (graphmatch train)"
    )
    p.add_argument("--k", type=int, default=10, help="suggestions per person (default 10)")
    p.add_argument(
        "--out",
        metavar="FILE",
        help="output: FILE.jsonl, or FOLDER.parquet (Spark: FOLDER.jsonl of part files)",
    )
    p.add_argument(
        "--to", choices=("file", "neo4j"), default="file", help="write to --out or Neo4j"
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--block-size", type=int, metavar="N", help="people per block (20000)")
    p.add_argument("--explain", type=int, default=0, help="named mutual friends (default 0)")
    p.add_argument("--max-degree", type=int, help="degree cap on the mutual friends")
    p.add_argument("--threads", type=int, help="threads to rank with (default: all cores)")
    p.add_argument("--checkpoint", metavar="FILE", help="checkpoint (default OUT.checkpoint.json)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true", help="print the run report as JSON")
    p.set_defaults(func=_cmd_batch)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m graphmatch.cli.batch
    parser = argparse.ArgumentParser(prog="graphmatch")
    register(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args()
    sys.exit(ns.func(ns))

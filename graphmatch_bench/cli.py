"""The ``graphmatch bench`` command: options, the run, the table or JSON.

It joins the ``graphmatch`` command through the ``graphmatch.commands`` entry point
(``bench = "graphmatch_bench.cli:register"``). Registering it imports nothing heavy; the
measuring modules load when the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from graphmatch import InvalidInput
from graphmatch_bench.data import GRAPHS, QUICK_GRAPHS, check_graph

__all__ = ["add_arguments", "register", "run_from_args"]


def register(subparsers: Any) -> None:
    """Add the ``bench`` subcommand to a ``graphmatch`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned; the handler is set as ``func``.

    Returns
    -------
    None

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="graphmatch")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["bench", "--quick"])
    >>> args.func is run_from_args, args.quick
    (True, True)
    """
    p = subparsers.add_parser(
        "bench",
        help="benchmark graphmatch against networkx, scipy, igraph, NetworKit",
        description=(
            "One table: operation x implementation x graph -> p50/p99 latency, throughput, "
            "peak memory and build time, with ratios against baselines measured in the same run."
        ),
    )
    add_arguments(p)
    p.set_defaults(func=run_from_args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``bench`` options to a parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``bench`` subcommand's parser.

    Returns
    -------
    None

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["--quick"]).quick
    True
    """
    p.add_argument(
        "--graphs",
        help=f"comma-separated: {', '.join(GRAPHS)} or synth:PEOPLE:FRIENDSHIPS "
        "(default: all; --quick: facebook,synth:10000:100000)",
    )
    p.add_argument("--quick", action="store_true", help="small graphs and samples: < 1 minute")
    p.add_argument("--people", type=int, help="people sampled per latency operation (300)")
    p.add_argument("--pairs", type=int, help="pairs in the batched mutual counts (1,000,000)")
    p.add_argument("--threads", type=int, default=2, help="threads for the batch operations")
    p.add_argument(
        "--baselines",
        help="comma-separated, of networkx, scipy, igraph, networkit (default: those "
        "installed; one named here but not installed is a row saying so)",
    )
    p.add_argument(
        "--writes",
        metavar="RATE[,RATE...]",
        help="instead: suggest latency while friendships are written at these rates per "
        "second (0 is measured too), compaction, ingest (default graph synth-100k; --quick: "
        "synth:10000:100000)",
    )
    p.add_argument("--seconds", type=float, help="with --writes: seconds per rate (10; --quick: 3)")
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="with --writes: gc.freeze() once the graph is loaded",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--output", metavar="FILE", help="also write the JSON to FILE")


def _baselines(given: str | None) -> list[str]:
    """Return the baselines to run: those named (checked), or every installed one."""
    from graphmatch_bench.baselines import BASELINES, installed

    if given is None:
        return installed()
    names = [b.strip() for b in given.split(",") if b.strip()]
    unknown = [b for b in names if b not in BASELINES]
    if unknown:
        raise InvalidInput(
            f"--baselines: unknown {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(BASELINES)}"
        )
    return names


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``graphmatch bench`` from parsed arguments; return the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        From a parser set up by :func:`add_arguments`.

    Returns
    -------
    int
        0, or 1 when no graph could be measured (every one skipped).

    Raises
    ------
    InvalidInput
        For a graph name that is neither known, ``synth:PEOPLE:FRIENDSHIPS``, nor a file
        (checked before anything runs).

    Examples
    --------
    >>> p = argparse.ArgumentParser(); add_arguments(p)
    >>> run_from_args(p.parse_args(["--graphs", "synth:200:800", "--people", "5"]))
    ... # doctest: +SKIP
    """
    from graphmatch_bench.baselines import BASELINES
    from graphmatch_bench.run import machine, run_bench
    from graphmatch_bench.table import format_table

    if args.writes:
        return _run_writes(args)
    if args.graphs:
        graphs = [g.strip() for g in args.graphs.split(",") if g.strip()]
    else:
        graphs = list(QUICK_GRAPHS if args.quick else GRAPHS)
    for graph in graphs:
        check_graph(graph)  # a typo fails now, in one line, not after minutes of other graphs
    baselines = _baselines(args.baselines)
    people = args.people or (50 if args.quick else 300)
    pairs = args.pairs or (100_000 if args.quick else 1_000_000)
    single = 300 if args.quick else 2000
    progress = (lambda s: print(s, file=sys.stderr)) if args.json else print
    before = machine()
    rows, notes = run_bench(
        graphs,
        people=people,
        pairs_single=single,
        pairs_batch=pairs,
        threads=args.threads,
        baselines=baselines,
        log=progress,
    )
    if args.baselines is None and (missing := [b for b in BASELINES if b not in baselines]):
        hint = "pip install 'graphmatch[bench]'"
        notes = [*notes, f"baselines not installed, so not run: {', '.join(missing)} ({hint})"]
    data = {
        "machine": before,
        "load_average_after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "graphs": graphs,
        "notes": notes,
        "rows": [asdict(r) for r in rows],
    }
    if args.output:
        Path(args.output).write_text(json.dumps(data, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print()
        print(format_table(rows))
        for n in notes:
            print(n)
        load = before["load_average"]
        print(f"machine: {before['cpus']} cpus, load average at start {load[0]:.1f}")
    return 0 if rows else 1


def _run_writes(args: argparse.Namespace) -> int:
    """Run ``bench --writes``: one table per graph; return the exit code."""
    from graphmatch.errors import InvalidInput
    from graphmatch_bench.run import machine
    from graphmatch_bench.writes import as_dicts, format_writes, run_writes

    try:
        rates = [float(r) for r in args.writes.split(",") if r.strip()]
    except ValueError:
        raise InvalidInput(f"--writes takes rates like 100,1000, got {args.writes!r}") from None
    if any(r < 0 for r in rates):
        raise InvalidInput("--writes rates must be 0 or more")
    default = "synth:10000:100000" if args.quick else "synth-100k"
    graphs = [g.strip() for g in (args.graphs or default).split(",") if g.strip()]
    for graph in graphs:
        check_graph(graph)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    progress = (lambda s: print(s, file=sys.stderr)) if args.json else print
    before = machine()
    rows = []
    for graph in graphs:
        rows += run_writes(
            graph, rates, seconds=seconds, ingest=20_000 if args.quick else 1_000_000,
            gc_freeze=args.gc_freeze, log=progress,
        )  # fmt: skip
    data = {"machine": before, "graphs": graphs, "rows": as_dicts(rows)}
    if args.output:
        Path(args.output).write_text(json.dumps(data, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print()
        print(format_writes(rows))
        print("p50 x: this row's suggest p50 / the same run's no-writes p50. missed: reads on")
        print("the compiled index that lacked the friendship the writer had acknowledged last.")
        load = before["load_average"]
        print(f"machine: {before['cpus']} cpus, load average at start {load[0]:.1f}")
    return 0

"""Benchmark runs: every operation on one graph, and graphs in turn, each in a child process."""

from __future__ import annotations

import gc
import math
import os
import platform
import random
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from typing import Any

from graphmatch_bench.data import SEED, load_pairs
from graphmatch_bench.measure import batch_rows, build, mutual_rows, suggest_rows
from graphmatch_bench.table import Row
from graphmatch_bench.timing import rss_bytes

__all__ = ["bench_graph", "machine", "run_bench"]


def bench_graph(
    name: str,
    *,
    people: int = 300,
    pairs_single: int = 2000,
    pairs_batch: int = 1_000_000,
    batch_threads: int = 2,
    scipy_block_sample: int | None = None,
    baselines: Iterable[str] = ("networkx", "scipy", "igraph", "networkit"),
    log: Callable[[str], None] = print,
) -> list[Row]:
    """Measure every operation on one graph; return its rows.

    Parameters
    ----------
    name : str
        A key of :data:`~graphmatch_bench.data.GRAPHS`, ``synth:PEOPLE:FRIENDSHIPS``, or an
        edge-list path.
    people : int, default 300
        People sampled for the latency operations.
    pairs_single : int, default 2000
        Pairs timed one by one.
    pairs_batch : int, default 1000000
        Pairs in the batched mutual-count operation.
    batch_threads : int, default 2
        Threads for graphmatch batch and the scipy block products.
    scipy_block_sample : int, optional
        Time scipy on this many blocks only and extrapolate (default: all blocks up to
        200,000 people, else 8 blocks).
    baselines : iterable of str
        Which baselines to run (one not installed gets a row saying so).
    log : callable
        Where progress notes go.

    Returns
    -------
    list of Row

    Raises
    ------
    FileNotFoundError
        If the graph's file is missing.

    Examples
    --------
    >>> rows = bench_graph("synth:200:800", people=5, pairs_single=5, pairs_batch=100,
    ...                    batch_threads=1, log=lambda s: None)  # doctest: +SKIP
    """
    rng = random.Random(SEED)
    gc.collect()
    pairs, source = load_pairs(name)
    subject, rows = build(
        name, pairs, source, baselines=baselines, batch_threads=batch_threads, log=log
    )
    # One random stream, drawn in the same order as ever: the people, then the pairs.
    ids = [p for p in subject.index.ids if p is not None]  # none removed: the same list
    sample = rng.sample(ids, min(people, len(ids)))
    rows += suggest_rows(subject, sample, log)
    rows += mutual_rows(subject, rng, pairs_single=pairs_single, pairs_batch=pairs_batch, log=log)
    rows += batch_rows(
        subject, batch_threads=batch_threads, scipy_block_sample=scipy_block_sample, log=log
    )
    index = subject.index
    rows.append(
        Row(
            name,
            "memory",
            "graphmatch store",
            peak_rss=rss_bytes() - subject.rss0,
            note=f"networkx graph + index, RSS growth; index arrays {index.nbytes / 2**20:.0f} MiB",
        )
    )
    return rows


def _child(name: str, kwargs: dict[str, Any], conn: Any) -> None:
    """Run one graph's benchmark and send the rows (or the error) back through a pipe."""
    try:
        rows = bench_graph(name, log=lambda s: print(s, file=sys.stderr, flush=True), **kwargs)
        conn.send(("ok", [asdict(r) for r in rows]))
    except FileNotFoundError as exc:
        conn.send(("missing", str(exc)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _in_child(name: str, kwargs: dict[str, Any], log: Callable[[str], None]) -> list[Row]:
    """Run :func:`bench_graph` in a child process; return its rows."""
    import multiprocessing as mp

    # spawn, not fork: forking a process whose numba (OpenMP) thread pool is running is
    # unsafe, and a test session or an embedding app may well have started it.
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, kwargs, child))
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        proc.join()
        status, payload = "error", f"the benchmark process died (exit code {proc.exitcode})"
    proc.join()
    if status == "missing":
        raise FileNotFoundError(payload)
    if status == "error":
        raise RuntimeError(f"benchmark of {name} failed: {payload}")
    return [Row(**r) for r in payload]


def run_bench(
    graphs: Sequence[str],
    *,
    people: int = 300,
    pairs_single: int = 2000,
    pairs_batch: int = 1_000_000,
    threads: int = 2,
    baselines: Iterable[str] = ("networkx", "scipy", "igraph", "networkit"),
    log: Callable[[str], None] = print,
    isolate: bool = True,
) -> tuple[list[Row], list[str]]:
    """Benchmark each graph in turn; return the rows and notes on skipped graphs.

    Parameters
    ----------
    graphs : sequence of str
        Names from :data:`GRAPHS` or ``synth:PEOPLE:FRIENDSHIPS`` specs.
    people, pairs_single, pairs_batch, threads, baselines, log
        As for :func:`bench_graph`.
    isolate : bool, default True
        Measure each graph in a child process of its own, so one graph's memory does not hide
        the next one's (RSS rarely shrinks) and the peak RSS is that graph's alone.

    Returns
    -------
    rows : list of Row
    notes : list of str

    Examples
    --------
    >>> rows, notes = run_bench(["synth:200:800"], people=5, pairs_single=5,
    ...                         pairs_batch=100, log=lambda s: None)  # doctest: +SKIP
    """
    rows: list[Row] = []
    notes: list[str] = []
    base = list(baselines)
    kwargs: dict[str, Any] = {
        "people": people,
        "pairs_single": pairs_single,
        "pairs_batch": pairs_batch,
        "batch_threads": threads,
        "baselines": base,
    }
    for name in graphs:
        try:
            if isolate:
                rows.extend(_in_child(name, kwargs, log))
            else:
                rows.extend(bench_graph(name, log=log, **kwargs))
        except FileNotFoundError as exc:
            note = f"skipped {name}: {exc} not found (set GRAPHMATCH_DATA)"
            notes.append(note)
            log(note)
        gc.collect()
    return rows, notes


def machine() -> dict[str, Any]:
    """Return what the numbers were measured on.

    Returns
    -------
    dict
        Python and platform versions, CPU count, numba's thread-pool size, load average.

    Examples
    --------
    >>> sorted(machine())
    ['cpus', 'load_average', 'numba_threads', 'platform', 'python']
    """
    import numba

    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        # The configured size, not get_num_threads(): that would start the thread pool.
        "numba_threads": numba.config.NUMBA_NUM_THREADS,  # type: ignore[attr-defined]
        "load_average": list(load),
    }

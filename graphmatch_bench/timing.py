"""Measuring: resident memory and its peak, percentiles, and the two timing orders."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphmatch_bench.table import Row

__all__ = [
    "back_to_back",
    "interleaved",
    "latency_rows",
    "pct",
    "peak_rss_bytes",
    "reset_peak",
    "rss_bytes",
]


def rss_bytes() -> int:
    """Return the resident set size of this process now.

    Returns
    -------
    int
        Bytes; 0 where ``/proc`` is missing.

    Examples
    --------
    >>> rss_bytes() >= 0
    True
    """
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs``).

    Returns
    -------
    bool
        Whether it worked (False off Linux, or where ``/proc`` is read-only).

    Examples
    --------
    >>> reset_peak() in (True, False)
    True
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Return the peak RSS since the last :func:`reset_peak` (or since start).

    Returns
    -------
    int
        Bytes (``VmHWM``, or ``ru_maxrss`` where ``/proc`` is missing).

    Examples
    --------
    >>> peak_rss_bytes() >= rss_bytes() > 0
    True
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def pct(xs: Sequence[float], q: float) -> float:
    """Return the q-th percentile of xs, by linear interpolation.

    Parameters
    ----------
    xs : sequence of float
        The samples.
    q : float
        The percentile, 0 to 100.

    Returns
    -------
    float
        NaN for no samples.

    Examples
    --------
    >>> pct([1.0, 2.0, 3.0], 50)
    2.0
    """
    return float(np.percentile(np.asarray(xs, dtype=np.float64), q)) if xs else math.nan


def interleaved(
    impls: dict[str, Callable[[Any], object]], items: Sequence[Any], warm: int = 3
) -> dict[str, list[float]]:
    """Time each implementation on each item, alternating implementations per item.

    Interleaving spreads drift in machine load over every implementation alike.

    Parameters
    ----------
    impls : dict of str to callable
        Label -> function of one item.
    items : sequence
        The items (e.g. sampled people's indexes).
    warm : int, default 3
        Untimed calls on the first items, per implementation.

    Returns
    -------
    dict of str to list of float
        Label -> seconds per call, in item order.

    Examples
    --------
    >>> times = interleaved({"a": abs, "b": str}, [1, -2, 3], warm=1)
    >>> sorted(times), len(times["a"])
    (['a', 'b'], 3)
    """
    for fn in impls.values():
        for x in items[:warm]:
            fn(x)
    times: dict[str, list[float]] = {label: [] for label in impls}
    clock = time.perf_counter
    order = list(impls.items())
    for i, x in enumerate(items):
        # Rotate who goes first, so no implementation always runs on a cold cache.
        for label, fn in order[i % len(order) :] + order[: i % len(order)]:
            t0 = clock()
            fn(x)
            times[label].append(clock() - t0)
    return times


def back_to_back(
    impls: dict[str, Callable[[Any], object]], items: Sequence[Any], warm: int = 3
) -> dict[str, list[float]]:
    """Time each implementation on every item in a row: its steady state, caches its own.

    Parameters
    ----------
    impls : dict of str to callable
        Label -> function of one item.
    items : sequence
        The items.
    warm : int, default 3
        Untimed calls on the first items, per implementation.

    Returns
    -------
    dict of str to list of float
        Label -> seconds per call, in item order.

    Examples
    --------
    >>> len(back_to_back({"a": abs}, [1, 2], warm=0)["a"])
    2
    """
    times: dict[str, list[float]] = {}
    clock = time.perf_counter
    for label, fn in impls.items():
        for x in items[:warm]:
            fn(x)
        ts = times[label] = []
        for x in items:
            t0 = clock()
            fn(x)
            ts.append(clock() - t0)
    return times


def latency_rows(
    graph: str, op: str, times: dict[str, list[float]], ours: str, note: dict[str, str]
) -> list[Row]:
    """Turn per-call times into rows with p50 ratios against graphmatch.

    Parameters
    ----------
    graph, op : str
        The rows' graph and operation.
    times : dict of str to list of float
        What :func:`interleaved` or :func:`back_to_back` returned.
    ours : str
        The label the ratios are taken against (its own ratio is None).
    note : dict of str to str
        Notes by label.

    Returns
    -------
    list of Row

    Examples
    --------
    >>> rows = latency_rows("g", "op", {"gm": [1.0], "nx": [3.0]}, "gm", {})
    >>> [(r.impl, r.ratio) for r in rows]
    [('gm', None), ('nx', 3.0)]
    """
    ref = pct(times[ours], 50)
    rows = []
    for label, ts in times.items():
        p50 = pct(ts, 50)
        rows.append(
            Row(
                graph,
                op,
                label,
                p50=p50,
                p99=pct(ts, 99),
                throughput=len(ts) / sum(ts),
                unit="calls/s",
                ratio=None if label == ours else p50 / ref,
                note=note.get(label, ""),
                samples=len(ts),
            )
        )
    return rows

"""The benchmark's rows and the fixed-width table they print as."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Row", "format_table"]


@dataclass
class Row:
    """One line of the table.

    Times are seconds. ``ratio`` is how many times faster graphmatch is than this row
    (p50 for latencies, throughput for batches); None on graphmatch's own rows.
    """

    graph: str
    operation: str
    impl: str
    p50: float | None = None
    p99: float | None = None
    throughput: float | None = None
    unit: str = ""
    ratio: float | None = None
    build_s: float | None = None
    peak_rss: int | None = None
    note: str = ""
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt_time(s: float | None) -> str:
    """Format seconds with a unit that fits."""
    if s is None or math.isnan(s):
        return ""
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs" if s < 1e-5 else f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _fmt_rate(x: float | None, unit: str) -> str:
    """Format a throughput."""
    if x is None:
        return ""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.2f}{suffix} {unit}"
    return f"{x:.1f} {unit}"


def format_table(rows: Sequence[Row]) -> str:
    """Return the rows as a fixed-width text table.

    Parameters
    ----------
    rows : sequence of Row
        What :func:`run_bench` returned.

    Returns
    -------
    str
        The table, one line per row, then a legend.

    Examples
    --------
    >>> print(format_table([Row("g", "suggest", "graphmatch", p50=1e-5, p99=2e-5)]))
    ... # doctest: +ELLIPSIS
    graph ...
    """
    head = (
        "graph",
        "operation",
        "implementation",
        "p50",
        "p99",
        "throughput",
        "x slower",
        "build",
        "peak RSS",
        "note",
    )
    body = []
    for r in rows:
        body.append(
            (
                r.graph,
                r.operation,
                r.impl,
                _fmt_time(r.p50),
                _fmt_time(r.p99),
                _fmt_rate(r.throughput, r.unit),
                "" if r.ratio is None else f"{r.ratio:.1f}x",
                _fmt_time(r.build_s),
                "" if r.peak_rss is None else f"{r.peak_rss / 2**20:,.0f} MiB",
                r.note,
            )
        )
    widths = [
        max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)
    ]
    right = {3, 4, 5, 6, 7, 8}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(head)] + [line(b) for b in body]
    out.append(
        "\nx slower = this row's p50 (or batch time) / graphmatch's; for pairs/s rows, "
        "graphmatch's throughput / this row's. Higher means graphmatch is faster.\n"
        "peak RSS: kernel high-water mark over that measurement (Linux clear_refs), or RSS "
        "growth where the note says so."
    )
    return "\n".join(out)

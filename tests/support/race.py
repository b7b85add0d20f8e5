"""A torn-read drill: readers check every row inside ``read`` while a writer changes them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any


def rows_whole(ix: Any, people: Sequence[str]) -> bool:
    """Return whether every row is sorted, without repeats, and every friendship on both sides."""
    start, deg, indices = ix.rows()
    pos = ix.pos
    rows = {p: indices[start[pos[p]] : start[pos[p]] + deg[pos[p]]].tolist() for p in people}
    for p, row in rows.items():
        if row != sorted(set(row)):
            return False
        if any(pos[p] not in rows[ix.ids[q]] for q in row):
            return False
    return True


def torn_reads(
    ix: Any,
    people: Sequence[str],
    writer: Callable[[threading.Event], None],
    reads: int,
    readers: int = 2,
) -> int:
    """Run writer(stop) while readers each make ``reads`` checked reads; return the torn ones.

    The writer runs until the readers are done and ``stop`` is set (it may do a minimum of
    work first); a read is torn if :func:`rows_whole` failed inside ``ix.read``.
    """
    stop = threading.Event()
    torn: list[int] = []

    def reader() -> None:
        for _ in range(reads):
            if not ix.read(lambda: rows_whole(ix, people)):
                torn.append(1)

    write = threading.Thread(target=writer, args=(stop,))
    threads = [threading.Thread(target=reader) for _ in range(readers)]
    write.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    write.join()
    return len(torn)

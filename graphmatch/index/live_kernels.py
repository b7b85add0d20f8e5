"""Compiled writes for :class:`graphmatch.index.live.LiveIndex`: rows with room to grow.

A row is ``indices[start[p] : start[p] + deg[p]]``, sorted, inside a slot of ``room[p]`` slots.
``meta`` holds ``[tail, garbage]``: the first slot no row uses, and how many slots rows left
behind when they moved. Every kernel changes one row at a time and writes a moved row's new
slot before pointing ``start`` at it, so a reader running meanwhile (whose answer is thrown
away, see :mod:`graphmatch.index.live`) only ever reads slots inside the buffer, each holding
some position.

Kept apart from :mod:`graphmatch.index.kernels` so editing one file does not make numba
recompile the other's kernels (its cache is per file).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: The smallest slot a row gets when it first needs one.
MIN_ROOM = 4


@njit(cache=True, nogil=True)
def _grown(room: int) -> int:
    """Return the slot size a full row of this room moves to (doubling: amortised O(1))."""
    return max(MIN_ROOM, 2 * room)


@njit(cache=True, nogil=True)
def _insert(
    start: np.ndarray,
    deg: np.ndarray,
    room: np.ndarray,
    indices: np.ndarray,
    meta: np.ndarray,
    p: int,
    v: int,
) -> None:
    """Insert v into p's sorted row (nothing if there); the caller made room at the tail."""
    s = start[p]
    d = deg[p]
    lo, hi = s, s + d
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    if lo < s + d and indices[lo] == v:
        return
    if d < room[p]:
        for j in range(s + d, lo, -1):
            indices[j] = indices[j - 1]
        indices[lo] = v
        deg[p] = d + 1
        return
    # Full: move to a slot twice the size at the tail, v inserted on the way.
    t = meta[0]
    k = lo - s
    for j in range(k):
        indices[t + j] = indices[s + j]
    indices[t + k] = v
    for j in range(k, d):
        indices[t + j + 1] = indices[s + j]
    grown = _grown(room[p])
    start[p] = t
    deg[p] = d + 1
    meta[1] += room[p]
    room[p] = grown
    meta[0] = t + grown


@njit(cache=True, nogil=True)
def _remove(start: np.ndarray, deg: np.ndarray, indices: np.ndarray, p: int, v: int) -> None:
    """Remove v from p's sorted row (nothing if absent); the slot keeps its room."""
    s = start[p]
    d = deg[p]
    lo, hi = s, s + d
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    if lo == s + d or indices[lo] != v:
        return
    deg[p] = d - 1
    for j in range(lo, s + d - 1):
        indices[j] = indices[j + 1]


@njit(cache=True, nogil=True)
def add_pairs(
    start: np.ndarray,
    deg: np.ndarray,
    room: np.ndarray,
    indices: np.ndarray,
    meta: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    first: int,
) -> int:
    """Add the friendships (a[i], b[i]) from i = first, both sides each; return where it stopped.

    Stops before the first pair whose rows would not fit at the tail (the caller repacks
    and calls again from there); returns ``len(a)`` when all are in. A pair is written
    whole or not at all.

    Parameters
    ----------
    start, deg, room, indices, meta : numpy.ndarray
        The live index's rows (int64 except indices) and ``[tail, garbage]``.
    a, b : numpy.ndarray of int64
        Positions, pairwise, never equal.
    first : int
        The first pair to add.

    Returns
    -------
    int
        The index of the first pair not added.

    Examples
    --------
    >>> import numpy as np
    >>> start, deg, room = np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(2, np.int64)
    >>> indices, meta = np.zeros(16, np.int32), np.zeros(2, np.int64)
    >>> add_pairs(start, deg, room, indices, meta, np.array([0]), np.array([1]), 0)
    1
    >>> indices[start[0] : start[0] + deg[0]].tolist(), meta.tolist()
    ([1], [8, 0])
    """
    size = indices.shape[0]
    for i in range(first, a.shape[0]):
        x, y = a[i], b[i]
        need = 0
        if deg[x] == room[x]:
            need += _grown(room[x])
        if deg[y] == room[y]:
            need += _grown(room[y])
        if meta[0] + need > size:
            return i
        _insert(start, deg, room, indices, meta, x, y)
        _insert(start, deg, room, indices, meta, y, x)
    done: int = a.shape[0]
    return done


@njit(cache=True, nogil=True)
def remove_pairs(
    start: np.ndarray, deg: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> None:
    """Remove the friendships (a[i], b[i]), both sides each (absent ones are skipped)."""
    for i in range(a.shape[0]):
        _remove(start, deg, indices, a[i], b[i])
        _remove(start, deg, indices, b[i], a[i])


@njit(cache=True, nogil=True)
def clear_row(
    start: np.ndarray,
    deg: np.ndarray,
    room: np.ndarray,
    indices: np.ndarray,
    meta: np.ndarray,
    p: int,
) -> None:
    """Remove p from each friend's row, then empty p's row and give its slot up."""
    s = start[p]
    for j in range(s, s + deg[p]):
        _remove(start, deg, indices, indices[j], p)
    deg[p] = 0
    meta[1] += room[p]
    room[p] = 0


@njit(cache=True, nogil=True)
def repack(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    new_room: np.ndarray,
    out_start: np.ndarray,
    out: np.ndarray,
) -> int:
    """Copy every row into ``out``, back to back in position order with new_room slots each.

    Returns the new tail. Reads the old arrays only: readers keep using them meanwhile.
    """
    t = 0
    for p in range(new_room.shape[0]):
        s = start[p]
        d = deg[p]
        out_start[p] = t
        for j in range(d):
            out[t + j] = indices[s + j]
        t += new_room[p]
    return t


@njit(cache=True, nogil=True)
def gather_sorted(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    by_rank: np.ndarray,
    indptr: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write a packed CSR in id order: row r is by_rank[r]'s row, relabelled by rank, sorted."""
    for r in range(by_rank.shape[0]):
        p = by_rank[r]
        s = start[p]
        o = indptr[r]
        for j in range(deg[p]):
            out[o + j] = rank[indices[s + j]]
        out[o : o + deg[p]] = np.sort(out[o : o + deg[p]])


@njit(cache=True, nogil=True)
def add_sorted(
    start: np.ndarray,
    deg: np.ndarray,
    room: np.ndarray,
    indices: np.ndarray,
    meta: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    first: int,
) -> tuple[int, int]:
    """Merge the entries (src[i], dst[i]) from i = first into their rows, one pass per row.

    src, dst are sorted by (src, dst) without repeats, each friendship given both ways (see
    :meth:`graphmatch.index.live.LiveIndex.plan`); entries already in a row are skipped. A
    row whose new entries do not fit its slot moves to the tail in a slot of
    ``max(2 * room, degree)``. Stops before the first row that would not fit at the tail (the
    caller repacks and calls again from there). Returns ``(where it stopped, entries added)``;
    it stopped at ``len(src)`` when all are in.

    Examples
    --------
    >>> import numpy as np
    >>> start, deg, room = np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(2, np.int64)
    >>> indices, meta = np.zeros(16, np.int32), np.zeros(2, np.int64)
    >>> src, dst = np.array([0, 1]), np.array([1, 0])
    >>> add_sorted(start, deg, room, indices, meta, src, dst, 0)
    (2, 2)
    >>> add_sorted(start, deg, room, indices, meta, src, dst, 0)  # already there
    (2, 0)
    """
    size = indices.shape[0]
    added = 0
    g0 = first
    m = src.shape[0]
    while g0 < m:
        p = src[g0]
        g1 = g0 + 1
        while g1 < m and src[g1] == p:
            g1 += 1
        s = start[p]
        d = deg[p]
        # Count the entries the row lacks: one merge walk over the row and the group.
        k = 0
        i = s
        for g in range(g0, g1):
            v = dst[g]
            while i < s + d and indices[i] < v:
                i += 1
            if i == s + d or indices[i] != v:
                k += 1
        if k == 0:
            g0 = g1
            continue
        if d + k <= room[p]:
            # In place, from the back: every slot written holds some position throughout.
            i = s + d - 1
            w = s + d + k - 1
            g = g1 - 1
            while g >= g0:
                v = dst[g]
                if i >= s and indices[i] > v:
                    indices[w] = indices[i]
                    i -= 1
                    w -= 1
                elif i >= s and indices[i] == v:
                    g -= 1
                else:
                    indices[w] = v
                    w -= 1
                    g -= 1
        else:
            grown = max(_grown(room[p]), d + k)
            t = meta[0]
            if t + grown > size:
                return g0, added
            # Merged into the new slot, which is written before start points at it.
            i = s
            w = t
            for g in range(g0, g1):
                v = dst[g]
                while i < s + d and indices[i] < v:
                    indices[w] = indices[i]
                    i += 1
                    w += 1
                if i < s + d and indices[i] == v:
                    continue
                indices[w] = v
                w += 1
            while i < s + d:
                indices[w] = indices[i]
                i += 1
                w += 1
            start[p] = t
            meta[1] += room[p]
            room[p] = grown
            meta[0] = t + grown
        deg[p] = d + k
        added += k
        g0 = g1
    return m, added


@njit(cache=True, nogil=True)
def shift_ranks(rank: np.ndarray, n: int, upto: np.ndarray) -> None:
    """Move each present rank r among the first n positions up by upto[r] (newcomers before)."""
    for p in range(n):
        r = rank[p]
        if r >= 0:
            rank[p] = r + upto[r]


@njit(cache=True, nogil=True)
def tail_bound(src: np.ndarray, deg: np.ndarray, room: np.ndarray) -> int:
    """Return the most tail slots :func:`add_sorted` can take for these entries (src sorted).

    A row may gain as many entries as it has here; if that could overflow its slot it moves
    to one of ``max(2 * room, degree)`` (or :data:`MIN_ROOM`).
    """
    need = 0
    g0 = 0
    m = src.shape[0]
    while g0 < m:
        p = src[g0]
        g1 = g0 + 1
        while g1 < m and src[g1] == p:
            g1 += 1
        final = deg[p] + (g1 - g0)
        if final > room[p]:
            need += max(_grown(room[p]), final)
        g0 = g1
    return need

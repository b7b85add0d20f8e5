"""Compiled kernels over CSR arrays (numba): the memory store's read-optimised hot paths.

``top_k_block`` fans the per-person ranking out over a block of people: one ``prange`` lane
per thread, each with its own scratch row, people dealt round-robin so hubs spread evenly.

Every kernel takes an index's rows as three arrays, ``(start, deg, indices)``: the friends of
position p are ``indices[start[p] : start[p] + deg[p]]``, sorted ascending. A frozen
:class:`graphmatch.index.csr.CSRIndex` hands out ``(indptr[:-1], diff(indptr), indices)``; the
live :class:`graphmatch.index.live.LiveIndex` keeps spare room after each row. The ranking
kernels also take ``rank``, each position's place in id order, or :data:`ORDERED` (empty) when
positions are in id order (a frozen index), and rank with the one rule of
:mod:`graphmatch.rule`: quantised score descending, mutual count descending, rank (= id order)
ascending. The quantum and
the weight functions are imported from there (numba freezes them into the compiled code; its
on-disk cache does not notice an edit to rule.py, so clear ``__pycache__`` after one; the
agreement tests in ``tests/oracles/test_order_rule.py`` fail on a stale kernel). Weighted sums
are added in the rule's canonical order: u's friends are walked in ascending (degree,
rank) order.

The ranking kernels stay safe on a live index that a writer changes while they run (a reader
that then sees another version throws its answer away, :mod:`graphmatch.index.live`): every
slot of ``indices`` holds some position, each loop is bounded by the degrees it read, the hash
table stops taking keys before it fills, and scratch is handed back zeroed from what was
marked, not from a second read of a row that may have changed.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from graphmatch import rule

CN, JACCARD, AA, RA, CN_RA = 0, 1, 2, 3, 4
#: Score codes, by score name.
SCORE_CODES = {
    "common_neighbors": CN,
    "jaccard": JACCARD,
    "adamic_adar": AA,
    "resource_allocation": RA,
    "cn_ra": CN_RA,
}
#: The ``rank`` to pass when positions are in id order: the kernels then use the position.
ORDERED = np.empty(0, np.int64)
#: The ``keys`` that tells :func:`_select` a slot is the position itself (the dense rows).
_NO_KEYS = np.empty(0, np.int64)
#: Scores are quantised before ranking exactly as :func:`graphmatch.rule.quantise` does.
QUANTUM_INV = rule.QUANTUM_INV
#: Held around every ``parallel=True`` kernel call: numba's default (workqueue) threading
#: layer aborts the process if two Python threads enter parallel code at once.
PARALLEL = threading.Lock()


def _emit_prefetch(builder: Any, ptr: Any) -> None:
    """Emit ``llvm.prefetch`` of the cache line at ptr (an i8 pointer) into builder."""
    i8p = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
    fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
        builder.module, fnty, "llvm.prefetch.p0"
    )
    # (address, read, keep in every cache level, data cache)
    flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
    builder.call(fn, [ptr, *flags])


def _prefetch_typer(typingctx: Any, arr: Any, i: Any) -> Any:
    """Hint the CPU to start loading arr[i] into cache (``llvm.prefetch``); no effect on results.

    Random rows of a graph-sized array miss every cache level; asking for the rows a loop
    will need a few iterations ahead overlaps those misses instead of paying them one by one.
    """
    if not isinstance(arr, types.Array):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aty = signature.args[0]
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, aty, ary, [args[1]], wraparound=False
        )
        _emit_prefetch(builder, builder.bitcast(ptr, ir.IntType(8).as_pointer()))
        return context.get_dummy_value()

    return types.void(arr, i), codegen


#: ``_prefetch(arr, i)`` inside compiled code.
_prefetch: Any = intrinsic(_prefetch_typer)


@njit(cache=True, nogil=True)
def _worse(qa: int, ca: int, ra: int, qb: int, cb: int, rb: int) -> bool:
    """Return whether candidate a ranks below candidate b (ra, rb: id-order ranks)."""
    if qa != qb:
        return qa < qb
    if ca != cb:
        return ca < cb
    return ra > rb


#: Walks up to this long are sorted by insertion: numba's ``ndarray.sort`` costs about
#: 0.5 µs even for two keys, a quarter of a sparse graph's whole kernel.
SMALL_SORT = 32


@njit(cache=True, nogil=True)
def _insertion_sort(a: np.ndarray) -> None:
    """Sort a short array in place."""
    for i in range(1, a.shape[0]):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


#: Two-hop neighbourhoods up to this many table slots are counted in a small hash table
#: that stays in L1/L2 cache; bigger ones (hubs) in the dense per-thread scratch rows.
HASH_SLOTS_MAX = 1 << 16


@njit(cache=True, nogil=True)
def _select(
    at: np.ndarray,
    n_at: int,
    keys: np.ndarray,
    cs: np.ndarray,
    ws: np.ndarray,
    banned: np.ndarray,
    deg: np.ndarray,
    rank: np.ndarray,
    du: int,
    code: int,
    hq: np.ndarray,
    hc: np.ndarray,
    hr: np.ndarray,
    hv: np.ndarray,
    hs: np.ndarray,
) -> int:
    """Score the candidates at[:n_at] into the heap; return its size.

    Slot j = at[i] holds candidate keys[j] (j itself when keys is empty: the dense rows),
    its count cs[j] (skipped when <= 0) and weight sum ws[j]. Read through at rather than
    through fancy-indexed copies: three allocations and numba's generic gather cost more than
    the whole selection on a sparse graph. One loop, no call per candidate: a numba call with
    array arguments costs reference counting on each, more than scoring a candidate.
    """
    k = hq.shape[0]
    size = 0
    ordered = rank.shape[0] == 0  # positions are in id order: the position is the rank
    dense = keys.shape[0] == 0
    for i in range(n_at):
        j = at[i]
        c = cs[j]
        if c <= 0:
            continue
        v = j if dense else keys[j]
        if code == CN:
            s = float(c)
        elif code == JACCARD:
            s = c / (du + deg[v] - c)
        elif code == CN_RA:
            s = c * ws[j]
        else:
            s = ws[j]
        q = math.floor(s * QUANTUM_INV + 0.5)
        if size == k:
            # Against the worst kept, rank read only on a full tie: rank[v] is a random
            # access into a graph-sized array, and most candidates lose on the score.
            q0 = hq[0]
            if q < q0:
                continue
            if q == q0:
                c0 = hc[0]
                if c < c0 or (c == c0 and (v if ordered else rank[v]) > hr[0]):
                    continue
        # Opt-outs are checked only for who would enter the top k: one lookup, not thousands.
        if banned[v]:
            continue
        r = v if ordered else rank[v]
        # A min-heap of the k best so far, worst at the root: sift up into a free place,
        # or sift down from the root the new entry replaces.
        if size < k:
            pos = size
            size += 1
            while pos > 0:
                parent = (pos - 1) // 2
                if not _worse(q, c, r, hq[parent], hc[parent], hr[parent]):
                    break
                hq[pos], hc[pos], hr[pos] = hq[parent], hc[parent], hr[parent]
                hv[pos], hs[pos] = hv[parent], hs[parent]
                pos = parent
        else:
            pos = 0
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                if child + 1 < size and _worse(
                    hq[child + 1], hc[child + 1], hr[child + 1], hq[child], hc[child], hr[child]
                ):
                    child += 1
                if not _worse(hq[child], hc[child], hr[child], q, c, r):
                    break
                hq[pos], hc[pos], hr[pos] = hq[child], hc[child], hr[child]
                hv[pos], hs[pos] = hv[child], hs[child]
                pos = child
        hq[pos], hc[pos], hr[pos], hv[pos], hs[pos] = q, c, r, v, s
    return size


#: The rule's per-friend weights, compiled (scalar calls: numba inlines them).
_aa_weight = njit(cache=True, nogil=True)(rule.aa_weight)
_ra_weight = njit(cache=True, nogil=True)(rule.ra_weight)


@njit(cache=True, nogil=True)
def _weight(code: int, d: int) -> float:
    """Return what one mutual friend of d friends adds to a weighted score."""
    if code == AA:
        return _aa_weight(d)
    if code in (RA, CN_RA):
        return _ra_weight(d)
    return 0.0


@njit(cache=True, nogil=True)
def _hash(v: int, shift: int) -> int:
    """Return the home slot of position v in a table of 2**(32 - shift) slots.

    Knuth's multiplicative hash: the top bits of the low 32 bits of v * 2654435761, so
    neighbouring positions (friends often have close ids) land far apart.
    """
    return (((v & 0xFFFFFFFF) * 2654435761) & 0xFFFFFFFF) >> shift


@njit(cache=True, nogil=True)
def _heap_hashed(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    walk: np.ndarray,
    code: int,
    slots: int,
    hq: np.ndarray,
    hc: np.ndarray,
    hr: np.ndarray,
    hv: np.ndarray,
    hs: np.ndarray,
) -> int:
    """Count u's distance-2 people in a cache-sized hash table and fill the heap; its size.

    walk holds u's countable friends (degree within [2, cap]) in canonical order.
    """
    mask = slots - 1
    shift = 32
    while (1 << (32 - shift)) < slots:
        shift -= 1
    # keys, counts and the slots of candidates (in first-seen order) in one allocation.
    block = np.empty(3 * slots, np.int64)
    keys = block[:slots]
    keys[:] = -1
    cnt = block[slots : 2 * slots]
    used = block[2 * slots :]
    wsum = np.empty(slots, np.float64)
    nu = 0
    # At most this many keys, so probing always meets a free slot: the table was sized from
    # degrees that a writer may have grown since (the answer is then thrown away).
    room = slots - 1
    # -1 marks people who can never be a candidate: u, u's friends, blocked people.
    s0 = start[u]
    du = deg[u]
    for t in range(du + 1 + extra.shape[0]):
        if t < du:
            v = indices[s0 + t]
        elif t == du:
            v = u
        else:
            v = extra[t - du - 1]
        i = _hash(v, shift)
        while keys[i] != v and keys[i] != -1:
            i = (i + 1) & mask
        if keys[i] == -1:
            if room == 0:
                continue
            room -= 1
        keys[i], cnt[i] = v, -1
    m = walk.shape[0]
    for t in range(m):
        if t + 2 < m:  # the row after next: its start is in cache from the sizing pass
            _prefetch(indices, start[walk[t + 2]])
        w = walk[t]
        wt = _weight(code, deg[w])
        for jj in range(start[w], start[w] + deg[w]):
            v = indices[jj]
            # Linear probing, inline: a numba call with array arguments costs reference
            # counting on each, more than the probe itself.
            i = _hash(v, shift)
            while keys[i] != v and keys[i] != -1:
                i = (i + 1) & mask
            if keys[i] == -1:
                if room == 0:
                    continue
                room -= 1
                keys[i], cnt[i], wsum[i] = v, 1, wt
                used[nu] = i
                nu += 1
            elif cnt[i] > 0:
                cnt[i] += 1
                wsum[i] += wt
    return _select(used, nu, keys, cnt, wsum, banned, deg, rank, du, code, hq, hc, hr, hv, hs)


@njit(cache=True, nogil=True)
def _heap_dense(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    walk: np.ndarray,
    code: int,
    cnt: np.ndarray,
    wsum: np.ndarray,
    touched: np.ndarray,
    hq: np.ndarray,
    hc: np.ndarray,
    hr: np.ndarray,
    hv: np.ndarray,
    hs: np.ndarray,
) -> int:
    """Count u's distance-2 people in graph-sized scratch rows and fill the heap; its size.

    walk holds u's countable friends in canonical order. cnt, wsum and touched are zeroed
    scratch arrays of the graph's size; they are handed back zeroed, so one set serves every
    call on a thread.
    """
    s0 = start[u]
    du = deg[u]
    # What was marked is kept, so it is what gets unmarked even if u's row changes meanwhile.
    marked = np.empty(du + 1 + extra.shape[0], np.int64)
    nm = 0
    for t in range(du + 1 + extra.shape[0]):
        if t < du:
            v = indices[s0 + t]
        elif t == du:
            v = u
        else:
            v = extra[t - du - 1]
        cnt[v] = -1
        marked[nm] = v
        nm += 1
    nt = 0
    m = walk.shape[0]
    limit = touched.shape[0]
    for t in range(m):
        if t + 2 < m:  # the row after next: its start is in cache from the sizing pass
            _prefetch(indices, start[walk[t + 2]])
        w = walk[t]
        wt = _weight(code, deg[w])
        for jj in range(start[w], start[w] + deg[w]):
            v = indices[jj]
            c = cnt[v]
            if c < 0:
                continue
            if c == 0:
                if nt == limit:  # cannot happen on a consistent index
                    continue
                touched[nt] = v
                nt += 1
            cnt[v] = c + 1
            wsum[v] += wt
    size = _select(
        touched, nt, _NO_KEYS, cnt, wsum, banned, deg, rank, du, code, hq, hc, hr, hv, hs
    )
    # Hand the scratch arrays back zeroed.
    for i in range(nt):
        cnt[touched[i]] = 0
        wsum[touched[i]] = 0.0
    for i in range(nm):
        cnt[marked[i]] = 0
    return size


@njit(cache=True, nogil=True)
def _explain(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    hidden: np.ndarray,
    extra: np.ndarray,
    walk: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Fill rows[i, 2:] with the first shown mutual friends of u and the person rows[i, 0].

    rows[i] holds (position, mutual count, -1 pads). walk is u's countable friends in
    canonical order, fewest friends first, then by rank (id order): the rule's explanation
    order too. Each found person is looked up in their rows, which the count pass has just
    brought into cache. Nobody marked in hidden and nobody in extra (blocked either way with
    u) is named; they are still counted.
    """
    n = rows.shape[1] - 2
    if n == 0 or rows.shape[0] == 0:
        return
    m = walk.shape[0]
    # Whether each friend on the walk may be named, decided once per call rather than per
    # candidate: a blocked friend is a friend of u, so it can only be on the walk. extra is
    # sorted into a copy and probed by binary search (blocks are few; a copy only if any).
    shown = np.empty(m, np.bool_)
    for t in range(m):
        shown[t] = not hidden[walk[t]]
    ne = extra.shape[0]
    if ne > 0:
        ex = np.sort(extra)
        for t in range(m):
            w = walk[t]
            lo, hi = 0, ne
            while lo < hi:
                mid = (lo + hi) >> 1
                if ex[mid] < w:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < ne and ex[lo] == w:
                shown[t] = False
    for i in range(rows.shape[0]):
        v = rows[i, 0]
        left = rows[i, 1]  # mutual friends still to meet: stop once all are seen
        named = 0
        for t in range(m):
            if left == 0 or named == n:
                break
            w = walk[t]
            # Binary search of v in w's sorted row (inline: see _select on call costs).
            lo = start[w]
            hi = lo + deg[w]
            end = hi
            while lo < hi:
                mid = (lo + hi) >> 1
                if indices[mid] < v:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < end and indices[lo] == v:
                left -= 1
                if shown[t]:
                    rows[i, 2 + named] = w
                    named += 1


@njit(cache=True, nogil=True)
def suggest_into(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    hidden: np.ndarray,
    extra: np.ndarray,
    u: int,
    cap: int,
    code: int,
    k: int,
    n_explain: int,
    cnt: np.ndarray,
    wsum: np.ndarray,
    touched: np.ndarray,
    out: np.ndarray,
    out_scores: np.ndarray,
) -> int:
    """Rank and explain the best k people at distance 2 from u, into preallocated outputs.

    What :func:`suggest` does, writing its answer into the caller's arrays and returning how
    many rows it wrote: the latency path (``LiveIndex.top``) keeps ``out`` and
    ``out_scores`` per thread, since boxing two returned arrays cost about 1 µs a call
    against 0.25 µs for an int (measured on an empty kernel), a tenth of the fixed cost.

    Parameters
    ----------
    start, deg, indices : numpy.ndarray
        The rows: position p's friends are ``indices[start[p] : start[p] + deg[p]]``, sorted.
    rank : numpy.ndarray of int64
        Each position's place in id order (the tie-break); empty when positions are in id
        order (a frozen index), which is faster.
    banned : numpy.ndarray of bool
        People never suggested (opted out of discovery).
    hidden : numpy.ndarray of bool
        People never named as a mutual friend.
    extra : numpy.ndarray of int64
        More people never to suggest (blocks both ways), and never named to u as a mutual
        friend (still counted in the mutual count and the score).
    u : int
        The person's position.
    cap : int
        Degree cap on mutual friends (``2**62`` for none).
    code : int
        Score code from :data:`SCORE_CODES`.
    k : int
        How many suggestions at most.
    n_explain : int
        Named mutual friends per suggestion (0 for none).
    cnt, wsum, touched : numpy.ndarray
        Zeroed scratch (int64, float64, int64) with a slot per position, used only when u's
        two-hop neighbourhood is too big for the cache-sized hash table; handed back zeroed.
    out : numpy.ndarray of int64
        Flat, at least ``k * (2 + n_explain)`` long (k is cut to what fits): row i is
        ``out[i * w : (i + 1) * w]`` with ``w = 2 + n_explain``: position, mutual count,
        then the named mutual friends (-1 pads), best first.
    out_scores : numpy.ndarray of float64
        At least k long: the score of row i at i.

    Returns
    -------
    int
        m, the rows written.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array([0, 1, 3]); deg = np.array([1, 2, 1]); indices = np.array([1, 0, 2, 1])
    >>> no = np.zeros(3, np.bool_); scratch = np.zeros(3, np.int64)
    >>> out = np.empty(30, np.int64); out_scores = np.empty(10)
    >>> suggest_into(start, deg, indices, np.arange(3), no, no, np.empty(0, np.int64),
    ...              0, 2**62, CN, 10, 1, scratch, np.zeros(3), scratch, out, out_scores)
    1
    >>> out[:3].tolist(), out_scores[:1].tolist()
    ([2, 1, 1], [1.0])
    """
    width = 2 + n_explain
    # Never past the caller's buffers (numba does not check bounds).
    k = min(k, out.shape[0] // width, out_scores.shape[0])
    # The heap's columns and the order of its entries in one allocation (each costs ~30 ns).
    heap = np.empty(5 * k, np.int64)
    hq, hc, hr, hv, order = (
        heap[:k],
        heap[k : 2 * k],
        heap[2 * k : 3 * k],
        heap[3 * k : 4 * k],
        heap[4 * k :],
    )
    hs = np.empty(k, np.float64)
    s0 = start[u]
    du = deg[u]
    # The countable friends (degree in [2, cap]) in the rule's canonical order (degree, then
    # rank), in which both count passes add the weights and _explain names friends. The same
    # pass sizes the hash table from the edges to walk. With positions in id order (rank
    # empty) the friends are packed as degree * base + position and sorted in place: 10-20%
    # faster per suggest than the argsort a live index's separate rank needs.
    ordered = rank.shape[0] == 0
    base = deg.shape[0] + 1
    pair = np.empty(2 * du, np.int64)
    walk, key = pair[:du], pair[du:]
    m = 0
    need = 1 + du + extra.shape[0]
    for j in range(s0, s0 + du):
        w = indices[j]
        dw = deg[w]
        if 2 <= dw <= cap:
            walk[m] = w
            key[m] = dw * base + (w if ordered else rank[w])
            m += 1
            need += dw
    walk = walk[:m]
    # Counts are integers, so only weighted sums and explanations need the order.
    if code in (AA, RA, CN_RA) or n_explain > 0:
        if ordered:
            key = key[:m]
            if m <= SMALL_SORT:
                _insertion_sort(key)
            else:
                key.sort()
            for t in range(m):
                walk[t] = key[t] % base
        else:
            walk = walk[np.argsort(key[:m])]
    slots = 64
    while slots < 2 * need:  # keep the table at most half full
        slots *= 2
    if slots <= HASH_SLOTS_MAX:
        size = _heap_hashed(
            start, deg, indices, rank, banned, extra, u, walk, code, slots, hq, hc, hr, hv, hs
        )
    else:
        size = _heap_dense(
            start, deg, indices, rank, banned, extra, u, walk, code, cnt, wsum, touched,
            hq, hc, hr, hv, hs,
        )  # fmt: skip
    # Best first: insertion sort of the (small) heap.
    for i in range(size):
        order[i] = i
    for i in range(1, size):
        j = i
        while j > 0 and _worse(
            hq[order[j - 1]], hc[order[j - 1]], hr[order[j - 1]],
            hq[order[j]], hc[order[j]], hr[order[j]],
        ):  # fmt: skip
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    rows = out[: size * width].reshape((size, width))
    rows[:] = -1
    for i in range(size):
        o = order[i]
        rows[i, 0] = hv[o]
        rows[i, 1] = hc[o]
        out_scores[i] = hs[o]
    _explain(start, deg, indices, hidden, extra, walk, rows)
    return size


@njit(cache=True, nogil=True)
def suggest(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    hidden: np.ndarray,
    extra: np.ndarray,
    u: int,
    cap: int,
    code: int,
    k: int,
    n_explain: int,
    cnt: np.ndarray,
    wsum: np.ndarray,
    touched: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank and explain the best k people at distance 2 from u.

    :func:`suggest_into` with fresh outputs (the batch kernel and the frozen index call it);
    the parameters are its.

    Returns
    -------
    rows : numpy.ndarray of int64
        ``(m, 2 + n_explain)``, best first: position, mutual count, then the named mutual
        friends (-1 pads). Two arrays rather than four: boxing each costs the caller.
    scores : numpy.ndarray of float64
        The m scores.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array([0, 1, 3]); deg = np.array([1, 2, 1]); indices = np.array([1, 0, 2, 1])
    >>> no = np.zeros(3, np.bool_); scratch = np.zeros(3, np.int64)
    >>> rows, scores = suggest(start, deg, indices, np.arange(3), no, no, np.empty(0, np.int64),
    ...                        0, 2**62, CN, 10, 1, scratch, np.zeros(3), scratch)
    >>> rows.tolist(), scores.tolist()
    ([[2, 1, 1]], [1.0])
    """
    width = 2 + n_explain
    out = np.empty(k * width, np.int64)
    out_scores = np.empty(k, np.float64)
    m = suggest_into(
        start, deg, indices, rank, banned, hidden, extra, u, cap, code, k, n_explain,
        cnt, wsum, touched, out, out_scores,
    )  # fmt: skip
    return out[: m * width].reshape((m, width)), out_scores[:m]


@njit(cache=True, nogil=True)
def mutual_count(start: np.ndarray, deg: np.ndarray, indices: np.ndarray, x: int, y: int) -> int:
    """Return the number of friends in common of positions x and y (sorted-row merge).

    The single-pair path: scalar arguments and a scalar result, so a call allocates nothing
    and numba's dispatch (about a microsecond) is most of its cost.

    Parameters
    ----------
    start, deg, indices : numpy.ndarray
        The rows (see :func:`suggest`).
    x, y : int
        Two positions.

    Returns
    -------
    int
        ``|N(x) ∩ N(y)|``.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array([0, 1, 3]); deg = np.array([1, 2, 1]); indices = np.array([1, 0, 2, 1])
    >>> mutual_count(start, deg, indices, 0, 2)
    1
    """
    p = start[x]
    pe = p + deg[x]
    q = start[y]
    qe = q + deg[y]
    n = 0
    while p < pe and q < qe:
        s, t = indices[p], indices[q]
        if s == t:
            n += 1
            p += 1
            q += 1
        elif s < t:
            p += 1
        else:
            q += 1
    return n


@njit(cache=True, nogil=True)
def _mutual_run(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> None:
    """Count friends in common for each pair (a[i], b[i]) into out, prefetching ahead."""
    m = a.shape[0]
    for i in range(m):
        # Row starts 16 pairs ahead, rows 8 ahead (their starts are in cache by then): the
        # first line of each row, and the next two for rows long enough to reach them
        # (pairs drawn from friendships at 1M/10M merge 24 + 67 entries on average; the
        # extra lines were 1.2x on synth-1m's rows, one run at load 4).
        if i + 16 < m:
            _prefetch(start, a[i + 16])
            _prefetch(start, b[i + 16])
            _prefetch(deg, a[i + 16])
            _prefetch(deg, b[i + 16])
        if i + 8 < m:
            x = a[i + 8]
            y = b[i + 8]
            sx = start[x]
            sy = start[y]
            _prefetch(indices, sx)
            _prefetch(indices, sy)
            if deg[x] > 12:
                _prefetch(indices, sx + 16)
            if deg[y] > 12:
                _prefetch(indices, sy + 16)
            if deg[x] > 28:
                _prefetch(indices, sx + 32)
            if deg[y] > 28:
                _prefetch(indices, sy + 32)
        p = start[a[i]]
        pe = p + deg[a[i]]
        q = start[b[i]]
        qe = q + deg[b[i]]
        n = 0
        # Blocks of 4 against 4 first: 16 compares with no dependency between them, then the
        # block with the smaller last entry moves on (both on a tie), so each pair of blocks
        # is compared once and every common friend counted once. The one-by-one merge below
        # waits on each load before the next step; with the extra lines 1.4x, same run.
        while p + 4 <= pe and q + 4 <= qe:
            for k in range(4):
                s = indices[p + k]
                for j in range(4):
                    n += s == indices[q + j]
            last_a = indices[p + 3]
            last_b = indices[q + 3]
            if last_a <= last_b:
                p += 4
            if last_b <= last_a:
                q += 4
        # Branch-free merge of what is left: equal advances both, else the smaller side.
        while p < pe and q < qe:
            s, t = indices[p], indices[q]
            n += s == t
            p += s <= t
            q += t <= s
        out[i] = n


@njit(cache=True, nogil=True)
def mutual_counts(
    start: np.ndarray, deg: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Return the number of friends in common of each pair (a[i], b[i]), on this thread.

    Parameters
    ----------
    start, deg, indices : numpy.ndarray
        The rows (see :func:`suggest`).
    a, b : numpy.ndarray of int64
        Positions, pairwise.

    Returns
    -------
    numpy.ndarray of int64
        ``|N(a[i]) ∩ N(b[i])|`` for each i.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array([0, 1, 3]); deg = np.array([1, 2, 1]); indices = np.array([1, 0, 2, 1])
    >>> mutual_counts(start, deg, indices, np.array([0, 0]), np.array([2, 1])).tolist()
    [1, 0]
    """
    out = np.empty(a.shape[0], np.int64)
    _mutual_run(start, deg, indices, a, b, out)
    return out


#: Pairs per parallel work item; batches smaller than two of these stay on one thread,
#: where starting the thread pool would cost more than it saves.
PAIR_CHUNK = 4096


@njit(cache=True, nogil=True, parallel=True)
def mutual_counts_parallel(
    start: np.ndarray, deg: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Return :func:`mutual_counts` computed in chunks on every thread; hold PARALLEL."""
    m = a.shape[0]
    out = np.empty(m, np.int64)
    for c in prange((m + PAIR_CHUNK - 1) // PAIR_CHUNK):
        lo = c * PAIR_CHUNK
        hi = min(m, lo + PAIR_CHUNK)
        _mutual_run(start, deg, indices, a[lo:hi], b[lo:hi], out[lo:hi])
    return out


@njit(cache=True, nogil=True)
def sort_rows(indptr: np.ndarray, indices: np.ndarray) -> None:
    """Sort each CSR row in place."""
    for r in range(indptr.shape[0] - 1):
        indices[indptr[r] : indptr[r + 1]] = np.sort(indices[indptr[r] : indptr[r + 1]])


# The batch fan-out lives in this module on purpose: numba's on-disk cache is invalidated by
# changes to the file a function is defined in, not by changes to the functions it calls, so
# a batch kernel in another module could keep running a stale copy of suggest.
@njit(cache=True, nogil=True, parallel=True)
def top_k_block(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    hidden: np.ndarray,
    users: np.ndarray,
    extra_ptr: np.ndarray,
    extra_idx: np.ndarray,
    cap: int,
    code: int,
    k: int,
    n_explain: int,
    cnt: np.ndarray,
    wsum: np.ndarray,
    touched: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rank the best k distance-2 candidates of every person in users, in parallel.

    Parameters
    ----------
    start, deg, indices : numpy.ndarray
        The rows (see :func:`suggest`).
    rank : numpy.ndarray of int64
        Each position's place in id order (the tie-break); empty when positions are in id
        order.
    banned : numpy.ndarray of bool
        People never suggested (opted out of discovery).
    hidden : numpy.ndarray of bool
        People never named as a mutual friend.
    users : numpy.ndarray of int64
        Positions of the people to rank for.
    extra_ptr, extra_idx : numpy.ndarray of int64
        Per-user lists of more people never to suggest nor name (blocks both ways), CSR-style:
        user ``i``'s list is ``extra_idx[extra_ptr[i]:extra_ptr[i + 1]]``.
    cap : int
        Degree cap on mutual friends (``2**62`` for none).
    code : int
        Score code from :data:`graphmatch.index.kernels.SCORE_CODES`.
    k : int
        Suggestions per person.
    n_explain : int
        Named mutual friends per suggestion (0 for none).
    cnt, wsum, touched : numpy.ndarray
        Zeroed scratch of shape ``(lanes, n)``; one lane per thread. Handed back zeroed.

    Returns
    -------
    found, counts, scores : numpy.ndarray
        ``(len(users), k)`` positions (-1 pads), mutual counts and scores, best first.
    lengths : numpy.ndarray
        How many suggestions each person got.
    named : numpy.ndarray
        ``(len(users), k, max(n_explain, 1))`` named mutual friends (-1 pads).
    """
    b = users.shape[0]
    lanes = cnt.shape[0]
    found = np.full((b, k), -1, np.int64)
    counts = np.zeros((b, k), np.int64)
    scores = np.zeros((b, k), np.float64)
    lengths = np.zeros(b, np.int64)
    width = max(n_explain, 1)
    named = np.full((b, k, width), -1, np.int64)
    for lane in prange(lanes):
        c_row, w_row, t_row = cnt[lane], wsum[lane], touched[lane]
        for i in range(lane, b, lanes):
            u = users[i]
            extra = extra_idx[extra_ptr[i] : extra_ptr[i + 1]]
            rows, s = suggest(
                start, deg, indices, rank, banned, hidden, extra, u, cap, code, k, n_explain,
                c_row, w_row, t_row,
            )  # fmt: skip
            m = s.shape[0]
            lengths[i] = m
            found[i, :m] = rows[:, 0]
            counts[i, :m] = rows[:, 1]
            scores[i, :m] = s
            if n_explain > 0:
                named[i, :m, :] = rows[:, 2:]
    return found, counts, scores, lengths, named

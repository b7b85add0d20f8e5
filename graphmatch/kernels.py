"""Compiled kernels over CSR arrays (numba): the memory store's read-optimised hot paths.

``top_k_block`` fans the per-person ranking out over a block of people: one ``prange`` lane
per thread, each with its own scratch row, people dealt round-robin so hubs spread evenly.

Every kernel takes the CSR arrays of :class:`graphmatch.index.CSRIndex` (rows in sorted-id
order, each row sorted) and ranks with the one rule of :mod:`graphmatch.matcher`: quantised
score descending, mutual count descending, position (= id order) ascending.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

CN, JACCARD, AA, RA, CN_RA = 0, 1, 2, 3, 4
#: Score codes, by score name.
SCORE_CODES = {
    "common_neighbors": CN,
    "jaccard": JACCARD,
    "adamic_adar": AA,
    "resource_allocation": RA,
    "cn_ra": CN_RA,
}
#: Scores are quantised to 1e-10 before ranking, exactly as ``matcher.order_key`` does.
QUANTUM_INV = 1e10


@njit(cache=True, nogil=True)
def _worse(qa: int, ca: int, va: int, qb: int, cb: int, vb: int) -> bool:
    """Return whether candidate a ranks below candidate b."""
    if qa != qb:
        return qa < qb
    if ca != cb:
        return ca < cb
    return va > vb


@njit(cache=True, nogil=True)
def top_candidates(
    indptr: np.ndarray,
    indices: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    cap: int,
    code: int,
    k: int,
    cnt: np.ndarray,
    wsum: np.ndarray,
    touched: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the best k people at distance 2 from u as (positions, counts, scores).

    banned marks people never to suggest (opted out of discovery); extra lists more (blocks).
    cnt, wsum and touched are zeroed scratch arrays of the graph's size; they are handed back
    zeroed, so one set serves every call on a thread.
    """
    start, stop = indptr[u], indptr[u + 1]
    du = stop - start
    # -1 marks people who can never be a candidate: u, u's friends, blocked people.
    cnt[u] = -1
    for j in range(start, stop):
        cnt[indices[j]] = -1
    for x in extra:
        cnt[x] = -1
    nt = 0
    for j in range(start, stop):
        w = indices[j]
        dw = indptr[w + 1] - indptr[w]
        if dw < 2 or dw > cap:
            continue
        wt = 0.0
        if code == AA:
            wt = 1.0 / math.log(dw)
        elif code in (RA, CN_RA):
            wt = 1.0 / dw
        for jj in range(indptr[w], indptr[w + 1]):
            v = indices[jj]
            c = cnt[v]
            if c < 0:
                continue
            if c == 0:
                touched[nt] = v
                nt += 1
                if banned[v]:
                    cnt[v] = -1
                    continue
            cnt[v] = c + 1
            wsum[v] += wt
    # A min-heap of the k best so far, worst at the root.
    hq = np.empty(k, np.int64)
    hc = np.empty(k, np.int64)
    hv = np.empty(k, np.int64)
    hs = np.empty(k, np.float64)
    size = 0
    for i in range(nt):
        v = touched[i]
        c = cnt[v]
        if c <= 0:
            continue
        if code == CN:
            s = float(c)
        elif code == JACCARD:
            s = c / (du + (indptr[v + 1] - indptr[v]) - c)
        elif code == CN_RA:
            s = c * wsum[v]
        else:
            s = wsum[v]
        q = math.floor(s * QUANTUM_INV + 0.5)
        if size < k:
            pos = size
            size += 1
            while pos > 0:
                parent = (pos - 1) // 2
                if _worse(q, c, v, hq[parent], hc[parent], hv[parent]):
                    hq[pos], hc[pos], hv[pos], hs[pos] = (
                        hq[parent],
                        hc[parent],
                        hv[parent],
                        hs[parent],
                    )
                    pos = parent
                else:
                    break
            hq[pos], hc[pos], hv[pos], hs[pos] = q, c, v, s
        elif _worse(hq[0], hc[0], hv[0], q, c, v):
            pos = 0
            while True:
                child = 2 * pos + 1
                if child >= size:
                    break
                if child + 1 < size and _worse(
                    hq[child + 1], hc[child + 1], hv[child + 1], hq[child], hc[child], hv[child]
                ):
                    child += 1
                if _worse(hq[child], hc[child], hv[child], q, c, v):
                    hq[pos], hc[pos], hv[pos], hs[pos] = hq[child], hc[child], hv[child], hs[child]
                    pos = child
                else:
                    break
            hq[pos], hc[pos], hv[pos], hs[pos] = q, c, v, s
    # Hand the scratch arrays back zeroed.
    for i in range(nt):
        cnt[touched[i]] = 0
        wsum[touched[i]] = 0.0
    cnt[u] = 0
    for j in range(start, stop):
        cnt[indices[j]] = 0
    for x in extra:
        cnt[x] = 0
    # Best first: insertion sort of the (small) heap.
    order = np.arange(size)
    for i in range(1, size):
        j = i
        while j > 0 and _worse(
            hq[order[j - 1]], hc[order[j - 1]], hv[order[j - 1]],
            hq[order[j]], hc[order[j]], hv[order[j]],
        ):  # fmt: skip
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    return hv[order], hc[order], hs[order]


@njit(cache=True, nogil=True)
def mutual_count(indptr: np.ndarray, indices: np.ndarray, x: int, y: int) -> int:
    """Return the number of friends in common of positions x and y (sorted-row merge).

    The single-pair path: scalar arguments and a scalar result, so a call allocates nothing
    and numba's dispatch (about a microsecond) is most of its cost.

    Parameters
    ----------
    indptr, indices : numpy.ndarray
        The CSR arrays (rows sorted).
    x, y : int
        Two positions.

    Returns
    -------
    int
        ``|N(x) ∩ N(y)|``.

    Examples
    --------
    >>> import numpy as np
    >>> indptr = np.array([0, 1, 3, 4]); indices = np.array([1, 0, 2, 1])
    >>> mutual_count(indptr, indices, 0, 2)
    1
    """
    p, pe = indptr[x], indptr[x + 1]
    q, qe = indptr[y], indptr[y + 1]
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
def mutual_counts(
    indptr: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Return the number of friends in common of each pair (a[i], b[i])."""
    out = np.zeros(a.shape[0], np.int64)
    for i in range(a.shape[0]):
        out[i] = mutual_count(indptr, indices, a[i], b[i])
    return out


@njit(cache=True, nogil=True)
def sort_rows(indptr: np.ndarray, indices: np.ndarray) -> None:
    """Sort each CSR row in place."""
    for r in range(indptr.shape[0] - 1):
        indices[indptr[r] : indptr[r + 1]] = np.sort(indices[indptr[r] : indptr[r + 1]])


@njit(cache=True, nogil=True)
def explain(
    indptr: np.ndarray,
    indices: np.ndarray,
    hidden: np.ndarray,
    u: int,
    cands: np.ndarray,
    cap: int,
    n: int,
) -> np.ndarray:
    """Return, per candidate, up to n shown mutual friends with u (-1 pads each row).

    Mutual friends come fewest-friends first, then by position (id order): the matcher's
    explanation order. Friends above the degree cap and those hidden by choice are skipped.
    """
    out = np.full((cands.shape[0], max(n, 1)), -1, np.int64)
    if n == 0:
        return out
    keys = np.empty(n, np.int64)
    for i in range(cands.shape[0]):
        v = cands[i]
        p, pe = indptr[u], indptr[u + 1]
        q, qe = indptr[v], indptr[v + 1]
        size = 0
        while p < pe and q < qe:
            s, t = indices[p], indices[q]
            if s < t:
                p += 1
            elif s > t:
                q += 1
            else:
                p += 1
                q += 1
                d = indptr[s + 1] - indptr[s]
                if d > cap or hidden[s]:
                    continue
                # Insert (d, s) into the sorted buffer of the n best (fewest friends first).
                if size == n and d >= keys[n - 1]:
                    continue
                j = size if size < n else n - 1
                while j > 0 and keys[j - 1] > d:
                    keys[j] = keys[j - 1]
                    out[i, j] = out[i, j - 1]
                    j -= 1
                keys[j] = d
                out[i, j] = s
                if size < n:
                    size += 1
    return out


# The batch fan-out lives in this module on purpose: numba's on-disk cache is invalidated by
# changes to the file a function is defined in, not by changes to the functions it calls, so
# a batch kernel in another module could keep running a stale copy of top_candidates.
@njit(cache=True, nogil=True, parallel=True)
def top_k_block(
    indptr: np.ndarray,
    indices: np.ndarray,
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
    indptr, indices : numpy.ndarray
        The CSR arrays (rows sorted).
    banned : numpy.ndarray of bool
        People never suggested (opted out of discovery).
    hidden : numpy.ndarray of bool
        People never named as a mutual friend.
    users : numpy.ndarray of int64
        Positions of the people to rank for.
    extra_ptr, extra_idx : numpy.ndarray of int64
        Per-user lists of more people never to suggest (blocks both ways), CSR-style:
        user ``i``'s list is ``extra_idx[extra_ptr[i]:extra_ptr[i + 1]]``.
    cap : int
        Degree cap on mutual friends (``2**62`` for none).
    code : int
        Score code from :data:`graphmatch.kernels.SCORE_CODES`.
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
            v, c, s = top_candidates(
                indptr, indices, banned, extra, u, cap, code, k, c_row, w_row, t_row
            )
            m = v.shape[0]
            lengths[i] = m
            found[i, :m] = v
            counts[i, :m] = c
            scores[i, :m] = s
            if n_explain > 0 and m > 0:
                named[i, :m, :] = explain(indptr, indices, hidden, u, v, cap, n_explain)
    return found, counts, scores, lengths, named

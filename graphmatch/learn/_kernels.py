"""Compiled kernels of the learned ranker (numba): candidates, pair features, model inference.

Every kernel takes a graph as three arrays ``(start, deg, indices)``: the friends of position
p are ``indices[start[p] : start[p] + deg[p]]``, sorted ascending; and ``rank``, the id-order
rank of each position, which breaks ties (the rule of :mod:`graphmatch.rule`: quantised score
descending, mutual count descending, id ascending). No kernel knows how the index lays its
rows out beyond that.

The per-person path (:func:`suggest`) walks u's friends once, in the rule's canonical order
(ascending degree, then rank), counting for everyone two steps away the friends they share
with u (``c2``) and the Adamic-Adar and resource-allocation sums, so those sums have the bits
of :func:`graphmatch.rule.weighted_sum`. Stage 1 keeps the best ``n_cand`` candidates by
``cn_ra`` (the default score, by the same order rule); stage 2 computes their features from
``c2`` (a 3-step path u-a-b-v is a 2-step path u-a-b to a friend b of v, so the count of 3-step
paths is the sum of ``c2`` over v's friends), scores them with the model (trees and weights as
arrays, never the learner) and ranks and explains the best.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from graphmatch import rule

# The rule's order and the two-hop hash are the index kernels' own: one definition each.
from graphmatch.index.kernels import SMALL_SORT, _hash, _prefetch, _worse

#: Scores are quantised before ranking exactly as :func:`graphmatch.rule.quantise` does.
QUANTUM_INV = rule.QUANTUM_INV

#: Feature columns, in kernel order (see :data:`graphmatch.learn.features.FEATURES`).
(
    F_LOG_CN,
    F_AA,
    F_RA,
    F_JACCARD,
    F_LOG_DU,
    F_LOG_DV,
    F_SHARE_U,
    F_SHARE_V,
    F_LOG_P3,
    F_P3_DENSITY,
    F_EMBED,
    F_CLUSTER,
) = range(12)
N_FEATURES = 12

#: Candidates' rows are prefetched this many candidates ahead of the feature loop.
_AHEAD = 4

#: Slots of the per-thread ``state`` array: the next friend stamp and the next mutual stamp.
_FSTAMP, _MSTAMP = 0, 1


@njit(cache=True, nogil=True)
def _in_row(indices: np.ndarray, lo: int, hi: int, v: int) -> bool:
    """Return whether v is in the sorted slice indices[lo:hi] (binary search)."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and indices[lo] == v


@njit(cache=True, nogil=True)
def walk_order(
    start: np.ndarray, deg: np.ndarray, indices: np.ndarray, rank: np.ndarray, u: int
) -> np.ndarray:
    """Return u's friends in the rule's canonical order: ascending degree, then rank."""
    s, d = start[u], deg[u]
    friends = indices[s : s + d].astype(np.int64)
    n = np.int64(rank.shape[0])
    key = np.empty(d, np.int64)
    for i in range(d):
        w = friends[i]
        key[i] = np.int64(deg[w]) * n + rank[w]
    if d > SMALL_SORT:
        out: np.ndarray = friends[np.argsort(key)]
        return out
    # The keys are distinct (ranks are), so any sort gives argsort's order.
    for i in range(1, d):
        k, w = key[i], friends[i]
        j = i - 1
        while j >= 0 and key[j] > k:
            key[j + 1], friends[j + 1] = key[j], friends[j]
            j -= 1
        key[j + 1], friends[j + 1] = k, w
    return friends


@njit(cache=True, nogil=True)
def _sift_in(
    hq: np.ndarray, hc: np.ndarray, hr: np.ndarray, hv: np.ndarray, size: int,
    q: int, c: int, r: int, v: int,
) -> int:  # fmt: skip
    """Offer (q, c, r, v) to the min-heap of the best (worst at the root); return its size."""
    k = hq.shape[0]
    if size == k and not _worse(hq[0], hc[0], hr[0], q, c, r):
        return size
    if size < k:
        pos = size
        size += 1
        while pos > 0:
            parent = (pos - 1) // 2
            if not _worse(q, c, r, hq[parent], hc[parent], hr[parent]):
                break
            hq[pos], hc[pos], hr[pos], hv[pos] = hq[parent], hc[parent], hr[parent], hv[parent]
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
            hq[pos], hc[pos], hr[pos], hv[pos] = hq[child], hc[child], hr[child], hv[child]
            pos = child
    hq[pos], hc[pos], hr[pos], hv[pos] = q, c, r, v
    return size


@njit(cache=True, nogil=True)
def _sorted_heap(hq: np.ndarray, hc: np.ndarray, hr: np.ndarray, size: int) -> np.ndarray:
    """Return the heap's slots best first (insertion sort: heaps here are small)."""
    order = np.arange(size)
    for i in range(1, size):
        j = i
        while j > 0 and _worse(
            hq[order[j - 1]], hc[order[j - 1]], hr[order[j - 1]],
            hq[order[j]], hc[order[j]], hr[order[j]],
        ):  # fmt: skip
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    return order


#: Two-hop neighbourhoods up to this many table slots are counted in a small hash table that
#: stays in cache; bigger ones in the graph-sized scratch rows. On synth-1m the dense rows made
#: every feature lookup a cache miss (p50 0.92 ms against cn_ra's 33 us).
HASH_SLOTS_MAX = 1 << 16


@njit(cache=True, nogil=True)
def _two_hop(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    u: int,
    walk: np.ndarray,
    extra: np.ndarray,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    mark: np.ndarray,
    friend: int,
) -> int:
    """Count 2-step paths from u to everyone (c2) and the weighted sums; return the count.

    The graph-sized rows, indexed by position (the hub path: an ordinary walk goes through
    :func:`_candidates_hashed`); touched lists everyone reached in first-seen order.
    mark[v] == friend marks u's friends, == friend + 1 marks u and ``extra`` (never
    suggested); the sums are kept only for the others.
    """
    other = friend + 1
    nt = 0
    for t in range(walk.shape[0] + 1 + extra.shape[0]):
        if t < walk.shape[0]:
            x, m = walk[t], friend
        elif t == walk.shape[0]:
            x, m = u, other
        else:
            x, m = extra[t - walk.shape[0] - 1], other
        if mark[x] != friend:
            mark[x] = m
    for t in range(walk.shape[0]):
        a = walk[t]
        da = deg[a]
        if da < 2:  # a knows only u: no path through a
            continue
        wa = rule_aa(da)
        wr = rule_ra(da)
        for j in range(start[a], start[a] + da):
            b = indices[j]
            if c2[b] == 0:
                touched[nt] = b
                nt += 1
            c2[b] += 1
            if mark[b] < friend:
                aa[b] += wa
                ra[b] += wr
    return nt


#: The rule's per-friend weights, compiled (scalar calls: numba inlines them).
rule_aa = njit(cache=True, nogil=True)(rule.aa_weight)
rule_ra = njit(cache=True, nogil=True)(rule.ra_weight)


@njit(cache=True, nogil=True)
def _stage_one(
    rank: np.ndarray,
    banned: np.ndarray,
    c2: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    nt: int,
    mark: np.ndarray,
    friend: int,
    n_cand: int,
) -> np.ndarray:
    """Return the best n_cand suggestable people by cn_ra (the rule's order), by position."""
    hq = np.empty(n_cand, np.int64)
    hc = np.empty(n_cand, np.int64)
    hr = np.empty(n_cand, np.int64)
    hv = np.empty(n_cand, np.int64)
    size = 0
    for t in range(nt):
        v = touched[t]
        if mark[v] >= friend or banned[v]:
            continue
        c = c2[v]
        q = math.floor(c * ra[v] * QUANTUM_INV + 0.5)
        size = _sift_in(hq, hc, hr, hv, size, q, c, rank[v], v)
    order = _sorted_heap(hq, hc, hr, size)
    best: np.ndarray = hv[order]
    return best


@njit(cache=True, nogil=True)
def _features_of(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    du: int,
    cands: np.ndarray,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    nt: int,
    mark: np.ndarray,
    friend: int,
    mmark: np.ndarray,
    state: np.ndarray,
    need_cluster: bool,
    out: np.ndarray,
    walk: np.ndarray,
) -> None:
    """Fill out[i] with the features of (u, cands[i]) (positions) from the two-hop rows."""
    buf = np.empty(max(du, 1), np.int64)
    for i in range(cands.shape[0]):
        v = cands[i]
        sv, dv = start[v], deg[v]
        p3 = 0
        emb = 0
        m = 0
        # Only people two steps from u carry paths (c2 > 0): walk v's row, or, for a hub v
        # whose row is longer, probe u's two-hop people in v's sorted row.
        if nt * (1 + int(math.log2(dv + 1))) < dv:
            for t in range(nt):
                b = touched[t]
                if _in_row(indices, sv, sv + dv, b):
                    p3 += c2[b]
                    if mark[b] == friend:
                        emb += c2[b]
                        buf[m] = b
                        m += 1
            # A friend of u that no other friend of u knows has no 2-step path (not in
            # touched) and is still a mutual friend when v knows them.
            for t in range(walk.shape[0]):
                b = walk[t]
                if c2[b] == 0 and _in_row(indices, sv, sv + dv, b):
                    buf[m] = b
                    m += 1
        else:
            for j in range(sv, sv + dv):
                b = indices[j]
                p3 += c2[b]
                if mark[b] == friend:
                    emb += c2[b]
                    buf[m] = b
                    m += 1
        cn = m
        edges = 0
        if need_cluster and m >= 2:
            ms = state[_MSTAMP]
            state[_MSTAMP] = ms + 1
            for t in range(m):
                mmark[buf[t]] = ms
            for t in range(m):
                w = buf[t]
                lo, dw = start[w], deg[w]
                # Probe the m mutual friends in w's sorted row, or scan the row, whichever is
                # fewer steps: a hub among the mutual friends would make a scan cost its degree.
                if m * (1 + int(math.log2(dw + 1))) < dw:
                    for s in range(m):
                        if _in_row(indices, lo, lo + dw, buf[s]):
                            edges += 1
                else:
                    for j in range(lo, lo + dw):
                        if mmark[indices[j]] == ms:
                            edges += 1
            edges //= 2
        _fill(out, i, cn, aa[v], ra[v], du, dv, p3, emb, edges)


@njit(cache=True, nogil=True)
def _fill(
    out: np.ndarray, i: int, cn: int, aa: float, ra: float, du: int, dv: int,
    p3: int, emb: int, edges: int,
) -> None:  # fmt: skip
    """Write one row of features from the pair's raw counts."""
    out[i, F_LOG_CN] = math.log1p(cn)
    out[i, F_AA] = aa
    out[i, F_RA] = ra
    union = du + dv - cn
    out[i, F_JACCARD] = cn / union if union > 0 else 0.0
    out[i, F_LOG_DU] = math.log1p(du)
    out[i, F_LOG_DV] = math.log1p(dv)
    out[i, F_SHARE_U] = cn / du if du > 0 else 0.0
    out[i, F_SHARE_V] = cn / dv if dv > 0 else 0.0
    out[i, F_LOG_P3] = math.log1p(p3)
    out[i, F_P3_DENSITY] = p3 / (du * dv) if du > 0 and dv > 0 else 0.0
    out[i, F_EMBED] = emb / cn if cn > 0 else 0.0
    out[i, F_CLUSTER] = edges / (cn * (cn - 1) / 2) if cn >= 2 else 0.0


@njit(cache=True, nogil=True)
def _reset(c2: np.ndarray, aa: np.ndarray, ra: np.ndarray, touched: np.ndarray, nt: int) -> None:
    """Hand the two-hop scratch back zeroed."""
    for i in range(nt):
        b = touched[i]
        c2[b] = 0
        aa[b] = 0.0
        ra[b] = 0.0


@njit(cache=True, nogil=True)
def _candidates_hashed(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    walk: np.ndarray,
    slots: int,
    n_cand: int,
    need_cluster: bool,
    mmark: np.ndarray,
    state: np.ndarray,
    bits: np.ndarray,
    ordered: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stage 1 and the features in a cache-sized hash table, every probe written inline.

    What :func:`_two_hop`, :func:`_stage_one` and :func:`_features_of` do, in one function:
    on synth-10k a call to a helper taking arrays cost about 60 ns (the heap's ``_sift_in``
    made stage 1 with one candidate 35 us where the same loop inline took 3 us), so the hot
    loops call none. Same values as that path (the dense one, kept for hubs).

    bits is a zeroed int64 array of at least ``n // 64 + 1`` words (the caller lends the
    first words of its zeroed graph-sized ``c2``): one bit a position, set for everyone in
    the table while the features are computed, handed back zeroed. Unless ordered, the
    candidates come in the heap's order (for :func:`suggest`, which ranks them anew).
    """
    mask = slots - 1
    shift = 32
    while (1 << (32 - shift)) < slots:
        shift -= 1
    keys = np.full(slots, -1, np.int64)
    # Zeroed, so a free slot reads as "no path, not a friend" and the feature loop's probes
    # add without a branch on whether they hit.
    c2 = np.zeros(slots, np.int64)
    aa = np.empty(slots, np.float64)
    ra = np.empty(slots, np.float64)
    kind = np.zeros(slots, np.int8)  # 0: a candidate (or free), 1: u's friend, 2: u or blocked
    used = np.empty(slots, np.int64)  # every slot taken, in first-seen order
    nu = 0
    nw = walk.shape[0]
    for t in range(nw + 1 + extra.shape[0]):
        if t < nw:
            x, m = walk[t], 1
        elif t == nw:
            x, m = u, 2
        else:
            x, m = extra[t - nw - 1], 2
        i = _hash(x, shift)
        while keys[i] != x and keys[i] != -1:
            i = (i + 1) & mask
        if keys[i] == -1:
            keys[i], c2[i], kind[i] = x, 0, m
            used[nu] = i
            nu += 1
        elif kind[i] != 1:
            kind[i] = m
    for t in range(nw):
        if t + 2 < nw:  # the row after next, as the index kernels' walk asks for it
            _prefetch(indices, start[walk[t + 2]])
        a = walk[t]
        da = deg[a]
        if da < 2:  # a knows only u: no path through a
            continue
        wa = rule_aa(da)
        wr = rule_ra(da)
        for j in range(start[a], start[a] + da):
            b = indices[j]
            i = _hash(b, shift)
            while keys[i] != b and keys[i] != -1:
                i = (i + 1) & mask
            if keys[i] == -1:
                keys[i], c2[i], kind[i] = b, 1, 0
                aa[i], ra[i] = 0.0 + wa, 0.0 + wr
                used[nu] = i
                nu += 1
            else:
                c2[i] += 1
                if kind[i] == 0:
                    aa[i] += wa
                    ra[i] += wr
    # Stage 1: a min-heap of the n_cand best by cn_ra, worst at the root (as _select does).
    hq = np.empty(n_cand, np.int64)
    hc = np.empty(n_cand, np.int64)
    hr = np.empty(n_cand, np.int64)
    hv = np.empty(n_cand, np.int64)
    size = 0
    for t in range(nu):
        i = used[t]
        if kind[i] != 0:
            continue
        v = keys[i]
        c = c2[i]
        q = math.floor(c * ra[i] * QUANTUM_INV + 0.5)
        if size == n_cand:
            q0 = hq[0]
            if q < q0:
                continue
            if q == q0:
                c0 = hc[0]
                if c < c0 or (c == c0 and rank[v] > hr[0]):
                    continue
        if banned[v]:
            continue
        r = rank[v]
        if size < n_cand:
            pos = size
            size += 1
            while pos > 0:
                parent = (pos - 1) // 2
                if not _worse(q, c, r, hq[parent], hc[parent], hr[parent]):
                    break
                hq[pos], hc[pos], hr[pos], hv[pos] = hq[parent], hc[parent], hr[parent], hv[parent]
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
                hq[pos], hc[pos], hr[pos], hv[pos] = hq[child], hc[child], hr[child], hv[child]
                pos = child
        hq[pos], hc[pos], hr[pos], hv[pos] = q, c, r, i
    # Best first, in place: pop the worst off the heap's root to the end, size - 1 times
    # (heapsort; the order is total, ranks being distinct, so any sort gives this order).
    # Three stable argsorts cost about 6 us of the call on synth-1m; this about 1.
    for end in range(size - 1 if ordered else 0, 0, -1):
        q, c, r, i = hq[end], hc[end], hr[end], hv[end]
        hq[end], hc[end], hr[end], hv[end] = hq[0], hc[0], hr[0], hv[0]
        pos = 0
        while True:
            child = 2 * pos + 1
            if child >= end:
                break
            if child + 1 < end and _worse(
                hq[child + 1], hc[child + 1], hr[child + 1], hq[child], hc[child], hr[child]
            ):
                child += 1
            if not _worse(hq[child], hc[child], hr[child], q, c, r):
                break
            hq[pos], hc[pos], hr[pos], hv[pos] = hq[child], hc[child], hr[child], hv[child]
            pos = child
        hq[pos], hc[pos], hr[pos], hv[pos] = q, c, r, i
    cands = np.empty(size, np.int64)
    counts = np.empty(size, np.int64)
    for ci in range(size):
        cands[ci] = keys[hv[ci]]
        counts[ci] = c2[hv[ci]]
        # The candidates' rows are random places in graph-sized arrays (on synth-1m about
        # 1 us a candidate when each miss was paid in turn): ask for them all now.
        _prefetch(start, cands[ci])
        _prefetch(deg, cands[ci])
    X = np.empty((size, N_FEATURES), np.float64)
    du = deg[u]
    buf = np.empty(du + 1, np.int64)  # the mutual friends, and a slot the last append may use
    # Four in five of the candidates' friends are not in the table (synth-1m: 18.6% of 2,594
    # probes a person hit), and a missed probe cost about 11 ns, most of the call: a bit per
    # position (1M bits, 125 KiB, in L2) finds the few that are, without a branch, and only
    # those are probed (stage 1 and the features 71 -> 56 us in one run).
    for t in range(nu):
        b = keys[used[t]]
        bits[b >> 6] |= np.int64(1) << (b & 63)
    hits = np.empty(nu + 1, np.int64)  # a candidate's friends in the table, and a spare slot
    for ci in range(size):
        if ci + _AHEAD < size:
            _prefetch(indices, start[cands[ci + _AHEAD]])
        sv_slot = hv[ci]
        v = cands[ci]
        sv, dv = start[v], deg[v]
        p3 = 0
        emb = 0
        m = 0
        # Only people in the table carry paths: walk v's row, or, for a hub v whose row is
        # longer, probe each of them in v's sorted row.
        if nu * (1 + int(math.log2(dv + 1))) < dv:
            for t in range(nu):
                s = used[t]
                b = keys[s]
                lo, hi = sv, sv + dv
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if indices[mid] < b:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < sv + dv and indices[lo] == b:
                    p3 += c2[s]
                    if kind[s] == 1:
                        emb += c2[s]
                        buf[m] = b
                        m += 1
        else:
            nh = 0
            for j in range(sv, sv + dv):
                b = indices[j]
                hits[nh] = b  # kept only if its bit is set: no branch on the data
                nh += (bits[b >> 6] >> (b & 63)) & 1
            for t in range(nh):
                b = hits[t]
                s = _hash(b, shift)
                key = keys[s]
                # b is in the table, so the probe ends on it; the free-slot test only keeps
                # a stale bit (scratch not handed back zeroed) from probing for ever.
                while key != b and key != -1:
                    s = (s + 1) & mask
                    key = keys[s]
                p3 += c2[s]
                friend = kind[s] == 1
                emb += c2[s] * friend
                buf[m] = b
                m += friend
        edges = 0
        if need_cluster and m >= 2:
            ms = state[_MSTAMP]
            state[_MSTAMP] = ms + 1
            for t in range(m):
                mmark[buf[t]] = ms
            for t in range(m):
                w = buf[t]
                lw, dw = start[w], deg[w]
                # Probe the m mutual friends in w's sorted row, or scan the row, whichever is
                # fewer steps: a hub among the mutual friends would make a scan cost its degree.
                if m * (1 + int(math.log2(dw + 1))) < dw:
                    for s in range(m):
                        b = buf[s]
                        lo, hi = lw, lw + dw
                        while lo < hi:
                            mid = (lo + hi) >> 1
                            if indices[mid] < b:
                                lo = mid + 1
                            else:
                                hi = mid
                        if lo < lw + dw and indices[lo] == b:
                            edges += 1
                else:
                    for j in range(lw, lw + dw):
                        if mmark[indices[j]] == ms:
                            edges += 1
            edges //= 2
        cn = m
        X[ci, F_LOG_CN] = math.log1p(cn)
        X[ci, F_AA] = aa[sv_slot]
        X[ci, F_RA] = ra[sv_slot]
        union = du + dv - cn
        X[ci, F_JACCARD] = cn / union if union > 0 else 0.0
        X[ci, F_LOG_DU] = math.log1p(du)
        X[ci, F_LOG_DV] = math.log1p(dv)
        X[ci, F_SHARE_U] = cn / du if du > 0 else 0.0
        X[ci, F_SHARE_V] = cn / dv if dv > 0 else 0.0
        X[ci, F_LOG_P3] = math.log1p(p3)
        X[ci, F_P3_DENSITY] = p3 / (du * dv) if du > 0 and dv > 0 else 0.0
        X[ci, F_EMBED] = emb / cn if cn > 0 else 0.0
        X[ci, F_CLUSTER] = edges / (cn * (cn - 1) / 2) if cn >= 2 else 0.0
    for t in range(nu):
        bits[keys[used[t]] >> 6] = 0
    return cands, counts, X


@njit(cache=True, nogil=True)
def _top(q: np.ndarray, c: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the best k of (q, c, r) in the rule's order, best first."""
    # Insertion into a sorted buffer of k: most rows lose to its last entry at once. The
    # order is total (ranks are distinct), so any sort agrees.
    out = np.empty(k, np.int64)
    size = 0
    for i in range(q.shape[0]):
        if size == k:
            if k == 0:
                break
            last = out[k - 1]
            if not _worse(q[last], c[last], r[last], q[i], c[i], r[i]):
                continue
            j = k - 1
        else:
            j = size
            size += 1
        while j > 0 and _worse(q[out[j - 1]], c[out[j - 1]], r[out[j - 1]], q[i], c[i], r[i]):
            out[j] = out[j - 1]
            j -= 1
        out[j] = i
    return out


@njit(cache=True, nogil=True)
def candidates(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    n_cand: int,
    need_cluster: bool,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return u's stage-1 candidates (best first by cn_ra), their mutual counts and features.

    Parameters
    ----------
    start, deg, indices : numpy.ndarray
        The rows (each sorted ascending).
    rank : numpy.ndarray of int64
        Id-order rank of each position.
    banned : numpy.ndarray of bool
        People never suggested.
    extra : numpy.ndarray of int64
        More people never suggested (blocks both ways).
    u : int
        The person's position.
    n_cand : int
        How many candidates stage 1 keeps.
    need_cluster : bool
        Whether to count the friendships among the mutual friends (the costliest feature).
    c2, aa, ra, touched, fmark, mmark, state : numpy.ndarray
        Per-thread scratch: zeroed int64, float64, float64, int64 arrays of the graph's size,
        two stamp arrays (int64, graph-sized) and ``state`` (int64, 2 slots, starting at 1).
        The graph-sized rows are used only when u's two-hop walk is too big for a
        cache-sized hash table (otherwise c2's first ``n // 64 + 1`` words are a bitmap of
        the table's people); they are handed back zeroed.

    Returns
    -------
    cands : numpy.ndarray of int64
        Positions, best first by cn_ra.
    counts : numpy.ndarray of int64
        Mutual-friend counts.
    X : numpy.ndarray of float64
        ``(len(cands), N_FEATURES)`` features.
    """
    return _candidates(
        start, deg, indices, rank, banned, extra, u, n_cand, need_cluster,
        c2, aa, ra, touched, fmark, mmark, state, True,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _candidates(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    n_cand: int,
    need_cluster: bool,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
    ordered: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return :func:`candidates`, best first only if ordered (else in no promised order)."""
    walk = walk_order(start, deg, indices, rank, u)
    need = 1 + walk.shape[0] + extra.shape[0]
    for t in range(walk.shape[0]):
        need += deg[walk[t]]
    slots = 64
    while slots < 2 * need:  # keep the table at most half full
        slots *= 2
    if slots <= HASH_SLOTS_MAX:
        return _candidates_hashed(
            start, deg, indices, rank, banned, extra, u, walk, slots, n_cand, need_cluster,
            mmark, state, c2, ordered,
        )  # fmt: skip
    return _candidates_dense(
        start, deg, indices, rank, banned, extra, u, walk, n_cand, need_cluster,
        c2, aa, ra, touched, fmark, mmark, state,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _candidates_dense(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    extra: np.ndarray,
    u: int,
    walk: np.ndarray,
    n_cand: int,
    need_cluster: bool,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return :func:`candidates` over the graph-sized rows (a hub's walk; any walk in tests)."""
    # The graph-sized rows, stamped so u's friends need no clearing.
    stamp = state[_FSTAMP]
    state[_FSTAMP] = stamp + 1
    friend = 2 * stamp
    nt = _two_hop(start, deg, indices, u, walk, extra, c2, aa, ra, touched, fmark, friend)
    cands = _stage_one(rank, banned, c2, ra, touched, nt, fmark, friend, n_cand)
    counts = c2[cands]
    X = np.empty((cands.shape[0], N_FEATURES), np.float64)
    _features_of(
        start, deg, indices, deg[u], cands, c2, aa, ra, touched, nt, fmark, friend, mmark,
        state, need_cluster, X, walk,
    )  # fmt: skip
    _reset(c2, aa, ra, touched, nt)
    return cands, counts, X


#: Trees up to this depth (64 leaves: one int64 of leaf bits) are scored by leaf masks.
MASK_DEPTH_MAX = 6


def _cttz_typer(typingctx: Any, x: Any) -> Any:
    """Return the index of the lowest set bit of an int64 (``llvm.cttz``: one instruction)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [i64, ir.IntType(1)])
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, fnty, "llvm.cttz.i64"
        )
        v = context.cast(builder, args[0], signature.args[0], types.int64)
        # (value, zero is poison: no) -- a row's mask always keeps its exit leaf, never 0.
        return builder.call(fn, [v, ir.Constant(ir.IntType(1), 0)])

    return types.int64(x), codegen


#: ``_cttz(x)`` inside compiled code.
_cttz: Any = intrinsic(_cttz_typer)


@njit(cache=True, nogil=True)
def margins(
    X: np.ndarray,
    bias: float,
    weights: np.ndarray,
    depth: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
) -> np.ndarray:
    """Return the model's margin (log-odds) of each row of X: bias + weights·x + Σ trees.

    Every tree is complete, of the given depth (:meth:`graphmatch.learn.model.Model.kernel_arrays`
    pads shallower branches): tree t's inner nodes are ``feature[t * (2**depth - 1):]`` and
    ``threshold[...]`` in breadth-first order, its leaves ``value[t * 2**depth:]``. From node j
    go to ``2j + 1`` when ``x[feature] <= threshold`` (scikit-learn's rule), else ``2j + 2``.

    Trees up to :data:`MASK_DEPTH_MAX` deep are scored by leaf masks (QuickScorer, Lucchese
    et al. 2015): every node's test is evaluated for all rows at once (one feature column
    against one threshold, a loop the compiler vectorises, no chain of dependent loads), and
    a node whose test sends a row right clears the leaves of its left subtree from the row's
    mask. The row's exit leaf is then the lowest leaf left: any leaf to the left of it lies
    in the left subtree of a node on its path that went right. The same leaves as the walk
    (:func:`_margins_walk`), added in the same order: the same bits.
    """
    if depth < 1 or depth > MASK_DEPTH_MAX:
        return _margins_walk(X, bias, weights, depth, feature, threshold, value)
    n = X.shape[0]
    nf = X.shape[1]
    out = _linear(X, bias, weights)
    # Feature-major (each test reads one contiguous column), the rows padded to a multiple
    # of 8 (one AVX-512 register of float64): the row loops have no remainder to run.
    # Padding rows are scored and never read. With the lowest leaf found by one instruction
    # (cttz) and no branch for padding nodes, the default model over 50 rows took 9.6 us
    # against 12.9 (best of 15 rounds of 300 synth-1m people).
    npad = (n + 7) & ~7
    XT = np.zeros((nf, npad), np.float64)
    for i in range(n):
        for f in range(nf):
            XT[f, i] = X[i, f]
    inner = (1 << depth) - 1
    trees = value.shape[0] >> depth
    full = (1 << (1 << depth)) - 1 if depth < MASK_DEPTH_MAX else -1
    leaf = np.empty(npad, np.int64)
    for t in range(trees):
        fb = t * inner
        for i in range(npad):
            leaf[i] = full
        for level in range(depth):
            width = 1 << (depth - level - 1)  # leaves under each child of a node at level
            first = (1 << level) - 1
            for p in range(1 << level):
                # Padding nodes (threshold inf) need no branch: x > inf is never true.
                thr = threshold[fb + first + p]
                # The bits of the leaves of the node's left subtree, cleared when x > thr.
                keep = ~(((1 << width) - 1) << (2 * p * width))
                f = feature[fb + first + p]
                for i in range(npad):
                    leaf[i] &= keep if XT[f, i] > thr else -1
        vb = t << depth
        for i in range(n):
            out[i] += value[vb + _cttz(leaf[i])]
    return out


@njit(cache=True, nogil=True)
def _linear(X: np.ndarray, bias: float, weights: np.ndarray) -> np.ndarray:
    """Return bias + weights·x of each row of X (bias alone where every weight is 0)."""
    n = X.shape[0]
    out = np.empty(n, np.float64)
    nf = weights.shape[0]
    linear = False
    for f in range(nf):
        linear = linear or weights[f] != 0.0
    for i in range(n):
        s = bias
        if linear:
            for f in range(nf):
                s += weights[f] * X[i, f]
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def _margins_walk(
    X: np.ndarray,
    bias: float,
    weights: np.ndarray,
    depth: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
) -> np.ndarray:
    """Return :func:`margins` by walking every tree from its root, row by row (any depth)."""
    n = X.shape[0]
    out = _linear(X, bias, weights)
    inner = (1 << depth) - 1
    trees = value.shape[0] >> depth if depth >= 0 else 0
    # Trees outer, rows inner: a tree's few nodes stay in L1 while every row walks it, and
    # the walk is a fixed number of steps with no branch on the data (the comparison is an
    # index), so the rows' walks overlap in the pipeline.
    four = n - n % 4
    for t in range(trees):
        fb = t * inner
        vb = (t << depth) - inner
        # Four rows a step: four independent chains of loads for the CPU to overlap.
        for i in range(0, four, 4):
            a = b = c = d = 0
            for _ in range(depth):
                a = 2 * a + 1 + (X[i, feature[fb + a]] > threshold[fb + a])
                b = 2 * b + 1 + (X[i + 1, feature[fb + b]] > threshold[fb + b])
                c = 2 * c + 1 + (X[i + 2, feature[fb + c]] > threshold[fb + c])
                d = 2 * d + 1 + (X[i + 3, feature[fb + d]] > threshold[fb + d])
            out[i] += value[vb + a]
            out[i + 1] += value[vb + b]
            out[i + 2] += value[vb + c]
            out[i + 3] += value[vb + d]
        for i in range(four, n):
            node = 0
            for _ in range(depth):
                node = 2 * node + 1 + (X[i, feature[fb + node]] > threshold[fb + node])
            out[i] += value[vb + node]
    return out


@njit(cache=True, nogil=True)
def _explain(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    hidden: np.ndarray,
    extra: np.ndarray,
    walk: np.ndarray,
    rows: np.ndarray,
    bits: np.ndarray,
) -> None:
    """Fill rows[i, 2:] with the shown mutual friends of u and rows[i, 0], strongest first.

    walk is u's friends in canonical order (fewest friends first, then id): the rule's
    explanation order. Nobody in hidden or extra is named; they still count. bits is a
    zeroed int64 bitmap of the graph's positions (see :func:`_candidates_hashed`), handed
    back zeroed.
    """
    n = rows.shape[1] - 2
    if n == 0:
        return
    m = walk.shape[0]
    shown = np.empty(m, np.bool_)
    ex = np.sort(extra)
    for t in range(m):
        w = walk[t]
        shown[t] = not hidden[w] and not _in_row(ex, 0, ex.shape[0], w)
    for i in range(rows.shape[0]):
        v = rows[i, 0]
        left = rows[i, 1]
        named = 0
        sv, dv = start[v], deg[v]
        if dv > 8 * m:  # a hub v: search v in each friend's row, as far as the walk goes
            for t in range(m):
                if left == 0 or named == n:
                    break
                w = walk[t]
                if _in_row(indices, start[w], start[w] + deg[w], v):
                    left -= 1
                    if shown[t]:
                        rows[i, 2 + named] = w
                        named += 1
            continue
        # v's friends as bits, then one bit test per friend of u (w knows v iff v knows w)
        # instead of a binary search of w's row: about 3 us less for the top 10 on synth-1m.
        for j in range(sv, sv + dv):
            b = indices[j]
            bits[b >> 6] |= np.int64(1) << (b & 63)
        for t in range(m):
            if left == 0 or named == n:
                break
            w = walk[t]
            if (bits[w >> 6] >> (w & 63)) & 1:
                left -= 1
                if shown[t]:
                    rows[i, 2 + named] = w
                    named += 1
        for j in range(sv, sv + dv):
            bits[indices[j] >> 6] = 0


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
    n_cand: int,
    need_cluster: bool,
    k: int,
    n_explain: int,
    bias: float,
    weights: np.ndarray,
    depth: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank and explain u's best k introductions by the learned model, in one call.

    Stage 1 (:func:`candidates`), the model (:func:`margins`, turned into a probability),
    then the rule's order over the probabilities (quantised desc, mutual count desc, rank
    asc) and the explanation.

    Returns
    -------
    rows : numpy.ndarray of int64
        ``(m, 2 + n_explain)``, best first: position, mutual count, named mutual friends
        (-1 pads).
    scores : numpy.ndarray of float64
        The m probabilities.
    """
    # The candidates in any order: the rule's order over the model's scores is total.
    cands, counts, X = _candidates(
        start, deg, indices, rank, banned, extra, u, n_cand, need_cluster,
        c2, aa, ra, touched, fmark, mmark, state, False,
    )  # fmt: skip
    z = margins(X, bias, weights, depth, feature, threshold, value)
    m = cands.shape[0]
    p = np.empty(m, np.float64)
    q = np.empty(m, np.int64)
    r = np.empty(m, np.int64)
    for i in range(m):
        p[i] = 1.0 / (1.0 + math.exp(-z[i]))
        q[i] = math.floor(p[i] * QUANTUM_INV + 0.5)
        r[i] = rank[cands[i]]
    size = min(k, m)
    order = _top(q, counts, r, size)
    rows = np.full((size, 2 + n_explain), -1, np.int64)
    scores = np.empty(size, np.float64)
    for j in range(size):
        i = order[j]
        rows[j, 0] = cands[i]
        rows[j, 1] = counts[i]
        scores[j] = p[i]
    if n_explain > 0 and size > 0:
        walk = walk_order(start, deg, indices, rank, u)
        _explain(start, deg, indices, hidden, extra, walk, rows, c2)
    return rows, scores


@njit(cache=True, nogil=True)
def training_block(
    start: np.ndarray,
    deg: np.ndarray,
    indices: np.ndarray,
    rank: np.ndarray,
    banned: np.ndarray,
    users: np.ndarray,
    n_cand: int,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the stage-1 candidates and features of every user, concatenated.

    Returns
    -------
    offsets : numpy.ndarray of int64
        User i's rows are ``offsets[i] : offsets[i + 1]``.
    cands : numpy.ndarray of int64
        Candidate positions, best first by cn_ra within each user.
    X : numpy.ndarray of float64
        Their features (every feature, the mutual clustering included).
    """
    b = users.shape[0]
    offsets = np.zeros(b + 1, np.int64)
    X = np.empty((b * n_cand, N_FEATURES), np.float64)
    cands = np.empty(b * n_cand, np.int64)
    none = np.empty(0, np.int64)
    for i in range(b):
        cs, _, xs = candidates(
            start, deg, indices, rank, banned, none, users[i], n_cand, True,
            c2, aa, ra, touched, fmark, mmark, state,
        )  # fmt: skip
        lo = offsets[i]
        hi = lo + cs.shape[0]
        cands[lo:hi] = cs
        X[lo:hi] = xs
        offsets[i + 1] = hi
    return offsets, cands[: offsets[b]], X[: offsets[b]]


@njit(cache=True, nogil=True)
def _merge_count(indices: np.ndarray, p: int, pe: int, q: int, qe: int) -> int:
    """Return the size of the intersection of two sorted slices of indices."""
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
def pair_features(
    start: np.ndarray, deg: np.ndarray, indices: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Return the features of each pair (a[i], b[i]) by sorted-row merges, for any pair.

    The single-pair path (no two-hop walk), for pairs that are not anyone's candidates (the
    evaluation's random pairs, ``rank`` over a given list). Same features, same values as
    :func:`candidates` (the weighted sums are added in ascending degree order there; here in
    id order, so they may differ in the last bit).
    """
    n = a.shape[0]
    out = np.empty((n, N_FEATURES), np.float64)
    for i in range(n):
        u, v = a[i], b[i]
        su, du = start[u], deg[u]
        sv, dv = start[v], deg[v]
        mut = np.empty(min(du, dv), np.int64)
        m = 0
        p, q = su, sv
        while p < su + du and q < sv + dv:
            s, t = indices[p], indices[q]
            if s == t:
                mut[m] = s
                m += 1
                p += 1
                q += 1
            elif s < t:
                p += 1
            else:
                q += 1
        mdeg = np.empty(m, np.int64)
        for t in range(m):
            mdeg[t] = deg[mut[t]]
        mdeg.sort()
        aas = 0.0
        ras = 0.0
        for t in range(m):
            aas += rule_aa(mdeg[t])
            ras += rule_ra(mdeg[t])
        # 3-step paths u-x-y-v: for each friend y of v (y != u), the friends y shares with u.
        p3 = 0
        for j in range(sv, sv + dv):
            y = indices[j]
            if y != u:
                p3 += _merge_count(indices, start[y], start[y] + deg[y], su, su + du)
        emb = 0
        edges = 0
        for t in range(m):
            w = mut[t]
            emb += _merge_count(indices, start[w], start[w] + deg[w], su, su + du)
            for s in range(t + 1, m):
                if _in_row(indices, start[w], start[w] + deg[w], mut[s]):
                    edges += 1
        _fill(out, i, m, aas, ras, du, dv, p3, emb, edges)
    return out


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
    n_cand: int,
    need_cluster: bool,
    k: int,
    n_explain: int,
    bias: float,
    weights: np.ndarray,
    depth: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    c2: np.ndarray,
    aa: np.ndarray,
    ra: np.ndarray,
    touched: np.ndarray,
    fmark: np.ndarray,
    mmark: np.ndarray,
    state: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rank every person in users by the learned model, in parallel: :func:`suggest` each.

    The batch's counterpart of :func:`graphmatch.index.kernels.top_k_block`, with the same
    block arguments (``extra_ptr``, ``extra_idx``: whom each user's ranking skips) and the
    same outputs; the scratch arrays are :func:`suggest`'s with a leading lane axis (one
    lane per thread; ``state`` is ``(lanes, 2)``).

    Returns
    -------
    found, counts, scores : numpy.ndarray
        ``(len(users), k)`` positions (-1 pads), mutual counts and probabilities, best first.
    lengths : numpy.ndarray
        How many suggestions each person got.
    named : numpy.ndarray
        ``(len(users), k, max(n_explain, 1))`` named mutual friends (-1 pads).
    """
    b = users.shape[0]
    lanes = c2.shape[0]
    found = np.full((b, k), -1, np.int64)
    counts = np.zeros((b, k), np.int64)
    scores = np.zeros((b, k), np.float64)
    lengths = np.zeros(b, np.int64)
    named = np.full((b, k, max(n_explain, 1)), -1, np.int64)
    for lane in prange(lanes):
        for i in range(lane, b, lanes):
            extra = extra_idx[extra_ptr[i] : extra_ptr[i + 1]]
            rows, s = suggest(
                start, deg, indices, rank, banned, hidden, extra, users[i], n_cand,
                need_cluster, k, n_explain, bias, weights, depth, feature, threshold, value,
                c2[lane], aa[lane], ra[lane], touched[lane], fmark[lane], mmark[lane],
                state[lane],
            )  # fmt: skip
            m = s.shape[0]
            lengths[i] = m
            found[i, :m] = rows[:, 0]
            counts[i, :m] = rows[:, 1]
            scores[i, :m] = s
            if n_explain > 0:
                named[i, :m, :] = rows[:, 2:]
    return found, counts, scores, lengths, named

"""Compiled kernels for batch work over a whole :class:`graphmatch.index.CSRIndex`.

The per-person ranking is :func:`graphmatch.kernels.top_candidates` and the explanation is
:func:`graphmatch.kernels.explain`, called unchanged, so a batch answer is by construction the
answer ``Matcher.suggest`` gives through the index. What this module adds is the fan-out:
one ``prange`` lane per thread, each with its own scratch row, people dealt to the lanes
round-robin so hubs (which cost the most) spread evenly over the cores.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import kernels

__all__ = ["top_k_block"]


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
            v, c, s = kernels.top_candidates(
                indptr, indices, banned, extra, u, cap, code, k, c_row, w_row, t_row
            )
            m = v.shape[0]
            lengths[i] = m
            found[i, :m] = v
            counts[i, :m] = c
            scores[i, :m] = s
            if n_explain > 0 and m > 0:
                named[i, :m, :] = kernels.explain(indptr, indices, hidden, u, v, cap, n_explain)
    return found, counts, scores, lengths, named

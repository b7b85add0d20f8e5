"""Ranking and classification metrics, written here with no scikit-learn.

Per-person metrics (:func:`precision_at_k` ... :func:`hit_rate_at_k`) score one ranked list
against the items that should have been found; the global pair metrics (:func:`roc_auc`,
:func:`average_precision`) score labelled pairs. They are small and public so that
scikit-learn can serve as an independent oracle in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from graphmatch.errors import InvalidInput

__all__ = [
    "METRICS",
    "ArrayLike",
    "average_precision",
    "average_precision_at_k",
    "hit_rate_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "roc_auc",
]

#: Per-person metrics, in table order.
METRICS: Final = ("precision", "recall", "map", "ndcg", "hit_rate")

ArrayLike = Sequence[float] | npt.NDArray[np.float64]


# -- per-person ranking metrics --------------------------------------------------------------
def _check_k(k: int) -> int:
    """Return k if it is a positive integer, else raise InvalidInput."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidInput(f"k must be a positive integer, got {k!r}")
    return k


def precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return the share of the first k ranked items that are relevant.

    The denominator is always k, so a list shorter than k is penalised for its empty slots
    (the person saw fewer good introductions than they had room for).

    Parameters
    ----------
    ranked : sequence of str
        Items best first; only the first k count.
    relevant : collection of str
        The items that should have been found.
    k : int
        The cut-off, >= 1.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    InvalidInput
        If k is not a positive integer.

    Examples
    --------
    >>> precision_at_k(["a", "b", "c"], {"a", "c", "z"}, 2)
    0.5
    """
    k = _check_k(k)
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return the share of the relevant items found in the first k ranked.

    Parameters
    ----------
    ranked : sequence of str
        Items best first.
    relevant : collection of str
        The items that should have been found; an empty collection gives 0.
    k : int
        The cut-off, >= 1.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    InvalidInput
        If k is not a positive integer.

    Examples
    --------
    >>> recall_at_k(["a", "b", "c"], {"a", "c", "z", "y"}, 3)
    0.5
    """
    k = _check_k(k)
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def average_precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return AP@k: the mean of precision@i at each relevant rank i <= k.

    Normalised by ``min(k, len(relevant))``, so a perfect list scores 1 even when there are
    more relevant items than slots. The mean of this over people is MAP@k.

    Parameters
    ----------
    ranked : sequence of str
        Items best first.
    relevant : collection of str
        The items that should have been found; an empty collection gives 0.
    k : int
        The cut-off, >= 1.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    InvalidInput
        If k is not a positive integer.

    Examples
    --------
    Hits at ranks 1 and 3 of 3, with two relevant items: (1/1 + 2/3) / 2.

    >>> round(average_precision_at_k(["a", "x", "b"], {"a", "b"}, 3), 4)
    0.8333
    """
    k = _check_k(k)
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return NDCG@k with binary relevance: DCG of the list over DCG of a perfect list.

    DCG@k = Σ_{i<=k, item i relevant} 1 / log2(i + 1).

    Parameters
    ----------
    ranked : sequence of str
        Items best first.
    relevant : collection of str
        The items that should have been found; an empty collection gives 0.
    k : int
        The cut-off, >= 1.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    InvalidInput
        If k is not a positive integer.

    Examples
    --------
    One of one relevant items, found at rank 2: 1/log2(3).

    >>> round(ndcg_at_k(["x", "a"], {"a"}, 2), 4)
    0.6309
    """
    k = _check_k(k)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, it in enumerate(ranked[:k], 1) if it in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def hit_rate_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Return 1.0 if any of the first k ranked items is relevant, else 0.0.

    Parameters
    ----------
    ranked : sequence of str
        Items best first.
    relevant : collection of str
        The items that should have been found.
    k : int
        The cut-off, >= 1.

    Returns
    -------
    float
        0.0 or 1.0.

    Raises
    ------
    InvalidInput
        If k is not a positive integer.

    Examples
    --------
    >>> hit_rate_at_k(["x", "y", "a"], {"a"}, 2), hit_rate_at_k(["x", "y", "a"], {"a"}, 3)
    (0.0, 1.0)
    """
    k = _check_k(k)
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


_PERSON_METRICS: Final[dict[str, Callable[[Sequence[str], Collection[str], int], float]]] = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "map": average_precision_at_k,
    "ndcg": ndcg_at_k,
    "hit_rate": hit_rate_at_k,
}


# -- global pair metrics ---------------------------------------------------------------------
def _labels_scores(
    y_true: ArrayLike, y_score: ArrayLike
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Validate and convert binary labels and scores to arrays."""
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim != 1 or y.shape != s.shape:
        raise InvalidInput("labels and scores must be 1-d and of the same length")
    if not np.isin(y, (0.0, 1.0)).all():
        raise InvalidInput("labels must be 0 or 1")
    if not np.isfinite(s).all():
        raise InvalidInput("scores must be finite")
    pos = y == 1.0
    if pos.all() or not pos.any():
        raise InvalidInput("need at least one positive and one negative label")
    return pos, s


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Return the area under the ROC curve: P(score of a positive > score of a negative).

    Ties count one half (the Mann-Whitney U statistic with mid-ranks), which is what the
    trapezoidal ROC area gives.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Labels.
    y_score : array-like of float
        Scores, higher meaning more likely positive.

    Returns
    -------
    float
        In [0, 1]; 0.5 is chance.

    Raises
    ------
    InvalidInput
        If the shapes differ, a label is not 0/1, a score is not finite, or one class is empty.

    Examples
    --------
    Pairs (pos, neg): (0.8, 0.4) win, (0.8, 0.8) tie, (0.3, 0.4) lose, (0.3, 0.8) lose.

    >>> roc_auc([1, 0, 1, 0], [0.8, 0.4, 0.3, 0.8])
    0.375
    """
    pos, s = _labels_scores(y_true, y_score)
    n_pos = int(pos.sum())
    n_neg = len(s) - n_pos
    # Mid-ranks: sort once, then give every run of tied scores the mean of its ranks.
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    mid = (starts + ends + 1) / 2.0  # 1-based mean rank of each tie run
    ranks = np.empty(len(s))
    ranks[order] = np.repeat(mid, ends - starts)
    u_stat = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u_stat / (n_pos * n_neg))


def average_precision(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Return the average precision (area under the precision-recall curve, step rule).

    AP = Σ_n (R_n - R_{n-1}) P_n over the distinct score thresholds, highest first; tied
    scores form one threshold, as in scikit-learn's ``average_precision_score``.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Labels.
    y_score : array-like of float
        Scores, higher meaning more likely positive.

    Returns
    -------
    float
        In [0, 1]; the share of positives is chance.

    Raises
    ------
    InvalidInput
        If the shapes differ, a label is not 0/1, a score is not finite, or one class is empty.

    Examples
    --------
    Thresholds 0.9 (1 of 1 right), 0.5 (1 of 2), 0.4 (2 of 3): 0.5 * 1 + 0.5 * 2/3.

    >>> round(average_precision([1, 0, 1], [0.9, 0.5, 0.4]), 4)
    0.8333
    """
    pos, s = _labels_scores(y_true, y_score)
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    tp = np.cumsum(pos[order])
    # Keep the last index of each run of tied scores: one threshold per distinct score.
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    tp_at = tp[last].astype(np.float64)
    precision = tp_at / (last + 1)
    recall = tp_at / tp[-1]
    gain = np.diff(np.r_[0.0, recall])
    return float((gain * precision).sum())

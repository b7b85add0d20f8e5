"""Offline evaluation: hide real friendships, then check whether each score finds them again.

The protocol (what :func:`evaluate` does, step by step):

1. **Hold-out.** Every person p gets a quota of friendships to hide: ``holdout * d(p)``,
   rounded down or up at random so that its expectation is exact (seeded), capped at
   ``d(p) - 1``, and zero for people with fewer than ``min_degree`` friends. The friendships
   are walked in one seeded random order and one is hidden when *both* ends still have quota
   left. So nobody loses more than their share, and **no friendship is hidden if that would
   leave either person with no friend at all** (a person with one friend never loses it):
   everyone keeps a foothold in the remaining graph. Usually a little less than ``holdout``
   of all friendships ends up hidden (the report gives the exact figure).
2. **Ranking.** The remaining ("training") graph is wrapped in a :class:`~graphmatch.MemoryStore`
   and every score ranks introductions with :meth:`graphmatch.Matcher.suggest` (``limit=k``),
   exactly as the service would. Scores that are not (yet) registered with the matcher, such as
   the rankers of :mod:`graphmatch.rankers`, are ranked from the same two-hop statistics with
   the matcher's own order rule (:func:`graphmatch.matcher.order_key`).
3. **Per-person metrics.** For every person with at least one hidden friendship (or a seeded
   sample of ``sample_people`` of them), the hidden friends are the relevant items:
   precision@k, recall@k, MAP@k, NDCG@k and hit-rate@k, averaged over people with a 95%
   normal-approximation confidence interval (mean ± 1.96 standard errors).
4. **Global pair metrics.** ROC-AUC and PR-AUC (average precision) over the hidden pairs
   (positives, at most ``max_pairs``) against as many pairs drawn uniformly at random among
   non-friends of the full graph (negatives), each scored by the single-pair value of the score
   on the training graph. Balanced classes, so PR-AUC has a 0.5 chance level.
5. **Baseline.** ``random``: k introductions drawn uniformly (seeded) from the same candidates
   the scores see (people at distance exactly two in the training graph); for the pair metrics
   it scores each pair with a uniform random number.

All metric functions are small, public and written here with no scikit-learn, so that
scikit-learn can serve as an independent oracle in the tests.

Examples
--------
>>> import networkx as nx
>>> G = nx.relabel_nodes(nx.connected_caveman_graph(6, 6), str)
>>> res = evaluate(G, holdout=0.2, k=5, seed=1, scores=["common_neighbors"], progress=False)
>>> sorted(res.scores)
['common_neighbors', 'random']
>>> 0.0 <= res.scores["common_neighbors"].metrics["precision"].mean <= 1.0
True
"""

from __future__ import annotations

import heapq
import math
import random
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt

from graphmatch.errors import InvalidInput
from graphmatch.matcher import Matcher, order_key
from graphmatch.rankers import RANKERS, ranker_from_stats
from graphmatch.rule import SCORES, score_from_stats
from graphmatch.stores.memory import MemoryStore

__all__ = [
    "METRICS",
    "RANDOM",
    "EvaluationResult",
    "HoldOut",
    "Interval",
    "ScoreResult",
    "average_precision",
    "average_precision_at_k",
    "evaluate",
    "hit_rate_at_k",
    "holdout_split",
    "mean_interval",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "roc_auc",
]

#: The name of the random-candidate baseline in results.
RANDOM: Final = "random"
#: Per-person metrics, in table order.
METRICS: Final = ("precision", "recall", "map", "ndcg", "hit_rate")
#: Scores closer than this may tie once the matcher rounds them (to 10 decimals in order_key),
#: so candidates this close below the k-th value still go through the full order rule.
_TIE_MARGIN: Final = 2e-10
#: Two-sided 95% normal quantile.
Z95: Final = 1.959963984540054

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


# -- confidence intervals --------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """A mean over people with its 95% confidence interval ``[low, high]``."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """Return the interval as JSON-ready data."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}

    def __str__(self) -> str:
        return f"{self.mean:.4f} ±{(self.high - self.low) / 2:.4f}"


def mean_interval(values: ArrayLike) -> Interval:
    """Return the mean of values with a 95% normal-approximation confidence interval.

    The half-width is 1.96 standard errors (sample standard deviation over √n); with one value
    the interval is the point itself.

    Parameters
    ----------
    values : array-like of float
        One value per person (or per-person differences, for a paired comparison).

    Returns
    -------
    Interval

    Raises
    ------
    InvalidInput
        If values is empty.

    Examples
    --------
    >>> iv = mean_interval([0.0, 1.0, 0.0, 1.0])
    >>> iv.mean, round(iv.high - iv.mean, 4)
    (0.5, 0.5658)
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InvalidInput("a confidence interval needs at least one value")
    mean = float(x.mean())
    half = Z95 * float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else 0.0
    return Interval(mean, mean - half, mean + half, int(x.size))


# -- hold-out --------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldOut:
    """A split of a graph: the training graph and each person's hidden friends."""

    train: nx.Graph
    hidden: dict[str, frozenset[str]]
    hidden_pairs: list[tuple[str, str]]


def _string_graph(graph: nx.Graph | MemoryStore) -> nx.Graph:
    """Return an undirected simple graph with string ids (the caller's graph is not changed)."""
    g = graph.graph if isinstance(graph, MemoryStore) else graph
    if not isinstance(g, nx.Graph) or g.is_directed() or g.is_multigraph():
        raise InvalidInput("evaluate needs an undirected simple nx.Graph or a MemoryStore")
    if any(not isinstance(n, str) for n in g):
        g = nx.relabel_nodes(g, str)
    if nx.number_of_selfloops(g):
        g = g.copy()
        g.remove_edges_from(list(nx.selfloop_edges(g)))
    return g


def holdout_split(
    graph: nx.Graph, holdout: float = 0.1, *, seed: int = 0, min_degree: int = 2
) -> HoldOut:
    """Hide a seeded share of each person's friendships, never isolating anyone.

    See the module docstring for the rule. The input graph is not modified.

    Parameters
    ----------
    graph : networkx.Graph
        Undirected, simple, string ids.
    holdout : float, default 0.1
        The share of each person's friendships to hide, in (0, 1).
    seed : int, default 0
        Seeds the quota rounding and the order in which friendships are considered.
    min_degree : int, default 2
        People with fewer friends than this lose none.

    Returns
    -------
    HoldOut
        ``train`` (a copy without the hidden friendships), ``hidden`` (person -> hidden
        friends, only people who lost some) and ``hidden_pairs``.

    Raises
    ------
    InvalidInput
        If holdout is not in (0, 1) or min_degree < 2.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.relabel_nodes(nx.complete_graph(6), str)
    >>> split = holdout_split(G, 0.4, seed=3)
    >>> split.train.number_of_edges() + len(split.hidden_pairs) == G.number_of_edges()
    True
    >>> min(d for _, d in split.train.degree()) >= 1
    True
    """
    if not isinstance(holdout, int | float) or not 0.0 < holdout < 1.0:
        raise InvalidInput(f"holdout must be a fraction in (0, 1), got {holdout!r}")
    if isinstance(min_degree, bool) or not isinstance(min_degree, int) or min_degree < 2:
        raise InvalidInput(f"min_degree must be an integer >= 2, got {min_degree!r}")
    rng = random.Random(seed)
    quota: dict[str, int] = {}
    for person in sorted(graph):
        d = graph.degree(person)
        if d < min_degree:
            quota[person] = 0
            continue
        # Random rounding keeps the expected quota at exactly holdout * d, so low-degree people
        # are not over-sampled (always rounding up) or never sampled (always rounding down).
        share = holdout * d
        whole = math.floor(share)
        quota[person] = min(whole + (rng.random() < share - whole), d - 1)
    pairs = sorted((a, b) if a < b else (b, a) for a, b in graph.edges())
    rng.shuffle(pairs)
    hidden_pairs: list[tuple[str, str]] = []
    for a, b in pairs:
        if quota[a] > 0 and quota[b] > 0:
            quota[a] -= 1
            quota[b] -= 1
            hidden_pairs.append((a, b))
    train = graph.copy()
    train.remove_edges_from(hidden_pairs)
    hidden: dict[str, set[str]] = {}
    for a, b in hidden_pairs:
        hidden.setdefault(a, set()).add(b)
        hidden.setdefault(b, set()).add(a)
    return HoldOut(train, {p: frozenset(s) for p, s in hidden.items()}, hidden_pairs)


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreResult:
    """Everything measured for one score.

    ``metrics`` maps each name in :data:`METRICS` to its mean over people with a 95% CI;
    ``per_person`` keeps the raw per-person values (same people, same order for every score,
    so two scores can be compared pairwise); ``roc_auc`` and ``pr_auc`` are the global pair
    metrics; ``seconds`` is the time spent ranking with this score.
    """

    score: str
    metrics: dict[str, Interval]
    per_person: dict[str, npt.NDArray[np.float64]] = field(repr=False)
    roc_auc: float
    pr_auc: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (no per-person values)."""
        return {
            "metrics": {name: iv.as_dict() for name, iv in self.metrics.items()},
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of :func:`evaluate`: settings, split sizes and one result per score."""

    k: int
    holdout: float
    seed: int
    people: int
    friendships: int
    hidden_friendships: int
    evaluated_people: int
    eligible_people: int
    pairs: int
    scores: dict[str, ScoreResult]
    seconds: float
    source: str = ""

    def difference(self, a: str, b: str, metric: str = "precision") -> Interval:
        """Return the paired per-person difference ``a - b`` in a metric, with its 95% CI.

        Parameters
        ----------
        a, b : str
            Two evaluated score names.
        metric : str, default "precision"
            One of :data:`METRICS`.

        Returns
        -------
        Interval
            Mean difference over the same people; the CI excludes 0 when the gap is
            significant at the 5% level.

        Raises
        ------
        InvalidInput
            For a score or metric that was not evaluated.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.relabel_nodes(nx.connected_caveman_graph(5, 5), str)
        >>> res = evaluate(G, k=3, scores=["jaccard"], progress=False)
        >>> res.difference("jaccard", "jaccard").mean
        0.0
        """
        if metric not in METRICS:
            raise InvalidInput(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
        for name in (a, b):
            if name not in self.scores:
                raise InvalidInput(f"score {name!r} was not evaluated")
        return mean_interval(self.scores[a].per_person[metric] - self.scores[b].per_person[metric])

    def best(self, metric: str = "precision", among: Iterable[str] | None = None) -> str:
        """Return the evaluated score with the highest mean in a metric (ties: first named)."""
        names = [s for s in (self.scores if among is None else among) if s in self.scores]
        if not names:
            raise InvalidInput("no evaluated score to choose from")
        return max(names, key=lambda s: self.scores[s].metrics[metric].mean)

    def as_dict(self) -> dict[str, Any]:
        """Return the whole result as JSON-ready data."""
        return {
            "source": self.source,
            "k": self.k,
            "holdout": self.holdout,
            "seed": self.seed,
            "people": self.people,
            "friendships": self.friendships,
            "hidden_friendships": self.hidden_friendships,
            "eligible_people": self.eligible_people,
            "evaluated_people": self.evaluated_people,
            "pairs": self.pairs,
            "seconds": round(self.seconds, 3),
            "ci": "95% normal approximation over people",
            "scores": {name: r.as_dict() for name, r in self.scores.items()},
        }

    def table(self) -> str:
        """Return a plain-text table: one row per score, metrics side by side with 95% CIs.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.relabel_nodes(nx.connected_caveman_graph(5, 5), str)
        >>> print(evaluate(G, k=3, scores=["jaccard"], progress=False).table().splitlines()[0])
        ... # doctest: +NORMALIZE_WHITESPACE
        score  P@3  R@3  MAP@3  NDCG@3  HR@3  ROC-AUC  PR-AUC
        """
        k = self.k
        heads = ["score", f"P@{k}", f"R@{k}", f"MAP@{k}", f"NDCG@{k}", f"HR@{k}"]
        heads += ["ROC-AUC", "PR-AUC"]
        rows = [heads]
        for name, r in self.scores.items():
            cells = [name] + [str(r.metrics[m]) for m in METRICS]
            rows.append([*cells, f"{r.roc_auc:.4f}", f"{r.pr_auc:.4f}"])
        widths = [max(len(row[i]) for row in rows) for i in range(len(heads))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        return "\n".join(line.rstrip() for line in lines)

    def summary(self) -> str:
        """Return one line describing the split and the sample."""
        share = self.hidden_friendships / max(self.friendships, 1)
        return (
            f"{self.people:,} people, {self.friendships:,} friendships; hid "
            f"{self.hidden_friendships:,} ({share:.1%}), seed {self.seed}; "
            f"evaluated {self.evaluated_people:,} of "
            f"{self.eligible_people:,} people with hidden friends; k={self.k}; "
            f"{self.pairs:,} positive + {self.pairs:,} negative pairs; {self.seconds:.1f} s"
        )


# -- ranking ---------------------------------------------------------------------------------
def _check_scores(scores: Iterable[str] | None) -> list[str]:
    """Return the score names to evaluate, in order, validated, with the baseline last."""
    names = list(SCORES) + [r for r in RANKERS if r not in SCORES] if scores is None else []
    if scores is not None:
        if isinstance(scores, str):
            raise InvalidInput("scores must be a list of names, not one string")
        names = list(dict.fromkeys(scores))
    known = (*SCORES, *RANKERS, RANDOM)
    for name in names:
        if name not in known:
            raise InvalidInput(f"unknown score {name!r}; choose from {', '.join(known)}")
    names = [n for n in names if n != RANDOM]
    return [*names, RANDOM]


def _rank_stats(store: MemoryStore, person: str, score: str, k: int) -> list[str]:
    """Rank person's distance-2 candidates for a score the matcher does not know yet.

    Same candidates and the same order rule as :meth:`graphmatch.Matcher.suggest`
    (score desc, mutual count desc, id asc) over the store's two-hop statistics.
    """
    stats = store.two_hop_weights(person)
    stats.pop(person, None)
    for friend in store.friends(person):
        stats.pop(friend, None)
    if not stats:
        return []
    du = store.degree(person)
    degs = store.degrees(stats)
    values = {
        v: ranker_from_stats(score, c, aa, ra, du, degs[v]) for v, (c, aa, ra) in stats.items()
    }
    # Select the bar with C-level nlargest over bare floats, then apply the full order rule
    # only to candidates at or above it (within two rounding quanta, as the matcher does).
    bar = heapq.nlargest(k, values.values())[-1] - _TIE_MARGIN
    keyed = sorted(order_key(v, s, stats[v][0]) for v, s in values.items() if s >= bar)
    return [key[2] for key in keyed[:k]]


def _pair_value(train: nx.Graph, score: str, a: str, b: str, rng: random.Random) -> float:
    """Return the single-pair value of a score for a and b on the training graph."""
    if score == RANDOM:
        return rng.random()
    adj = train._adj
    na, nb = adj[a], adj[b]
    small, big = (na, nb) if len(na) <= len(nb) else (nb, na)
    common = [w for w in small if w in big]
    aa = sum((1.0 / math.log(len(adj[w])) for w in common), 0.0)  # mutual friends have d >= 2
    ra = sum((1.0 / len(adj[w]) for w in common), 0.0)
    if score in SCORES:
        return score_from_stats(score, len(common), aa, ra, len(na), len(nb))
    return ranker_from_stats(score, len(common), aa, ra, len(na), len(nb))


def _negative_pairs(graph: nx.Graph, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Draw n distinct non-friend pairs uniformly at random (rejection sampling)."""
    nodes = sorted(graph)
    if len(nodes) < 2:
        return []
    possible = len(nodes) * (len(nodes) - 1) // 2 - graph.number_of_edges()
    n = min(n, possible)
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        a, b = rng.choice(nodes), rng.choice(nodes)
        if a == b or graph.has_edge(a, b):
            continue
        key = (a, b) if a < b else (b, a)
        if key in seen:
            continue
        seen.add(key)
        out.append(key)
    return out


def _progress(total: int, desc: str, enabled: bool) -> Any:
    """Return a tqdm bar on stderr, or a no-op stand-in when progress is off."""
    if enabled:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="person", file=sys.stderr, leave=False)
    return _NoBar()


class _NoBar:
    """A do-nothing progress bar."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Ignore closing."""


def evaluate(
    graph: nx.Graph | MemoryStore | str | Path,
    *,
    holdout: float = 0.1,
    k: int = 10,
    seed: int = 0,
    scores: Iterable[str] | None = None,
    min_degree: int = 2,
    sample_people: int | None = None,
    max_pairs: int = 20_000,
    progress: bool = True,
) -> EvaluationResult:
    """Hide friendships, rank with each score, and measure how many come back.

    Parameters
    ----------
    graph : networkx.Graph, MemoryStore, str or Path
        The full graph: an undirected simple graph (ids are turned into strings), a memory
        store (its graph is read, not changed), or an edge-list file.
    holdout : float, default 0.1
        Share of each person's friendships to hide, in (0, 1).
    k : int, default 10
        Introductions per person (``limit`` for the matcher) and the metric cut-off.
    seed : int, default 0
        Seeds the hold-out, the people sample, the negative pairs and the random baseline.
    scores : iterable of str, optional
        Scores to compare: names from :data:`graphmatch.SCORES` and
        :data:`graphmatch.rankers.RANKERS`. Default: all of them. The ``random`` baseline is
        always added last.
    min_degree : int, default 2
        People with fewer friends lose none (and so are not evaluated).
    sample_people : int, optional
        Evaluate a seeded uniform sample of this many people with hidden friends instead of
        all of them (the hold-out itself is unchanged). Use it on large graphs.
    max_pairs : int, default 20000
        At most this many hidden pairs (seeded sample) and as many random non-friend pairs for
        ROC-AUC and PR-AUC.
    progress : bool, default True
        Show a tqdm progress bar on stderr.

    Returns
    -------
    EvaluationResult
        One :class:`ScoreResult` per score (the baseline last); ``table()`` and
        ``as_dict()`` format it.

    Raises
    ------
    InvalidInput
        For an unknown score, an out-of-range parameter, a graph that is not undirected and
        simple, a graph too small to hide anything, or an unreadable file.
    ParseError
        For a malformed edge-list file.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.relabel_nodes(nx.connected_caveman_graph(8, 6), str)
    >>> res = evaluate(G, k=5, scores=["adamic_adar"], progress=False)
    >>> res.evaluated_people == res.eligible_people > 0
    True
    >>> print(res.table().splitlines()[1].split()[0])
    adamic_adar
    """
    started = time.perf_counter()
    k = _check_k(k)
    if isinstance(max_pairs, bool) or not isinstance(max_pairs, int) or max_pairs < 1:
        raise InvalidInput(f"max_pairs must be a positive integer, got {max_pairs!r}")
    if sample_people is not None and (
        isinstance(sample_people, bool) or not isinstance(sample_people, int) or sample_people < 1
    ):
        raise InvalidInput(f"sample_people must be a positive integer, got {sample_people!r}")
    names = _check_scores(scores)
    source = ""
    if isinstance(graph, str | Path):
        source = str(graph)
        graph = MemoryStore.from_edgelist(graph)
    full = _string_graph(graph)
    split = holdout_split(full, holdout, seed=seed, min_degree=min_degree)
    if not split.hidden_pairs:
        raise InvalidInput("nothing could be hidden: the graph is too small or too sparse")

    rng = random.Random(seed)
    eligible = sorted(split.hidden)
    people = eligible
    if sample_people is not None and sample_people < len(eligible):
        people = sorted(rng.sample(eligible, sample_people))

    store = MemoryStore(split.train)
    matcher = Matcher(store, explain=0)
    # Rank the people once per score, in the same order, so per-person arrays line up.
    ranked: dict[str, list[list[str]]] = {name: [] for name in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)
    base_rng = random.Random(seed + 1)
    bar = _progress(len(people), "evaluate", progress)
    try:
        for person in people:
            for name in names:
                t0 = time.perf_counter()
                if name in SCORES:
                    found = [s.person for s in matcher.suggest(person, limit=k, score=name)]
                elif name == RANDOM:
                    pool = store.two_hop_counts(person)
                    pool.pop(person, None)
                    for friend in store.friends(person):
                        pool.pop(friend, None)
                    found = base_rng.sample(sorted(pool), min(k, len(pool)))
                else:
                    found = _rank_stats(store, person, name, k)
                seconds[name] += time.perf_counter() - t0
                ranked[name].append(found)
            bar.update(1)
    finally:
        bar.close()

    # Global pair metrics: hidden pairs against uniformly random non-friend pairs.
    positives = split.hidden_pairs
    if len(positives) > max_pairs:
        positives = rng.sample(positives, max_pairs)
    negatives = _negative_pairs(full, len(positives), rng)
    labels = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    pairs = positives + negatives

    results: dict[str, ScoreResult] = {}
    for name in names:
        per_person = {
            metric: np.array(
                [
                    fn(found, split.hidden[p], k)
                    for p, found in zip(people, ranked[name], strict=True)
                ]
            )
            for metric, fn in _PERSON_METRICS.items()
        }
        pair_rng = random.Random(seed + 2)
        values = np.array([_pair_value(split.train, name, a, b, pair_rng) for a, b in pairs])
        can_auc = len(positives) > 0 and len(negatives) > 0
        results[name] = ScoreResult(
            score=name,
            metrics={m: mean_interval(v) for m, v in per_person.items()},
            per_person=per_person,
            roc_auc=roc_auc(labels, values) if can_auc else math.nan,
            pr_auc=average_precision(labels, values) if can_auc else math.nan,
            seconds=seconds[name],
        )
    return EvaluationResult(
        k=k,
        holdout=holdout,
        seed=seed,
        people=full.number_of_nodes(),
        friendships=full.number_of_edges(),
        hidden_friendships=len(split.hidden_pairs),
        evaluated_people=len(people),
        eligible_people=len(eligible),
        pairs=len(positives),
        scores=results,
        seconds=time.perf_counter() - started,
        source=source,
    )

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
   exactly as the service would, so by the one rule of :mod:`graphmatch.rule`.
3. **Per-person metrics.** For every person with at least one hidden friendship (or a seeded
   sample of ``sample_people`` of them), the hidden friends are the relevant items:
   precision@k, recall@k, MAP@k, NDCG@k and hit-rate@k, averaged over people with a 95%
   normal-approximation confidence interval (mean ± 1.96 standard errors).
4. **Global pair metrics.** ROC-AUC and PR-AUC (average precision) over the hidden pairs
   (positives, at most ``max_pairs``) against as many pairs drawn uniformly at random among
   non-friends of the full graph (negatives), each scored by the single-pair value of the score
   on the training graph (:func:`graphmatch.rule.pair_score`: the bits the ranking paths give).
   Balanced classes, so PR-AUC has a 0.5 chance level.
5. **Baseline.** ``random``: k introductions drawn uniformly (seeded) from the same candidates
   the scores see (people at distance exactly two in the training graph); for the pair metrics
   it scores each pair with a uniform random number.

The metrics live in :mod:`graphmatch.evaluation.metrics`, the confidence intervals in
:mod:`graphmatch.evaluation.stats`, the hold-out in :mod:`graphmatch.evaluation.split`.

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

import math
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt

from graphmatch.errors import InvalidInput
from graphmatch.evaluation.metrics import (
    _PERSON_METRICS,
    _check_k,
    average_precision,
    roc_auc,
)

# Re-exported: benchmarks and older callers import METRICS from here.
from graphmatch.evaluation.metrics import METRICS as METRICS
from graphmatch.evaluation.split import _string_graph, holdout_split
from graphmatch.evaluation.stats import Interval, mean_interval
from graphmatch.matcher import Matcher
from graphmatch.rule import CLASSIC, LEARNED, SCORES, pair_score
from graphmatch.stores.memory import MemoryStore

__all__ = ["CLASSIC", "LEARNED", "METRICS", "RANDOM", "EvaluationResult", "ScoreResult", "evaluate"]

#: The name of the random-candidate baseline in results.
RANDOM: Final = "random"


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreResult:
    """Everything measured for one score.

    ``metrics`` maps each name in :data:`METRICS` to its mean over people with a 95% CI;
    ``per_person`` keeps the raw per-person values (same people, same order for every score,
    so two scores can be compared pairwise); ``roc_auc`` and ``pr_auc`` are the global pair
    metrics; ``seconds`` is the time spent ranking with this score. ``vs_best_classic`` is
    the paired difference in precision@k against the best of the four :data:`CLASSIC`
    scores evaluated (``{"baseline", "diff", "low", "high"}``, a 95% CI), and ``training``
    the learned ranker's training summary (None for other scores).
    """

    score: str
    metrics: dict[str, Interval]
    per_person: dict[str, npt.NDArray[np.float64]] = field(repr=False)
    roc_auc: float
    pr_auc: float
    seconds: float
    vs_best_classic: dict[str, Any] | None = None
    training: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (no per-person values)."""
        return {
            "metrics": {name: iv.as_dict() for name, iv in self.metrics.items()},
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "seconds": round(self.seconds, 3),
            "vs_best_classic": self.vs_best_classic,
        } | ({"training": self.training} if self.training is not None else {})


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
        score  P@3  R@3  MAP@3  NDCG@3  HR@3  ROC-AUC  PR-AUC  P@3 vs best classic
        """
        k = self.k
        heads = ["score", f"P@{k}", f"R@{k}", f"MAP@{k}", f"NDCG@{k}", f"HR@{k}"]
        heads += ["ROC-AUC", "PR-AUC", f"P@{k} vs best classic"]
        rows = [heads]
        for name, r in self.scores.items():
            cells = [name] + [str(r.metrics[m]) for m in METRICS]
            vs = r.vs_best_classic
            versus = (
                "" if vs is None else f"{vs['diff']:+.4f} [{vs['low']:+.4f}, {vs['high']:+.4f}]"
            )
            rows.append([*cells, f"{r.roc_auc:.4f}", f"{r.pr_auc:.4f}", versus])
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
    names = list(SCORES)
    if scores is not None:
        if isinstance(scores, str):
            raise InvalidInput("scores must be a list of names, not one string")
        names = list(dict.fromkeys(scores))
    known = (*SCORES, LEARNED, RANDOM)
    for name in names:
        if name not in known:
            raise InvalidInput(f"unknown score {name!r}; choose from {', '.join(known)}")
    names = [n for n in names if n != RANDOM]
    return [*names, RANDOM]


def _pair_value(train: nx.Graph, score: str, a: str, b: str, rng: random.Random) -> float:
    """Return the single-pair value of a score for a and b on the training graph."""
    if score == RANDOM:
        return rng.random()
    adj = train._adj
    na, nb = adj[a], adj[b]
    small, big = (na, nb) if len(na) <= len(nb) else (nb, na)
    common = {w: len(adj[w]) for w in small if w in big}
    return pair_score(score, common, len(na), len(nb))


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
        from graphmatch._progress import tqdm  # no bar without tqdm (an optional extra)

        return tqdm(total=total, desc=desc, unit="person", file=sys.stderr, leave=False)
    return _NoBar()


class _NoBar:
    """A do-nothing progress bar."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Ignore closing."""


def _with_vs_best_classic(results: dict[str, ScoreResult], k: int) -> dict[str, ScoreResult]:
    """Add each score's paired precision@k difference against the best classic score."""
    classic = [n for n in CLASSIC if n in results]
    if not classic:
        return results
    best = max(classic, key=lambda n: results[n].metrics["precision"].mean)
    base = results[best].per_person["precision"]
    out = {}
    for name, r in results.items():
        iv = mean_interval(r.per_person["precision"] - base)
        vs = {"baseline": best, "diff": iv.mean, "low": iv.low, "high": iv.high}
        out[name] = replace(r, vs_best_classic=vs)
    return out


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
    learn_people: int = 4000,
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
        Scores to compare: names from :data:`graphmatch.SCORES`, and ``"learned"`` for the
        learned ranker (:mod:`graphmatch.learn`, the ``[learn]`` extra), which is trained
        here on the training part of the split only (its own hold-out, seeded from
        ``seed``), so no friendship it is evaluated on is ever seen in training. Default:
        every name in :data:`graphmatch.SCORES`. The ``random`` baseline is always added
        last.
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
    learn_people : int, default 4000
        People the learned ranker samples for training (see :func:`graphmatch.learn.train`).

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
    ranker: Any = None
    training: dict[str, Any] | None = None
    if LEARNED in names:
        from graphmatch.learn.ranker import LearnedRanker
        from graphmatch.learn.training import train

        t0 = time.perf_counter()
        # Trained on the training graph alone, with a hold-out of its own: the friendships
        # hidden for evaluation are not in it, so the model never sees what it is tested on.
        model = train(split.train, holdout=holdout, seed=seed + 101, people=learn_people,
                      progress=progress)  # fmt: skip
        ranker = LearnedRanker(model)
        store.build_index()
        training = dict(model.training, learner=model.learner,
                        seconds=round(time.perf_counter() - t0, 2))  # fmt: skip
    # Rank the people once per score, in the same order, so per-person arrays line up.
    ranked: dict[str, list[list[str]]] = {name: [] for name in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)
    base_rng = random.Random(seed + 1)
    bar = _progress(len(people), "evaluate", progress)
    try:
        for person in people:
            for name in names:
                t0 = time.perf_counter()
                if name == RANDOM:
                    pool = store.two_hop_counts(person)
                    pool.pop(person, None)
                    for friend in store.friends(person):
                        pool.pop(friend, None)
                    found = base_rng.sample(sorted(pool), min(k, len(pool)))
                elif name == LEARNED:
                    found = [s.person for s in ranker.suggest(store, person, k, explain=0)]
                else:
                    found = [s.person for s in matcher.suggest(person, limit=k, score=name)]
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
        if name == LEARNED:
            values = ranker.pair_scores(store, pairs)
        else:
            values = np.array([_pair_value(split.train, name, a, b, pair_rng) for a, b in pairs])
        can_auc = len(positives) > 0 and len(negatives) > 0
        results[name] = ScoreResult(
            score=name,
            metrics={m: mean_interval(v) for m, v in per_person.items()},
            per_person=per_person,
            roc_auc=roc_auc(labels, values) if can_auc else math.nan,
            pr_auc=average_precision(labels, values) if can_auc else math.nan,
            seconds=seconds[name],
            training=training if name == LEARNED else None,
        )
    results = _with_vs_best_classic(results, k)
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

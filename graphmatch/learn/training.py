"""Self-supervised training of the learned ranker: hide friendships, learn to find them.

The only module that imports scikit-learn (the ``[learn]`` extra; import-linter checks).

1. **Hide** a seeded share of the graph's friendships (:func:`graphmatch.evaluation.holdout_split`,
   the same per-person rule as the evaluation). Called by :func:`graphmatch.evaluate`, the graph
   is already the evaluation's training part, so nothing evaluated is ever seen here.
2. **Candidates and features** for a seeded sample of people who lost a friend: stage 1's
   best ``candidates`` people by ``cn_ra`` on the remaining graph, and their features, in the
   compiled kernel; a candidate is positive when its friendship was hidden.
3. **Fit** each learner on 80% of the people and measure precision@10 on the other 20%, the
   way the ranker will use it (probability desc, mutual count desc, id asc, over the same
   candidates); keep the better (``learner="auto"``), or the one asked for, and refit it on
   every person.
4. **Export** the model's trees or weights to arrays (:class:`~graphmatch.learn.model.Model`):
   the learner is never called at query time.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np

from graphmatch.errors import InvalidInput
from graphmatch.learn import _kernels
from graphmatch.learn.features import FEATURES, index_rows
from graphmatch.learn.model import MAX_DEPTH, Model
from graphmatch.learn.ranker import _Scratch
from graphmatch.rule import QUANTUM_INV

__all__ = [
    "CANDIDATES",
    "DEFAULT_FEATURES",
    "DEPTH",
    "LEARNERS",
    "TREES",
    "TrainingSet",
    "build_training_set",
    "train",
]

#: The learners :func:`train` can fit ("auto" fits both and keeps the better).
LEARNERS: Final = ("hist_gradient_boosting", "logistic_regression")
#: People per compiled call while building the training set (one progress-bar step).
_CHUNK: Final = 256
#: At most this many hold-outs (seeds) to gather the people a training sample asks for.
MAX_ROUNDS: Final = 3
#: The defaults of :func:`train`, chosen by the speed/accuracy table in docs/evaluation.md
#: ("Cost"): stage 1's cut, gradient boosting's trees and their depth, and the features
#: (every one but ``mutual_clustering``, which paid within noise and cost its own pass).
CANDIDATES: Final = 50
TREES: Final = 50
DEPTH: Final = 4
DEFAULT_FEATURES: Final = tuple(f for f in FEATURES if f != "mutual_clustering")


@dataclass(frozen=True)
class TrainingSet:
    """Candidate rows of sampled people: features, labels and whose rows they are.

    Person i's rows are ``offsets[i] : offsets[i + 1]`` of ``X`` (columns as
    :data:`~graphmatch.learn.features.FEATURES`), ``y`` (1 for a hidden friendship),
    ``counts`` (mutual counts) and ``rank`` (the candidates' id-order ranks); ``relevant[i]``
    is how many friendships person i lost (found in the candidates or not).
    """

    X: np.ndarray
    y: np.ndarray
    counts: np.ndarray
    rank: np.ndarray
    offsets: np.ndarray
    relevant: np.ndarray

    @property
    def people(self) -> int:
        """Return the number of people."""
        return int(self.offsets.shape[0] - 1)

    def subset(self, people: np.ndarray) -> TrainingSet:
        """Return the rows of the given people (indices into this set), in that order."""
        lo, hi = self.offsets[people], self.offsets[people + 1]
        spans = [np.arange(a, b, dtype=np.int64) for a, b in zip(lo, hi, strict=True)]
        take = np.concatenate(spans) if spans else np.zeros(0, np.int64)
        offsets = np.zeros(len(people) + 1, np.int64)
        np.cumsum(hi - lo, out=offsets[1:])
        return TrainingSet(
            self.X[take], self.y[take], self.counts[take], self.rank[take], offsets,
            self.relevant[people],
        )  # fmt: skip


def _graph(graph: Any) -> tuple[nx.Graph, str]:
    """Return the string-id graph a training input names, and its source."""
    from graphmatch.evaluation.split import _string_graph
    from graphmatch.stores.memory import MemoryStore

    if isinstance(graph, str | Path):
        return _string_graph(MemoryStore.from_edgelist(graph, index="off")), str(graph)
    return _string_graph(graph), ""


def build_training_set(
    graph: nx.Graph,
    *,
    holdout: float = 0.1,
    seed: int = 0,
    people: int = 4000,
    candidates: int = 200,
    progress: bool = False,
) -> TrainingSet:
    """Hide friendships of graph and return the candidate rows of a sample of people.

    Parameters
    ----------
    graph : networkx.Graph
        Undirected, simple, string ids (not changed).
    holdout : float, default 0.1
        Share of each person's friendships hidden.
    seed : int, default 0
        Seeds the hold-out and the sample.
    people : int, default 4000
        At most this many people who lost a friend (seeded sample); on a graph with fewer,
        friendships are hidden again with other seeds (up to :data:`MAX_ROUNDS` hold-outs),
        each person's rows coming from one hold-out.
    candidates : int, default 200
        Stage 1's cut.
    progress : bool, default False
        A progress bar on stderr.

    Returns
    -------
    TrainingSet

    Raises
    ------
    InvalidInput
        If nothing can be hidden.
    """
    from graphmatch._progress import tqdm

    bar = tqdm(total=people, desc="features", unit="person", file=sys.stderr,
               disable=not progress, leave=False)  # fmt: skip
    sets: list[TrainingSet] = []
    try:
        left = people
        # A small graph has fewer people who lost a friend than the sample asks for: hide
        # again with another seed (up to MAX_ROUNDS times) rather than train on fewer rows.
        for r in range(MAX_ROUNDS):
            ts = _one_round(graph, holdout, seed + 7919 * r, left, candidates, bar)
            sets.append(ts)
            left -= ts.people
            if left <= 0 or ts.people == 0:
                break
    finally:
        bar.close()
    if len(sets) == 1:
        return sets[0]
    offsets = [sets[0].offsets]
    for ts in sets[1:]:
        offsets.append(ts.offsets[1:] + offsets[-1][-1])
    return TrainingSet(
        np.concatenate([t.X for t in sets]),
        np.concatenate([t.y for t in sets]),
        np.concatenate([t.counts for t in sets]),
        np.concatenate([t.rank for t in sets]),
        np.concatenate(offsets),
        np.concatenate([t.relevant for t in sets]),
    )


def _one_round(
    graph: nx.Graph, holdout: float, seed: int, people: int, candidates: int, bar: Any
) -> TrainingSet:
    """Hide friendships once with seed and return the rows of up to ``people`` people."""
    from graphmatch.evaluation.split import holdout_split
    from graphmatch.stores.memory import MemoryStore

    split = holdout_split(graph, holdout, seed=seed)
    if not split.hidden_pairs:
        raise InvalidInput("nothing could be hidden to train on: the graph is too small")
    rows = index_rows(MemoryStore(split.train, index="off").build_index())
    eligible = sorted(split.hidden)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(eligible, people)) if people < len(eligible) else eligible
    users = np.array([rows.pos[p] for p in chosen], dtype=np.int64)
    scratch = _Scratch(rows.n)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, len(users), _CHUNK):
        block = users[lo : lo + _CHUNK]
        parts.append(
            _kernels.training_block(
                rows.start,
                rows.deg,
                rows.indices,
                rows.rank,
                rows.banned,
                block,
                candidates,
                *scratch.arrays(),
            )
        )
        bar.update(len(block))
    sizes = np.concatenate([np.diff(off) for off, _, _ in parts])
    offsets = np.zeros(len(users) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    cands = np.concatenate([c for _, c, _ in parts])
    X = np.concatenate([x for _, _, x in parts]) if parts else np.zeros((0, len(FEATURES)))
    ids = rows.ids
    y = np.zeros(len(cands), np.int8)
    for i, person in enumerate(chosen):
        lost = split.hidden[person]
        lo, hi = offsets[i], offsets[i + 1]
        for j in range(lo, hi):
            if ids[cands[j]] in lost:
                y[j] = 1
    counts = np.rint(np.expm1(X[:, FEATURES.index("log_common_neighbors")])).astype(np.int64)
    relevant = np.array([len(split.hidden[p]) for p in chosen], dtype=np.int64)
    return TrainingSet(X, y, counts, rows.rank[cands], offsets, relevant)


def precision_at(ts: TrainingSet, scores: np.ndarray, k: int = 10) -> np.ndarray:
    """Return precision@k per person when their candidates are ranked by scores (the rule)."""
    out = np.zeros(ts.people)
    q = np.floor(scores * QUANTUM_INV + 0.5)  # the rule's quantise, on an array
    for i in range(ts.people):
        lo, hi = ts.offsets[i], ts.offsets[i + 1]
        order = np.lexsort((ts.rank[lo:hi], -ts.counts[lo:hi], -q[lo:hi]))[:k]
        out[i] = ts.y[lo:hi][order].sum() / k
    return out


def _thin(ts: TrainingSet, max_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return every positive row and a seeded sample of negatives, about max_rows in all."""
    # Fitting time grows with the rows; on ego-Facebook (660k rows) keeping 250k of them
    # changed validation precision@10 by less than its noise and cut the fit by 2.5x.
    if len(ts.y) <= max_rows:
        return ts.X, ts.y
    pos = ts.y == 1
    keep_neg = max(max_rows - int(pos.sum()), 1) / max(int((~pos).sum()), 1)
    keep = pos | (np.random.default_rng(seed).random(len(ts.y)) < keep_neg)
    return ts.X[keep], ts.y[keep]


def _fit_hgb(
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    features: Sequence[str],
    max_iter: int = TREES,
    max_depth: int = DEPTH,
    max_leaf_nodes: int | None = None,
) -> Model:
    """Fit histogram gradient boosting of trees at most max_depth deep and export them."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    est = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_depth=max_depth,
        max_leaf_nodes=max_leaf_nodes or max(2, 1 << max_depth), min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=seed,
    )  # fmt: skip
    est.fit(X, y)
    roots, feature, threshold, left, right, value = [], [], [], [], [], []
    base = 0
    for iteration in est._predictors:
        nodes = iteration[0].nodes
        roots.append(base)
        leaf = nodes["is_leaf"].astype(bool)
        feature.append(np.where(leaf, -1, nodes["feature_idx"]).astype(np.int64))
        threshold.append(np.where(leaf, 0.0, nodes["num_threshold"]).astype(np.float64))
        left.append(np.where(leaf, -1, nodes["left"].astype(np.int64) + base))
        right.append(np.where(leaf, -1, nodes["right"].astype(np.int64) + base))
        value.append(np.where(leaf, nodes["value"], 0.0).astype(np.float64))
        base += len(nodes)
    return Model(
        features=tuple(features),
        learner="hist_gradient_boosting",
        bias=float(np.ravel(est._baseline_prediction)[0]),
        weights=np.zeros(len(features)),
        roots=np.array(roots, np.int64),
        feature=np.concatenate(feature),
        threshold=np.concatenate(threshold),
        left=np.concatenate(left),
        right=np.concatenate(right),
        value=np.concatenate(value),
    )


def _fit_logistic(X: np.ndarray, y: np.ndarray, seed: int, features: Sequence[str]) -> Model:
    """Fit standardised logistic regression and fold the scaling into its weights."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    est = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    est.fit((X - mean) / scale, y)
    w = est.coef_[0] / scale
    return Model(
        features=tuple(features),
        learner="logistic_regression",
        bias=float(est.intercept_[0] - (w * mean).sum()),
        weights=w.astype(np.float64),
    )


def train(
    graph: nx.Graph | Any,
    *,
    holdout: float = 0.1,
    seed: int = 0,
    people: int = 4000,
    candidates: int = CANDIDATES,
    learner: str = "auto",
    features: Iterable[str] | None = None,
    max_rows: int = 250_000,
    trees: int = TREES,
    depth: int = DEPTH,
    progress: bool = False,
) -> Model:
    """Train a learned ranker on a graph by hiding some of its friendships.

    Parameters
    ----------
    graph : networkx.Graph, MemoryStore, str or Path
        The graph to learn from (an edge-list path is loaded); it is not changed.
    holdout : float, default 0.1
        Share of each person's friendships hidden to make positives.
    seed : int, default 0
        Seeds the hold-out, the people sample, the validation split and the learner.
    people : int, default 4000
        People sampled for training and validation (80% / 20%).
    candidates : int, default 50
        Stage 1's cut: how many distance-2 people (best by cn_ra) the model ranks.
    learner : {"auto", "hist_gradient_boosting", "logistic_regression"}, default "auto"
        "auto" fits both and keeps the better on validation precision@10.
    features : iterable of str, optional
        Feature names to use (default: :data:`DEFAULT_FEATURES`, every one of
        :data:`~graphmatch.learn.features.FEATURES` but ``mutual_clustering``).
    max_rows : int, default 250000
        Fit on at most about this many rows: every positive, and a seeded uniform sample of
        the negatives.
    trees : int, default 50
        Gradient boosting's trees (iterations).
    depth : int, default 4
        Their depth, 1 to :data:`~graphmatch.learn.model.MAX_DEPTH` (the kernel walks every
        tree complete: ``2**depth`` leaves).
    progress : bool, default False
        A progress bar on stderr.

    Returns
    -------
    Model
        With ``training`` summarising the data, each learner's validation precision@10
        (beside stage 1's own cn_ra order) and the time taken.

    Raises
    ------
    InvalidInput
        For an unknown learner or feature, out-of-range parameters, or a graph too small.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.relabel_nodes(nx.connected_caveman_graph(12, 6), str)
    >>> model = train(G, people=60, learner="logistic_regression", seed=1)
    >>> model.learner, model.features[:2]
    ('logistic_regression', ('log_common_neighbors', 'adamic_adar'))
    """
    started = time.perf_counter()
    if learner != "auto" and learner not in LEARNERS:
        raise InvalidInput(f"unknown learner {learner!r}; choose auto or {', '.join(LEARNERS)}")
    for name, value, low, high in (
        ("people", people, 10, 10**7), ("candidates", candidates, 1, 10_000),
        ("trees", trees, 1, 10_000), ("depth", depth, 1, MAX_DEPTH),
    ):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")
    names = list(DEFAULT_FEATURES) if features is None else list(dict.fromkeys(features))
    unknown = [f for f in names if f not in FEATURES]
    if unknown or not names:
        raise InvalidInput(f"unknown features {unknown}; choose from {', '.join(FEATURES)}")
    g, source = _graph(graph)
    ts = build_training_set(
        g, holdout=holdout, seed=seed, people=people, candidates=candidates, progress=progress
    )
    built = time.perf_counter()
    rng = np.random.default_rng(seed)
    order = rng.permutation(ts.people)
    cut = max(1, round(0.8 * ts.people))
    fit_set, val_set = ts.subset(np.sort(order[:cut])), ts.subset(np.sort(order[cut:]))
    if fit_set.y.sum() == 0 or fit_set.y.sum() == len(fit_set.y):
        raise InvalidInput("the training candidates hold only one class: the graph is too small")
    cols = [FEATURES.index(f) for f in names]
    fit_X, fit_y = _thin(fit_set, max_rows, seed)
    fitters: dict[str, Callable[[np.ndarray, np.ndarray, int, Sequence[str]], Model]] = {
        "hist_gradient_boosting": partial(_fit_hgb, max_iter=trees, max_depth=depth),
        "logistic_regression": _fit_logistic,
    }
    chosen = LEARNERS if learner == "auto" else (learner,)
    models: dict[str, Model] = {}
    validation: dict[str, float] = {}
    seconds: dict[str, float] = {}
    stage_one = np.zeros(len(val_set.y))
    for i in range(val_set.people):  # stage 1's own order: first candidate best
        lo, hi = val_set.offsets[i], val_set.offsets[i + 1]
        stage_one[lo:hi] = 1.0 - np.arange(hi - lo) / max(hi - lo, 1)
    baseline = float(precision_at(val_set, stage_one).mean()) if val_set.people else math.nan
    from graphmatch._progress import tqdm

    refit = val_set.people > 0
    bar = tqdm(total=len(chosen) + refit, desc="fit", unit="model", file=sys.stderr,
               disable=not progress, leave=False)  # fmt: skip
    for name in chosen:
        bar.set_postfix_str(name)
        t0 = time.perf_counter()
        model = fitters[name](fit_X[:, cols], fit_y, seed, names)
        seconds[name] = round(time.perf_counter() - t0, 2)
        models[name] = model
        if val_set.people:
            validation[name] = float(precision_at(val_set, model.probability(val_set.X)).mean())
        bar.update(1)
    best = max(chosen, key=lambda n: validation.get(n, 0.0))
    if refit:
        bar.set_postfix_str(f"{best} on every person")
        # The learner is chosen on the held-out 20%; then refitted on every person, since on
        # the small graphs (ego-Facebook, LastFM) the 20% more rows are worth keeping: on
        # ego-Facebook (seed 7) all people gave learned - RA = +0.0040 ±0.0021 where 80% gave
        # +0.0016 ±0.0022.
        all_X, all_y = _thin(ts, max_rows, seed)
        t0 = time.perf_counter()
        models[best] = fitters[best](all_X[:, cols], all_y, seed, names)
        seconds[f"{best} (refit)"] = round(time.perf_counter() - t0, 2)
        bar.update(1)
    bar.close()
    import sklearn

    from graphmatch import __version__

    found = int(ts.y.sum())
    summary = {
        "source": source,
        "graphmatch": __version__,
        "scikit_learn": sklearn.__version__,
        "people": g.number_of_nodes(),
        "friendships": g.number_of_edges(),
        "holdout": holdout,
        "seed": seed,
        "trees": trees if best == "hist_gradient_boosting" else 0,
        "depth": depth if best == "hist_gradient_boosting" else 0,
        "people_sampled": ts.people,
        "validation_people": val_set.people,
        "rows": len(ts.y),
        "positives": found,
        "candidate_recall": round(found / max(int(ts.relevant.sum()), 1), 4),
        "validation_precision_at_10": {"cn_ra (stage 1)": round(baseline, 4)}
        | {n: round(v, 4) for n, v in validation.items()},
        "refit_on_every_person": refit,
        "fit_seconds": seconds,
        "features_seconds": round(built - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
    m = models[best]
    return Model(
        features=m.features, learner=m.learner, bias=m.bias, weights=m.weights, roots=m.roots,
        feature=m.feature, threshold=m.threshold, left=m.left, right=m.right, value=m.value,
        candidates=candidates, training=summary,
    )  # fmt: skip

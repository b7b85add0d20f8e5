"""The two-stage learned ranker: cheap candidates, then a learned model, in compiled code."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphmatch.errors import InvalidInput, PersonNotFound
from graphmatch.learn import _kernels
from graphmatch.learn.features import Rows, index_rows
from graphmatch.learn.model import Model
from graphmatch.rule import LEARNED

if TYPE_CHECKING:
    from graphmatch.matcher import Suggestion

__all__ = ["LEARNED", "LearnedRanker"]

_NONE = np.empty(0, dtype=np.int64)


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """Return value if it is an int within [low, high], else raise InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


class _Scratch:
    """One thread's graph-sized work arrays (handed back zeroed by every kernel call)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.c2 = np.zeros(n, np.int64)
        self.aa = np.zeros(n, np.float64)
        self.ra = np.zeros(n, np.float64)
        self.touched = np.zeros(n, np.int64)
        self.fmark = np.zeros(n, np.int64)
        self.mmark = np.zeros(n, np.int64)
        self.state = np.ones(2, np.int64)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Return the arrays in the kernels' argument order."""
        return (self.c2, self.aa, self.ra, self.touched, self.fmark, self.mmark, self.state)


class LearnedRanker:
    """Ranks introductions with a trained model, two stages, both in compiled code.

    Stage 1 keeps a person's ``model.candidates`` best distance-2 people by ``cn_ra`` (the
    default score, by the rule's order); stage 2 computes their pair features
    (:data:`~graphmatch.learn.features.FEATURES`) and scores them with the model's arrays.
    The results are ordered by the rule of :mod:`graphmatch.rule` over the model's
    probability (quantised desc, mutual count desc, id asc) and explained exactly as
    :meth:`graphmatch.Matcher.suggest` explains: up to ``explain`` mutual friends, fewest
    friends first, never one who opted out or is blocked either way with the person.

    Parameters
    ----------
    model : Model
        A trained model (:func:`graphmatch.learn.train` or :meth:`load`).

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> from graphmatch.learn import LearnedRanker, Model
    >>> model = Model(features=("log_common_neighbors",), learner="logistic_regression",
    ...               bias=0.0, weights=np.array([1.0]))
    >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b"), ("a", "x"), ("x", "b"),
    ...                                   ("x", "c")]))
    >>> [(s.person, s.mutual_count, s.mutual) for s in LearnedRanker(model).suggest(store, "a")]
    [('b', 2, ['w', 'x']), ('c', 1, ['x'])]
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self._arrays = model.kernel_arrays()
        self._local = threading.local()

    @classmethod
    def load(cls, path: str | Path) -> LearnedRanker:
        """Return a ranker over the model file at path (see :meth:`Model.load`).

        Raises
        ------
        InvalidInput
            If the file is not a valid model.
        OSError
            If it cannot be read.
        """
        return cls(Model.load(path))

    def _scratch(self, n: int) -> _Scratch:
        """Return this thread's scratch for a graph of n positions."""
        s: _Scratch | None = getattr(self._local, "s", None)
        if s is None or s.n < n:
            # A little headroom, so a growing live index does not reallocate on every write.
            s = _Scratch(n + n // 8 + 16)
            self._local.s = s
        return s

    @staticmethod
    def _resolve(source: Any, person_id: str) -> tuple[Any, set[str]]:
        """Return a store's (or an index's) compiled index and the blocks of person_id."""
        from graphmatch.stores.protocol import HasIndex

        if isinstance(source, HasIndex):
            index = source.fresh_index() or source.build_index()
            blocked: set[str] = set(getattr(source, "blocked_with")(person_id))  # noqa: B009
        else:
            index, blocked = source, set()
        return index, blocked

    def suggest(
        self,
        source: Any,
        person_id: str,
        limit: int = 10,
        *,
        explain: int = 3,
        skip: Iterable[str] = (),
    ) -> list[Suggestion]:
        """Return the people person_id may know, best first by the learned model.

        Parameters
        ----------
        source : MemoryStore or CSRIndex
            A store with a compiled index (the :class:`~graphmatch.HasIndex` capability:
            blocks are read from the store) or an index itself (no blocks).
        person_id : str
            Who the suggestions are for.
        limit : int, default 10
            How many, 1 to 1000.
        explain : int, default 3
            How many mutual friends to name per suggestion, 0 to 100.
        skip : iterable of str, optional
            People never to suggest (person_id's dismissals): left out before stage 1's
            cut, as ``graphmatch batch`` leaves them out. One who is a friend is named as a
            mutual friend as before; unknown ids are ignored.

        Returns
        -------
        list of Suggestion
            ``score`` is the model's probability; ``mutual_count`` and ``mutual`` as from
            :meth:`graphmatch.Matcher.suggest`.

        Raises
        ------
        PersonNotFound
            If person_id is unknown.
        InvalidInput
            For an out-of-range limit or explain, or a source without a compiled index.
        """
        from graphmatch.matcher import Suggestion

        limit = _check_int("limit", limit, 1, 1000)
        explain = _check_int("explain", explain, 0, 100)
        index, blocked = self._resolve(source, person_id)
        with reading(index):
            rows = _known(index_rows(index), person_id)
            pos = rows.pos
            extra = _NONE
            u = pos[person_id]
            out = {pos[p] for p in blocked if p in pos}
            if skip:
                # A dismissed friend is not a candidate anyway, and stays nameable.
                row = rows.indices[rows.start[u] : rows.start[u] + rows.deg[u]]
                for p in skip:
                    x = pos.get(p)
                    if x is not None:
                        i = int(np.searchsorted(row, x))
                        if i == row.shape[0] or row[i] != x:
                            out.add(x)
            if out:
                extra = np.array(sorted(out), dtype=np.int64)
            found, scores = _kernels.suggest(
                rows.start, rows.deg, rows.indices, rows.rank, rows.banned, rows.hidden, extra,
                u, self.model.candidates, self.model.needs_clustering, limit,
                explain, *self._arrays, *self._scratch(rows.n).arrays(),
            )  # fmt: skip
            ids = rows.ids
        return [
            Suggestion(ids[r[0]], s, r[1], [ids[w] for w in r[2:] if w >= 0])
            for r, s in zip(found.tolist(), scores.tolist(), strict=True)
        ]

    def pair_scores(self, source: Any, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
        """Return the model's probability for each pair of ids (any pair, not only candidates).

        Raises
        ------
        PersonNotFound
            For an unknown id.
        """
        batch = list(pairs)
        if not batch:
            return np.zeros(0)
        index, _ = self._resolve(source, batch[0][0])
        with reading(index):
            rows = index_rows(index)
            try:
                flat = np.array([rows.pos[p] for pair in batch for p in pair], dtype=np.int64)
            except (KeyError, TypeError) as exc:
                raise PersonNotFound(exc.args[0]) from None
            X = _kernels.pair_features(rows.start, rows.deg, rows.indices, flat[0::2], flat[1::2])
        return self.model.probability(X)


def candidate_features(source: Any, person_id: str, n_cand: int = 200) -> tuple[
    list[str], np.ndarray
]:  # fmt: skip
    """Return person_id's stage-1 candidates (best first by cn_ra) and their features.

    Parameters
    ----------
    source : MemoryStore or CSRIndex
        As for :meth:`LearnedRanker.suggest` (blocks are not applied here).
    person_id : str
        The person.
    n_cand : int, default 200
        How many candidates.

    Returns
    -------
    ids : list of str
    X : numpy.ndarray
        ``(len(ids), len(FEATURES))``.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> from graphmatch.learn.features import FEATURES
    >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]))
    >>> ids, X = candidate_features(store, "a")
    >>> ids, float(X[0, FEATURES.index("jaccard")])
    (['b'], 1.0)
    """
    n_cand = _check_int("n_cand", n_cand, 1, 10**9)
    index, _ = LearnedRanker._resolve(source, person_id)
    with reading(index):
        rows = _known(index_rows(index), person_id)
        s = _Scratch(rows.n)
        cands, _, X = _kernels.candidates(
            rows.start, rows.deg, rows.indices, rows.rank, rows.banned, _NONE,
            rows.pos[person_id], n_cand, True, *s.arrays(),
        )  # fmt: skip
        ids = [rows.ids[c] for c in cands.tolist()]
    return ids, X


def reading(index: Any) -> AbstractContextManager[Any]:
    """Return a context in which index's arrays hold still (a live index's write lock)."""
    # The learned kernels are not hardened against a torn read the way the index's own are
    # (graphmatch.index.live), so they read a live index under its lock: writers wait for
    # one learned suggest (about 0.1 ms at 1M people, bench_learned.py), not other readers.
    lock = getattr(index, "lock", None)
    return lock if lock is not None and hasattr(index, "read") else nullcontext()


def _known(rows: Rows, person_id: str) -> Rows:
    """Return rows, or raise PersonNotFound if person_id has no position in them."""
    if not isinstance(person_id, str) or person_id not in rows.pos:
        raise PersonNotFound(person_id)
    return rows

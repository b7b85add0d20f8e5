"""A read-optimised CSR snapshot of a networkx graph, answered by compiled kernels."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from itertools import chain, repeat
from typing import Any

import numpy as np

from graphmatch._validation import check_pair_shapes
from graphmatch.errors import InvalidInput, PersonNotFound
from graphmatch.index import kernels

__all__ = ["CSRIndex", "check_positions"]

_NONE = np.empty(0, dtype=np.int64)


def check_positions(a: Any, b: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return two position arrays as contiguous int64, or raise InvalidInput.

    Parameters
    ----------
    a, b : array-like of int
        Positions, pairwise.
    n : int
        How many positions there are.

    Returns
    -------
    tuple of numpy.ndarray

    Raises
    ------
    InvalidInput
        If the arrays differ in length, are not integers or hold a position out of range.

    Examples
    --------
    >>> [x.tolist() for x in check_positions([0, 1], [1, 0], 2)]
    [[0, 1], [1, 0]]
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise InvalidInput("positions must be two 1-d arrays of equal length")
    if a.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if a.dtype.kind not in "iu" or b.dtype.kind not in "iu":
        raise InvalidInput("positions must be integers")
    if min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n:
        raise InvalidInput(f"positions must be from 0 to {n - 1}")
    return np.ascontiguousarray(a, dtype=np.int64), np.ascontiguousarray(b, dtype=np.int64)


class CSRIndex:
    """An immutable CSR snapshot of an adjacency, positions in sorted-id order.

    Positions follow string order of the ids, so ``rank`` (each position's place in id
    order, the kernels' tie-break) is ``arange(n)``. The snapshot remembers the store version
    it was built from. It never changes, so any read of its arrays is consistent; the live
    :class:`~graphmatch.index.live.LiveIndex` hands out the same names (``rows()``, ``ids``,
    ``pos``, ``banned``, ``hidden``, ``rank``) and says how to read it while it changes.

    Parameters
    ----------
    adj : mapping of str to mapping
        The networkx adjacency (``G._adj``).
    version : int
        The store's write version at the moment the build started.
    undiscoverable : iterable of str
        People who opted out of discovery.
    hidden_as_mutual : iterable of str
        People who opted out of being named as a mutual friend.
    """

    def __init__(
        self,
        adj: Mapping[str, Mapping[str, Any]],
        version: int,
        undiscoverable: Iterable[str] = (),
        hidden_as_mutual: Iterable[str] = (),
    ) -> None:
        self.version = version
        self.ids: list[str] = sorted(adj)
        self.pos: dict[str, int] = {p: i for i, p in enumerate(self.ids)}
        n = len(self.ids)
        deg = np.fromiter((len(adj[p]) for p in self.ids), dtype=np.int64, count=n)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(deg, out=self.indptr[1:])
        pos = self.pos
        # One flat comprehension is the fastest pure-Python walk; it is most of the build.
        flat = [pos[x] for p in self.ids for x in adj[p]]
        self.indices = np.array(flat, dtype=np.int32 if n < 2**31 else np.int64)
        if len(self.indices) != self.indptr[-1]:
            raise RuntimeError("the graph changed while the index was built")
        kernels.sort_rows(self.indptr, self.indices)
        self.banned = self._mask(undiscoverable)
        self.hidden = self._mask(hidden_as_mutual)
        self._finish()

    def _finish(self) -> None:
        """Derive the row views and the rank from indptr, and set up per-thread scratch."""
        n = len(self.ids)
        #: Where each row starts and how long it is (start is a view of indptr).
        self.start: np.ndarray = self.indptr[:-1]
        self.deg: np.ndarray = np.diff(self.indptr)
        #: Each position's place in id order: positions are in id order here.
        self.rank: np.ndarray = np.arange(n, dtype=np.int64)
        self._local = threading.local()

    @classmethod
    def from_arrays(
        cls,
        ids: list[str],
        indptr: np.ndarray,
        indices: np.ndarray,
        banned: np.ndarray,
        hidden: np.ndarray,
        version: int,
    ) -> CSRIndex:
        """Return an index over arrays already built (ids sorted, rows sorted); no checks."""
        self = cls.__new__(cls)
        self.version = version
        self.ids = ids
        self.pos = {p: i for i, p in enumerate(ids)}
        self.indptr, self.indices, self.banned, self.hidden = indptr, indices, banned, hidden
        self._finish()
        return self

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(start, deg, indices)``: the friends of p are ``indices[start[p]:][:deg[p]]``.

        Each row is sorted ascending. The same shape as
        :meth:`graphmatch.index.live.LiveIndex.rows`, so a kernel written against it serves
        both; these arrays never change.

        Returns
        -------
        tuple of numpy.ndarray
            int64 ``start`` and ``deg`` (one per position), ``indices`` (int32 below 2**31
            people).

        Examples
        --------
        >>> import networkx as nx
        >>> ix = CSRIndex(nx.Graph([("a", "b"), ("b", "c")])._adj, 0)
        >>> start, deg, indices = ix.rows()
        >>> indices[start[1] : start[1] + deg[1]].tolist(), ix.rank.tolist()
        ([0, 2], [0, 1, 2])
        """
        return self.start, self.deg, self.indices

    def freeze(self) -> CSRIndex:
        """Return this index: it is a frozen snapshot already."""
        return self

    def _mask(self, person_ids: Iterable[str]) -> np.ndarray:
        """Return a boolean array marking the given people."""
        mask = np.zeros(len(self.ids), dtype=np.bool_)
        for p in person_ids:
            i = self.pos.get(p)
            if i is not None:
                mask[i] = True
        return mask

    @property
    def nbytes(self) -> int:
        """Return the bytes held by the arrays (not the id list and map)."""
        arrays = (self.indptr, self.indices, self.banned, self.hidden, self.deg, self.rank)
        return int(sum(a.nbytes for a in arrays))

    def _scratch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return this thread's zeroed scratch arrays."""
        s: tuple[np.ndarray, np.ndarray, np.ndarray] | None = getattr(self._local, "s", None)
        if s is None:
            n = len(self.ids)
            s = (np.zeros(n, np.int64), np.zeros(n, np.float64), np.zeros(n, np.int64))
            self._local.s = s
        return s

    def top(
        self,
        person_id: str,
        score: str,
        limit: int,
        cap: int | None,
        blocked: Iterable[str],
        explain: int,
    ) -> list[tuple[str, float, int, list[str]]] | None:
        """Return the best candidates as ``(id, score, count, named mutual friends)``.

        ``blocked`` (everyone blocked either way with person_id) is never suggested and
        never named as a mutual friend, though still counted in the count and the score.
        None for a score the kernels do not know.
        """
        code = kernels.SCORE_CODES.get(score)
        if code is None:
            return None
        pos = self.pos
        extra = _NONE
        if blocked:
            extra = np.array([pos[p] for p in blocked if p in pos], dtype=np.int64)
        kcap = 2**62 if cap is None else cap
        cnt, wsum, touched = self._scratch()
        rows, scores = kernels.suggest(
            self.start, self.deg, self.indices, kernels.ORDERED, self.banned, self.hidden, extra,
            pos[person_id], kcap, code, limit, explain, cnt, wsum, touched,
        )  # fmt: skip
        ids = self.ids
        return [
            (ids[r[0]], s, r[1], [ids[w] for w in r[2:] if w >= 0])
            for r, s in zip(rows.tolist(), scores.tolist(), strict=True)
        ]

    def positions(self, person_ids: Iterable[str]) -> np.ndarray:
        """Return the positions of the given people in this snapshot.

        Positions are what :meth:`mutual_counts_at` takes; they belong to this snapshot
        (a write makes the store build another, where they may differ).

        Parameters
        ----------
        person_ids : iterable of str
            Known ids.

        Returns
        -------
        numpy.ndarray of int64

        Raises
        ------
        PersonNotFound
            For the first unknown id.

        Examples
        --------
        >>> import networkx as nx
        >>> ix = CSRIndex(nx.Graph([("a", "b"), ("b", "c")])._adj, 0)
        >>> ix.positions(["c", "a"]).tolist()
        [2, 0]
        """
        wanted = person_ids if isinstance(person_ids, list) else list(person_ids)
        # One dict probe per id (get with a default): at a million people the probes, not
        # the counting, are most of a batch.
        lookup = map(self.pos.get, wanted, repeat(-1))
        try:
            flat = np.fromiter(lookup, dtype=np.int64, count=len(wanted))
        except TypeError:  # an unhashable "id"
            raise PersonNotFound(next(p for p in wanted if not isinstance(p, str))) from None
        if flat.size and flat.min() < 0:
            raise PersonNotFound(wanted[int(np.argmin(flat))])
        return flat

    def mutual_counts_at(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return the number of friends in common of each pair of positions (a[i], b[i]).

        The batch kernel (on every core from 8,192 pairs), with no id lookups: the fast path
        for callers who keep positions (see :meth:`positions`).

        Parameters
        ----------
        a, b : numpy.ndarray of int
            Positions in this snapshot, of equal length.

        Returns
        -------
        numpy.ndarray of int64

        Raises
        ------
        InvalidInput
            If the arrays differ in length, are not integers or hold a position out of range.

        Examples
        --------
        >>> import networkx as nx, numpy as np
        >>> ix = CSRIndex(nx.Graph([("a", "b"), ("b", "c")])._adj, 0)
        >>> ix.mutual_counts_at(np.array([0, 0]), np.array([2, 1])).tolist()
        [1, 0]
        """
        a, b = check_positions(a, b, len(self.ids))
        if a.size < 2 * kernels.PAIR_CHUNK:
            return kernels.mutual_counts(self.start, self.deg, self.indices, a, b)
        with kernels.PARALLEL:
            return kernels.mutual_counts_parallel(self.start, self.deg, self.indices, a, b)

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
        """Return the number of friends in common for each pair of ids.

        Raises
        ------
        PersonNotFound
            For the first unknown id.
        InvalidInput
            If a pair does not hold two ids.
        """
        batch = pairs if isinstance(pairs, list) else list(pairs)
        check_pair_shapes(batch)
        flat = self.positions(list(chain.from_iterable(batch)))
        return self.mutual_counts_at(flat[0::2], flat[1::2])

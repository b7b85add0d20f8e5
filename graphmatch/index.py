"""A read-optimised CSR snapshot of a networkx graph, answered by compiled kernels."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import numpy as np

from . import kernels

__all__ = ["CSRIndex"]


class CSRIndex:
    """An immutable CSR snapshot of an adjacency, positions in sorted-id order.

    Positions follow string order of the ids, so the kernels' "position ascending" tie-break
    is the matcher's "id ascending". The snapshot remembers the store version it was built
    from; the store uses it only while no write has happened since.

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
        self._local = threading.local()

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
        return int(sum(a.nbytes for a in (self.indptr, self.indices, self.banned, self.hidden)))

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

        None for a score the kernels do not know.
        """
        code = kernels.SCORE_CODES.get(score)
        if code is None:
            return None
        pos = self.pos
        extra = np.array([pos[p] for p in blocked if p in pos], dtype=np.int64)
        u = pos[person_id]
        kcap = 2**62 if cap is None else cap
        cnt, wsum, touched = self._scratch()
        found, counts, scores = kernels.top_candidates(
            self.indptr, self.indices, self.banned, extra, u, kcap, code, limit, cnt, wsum, touched
        )
        named = kernels.explain(self.indptr, self.indices, self.hidden, u, found, kcap, explain)
        ids = self.ids
        return [
            (ids[v], s, c, [ids[w] for w in row if w >= 0][:explain])
            for v, c, s, row in zip(
                found.tolist(), counts.tolist(), scores.tolist(), named.tolist(), strict=True
            )
        ]

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
        """Return the number of friends in common for each pair of known ids."""
        lookup = self.pos.__getitem__
        flat = np.fromiter(map(lookup, chain.from_iterable(pairs)), dtype=np.int64)
        return kernels.mutual_counts(self.indptr, self.indices, flat[0::2], flat[1::2])

"""The pair features the learned ranker sees, and the rows every learned kernel reads.

For people u, v with friend sets N(u), N(v), degrees d and mutual friends M = N(u) ∩ N(v):

=======================  ==================================================================
feature                  value
=======================  ==================================================================
log_common_neighbors     ln(1 + |M|)
adamic_adar              Σ_{w∈M} 1 / ln d(w)
resource_allocation      Σ_{w∈M} 1 / d(w)
jaccard                  |M| / (d(u) + d(v) - |M|)
log_degree_u             ln(1 + d(u))
log_degree_v             ln(1 + d(v))
share_of_u_friends       |M| / d(u): the share of u's friends who know v
share_of_v_friends       |M| / d(v): the share of v's friends who know u
log_paths3               ln(1 + P3), P3 = Σ_{a∈N(u)} |N(a) ∩ N(v)|: 3-step paths u-a-b-v
paths3_density           P3 / (d(u) · d(v))
mutual_embedding         Σ_{w∈M} |N(w) ∩ N(u)| / |M|: how many of u's friends each mutual
                         friend knows, on average
mutual_clustering        friendships among M / C(|M|, 2): how tightly the mutual friends
                         know each other
=======================  ==================================================================

Zero where a denominator is zero. Each is computed in compiled code
(:mod:`graphmatch.learn._kernels`) from one two-hop walk of u; ``tests/learn`` checks every one
against networkx.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from graphmatch.errors import InvalidInput

__all__ = ["FEATURES", "Rows", "index_rows"]

#: Every feature the kernels compute, in column order.
FEATURES: Final = (
    "log_common_neighbors",
    "adamic_adar",
    "resource_allocation",
    "jaccard",
    "log_degree_u",
    "log_degree_v",
    "share_of_u_friends",
    "share_of_v_friends",
    "log_paths3",
    "paths3_density",
    "mutual_embedding",
    "mutual_clustering",
)


@dataclass(frozen=True)
class Rows:
    """An index as the learned kernels read it: rows, tie-break ranks, masks and ids.

    The friends of position p are ``indices[start[p] : start[p] + deg[p]]``, sorted
    ascending; ``rank[p]`` is p's rank in id order; ``banned`` marks people never suggested
    and ``hidden`` people never named as a mutual friend; ``ids[p]`` is p's id and ``pos``
    maps ids back.
    """

    start: np.ndarray
    deg: np.ndarray
    indices: np.ndarray
    rank: np.ndarray
    banned: np.ndarray
    hidden: np.ndarray
    ids: list[str]
    pos: dict[str, int]

    @property
    def n(self) -> int:
        """Return the number of positions."""
        return int(self.start.shape[0])


_CACHE: weakref.WeakKeyDictionary[Any, Rows] = weakref.WeakKeyDictionary()


def index_rows(index: Any) -> Rows:
    """Return the rows of a compiled index, derived once per index object.

    Both index kinds (the frozen :class:`~graphmatch.index.csr.CSRIndex` and the store's
    :class:`~graphmatch.index.live.LiveIndex`) hand out ``rows()``, ``rank`` and the masks.
    A live index's arrays change with every write, so they are taken afresh each call and
    must be read under its lock (see :func:`graphmatch.learn.ranker.reading`). This is the
    one place that knows the index's layout.

    Parameters
    ----------
    index : CSRIndex
        A built index (``store.fresh_index()`` or ``store.build_index()``).

    Returns
    -------
    Rows

    Raises
    ------
    InvalidInput
        If index is not a compiled index.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> ix = gm.MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="off").build_index()
    >>> r = index_rows(ix)
    >>> r.deg[:3].tolist(), r.indices[r.start[1] : r.start[1] + r.deg[1]].tolist()  # + spare slots
    ([1, 2, 1], [0, 2])
    """
    if not all(hasattr(index, a) for a in ("rows", "rank", "pos", "banned", "hidden")):
        raise InvalidInput("the learned ranker needs a compiled index (store.build_index())")
    live = hasattr(index, "read")  # a LiveIndex: its arrays change with every write
    rows = None if live else _CACHE.get(index)
    if rows is not None:
        return rows
    start, deg, indices = index.rows()
    rows = Rows(
        start=start,
        deg=deg,
        indices=indices,
        rank=index.rank,
        banned=index.banned,
        hidden=index.hidden,
        ids=index.ids,
        pos=index.pos,
    )
    if not live:
        _CACHE[index] = rows
    return rows

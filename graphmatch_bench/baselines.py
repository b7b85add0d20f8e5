"""The implementations graphmatch is measured against: networkx, scipy, igraph, NetworKit.

networkx comes with graphmatch; the others are the ``[bench]`` extra, and :func:`load`
returns None for one that is not installed, so the run skips it with a note.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from importlib import import_module
from importlib.util import find_spec
from itertools import chain
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "BASELINES",
    "MISSING_NOTE",
    "igraph_aa_top10",
    "igraph_counter_top10",
    "installed",
    "load",
    "networkit_top10",
    "nx_aa_top10",
    "nx_counter_top10",
    "scipy_block_topk",
    "scipy_top10",
]

#: Baseline name -> the module it needs.
BASELINES = {
    "networkx": "networkx",
    "scipy": "scipy.sparse",
    "igraph": "igraph",
    "networkit": "networkit",
}
#: The table's note on a baseline that is not installed.
MISSING_NOTE = "not installed: skipped (pip install 'graphmatch[bench]')"


def installed() -> list[str]:
    """Return the baselines whose library is installed, in :data:`BASELINES` order.

    Looks the packages up without importing them (cheap: for ``--help`` and argument checks).

    Returns
    -------
    list of str

    Examples
    --------
    >>> "networkx" in installed()
    True
    """
    return [name for name, module in BASELINES.items() if _findable(module.split(".")[0])]


def _findable(module: str) -> bool:
    """Return whether a top-level module can be imported, without importing it."""
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as missing
        return False


def load(name: str) -> ModuleType | None:
    """Import a baseline's library, or return None when it is not installed.

    Parameters
    ----------
    name : str
        A key of :data:`BASELINES`.

    Returns
    -------
    module or None
        ``networkx``, ``scipy.sparse``, ``igraph`` or ``networkit``.

    Raises
    ------
    KeyError
        For a name not in :data:`BASELINES`.

    Examples
    --------
    >>> load("networkx").__name__
    'networkx'
    """
    try:
        return import_module(BASELINES[name])
    except ImportError:
        return None


def nx_counter_top10(G: nx.Graph, u: str) -> list[tuple[str, int]]:
    """Return the top 10 friends-of-friends by mutual count, the plain-Python way.

    Parameters
    ----------
    G : networkx.Graph
        The graph.
    u : str
        The person.

    Returns
    -------
    list of (str, int)
        ``(candidate, mutual count)``, most mutual friends first.

    Examples
    --------
    >>> nx_counter_top10(nx.Graph([("a", "w"), ("w", "b")]), "a")
    [('b', 1)]
    """
    c = Counter(chain.from_iterable(G[w] for w in G[u]))
    c.pop(u, None)
    for w in G[u]:
        c.pop(w, None)
    return heapq.nlargest(10, c.items(), key=lambda kv: kv[1])


def nx_aa_top10(G: nx.Graph, u: str) -> list[tuple[str, str, float]]:
    """Return the top 10 by ``nx.adamic_adar_index`` over the distance-2 candidates.

    Parameters
    ----------
    G : networkx.Graph
        The graph.
    u : str
        The person.

    Returns
    -------
    list of (str, str, float)
        ``(u, candidate, score)``, best first.

    Examples
    --------
    >>> [v for _, v, _ in nx_aa_top10(nx.Graph([("a", "w"), ("w", "b")]), "a")]
    ['b']
    """
    near = set(G[u])
    cands = {v for w in near for v in G[w]} - near - {u}
    return heapq.nlargest(10, nx.adamic_adar_index(G, [(u, v) for v in cands]), key=lambda t: t[2])


def _topk_row(vals: np.ndarray, cols: np.ndarray, k: int) -> np.ndarray:
    """Return the k best columns of one sparse row: value desc, then column asc."""
    if vals.shape[0] > k:
        part = np.argpartition(-vals, k - 1)[:k]
        vals, cols = vals[part], cols[part]
    best: np.ndarray = np.asarray(cols)[np.lexsort((cols, -vals))]
    return best


def scipy_top10(A: Any, W: Any, u: int) -> np.ndarray:
    """Return the top 10 by a sparse row product: ``A[u] @ W`` less u and u's friends.

    Parameters
    ----------
    A : scipy.sparse.csr_matrix
        The 0/1 adjacency.
    W : scipy.sparse.csr_matrix
        ``A`` for common neighbours, ``diag(1/ln d) @ A`` for Adamic-Adar.
    u : int
        The person's row.

    Returns
    -------
    numpy.ndarray
        Candidate rows, best first.

    Examples
    --------
    >>> import scipy.sparse as sp  # doctest: +SKIP
    >>> A = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))  # doctest: +SKIP
    >>> scipy_top10(A, A, 0).tolist()  # doctest: +SKIP
    [2]
    """
    row = (A[[u]] @ W).tocsr()
    friends = A.indices[A.indptr[u] : A.indptr[u + 1]]
    keep = ~np.isin(row.indices, friends) & (row.indices != u)
    return _topk_row(row.data[keep], row.indices[keep], 10)


def scipy_block_topk(A: Any, rows: np.ndarray, k: int) -> list[np.ndarray]:
    """Return the top k by common neighbours for a block of rows: ``A[rows] @ A`` + top-k.

    Parameters
    ----------
    A : scipy.sparse.csr_matrix
        The 0/1 adjacency.
    rows : numpy.ndarray
        The block's rows.
    k : int
        Suggestions per row.

    Returns
    -------
    list of numpy.ndarray
        Per row, candidate rows best first.

    Examples
    --------
    >>> import scipy.sparse as sp  # doctest: +SKIP
    >>> A = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))  # doctest: +SKIP
    >>> [r.tolist() for r in scipy_block_topk(A, np.arange(3), 10)]  # doctest: +SKIP
    [[2], [], [0]]
    """
    import scipy.sparse as sp

    F = A[rows]
    C = (F @ A).tocsr()
    me = sp.csr_matrix((np.ones(len(rows)), (np.arange(len(rows)), rows)), shape=C.shape)
    C = (C - C.multiply(F) - C.multiply(me)).tocsr()
    C.eliminate_zeros()
    out = []
    for i in range(len(rows)):
        p, q = C.indptr[i], C.indptr[i + 1]
        out.append(_topk_row(C.data[p:q], C.indices[p:q], k))
    return out


def igraph_counter_top10(adj: Sequence[Sequence[int]], u: int) -> list[tuple[int, int]]:
    """Return the top 10 by mutual count over an igraph adjacency list (``g.get_adjlist()``).

    Parameters
    ----------
    adj : sequence of sequence of int
        Neighbours per vertex.
    u : int
        The person's vertex.

    Returns
    -------
    list of (int, int)
        ``(candidate, mutual count)``, most mutual friends first.

    Examples
    --------
    >>> igraph_counter_top10([[1], [0, 2], [1]], 0)
    [(2, 1)]
    """
    c = Counter(chain.from_iterable(adj[w] for w in adj[u]))
    c.pop(u, None)
    for w in adj[u]:
        c.pop(w, None)
    return heapq.nlargest(10, c.items(), key=lambda kv: kv[1])


def igraph_aa_top10(g: Any, adj: Sequence[Sequence[int]], u: int) -> list[int]:
    """Return the top 10 by igraph's ``similarity_inverse_log_weighted`` (Adamic-Adar) row.

    Parameters
    ----------
    g : igraph.Graph
        The graph.
    adj : sequence of sequence of int
        ``g.get_adjlist()``.
    u : int
        The person's vertex.

    Returns
    -------
    list of int
        Candidate vertices, best first.

    Examples
    --------
    >>> import igraph  # doctest: +SKIP
    >>> g = igraph.Graph(n=3, edges=[(0, 1), (1, 2)])  # doctest: +SKIP
    >>> igraph_aa_top10(g, g.get_adjlist(), 0)  # doctest: +SKIP
    [2]
    """
    row = np.asarray(g.similarity_inverse_log_weighted(vertices=[u])[0])
    row[u] = 0.0
    row[list(adj[u])] = 0.0
    nz = np.flatnonzero(row)
    best: list[int] = _topk_row(row[nz], nz, 10).tolist()
    return best


def networkit_top10(index: Any, G: Any, u: int) -> list[tuple[tuple[int, int], float]]:
    """Return the top 10 by a NetworKit link-prediction index over the distance-2 candidates.

    Parameters
    ----------
    index : networkit.linkprediction.LinkPredictor
        E.g. ``CommonNeighborsIndex(G)`` or ``AdamicAdarIndex(G)``.
    G : networkit.Graph
        The graph.
    u : int
        The person's node.

    Returns
    -------
    list of ((int, int), float)
        ``((u, candidate), score)``, best first.

    Examples
    --------
    >>> import networkit as nk  # doctest: +SKIP
    >>> G = nk.Graph(3); G.addEdge(0, 1); G.addEdge(1, 2)  # doctest: +SKIP
    >>> networkit_top10(nk.linkprediction.CommonNeighborsIndex(G), G, 0)  # doctest: +SKIP
    [((0, 2), 1.0)]
    """
    near = set(G.iterNeighbors(u))
    cands = {v for w in near for v in G.iterNeighbors(w)} - near - {u}
    scored = index.runOn([(u, v) for v in cands])
    return heapq.nlargest(10, scored, key=lambda t: t[1])

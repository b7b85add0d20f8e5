"""The hold-out split: hide a seeded share of each person's friendships, isolating nobody."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import networkx as nx

from graphmatch.errors import InvalidInput
from graphmatch.stores.memory import MemoryStore

__all__ = ["HoldOut", "holdout_split"]


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

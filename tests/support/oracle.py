"""An independent oracle: networkx's own link-prediction functions, ranked by the DESIGN rule."""

from __future__ import annotations

import math

import networkx as nx

NX_FUNCS = {
    "jaccard": nx.jaccard_coefficient,
    "adamic_adar": nx.adamic_adar_index,
    "resource_allocation": nx.resource_allocation_index,
}


def quantise(score: float) -> int:
    """Return the score in units of 1e-10, as DESIGN's ranking rule compares them."""
    return math.floor(score * 1e10 + 0.5)


def distance_two(G: nx.Graph, u: str) -> set[str]:
    """Return the people at distance exactly 2 from u."""
    near = set(G[u])
    out: set[str] = set()
    for w in near:
        out.update(G[w])
    return out - near - {u}


def nx_top(G: nx.Graph, u: str, score: str, k: int) -> list[tuple[str, float, int]]:
    """Return the top k (id, score, mutual count) by networkx, score desc, count desc, id asc."""
    cands = sorted(distance_two(G, u))
    counts = {v: len(list(nx.common_neighbors(G, u, v))) for v in cands}
    if score == "common_neighbors":
        scored = [(v, float(counts[v])) for v in cands]
    elif score == "cn_ra":
        pairs = [(u, v) for v in cands]
        scored = [(v, counts[v] * s) for _, v, s in nx.resource_allocation_index(G, pairs)]
    else:
        scored = [(v, s) for _, v, s in NX_FUNCS[score](G, [(u, v) for v in cands])]
    scored.sort(key=lambda vs: (-quantise(vs[1]), -counts[vs[0]], vs[0]))
    return [(v, s, counts[v]) for v, s in scored[:k]]

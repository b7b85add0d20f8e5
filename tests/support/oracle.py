"""Independent oracles: networkx's own link-prediction functions, and a brute force written
from DESIGN's formulas, both ranked by the DESIGN rule (not by graphmatch.rule's code)."""

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


def brute_force_top(
    G: nx.Graph, u: str, score: str, k: int, cap: int | None = None
) -> list[tuple[str, float, int]]:
    """Return the top k (id, score, mutual count) from DESIGN's formulas, by brute force.

    Every v other than u and u's friends with at least one mutual friend w of degree <= cap
    is a candidate. Weighted scores add 1/ln d(w) or 1/d(w) one friend at a time in
    ascending degree order (DESIGN's canonical order); the Jaccard denominator uses the
    true degrees.
    """
    out = []
    for v in G:
        if v == u or G.has_edge(u, v):
            continue
        mutual = [w for w in G[u] if G.has_edge(w, v) and (cap is None or G.degree(w) <= cap)]
        if not mutual:
            continue
        degrees = sorted(G.degree(w) for w in mutual)
        aa = ra = 0.0
        for d in degrees:
            aa += 1.0 / math.log(d)
            ra += 1.0 / d
        c = len(mutual)
        value = {
            "common_neighbors": float(c),
            "jaccard": c / (G.degree(u) + G.degree(v) - c),
            "adamic_adar": aa,
            "resource_allocation": ra,
            "cn_ra": c * ra,
        }[score]
        out.append((v, value, c))
    out.sort(key=lambda t: (-quantise(t[1]), -t[2], t[0]))
    return out[:k]

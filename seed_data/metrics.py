"""``summary``: the numbers that show a generated network looks like a social one."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from seed_data.model import Network
from seed_data.structure import IntArray, canonical_keys, component_labels, csr

__all__ = ["EXACT_CLUSTERING_LIMIT", "local_clustering", "mutual_counts", "summary"]

#: Up to this many people, average clustering is computed exactly with networkx.
EXACT_CLUSTERING_LIMIT = 20_000


def local_clustering(indptr: IntArray, nbr: IntArray, nodes: IntArray) -> list[float]:
    """Local clustering coefficient of each node (0 for degree < 2, as networkx does).

    Parameters
    ----------
    indptr, nbr : ndarray
        CSR adjacency, neighbours sorted per row (see :func:`seed_data.structure.csr`).
    nodes : ndarray
        Positions to evaluate.

    Returns
    -------
    list of float
        One coefficient per node, in order.
    """
    mark = np.zeros(indptr.shape[0] - 1, dtype=bool)
    out: list[float] = []
    for v in nodes.tolist():
        friends = nbr[indptr[v] : indptr[v + 1]]
        d = friends.shape[0]
        if d < 2:
            out.append(0.0)
            continue
        mark[friends] = True
        # Each link between two friends is seen from both ends.
        links = sum(int(mark[nbr[indptr[f] : indptr[f + 1]]].sum()) for f in friends.tolist())
        mark[friends] = False
        out.append(links / (d * (d - 1)))
    return out


def mutual_counts(indptr: IntArray, nbr: IntArray, pairs: IntArray) -> IntArray:
    """Number of common neighbours of each (u, v) row of pairs."""
    mark = np.zeros(indptr.shape[0] - 1, dtype=bool)
    out = np.empty(pairs.shape[0], dtype=np.int64)
    for i, (u, v) in enumerate(pairs.tolist()):
        fu = nbr[indptr[u] : indptr[u + 1]]
        mark[fu] = True
        out[i] = int(mark[nbr[indptr[v] : indptr[v + 1]]].sum())
        mark[fu] = False
    return out


def _group_mutuals(indptr: IntArray, nbr: IntArray, group: IntArray) -> IntArray:
    """Common-neighbour counts for all pairs in group, as a (k, k) matrix.

    One vectorised pass per member over the concatenated friend lists of the whole group,
    instead of one Python call per pair (k = 400 gives 80,000 pairs).
    """
    k = group.shape[0]
    rows = [nbr[indptr[g] : indptr[g + 1]] for g in group.tolist()]
    flat = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    owner = np.repeat(np.arange(k), [r.shape[0] for r in rows])
    mark = np.zeros(indptr.shape[0] - 1, dtype=bool)
    out = np.zeros((k, k), dtype=np.int64)
    for i, friends in enumerate(rows):
        mark[friends] = True
        out[i] = np.bincount(owner[mark[flat]], minlength=k)
        mark[friends] = False
    return out


def summary(
    network: Network,
    *,
    random_pairs: int = 2000,
    clustering_sample: int = 2000,
    exact_clustering_limit: int = EXACT_CLUSTERING_LIMIT,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure a network: size, degrees, clustering, giant component, mutual friends.

    Average clustering is exact (networkx) up to ``exact_clustering_limit`` people; above that
    it is the mean over a seeded uniform sample of ``clustering_sample`` people, and
    ``average_clustering_estimated`` says so. Random pairs are a seeded sample of distinct
    non-friend pairs; event pairs are all pairs of attendees.

    Parameters
    ----------
    network : Network
        A generated (or loaded) network.
    random_pairs : int, default 2000
        Non-friend pairs sampled for ``mean_mutual_random_pairs``.
    clustering_sample : int, default 2000
        People sampled for clustering on large networks.
    exact_clustering_limit : int, default 20000
        Largest network measured exactly.
    seed : int, default 0
        Seed of the samples, so the summary itself is reproducible.

    Returns
    -------
    dict
        JSON-ready: ``people, friendships, mean_degree, median_degree, largest_degree,
        largest_over_mean, people_with_at_most_3_friends, average_clustering,
        average_clustering_estimated, clustering_sample, giant_component_share,
        mean_mutual_random_pairs, random_pairs, event_attendees, mean_mutual_event_pairs,
        event_stranger_pairs_25_plus, max_mutual_event_strangers``.

    Examples
    --------
    >>> from seed_data import generate
    >>> s = summary(generate(1000, 10, seed=1))
    >>> s["people"], s["average_clustering_estimated"]
    (1000, False)
    """
    n = network.n_people
    rng = np.random.default_rng(seed)
    keys = canonical_keys(
        network.edges[:, 0].astype(np.int64), network.edges[:, 1].astype(np.int64), n
    )
    indptr, nbr = csr(n, keys)
    deg = np.diff(indptr)

    if n <= exact_clustering_limit:
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(network.edges.tolist())
        clustering = float(nx.average_clustering(graph))
        estimated = False
        sample_size = n
    else:
        sample = np.sort(rng.choice(n, size=min(n, clustering_sample), replace=False))
        clustering = float(np.mean(local_clustering(indptr, nbr, sample)))
        estimated = True
        sample_size = int(sample.shape[0])

    labels = component_labels(n, keys)
    giant = int(np.bincount(labels, minlength=n).max()) / n

    # Random non-friend pairs: over-draw, drop self-pairs and friendships, keep the first k.
    u = rng.integers(0, n, size=4 * random_pairs + 16)
    v = rng.integers(0, n, size=u.shape[0])
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pos = np.minimum(np.searchsorted(keys, lo * n + hi), max(keys.shape[0] - 1, 0))
    is_friend = keys[pos] == lo * n + hi if keys.shape[0] else np.zeros(u.shape[0], bool)
    ok = (lo != hi) & ~is_friend
    pairs = np.stack((lo[ok], hi[ok]), axis=1)[:random_pairs]
    random_mutual = mutual_counts(indptr, nbr, pairs)

    index = network.index
    attendees = np.asarray(sorted(index[a] for a in network.event.attendees), dtype=np.int64)
    mutual = _group_mutuals(indptr, nbr, attendees)
    iu, ju = np.triu_indices(attendees.shape[0], k=1)
    event_mutual = mutual[iu, ju]
    a_lo = np.minimum(attendees[iu], attendees[ju])
    a_hi = np.maximum(attendees[iu], attendees[ju])
    friend_pos = np.minimum(np.searchsorted(keys, a_lo * n + a_hi), max(keys.shape[0] - 1, 0))
    strangers = keys[friend_pos] != a_lo * n + a_hi
    stranger_mutual = event_mutual[strangers]

    m = network.n_friendships
    mean_degree = 2 * m / n if n else 0.0
    return {
        "people": n,
        "friendships": m,
        "mean_degree": round(mean_degree, 3),
        "median_degree": float(np.median(deg)) if n else 0.0,
        "largest_degree": int(deg.max()) if n else 0,
        "largest_over_mean": round(float(deg.max()) / mean_degree, 2) if m else 0.0,
        "people_with_at_most_3_friends": int((deg <= 3).sum()),
        "average_clustering": round(clustering, 4),
        "average_clustering_estimated": estimated,
        "clustering_sample": sample_size,
        "giant_component_share": round(giant, 4),
        "mean_mutual_random_pairs": round(float(random_mutual.mean()), 4) if pairs.size else 0.0,
        "random_pairs": int(pairs.shape[0]),
        "event_attendees": int(attendees.shape[0]),
        "mean_mutual_event_pairs": round(float(event_mutual.mean()), 4) if iu.size else 0.0,
        "event_stranger_pairs_25_plus": int((stranger_mutual >= 25).sum()),
        "max_mutual_event_strangers": int(stranger_mutual.max()) if stranger_mutual.size else 0,
    }

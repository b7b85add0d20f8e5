"""The structural model: who is friends with whom, built with numpy only.

The recipe, and why each step is there:

1. **Activity weights.** Each person gets a lognormal weight, and a handful get a hub boost.
   Every edge endpoint is drawn proportionally to weight, so expected degree follows the
   weight: a heavy tail with a few hubs, and a low tail of people with very few ties.
2. **Overlapping communities.** Everyone lives in one city (Zipf-sized), works at one workplace
   (small, heavy-tailed sizes) and went to one school (mostly in their city, some moved away),
   and lives in one neighbourhood. Most friendships are drawn inside these groups (a weighted
   Chung-Lu model per group); a few are city-wide or global, which ties cities together.
3. **Triadic closure.** A third of the edges close triangles: pick a person, pick two of their
   friends, introduce them. This is what gives real social graphs their clustering.
4. **One giant component.** Any stray component is linked to the giant one by a single edge
   to someone in the same city, so nobody is unreachable (but many have one or two ties).

Everything draws from one seeded ``numpy.random.Generator`` and every set-like step is an
integer sort, so the result never depends on hashing or dictionary order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Communities",
    "GroupSampler",
    "build_edges",
    "canonical_keys",
    "component_labels",
    "csr",
    "make_communities",
    "make_weights",
    "sorted_unique",
    "union",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Share of the non-closure edges drawn in each community layer (workplace, school,
# neighbourhood, city, global). Small dense groups first: they carry the clustering.
_LAYER_SHARES = (0.32, 0.24, 0.22, 0.14, 0.08)
# Share of all edges made by triadic closure.
_CLOSURE_SHARE = 0.36

MEAN_WORKPLACE = 25
MEAN_SCHOOL = 150
MEAN_HOOD = 120
PEOPLE_PER_CITY = 1000


@dataclass
class Communities:
    """Group memberships by person position (all int64 arrays of length n)."""

    city: IntArray
    workplace: IntArray
    school: IntArray
    hood: IntArray
    workplace_city: IntArray  # city of each workplace
    school_city: IntArray  # city of each school

    @property
    def n_cities(self) -> int:
        return int(self.city.max()) + 1


class GroupSampler:
    """Draw people inside a group with probability proportional to weight, vectorised.

    People are sorted by group once; a draw for group g is a uniform number in g's slice of the
    cumulative weight, located with ``searchsorted``. Groups with no weight yield -1.
    """

    def __init__(self, group: IntArray, weight: FloatArray, n_groups: int) -> None:
        self.order = np.argsort(group, kind="stable")
        cum = np.cumsum(weight[self.order])
        sorted_group = group[self.order]
        g = np.arange(n_groups)
        self.start = np.searchsorted(sorted_group, g, side="left")
        self.end = np.searchsorted(sorted_group, g, side="right")
        self.cum = cum
        before = np.concatenate(([0.0], cum))
        self.lo = before[self.start]
        self.hi = before[self.end]

    def sample(self, rng: np.random.Generator, groups: IntArray) -> IntArray:
        lo = self.lo[groups]
        span = self.hi[groups] - lo
        pos = np.searchsorted(self.cum, lo + rng.random(groups.shape[0]) * span, side="right")
        # Rounding at the top of a slice can step one past it; clamp back inside the group.
        pos = np.clip(pos, self.start[groups], np.maximum(self.end[groups] - 1, 0))
        out: IntArray = self.order[np.minimum(pos, self.order.shape[0] - 1)].astype(np.int64)
        out[span <= 0] = -1
        return out


def make_weights(rng: np.random.Generator, n: int) -> FloatArray:
    """Lognormal activity weights with a few explicit hubs (about 1 in 2,000 people)."""
    w = rng.lognormal(mean=0.0, sigma=0.9, size=n)
    n_hubs = max(1, n // 2000)
    hubs = rng.choice(n, size=n_hubs, replace=False)
    # Hubs get 20-50x the mean weight: enough for the largest degree to pass 5x the mean.
    w[hubs] = w.mean() * rng.uniform(20.0, 50.0, size=n_hubs)
    return w


def _split(rng: np.random.Generator, members: IntArray, mean_size: int, alpha: float) -> IntArray:
    """Assign members to ceil(len/mean_size) groups with Pareto(alpha)-shaped sizes."""
    size = int(members.shape[0])
    k = max(1, round(size / mean_size))
    if alpha <= 0:
        even: IntArray = rng.integers(0, k, size=size)
        return even
    size_w = rng.pareto(alpha, size=k) + 1.0
    skewed: IntArray = rng.choice(k, size=size, p=size_w / size_w.sum())
    return skewed


def make_communities(rng: np.random.Generator, n: int) -> Communities:
    """Cities, workplaces, schools and neighbourhoods, overlapping by construction."""
    n_cities = max(1, min(n // PEOPLE_PER_CITY, 500))
    city_p = 1.0 / np.arange(1, n_cities + 1) ** 0.9  # Zipf-like city sizes
    city = rng.choice(n_cities, size=n, p=city_p / city_p.sum()).astype(np.int64)
    # Relabel so that city 0 is the largest (the event city); ties broken by id.
    sizes = np.bincount(city, minlength=n_cities)
    rank = np.empty(n_cities, dtype=np.int64)
    rank[np.lexsort((np.arange(n_cities), -sizes))] = np.arange(n_cities)
    city = rank[city]

    workplace = np.empty(n, dtype=np.int64)
    hood = np.empty(n, dtype=np.int64)
    home_school = np.empty(n, dtype=np.int64)
    workplace_city: list[int] = []
    school_city: list[int] = []
    w_off = h_off = s_off = 0
    order = np.argsort(city, kind="stable")
    bounds = np.searchsorted(city[order], np.arange(n_cities + 1))
    for c in range(n_cities):
        members = order[bounds[c] : bounds[c + 1]]
        if members.shape[0] == 0:
            continue
        wp = _split(rng, members, MEAN_WORKPLACE, alpha=1.3)
        workplace[members] = w_off + wp
        k = max(1, round(members.shape[0] / MEAN_WORKPLACE))
        workplace_city += [c] * k
        w_off += k
        ho = _split(rng, members, MEAN_HOOD, alpha=0.0)
        hood[members] = h_off + ho
        h_off += max(1, round(members.shape[0] / MEAN_HOOD))
        sc = _split(rng, members, MEAN_SCHOOL, alpha=2.0)
        home_school[members] = s_off + sc
        k = max(1, round(members.shape[0] / MEAN_SCHOOL))
        school_city += [c] * k
        s_off += k
    # One in five went to school somewhere else: ties between cities, like real life.
    moved = rng.random(n) < 0.2
    school = home_school.copy()
    school[moved] = rng.integers(0, s_off, size=int(moved.sum()))
    return Communities(
        city=city,
        workplace=workplace,
        school=school,
        hood=hood,
        workplace_city=np.asarray(workplace_city, dtype=np.int64),
        school_city=np.asarray(school_city, dtype=np.int64),
    )


def sorted_unique(x: IntArray) -> IntArray:
    """Sorted distinct values. ``np.unique`` in numpy 2.3+ hashes first, ~10x slower here."""
    x = np.sort(x)
    if x.shape[0] == 0:
        return x
    keep = np.empty(x.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def union(x: IntArray, y: IntArray) -> IntArray:
    """Sorted distinct values of both arrays."""
    return sorted_unique(np.concatenate((x, y)))


def canonical_keys(a: IntArray, b: IntArray, n: int) -> IntArray:
    """Sorted unique ``min*n + max`` keys of the non-self-loop pairs (dedup by integer sort)."""
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    keep = lo != hi
    keep &= lo >= 0
    return sorted_unique(lo[keep] * n + hi[keep])


def csr(n: int, keys: IntArray) -> tuple[IntArray, IntArray]:
    """Symmetric adjacency (indptr, neighbours) from edge keys; neighbours sorted per row."""
    a = keys // n
    b = keys % n
    both = np.sort(np.concatenate((keys, b * n + a)))  # (src, dst) keys, one int sort
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(both // n, minlength=n), out=indptr[1:])
    return indptr, both % n


def component_labels(n: int, keys: IntArray) -> IntArray:
    """Label each node with the smallest node id of its connected component.

    Shiloach-Vishkin style: hook every root onto the smaller root across each edge, then
    pointer-jump until flat; repeat until nothing changes. A few vectorised passes even at 1M
    edges, and no scipy dependency.
    """
    a = keys // n
    b = keys % n
    parent = np.arange(n, dtype=np.int64)
    while True:
        pa = parent[a]
        pb = parent[b]
        diff = pa != pb
        if not diff.any():
            return parent
        lo = np.minimum(pa[diff], pb[diff])
        hi = np.maximum(pa[diff], pb[diff])
        np.minimum.at(parent, hi, lo)
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt


def _layer(
    rng: np.random.Generator,
    group: IntArray,
    n_groups: int,
    weight: FloatArray,
    first: GroupSampler,
    m: int,
) -> tuple[IntArray, IntArray]:
    """m weighted Chung-Lu draws: first endpoint anywhere, second in the same group."""
    a = first.sample(rng, np.zeros(m, dtype=np.int64))
    b = GroupSampler(group, weight, n_groups).sample(rng, group[a])
    return a, b


def _close_triads(
    rng: np.random.Generator, n: int, keys: IntArray, m: int
) -> tuple[IntArray, IntArray]:
    """m triadic-closure proposals: a uniform person introduces two of their friends.

    Picking the introducer uniformly (not by degree) spreads triangles over ordinary people,
    which is what the average clustering coefficient measures.
    """
    indptr, nbr = csr(n, keys)
    deg = np.diff(indptr)
    cand = np.flatnonzero(deg >= 2)
    if cand.shape[0] == 0 or m <= 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    v = cand[rng.integers(0, cand.shape[0], size=m)]
    d = deg[v]
    i = rng.integers(0, d)
    j = rng.integers(0, d - 1)
    j += j >= i  # two distinct friends
    return nbr[indptr[v] + i], nbr[indptr[v] + j]


def build_edges(
    rng: np.random.Generator, comm: Communities, weight: FloatArray, target: int
) -> IntArray:
    """Return sorted unique edge keys (``a*n + b``, a < b) for about ``target`` friendships."""
    n = weight.shape[0]
    first = GroupSampler(np.zeros(n, dtype=np.int64), weight, 1)
    base = round(target * (1.0 - _CLOSURE_SHARE))
    layers = (
        (comm.workplace, int(comm.workplace.max()) + 1),
        (comm.school, int(comm.school.max()) + 1),
        (comm.hood, int(comm.hood.max()) + 1),
        (comm.city, comm.n_cities),
        (np.zeros(n, dtype=np.int64), 1),
    )
    parts_a: list[IntArray] = []
    parts_b: list[IntArray] = []
    for (group, n_groups), share in zip(layers, _LAYER_SHARES, strict=True):
        a, b = _layer(rng, group, n_groups, weight, first, round(base * share))
        parts_a.append(a)
        parts_b.append(b)
    keys = canonical_keys(np.concatenate(parts_a), np.concatenate(parts_b), n)

    # Closure in rounds, so triangles can build on edges closed in the round before; then top
    # up until the duplicates thrown away are replaced (a few short rounds at most).
    for rounds_left in (3, 2, 1, 1, 1, 1, 1, 1):
        need = target - keys.shape[0]
        if need <= 0:
            break
        a, b = _close_triads(rng, n, keys, -(-need // rounds_left))
        keys = union(keys, canonical_keys(a, b, n))
    if keys.shape[0] > target:
        # Overshoot by the last round: drop a random few so the count is exactly target.
        drop = rng.choice(keys.shape[0], size=keys.shape[0] - target, replace=False)
        keys = np.delete(keys, drop)

    # Link every stray component to the giant one, to someone in the same city.
    labels = component_labels(n, keys)
    counts = np.bincount(labels, minlength=n)
    giant = int(np.argmax(counts))
    roots = np.flatnonzero((counts > 0) & (np.arange(n) != giant))
    if roots.shape[0]:
        in_giant = (labels == giant).astype(np.float64) * weight
        sampler = GroupSampler(comm.city, in_giant, comm.n_cities)
        partner = sampler.sample(rng, comm.city[roots])
        # A city with nobody in the giant component: fall back to anyone in it.
        lost = partner < 0
        if lost.any():
            partner[lost] = first.sample(rng, np.zeros(int(lost.sum()), dtype=np.int64))
            partner[lost] = np.where(labels[partner[lost]] == giant, partner[lost], giant)
        keys = union(keys, canonical_keys(roots, partner, n))
    return keys

"""The demo story: a conference where strangers turn out to share many friends.

Organic structure alone almost never gives two non-friends 25 friends in common at a mean
degree of 20, so a few attendee pairs are planted: two ordinary people from the event city, at
different workplaces and schools, who are not friends, get 26-40 friends in common (some from
each one's existing circle, the rest from the city). A few attendees with very few ties are
added too, so "who here should I meet" has both a striking and an empty answer to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seed_data.structure import (
    Communities,
    FloatArray,
    GroupSampler,
    IntArray,
    canonical_keys,
    csr,
    union,
)

__all__ = ["EventPlan", "plant_story"]

#: Planted pairs share at least this many friends.
MIN_SHARED = 26
MAX_SHARED = 40


@dataclass
class EventPlan:
    """Event attendees and the planted pairs, as person positions."""

    attendees: list[int]
    highlights: list[tuple[int, int]]
    newcomers: list[int]


def _pick_pairs(
    rng: np.random.Generator,
    comm: Communities,
    indptr: IntArray,
    nbr: IntArray,
    pool: IntArray,
    n_pairs: int,
) -> list[tuple[int, int]]:
    """Up to n_pairs (u, v) from pool: not friends, at different workplaces and schools."""
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    # Strict first; a tiny network may have one school (or one workplace), so relax after.
    for level in (2, 1, 0):
        for u in rng.permutation(pool).tolist():
            if len(pairs) >= n_pairs:
                return pairs
            if u in used:
                continue
            friends_u = set(nbr[indptr[u] : indptr[u + 1]].tolist())
            for v in rng.permutation(pool)[:200].tolist():
                if (
                    v != u
                    and v not in used
                    and v not in friends_u
                    and (level < 1 or comm.workplace[v] != comm.workplace[u])
                    and (level < 2 or comm.school[v] != comm.school[u])
                ):
                    pairs.append((u, v))
                    used.update((u, v))
                    break
    return pairs


def _shared_friends(
    rng: np.random.Generator,
    u: int,
    v: int,
    indptr: IntArray,
    nbr: IntArray,
    city_sampler: GroupSampler,
    city: int,
    blocked: set[int],
) -> list[int]:
    """26-40 distinct people to befriend both u and v: half u's friends, some v's, rest city."""
    shared = int(rng.integers(MIN_SHARED, MAX_SHARED + 1))
    chosen: dict[int, None] = {}  # insertion-ordered set: deterministic
    skip = blocked | {u, v}
    for person, quota in ((u, shared // 2), (v, shared // 4)):
        taken = 0
        for f in rng.permutation(nbr[indptr[person] : indptr[person + 1]]).tolist():
            if taken >= quota:
                break
            if f not in skip and f not in chosen:
                chosen[f] = None
                taken += 1
    for _ in range(50):
        if len(chosen) >= shared:
            break
        draws = city_sampler.sample(rng, np.full(4 * shared, city, dtype=np.int64))
        for f in draws.tolist():
            if len(chosen) >= shared:
                break
            if f >= 0 and f not in skip and f not in chosen:
                chosen[f] = None
    return list(chosen)


def plant_story(
    rng: np.random.Generator,
    comm: Communities,
    weight: FloatArray,
    keys: IntArray,
    event_size: int,
    mean_degree: float,
) -> tuple[IntArray, EventPlan]:
    """Plant the highlight pairs into keys and choose the event's attendees."""
    n = weight.shape[0]
    indptr, nbr = csr(n, keys)
    deg = np.diff(indptr)
    home = np.flatnonzero(comm.city == 0)  # city 0 is the largest: the conference city

    # Three planted pairs on realistic sizes; fewer on tiny networks or tiny events.
    n_pairs = 3 if n >= 1000 else (1 if n >= 100 else 0)
    n_pairs = min(n_pairs, event_size // 4)
    ordinary = home[(deg[home] >= max(2.0, mean_degree / 2)) & (deg[home] <= 3 * mean_degree)]
    if ordinary.shape[0] < 4 * n_pairs:
        ordinary = home
    pairs = _pick_pairs(rng, comm, indptr, nbr, ordinary, n_pairs)

    in_pairs = {p for pair in pairs for p in pair}
    # Newcomers: people in the city with at most 3 friends (the lowest-degree ones if none).
    # Chosen before planting, and kept out of it, so they really do stay nearly friendless.
    n_new = min(max(1, event_size // 20), event_size - 2 * len(pairs))
    few = home[deg[home] <= 3]
    few = few[~np.isin(few, sorted(in_pairs))]
    newcomers = rng.permutation(few)[:n_new].tolist()
    if len(newcomers) < n_new:
        by_degree = home[np.lexsort((home, deg[home]))]
        for p in by_degree.tolist():
            if len(newcomers) >= n_new:
                break
            if p not in in_pairs and p not in newcomers:
                newcomers.append(p)

    city_sampler = GroupSampler(comm.city, weight, comm.n_cities)
    blocked = in_pairs | set(newcomers)
    new_a: list[int] = []
    new_b: list[int] = []
    for u, v in pairs:
        friends = _shared_friends(rng, u, v, indptr, nbr, city_sampler, 0, blocked)
        new_a += [u] * len(friends) + [v] * len(friends)
        new_b += friends + friends
    if new_a:
        planted = canonical_keys(np.asarray(new_a), np.asarray(new_b), n)
        keys = union(keys, planted)

    attendees: dict[int, None] = dict.fromkeys([p for pair in pairs for p in pair])
    attendees.update(dict.fromkeys(newcomers))
    _fill_crowd(rng, comm, weight, city_sampler, attendees, event_size)
    plan = EventPlan(attendees=list(attendees), highlights=pairs, newcomers=newcomers)
    return keys, plan


def _fill_crowd(
    rng: np.random.Generator,
    comm: Communities,
    weight: FloatArray,
    city_sampler: GroupSampler,
    attendees: dict[int, None],
    event_size: int,
) -> None:
    """Colleagues from three sponsor firms, a few visitors, and the rest from the city."""
    n = weight.shape[0]

    def add(candidates: list[int], limit: int) -> None:
        for p in candidates:
            if len(attendees) >= limit:
                return
            attendees.setdefault(p, None)

    home_wp = np.flatnonzero(comm.workplace_city == 0)
    wp_sizes = np.bincount(comm.workplace, minlength=comm.workplace_city.shape[0])[home_wp]
    sponsors = home_wp[np.lexsort((home_wp, -wp_sizes))][:3]
    staff = np.flatnonzero(np.isin(comm.workplace, sponsors))
    add(rng.permutation(staff).tolist(), len(attendees) + event_size // 4)
    if comm.n_cities > 1:
        everyone = GroupSampler(np.zeros(n, dtype=np.int64), weight, 1)
        visitors = everyone.sample(rng, np.zeros(event_size, dtype=np.int64))
        add(visitors.tolist(), len(attendees) + event_size // 5)
    for _ in range(20):
        if len(attendees) >= event_size:
            return
        draws = city_sampler.sample(rng, np.zeros(2 * event_size, dtype=np.int64))
        add([p for p in draws.tolist() if p >= 0], event_size)
    # A small city cannot fill a large event by weighted draws: take anyone, uniformly.
    add(rng.permutation(n).tolist(), event_size)

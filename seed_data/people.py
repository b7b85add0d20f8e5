"""Turn community memberships into Faker profiles, one locale per city."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seed_data.model import Person
from seed_data.profiles import INTERESTS, LocalePools, make_handles, make_pools
from seed_data.structure import Communities

__all__ = ["make_people"]

#: Share of people whose names come from a locale other than their city's (if several).
_MIGRANT_SHARE = 0.15


def make_people(
    ss: np.random.SeedSequence, comm: Communities, locales: Sequence[str]
) -> tuple[list[Person], list[str]]:
    """Return the people (position i gets id ``str(i)``) and the city names.

    City c belongs to locale ``locales[c % len(locales)]``: its name, employers and schools come
    from that locale, as do most of its people's names.
    """
    n = int(comm.city.shape[0])
    n_loc = len(locales)
    faker_ss, draw_ss = ss.spawn(2)
    rng = np.random.default_rng(draw_ss)

    city_loc = np.arange(comm.n_cities) % n_loc
    wp_loc = city_loc[comm.workplace_city]
    pools: list[LocalePools] = []
    for li, (loc, child) in enumerate(zip(locales, faker_ss.spawn(n_loc), strict=True)):
        pools.append(
            make_pools(
                loc,
                int(child.generate_state(1)[0]),
                n_cities=int((city_loc == li).sum()),
                n_companies=max(1, int((wp_loc == li).sum())),
            )
        )

    # Label groups: the k-th city (workplace) of a locale takes that locale's k-th pool entry.
    city_names = [pools[city_loc[c]].cities[c // n_loc] for c in range(comm.n_cities)]
    wp_rank = np.zeros(wp_loc.shape[0], dtype=np.int64)
    for li in range(n_loc):
        of_locale = np.flatnonzero(wp_loc == li)
        wp_rank[of_locale] = np.arange(of_locale.shape[0])
    employers = [pools[int(wp_loc[w])].companies[int(wp_rank[w])] for w in range(wp_loc.shape[0])]
    schools: list[str] = []
    school_pick = rng.random((comm.school_city.shape[0], 2))
    for s, c in enumerate(comm.school_city.tolist()):
        pool = pools[int(city_loc[c])]
        templates = pool.school_templates()
        last_names = pool.last[1]
        template = templates[int(school_pick[s, 0] * len(templates))]
        last = last_names[int(school_pick[s, 1] * len(last_names))]
        schools.append(template.format(city=city_names[c], last=last))

    # Person locale: the city's, except for a share of people from elsewhere.
    loc_of = city_loc[comm.city]
    if n_loc > 1:
        migrant = rng.random(n) < _MIGRANT_SHARE
        loc_of = np.where(migrant, rng.integers(0, n_loc, size=n), loc_of)
    gender = rng.integers(0, 2, size=n)
    first_u = rng.random(n)
    last_u = rng.random(n)
    firsts: list[str] = []
    lasts: list[str] = []
    names: list[str] = []
    for li, g, fu, lu in zip(
        loc_of.tolist(), gender.tolist(), first_u.tolist(), last_u.tolist(), strict=True
    ):
        pool = pools[li]
        first_pool = pool.first[g]
        last_pool = pool.last[g]
        first = first_pool[int(fu * len(first_pool))]
        last = last_pool[int(lu * len(last_pool))]
        firsts.append(first)
        lasts.append(last)
        names.append(pool.full_name(first, last))
    handles = make_handles(firsts, lasts, rng.integers(0, 4, size=n))

    # Interests: 2-4 each, popular ones more common (Zipf-like over the fixed list).
    popularity = 1.0 / np.arange(1, len(INTERESTS) + 1) ** 0.8
    order = rng.permutation(len(INTERESTS))  # which interests are popular varies by seed
    # Eight draws leave enough spares to find 2-4 distinct ones (repeats are skipped).
    picks = rng.choice(len(INTERESTS), size=(n, 8), p=popularity / popularity.sum())
    how_many = rng.integers(2, 5, size=n)

    city_list = comm.city.tolist()
    wp_list = comm.workplace.tolist()
    school_list = comm.school.tolist()
    people: list[Person] = []
    pick_rows = picks.tolist()
    wanted = how_many.tolist()
    labels = [INTERESTS[k] for k in order.tolist()]
    for i in range(n):
        mine: list[str] = []
        for k in pick_rows[i]:
            label = labels[k]
            if label not in mine:
                mine.append(label)
                if len(mine) == wanted[i]:
                    break
        people.append(
            Person(
                id=str(i),
                name=names[i],
                handle=handles[i],
                city=city_names[city_list[i]],
                employer=employers[wp_list[i]],
                school=schools[school_list[i]],
                interests=tuple(mine),
                locale=locales[int(loc_of[i])],
            )
        )
    return people, city_names

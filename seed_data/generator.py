"""``generate``: the one entry point that builds a demo network from a handful of numbers."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from graphmatch.errors import InvalidInput
from seed_data.model import Event, Network, Person
from seed_data.people import make_people
from seed_data.profiles import normalise_locales
from seed_data.story import EventPlan, plant_story
from seed_data.structure import build_edges, make_communities, make_weights

__all__ = ["MAX_MEAN_DEGREE", "MIN_PEOPLE", "canonical_edges", "default_event_size", "generate"]

MIN_PEOPLE = 10
MAX_MEAN_DEGREE = 1000.0

_TOPICS = (
    "Data", "Open Source", "Product", "Design", "Climate Tech", "Cloud", "AI", "Security",
    "Health Tech", "Fintech", "Developer", "Robotics",
)  # fmt: skip


def default_event_size(people: int) -> int:
    """Attendees when none is asked for: 2% of the people, between 10 and 400."""
    return min(people, max(10, min(400, people // 50)))


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInput(f"{name} must be an integer, got {value!r}")
    return int(value)


def _validate(
    people: object, mean_degree: object, seed: object, event_size: object
) -> tuple[int, float, int, int]:
    n = _check_int("people", people)
    if n < MIN_PEOPLE:
        raise InvalidInput(f"people must be at least {MIN_PEOPLE}, got {n}")
    if isinstance(mean_degree, bool) or not isinstance(mean_degree, numbers.Real):
        raise InvalidInput(f"mean degree must be a number, got {mean_degree!r}")
    d = float(mean_degree)
    # At most half the possible friendships: denser is not a social network, and closure
    # could no longer find new pairs to add.
    top = min(MAX_MEAN_DEGREE, (n - 1) / 2)
    if not math.isfinite(d) or d < 1 or d > top:
        raise InvalidInput(f"mean degree must be between 1 and {top:g} for {n} people, got {d:g}")
    s = _check_int("seed", seed)
    if s < 0:
        raise InvalidInput(f"seed must be >= 0, got {s}")
    e = default_event_size(n) if event_size is None else _check_int("event size", event_size)
    if not 2 <= e <= n:
        raise InvalidInput(f"event size must be between 2 and {n}, got {e}")
    return n, d, s, e


def canonical_edges(a: np.ndarray, b: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Orient each pair so ``ids[a] < ids[b]`` as strings and sort; return an (m, 2) int32.

    String order, not integer order, because the contract is on string ids ("10" < "9").
    Ranks come from one sort of the ids, so no per-edge string comparison is needed.
    """
    n = len(ids)
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(sorted(range(n), key=ids.__getitem__), dtype=np.int64)] = np.arange(n)
    swap = rank[a] > rank[b]
    lo = np.where(swap, b, a)
    hi = np.where(swap, a, b)
    order = np.lexsort((rank[hi], rank[lo]))
    return np.stack((lo[order], hi[order]), axis=1).astype(np.int32)


def generate(
    people: int,
    mean_degree: float = 20,
    locales: Sequence[str] = ("en_US",),
    seed: int = 0,
    event_size: int | None = None,
    *,
    progress: bool = False,
) -> Network:
    """Generate a believable social network with Faker profiles and a conference.

    Same arguments (and the same Faker version) give the same network, byte for byte, in any
    process: all randomness comes from ``numpy.random.SeedSequence(seed)`` and privately
    seeded Faker instances, never from hashing or the global ``random`` state.

    Parameters
    ----------
    people : int
        Number of people, at least 10. Ids are ``"0"`` .. ``str(people - 1)``.
    mean_degree : float, default 20
        Target mean number of friends, between 1 and ``min(1000, (people - 1) / 2)``.
        The result lands within a fraction of a percent (stray components are linked and the
        story adds a few dozen friendships).
    locales : sequence of str, default ``("en_US",)``
        Faker locales. Cities are dealt round-robin to the locales; names, employers and
        schools follow the city's locale (15% of people carry another one).
    seed : int, default 0
        Non-negative seed.
    event_size : int, optional
        Conference attendees; by default 2% of the people, between 10 and 400.
    progress : bool, default False
        Show a tqdm bar over the generation phases (on stderr).

    Returns
    -------
    Network
        People, canonical friendships (``a < b`` as strings, sorted) and the event.

    Raises
    ------
    InvalidInput
        For fewer than 10 people, a mean degree out of range, an unknown locale, a negative
        seed or an event size outside ``[2, people]``.

    Examples
    --------
    >>> net = generate(1000, mean_degree=10, locales=["en_US", "de_DE"], seed=7)
    >>> net.n_people, len(net.event.highlights)
    (1000, 3)
    >>> all(a < b for a, b in net.friendships)
    True
    """
    n, d, s, e = _validate(people, mean_degree, seed, event_size)
    locs = normalise_locales(locales)
    target = round(n * d / 2)

    # Independent streams: the structure does not depend on the locales, only the labels do.
    struct_ss, story_ss, people_ss = np.random.SeedSequence(s).spawn(3)
    with tqdm(total=5, desc="seed", unit="step", disable=not progress, leave=False) as bar:
        rng = np.random.default_rng(struct_ss)
        weight = make_weights(rng, n)
        comm = make_communities(rng, n)
        bar.update()
        keys = build_edges(rng, comm, weight, target)
        bar.update()
        keys, plan = plant_story(np.random.default_rng(story_ss), comm, weight, keys, e, d)
        bar.update()
        persons, city_names = make_people(people_ss, comm, locs)
        bar.update()
        ids = [p.id for p in persons]
        edges = canonical_edges(keys // n, keys % n, ids)
        bar.update()

    event = _make_event(np.random.default_rng(story_ss.spawn(1)[0]), persons, plan, city_names)
    params = {
        "people": n,
        "mean_degree": d,
        "locales": list(locs),
        "seed": s,
        "event_size": e,
    }
    return Network(people=persons, edges=edges, event=event, params=params)


def _make_event(
    rng: np.random.Generator,
    persons: list[Person],
    plan: EventPlan,
    city_names: list[str],
) -> Event:
    city = city_names[0]
    topic = _TOPICS[int(rng.integers(0, len(_TOPICS)))]
    kind = ("Summit", "Conference", "Days", "Forum")[int(rng.integers(0, 4))]

    def pid(i: int) -> str:
        return persons[i].id

    highlights = tuple(tuple(sorted((pid(u), pid(v)))) for u, v in plan.highlights)
    return Event(
        id="event-1",
        name=f"{city} {topic} {kind}",
        city=city,
        attendees=tuple(sorted(pid(i) for i in plan.attendees)),
        highlights=tuple((a, b) for a, b in highlights),
        newcomers=tuple(sorted(pid(i) for i in plan.newcomers)),
    )

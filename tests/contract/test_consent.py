"""Consent: a block hides both people from each other everywhere, on every store and path.

A and W are friends, and A blocks W (or W blocks A: both directions are run). Neither is
then ever named to the other as a mutual friend: not in suggestions, rank, mutual lists,
nearby, event introductions or an event's top pairs, on the plain path and on every push-down
(compiled kernels, Cypher). Counts and scores stay exact: the friendship exists and still
explains the rank; only the names are withheld (``Mutual.hidden`` counts them).
"""

from __future__ import annotations

import pytest

import graphmatch as gm
from graphmatch.presence import Presence

# A's friends: W, M, Z. W's friends: A, V, Z. V is two steps from A through W and M; M is two
# steps from W through A and V; A and W share Z.
EDGES = [
    ("A", "W"), ("A", "M"), ("A", "Z"),
    ("W", "V"), ("M", "V"), ("W", "Z"),
]  # fmt: skip
EVERYONE = ["A", "M", "V", "W", "Z"]


@pytest.fixture(params=[True, False], ids=["push-down", "plain"])
def matcher(store: gm.GraphStore, request: pytest.FixtureRequest) -> gm.Matcher:
    """A matcher over the ``store``, with and without the store's push-downs."""
    return gm.Matcher(store, explain=10, push_down=request.param)


@pytest.fixture(params=["A blocks W", "W blocks A"])
def blocked(
    store: gm.GraphStore, matcher: gm.Matcher, request: pytest.FixtureRequest
) -> gm.Matcher:
    """The world above with the block in one direction; returns the matcher."""
    store.add_friendships(EDGES)
    who, whom = ("A", "W") if request.param == "A blocks W" else ("W", "A")
    store.block(who, whom)
    return matcher


def _named(found: list[gm.Suggestion]) -> dict[str, tuple[int, list[str]]]:
    return {s.person: (s.mutual_count, s.mutual) for s in found}


def test_suggestions_never_name_a_blocked_friend(blocked: gm.Matcher) -> None:
    # Today A's suggestion V comes back with mutual ["W", "M"].
    assert _named(blocked.suggest("A")) == {"V": (2, ["M"])}
    assert _named(blocked.suggest("W")) == {"M": (2, ["V"])}
    for score in gm.SCORES:
        for person, other in (("A", "W"), ("W", "A")):
            for s in blocked.suggest(person, score=score, explain=10):
                assert other not in s.mutual, (score, person, s)


def test_counts_and_scores_stay_exact(store: gm.GraphStore, blocked: gm.Matcher) -> None:
    free = gm.Matcher(store, push_down=False)
    for score in gm.SCORES:
        for person in ("A", "W"):
            got = [
                (s.person, s.score, s.mutual_count) for s in blocked.suggest(person, score=score)
            ]
            store_blocks = store.blocked_with(person)
            ranked = free.rank(person, [p for p in EVERYONE if p not in store_blocks], score=score)
            want = [(s.person, s.score, s.mutual_count) for s in ranked if s.mutual_count]
            assert got == want


def test_rank_never_names_a_blocked_friend(blocked: gm.Matcher) -> None:
    assert _named(blocked.rank("A", ["V", "W"])) == {"V": (2, ["M"])}
    assert _named(blocked.rank("W", ["M", "A"])) == {"M": (2, ["V"])}
    got = _named(blocked.rank("A", EVERYONE, include_friends=True))
    assert "W" not in got
    assert all("W" not in named for _, named in got.values())
    got = _named(blocked.rank("W", EVERYONE, include_friends=True))
    assert "A" not in got
    assert all("A" not in named for _, named in got.values())


def test_mutual_lists_name_nobody_blocked_with_either(blocked: gm.Matcher) -> None:
    assert blocked.mutual_friends("A", "V") == gm.Mutual(count=2, people=["M"], hidden=1)
    assert blocked.mutual_friends("V", "A") == gm.Mutual(count=2, people=["M"], hidden=1)
    assert blocked.mutual_friends("W", "M") == gm.Mutual(count=2, people=["V"], hidden=1)
    assert blocked.mutual_friends("M", "W") == gm.Mutual(count=2, people=["V"], hidden=1)
    # Between the two blocked people: the count, no names.
    for a, b in (("A", "W"), ("W", "A")):
        got = blocked.mutual_friends(a, b)
        assert (got.count, got.people, got.hidden, got.exact) == (1, [], 1, False)


def test_an_unblock_names_them_again(store: gm.GraphStore, blocked: gm.Matcher) -> None:
    store.unblock("A", "W")
    store.unblock("W", "A")
    assert _named(blocked.suggest("A")) == {"V": (2, ["M", "W"])}  # fewest friends first
    assert blocked.mutual_friends("A", "W").people == ["Z"]


def test_a_block_elsewhere_does_not_hide_names_from_third_people(blocked: gm.Matcher) -> None:
    # V's suggestion A (through W and M) is shown to V, who is blocked with nobody: W is
    # named, since the block is between A and W and neither of them sees this list.
    assert _named(blocked.suggest("V"))["A"] == (2, ["M", "W"])


@pytest.fixture
def presence(store: gm.GraphStore, blocked: gm.Matcher) -> Presence:
    """A presence service over the blocked world, everyone at one spot and one event."""
    p = Presence(store, matcher=blocked, clock=lambda: 1_000_000.0)
    p.add_event("conf")
    for who in EVERYONE:
        p.check_in(who, lat=59.9139, lon=10.7522, event_id="conf")
    return p


def test_nearby_never_names_a_blocked_friend(presence: Presence) -> None:
    a = {n.person: (n.mutual_count, n.mutual) for n in presence.nearby("A", explain=10)}
    assert a == {"V": (2, ["M"])}
    w = {n.person: (n.mutual_count, n.mutual) for n in presence.nearby("W", explain=10)}
    assert w == {"M": (2, ["V"])}
    for person, other in (("A", "W"), ("W", "A")):
        for n in presence.nearby(person, include_friends=True, explain=10):
            assert n.person != other and other not in n.mutual


def test_event_introductions_never_name_a_blocked_friend(presence: Presence) -> None:
    assert _named(presence.event_introductions("conf", "A", explain=10)) == {"V": (2, ["M"])}
    assert _named(presence.event_introductions("conf", "W", explain=10)) == {"M": (2, ["V"])}
    for person, other in (("A", "W"), ("W", "A")):
        for s in presence.event_introductions("conf", person, include_friends=True, explain=10):
            assert s.person != other and other not in s.mutual


def test_top_pairs_name_nobody_blocked_with_either_person(presence: Presence) -> None:
    pairs = {(t.a, t.b): (t.mutual_count, t.mutual) for t in presence.top_pairs("conf", explain=10)}
    # (A, V) share W and M, but W is blocked with A; (M, W) share A and V, but A is blocked
    # with W. (A, W) are friends, so never a pair. Counts stay exact.
    assert pairs[("A", "V")] == (2, ["M"])
    assert pairs[("M", "W")] == (2, ["V"])
    for (a, b), (_, named) in pairs.items():
        if "A" in (a, b):
            assert "W" not in named
        if "W" in (a, b):
            assert "A" not in named

"""The store contract, run over every store through the ``store`` fixture.

Every test that asks the matcher (suggest, rank, mutual friends, scores) takes the ``matcher``
fixture, so it runs twice per store: with the store's push-downs (compiled kernels, Cypher) and
with ``push_down=False``, where the matcher ranks in Python over the plain GraphStore reads.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import graphmatch as gm

PUSH_DOWNS = ("top_candidates", "mutual_count", "mutual_counts")


@pytest.fixture(params=[True, False], ids=["push-down", "plain"])
def matcher(store: gm.GraphStore, request: pytest.FixtureRequest) -> gm.Matcher:
    """A matcher over the (empty) ``store``, with and without the store's push-downs."""
    return gm.Matcher(store, push_down=request.param)


def _fill(store: gm.GraphStore, matcher: gm.Matcher, edges: list[tuple[str, str]]) -> gm.Matcher:
    assert matcher.store is store
    store.add_friendships(edges)
    return matcher


# A small world: ann's friends bob, cat, dan; the people they know beyond her.
WORLD = [
    ("ann", "bob"), ("ann", "cat"), ("ann", "dan"),
    ("bob", "eve"), ("cat", "eve"), ("dan", "eve"),
    ("bob", "fay"), ("cat", "fay"),
    ("dan", "gus"),
    ("gus", "hal"),
]  # fmt: skip


def test_friendships_are_undirected_and_idempotent(store: gm.GraphStore) -> None:
    store.add_person("a")
    store.add_person("b")
    assert store.add_friendship("a", "b") is True
    assert store.add_friendship("b", "a") is False
    assert store.friends("a") == ["b"]
    assert store.friends("b") == ["a"]
    assert store.counts() == (2, 1)


def test_self_friendship_is_rejected_and_nothing_is_written(store: gm.GraphStore) -> None:
    store.add_person("a")
    with pytest.raises(gm.InvalidInput):
        store.add_friendship("a", "a")
    with pytest.raises(gm.InvalidInput):
        store.add_friendships([("x", "y"), ("z", "z")])
    assert store.counts() == (1, 0)


def test_unknown_people_raise_person_not_found(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    m = _fill(store, matcher, WORLD)
    with pytest.raises(gm.PersonNotFound):
        m.suggest("nobody")
    with pytest.raises(gm.PersonNotFound):
        m.mutual_friends("ann", "nobody")
    with pytest.raises(gm.PersonNotFound):
        m.rank("ann", ["eve", "nobody"])
    for read in (store.friends, store.person, store.degree, store.blocked_with):
        with pytest.raises(gm.PersonNotFound):
            read("nobody")
    with pytest.raises(gm.PersonNotFound):
        store.add_friendship("ann", "nobody")
    with pytest.raises(gm.PersonNotFound):
        store.remove_person("nobody")


def test_adding_an_existing_person_with_exist_ok_false_conflicts(store: gm.GraphStore) -> None:
    assert store.add_person("a", {"name": "A"}) is True
    with pytest.raises(gm.PersonExists):
        store.add_person("a", exist_ok=False)
    assert store.add_person("a", {"city": "Oslo"}) is False
    assert store.person("a")["name"] == "A"
    assert store.person("a")["city"] == "Oslo"


def test_suggestions_rank_by_mutual_count_then_id(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    m = _fill(store, matcher, WORLD)
    got = m.suggest("ann")
    assert [(s.person, s.mutual_count) for s in got] == [("eve", 3), ("fay", 2), ("gus", 1)]
    assert got[0].mutual == ["bob", "cat", "dan"]


def test_suggestions_never_include_self_friends_or_strangers(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    m = _fill(store, matcher, WORLD)
    people = {s.person for s in m.suggest("ann", limit=100)}
    assert people.isdisjoint({"ann", "bob", "cat", "dan", "hal"})


def test_suggestions_exclude_blocked_people_both_ways(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    m = _fill(store, matcher, WORLD)
    store.block("ann", "eve")
    assert "eve" not in {s.person for s in m.suggest("ann")}
    assert "ann" not in {s.person for s in m.suggest("eve")}
    store.unblock("ann", "eve")
    store.block("fay", "ann")
    assert [s.person for s in m.suggest("ann")] == ["eve", "gus"]
    assert "fay" not in {s.person for s in m.rank("ann", ["fay", "gus"])}


def test_people_who_opted_out_of_discovery_are_never_suggested(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    m = _fill(store, matcher, WORLD)
    store.set_consent("eve", discoverable=False)
    assert "eve" not in {s.person for s in m.suggest("ann")}
    assert store.person("eve")["discoverable"] is False
    store.set_consent("eve", discoverable=True)
    assert m.suggest("ann")[0].person == "eve"


def test_mutual_lists_hide_people_who_opted_out_but_counts_stay_exact(
    store: gm.GraphStore,
    matcher: gm.Matcher,
) -> None:
    m = _fill(store, matcher, WORLD)
    store.set_consent("cat", show_as_mutual=False)
    mutual = m.mutual_friends("ann", "eve")
    assert (mutual.count, mutual.people, mutual.hidden) == (3, ["bob", "dan"], 1)
    assert not mutual.exact
    assert m.suggest("ann")[0].mutual == ["bob", "dan"]
    assert m.suggest("ann")[0].mutual_count == 3


def test_explanations_name_the_least_connected_mutual_friends_first(
    store: gm.GraphStore,
    matcher: gm.Matcher,
) -> None:
    # bob knows many people, cat few: cat is the stronger tie between ann and eve.
    m = _fill(store, matcher, [("ann", "bob"), ("ann", "cat"), ("bob", "eve"), ("cat", "eve")]
              + [("bob", f"x{i}") for i in range(5)])  # fmt: skip
    assert m.mutual_friends("ann", "eve").people == ["cat", "bob"]
    assert m.suggest("ann", explain=1)[0].mutual == ["cat"]


def test_degree_cap_drops_hub_mutual_friends(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    hub = [("hub", f"p{i}") for i in range(10)]
    m = _fill(store, matcher, [*hub, ("p0", "q"), ("p1", "q")])
    capped = m.suggest("p0", limit=100, max_degree=5)
    assert [(s.person, s.mutual_count, s.mutual) for s in capped] == [("p1", 1, ["q"])]
    assert len(m.suggest("p0", limit=100)) == 9
    assert m.mutual_friends("p0", "p1", max_degree=5).people == ["q"]
    assert m.mutual_friends("p0", "p1").people == ["q", "hub"]


def test_rank_orders_candidates_like_suggest(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    m = _fill(store, matcher, WORLD)
    store.add_person("zed")
    for score in gm.SCORES:
        suggested = m.suggest("ann", limit=10, score=score)
        ranked = m.rank("ann", ["zed", *[s.person for s in reversed(suggested)]], score=score)
        assert ranked[: len(suggested)] == suggested
        assert ranked[-1].person == "zed"
        assert ranked[-1].mutual_count == 0


def test_rank_drops_friends_unless_asked(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    m = _fill(store, matcher, WORLD)
    assert [s.person for s in m.rank("ann", ["bob", "eve", "ann"])] == ["eve"]
    with_friends = m.rank("ann", ["bob", "eve"], include_friends=True)
    assert [s.person for s in with_friends] == ["eve", "bob"]


def test_removing_a_person_removes_their_friendships_and_blocks(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    m = _fill(store, matcher, WORLD)
    store.block("eve", "ann")
    store.remove_person("eve")
    assert not store.exists("eve")
    assert "eve" not in store.friends("bob")
    assert store.blocked_with("ann") == set()
    assert [s.person for s in m.suggest("ann")] == ["fay", "gus"]


def test_remove_friendship_reports_whether_there_was_one(store: gm.GraphStore) -> None:
    store.add_friendships(WORLD)
    assert store.remove_friendship("ann", "bob") is True
    assert store.remove_friendship("bob", "ann") is False
    assert "bob" not in store.friends("ann")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"score": "magic"}, "unknown score"),
        ({"max_degree": 0}, "max_degree"),
        ({"explain": -1}, "explain"),
    ],
)
def test_bad_arguments_raise_invalid_input(
    store: gm.GraphStore, matcher: gm.Matcher, kwargs: dict[str, object], message: str
) -> None:
    m = _fill(store, matcher, WORLD)
    with pytest.raises(gm.InvalidInput, match=message):
        m.suggest("ann", **kwargs)  # type: ignore[arg-type]


def test_single_pair_score_matches_the_formulas(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    m = _fill(store, matcher, WORLD)
    # ann and eve share bob (deg 3), cat (deg 3), dan (deg 3); ann deg 3, eve deg 3.
    assert m.score("ann", "eve", "common_neighbors") == 3
    assert m.score("ann", "eve", "jaccard") == pytest.approx(3 / 3)
    assert m.score("ann", "eve", "resource_allocation") == pytest.approx(3 / 3)
    assert m.score("ann", "hal") == 0.0


def test_mutual_counts_agree_with_mutual_friends(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    m = _fill(store, matcher, WORLD)
    people = sorted({p for pair in WORLD for p in pair})
    pairs = [(a, b) for a in people for b in people if a != b]
    assert m.mutual_counts(pairs) == [m.mutual_friends(a, b).count for a, b in pairs]
    with pytest.raises(gm.PersonNotFound):
        m.mutual_counts([("ann", "nobody")])


@pytest.mark.parametrize(
    "pairs",
    [
        [("ann",), ("bob", "eve", "hal")],  # flattened, these would be two wrong pairs
        [("ann", "bob"), ("eve",)],
        [("ann", "bob"), 7],
    ],
    ids=["one-and-three", "one", "no-length"],
)
def test_mutual_counts_refuse_an_item_that_is_not_a_pair(
    store: gm.GraphStore, matcher: gm.Matcher, pairs: list[object]
) -> None:
    m = _fill(store, matcher, WORLD)
    with pytest.raises(gm.InvalidInput, match="two ids"):
        m.mutual_counts(pairs)  # type: ignore[arg-type]


def test_the_plain_path_answers_alike_without_touching_a_push_down(
    store: gm.GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_friendships(WORLD)
    store.set_consent("cat", show_as_mutual=False)
    store.block("gus", "hal")
    pushed = gm.Matcher(store)
    people = sorted({p for pair in WORLD for p in pair})
    pairs = [(a, b) for a in people for b in people if a != b]

    def answers(m: gm.Matcher) -> list[object]:
        got: list[object] = [m.mutual_counts(pairs)]
        for person in people:
            got.append(m.mutual_friends("ann", person) if person != "ann" else None)
            for score in gm.SCORES:
                got.append(m.suggest(person, limit=10, score=score))
                got.append(m.rank(person, people, score=score))
        return got

    want = answers(pushed)

    def refuse(name: str) -> Callable[..., object]:
        def push_down(*args: object, **kwargs: object) -> object:
            raise AssertionError(f"push_down=False called the store's {name}()")

        return push_down

    for name in PUSH_DOWNS:
        monkeypatch.setattr(store, name, refuse(name), raising=False)
    assert answers(gm.Matcher(store, push_down=False)) == want

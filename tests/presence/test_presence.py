"""Presence, nearby and event introductions, on the memory store and on the real Neo4j.

Every test runs on both stores through the ``world`` fixture. On Neo4j each test works under
its own id prefix and deletes only its own nodes, so it never disturbs other data in the
shared server. Time is an injected clock: nothing sleeps.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.presence import (
    EARTH_RADIUS_M,
    CheckIn,
    EventNotFound,
    MemoryPresenceIndex,
    NotCheckedIn,
    Presence,
    destination,
    haversine_m,
)
from graphmatch.rule import SCORES
from graphmatch.stores.protocol import RunsQueries

NS = "tp-"  # every id a Neo4j test writes starts with this
T0 = 1_000_000.0


@dataclass
class World:
    """One store with a presence service on a fake clock, and an id namespace."""

    kind: str
    store: gm.GraphStore
    presence: Presence
    now: list[float]
    prefix: str

    def id(self, name: str) -> str:
        return self.prefix + name

    def ids(self, names: Iterable[str]) -> list[str]:
        return [self.prefix + n for n in names]

    def names(self, ids: Iterable[str]) -> list[str]:
        return [i.removeprefix(self.prefix) for i in ids]

    def people(self, *names: str) -> None:
        self.store.add_people([(self.id(n), {}) for n in names])

    def friends(self, edges: Iterable[tuple[str, str]]) -> None:
        self.store.add_friendships([(self.id(a), self.id(b)) for a, b in edges])

    def graph(self, g: nx.Graph) -> None:
        self.people(*map(str, g.nodes))
        self.friends((str(a), str(b)) for a, b in g.edges)

    def at(self, name: str, lat: float, lon: float, **kw: object) -> CheckIn:
        return self.presence.check_in(self.id(name), lat=lat, lon=lon, **kw)  # type: ignore[arg-type]

    def near(self, name: str, **kw: object) -> list[str]:
        return self.names(n.person for n in self.presence.nearby(self.id(name), **kw))  # type: ignore[arg-type]


def _cleanup(store: gm.GraphStore, prefix: str) -> None:
    """Delete the Neo4j nodes under prefix (people, presences, events)."""
    query = (
        "MATCH (n) WHERE (n:Person AND n.id STARTS WITH $p) "
        "OR (n:Presence AND n.person_id STARTS WITH $p) OR (n:Event AND n.id STARTS WITH $p) "
        "DETACH DELETE n"
    )
    assert isinstance(store, RunsQueries)
    store.run_write(query, {"p": prefix})


@pytest.fixture(scope="module")
def neo4j_server(neo4j_store_session: gm.GraphStore) -> gm.GraphStore:
    """The session's Neo4j store, rid of this module's leftovers from an interrupted run."""
    _cleanup(neo4j_store_session, NS)
    return neo4j_store_session


@pytest.fixture(params=["memory", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    now = [T0]
    if request.param == "memory":
        store: gm.GraphStore = gm.MemoryStore(index="off")
        prefix = ""
    else:
        store = request.getfixturevalue("neo4j_server")
        prefix = f"{NS}{uuid.uuid4().hex[:10]}-"
    presence = Presence(store, clock=lambda: now[0])
    yield World(request.param, store, presence, now, prefix)
    if request.param == "neo4j":
        _cleanup(store, prefix)


# -- radius boundaries --
# (centre, bearing of the two test points): ordinary, across the antimeridian both ways, over the
# north pole, at the pole itself, and next to the south pole across the antimeridian.
PLACES = [
    ((59.9139, 10.7522), 45.0),
    ((0.0, 179.99995), 90.0),
    ((-33.0, -179.9999), 270.0),
    ((89.99995, 30.0), 0.0),
    ((90.0, 0.0), 180.0),
    ((-89.9999, 179.9999), 100.0),
]


@pytest.mark.parametrize("radius", [10.0, 250.0, 5_000.0])
@pytest.mark.parametrize(("centre", "bearing"), PLACES)
def test_radius_boundary_is_exact_to_a_metre(
    world: World, centre: tuple[float, float], bearing: float, radius: float
) -> None:
    world.people("me", "inside", "outside", "edge")
    lat, lon = centre
    world.at("me", lat, lon)
    pts = {
        "inside": destination(lat, lon, radius - 1.0, bearing),
        "outside": destination(lat, lon, radius + 1.0, bearing),
        "edge": destination(lat, lon, radius - 0.01, bearing + 180.0),
    }
    for name, (plat, plon) in pts.items():
        world.at(name, plat, plon)
    assert abs(haversine_m(lat, lon, *pts["inside"]) - (radius - 1.0)) < 1e-3
    assert world.near("me", radius_m=radius) == ["edge", "inside"]
    found = {n.person: n.distance_m for n in world.presence.nearby(world.id("me"), radius_m=radius)}
    assert found[world.id("inside")] == pytest.approx(radius - 1.0, abs=1e-3)


def test_antimeridian_neighbours_are_found_from_both_sides(world: World) -> None:
    world.people("east", "west")
    world.at("east", 10.0, 179.9999)
    world.at("west", 10.0, -179.9999)  # 21.9 m away across the date line
    assert world.near("east", radius_m=25) == ["west"]
    assert world.near("west", radius_m=25) == ["east"]
    assert world.near("west", radius_m=20) == []


# -- expiry, check-out, opt-in --
def test_presence_expires_on_its_own_with_the_clock(world: World) -> None:
    world.people("me", "you")
    world.at("me", 1.0, 1.0, ttl_s=3600)
    world.at("you", 1.0, 1.0, ttl_s=60)
    assert world.near("me") == ["you"]
    world.now[0] = T0 + 59.999
    assert world.near("me") == ["you"]
    world.now[0] = T0 + 60  # expiry is exclusive: at expires_at it is gone
    assert world.near("me") == []
    assert world.presence.where(world.id("you")) is None
    world.at("you", 1.0, 1.0, ttl_s=60)  # checking in again brings them back
    assert world.near("me") == ["you"]
    world.now[0] = T0 + 3600
    with pytest.raises(NotCheckedIn):
        world.presence.nearby(world.id("me"))


def test_check_out_and_recheck_in_replace_the_presence(world: World) -> None:
    world.people("me", "you")
    world.at("me", 1.0, 1.0)
    world.at("you", 1.0, 1.0)
    assert world.presence.check_out(world.id("you")) is True
    assert world.presence.check_out(world.id("you")) is False
    assert world.near("me") == []
    world.at("you", 1.0, 1.0)
    world.at("you", 40.0, 40.0)  # moved: the old place no longer has them
    assert world.near("me") == []
    assert world.presence.where(world.id("you")).lat == 40.0  # type: ignore[union-attr]


def test_only_checked_in_people_are_candidates(world: World) -> None:
    world.people("me", "you", "never")
    world.friends([("me", "w"), ("w", "never"), ("w", "you")])
    world.at("me", 1.0, 1.0)
    world.at("you", 1.0, 1.0)
    assert world.near("me") == ["you"]


def test_see_only_sees_but_is_not_seen(world: World) -> None:
    world.people("me", "you")
    world.at("me", 1.0, 1.0, visible=False)
    world.at("you", 1.0, 1.0)
    assert world.near("me") == ["you"]
    assert world.near("you") == []


def test_people_who_opted_out_of_discovery_are_never_shown(world: World) -> None:
    world.people("me", "you", "shy")
    world.store.set_consent(world.id("shy"), discoverable=False)
    for who in ("me", "you", "shy"):
        world.at(who, 1.0, 1.0)
    assert world.near("me") == ["you"]
    ev = world.id("conf")
    world.presence.add_event(ev)
    for who in ("me", "you", "shy"):
        world.presence.check_in(world.id(who), event_id=ev)
    got = world.presence.event_introductions(ev, world.id("me"))
    assert world.names(s.person for s in got) == ["you"]


def test_blocks_hide_people_both_ways(world: World) -> None:
    world.people("me", "blocked", "blocker", "ok")
    world.store.block(world.id("me"), world.id("blocked"))
    world.store.block(world.id("blocker"), world.id("me"))
    for who in ("me", "blocked", "blocker", "ok"):
        world.at(who, 1.0, 1.0)
    assert world.near("me") == ["ok"]
    assert "me" not in world.near("blocked")
    assert "me" not in world.near("blocker")


def test_friends_are_left_out_unless_asked_for(world: World) -> None:
    world.people("me", "pal", "stranger")
    world.friends([("me", "pal")])
    for who in ("me", "pal", "stranger"):
        world.at(who, 1.0, 1.0)
    assert world.near("me") == ["stranger"]
    assert sorted(world.near("me", include_friends=True)) == ["pal", "stranger"]


def test_deleted_people_drop_out_while_still_checked_in(world: World) -> None:
    world.people("me", "gone", "here")
    for who in ("me", "gone", "here"):
        world.at(who, 1.0, 1.0)
    world.store.remove_person(world.id("gone"))
    assert world.near("me") == ["here"]


# -- ranking is rank's --
@pytest.mark.parametrize("score", SCORES)
def test_nearby_orders_exactly_like_rank_over_the_same_people(world: World, score: str) -> None:
    rng = random.Random(7)
    g = nx.gnp_random_graph(60, 0.12, seed=11)
    world.graph(g)
    world.store.block(world.id("0"), world.id("5"))
    world.store.set_consent(world.id("9"), discoverable=False)
    world.store.set_consent(world.id("3"), show_as_mutual=False)
    lat, lon = 48.8566, 2.3522
    world.at("0", lat, lon)
    inside = []
    for v in range(1, 60):
        d = rng.uniform(0, 400)
        plat, plon = destination(lat, lon, d, rng.uniform(0, 360))
        world.at(str(v), plat, plon, visible=v % 11 != 0)
        if d <= 300 and v % 11 != 0:
            inside.append(world.id(str(v)))
    m = gm.Matcher(world.store)
    for include_friends in (False, True):
        want = m.rank(
            world.id("0"), inside, score, limit=25, explain=4, include_friends=include_friends
        )
        got = world.presence.nearby(
            world.id("0"),
            radius_m=300,
            limit=25,
            score=score,
            explain=4,
            include_friends=include_friends,
        )
        assert [(n.person, n.score, n.mutual_count, n.mutual) for n in got] == [
            (s.person, s.score, s.mutual_count, s.mutual) for s in want
        ]
        assert all(n.distance_m is not None and n.distance_m <= 300 for n in got)


# -- events --
def test_same_event_counts_as_nearby_whatever_the_distance(world: World) -> None:
    world.people("me", "far", "near")
    world.presence.add_event(world.id("conf"), name="Conf")
    world.presence.check_in(world.id("me"), lat=1.0, lon=1.0, event_id=world.id("conf"))
    world.presence.check_in(world.id("far"), lat=2.0, lon=2.0, event_id=world.id("conf"))
    world.at("near", 1.0, 1.0)
    got = world.presence.nearby(world.id("me"))
    assert [(world.names([n.person])[0], n.same_event) for n in got] == [
        ("far", True),
        ("near", False),
    ]
    assert got[0].distance_m == pytest.approx(haversine_m(1.0, 1.0, 2.0, 2.0), abs=1e-6)


def test_event_location_is_used_when_checking_in_without_one(world: World) -> None:
    world.people("me", "you")
    world.presence.add_event(world.id("conf"), lat=52.52, lon=13.405)
    rec = world.presence.check_in(world.id("you"), event_id=world.id("conf"))
    assert (rec.lat, rec.lon) == (52.52, 13.405)
    world.at("me", 52.5201, 13.405)
    assert world.near("me", radius_m=20) == ["you"]


def test_event_introductions_are_rank_over_attendees(world: World) -> None:
    g = nx.gnp_random_graph(40, 0.15, seed=3)
    world.graph(g)
    ev = world.id("conf")
    world.presence.add_event(ev)
    attendees = [str(v) for v in range(0, 40, 2)]
    for v in attendees:
        world.presence.check_in(world.id(v), event_id=ev)
    world.presence.check_in(world.id("1"), lat=0.0, lon=0.0)  # elsewhere
    assert world.presence.attendees(ev) == sorted(world.ids(attendees))
    want = gm.Matcher(world.store).rank(world.id("0"), world.ids(attendees), limit=10)
    assert world.presence.event_introductions(ev, world.id("0")) == want
    with pytest.raises(NotCheckedIn):
        world.presence.event_introductions(ev, world.id("1"))


def _brute_force_pairs(
    g: nx.Graph,
    attendees: list[str],
    blocked: set[frozenset[str]],
    max_degree: int | None = None,
) -> list[tuple[str, str, int]]:
    out = []
    for a, b in itertools.combinations(sorted(attendees), 2):
        if g.has_edge(a, b) or frozenset((a, b)) in blocked:
            continue
        common = [
            w
            for w in nx.common_neighbors(g, a, b)
            if max_degree is None or g.degree(w) <= max_degree
        ]
        if common:
            out.append((a, b, len(common)))
    out.sort(key=lambda t: (-t[2], t[0], t[1]))
    return out


@pytest.mark.parametrize("max_degree", [None, 6])
def test_event_top_pairs_equal_brute_force(world: World, max_degree: int | None) -> None:
    g = nx.relabel_nodes(nx.gnp_random_graph(45, 0.14, seed=5), lambda v: world.id(str(v)))
    world.store.add_people([(v, {}) for v in g.nodes])
    world.store.add_friendships(g.edges)
    ev = world.id("conf")
    world.presence.add_event(ev)
    attendees = [world.id(str(v)) for v in range(0, 45) if v % 3 != 1]
    for v in attendees:
        world.presence.check_in(v, event_id=ev, visible=v != world.id("3"))
    shy = world.id("6")
    world.store.set_consent(shy, discoverable=False)
    world.store.block(world.id("0"), world.id("2"))
    world.store.block(world.id("9"), world.id("5"))
    visible = [a for a in attendees if a not in (world.id("3"), shy)]
    blocked = {frozenset((world.id("0"), world.id("2"))), frozenset((world.id("9"), world.id("5")))}
    want = _brute_force_pairs(g, visible, blocked, max_degree)
    got = world.presence.top_pairs(ev, limit=1000, max_degree=max_degree, explain=2)
    assert [(t.a, t.b, t.mutual_count) for t in got] == want
    assert len(want) > 20
    for t in got[:5]:
        common = set(nx.common_neighbors(g, t.a, t.b))
        assert set(t.mutual) <= common and len(t.mutual) == min(2, t.mutual_count)
    top3 = world.presence.top_pairs(ev, limit=3, max_degree=max_degree)
    assert [(t.a, t.b, t.mutual_count) for t in top3] == want[:3]


# -- errors --
@pytest.mark.parametrize(
    "kwargs",
    [
        {"lat": 90.0001, "lon": 0.0},
        {"lat": -90.5, "lon": 0.0},
        {"lat": 0.0, "lon": 180.0001},
        {"lat": 0.0, "lon": -181.0},
        {"lat": float("nan"), "lon": 0.0},
        {"lat": True, "lon": 0.0},
        {"lat": 0.0},
        {},
        {"lat": 0.0, "lon": 0.0, "ttl_s": 59},
        {"lat": 0.0, "lon": 0.0, "ttl_s": 86_401},
        {"lat": 0.0, "lon": 0.0, "visible": "yes"},
        {"event_id": ""},
    ],
)
def test_bad_check_ins_are_refused(world: World, kwargs: dict[str, object]) -> None:
    world.people("me")
    with pytest.raises(gm.InvalidInput):
        world.presence.check_in(world.id("me"), **kwargs)  # type: ignore[arg-type]
    assert world.presence.where(world.id("me")) is None


def test_bounds_themselves_are_accepted(world: World) -> None:
    world.people("me", "you")
    world.at("me", 90.0, 180.0, ttl_s=60)
    world.at("you", -90.0, -180.0, ttl_s=86_400)
    assert world.near("me", radius_m=1) == []
    assert world.near("me", radius_m=50_000) == []


@pytest.mark.parametrize("radius", [0.999, 50_000.001, float("inf"), "100"])
def test_bad_radius_is_refused(world: World, radius: object) -> None:
    world.people("me")
    world.at("me", 0.0, 0.0)
    with pytest.raises(gm.InvalidInput):
        world.presence.nearby(world.id("me"), radius_m=radius)  # type: ignore[arg-type]


def test_unknown_people_and_events(world: World) -> None:
    world.people("me")
    p = world.presence
    with pytest.raises(gm.PersonNotFound):
        p.check_in(world.id("nobody"), lat=0.0, lon=0.0)
    with pytest.raises(gm.PersonNotFound):
        p.nearby(world.id("nobody"))
    with pytest.raises(gm.PersonNotFound):
        p.check_out(world.id("nobody"))
    with pytest.raises(EventNotFound):
        p.check_in(world.id("me"), event_id=world.id("no-such-event"))
    with pytest.raises(EventNotFound):
        p.top_pairs(world.id("no-such-event"))
    with pytest.raises(EventNotFound):
        p.event_introductions(world.id("no-such-event"), world.id("me"))
    with pytest.raises(NotCheckedIn):
        p.nearby(world.id("me"))
    with pytest.raises(gm.InvalidInput):
        p.top_pairs(world.id("x"), limit=0)


# -- the memory index on its own --
def test_memory_index_matches_a_full_scan_everywhere_on_the_globe() -> None:
    rng = random.Random(1)
    idx = MemoryPresenceIndex()
    pts: dict[str, tuple[float, float]] = {}
    centres = [(0, 180), (0, -180), (90, 0), (-90, 0), (45, 179.9), (-60, -179.95), (10, 20)]
    for i in range(3000):
        clat, clon = centres[i % len(centres)]
        lat, lon = destination(clat, clon, rng.uniform(0, 60_000), rng.uniform(0, 360))
        pts[str(i)] = (lat, lon)
        idx.put(CheckIn(str(i), lat, lon, None, True, 0.0, 100.0), now=0.0)
    for clat, clon in centres:
        for radius in (1.0, 80.0, 900.0, 12_000.0, 50_000.0):
            want = {
                p: haversine_m(clat, clon, lat, lon)
                for p, (lat, lon) in pts.items()
                if haversine_m(clat, clon, lat, lon) <= radius
            }
            assert idx.within(clat, clon, radius, now=1.0) == want
    assert idx.purge(now=100.0) == 3000
    assert len(idx) == 0 and idx.within(0, 180, 50_000, now=100.0) == {}


def test_haversine_uses_neo4j_sphere() -> None:
    assert EARTH_RADIUS_M == 6_378_140.0
    assert haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_319.54315315113, abs=1e-6)

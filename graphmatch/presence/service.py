"""Presence: who is here now, and who here you should meet.

A person *checks in* at a coordinate and/or an event, with a time to live; they *check out*,
or the presence simply expires. Checking in is the opt-in to being found nearby: nobody is
ever shown who has not checked in. A check-in may be *see-only* (``visible=False``): the person
sees who is near, but nobody sees them. People who opted out of discovery, people blocked
either way and (unless asked for) existing friends are never shown; the ranking is exactly
:meth:`graphmatch.Matcher.rank` over the people present.

Two halves:

- a :class:`~graphmatch.presence.protocol.PresenceIndex` keeps the check-ins and events and
  answers "who is within r metres of here" and "who is at this event":
  :class:`~graphmatch.presence.memory.MemoryPresenceIndex` (a multi-level grid over 3-D
  vectors), :class:`~graphmatch.presence.file.FilePresenceIndex` (the same, kept in a file
  for the CLI) or ``Neo4jPresenceIndex`` in :mod:`graphmatch.presence.neo4j` (``:Presence``
  nodes with a point index and ``point.distance``);
- :class:`Presence` (this module) validates, applies the clock, and ranks through the
  matcher; it is the one front door for the library, the CLI and the HTTP API.

Distances are great-circle on the sphere Neo4j uses (:mod:`graphmatch.presence.geo`), so
both indexes draw the same circle.

Examples
--------
>>> import networkx as nx, graphmatch as gm
>>> from graphmatch.presence import Presence
>>> G = nx.Graph([("ann", "bob"), ("bob", "cat"), ("dan", "eve")])
>>> here = Presence(gm.MemoryStore(G), clock=lambda: 1000.0)
>>> _ = here.check_in("ann", lat=59.9139, lon=10.7522)
>>> _ = here.check_in("cat", lat=59.9140, lon=10.7522)
>>> _ = here.check_in("dan", lat=59.9141, lon=10.7522)
>>> [(n.person, n.mutual_count, n.mutual) for n in here.nearby("ann", radius_m=100)]
[('cat', 1, ['bob']), ('dan', 0, [])]
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping

from graphmatch.errors import EventNotFound, InvalidInput, NotCheckedIn, PersonNotFound
from graphmatch.matcher import MAX_LIMIT, Matcher, Suggestion, explanation_order
from graphmatch.presence.geo import (
    DEFAULT_RADIUS_M,
    DEFAULT_TTL_S,
    EARTH_RADIUS_M,
    MAX_RADIUS_M,
    MAX_TTL_S,
    MIN_RADIUS_M,
    MIN_TTL_S,
    check_coords,
    check_event_id,
    check_lat,
    check_lon,
    check_radius,
    check_ttl,
    destination,
    haversine_m,
)
from graphmatch.presence.memory import MemoryPresenceIndex
from graphmatch.presence.model import CheckIn, EventInfo, EventPair, Nearby
from graphmatch.presence.protocol import BucketsAttendees, ListsBlockedPairs, PresenceIndex

# Re-exported: every name of graphmatch.presence also imports from here.
from graphmatch.presence.protocol import ListsEvents as ListsEvents
from graphmatch.rule import DEFAULT_SCORE
from graphmatch.stores.protocol import GraphStore, RunsQueries

# Presence is this module's own name. The others lived here before presence was split into
# modules; they stay importable from here for code outside this project written against the
# old module (tests/presence/test_layout.py holds that). Import them from graphmatch.presence.
__all__ = [
    "DEFAULT_RADIUS_M",
    "DEFAULT_TTL_S",
    "EARTH_RADIUS_M",
    "MAX_RADIUS_M",
    "MAX_TTL_S",
    "MIN_RADIUS_M",
    "MIN_TTL_S",
    "CheckIn",
    "EventInfo",
    "EventNotFound",
    "EventPair",
    "MemoryPresenceIndex",
    "Nearby",
    "NotCheckedIn",
    "Presence",
    "PresenceIndex",
    "check_event_id",
    "check_lat",
    "check_lon",
    "check_radius",
    "check_ttl",
    "destination",
    "haversine_m",
]

#: Hubs above this many friends are not walked for an event's top pairs unless asked.
DEFAULT_PAIR_MAX_DEGREE: int | None = None

_NOBODY: frozenset[str] = frozenset()

Clock = Callable[[], float]


def _default_index(store: GraphStore) -> PresenceIndex:
    """Pick the index that matches the store: a Cypher store keeps presence beside the graph."""
    if isinstance(store, RunsQueries):
        # Imported here: the Neo4j index needs the driver, which only such a store brings.
        from graphmatch.presence.neo4j import Neo4jPresenceIndex

        return Neo4jPresenceIndex(store)
    return MemoryPresenceIndex()


class Presence:
    """Check-ins, nearby and event introductions over a graph store.

    Parameters
    ----------
    store : GraphStore
        The graph (people, friendships, blocks, consent).
    index : PresenceIndex, optional
        Where presence lives. Defaults to ``Neo4jPresenceIndex`` for a store that runs
        Cypher (:class:`~graphmatch.stores.protocol.RunsQueries`, i.e. a ``Neo4jStore``) and to
        a :class:`MemoryPresenceIndex` for anything else.
    matcher : Matcher, optional
        The matcher to rank with (default: a new one over store).
    clock : callable, default time.time
        Returns the current time in seconds; inject one to test expiry without sleeping.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> now = [0.0]
    >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "b")])), clock=lambda: now[0])
    >>> p.check_in("a", lat=1.0, lon=2.0, ttl_s=60).expires_at
    60.0
    >>> now[0] = 60.0
    >>> p.where("a") is None
    True
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        index: PresenceIndex | None = None,
        matcher: Matcher | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.matcher = matcher if matcher is not None else Matcher(store)
        self.index: PresenceIndex = index if index is not None else _default_index(store)
        self.clock = clock

    def close(self) -> None:
        """Release the index's resources (the graph store stays the caller's)."""
        self.index.close()

    def _now(self) -> float:
        """Return the clock's time in seconds."""
        return float(self.clock())

    def _require_person(self, person_id: str) -> None:
        """Raise PersonNotFound unless the person is in the graph store."""
        if not self.store.exists(person_id):
            raise PersonNotFound(person_id)

    # -- events ----------------------------------------------------------------------------
    def add_event(
        self, event_id: str, *, name: str = "", lat: float | None = None, lon: float | None = None
    ) -> EventInfo:
        """Create or update an event (or place) people can check in at.

        Parameters
        ----------
        event_id : str
            1 to 256 characters.
        name : str, default ""
            Display name.
        lat, lon : float, optional
            Where it is. A check-in at the event without its own coordinate takes this one,
            so attendees are also found by radius.

        Returns
        -------
        EventInfo

        Raises
        ------
        InvalidInput
            For a bad id, name or coordinate.

        Examples
        --------
        >>> import graphmatch as gm
        >>> Presence(gm.MemoryStore()).add_event("conf", name="Conf", lat=0, lon=0).name
        'Conf'
        """
        check_event_id(event_id)
        if not isinstance(name, str) or len(name) > 1000:
            raise InvalidInput("event names are strings of at most 1000 characters")
        coords = check_coords(lat, lon)
        info = EventInfo(event_id, name, *(coords or (None, None)))
        self.index.put_event(info)
        return info

    def event(self, event_id: str) -> EventInfo:
        """Return a known event.

        Parameters
        ----------
        event_id : str

        Returns
        -------
        EventInfo

        Raises
        ------
        EventNotFound
            If the event is unknown.
        InvalidInput
            For a malformed id.

        Examples
        --------
        >>> import graphmatch as gm
        >>> p = Presence(gm.MemoryStore())
        >>> _ = p.add_event("conf")
        >>> p.event("conf").id
        'conf'
        """
        check_event_id(event_id)
        found = self.index.get_event(event_id)
        if found is None:
            raise EventNotFound(event_id)
        return found

    # -- check in / out --------------------------------------------------------------------
    def check_in(
        self,
        person_id: str,
        *,
        lat: float | None = None,
        lon: float | None = None,
        event_id: str | None = None,
        ttl_s: float = DEFAULT_TTL_S,
        visible: bool = True,
    ) -> CheckIn:
        """Check a person in at a coordinate and/or an event; replaces any earlier check-in.

        Parameters
        ----------
        person_id : str
            Who checks in.
        lat, lon : float, optional
            Where (degrees; lat in [-90, 90], lon in [-180, 180]); give both or neither.
        event_id : str, optional
            A known event. Without lat/lon the event's own location (if any) is used.
        ttl_s : float, default 7200
            Seconds until the presence expires on its own, 60 s to 24 h.
        visible : bool, default True
            False for see-only: the person sees who is near, nobody sees them.

        Returns
        -------
        CheckIn

        Raises
        ------
        PersonNotFound
            If the person is unknown.
        EventNotFound
            If event_id is not a known event.
        InvalidInput
            For out-of-range coordinates or ttl, or neither a coordinate nor an event.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "b")])), clock=lambda: 0.0)
        >>> p.check_in("a", lat=48.85, lon=2.35, visible=False).visible
        False
        """
        ttl = check_ttl(ttl_s)
        coords = check_coords(lat, lon)
        if not isinstance(visible, bool):
            raise InvalidInput(f"visible must be true or false, got {visible!r}")
        if event_id is not None:
            info = self.event(event_id)
            if coords is None and info.lat is not None and info.lon is not None:
                coords = (info.lat, info.lon)
        elif coords is None:
            raise InvalidInput("check in at a coordinate (lat, lon), an event, or both")
        self._require_person(person_id)
        now = self._now()
        lat_, lon_ = coords if coords is not None else (None, None)
        record = CheckIn(person_id, lat_, lon_, event_id, visible, now, now + ttl)
        self.index.put(record, now)
        return record

    def check_out(self, person_id: str) -> bool:
        """End a person's presence now.

        Parameters
        ----------
        person_id : str

        Returns
        -------
        bool
            True if they had a live presence.

        Raises
        ------
        PersonNotFound
            If the person is unknown.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "b")])))
        >>> p.check_out("a")
        False
        """
        self._require_person(person_id)
        return self.index.remove(person_id, self._now())

    def where(self, person_id: str) -> CheckIn | None:
        """Return the person's live presence, or None if they are not checked in.

        Parameters
        ----------
        person_id : str

        Returns
        -------
        CheckIn or None

        Raises
        ------
        PersonNotFound
            If the person is unknown.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> Presence(gm.MemoryStore(nx.Graph([("a", "b")]))).where("a") is None
        True
        """
        self._require_person(person_id)
        return self.index.get(person_id, self._now())

    # -- nearby ----------------------------------------------------------------------------
    def nearby(
        self,
        person_id: str,
        *,
        radius_m: float = DEFAULT_RADIUS_M,
        limit: int = 10,
        score: str = DEFAULT_SCORE,
        include_friends: bool = False,
        max_degree: int | None = None,
        explain: int | None = None,
    ) -> list[Nearby]:
        """Rank the people present near a person: within radius_m of them or at their event.

        The candidates are the visible, live presences within radius_m of the person's
        coordinate plus those at the person's event; the order and every filter are
        :meth:`Matcher.rank`'s over them (the person, blocked either way, opted out of
        discovery, and friends unless include_friends are dropped).

        Parameters
        ----------
        person_id : str
            Who asks; they must be checked in (see-only is enough).
        radius_m : float, default 100
            1 m to 50 km, great-circle.
        limit : int, default 10
            1 to 1000.
        score : str, default "cn_ra"
            One of :data:`graphmatch.SCORES`.
        include_friends : bool, default False
            Keep people who are already friends.
        max_degree : int, optional
            Degree cap on the mutual friends, as in :meth:`Matcher.suggest`.
        explain : int, optional
            Mutual friends named per person.

        Returns
        -------
        list of Nearby

        Raises
        ------
        PersonNotFound
            If the person is unknown.
        NotCheckedIn
            If the person has no live presence.
        InvalidInput
            For an out-of-range radius, limit, max_degree or explain, or an unknown score.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> G = nx.Graph([("a", "w"), ("w", "b"), ("c", "d")])
        >>> p = Presence(gm.MemoryStore(G), clock=lambda: 0.0)
        >>> for who in "abc":
        ...     _ = p.check_in(who, lat=0.0, lon=0.0)
        >>> [n.person for n in p.nearby("a")]
        ['b', 'c']
        """
        radius = check_radius(radius_m)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
        self._require_person(person_id)
        now = self._now()
        me = self.index.get(person_id, now)
        if me is None:
            raise NotCheckedIn(person_id)
        dist: dict[str, float] = {}
        if me.lat is not None and me.lon is not None:
            dist = self.index.within(me.lat, me.lon, radius, now)
        same = set(self.index.at_event(me.event, now)) if me.event is not None else set()
        candidates = (dist.keys() | same) - {person_id}
        ranked = self._rank(
            person_id, candidates, score, limit, include_friends, max_degree, explain
        )
        out = []
        for s in ranked:
            d = dist.get(s.person)
            if d is None and me.lat is not None and s.person in same:
                # At the same event but outside the radius: still say how far, if known.
                them = self.index.get(s.person, now)
                if them is not None and them.lat is not None and them.lon is not None:
                    d = haversine_m(me.lat, me.lon, them.lat, them.lon)  # type: ignore[arg-type]
            out.append(Nearby(s.person, s.score, s.mutual_count, s.mutual, d, s.person in same))
        return out

    def _rank(
        self,
        person_id: str,
        candidates: Iterable[str],
        score: str,
        limit: int | None,
        include_friends: bool,
        max_degree: int | None,
        explain: int | None,
    ) -> list[Suggestion]:
        """Rank the candidates that are still people (a person may be deleted while present)."""
        wanted = sorted(candidates)
        known = self.store.degrees(wanted)  # one batched read; unknown ids are left out
        alive = [c for c in wanted if c in known]
        if not isinstance(include_friends, bool):
            raise InvalidInput(f"include_friends must be true or false, got {include_friends!r}")
        return self.matcher.rank(
            person_id,
            alive,
            score,
            limit=limit,
            max_degree=max_degree,
            explain=explain,
            include_friends=include_friends,
        )

    # -- events: who is here, whom to meet, whom to introduce --------------------------------
    def attendees(self, event_id: str) -> list[str]:
        """Return the people visibly checked in at an event, sorted by id.

        Parameters
        ----------
        event_id : str

        Returns
        -------
        list of str

        Raises
        ------
        EventNotFound
            If the event is unknown.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "b")])))
        >>> _ = p.add_event("conf")
        >>> _ = p.check_in("b", event_id="conf")
        >>> p.attendees("conf")
        ['b']
        """
        self.event(event_id)
        present = self.index.at_event(event_id, self._now())
        known = self.store.degrees(present)
        return [p for p in present if p in known]

    def event_introductions(
        self,
        event_id: str,
        person_id: str,
        *,
        limit: int = 10,
        score: str = DEFAULT_SCORE,
        include_friends: bool = False,
        max_degree: int | None = None,
        explain: int | None = None,
    ) -> list[Suggestion]:
        """Return the best introductions for a person among an event's attendees.

        Exactly :meth:`Matcher.rank` over :meth:`attendees`. The person must be checked in at
        the event (see-only is enough): being there is what lets you look.

        Parameters
        ----------
        event_id : str
            A known event.
        person_id : str
            Who the introductions are for.
        limit : int, default 10
            1 to 1000.
        score : str, default "cn_ra"
            One of :data:`graphmatch.SCORES`.
        include_friends : bool, default False
            Keep attendees who are already friends.
        max_degree : int, optional
            Degree cap on the mutual friends.
        explain : int, optional
            Mutual friends named per person.

        Returns
        -------
        list of Suggestion

        Raises
        ------
        EventNotFound
            If the event is unknown.
        PersonNotFound
            If the person is unknown.
        NotCheckedIn
            If the person is not checked in at this event.
        InvalidInput
            For an out-of-range limit, max_degree or explain, or an unknown score.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b"), ("c", "d")])))
        >>> _ = p.add_event("conf")
        >>> for who in "abc":
        ...     _ = p.check_in(who, event_id="conf")
        >>> [s.person for s in p.event_introductions("conf", "a")]
        ['b', 'c']
        """
        self.event(event_id)
        self._require_person(person_id)
        me = self.index.get(person_id, self._now())
        if me is None or me.event != event_id:
            raise NotCheckedIn(person_id, event_id)
        return self._rank(
            person_id,
            self.attendees(event_id),
            score,
            limit,
            include_friends,
            max_degree,
            explain,
        )

    def top_pairs(
        self,
        event_id: str,
        *,
        limit: int = 10,
        max_degree: int | None = DEFAULT_PAIR_MAX_DEGREE,
        explain: int | None = None,
    ) -> list[EventPair]:
        """Return the attendee pairs most worth introducing: not friends, most mutual friends.

        Never compares all pairs. Each attendee's friend list is read once and every friend
        w is given the bucket A_w of attendees who know w; only pairs inside one bucket can
        share a friend, and each such pair gains one per bucket. The work is
        O(sum of attendees' degrees + sum over w of |A_w|^2 / 2): the friend lists plus the
        (pair, mutual friend) incidences that the answer is made of, which never exceeds the
        attendees' two-hop volume. ``max_degree`` skips hub friends (each then adds at most
        max_degree^2 / 2). Pairs blocked either way, or with someone who opted out of
        discovery, are left out; a pair's named mutual friends leave out anyone blocked either
        way with a or b (counted all the same). Order: mutual count desc, then (a, b) asc
        with a < b.

        Parameters
        ----------
        event_id : str
            A known event.
        limit : int, default 10
            1 to 1000 pairs.
        max_degree : int, optional
            Mutual friends with more friends than this are not counted.
        explain : int, optional
            Mutual friends named per pair (default: the matcher's).

        Returns
        -------
        list of EventPair

        Raises
        ------
        EventNotFound
            If the event is unknown.
        InvalidInput
            For an out-of-range limit, max_degree or explain.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> G = nx.Graph([("a", "w"), ("w", "b"), ("a", "x"), ("x", "b"), ("x", "c")])
        >>> p = Presence(gm.MemoryStore(G))
        >>> _ = p.add_event("conf")
        >>> for who in "abc":
        ...     _ = p.check_in(who, event_id="conf")
        >>> [(t.a, t.b, t.mutual_count, t.mutual) for t in p.top_pairs("conf")]
        [('a', 'b', 2, ['w', 'x']), ('a', 'c', 1, ['x']), ('b', 'c', 1, ['x'])]
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
        if max_degree is not None and (
            isinstance(max_degree, bool) or not isinstance(max_degree, int) or max_degree < 1
        ):
            raise InvalidInput(f"max_degree must be a positive integer, got {max_degree!r}")
        n_explain = self.matcher.explain if explain is None else explain
        if isinstance(n_explain, bool) or not isinstance(n_explain, int) or n_explain < 0:
            raise InvalidInput(f"explain must be a non-negative integer, got {explain!r}")
        store = self.store
        present = self.attendees(event_id)
        hidden_people = store.undiscoverable(present)
        att = [a for a in present if a not in hidden_people]
        att_set = set(att)
        if len(att) < 2:
            return []
        buckets = self._buckets(att)
        degs = store.degrees(buckets)
        friends_pairs: set[tuple[str, str]] = set()
        counts: dict[tuple[str, str], int] = {}
        for w, members in buckets.items():
            if w in att_set:
                for a in members:  # w and each a are friends, both attendees
                    friends_pairs.add((a, w) if a < w else (w, a))
            if len(members) < 2 or (max_degree is not None and degs.get(w, 0) > max_degree):
                continue
            members.sort()
            get = counts.get
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    counts[(a, b)] = get((a, b), 0) + 1
        blocked = self._blocked_pairs(att)
        scored = [
            (-c, pair)
            for pair, c in counts.items()
            if pair not in friends_pairs and pair not in blocked
        ]
        best = heapq.nsmallest(limit, scored)
        return self._explain_pairs([(pair, -neg) for neg, pair in best], max_degree, n_explain)

    def _buckets(self, attendees: list[str]) -> dict[str, list[str]]:
        """Map each friend w of any attendee to the attendees who know w."""
        if isinstance(self.index, BucketsAttendees):
            # The Neo4j index answers with one query instead of one per attendee.
            return self.index.attendee_buckets(attendees)
        buckets: dict[str, list[str]] = {}
        for a in attendees:
            for w in self.store.friends(a):
                buckets.setdefault(w, []).append(a)
        return buckets

    def _blocked_pairs(self, attendees: list[str]) -> set[tuple[str, str]]:
        """Return the attendee pairs (a < b) with a block either way."""
        if isinstance(self.index, ListsBlockedPairs):
            return self.index.blocked_pairs(attendees)
        att = set(attendees)
        out: set[tuple[str, str]] = set()
        for a in attendees:
            for b in self.store.blocked_with(a):
                if b in att:
                    out.add((a, b) if a < b else (b, a))
        return out

    def _explain_pairs(
        self,
        ranked: list[tuple[tuple[str, str], int]],
        max_degree: int | None,
        n_explain: int,
    ) -> list[EventPair]:
        """Name up to n_explain mutual friends per pair, strongest tie first.

        A pair's list may be shown to either of the two, so it names nobody blocked either
        way with a or with b (they still count).
        """
        if n_explain == 0 or not ranked:
            return [EventPair(a, b, c, []) for (a, b), c in ranked]
        commons: list[Mapping[str, int]] = [
            self.store.mutual(a, [b], max_degree)[b] for (a, b), _ in ranked
        ]
        everyone = set().union(*(c.keys() for c in commons))
        hidden = self.store.hidden_as_mutual(everyone) if everyone else set()
        members = {x for (a, b), _ in ranked for x in (a, b)}
        blocks = self._blocks_of(members, everyone)
        out = []
        for ((a, b), count), common in zip(ranked, commons, strict=True):
            unnamed = blocks.get(a, _NOBODY) | blocks.get(b, _NOBODY)
            named = [w for w in explanation_order(common) if w not in hidden and w not in unnamed]
            out.append(EventPair(a, b, count, named[:n_explain]))
        return out

    def _blocks_of(self, members: set[str], others: set[str]) -> dict[str, set[str]]:
        """Map each of members to those of others blocked with them either way."""
        out: dict[str, set[str]] = {}
        if isinstance(self.index, ListsBlockedPairs):
            # One query over everyone involved instead of one per pair member.
            for x, y in self.index.blocked_pairs(sorted(members | others)):
                if x in members and y in others:
                    out.setdefault(x, set()).add(y)
                if y in members and x in others:
                    out.setdefault(y, set()).add(x)
            return out
        for x in members:
            out[x] = self.store.blocked_with(x) & others
        return out

    def check_in_attendees(
        self,
        event_id: str,
        attendees: Iterable[str],
        *,
        ttl_s: float = DEFAULT_TTL_S,
        jitter_m: float = 0.0,
        seed: int = 0,
    ) -> int:
        """Check many people in at a known event at once (demo seeding, imports).

        Parameters
        ----------
        event_id : str
            A known event; its location is used when it has one.
        attendees : iterable of str
            Person ids; unknown ones raise before anything is written.
        ttl_s : float, default 7200
            Time to live of every check-in.
        jitter_m : float, default 0
            Scatter each attendee up to this many metres from the event's location (so a
            radius query at the venue looks realistic). Ignored without a location.
        seed : int, default 0
            Seed of the scatter.

        Returns
        -------
        int
            How many people were checked in.

        Raises
        ------
        EventNotFound
            If the event is unknown.
        PersonNotFound
            If an attendee is unknown.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> p = Presence(gm.MemoryStore(nx.Graph([("a", "b")])))
        >>> _ = p.add_event("conf", lat=52.52, lon=13.40)
        >>> p.check_in_attendees("conf", ["a", "b"], jitter_m=50)
        2
        """
        import random

        info = self.event(event_id)
        people = list(dict.fromkeys(attendees))
        known = self.store.degrees(people)
        missing = next((p for p in people if p not in known), None)
        if missing is not None:
            self._require_person(missing)
        rng = random.Random(seed)
        ttl = check_ttl(ttl_s)
        now = self._now()
        for person in people:
            lat, lon = info.lat, info.lon
            if lat is not None and lon is not None and jitter_m > 0:
                lat, lon = destination(lat, lon, rng.uniform(0, jitter_m), rng.uniform(0, 360))
            self.index.put(CheckIn(person, lat, lon, event_id, True, now, now + ttl), now)
        return len(people)

"""Presence: who is here now, and who here you should meet.

A person *checks in* at a coordinate and/or an event, with a time to live; they *check out*,
or the presence simply expires. Checking in is the opt-in to being found nearby: nobody is
ever shown who has not checked in. A check-in may be *see-only* (``visible=False``): the person
sees who is near, but nobody sees them. People who opted out of discovery, people blocked
either way and (unless asked for) existing friends are never shown; the ranking is exactly
:meth:`graphmatch.Matcher.rank` over the people present.

Two halves:

- a :class:`PresenceIndex` keeps the check-ins and events and answers "who is within r metres
  of here" and "who is at this event": :class:`MemoryPresenceIndex` (a multi-level grid over
  3-D unit vectors, below) or ``Neo4jPresenceIndex`` in :mod:`graphmatch.presence.neo4j`
  (``:Presence`` nodes with a point index and ``point.distance``);
- :class:`Presence` validates, applies the clock, and ranks through the matcher; it is the
  one front door for the library, the CLI and the HTTP API.

Distances are great-circle (haversine) on a sphere of radius :data:`EARTH_RADIUS_M`, the
radius Neo4j's ``point.distance`` uses for WGS-84 points, so both stores draw the same circle
to the millimetre and a person one metre outside the radius is outside on both.

Examples
--------
>>> import networkx as nx, graphmatch as gm
>>> from graphmatch.presence.service import Presence
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
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from graphmatch.errors import GraphMatchError, InvalidInput
from graphmatch.matcher import MAX_LIMIT, Matcher, Suggestion, explanation_order
from graphmatch.rule import DEFAULT_SCORE
from graphmatch.stores.protocol import GraphStore

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

#: Sphere radius in metres: Neo4j's for WGS-84 ``point.distance``, so both stores agree.
EARTH_RADIUS_M = 6_378_140.0
DEFAULT_TTL_S = 2 * 3600
MIN_TTL_S = 60
MAX_TTL_S = 24 * 3600
DEFAULT_RADIUS_M = 100.0
MIN_RADIUS_M = 1.0
MAX_RADIUS_M = 50_000.0
MAX_EVENT_ID = 256
#: Hubs above this many friends are not walked for an event's top pairs unless asked.
DEFAULT_PAIR_MAX_DEGREE: int | None = None

Clock = Callable[[], float]


# -- errors ----------------------------------------------------------------------------------
class EventNotFound(GraphMatchError, LookupError):
    """An event id that is not known (HTTP 404 ``event_not_found``)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id!r} not found")
        self.event_id = event_id


class NotCheckedIn(GraphMatchError):
    """A person asked who is near (or who is at an event) without being checked in there.

    HTTP 409 ``not_checked_in``: checking in is what lets a person look as well as be seen.
    """

    def __init__(self, person_id: str, event_id: str | None = None) -> None:
        where = f" at event {event_id!r}" if event_id is not None else ""
        super().__init__(f"person {person_id!r} is not checked in{where}")
        self.person_id = person_id
        self.event_id = event_id


# -- records ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckIn:
    """One person's presence: where (a coordinate and/or an event), until when, and whether
    others may see them.
    """

    person: str
    lat: float | None
    lon: float | None
    event: str | None
    visible: bool
    checked_in_at: float
    expires_at: float

    def ttl_left(self, now: float) -> float:
        """Return the seconds left before the presence expires (0 once expired)."""
        return max(0.0, self.expires_at - now)

    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        """Return the check-in as JSON-ready data (with ``ttl_s`` left if now is given)."""
        out: dict[str, Any] = {
            "id": self.person,
            "lat": self.lat,
            "lon": self.lon,
            "event_id": self.event,
            "visible": self.visible,
            "checked_in_at": self.checked_in_at,
            "expires_at": self.expires_at,
        }
        if now is not None:
            out["ttl_s"] = round(self.ttl_left(now), 3)
        return out


@dataclass(frozen=True)
class EventInfo:
    """A known event (or place): id, display name and an optional location."""

    id: str
    name: str = ""
    lat: float | None = None
    lon: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready data."""
        return {"id": self.id, "name": self.name, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Nearby:
    """One person near you: the ranking fields of a :class:`~graphmatch.Suggestion`, plus how
    far away they are (None when they matched through the event only and gave no coordinate)
    and whether they are at your event.
    """

    person: str
    score: float
    mutual_count: int
    mutual: list[str] = field(default_factory=list)
    distance_m: float | None = None
    same_event: bool = False

    def as_dict(self) -> dict[str, object]:
        """Return JSON-ready data; the distance is rounded to whole metres.

        Rounding keeps answers stable and gives a little less for anyone trying to
        trilaterate a person from several queries.
        """
        return {
            "id": self.person,
            "score": self.score,
            "mutual_count": self.mutual_count,
            "mutual": list(self.mutual),
            "distance_m": None if self.distance_m is None else round(self.distance_m),
            "same_event": self.same_event,
        }


@dataclass(frozen=True)
class EventPair:
    """Two attendees who are not friends yet, with their mutual friends (named, strongest
    tie first, those who opted out of being named left out).
    """

    a: str
    b: str
    mutual_count: int
    mutual: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return JSON-ready data."""
        return {
            "a": self.a,
            "b": self.b,
            "mutual_count": self.mutual_count,
            "mutual": list(self.mutual),
        }


# -- validation -------------------------------------------------------------------------------
def _number(name: str, value: object, low: float, high: float, unit: str = "") -> float:
    """Return value as a float if it is a finite real number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be from {low:g} to {high:g}{unit}, got {value!r}")
    return float(value)


def check_lat(lat: object) -> float:
    """Return a latitude in degrees, or raise.

    Parameters
    ----------
    lat : float
        Degrees north, -90 to 90.

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If lat is not a finite number in [-90, 90].

    Examples
    --------
    >>> check_lat(59.9)
    59.9
    """
    return _number("lat", lat, -90.0, 90.0)


def check_lon(lon: object) -> float:
    """Return a longitude in degrees, or raise.

    Parameters
    ----------
    lon : float
        Degrees east, -180 to 180.

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If lon is not a finite number in [-180, 180].

    Examples
    --------
    >>> check_lon(-179.5)
    -179.5
    """
    return _number("lon", lon, -180.0, 180.0)


def check_radius(radius_m: object) -> float:
    """Return a search radius in metres, or raise.

    Parameters
    ----------
    radius_m : float
        :data:`MIN_RADIUS_M` (1 m) to :data:`MAX_RADIUS_M` (50 km).

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If radius_m is out of bounds or not a number.

    Examples
    --------
    >>> check_radius(250)
    250.0
    """
    return _number("radius_m", radius_m, MIN_RADIUS_M, MAX_RADIUS_M, " m")


def check_ttl(ttl_s: object) -> float:
    """Return a presence time to live in seconds, or raise.

    Parameters
    ----------
    ttl_s : float
        :data:`MIN_TTL_S` (60 s) to :data:`MAX_TTL_S` (24 h).

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        If ttl_s is out of bounds or not a number.

    Examples
    --------
    >>> check_ttl(3600)
    3600.0
    """
    return _number("ttl_s", ttl_s, MIN_TTL_S, MAX_TTL_S, " s")


def check_event_id(event_id: object) -> str:
    """Return an event id (a non-empty string of at most 256 characters), or raise.

    Parameters
    ----------
    event_id : str

    Returns
    -------
    str

    Raises
    ------
    InvalidInput
        For anything else.

    Examples
    --------
    >>> check_event_id("pycon-2025")
    'pycon-2025'
    """
    if not isinstance(event_id, str) or not event_id or len(event_id) > MAX_EVENT_ID:
        raise InvalidInput(f"event ids are strings of 1 to {MAX_EVENT_ID} characters")
    return event_id


def _check_coords(lat: object, lon: object) -> tuple[float, float] | None:
    """Return a validated (lat, lon), None for neither, or raise for only one of them."""
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise InvalidInput("give both lat and lon, or neither")
    return check_lat(lat), check_lon(lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres, as Neo4j's ``point.distance`` computes it.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float
        Degrees.

    Returns
    -------
    float
        Metres on a sphere of radius :data:`EARTH_RADIUS_M`.

    Examples
    --------
    >>> round(haversine_m(0.0, 0.0, 0.0, 1.0), 3)
    111319.543
    >>> round(haversine_m(0.0, 179.9, 0.0, -179.9), 1)  # across the antimeridian
    22263.9
    """
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    h = min(1.0, h)  # rounding can push antipodal points a hair over 1
    return 2 * EARTH_RADIUS_M * math.atan2(math.sqrt(h), math.sqrt(1 - h))


# -- the index seam ---------------------------------------------------------------------------
@runtime_checkable
class PresenceIndex(Protocol):
    """Where check-ins and events live, and the two spatial/event reads.

    Every read takes ``now`` (seconds, the :class:`Presence` clock) and ignores presences that
    expired at or before it. The index holds no graph: people's existence, blocks and consent
    are checked by :class:`Presence` against the graph store.
    """

    def put(self, record: CheckIn, now: float) -> None:
        """Store record as the person's one presence (replacing any earlier one)."""

    def remove(self, person_id: str, now: float) -> bool:
        """Drop the person's presence; return whether a live one was there."""

    def get(self, person_id: str, now: float) -> CheckIn | None:
        """Return the person's live presence, or None."""

    def within(self, lat: float, lon: float, radius_m: float, now: float) -> dict[str, float]:
        """Return ``{person: distance_m}`` for visible live presences within radius_m."""

    def at_event(self, event_id: str, now: float) -> list[str]:
        """Return the visible live presences at the event, sorted by id."""

    def put_event(self, event: EventInfo) -> bool:
        """Create or update an event; return True if it is new."""

    def get_event(self, event_id: str) -> EventInfo | None:
        """Return the event, or None if unknown."""

    def purge(self, now: float) -> int:
        """Forget presences that expired at or before now; return how many."""

    def close(self) -> None:
        """Release resources."""


# -- the memory index -------------------------------------------------------------------------
#: Edge of the finest grid cell in metres; each coarser level doubles it.
BASE_CELL_M = 64.0
#: 64 m .. 32.8 km: the coarsest cell is at least half the chord of the largest radius.
GRID_LEVELS = 10
_OFF = 1 << 20  # keeps cell coordinates non-negative for packing (R / 64 m < 2**17)


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    """Return the point as a 3-D vector of length :data:`EARTH_RADIUS_M`."""
    p, q = math.radians(lat), math.radians(lon)
    c = math.cos(p)
    return (
        EARTH_RADIUS_M * c * math.cos(q),
        EARTH_RADIUS_M * c * math.sin(q),
        EARTH_RADIUS_M * math.sin(p),
    )


def _cell_key(ix: int, iy: int, iz: int) -> int:
    # One int per cell: hashing an int is cheaper than hashing a tuple of three.
    return ((ix + _OFF) << 42) | ((iy + _OFF) << 21) | (iz + _OFF)


class MemoryPresenceIndex:
    """Presence in memory: a multi-level uniform grid over 3-D unit vectors.

    Each visible presence is filed in one cubic cell per level (edges 64 m, 128 m, ...
    32.8 km) of a grid laid over the points' Earth-centred 3-D coordinates. A query of radius
    r turns into the chord c = 2R sin(r / 2R), picks the finest level whose cell edge is at
    least c / 2, visits the at most 5 x 5 x 5 cells that meet the cube of half-side c around
    the centre, and keeps the people whose haversine distance is at most r. Working in 3-D
    rather than latitude/longitude leaves no seams: the antimeridian and the poles are
    ordinary places, with no wrap-around or shrinking-longitude special cases. A query costs
    O(cells + people in them), never O(everyone present).

    Expiry is lazy: reads skip expired presences, and a heap of expiry times lets every write
    and query purge what has expired, so the grid does not grow with stale check-ins.

    Thread-safe (one lock). Not persistent: presence lasts at most a day and is re-given by
    checking in again.

    Examples
    --------
    >>> idx = MemoryPresenceIndex()
    >>> idx.put(CheckIn("a", 0.0, 179.9995, None, True, 0.0, 60.0), now=0.0)
    >>> found = idx.within(0.0, -179.9995, 120.0, now=1.0)  # across the antimeridian
    >>> {who: round(d, 3) for who, d in found.items()}
    {'a': 111.32}
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, CheckIn] = {}
        self._keys: dict[str, list[int]] = {}  # person -> their cell key per level
        # person -> (lat in radians, its cosine, lon in degrees, expires_at): what the
        # distance test needs, precomputed once per check-in rather than once per query.
        self._pts: dict[str, tuple[float, float, float, float]] = {}
        self._cells: list[dict[int, set[str]]] = [{} for _ in range(GRID_LEVELS)]
        self._sizes = [BASE_CELL_M * 2**k for k in range(GRID_LEVELS)]
        self._events: dict[str, EventInfo] = {}
        self._attendees: dict[str, set[str]] = {}
        self._expiry: list[tuple[float, int, str]] = []
        self._seq = 0
        self._seq_of: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._records)

    # -- writes ----------------------------------------------------------------------------
    def put(self, record: CheckIn, now: float) -> None:
        """Store record as the person's presence, replacing any earlier one."""
        with self._lock:
            self.purge(now)
            self._drop(record.person)
            self._records[record.person] = record
            self._seq += 1
            self._seq_of[record.person] = self._seq
            heapq.heappush(self._expiry, (record.expires_at, self._seq, record.person))
            if not record.visible:
                return  # see-only: kept so the person can look, filed nowhere others look
            if record.lat is not None and record.lon is not None:
                x, y, z = _unit(record.lat, record.lon)
                keys = []
                for cells, size in zip(self._cells, self._sizes, strict=True):
                    key = _cell_key(
                        math.floor(x / size), math.floor(y / size), math.floor(z / size)
                    )
                    cells.setdefault(key, set()).add(record.person)
                    keys.append(key)
                self._keys[record.person] = keys
                p = math.radians(record.lat)
                self._pts[record.person] = (p, math.cos(p), record.lon, record.expires_at)
            if record.event is not None:
                self._attendees.setdefault(record.event, set()).add(record.person)

    def _drop(self, person_id: str) -> CheckIn | None:
        """Remove a person's presence from every structure (the heap entry goes stale)."""
        old = self._records.pop(person_id, None)
        self._seq_of.pop(person_id, None)
        self._pts.pop(person_id, None)
        for cells, key in zip(self._cells, self._keys.pop(person_id, ()), strict=False):
            members = cells.get(key)
            if members is not None:
                members.discard(person_id)
                if not members:
                    del cells[key]
        if old is not None and old.event is not None:
            att = self._attendees.get(old.event)
            if att is not None:
                att.discard(person_id)
                if not att:
                    del self._attendees[old.event]
        return old

    def remove(self, person_id: str, now: float) -> bool:
        """Drop the person's presence; return whether a live one was there."""
        with self._lock:
            old = self._drop(person_id)
            return old is not None and old.expires_at > now

    def purge(self, now: float) -> int:
        """Forget presences that expired at or before now; return how many."""
        n = 0
        with self._lock:
            heap = self._expiry
            while heap and heap[0][0] <= now:
                _, seq, person = heapq.heappop(heap)
                if self._seq_of.get(person) == seq:  # else superseded by a later check-in
                    self._drop(person)
                    n += 1
        return n

    def put_event(self, event: EventInfo) -> bool:
        """Create or update an event; return True if it is new."""
        with self._lock:
            new = event.id not in self._events
            self._events[event.id] = event
            return new

    # -- reads -----------------------------------------------------------------------------
    def get(self, person_id: str, now: float) -> CheckIn | None:
        """Return the person's live presence, or None."""
        with self._lock:
            rec = self._records.get(person_id)
            return rec if rec is not None and rec.expires_at > now else None

    def get_event(self, event_id: str) -> EventInfo | None:
        """Return the event, or None."""
        with self._lock:
            return self._events.get(event_id)

    def within(self, lat: float, lon: float, radius_m: float, now: float) -> dict[str, float]:
        """Return ``{person: distance_m}`` for visible live presences within radius_m."""
        # A little slack on the chord so rounding never loses a point on the boundary; the
        # exact haversine test below decides.
        chord = 2 * EARTH_RADIUS_M * math.sin(min(radius_m / (2 * EARTH_RADIUS_M), math.pi / 2))
        chord = chord * (1 + 1e-9) + 1e-3
        level = next((k for k, s in enumerate(self._sizes) if s >= chord / 2), len(self._sizes) - 1)
        size = self._sizes[level]
        x, y, z = _unit(lat, lon)
        xs = range(math.floor((x - chord) / size), math.floor((x + chord) / size) + 1)
        ys = range(math.floor((y - chord) / size), math.floor((y + chord) / size) + 1)
        zs = range(math.floor((z - chord) / size), math.floor((z + chord) / size) + 1)
        out: dict[str, float] = {}
        p1 = math.radians(lat)
        cos1 = math.cos(p1)
        sin, rad, atan2, sqrt = math.sin, math.radians, math.atan2, math.sqrt
        two_r = 2 * EARTH_RADIUS_M
        with self._lock:
            self.purge(now)
            cells = self._cells[level]
            pts = self._pts
            for ix in xs:
                for iy in ys:
                    base = ((ix + _OFF) << 42) | ((iy + _OFF) << 21)
                    for iz in zs:
                        members = cells.get(base | (iz + _OFF))
                        if not members:
                            continue
                        for person in members:
                            p2, cos2, lon2, expires = pts[person]
                            # Inlined haversine_m (same operations, same result): this loop
                            # is the hot path of every nearby query.
                            h = (
                                sin((p2 - p1) / 2) ** 2
                                + cos1 * cos2 * sin(rad(lon2 - lon) / 2) ** 2
                            )
                            h = min(1.0, h)
                            d = two_r * atan2(sqrt(h), sqrt(1 - h))
                            if d <= radius_m and expires > now:
                                out[person] = d
        return out

    def at_event(self, event_id: str, now: float) -> list[str]:
        """Return the visible live presences at the event, sorted by id."""
        with self._lock:
            self.purge(now)
            records = self._records
            return sorted(
                p for p in self._attendees.get(event_id, ()) if records[p].expires_at > now
            )

    def close(self) -> None:
        """Do nothing: there is nothing to release."""


# -- the front door ---------------------------------------------------------------------------
def _default_index(store: GraphStore) -> PresenceIndex:
    """Pick the index that matches the store: Neo4j keeps presence beside the graph."""
    try:
        from graphmatch.stores.neo4j.store import Neo4jStore
    except ImportError:  # pragma: no cover - the driver is a dependency
        return MemoryPresenceIndex()
    if isinstance(store, Neo4jStore):
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
        Where presence lives. Defaults to ``Neo4jPresenceIndex`` for a ``Neo4jStore`` and to
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
        return float(self.clock())

    def _require_person(self, person_id: str) -> None:
        if not self.store.exists(person_id):
            from graphmatch.errors import PersonNotFound

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
        coords = _check_coords(lat, lon)
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
        coords = _check_coords(lat, lon)
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
        discovery, are left out. Order: mutual count desc, then (a, b) asc with a < b.

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
        fast = getattr(self.index, "attendee_buckets", None)
        if fast is not None:
            # The Neo4j index answers with one query instead of one per attendee.
            pushed: dict[str, list[str]] = fast(attendees)
            return pushed
        buckets: dict[str, list[str]] = {}
        for a in attendees:
            for w in self.store.friends(a):
                buckets.setdefault(w, []).append(a)
        return buckets

    def _blocked_pairs(self, attendees: list[str]) -> set[tuple[str, str]]:
        """Return the attendee pairs (a < b) with a block either way."""
        fast = getattr(self.index, "blocked_pairs", None)
        if fast is not None:
            pushed: set[tuple[str, str]] = fast(attendees)
            return pushed
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
        """Name up to n_explain mutual friends per pair, strongest tie first."""
        if n_explain == 0 or not ranked:
            return [EventPair(a, b, c, []) for (a, b), c in ranked]
        commons: list[Mapping[str, int]] = [
            self.store.mutual(a, [b], max_degree)[b] for (a, b), _ in ranked
        ]
        everyone = set().union(*(c.keys() for c in commons))
        hidden = self.store.hidden_as_mutual(everyone) if everyone else set()
        out = []
        for ((a, b), count), common in zip(ranked, commons, strict=True):
            named = [w for w in explanation_order(common) if w not in hidden]
            out.append(EventPair(a, b, count, named[:n_explain]))
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


def destination(lat: float, lon: float, dist_m: float, bearing_deg: float) -> tuple[float, float]:
    """Return the point dist_m from (lat, lon) along an initial bearing, on the same sphere.

    Parameters
    ----------
    lat, lon : float
        Start, degrees.
    dist_m : float
        Metres along the great circle.
    bearing_deg : float
        Initial bearing, degrees clockwise from north.

    Returns
    -------
    (float, float)
        ``(lat, lon)`` in degrees, lon normalised to [-180, 180).

    Examples
    --------
    >>> lat, lon = destination(0.0, 179.9999, 100.0, 90.0)
    >>> round(haversine_m(0.0, 179.9999, lat, lon), 6), lon < 0
    (100.0, True)
    """
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return max(-90.0, min(90.0, math.degrees(p2))), lon2

"""Presence in memory: :class:`MemoryPresenceIndex`, a multi-level grid over 3-D vectors."""

from __future__ import annotations

import bisect
import heapq
import math
import threading

from graphmatch.presence.geo import (
    BASE_CELL_M,
    CELL_OFFSET,
    EARTH_RADIUS_M,
    GRID_LEVELS,
    cell_key,
    unit_vector,
)
from graphmatch.presence.model import CheckIn, EventInfo

__all__ = ["MemoryPresenceIndex"]


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
                x, y, z = unit_vector(record.lat, record.lon)
                keys = []
                for cells, size in zip(self._cells, self._sizes, strict=True):
                    key = cell_key(math.floor(x / size), math.floor(y / size), math.floor(z / size))
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

    def event_ids(self, after: str | None, limit: int) -> list[str]:
        """Return up to limit event ids greater than after (all if None), sorted by id."""
        with self._lock:
            ids = sorted(self._events)
        start = 0 if after is None else bisect.bisect_right(ids, after)
        return ids[start : start + limit]

    def within(self, lat: float, lon: float, radius_m: float, now: float) -> dict[str, float]:
        """Return ``{person: distance_m}`` for visible live presences within radius_m."""
        # A little slack on the chord so rounding never loses a point on the boundary; the
        # exact haversine test below decides.
        chord = 2 * EARTH_RADIUS_M * math.sin(min(radius_m / (2 * EARTH_RADIUS_M), math.pi / 2))
        chord = chord * (1 + 1e-9) + 1e-3
        level = next((k for k, s in enumerate(self._sizes) if s >= chord / 2), len(self._sizes) - 1)
        size = self._sizes[level]
        x, y, z = unit_vector(lat, lon)
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
                    base = ((ix + CELL_OFFSET) << 42) | ((iy + CELL_OFFSET) << 21)
                    for iz in zs:
                        members = cells.get(base | (iz + CELL_OFFSET))
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

"""Presence in Neo4j: ``:Presence`` nodes with a point index, queried with ``point.distance``.

Graph model (beside :mod:`graphmatch.stores.neo4j.store`'s ``:Person`` / ``:FRIEND``)
-----------------------------------------------------------------------------
- ``(:Presence {person_id, location: point({latitude, longitude}), event_id, visible,
  checked_in_at, expires_at})``: one per person (unique constraint on ``person_id``), found
  from the person by their id. A separate node rather than properties on ``:Person`` keeps a
  ``point`` out of the profile attributes ``Neo4jStore.person`` returns; a presence whose
  person was deleted joins to nobody and is purged with the expired ones.
- ``(:Event {id, name, location})`` with a unique constraint on ``id``.
- A POINT index on ``:Presence(location)`` serves ``point.distance(pr.location, $here) <=
  $radius`` (Neo4j turns the predicate into index bounding-box seeks, split at the
  antimeridian and opened up at the poles, then filters exactly); range indexes on
  ``event_id`` and ``expires_at`` serve event lookups and purges.

Time is the :class:`~graphmatch.presence.service.Presence` clock passed as ``$now`` (never the
server's), so expiry is testable without sleeping. Every query is a constant with
``$parameters``, run through the store's public query surface
(:class:`~graphmatch.stores.protocol.RunsQueries`: ``run_read``, ``run_write``, ``run_schema``),
so the store's sessions, timeouts, retries and error mapping apply. Coordinates cross as the
driver's ``WGS84Point``, the one driver type this module uses.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from neo4j.spatial import WGS84Point

from graphmatch.presence.model import CheckIn, EventInfo
from graphmatch.stores.protocol import RunsQueries

__all__ = ["PURGE_EVERY_S", "SCHEMA_WAIT_S", "Neo4jPresenceIndex"]

#: Check-ins purge expired presences at most this often (clock seconds).
PURGE_EVERY_S = 60.0
#: How long the first use waits for the new presence indexes to come online (seconds).
SCHEMA_WAIT_S = 30

_SCHEMA = (
    "CREATE CONSTRAINT presence_person IF NOT EXISTS "
    "FOR (pr:Presence) REQUIRE pr.person_id IS UNIQUE",
    "CREATE POINT INDEX presence_location IF NOT EXISTS FOR (pr:Presence) ON (pr.location)",
    "CREATE INDEX presence_event IF NOT EXISTS FOR (pr:Presence) ON (pr.event_id)",
    "CREATE INDEX presence_expires IF NOT EXISTS FOR (pr:Presence) ON (pr.expires_at)",
    "CREATE CONSTRAINT event_id IF NOT EXISTS FOR (e:Event) REQUIRE e.id IS UNIQUE",
)

_PUT = """
MERGE (pr:Presence {person_id: $person})
SET pr.location = $location, pr.event_id = $event, pr.visible = $visible,
    pr.checked_in_at = $at, pr.expires_at = $expires
"""

_GET = """
MATCH (pr:Presence {person_id: $person})
WHERE pr.expires_at > $now
RETURN pr.location AS location, pr.event_id AS event, pr.visible AS visible,
       pr.checked_in_at AS at, pr.expires_at AS expires
"""

_REMOVE = """
MATCH (pr:Presence {person_id: $person})
WITH pr, pr.expires_at > $now AS live
DETACH DELETE pr
RETURN live
"""

# The distance predicate on the indexed property is what the planner turns into a point-index
# seek. The hint pins that plan: without statistics the planner may prefer the expires_at
# range index, which scans every live presence. The join to :Person drops presences whose
# person has been deleted since.
_WITHIN = """
MATCH (pr:Presence)
USING INDEX pr:Presence(location)
WHERE point.distance(pr.location, $here) <= $radius
  AND pr.expires_at > $now AND pr.visible = true
MATCH (:Person {id: pr.person_id})
RETURN collect(pr.person_id) AS ids, collect(point.distance(pr.location, $here)) AS dists
"""

_AT_EVENT = """
MATCH (pr:Presence {event_id: $event})
WHERE pr.expires_at > $now AND pr.visible = true
MATCH (:Person {id: pr.person_id})
RETURN collect(pr.person_id) AS ids
"""

_PURGE = """
MATCH (pr:Presence)
WHERE pr.expires_at <= $now
WITH pr LIMIT $chunk
DETACH DELETE pr
RETURN count(*) AS n
"""

_PUT_EVENT = """
OPTIONAL MATCH (old:Event {id: $id})
WITH old IS NULL AS created
MERGE (e:Event {id: $id})
SET e.name = $name, e.location = $location
RETURN created
"""

_GET_EVENT = "MATCH (e:Event {id: $id}) RETURN e.name AS name, e.location AS location"

_EVENT_IDS = """
MATCH (e:Event)
WHERE $after IS NULL OR e.id > $after
RETURN e.id AS id ORDER BY id LIMIT $limit
"""

# For an event's top pairs: every friend w of any attendee with the attendees who know w, and
# w's degree (for the cap), in one query rather than one per attendee.
_BUCKETS = """
UNWIND $ids AS aid
MATCH (:Person {id: aid})-[:FRIEND]-(w:Person)
WITH w, collect(aid) AS att
RETURN collect(w.id) AS ws, collect(att) AS atts
"""

_BLOCKED_PAIRS = """
UNWIND $ids AS aid
MATCH (:Person {id: aid})-[:BLOCKED]-(b:Person)
WHERE b.id IN $ids
RETURN collect(DISTINCT [aid, b.id]) AS pairs
"""

# A point index still populating cannot serve the USING INDEX hint in _WITHIN: wait for it.
_AWAIT_INDEXES = "CALL db.awaitIndexes($s)"


def _point(lat: float | None, lon: float | None) -> WGS84Point | None:
    """Return the coordinate as a WGS-84 point, or None without one."""
    return None if lat is None or lon is None else WGS84Point((lon, lat))


def _coords(location: Any) -> tuple[float | None, float | None]:
    """Return ``(lat, lon)`` of a stored point, or ``(None, None)``."""
    if location is None:
        return None, None
    return float(location.latitude), float(location.longitude)


class Neo4jPresenceIndex:
    """A :class:`~graphmatch.presence.protocol.PresenceIndex` stored in Neo4j beside the graph.

    Works only through the store's ``run_read`` / ``run_write`` / ``run_schema``, so it uses
    the store's sessions, timeouts, retries and error mapping (driver failures become
    :class:`~graphmatch.StoreUnavailable`). Creates its constraints and indexes on first use.
    Also offers the :class:`~graphmatch.presence.protocol.BucketsAttendees` and
    :class:`~graphmatch.presence.protocol.ListsBlockedPairs` push-downs.

    Parameters
    ----------
    store : RunsQueries
        The graph store (a ``Neo4jStore``) whose database holds the presence.
    purge_chunk : int, default 10_000
        Expired presences deleted per transaction.

    Examples
    --------
    >>> import graphmatch as gm
    >>> from graphmatch.presence import Presence
    >>> p = Presence(gm.Neo4jStore("bolt://127.0.0.1:7687"))  # doctest: +SKIP
    >>> type(p.index).__name__  # doctest: +SKIP
    'Neo4jPresenceIndex'
    """

    def __init__(self, store: RunsQueries, *, purge_chunk: int = 10_000) -> None:
        self.store = store
        self.purge_chunk = purge_chunk
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._last_purge = float("-inf")

    # -- plumbing --------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        """Create the presence constraints and indexes once (idempotent)."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            for statement in _SCHEMA:
                self.store.run_schema(statement)
            self.store.run_read(_AWAIT_INDEXES, {"s": SCHEMA_WAIT_S})
            self._schema_ready = True

    def _read_single(self, query: str, **params: Any) -> Mapping[str, Any] | None:
        """Run a read query that returns at most one record; return it, or None."""
        self._ensure_schema()
        rows = self.store.run_read(query, params)
        return rows[0] if rows else None

    def _write_single(self, query: str, **params: Any) -> Mapping[str, Any] | None:
        """Run a write query that returns at most one record; return it, or None."""
        self._ensure_schema()
        rows = self.store.run_write(query, params)
        return rows[0] if rows else None

    # -- PresenceIndex -----------------------------------------------------------------------
    def put(self, record: CheckIn, now: float) -> None:
        """Store record as the person's presence (one MERGE), purging expired ones first."""
        # Reads already ignore expired presences; purging is housekeeping, so at most once a
        # minute of clock time rather than one extra transaction per check-in.
        if now - self._last_purge >= PURGE_EVERY_S:
            self.purge(now)
            self._last_purge = now
        self._write_single(
            _PUT,
            person=record.person,
            location=_point(record.lat, record.lon),
            event=record.event,
            visible=record.visible,
            at=record.checked_in_at,
            expires=record.expires_at,
        )

    def remove(self, person_id: str, now: float) -> bool:
        """Delete the person's presence; return whether a live one was there."""
        found = self._write_single(_REMOVE, person=person_id, now=now)
        return bool(found is not None and found["live"])

    def get(self, person_id: str, now: float) -> CheckIn | None:
        """Return the person's live presence, or None."""
        r = self._read_single(_GET, person=person_id, now=now)
        if r is None:
            return None
        lat, lon = _coords(r["location"])
        return CheckIn(
            person_id,
            lat,
            lon,
            r["event"],
            bool(r["visible"]),
            float(r["at"]),
            float(r["expires"]),
        )

    def within(self, lat: float, lon: float, radius_m: float, now: float) -> dict[str, float]:
        """Return ``{person: distance_m}`` for visible live presences within radius_m."""
        r = self._read_single(_WITHIN, here=WGS84Point((lon, lat)), radius=radius_m, now=now)
        if r is None:
            return {}
        return {p: float(d) for p, d in zip(r["ids"], r["dists"], strict=True)}

    def at_event(self, event_id: str, now: float) -> list[str]:
        """Return the visible live presences at the event, sorted by id."""
        r = self._read_single(_AT_EVENT, event=event_id, now=now)
        return sorted(r["ids"]) if r is not None else []

    def put_event(self, event: EventInfo) -> bool:
        """Create or update an event; return True if it is new."""
        r = self._write_single(
            _PUT_EVENT, id=event.id, name=event.name, location=_point(event.lat, event.lon)
        )
        return bool(r is not None and r["created"])

    def get_event(self, event_id: str) -> EventInfo | None:
        """Return the event, or None if unknown."""
        r = self._read_single(_GET_EVENT, id=event_id)
        if r is None:
            return None
        lat, lon = _coords(r["location"])
        return EventInfo(event_id, r["name"] or "", lat, lon)

    def event_ids(self, after: str | None, limit: int) -> list[str]:
        """Return up to limit event ids greater than after (all if None), sorted by id."""
        self._ensure_schema()
        rows = self.store.run_read(_EVENT_IDS, {"after": after, "limit": limit})
        return [str(r["id"]) for r in rows]

    def purge(self, now: float) -> int:
        """Delete presences that expired at or before now, in bounded chunks; return how many."""
        total = 0
        while True:
            r = self._write_single(_PURGE, now=now, chunk=self.purge_chunk)
            n = int(r["n"]) if r is not None else 0
            total += n
            if n < self.purge_chunk:
                return total

    def close(self) -> None:
        """Do nothing: the graph store owns the driver."""

    # -- push-downs Presence.top_pairs looks for ---------------------------------------------
    def attendee_buckets(self, attendees: list[str]) -> dict[str, list[str]]:
        """Map each friend w of any attendee to the attendees who know w (one query)."""
        r = self._read_single(_BUCKETS, ids=attendees)
        if r is None:
            return {}
        return {w: list(att) for w, att in zip(r["ws"], r["atts"], strict=True)}

    def blocked_pairs(self, attendees: list[str]) -> set[tuple[str, str]]:
        """Return the attendee pairs (a < b) with a block either way (one query)."""
        r = self._read_single(_BLOCKED_PAIRS, ids=attendees)
        if r is None:
            return set()
        return {(a, b) if a < b else (b, a) for a, b in r["pairs"]}

"""Presence: check-ins at places and events, and who nearby you should meet.

One module per concern:

- :mod:`~graphmatch.presence.model`: the records (:class:`CheckIn`, :class:`EventInfo`,
  :class:`Nearby`, :class:`EventPair`);
- :mod:`~graphmatch.presence.geo`: bounds and their checks, great-circle distance, the grid;
- :mod:`~graphmatch.presence.protocol`: :class:`PresenceIndex` and the optional push-downs
  an index may offer;
- :mod:`~graphmatch.presence.memory`, :mod:`~graphmatch.presence.file` and
  :mod:`~graphmatch.presence.neo4j` (``[neo4j]`` extra): the indexes;
- :mod:`~graphmatch.presence.service`: :class:`Presence`, the front door.
"""

from __future__ import annotations

from graphmatch.errors import EventNotFound, NotCheckedIn
from graphmatch.presence.geo import (
    DEFAULT_RADIUS_M,
    DEFAULT_TTL_S,
    EARTH_RADIUS_M,
    MAX_RADIUS_M,
    MAX_TTL_S,
    MIN_RADIUS_M,
    MIN_TTL_S,
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
from graphmatch.presence.protocol import (
    BucketsAttendees,
    ListsBlockedPairs,
    ListsEvents,
    PresenceIndex,
)
from graphmatch.presence.service import Presence

__all__ = [
    "DEFAULT_RADIUS_M",
    "DEFAULT_TTL_S",
    "EARTH_RADIUS_M",
    "MAX_RADIUS_M",
    "MAX_TTL_S",
    "MIN_RADIUS_M",
    "MIN_TTL_S",
    "BucketsAttendees",
    "CheckIn",
    "EventInfo",
    "EventNotFound",
    "EventPair",
    "ListsBlockedPairs",
    "ListsEvents",
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

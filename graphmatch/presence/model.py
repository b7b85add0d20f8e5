"""Presence records: a check-in, an event, a person nearby, a pair worth introducing.

Plain frozen dataclasses with ``as_dict`` for JSON; no behaviour beyond that, so every other
presence module (the indexes, the service, the API) can import them without a cycle.

Examples
--------
>>> CheckIn("ann", 59.91, 10.75, None, True, 0.0, 60.0).ttl_left(now=45.0)
15.0
>>> EventInfo("conf", "PyCon").as_dict()
{'id': 'conf', 'name': 'PyCon', 'lat': None, 'lon': None}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckIn", "EventInfo", "EventPair", "Nearby"]


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

"""The typed errors graphmatch raises; every one is a :class:`GraphMatchError`."""

from __future__ import annotations

__all__ = [
    "EventNotFound",
    "GraphMatchError",
    "InvalidInput",
    "JournalCorrupt",
    "NotCheckedIn",
    "ParseError",
    "PersonExists",
    "PersonNotFound",
    "StoreUnavailable",
]


class GraphMatchError(Exception):
    """Base class of every error graphmatch raises on purpose."""


class PersonNotFound(GraphMatchError, LookupError):
    """A person id that is not in the store."""

    def __init__(self, person_id: str) -> None:
        super().__init__(f"person {person_id!r} not found")
        self.person_id = person_id


class PersonExists(GraphMatchError):
    """A person id that is already in the store, where a new one was required."""

    def __init__(self, person_id: str) -> None:
        super().__init__(f"person {person_id!r} already exists")
        self.person_id = person_id


class InvalidInput(GraphMatchError, ValueError):
    """An argument the library cannot accept (self-friendship, unknown score, bad limit...)."""


class ParseError(InvalidInput):
    """A malformed line in an edge-list file; names the file and the 1-based line number."""

    def __init__(self, path: str, line_no: int, reason: str) -> None:
        super().__init__(f"{path}:{line_no}: {reason}")
        self.path = path
        self.line_no = line_no
        self.reason = reason


class StoreUnavailable(GraphMatchError):
    """The store cannot be reached (Neo4j down, wrong credentials, timeout)."""


class JournalCorrupt(StoreUnavailable):
    """The journal or snapshot is damaged somewhere other than a torn final write."""


class EventNotFound(GraphMatchError, LookupError):
    """An event id that is not known (HTTP 404 ``event_not_found``)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id!r} not found")
        self.event_id = event_id


class NotCheckedIn(GraphMatchError):
    """A person asked who is near (or who is at an event) without being checked in there.

    HTTP 404 ``not_checked_in`` (as for reading a check-in that is not there): checking in is
    what lets a person look as well as be seen.
    """

    def __init__(self, person_id: str, event_id: str | None = None) -> None:
        where = f" at event {event_id!r}" if event_id is not None else ""
        super().__init__(f"person {person_id!r} is not checked in{where}")
        self.person_id = person_id
        self.event_id = event_id

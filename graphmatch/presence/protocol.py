"""The presence-index seam: the one Protocol every presence index keeps, and what it may add.

A :class:`PresenceIndex` keeps check-ins and events and answers "who is within r metres of
here" and "who is at this event". It holds no graph: people's existence, blocks and consent
are checked by :class:`~graphmatch.presence.service.Presence` against the graph store.

An index that keeps presence beside the graph (Neo4j) can answer two of the reads
:meth:`~graphmatch.presence.service.Presence.top_pairs` needs in one query each, by offering
the optional capabilities below; ``Presence`` checks for them with ``isinstance`` and
otherwise reads the graph store person by person.

==============================  ===========================================================
capability                      offered by
==============================  ===========================================================
:class:`BucketsAttendees`       Neo4j (one ``UNWIND`` over the attendees' friendships)
:class:`ListsBlockedPairs`      Neo4j (one ``UNWIND`` over the attendees' blocks)
:class:`ListsEvents`            memory, file, Neo4j (event ids a page at a time, for the API)
==============================  ===========================================================

Examples
--------
>>> from graphmatch.presence.memory import MemoryPresenceIndex
>>> idx = MemoryPresenceIndex()
>>> isinstance(idx, PresenceIndex), isinstance(idx, BucketsAttendees)
(True, False)
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from graphmatch.presence.model import CheckIn, EventInfo

__all__ = ["BucketsAttendees", "ListsBlockedPairs", "ListsEvents", "PresenceIndex"]


@runtime_checkable
class PresenceIndex(Protocol):
    """Where check-ins and events live, and the two spatial/event reads.

    Every read takes ``now`` (seconds, the :class:`~graphmatch.presence.service.Presence`
    clock) and ignores presences that expired at or before it. The index holds no graph:
    people's existence, blocks and consent are checked by ``Presence`` against the graph store.
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


# -- optional capabilities: push-downs an index may offer --------------------------------------


@runtime_checkable
class BucketsAttendees(Protocol):
    """An index that groups an event's attendees by their friends in one read."""

    def attendee_buckets(self, attendees: list[str]) -> dict[str, list[str]]:
        """Map each friend w of any attendee to the attendees who know w."""


@runtime_checkable
class ListsBlockedPairs(Protocol):
    """An index that finds the blocks among an event's attendees in one read."""

    def blocked_pairs(self, attendees: list[str]) -> set[tuple[str, str]]:
        """Return the attendee pairs ``(a, b)`` with ``a < b`` and a block either way."""


@runtime_checkable
class ListsEvents(Protocol):
    """An index that lists its events' ids, sorted, a page at a time."""

    def event_ids(self, after: str | None, limit: int) -> list[str]:
        """Return up to limit event ids greater than after (all if None), sorted by id."""

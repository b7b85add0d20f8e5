"""The storage seam: the one Protocol every graph store implements.

A store keeps people (with profile attributes), undirected friendships, blocks and the two
consent flags, and answers the few aggregate reads the matcher needs. Ranking, tie-breaks,
limits, consent filtering and explanations live above this seam, in :mod:`graphmatch.matcher`,
so every store gives identical answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["GraphStore", "PairStats"]

#: ``(mutual_count, adamic_adar_sum, resource_allocation_sum)`` for one candidate.
PairStats = tuple[int, float, float]


@runtime_checkable
class GraphStore(Protocol):
    """What the matcher needs from a graph store.

    Ids are strings. Friendships are undirected, idempotent and never self-loops. Methods that
    take one person raise :class:`~graphmatch.PersonNotFound` for an unknown id; a store that
    cannot be reached raises :class:`~graphmatch.StoreUnavailable`.
    """

    # -- lifecycle -------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    # -- writes ----------------------------------------------------------------------------
    def add_person(
        self, person_id: str, attrs: Mapping[str, Any] | None = None, *, exist_ok: bool = True
    ) -> bool:
        """Create a person (or merge attrs into an existing one); return True if created."""

    def add_people(self, people: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Create or update many people in batches; return how many were given."""

    def remove_person(self, person_id: str) -> None:
        """Delete a person with their friendships, blocks and flags."""

    def add_friendship(self, a: str, b: str) -> bool:
        """Befriend two existing people; return True if the friendship is new."""

    def add_friendships(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Bulk-add friendships, creating missing people; return how many were new."""

    def remove_friendship(self, a: str, b: str) -> bool:
        """Remove a friendship; return True if there was one."""

    def block(self, person_id: str, other: str) -> None:
        """Record that person_id blocks other (blocks hide people from each other both ways)."""

    def unblock(self, person_id: str, other: str) -> None:
        """Remove person_id's block of other, if any."""

    def set_consent(
        self,
        person_id: str,
        *,
        discoverable: bool | None = None,
        show_as_mutual: bool | None = None,
    ) -> None:
        """Set the consent flags given (None leaves a flag unchanged)."""

    # -- reads -----------------------------------------------------------------------------
    def exists(self, person_id: str) -> bool:
        """Return whether the person is in the store."""

    def person(self, person_id: str) -> dict[str, Any]:
        """Return the person's profile attributes plus ``discoverable`` and ``show_as_mutual``."""

    def friends(self, person_id: str) -> list[str]:
        """Return the person's friends, sorted by id."""

    def degree(self, person_id: str) -> int:
        """Return the person's number of friends."""

    def degrees(self, person_ids: Iterable[str]) -> dict[str, int]:
        """Return the degree of each known id (unknown ids are left out)."""

    def counts(self) -> tuple[int, int]:
        """Return ``(people, friendships)``."""

    def blocked_with(self, person_id: str) -> set[str]:
        """Return everyone person_id blocked or was blocked by."""

    def undiscoverable(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of discovery."""

    def hidden_as_mutual(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of being shown as a mutual friend."""

    def mutual(
        self, a: str, others: Iterable[str], max_degree: int | None = None
    ) -> dict[str, dict[str, int]]:
        """Map each other id to its mutual friends with a (as ``{friend: degree}``).

        Mutual friends whose degree exceeds max_degree are left out. Unknown others map to {}.
        """

    def two_hop_counts(self, person_id: str, max_degree: int | None = None) -> dict[str, int]:
        """Count, for everyone two steps away, the friends in common with person_id.

        Only friends of degree <= max_degree are walked through. The result may include
        person_id and their direct friends; the caller filters.
        """

    def two_hop_weights(
        self, person_id: str, max_degree: int | None = None
    ) -> dict[str, PairStats]:
        """Like two_hop_counts, with the Adamic-Adar and resource-allocation sums too."""

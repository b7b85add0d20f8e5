"""The storage seam: the one Protocol every graph store implements, and what a store may add.

A store keeps people (with profile attributes), undirected friendships, blocks and the two
consent flags, and answers the few aggregate reads the matcher needs (:class:`GraphStore`).

Ranking, tie-breaks, limits, consent filtering and explanations are defined once above this
seam (:mod:`graphmatch.rule` and :mod:`graphmatch.matcher`). A store may push that work
down, into compiled kernels or its query language, by offering one of the small optional
capabilities below; callers check for one with ``isinstance`` and fall back to the plain
:class:`GraphStore` reads without it. A store that pushes work down keeps the same rule, and
the conformance suite (``tests/contract``) runs every store with and without its push-downs.

==========================  =================================================================
capability                  offered by
==========================  =================================================================
:class:`RanksCandidates`    memory (compiled kernels), journaled, Neo4j (one Cypher query)
:class:`BuildsSuggestions`  memory, journaled (the rows built in the kernel's read loop)
:class:`CountsMutual`       memory, journaled
:class:`ListsBlocks`        memory, journaled
:class:`Dismisses`          memory, journaled (durable), Neo4j
:class:`HasIndex`           memory, journaled (the CSR index ``graphmatch batch`` ranks over)
:class:`BulkLoads`          Neo4j
:class:`RunsQueries`        Neo4j (parameterised Cypher for presence and ``batch --to neo4j``)
==========================  =================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from graphmatch.index.live import LiveIndex

__all__ = [
    "BuildsSuggestions",
    "BulkLoads",
    "CountsMutual",
    "Dismisses",
    "GraphStore",
    "HasIndex",
    "ListsBlocks",
    "PairStats",
    "Ranked",
    "RanksCandidates",
    "RunsQueries",
]

#: ``(mutual_count, adamic_adar_sum, resource_allocation_sum)`` for one candidate.
PairStats = tuple[int, float, float]
#: ``(id, score, mutual_count, named mutual friends)``: one ranked, explained candidate.
Ranked = tuple[str, float, int, list[str]]


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


# -- optional capabilities: push-downs a store may offer ---------------------------------------


@runtime_checkable
class RanksCandidates(Protocol):
    """A store that ranks and explains the distance-2 candidates itself."""

    def top_candidates(
        self, person_id: str, score: str, limit: int, max_degree: int | None, explain: int
    ) -> list[Ranked] | None:
        """Return the best ``limit`` candidates by the rule, explained, or None.

        None means "not now" (no fresh index, a score it cannot push down): the caller
        answers by the plain :class:`GraphStore` reads. Blocks both ways, friends and
        opt-outs are excluded exactly as :meth:`graphmatch.Matcher.suggest` does; so are
        the people person_id dismissed, when the store also offers :class:`Dismisses`.
        """


_R = TypeVar("_R")


@runtime_checkable
class BuildsSuggestions(Protocol):
    """A store that builds each ranked row as the caller's type, in its kernel's read loop."""

    def top_candidates_as(
        self, person_id: str, score: str, limit: int, explain: int, into: type[_R]
    ) -> list[_R] | None:
        """Return ``top_candidates`` (no degree cap) with each row ``into(id, score, n, named)``.

        None as for :meth:`RanksCandidates.top_candidates`, and for an unknown person: the
        caller then takes the checked path, which raises PersonNotFound. The matcher's
        latency path (docs/performance.md, "Fixed cost and mutual counts").
        """


@runtime_checkable
class CountsMutual(Protocol):
    """A store that counts friends in common without naming them."""

    def mutual_count(self, a: str, b: str) -> int:
        """Return how many friends a and b have in common (PersonNotFound if unknown)."""

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> list[int]:
        """Return the count for each pair, in order (PersonNotFound for any unknown id)."""


@runtime_checkable
class ListsBlocks(Protocol):
    """A store that lists every block at once."""

    def block_pairs(self) -> list[tuple[str, str]]:
        """Return every block as ``(who, whom)``, sorted."""


@runtime_checkable
class Dismisses(Protocol):
    """A store that keeps dismissals: "not interested" in one suggested person.

    A dismissal is one-way (person_id dismissed candidate) and durable where the store is.
    The matcher never suggests a dismissed candidate to the person who dismissed them
    (:meth:`graphmatch.Matcher.suggest`, and :meth:`graphmatch.Matcher.rank` unless they are
    friends by now and friends are asked for). It hides nothing else: a dismissed person who
    later becomes a friend counts, and is named, as a mutual friend like any other; a
    friendship does not erase the dismissal, so ending it does not bring the suggestion back.
    Removing either person removes the dismissal.
    """

    def dismiss(self, person_id: str, candidate: str) -> bool:
        """Record that person_id is not interested in candidate; return True if new.

        PersonNotFound for an unknown id, InvalidInput when the two are the same person.
        """

    def undismiss(self, person_id: str, candidate: str) -> bool:
        """Forget person_id's dismissal of candidate; return True if there was one."""

    def dismissed(self, person_id: str) -> list[str]:
        """Return whom person_id dismissed, sorted by id (PersonNotFound if unknown)."""

    def dismissals(self) -> list[tuple[str, str]]:
        """Return every dismissal as ``(person, candidate)``, sorted.

        The export for training a ranker: each pair is a suggestion its person turned down,
        a labelled negative example. Pairs who have become friends since are still listed
        (the store keeps what was said); a trainer should drop those that are friends now.
        """


@runtime_checkable
class HasIndex(Protocol):
    """A store with a live compiled read index (:class:`graphmatch.index.live.LiveIndex`).

    The index takes every write in place; read its arrays inside ``index.read(fn)`` or under
    ``index.lock``, or take ``index.freeze()`` (a :class:`graphmatch.CSRIndex`) for a long read.
    """

    def fresh_index(self) -> LiveIndex | None:
        """Return the index (it reflects every write so far), or None while there is none."""

    def build_index(self) -> LiveIndex:
        """Build the index now, start using it, and return it."""


@runtime_checkable
class BulkLoads(Protocol):
    """A store with a faster path for loading a whole edge list."""

    def bulk_load(
        self, pairs: Iterable[tuple[str, str]], on_batch: Callable[[int], object] | None = None
    ) -> int:
        """Add friendships as add_friendships does; call on_batch(n) after each batch."""


@runtime_checkable
class RunsQueries(Protocol):
    """A store that runs parameterised queries in its own language (Cypher for Neo4j).

    Used by modules that keep data of their own in the same database (presence, batch's
    ``:SUGGESTED`` relationships). Query text is always a constant; data goes in params.
    """

    def run_read(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one read query in a retried transaction; return its records as dicts."""

    def run_write(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one idempotent write query in a retried transaction; return its records."""

    def run_schema(self, statement: str) -> None:
        """Run one schema statement (an index or constraint) in its own transaction."""

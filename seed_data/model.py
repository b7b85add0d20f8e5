"""The plain data a generated demo network is made of: people, friendships and one event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Event", "Network", "Person"]


@dataclass(frozen=True, slots=True)
class Person:
    """One fake person: a string id plus a Faker profile.

    ``interests`` is a tuple so a Person stays hashable and immutable; :meth:`attrs` hands it
    to stores as a list of strings.
    """

    id: str
    name: str
    handle: str
    city: str
    employer: str
    school: str
    interests: tuple[str, ...]
    locale: str

    def attrs(self) -> dict[str, Any]:
        """Return the profile as store attributes (primitives and lists of strings only).

        Returns
        -------
        dict
            ``name, handle, city, employer, school, interests, locale``; the id is not repeated.

        Examples
        --------
        >>> Person("7", "Ada Lovelace", "ada.lovelace", "London", "Analytical Engines Ltd",
        ...        "University of London", ("maths",), "en_GB").attrs()["interests"]
        ['maths']
        """
        return {
            "name": self.name,
            "handle": self.handle,
            "city": self.city,
            "employer": self.employer,
            "school": self.school,
            "interests": list(self.interests),
            "locale": self.locale,
        }

    def to_json(self) -> dict[str, Any]:
        """Return the person as one JSON object (``id`` first, then :meth:`attrs`)."""
        return {"id": self.id, **self.attrs()}


@dataclass(frozen=True, slots=True)
class Event:
    """The conference of the demo story.

    ``highlights`` are planted pairs of attendees who are not friends yet share many (>= 25)
    friends; ``newcomers`` are attendees with very few ties. Both are subsets of ``attendees``.
    """

    id: str
    name: str
    city: str
    attendees: tuple[str, ...]
    highlights: tuple[tuple[str, str], ...] = ()
    newcomers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the event as a JSON-ready dict (tuples become lists)."""
        return {
            "id": self.id,
            "name": self.name,
            "city": self.city,
            "attendees": list(self.attendees),
            "highlights": [list(pair) for pair in self.highlights],
            "newcomers": list(self.newcomers),
        }


@dataclass(eq=False)
class Network:
    """A generated network.

    The structure is kept as an ``(m, 2)`` int32 array of positions into ``people`` (compact and
    fast for metrics and export); :attr:`friendships` gives the same pairs as string ids. Every
    pair is canonical: ``a < b`` as strings, no self-loops, no duplicates, sorted.
    """

    people: list[Person]
    edges: npt.NDArray[np.int32]
    event: Event
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_people(self) -> int:
        """Number of people."""
        return len(self.people)

    @property
    def n_friendships(self) -> int:
        """Number of friendships."""
        return int(self.edges.shape[0])

    @cached_property
    def ids(self) -> list[str]:
        """Person ids in position order."""
        return [p.id for p in self.people]

    @cached_property
    def index(self) -> dict[str, int]:
        """Map from person id to position in :attr:`people`."""
        return {pid: i for i, pid in enumerate(self.ids)}

    @cached_property
    def friendships(self) -> list[tuple[str, str]]:
        """Friendships as ``(a, b)`` string-id pairs, ``a < b``, sorted, no duplicates."""
        ids = self.ids
        return [(ids[a], ids[b]) for a, b in self.edges.tolist()]

    def degrees(self) -> npt.NDArray[np.int64]:
        """Return the degree of every person, in position order."""
        return np.bincount(self.edges.ravel(), minlength=self.n_people).astype(np.int64)

    def fingerprint(self) -> str:
        """Return a SHA-256 over people, friendships and event: equal networks, equal digests.

        Examples
        --------
        >>> from seed_data import generate
        >>> generate(200, 6, seed=1).fingerprint() == generate(200, 6, seed=1).fingerprint()
        True
        """
        h = hashlib.sha256()
        for p in self.people:
            h.update(json.dumps(p.to_json(), ensure_ascii=False).encode())
            h.update(b"\n")
        h.update(np.ascontiguousarray(self.edges, dtype="<i4").tobytes())
        h.update(json.dumps(self.event.to_json(), ensure_ascii=False).encode())
        return h.hexdigest()

"""Input checks every store shares: person ids and profile attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphmatch.errors import InvalidInput

__all__ = ["FLAGS", "RESERVED", "check_attrs", "check_id"]

#: The consent flags a person carries beside their profile.
FLAGS: Final = ("discoverable", "show_as_mutual")
#: Names a profile attribute may not take: the id and the consent flags.
RESERVED: Final = frozenset({"id", *FLAGS})


def check_id(person_id: object) -> str:
    """Return person_id if it is a non-empty string, else raise InvalidInput.

    Examples
    --------
    >>> check_id("ann")
    'ann'
    """
    if not isinstance(person_id, str) or not person_id:
        raise InvalidInput(f"person ids are non-empty strings, got {person_id!r}")
    return person_id


def check_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return profile attributes as a new dict: a mapping with non-empty, unreserved names.

    Stores add their own limits on values on top (JSON for the journal, property types for
    Neo4j).

    Examples
    --------
    >>> check_attrs({"city": "Oslo"})
    {'city': 'Oslo'}
    """
    if attrs is None:
        return {}
    if not isinstance(attrs, Mapping):
        raise InvalidInput("person attributes must be a mapping")
    clean = dict(attrs)
    for key in clean:
        if not isinstance(key, str) or not key or key in RESERVED:
            raise InvalidInput(f"attribute name {key!r} is not allowed")
    return clean

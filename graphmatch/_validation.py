"""Input checks every store and entry point shares: person ids, pairs and profile attributes.

The id rule (one rule, here, for the stores, the loaders, the CLI and the HTTP paths)
------------------------------------------------------------------------------------
A person id is a non-empty ``str`` that

- is valid Unicode text: no lone surrogate (``"\\ud800x"``, which JSON's ``\\ud800`` escape
  and Python's ``surrogateescape`` produce, cannot be encoded as UTF-8, so no URL, journal
  or Bolt message can carry it);
- contains no ``/`` (it would split the URL path: ``/v1/people/a/b`` is another route);
- contains no control character (Unicode category ``Cc``: U+0000-U+001F, U+007F-U+009F),
  which clients, proxies and logs strip, reject or rewrite;
- is not only whitespace, and is not ``.`` or ``..`` (URL clients resolve those dot segments
  away before a request is sent, even percent-encoded).

Everything else (spaces inside, any script, emoji, ``%``, ``?``, ``#``) is addressable by
percent-encoding the id in the path. Stores add their own length limits on top (the HTTP API
256 characters, Neo4j 4,096 bytes of UTF-8).

Attributes: names are non-empty strings, not reserved; names and string values (nested in
lists or mappings too) must be valid Unicode text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final

from graphmatch.errors import InvalidInput

__all__ = [
    "FLAGS",
    "RESERVED",
    "check_attrs",
    "check_id",
    "check_pair_shapes",
    "check_text",
    "id_problem",
]

#: The consent flags a person carries beside their profile.
FLAGS: Final = ("discoverable", "show_as_mutual")
#: Names a profile attribute may not take: the id and the consent flags.
RESERVED: Final = frozenset({"id", *FLAGS})

# One scan finds every character the id rule refuses: "/", C0 and C1 controls, DEL, and lone
# surrogates (a well-formed str never holds a surrogate except as an encoding error).
_BAD_ID_CHAR: Final = re.compile(r"[/\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
_DOT_SEGMENTS: Final = frozenset({".", ".."})
#: Deepest nesting of attribute values checked (deeper values are refused, not recursed).
_MAX_DEPTH: Final = 32


def _shown(value: object) -> str:
    """Return a short, ASCII-safe repr of value for an error message."""
    text = ascii(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(char: str) -> str:
    """Name the refused character for a message: '/', a control character, a surrogate."""
    if char == "/":
        return "'/'"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate (U+{ord(char):04X}), which is not valid Unicode text"
    name = unicodedata.name(char, "")
    return f"the control character U+{ord(char):04X}" + (f" ({name})" if name else "")


def id_problem(person_id: object) -> str | None:
    """Return why person_id breaks the id rule (module docstring), or None if it keeps it.

    Parameters
    ----------
    person_id : object
        A candidate id.

    Returns
    -------
    str or None
        One sentence for an error message, or None for a good id.

    Examples
    --------
    >>> id_problem("ann") is None
    True
    >>> id_problem("a/b")
    "person id 'a/b' contains '/'"
    """
    if type(person_id) is str and person_id.isalnum():
        return None  # fast path: letters and digits (bulk loads check millions of ids)
    if not isinstance(person_id, str) or not person_id:
        return f"person ids are non-empty strings, got {_shown(person_id)}"
    bad = _BAD_ID_CHAR.search(person_id)
    if bad is not None:
        return f"person id {_shown(person_id)} contains {_describe(bad.group())}"
    if person_id.isspace():
        return f"person id {_shown(person_id)} is only whitespace"
    if person_id in _DOT_SEGMENTS:
        return f"person id {person_id!r} is a URL dot segment and cannot be addressed"
    return None


def check_id(person_id: object) -> str:
    """Return person_id if it keeps the id rule (module docstring), else raise InvalidInput.

    Parameters
    ----------
    person_id : object
        A candidate id.

    Returns
    -------
    str
        person_id, unchanged.

    Raises
    ------
    InvalidInput
        For a non-string, an empty or whitespace-only id, ``.`` or ``..``, or an id holding
        ``/``, a control character or a lone surrogate.

    Examples
    --------
    >>> check_id("ann")
    'ann'
    >>> check_id("a/b")
    Traceback (most recent call last):
    ...
    graphmatch.errors.InvalidInput: person id 'a/b' contains '/'
    """
    problem = id_problem(person_id)
    if problem is not None:
        raise InvalidInput(problem)
    assert isinstance(person_id, str)  # id_problem checked it
    return person_id


def check_text(value: str, what: str) -> str:
    """Return value if it is valid Unicode text (no lone surrogate), else raise InvalidInput.

    Parameters
    ----------
    value : str
        Any string.
    what : str
        What it is, for the message (``"attribute name"``...).

    Returns
    -------
    str
        value, unchanged.

    Raises
    ------
    InvalidInput
        If value holds a lone surrogate.

    Examples
    --------
    >>> check_text("Oslo", "city")
    'Oslo'
    """
    if not value.isascii():
        bad = _SURROGATE.search(value)
        if bad is not None:
            raise InvalidInput(f"{what} {_shown(value)} contains {_describe(bad.group())}")
    return value


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    """Refuse lone surrogates anywhere in an attribute value (lists and mappings too)."""
    if isinstance(value, str):
        check_text(value, f"attribute {where}: value")
    elif isinstance(value, list | tuple | set | frozenset):
        if depth >= _MAX_DEPTH:
            raise InvalidInput(f"attribute {where}: nested deeper than {_MAX_DEPTH} levels")
        for item in value:
            _check_value(item, where, depth + 1)
    elif isinstance(value, Mapping):
        if depth >= _MAX_DEPTH:
            raise InvalidInput(f"attribute {where}: nested deeper than {_MAX_DEPTH} levels")
        for key, item in value.items():
            if isinstance(key, str):
                check_text(key, f"attribute {where}: key")
            _check_value(item, where, depth + 1)


def check_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return profile attributes as a new dict: non-empty, unreserved names, valid text.

    Names and every string value, nested in lists or mappings too, must be valid Unicode
    text. Stores add their own limits on values on top (JSON for the journal, property types
    for Neo4j).

    Parameters
    ----------
    attrs : mapping or None
        Attribute names to values.

    Returns
    -------
    dict
        A shallow copy (empty for None).

    Raises
    ------
    InvalidInput
        For a non-mapping, an empty or reserved name, or a lone surrogate in a name or value.

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
    for key, value in clean.items():
        if not isinstance(key, str) or not key or key in RESERVED:
            raise InvalidInput(f"attribute name {_shown(key)} is not allowed")
        check_text(key, "attribute name")
        _check_value(value, _shown(key))
    return clean


def check_pair_shapes(batch: Sequence[object]) -> None:
    """Raise InvalidInput unless every item of batch holds exactly two ids.

    Only the shape is checked (one ``len`` per item, in C: about 20 ms a million pairs); the
    ids themselves are looked up by the caller, whose unknown id is a PersonNotFound. Checked
    before the pairs are flattened, where a 1-id and a 3-id item would pair up wrongly.

    Parameters
    ----------
    batch : sequence
        The pairs.

    Raises
    ------
    InvalidInput
        If an item has no length, or a length other than two.

    Examples
    --------
    >>> check_pair_shapes([("a", "b"), ("b", "c")])
    >>> check_pair_shapes([("a",), ("b", "c", "d")])
    Traceback (most recent call last):
    ...
    graphmatch.errors.InvalidInput: each pair must hold two ids
    """
    try:
        shapes = set(map(len, batch))  # type: ignore[arg-type]
    except TypeError:
        raise InvalidInput("each pair must hold two ids") from None
    if shapes - {2}:
        raise InvalidInput("each pair must hold two ids")

"""People: create with attributes, read, delete, and search by a prefix of the id or name.

Search reads the whole people list, which the :class:`~graphmatch.GraphStore` protocol does not
offer; it uses what each store kind makes public instead: the networkx graph of a
:class:`~graphmatch.MemoryStore` (``.graph``; a :class:`~graphmatch.JournaledStore` through
``.inner``), and one parameterised Cypher query on a store that runs queries
(:class:`~graphmatch.RunsQueries`, Neo4j). Both give the same answer: ids in string order,
matched by a prefix of the id (exact case) or of the ``name`` attribute or any of its
space-separated words (lower-cased). Consent and blocks are then filtered through the protocol
(``blocked_with``, ``undiscoverable``), so both stores keep their own semantics for them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask.typing import ResponseReturnValue

from api.errors import ApiError
from api.friends import decode_cursor, encode_cursor
from api.models import PEOPLE_PAGE, PEOPLE_QUERY, PERSON, PERSON_CREATE
from api.routing import ApiBlueprint, store
from graphmatch import GraphStore, JournaledStore, MemoryStore, PersonNotFound, RunsQueries

__all__ = ["bp", "hidden_from", "person_json", "search_people"]

bp = ApiBlueprint("people", __name__, url_prefix="/v1")

_FLAGS = ("discoverable", "show_as_mutual")


def person_json(person_id: str) -> dict[str, Any]:
    """Return one person in the API's shape (attributes apart from the consent flags).

    Parameters
    ----------
    person_id : str
        A person id.

    Returns
    -------
    dict
        ``{"id", "attributes", "discoverable", "show_as_mutual", "friend_count"}``.

    Raises
    ------
    PersonNotFound
        For an unknown id.
    """
    s = store()
    data = s.person(person_id)
    flags = {f: bool(data.pop(f, True)) for f in _FLAGS}
    return {"id": person_id, "attributes": data, **flags, "friend_count": s.degree(person_id)}


# Ids after $after that match: the id by prefix, or the name (or a word of it) lower-cased.
_SEARCH = """
MATCH (p:Person)
WHERE ($after IS NULL OR p.id > $after)
WITH p, CASE WHEN p.name IS :: STRING THEN p.name END AS name
WHERE $q = '' OR p.id STARTS WITH $q
   OR any(w IN [toLower(name)] + split(toLower(name), ' ') WHERE w STARTS WITH $lq)
RETURN p.id AS id, name ORDER BY id LIMIT $limit
"""


def _name_matches(name: Any, lq: str) -> bool:
    """Return whether a lower-cased prefix starts the name or one of its words."""
    if not isinstance(name, str):
        return False
    low = name.lower()
    return low.startswith(lq) or any(w.startswith(lq) for w in low.split(" "))


def _graph_of(s: GraphStore) -> Any:
    """Return the networkx graph behind a memory store (through journals), or None."""
    while isinstance(s, JournaledStore):
        s = s.inner
    return s.graph if isinstance(s, MemoryStore) else None


def _matches(s: GraphStore, q: str, after: str | None, n: int) -> list[tuple[str, str | None]]:
    """Return up to n (id, name) of matching people with ids after `after`, sorted by id."""
    if isinstance(s, RunsQueries):
        rows = s.run_read(_SEARCH, {"q": q, "lq": q.lower(), "after": after, "limit": n})
        return [(str(r["id"]), r["name"]) for r in rows]
    graph = _graph_of(s)
    if graph is None:
        raise ApiError(501, "not_implemented", "this store cannot list people")
    lq = q.lower()
    names = graph.nodes
    found = []
    for pid in list(graph):  # list(): a snapshot of the ids, safe against concurrent writes
        data = names.get(pid)
        if data is None or (after is not None and pid <= after):
            continue
        name = data.get("name")
        if not q or pid.startswith(q) or _name_matches(name, lq):
            found.append((pid, name if isinstance(name, str) else None))
    found.sort()
    return found[:n]


def hidden_from(s: GraphStore, viewer: str, person_ids: list[str]) -> set[str]:
    """Return those of person_ids the viewer may not see: blocked either way, or undiscoverable.

    Parameters
    ----------
    s : GraphStore
        The store.
    viewer : str
        The person looking (never hidden from themselves).
    person_ids : list of str
        The people to check.

    Returns
    -------
    set of str

    Raises
    ------
    PersonNotFound
        If the viewer is unknown.
    """
    blocked = s.blocked_with(viewer)
    hidden = {p for p in person_ids if p in blocked} | s.undiscoverable(person_ids)
    hidden.discard(viewer)
    return hidden


def search_people(
    s: GraphStore, q: str, limit: int, after: str | None = None, viewer: str | None = None
) -> tuple[list[tuple[str, str | None]], str | None]:
    """Return one page of people matching a prefix, and the id the next page starts after.

    Parameters
    ----------
    s : GraphStore
        A memory (or journaled) store, or one that runs Cypher.
    q : str
        Prefix of the id (exact case) or of the name or a word of it (any case); "" for all.
    limit : int
        Page size.
    after : str, optional
        Only ids greater than this one (the previous page's last id).
    viewer : str, optional
        Leave out the people this person may not see (:func:`hidden_from`).

    Returns
    -------
    page : list of (id, name)
        Sorted by id; name is None unless the ``name`` attribute is a string.
    last : str or None
        The last id of the page when more follow, else None.

    Raises
    ------
    PersonNotFound
        If the viewer is unknown.
    ApiError
        501 for a store kind that cannot list its people.
    """
    if viewer is not None and not s.exists(viewer):
        raise PersonNotFound(viewer)
    page: list[tuple[str, str | None]] = []
    chunk = max(2 * limit, 100)
    while len(page) <= limit:
        batch = _matches(s, q, after, chunk)
        if not batch:
            break
        after = batch[-1][0]
        if viewer is not None:
            hidden = hidden_from(s, viewer, [pid for pid, _ in batch])
            page += [row for row in batch if row[0] not in hidden]
        else:
            page += batch
        if len(batch) < chunk:
            break
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1][0] if more and page else None)


@bp.operation(
    "GET",
    "/people",
    summary="Search people by a prefix of their id or name, a page at a time",
    query=PEOPLE_QUERY,
    responses={200: ("A page of people, sorted by id", PEOPLE_PAGE)},
    description=(
        "q matches a prefix of the id (exact case) or of the name or any word of it (any "
        "case); without q everyone is listed. Pass next_cursor back as cursor for the next "
        "page. With viewer, people blocked either way with them and people who opted out of "
        "discovery are left out."
    ),
)
def list_people(query: dict[str, Any]) -> ResponseReturnValue:
    s = store()
    after = decode_cursor(query["cursor"]) if "cursor" in query else None
    page, last = search_people(s, query.get("q", ""), query["limit"], after, query.get("viewer"))
    degrees = s.degrees([pid for pid, _ in page])
    people = [{"id": pid, "name": name, "friend_count": degrees.get(pid, 0)} for pid, name in page]
    return {"people": people, "next_cursor": encode_cursor(last) if last is not None else None}


@bp.operation(
    "POST",
    "/people",
    summary="Create a person",
    scope="write",
    body=PERSON_CREATE,
    responses={201: ("Created", PERSON)},
    description="409 if the id exists. Attributes are flat profile fields.",
)
def create_person(body: dict[str, Any]) -> ResponseReturnValue:
    s = store()
    person_id: str = body["id"]
    s.add_person(person_id, body.get("attributes") or {}, exist_ok=False)
    if not (body["discoverable"] and body["show_as_mutual"]):
        s.set_consent(
            person_id, discoverable=body["discoverable"], show_as_mutual=body["show_as_mutual"]
        )
    return person_json(person_id), 201, {"Location": f"/v1/people/{quote(person_id, safe='')}"}


@bp.operation(
    "GET",
    "/people/<person_id>",
    summary="Get a person",
    responses={200: ("The person", PERSON)},
)
def get_person(person_id: str) -> ResponseReturnValue:
    return person_json(person_id)


@bp.operation(
    "DELETE",
    "/people/<person_id>",
    summary="Delete a person with their friendships, blocks and consent flags",
    scope="write",
    responses={204: ("Deleted", None)},
)
def delete_person(person_id: str) -> ResponseReturnValue:
    store().remove_person(person_id)
    return "", 204

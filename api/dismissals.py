"""Dismissals: "not interested" in a suggestion, so it never comes back for that person.

A dismissal is one person's (``person_id``) and about one other (``other_id``); it keeps the
other out of ``person_id``'s suggestions and rankings and hides nothing else. A viewer token
may dismiss, undo and list only for its own person. The store keeps them
(:class:`graphmatch.Dismisses`): durably on the journaled memory store and on Neo4j.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from flask.typing import ResponseReturnValue

from api.errors import ApiError
from api.friends import decode_cursor, encode_cursor
from api.models import DISMISSAL, DISMISSALS_PAGE, DISMISSALS_QUERY
from api.routing import ApiBlueprint, store
from graphmatch import Dismisses

__all__ = ["bp"]

bp = ApiBlueprint("dismissals", __name__, url_prefix="/v1")

_ABOUT = {"person_id": "Who turns the suggestion down.", "other_id": "The person dismissed."}


def _dismisses() -> Dismisses:
    """Return the store as one that keeps dismissals, or answer 501."""
    s = store()
    if not isinstance(s, Dismisses):
        raise ApiError(501, "not_implemented", "this server's store keeps no dismissals")
    return s


@bp.operation(
    "PUT",
    "/people/<person_id>/dismissals/<other_id>",
    summary="Dismiss a suggestion: never suggest other_id to person_id again (idempotent)",
    scope="write",
    path_params=_ABOUT,
    responses={201: ("Dismissed", DISMISSAL), 200: ("Already dismissed", DISMISSAL)},
    description=(
        "Both people must exist (404); a person cannot dismiss themselves (422). Only "
        "person_id's suggestions and rankings change: other_id still sees person_id, and "
        "is named as a mutual friend as before. A later friendship does not undo it."
    ),
)
def dismiss(person_id: str, other_id: str) -> ResponseReturnValue:
    created = _dismisses().dismiss(person_id, other_id)
    return {"id": person_id, "dismissed": other_id, "created": created}, 201 if created else 200


@bp.operation(
    "DELETE",
    "/people/<person_id>/dismissals/<other_id>",
    summary="Undo a dismissal (idempotent)",
    scope="write",
    path_params=_ABOUT,
    responses={204: ("Not dismissed (any more)", None)},
)
def undismiss(person_id: str, other_id: str) -> ResponseReturnValue:
    _dismisses().undismiss(person_id, other_id)
    return "", 204


@bp.operation(
    "GET",
    "/people/<person_id>/dismissals",
    summary="List whom a person dismissed, sorted by id, a page at a time",
    query=DISMISSALS_QUERY,
    responses={200: ("A page of dismissed people", DISMISSALS_PAGE)},
    description=(
        "Pass next_cursor back as cursor for the next page. People blocked either way with "
        "person_id are not listed (a block hides both people from each other)."
    ),
)
def list_dismissals(person_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    s = _dismisses()
    blocked = store().blocked_with(person_id)
    gone = [o for o in s.dismissed(person_id) if o not in blocked]
    start = bisect_right(gone, decode_cursor(query["cursor"])) if "cursor" in query else 0
    limit: int = query["limit"]
    page = gone[start : start + limit]
    more = start + limit < len(gone)
    return {
        "id": person_id,
        "dismissed": page,
        "total": len(gone),
        "next_cursor": encode_cursor(page[-1]) if more and page else None,
    }

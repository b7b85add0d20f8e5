"""Friendships: add (idempotent), remove, list a person's friends page by page, bulk import."""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue

from api.errors import ApiError
from api.models import BULK_FRIENDSHIPS, BULK_RESULT, FRIENDS_PAGE, FRIENDS_QUERY, FRIENDSHIP
from api.routing import ApiBlueprint, store

__all__ = ["bp", "decode_cursor", "encode_cursor"]

bp = ApiBlueprint("friends", __name__, url_prefix="/v1")


def encode_cursor(last_id: str) -> str:
    """Return an opaque cursor that resumes after last_id.

    Examples
    --------
    >>> decode_cursor(encode_cursor("ann"))
    'ann'
    """
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """Return the id a cursor resumes after.

    Raises
    ------
    ApiError
        422 ``invalid_cursor`` for a cursor this API did not hand out.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise ApiError(422, "invalid_cursor", "the cursor is not one this API handed out") from None


@bp.operation(
    "PUT",
    "/people/<person_id>/friends/<other_id>",
    summary="Befriend two people (idempotent)",
    scope="write",
    responses={201: ("Friendship created", FRIENDSHIP), 200: ("Already friends", FRIENDSHIP)},
    description="Both people must exist; a person cannot befriend themselves (422).",
)
def add_friend(person_id: str, other_id: str) -> ResponseReturnValue:
    created = store().add_friendship(person_id, other_id)
    return {"id": person_id, "friend": other_id, "created": created}, 201 if created else 200


@bp.operation(
    "DELETE",
    "/people/<person_id>/friends/<other_id>",
    summary="End a friendship (idempotent)",
    scope="write",
    responses={204: ("Not friends any more (or never were)", None)},
)
def remove_friend(person_id: str, other_id: str) -> ResponseReturnValue:
    store().remove_friendship(person_id, other_id)
    return "", 204


@bp.operation(
    "GET",
    "/people/<person_id>/friends",
    summary="List a person's friends, sorted by id, a page at a time",
    query=FRIENDS_QUERY,
    responses={200: ("A page of friends", FRIENDS_PAGE)},
    description=(
        "Pass next_cursor back as cursor for the next page (stable under concurrent "
        "writes), or use offset. Not both. Friends blocked either way are not listed."
    ),
)
def list_friends(person_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    blocked = store().blocked_with(person_id)  # a block hides both people from each other
    friends = [f for f in store().friends(person_id) if f not in blocked]
    limit: int = query["limit"]
    if "cursor" in query:
        start = bisect_right(friends, decode_cursor(query["cursor"]))
    else:
        start = query.get("offset", 0)
    page = friends[start : start + limit]
    more = start + limit < len(friends)
    return {
        "id": person_id,
        "friends": page,
        "total": len(friends),
        "next_cursor": encode_cursor(page[-1]) if more and page else None,
    }


@bp.operation(
    "POST",
    "/friendships/bulk",
    summary="Import many friendships at once (all or nothing)",
    scope="write",
    body=BULK_FRIENDSHIPS,
    responses={200: ("Imported", BULK_RESULT)},
    description=(
        "At most BULK_MAX_ITEMS pairs (413 above). The whole batch is validated before "
        "anything is written: one bad pair (a self-friendship) rejects it all with 422."
    ),
    extra_rules=("/friendships:bulk",),
)
def bulk_friendships(body: dict[str, Any]) -> ResponseReturnValue:
    pairs: list[list[str]] = body["friendships"]
    bound: int = current_app.config["BULK_MAX_ITEMS"]
    if len(pairs) > bound:
        raise ApiError(
            413,
            "batch_too_large",
            f"at most {bound} friendships per request",
            {"max_items": bound, "received": len(pairs)},
        )
    for i, (a, b) in enumerate(pairs):
        if a == b:
            raise ApiError(
                422,
                "validation_failed",
                "a person cannot befriend themselves",
                {"errors": [{"path": f"/friendships/{i}", "message": "self-friendship"}]},
            )
    created = store().add_friendships([(a, b) for a, b in pairs])
    return {"received": len(pairs), "created": created}

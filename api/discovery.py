"""Discovery: mutual friends of two people, suggestions for one, ranking a posted list."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue

from api.errors import ApiError
from api.models import MUTUAL, MUTUAL_QUERY, RANK_REQUEST, SUGGESTIONS, SUGGESTIONS_QUERY
from api.routing import ApiBlueprint, Services, matcher, services, store
from api.viewer import current_viewer
from graphmatch import PersonNotFound

__all__ = ["bp"]

bp = ApiBlueprint("discovery", __name__, url_prefix="/v1")


@bp.operation(
    "GET",
    "/people/<person_id>/mutual/<other_id>",
    summary="Mutual friends of two people",
    query=MUTUAL_QUERY,
    responses={200: ("Count, named people and how many are hidden", MUTUAL)},
    description=(
        "count is exact; people leaves out those who opted out of being shown and anyone "
        "blocked either way with either person (hidden counts them). Between two people "
        "blocked with each other nobody is named. A viewer token asking about someone "
        "blocked with its person gets 404 person_not_found, as if unknown."
    ),
)
def mutual(person_id: str, other_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    me = current_viewer()
    if me is not None and me != other_id and other_id in store().blocked_with(me):
        # A viewer may list mutual friends only with people they may see.
        raise PersonNotFound(other_id)
    m = matcher().mutual_friends(person_id, other_id, max_degree=query.get("max_degree"))
    return {"count": m.count, "people": m.people, "hidden": m.hidden, "exact": m.exact}


def _suggestions(found: Services, person_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """Rank person_id's suggestions: the answer of the view and of its lean path."""
    ranked = found.matcher.suggest(
        person_id,
        limit=query["limit"],
        score=query["score"],
        max_degree=query.get("max_degree"),
        explain=query["explain"],
    )
    return {"suggestions": [s.as_dict() for s in ranked]}


@bp.operation(
    "GET",
    "/people/<person_id>/suggestions",
    lean=_suggestions,
    summary="People this person may know, best first",
    query=SUGGESTIONS_QUERY,
    responses={200: ("Ranked suggestions with their mutual friends", SUGGESTIONS)},
    description=(
        "Candidates are two steps away; never friends, blocked people (either way) or "
        "people who opted out of discovery. Order: score desc, mutual_count desc, id asc."
    ),
)
def suggestions(person_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    return _suggestions(services(), person_id, query)


@bp.operation(
    "POST",
    "/people/<person_id>/rank",
    summary="Order a list of candidates (who here should I meet?)",
    body=RANK_REQUEST,
    responses={200: ("The candidates ranked like suggestions", SUGGESTIONS)},
    description=(
        "Same order rules as suggestions; candidates with no mutual friend score 0. "
        "At most RANK_MAX_CANDIDATES candidates (413 above); unknown candidates are 404."
    ),
)
def rank(person_id: str, body: dict[str, Any]) -> ResponseReturnValue:
    candidates: list[str] = body["candidates"]
    bound: int = current_app.config["RANK_MAX_CANDIDATES"]
    if len(candidates) > bound:
        raise ApiError(
            413,
            "batch_too_large",
            f"at most {bound} candidates per request",
            {"max_items": bound, "received": len(candidates)},
        )
    found = matcher().rank(
        person_id,
        candidates,
        score=body["score"],
        limit=body.get("limit"),
        max_degree=body.get("max_degree"),
        explain=body["explain"],
        include_friends=body["include_friends"],
    )
    return {"suggestions": [s.as_dict() for s in found]}

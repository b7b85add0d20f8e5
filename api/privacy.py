"""Blocks and consent: who hides from whom, who may be discovered or named as a mutual."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from api.models import CONSENT, CONSENT_UPDATE
from api.routing import ApiBlueprint, store

__all__ = ["bp"]

bp = ApiBlueprint("privacy", __name__, url_prefix="/v1")


@bp.operation(
    "PUT",
    "/people/<person_id>/blocks/<other_id>",
    summary="Block someone (idempotent); blocks hide both people from each other",
    scope="write",
    responses={204: ("Blocked", None)},
)
def block(person_id: str, other_id: str) -> ResponseReturnValue:
    store().block(person_id, other_id)
    return "", 204


@bp.operation(
    "DELETE",
    "/people/<person_id>/blocks/<other_id>",
    summary="Remove a block (idempotent)",
    scope="write",
    responses={204: ("Not blocked", None)},
)
def unblock(person_id: str, other_id: str) -> ResponseReturnValue:
    store().unblock(person_id, other_id)
    return "", 204


@bp.operation(
    "PUT",
    "/people/<person_id>/consent",
    summary="Set discovery and mutual-friend consent",
    scope="write",
    body=CONSENT_UPDATE,
    responses={200: ("The consent flags now", CONSENT)},
)
def set_consent(person_id: str, body: dict[str, Any]) -> ResponseReturnValue:
    s = store()
    s.set_consent(
        person_id,
        discoverable=body.get("discoverable"),
        show_as_mutual=body.get("show_as_mutual"),
    )
    data = s.person(person_id)
    return {
        "id": person_id,
        "discoverable": bool(data["discoverable"]),
        "show_as_mutual": bool(data["show_as_mutual"]),
    }

"""People: create with attributes, read, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask.typing import ResponseReturnValue

from api.models import PERSON, PERSON_CREATE
from api.routing import ApiBlueprint, store

__all__ = ["bp", "person_json"]

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

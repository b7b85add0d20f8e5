"""Presence and events: check in, check out, who is near, whom to meet at an event.

=====================================================  =========================================
endpoint                                               answer
=====================================================  =========================================
``PUT /v1/people/{id}/presence``                       check in (replaces an earlier check-in)
``GET /v1/people/{id}/presence``                       the live check-in (404 ``not_checked_in``)
``DELETE /v1/people/{id}/presence``                    check out (idempotent, 204)
``GET /v1/people/{id}/nearby``                         people present near them, ranked
``GET /v1/events``                                    every event, a page at a time
``PUT /v1/events/{event_id}``                          create or update an event
``GET /v1/events/{event_id}``                          the event and how many are checked in
``GET /v1/events/{event_id}/attendees``                who is checked in, a page at a time
``GET /v1/events/{event_id}/introductions/{id}``       whom this attendee should meet
``GET /v1/events/{event_id}/top-pairs``                attendee pairs most worth introducing
=====================================================  =========================================

Errors beyond the common ones: an unknown event is 404 ``event_not_found``; asking who is near
(or whom to meet at an event) without being checked in (there) is 404 ``not_checked_in``, the
answer reading a check-in that is not there gets.
Ranges: lat [-90, 90], lon [-180, 180], radius_m [1, 50000], ttl_s [60, 86400].

The presence service lives in ``app.extensions["graphmatch.presence.service"]``; it is created over
the app's store and matcher when the blueprint is registered (memory index, or Neo4j's for a
Neo4j store). Replace it there to inject a clock.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from typing import Any

from flask import current_app
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App
from flask.typing import ResponseReturnValue

from api.errors import ApiError
from api.friends import decode_cursor, encode_cursor
from api.models import ATTENDEES_PAGE, ATTENDEES_QUERY, ERROR, EVENTS_PAGE, EVENTS_QUERY
from api.people import hidden_from
from api.routing import ApiBlueprint, Services
from api.schema import Model, array, boolean, integer, number, obj, string
from api.viewer import current_viewer
from graphmatch import DEFAULT_SCORE, SCORES, PersonNotFound
from graphmatch.matcher import MAX_EXPLAIN, MAX_LIMIT  # public module; not in graphmatch.__all__
from graphmatch.presence import (
    DEFAULT_RADIUS_M,
    DEFAULT_TTL_S,
    MAX_RADIUS_M,
    MAX_TTL_S,
    MIN_RADIUS_M,
    MIN_TTL_S,
    ListsEvents,
    Presence,
)

__all__ = ["EXTENSION", "bp", "init_presence", "presence"]

EXTENSION = "graphmatch.presence.service"

bp = ApiBlueprint("presence", __name__, url_prefix="/v1", tag="presence")

_EVENT_PARAM = {"event_id": "An event id."}
_lock = threading.Lock()

# -- models ------------------------------------------------------------------------------------
_ID = string(1, 256, description="A person id.")
_EVENT_ID = string(1, 256, pattern="^[^/]+$", description="An event id (no '/').")
_LAT = number(minimum=-90, maximum=90, description="Degrees north, -90 to 90.")
_LON = number(minimum=-180, maximum=180, description="Degrees east, -180 to 180.")
_SCORE = string(enum=list(SCORES), default=DEFAULT_SCORE, description="Link-prediction score.")
_LIMIT = integer(1, MAX_LIMIT, default=10, description="How many results.")
_EXPLAIN = integer(0, MAX_EXPLAIN, default=3, description="Mutual friends named per result.")
_CAP = integer(1, 2**62, description="Ignore mutual friends with more friends than this.")

CHECK_IN = Model(
    "CheckInRequest",
    obj(
        {
            "lat": _LAT,
            "lon": _LON,
            "event_id": _EVENT_ID,
            "ttl_s": number(
                minimum=MIN_TTL_S,
                maximum=MAX_TTL_S,
                default=DEFAULT_TTL_S,
                description="Seconds until the presence expires on its own.",
            ),
            "visible": boolean(
                default=True, description="False: see who is near, but nobody sees you."
            ),
        },
        description="A coordinate (lat and lon together), an event, or both.",
        dependentRequired={"lat": ["lon"], "lon": ["lat"]},
        anyOf=[{"required": ["lat"]}, {"required": ["event_id"]}],
    ),
)
PRESENCE = Model(
    "Presence",
    obj(
        {
            "id": _ID,
            "lat": {"type": ["number", "null"]},
            "lon": {"type": ["number", "null"]},
            "event_id": {"type": ["string", "null"]},
            "visible": boolean(),
            "checked_in_at": number(description="Unix seconds."),
            "expires_at": number(description="Unix seconds."),
            "ttl_s": number(description="Seconds left."),
        },
        required=["id", "lat", "lon", "event_id", "visible", "checked_in_at", "expires_at"],
    ),
)
NEARBY_QUERY = Model(
    "NearbyQuery",
    obj(
        {
            "radius_m": number(
                minimum=MIN_RADIUS_M,
                maximum=MAX_RADIUS_M,
                default=DEFAULT_RADIUS_M,
                description="Great-circle radius in metres.",
            ),
            "limit": _LIMIT,
            "score": _SCORE,
            "include_friends": boolean(default=False, description="Keep existing friends."),
            "max_degree": _CAP,
            "explain": _EXPLAIN,
        }
    ),
)
NEARBY = Model(
    "Nearby",
    obj(
        {
            "nearby": array(
                obj(
                    {
                        "id": _ID,
                        "score": number(),
                        "mutual_count": integer(0),
                        "mutual": array(_ID),
                        "distance_m": {
                            "type": ["integer", "null"],
                            "description": "Whole metres; null if only at the same event.",
                        },
                        "same_event": boolean(),
                        "within_radius": boolean(
                            description=(
                                "Whether they are within radius_m; false for someone found "
                                "only because they are at the same event (distance_m then "
                                "says how far, or is null)."
                            )
                        ),
                    },
                    required=[
                        "id",
                        "score",
                        "mutual_count",
                        "mutual",
                        "distance_m",
                        "same_event",
                        "within_radius",
                    ],
                )
            )
        },
        required=["nearby"],
    ),
)
EVENT_UPDATE = Model(
    "EventUpdate",
    obj(
        {"name": string(0, 1000, default=""), "lat": _LAT, "lon": _LON},
        description="Where the event is (lat and lon together) is optional.",
        dependentRequired={"lat": ["lon"], "lon": ["lat"]},
    ),
)
EVENT = Model(
    "Event",
    obj(
        {
            "id": _ID,
            "name": string(),
            "lat": {"type": ["number", "null"]},
            "lon": {"type": ["number", "null"]},
            "attendees": integer(0, description="People visibly checked in now."),
        },
        required=["id", "name", "lat", "lon", "attendees"],
    ),
)
INTRODUCTIONS_QUERY = Model(
    "EventIntroductionsQuery",
    obj(
        {
            "limit": _LIMIT,
            "score": _SCORE,
            "include_friends": boolean(default=False, description="Keep existing friends."),
            "max_degree": _CAP,
            "explain": _EXPLAIN,
        }
    ),
)
SUGGESTIONS = Model(
    "EventIntroductions",
    obj(
        {
            "suggestions": array(
                obj(
                    {
                        "id": _ID,
                        "score": number(),
                        "mutual_count": integer(0),
                        "mutual": array(_ID),
                    },
                    required=["id", "score", "mutual_count", "mutual"],
                )
            )
        },
        required=["suggestions"],
    ),
)
TOP_PAIRS_QUERY = Model(
    "TopPairsQuery",
    obj(
        {
            "limit": _LIMIT,
            "max_degree": _CAP,
            "explain": _EXPLAIN,
            "viewer": string(
                1,
                256,
                description=(
                    "Shown to this person: pairs with someone blocked either way with them "
                    "are left out, and so are such people's names among the mutual friends."
                ),
            ),
        }
    ),
)
TOP_PAIRS = Model(
    "TopPairs",
    obj(
        {
            "pairs": array(
                obj(
                    {"a": _ID, "b": _ID, "mutual_count": integer(1), "mutual": array(_ID)},
                    required=["a", "b", "mutual_count", "mutual"],
                )
            )
        },
        required=["pairs"],
    ),
)


# -- the service -------------------------------------------------------------------------------
def init_presence(app: App, service: Presence | None = None) -> Presence:
    """Attach a presence service to an app (the app's store and matcher by default).

    Parameters
    ----------
    app : flask.Flask
        An app from :func:`api.create_app`.
    service : Presence, optional
        A ready service (a test clock, another index).

    Returns
    -------
    Presence
        The service now in ``app.extensions["graphmatch.presence.service"]``.

    Examples
    --------
    >>> import graphmatch as gm
    >>> from api import create_app
    >>> app = create_app(store=gm.MemoryStore())
    >>> init_presence(app).store is app.extensions["graphmatch"].store
    True
    """
    if service is None:
        services: Services = app.extensions["graphmatch"]
        service = Presence(services.store, matcher=services.matcher)
    app.extensions[EXTENSION] = service
    return service


@bp.record
def _on_register(state: BlueprintSetupState) -> None:
    # The app factory puts the store in extensions before it registers blueprints.
    if EXTENSION not in state.app.extensions and "graphmatch" in state.app.extensions:
        init_presence(state.app)


def presence() -> Presence:
    """Return the current app's presence service (created on first use if missing)."""
    found: Presence | None = current_app.extensions.get(EXTENSION)
    if found is None:
        with _lock:
            found = current_app.extensions.get(EXTENSION)
            if found is None:
                found = init_presence(current_app)
    return found


# -- people's presence -------------------------------------------------------------------------
@bp.operation(
    "PUT",
    "/people/<person_id>/presence",
    summary="Check in at a coordinate and/or an event (opt in to being found nearby)",
    scope="write",
    body=CHECK_IN,
    responses={200: ("The check-in", PRESENCE)},
    description=(
        "Replaces any earlier check-in. Without lat/lon, an event's own location is used. "
        "visible=false is see-only. Unknown event: 404 event_not_found."
    ),
)
def check_in(person_id: str, body: dict[str, Any]) -> ResponseReturnValue:
    p = presence()
    rec = p.check_in(
        person_id,
        lat=body.get("lat"),
        lon=body.get("lon"),
        event_id=body.get("event_id"),
        ttl_s=body["ttl_s"],
        visible=body["visible"],
    )
    return rec.as_dict(rec.checked_in_at)


@bp.operation(
    "GET",
    "/people/<person_id>/presence",
    summary="The person's live check-in",
    responses={200: ("The check-in", PRESENCE)},
    description=(
        "404 not_checked_in when there is none (never checked in, out, or expired). "
        "Coordinates are shown only to the person's own viewer token; anyone else gets "
        "lat and lon null, and a see-only check-in (visible=false) answers 404 to them."
    ),
)
def get_presence(person_id: str) -> ResponseReturnValue:
    p = presence()
    rec = p.where(person_id)
    owner = current_viewer() == person_id
    # A see-only check-in is one nobody else may notice: to them it does not exist.
    if rec is None or not (rec.visible or owner):
        message = f"person {person_id!r} is not checked in"
        raise ApiError(404, "not_checked_in", message, {"id": person_id})
    out = rec.as_dict(p.clock())
    if not owner:
        out["lat"] = out["lon"] = None  # where someone stands is theirs alone
    return out


@bp.operation(
    "DELETE",
    "/people/<person_id>/presence",
    summary="Check out now (idempotent)",
    scope="write",
    responses={204: ("Not present any more", None)},
)
def check_out(person_id: str) -> ResponseReturnValue:
    presence().check_out(person_id)
    return "", 204


@bp.operation(
    "GET",
    "/people/<person_id>/nearby",
    summary="People present near this person, ranked by friends in common",
    query=NEARBY_QUERY,
    responses={
        200: ("Ranked like suggestions, with distance", NEARBY),
        404: ("Unknown person (person_not_found), or not checked in (not_checked_in)", ERROR),
    },
    description=(
        "Candidates: visible, live check-ins within radius_m (great-circle) of the person's "
        "check-in, or at the same event (so some may be further away: within_radius says, "
        "and same_event says why they are listed). Never the person, blocked people (either "
        "way), people who opted out of discovery, or friends unless include_friends. Order: "
        "score desc, "
        "mutual_count desc, id asc (as POST /rank over the same people)."
    ),
)
def nearby(person_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    found = presence().nearby(
        person_id,
        radius_m=query["radius_m"],
        limit=query["limit"],
        score=query["score"],
        include_friends=query["include_friends"],
        max_degree=query.get("max_degree"),
        explain=query["explain"],
    )
    radius = query["radius_m"]
    rows = []
    for n in found:
        row = n.as_dict()
        row["within_radius"] = n.distance_m is not None and n.distance_m <= radius
        rows.append(row)
    return {"nearby": rows}


# -- events ------------------------------------------------------------------------------------
def _event_json(p: Presence, event_id: str) -> dict[str, Any]:
    info = p.event(event_id)
    return {**info.as_dict(), "attendees": len(p.attendees(event_id))}


def _event_ids(p: Presence, after: str | None, limit: int) -> list[str]:
    """Return a page of event ids from the index (ListsEvents), sorted by id."""
    index = p.index
    if not isinstance(index, ListsEvents):
        raise ApiError(501, "not_implemented", "this presence index cannot list its events")
    return index.event_ids(after, limit)


@bp.operation(
    "GET",
    "/events",
    summary="Every event, sorted by id, a page at a time",
    query=EVENTS_QUERY,
    responses={200: ("A page of events with how many are checked in", EVENTS_PAGE)},
    description="Pass next_cursor back as cursor for the next page.",
)
def list_events(query: dict[str, Any]) -> ResponseReturnValue:
    p = presence()
    after = decode_cursor(query["cursor"]) if "cursor" in query else None
    limit: int = query["limit"]
    ids = _event_ids(p, after, limit + 1)
    page = ids[:limit]
    more = len(ids) > limit
    return {
        "events": [_event_json(p, e) for e in page],
        "next_cursor": encode_cursor(page[-1]) if more and page else None,
    }


@bp.operation(
    "GET",
    "/events/<event_id>/attendees",
    summary="The people visibly checked in at an event, sorted by id, a page at a time",
    query=ATTENDEES_QUERY,
    responses={200: ("A page of attendees", ATTENDEES_PAGE)},
    path_params=_EVENT_PARAM,
    description=(
        "Unknown event: 404 event_not_found. With viewer, people blocked either way with them "
        "and people who opted out of discovery are left out (and not counted in total)."
    ),
)
def list_attendees(event_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    p = presence()
    present = p.attendees(event_id)
    s = p.store
    viewer = query.get("viewer")
    if viewer is not None:
        if not s.exists(viewer):
            raise PersonNotFound(viewer)
        hidden = hidden_from(s, viewer, present)
        present = [a for a in present if a not in hidden]
    start = bisect_right(present, decode_cursor(query["cursor"])) if "cursor" in query else 0
    limit: int = query["limit"]
    page = present[start : start + limit]
    more = start + limit < len(present)
    degrees = s.degrees(page)
    attendees = []
    for pid in page:
        try:
            name = s.person(pid).get("name")
        except PersonNotFound:  # deleted since the list was read
            continue
        attendees.append(
            {
                "id": pid,
                "name": name if isinstance(name, str) else None,
                "friend_count": degrees.get(pid, 0),
            }
        )
    return {
        "event_id": event_id,
        "attendees": attendees,
        "total": len(present),
        "next_cursor": encode_cursor(page[-1]) if more and page else None,
    }


@bp.operation(
    "PUT",
    "/events/<event_id>",
    summary="Create or update an event people can check in at",
    scope="write",
    body=EVENT_UPDATE,
    responses={200: ("The event", EVENT)},
    path_params=_EVENT_PARAM,
)
def put_event(event_id: str, body: dict[str, Any]) -> ResponseReturnValue:
    if "/" in event_id:
        raise ApiError(422, "invalid_input", "event ids may not contain '/'")
    p = presence()
    p.add_event(event_id, name=body["name"], lat=body.get("lat"), lon=body.get("lon"))
    return _event_json(p, event_id)


@bp.operation(
    "GET",
    "/events/<event_id>",
    summary="An event and how many are checked in",
    responses={200: ("The event", EVENT)},
    path_params=_EVENT_PARAM,
)
def get_event(event_id: str) -> ResponseReturnValue:
    return _event_json(presence(), event_id)


@bp.operation(
    "GET",
    "/events/<event_id>/introductions/<person_id>",
    summary="Whom this attendee should meet here",
    query=INTRODUCTIONS_QUERY,
    responses={
        200: ("Attendees ranked like suggestions", SUGGESTIONS),
        404: (
            "Unknown person or event, or the person not checked in at this event (not_checked_in)",
            ERROR,
        ),
    },
    path_params={**_EVENT_PARAM, "person_id": "A person id."},
    description="Exactly POST /rank over the people visibly checked in at the event.",
)
def introductions(event_id: str, person_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    found = presence().event_introductions(
        event_id,
        person_id,
        limit=query["limit"],
        score=query["score"],
        include_friends=query["include_friends"],
        max_degree=query.get("max_degree"),
        explain=query["explain"],
    )
    return {"suggestions": [s.as_dict() for s in found]}


@bp.operation(
    "GET",
    "/events/<event_id>/top-pairs",
    summary="Attendee pairs who are not friends yet, by mutual friends (for organisers)",
    query=TOP_PAIRS_QUERY,
    responses={200: ("Pairs, most mutual friends first", TOP_PAIRS)},
    path_params=_EVENT_PARAM,
    description=(
        "Pairs blocked either way or with someone who opted out of discovery are left out; "
        "with viewer, so are pairs with someone blocked either way with the viewer. "
        "Order: mutual_count desc, then a, b asc (a < b). Cost grows with the attendees' "
        "friend lists and shared friends, never with all pairs; max_degree skips hubs."
    ),
)
def top_pairs(event_id: str, query: dict[str, Any]) -> ResponseReturnValue:
    p = presence()
    limit: int = query["limit"]
    viewer = query.get("viewer")
    hidden: set[str] = set()
    if viewer is not None:
        if not p.store.exists(viewer):
            raise PersonNotFound(viewer)
        present = p.attendees(event_id)
        hidden = p.store.blocked_with(viewer)
        # Each hidden attendee can take up to len(present) - 1 pairs out of the answer.
        extra = sum(1 for a in present if a in hidden) * max(len(present) - 1, 0)
        limit = min(MAX_LIMIT, limit + extra)
    pairs = p.top_pairs(
        event_id, limit=limit, max_degree=query.get("max_degree"), explain=query["explain"]
    )
    out = []
    for t in pairs:
        if t.a in hidden or t.b in hidden:
            continue
        row = t.as_dict()
        row["mutual"] = [w for w in t.mutual if w not in hidden]
        out.append(row)
    return {"pairs": out[: query["limit"]]}

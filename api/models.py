"""The request and response models of the HTTP API (one set: validation and OpenAPI).

Ids are strings of 1 to 256 characters; ids created over HTTP may not contain ``/`` so that
every person can be addressed in a path. Profile attributes are flat: strings (up to 1,000
characters), numbers, booleans, or lists of up to 100 strings, under names that start with a
letter or underscore, so that both stores (networkx and Neo4j properties) keep them alike.
"""

from __future__ import annotations

from typing import Any

from api.schema import Model, array, boolean, integer, number, obj, string
from graphmatch import DEFAULT_SCORE, LEARNED, SCORES
from graphmatch.matcher import MAX_EXPLAIN, MAX_LIMIT  # public module; not in graphmatch.__all__

__all__ = [
    "ATTENDEES_PAGE",
    "ATTENDEES_QUERY",
    "ATTRIBUTES",
    "BULK_FRIENDSHIPS",
    "BULK_RESULT",
    "CONSENT",
    "CONSENT_UPDATE",
    "DISMISSAL",
    "DISMISSALS_PAGE",
    "DISMISSALS_QUERY",
    "ERROR",
    "EVENTS_PAGE",
    "EVENTS_QUERY",
    "FRIENDSHIP",
    "FRIENDS_PAGE",
    "FRIENDS_QUERY",
    "HEALTH",
    "ID_PATTERN",
    "MUTUAL",
    "MUTUAL_QUERY",
    "NOT_AN_ID",
    "PEOPLE_PAGE",
    "PEOPLE_QUERY",
    "PERSON",
    "PERSON_CREATE",
    "RANK_REQUEST",
    "SUGGESTIONS",
    "SUGGESTIONS_QUERY",
    "id_schema",
]

MAX_ID = 256
#: The largest degree cap the matcher takes.
MAX_DEGREE_CAP = 2**62

#: The id rule (:func:`graphmatch.check_id`) as JSON Schema, so clients and generators see it:
#: no '/' and no control character, and not '.', '..' or only whitespace (Python's
#: ``str.isspace`` outside the control characters). Lone surrogates cannot reach a path (they
#: decode to U+FFFD) and are refused in bodies before validation (:func:`api.routing.json_body`).
ID_PATTERN = "^[^/\\u0000-\\u001f\\u007f-\\u009f]+$"
BLANK_PATTERN = "^[ \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$"
NOT_AN_ID: dict[str, Any] = {
    "not": {
        "description": "'.', '..' or only whitespace",
        "anyOf": [{"enum": [".", ".."]}, {"pattern": BLANK_PATTERN}],
    }
}


def id_schema(description: str) -> dict[str, Any]:
    """Return the schema of an id: 1 to MAX_ID characters that keep the id rule."""
    return string(1, MAX_ID, pattern=ID_PATTERN, description=description, **NOT_AN_ID)


ID = id_schema("A person id.")
NEW_ID = id_schema("A new person id (no '/', no control character, not '.' or '..').")
ATTR_NAME = string(1, 64, pattern="^[A-Za-z_][A-Za-z0-9_]*$")
ATTR_VALUE = {
    "type": ["string", "number", "boolean", "array"],
    "maxLength": 1000,
    "items": string(0, 1000),
    "maxItems": 100,
    "minimum": -(2**53),
    "maximum": 2**53,
    "description": "A string, number, boolean or list of strings.",
}
ATTRIBUTES = obj(
    {},
    additional=ATTR_VALUE,
    maxProperties=64,
    propertyNames=ATTR_NAME,
    description="Profile attributes ('id', 'discoverable', 'show_as_mutual' are reserved).",
)
SCORE = string(enum=list(SCORES), default=DEFAULT_SCORE, description="Link-prediction score.")
SUGGEST_SCORE = string(
    enum=[*SCORES, LEARNED],
    default=DEFAULT_SCORE,
    description="Link-prediction score; `learned` needs a server started with a model "
    "(`serve --model PATH`), else 422.",
)
DEGREE_CAP = integer(
    1, MAX_DEGREE_CAP, description="Ignore mutual friends with more friends than this."
)
LIMIT = integer(1, MAX_LIMIT, default=10, description="How many results.")
EXPLAIN = integer(0, MAX_EXPLAIN, default=3, description="Mutual friends named per result.")

# -- requests ------------------------------------------------------------------------------
PERSON_CREATE = Model(
    "PersonCreate",
    obj(
        {
            "id": NEW_ID,
            "attributes": ATTRIBUTES,
            "discoverable": boolean(default=True, description="May appear in suggestions."),
            "show_as_mutual": boolean(default=True, description="May be named as a mutual."),
        },
        required=["id"],
    ),
)
#: ``not`` is a Python keyword, so this rule is passed to :func:`obj` unpacked.
_NOT_BOTH_CURSOR_AND_OFFSET: dict[str, Any] = {"not": {"required": ["cursor", "offset"]}}
FRIENDS_QUERY = Model(
    "FriendsQuery",
    obj(
        {
            "limit": integer(1, MAX_LIMIT, default=100, description="Page size."),
            "cursor": string(1, 2048, description="next_cursor of the previous page."),
            "offset": integer(0, 2**31, description="Skip this many (instead of a cursor)."),
        },
        **_NOT_BOTH_CURSOR_AND_OFFSET,
    ),
)
CURSOR = string(1, 2048, description="next_cursor of the previous page.")
DISMISSALS_QUERY = Model(
    "DismissalsQuery",
    obj({"limit": integer(1, MAX_LIMIT, default=100, description="Page size."), "cursor": CURSOR}),
)
VIEWER = string(
    1,
    MAX_ID,
    description=(
        "Answer as this person sees it: leave out people blocked either way with them and "
        "people who opted out of discovery (404 if unknown)."
    ),
)
PEOPLE_QUERY = Model(
    "PeopleQuery",
    obj(
        {
            "q": string(
                0,
                MAX_ID,
                description=(
                    "Prefix of the id (exact case) or of the name or any word of it (any "
                    "case). Empty or missing: everyone."
                ),
            ),
            "limit": integer(1, MAX_LIMIT, default=20, description="Page size."),
            "cursor": CURSOR,
            "viewer": VIEWER,
        }
    ),
)
EVENTS_QUERY = Model(
    "EventsQuery",
    obj(
        {
            "limit": integer(1, MAX_LIMIT, default=20, description="Page size."),
            "cursor": CURSOR,
        }
    ),
)
ATTENDEES_QUERY = Model(
    "AttendeesQuery",
    obj(
        {
            "limit": integer(1, MAX_LIMIT, default=50, description="Page size."),
            "cursor": CURSOR,
            "viewer": VIEWER,
        }
    ),
)
MUTUAL_QUERY = Model("MutualQuery", obj({"max_degree": DEGREE_CAP}))
SUGGESTIONS_QUERY = Model(
    "SuggestionsQuery",
    obj({"limit": LIMIT, "score": SUGGEST_SCORE, "max_degree": DEGREE_CAP, "explain": EXPLAIN}),
)
RANK_REQUEST = Model(
    "RankRequest",
    obj(
        {
            "candidates": array(ID, 1, description="The people to order (e.g. those present)."),
            "score": SCORE,
            "limit": integer(1, MAX_LIMIT, description="Keep the best this many (default all)."),
            "max_degree": DEGREE_CAP,
            "explain": EXPLAIN,
            "include_friends": boolean(default=False, description="Keep existing friends."),
        },
        required=["candidates"],
    ),
)
CONSENT_UPDATE = Model(
    "ConsentUpdate",
    obj(
        {
            "discoverable": boolean(description="May appear in others' suggestions."),
            "show_as_mutual": boolean(description="May be named as someone's mutual friend."),
        },
        description="Flags left out stay as they are.",
    ),
)
BULK_FRIENDSHIPS = Model(
    "BulkFriendships",
    obj(
        {
            "friendships": array(
                array(ID, 2, 2),
                1,
                description="Pairs of ids; missing people are created.",
            )
        },
        required=["friendships"],
    ),
)

# -- responses -----------------------------------------------------------------------------
PERSON = Model(
    "Person",
    obj(
        {
            "id": ID,
            "attributes": obj({}, additional=True),
            "discoverable": boolean(),
            "show_as_mutual": boolean(),
            "friend_count": integer(0),
        },
        required=["id", "attributes", "discoverable", "show_as_mutual", "friend_count"],
    ),
)
FRIENDSHIP = Model(
    "Friendship",
    obj(
        {"id": ID, "friend": ID, "created": boolean()},
        required=["id", "friend", "created"],
    ),
)
DISMISSAL = Model(
    "Dismissal",
    obj(
        {
            "id": ID,
            "dismissed": string(1, MAX_ID, description="Never suggested to id again."),
            "created": boolean(description="False if it was dismissed already."),
        },
        required=["id", "dismissed", "created"],
    ),
)
DISMISSALS_PAGE = Model(
    "DismissalsPage",
    obj(
        {
            "id": ID,
            "dismissed": array(ID, description="Sorted by id."),
            "total": integer(0, description="Dismissed people listed over all pages."),
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass back as cursor for the next page; null on the last page.",
            },
        },
        required=["id", "dismissed", "total", "next_cursor"],
    ),
)
FRIENDS_PAGE = Model(
    "FriendsPage",
    obj(
        {
            "id": ID,
            "friends": array(ID),
            "total": integer(0),
            "next_cursor": {"type": ["string", "null"]},
        },
        required=["id", "friends", "total", "next_cursor"],
    ),
)
MUTUAL = Model(
    "Mutual",
    obj(
        {
            "count": integer(0, description="Exact number of mutual friends."),
            "people": array(ID, description="Named mutual friends, strongest tie first."),
            "hidden": integer(0, description="Mutual friends not named by their choice."),
            "exact": boolean(description="Whether every mutual friend is named."),
        },
        required=["count", "people", "hidden", "exact"],
    ),
)
SUGGESTION = obj(
    {"id": ID, "score": number(), "mutual_count": integer(0), "mutual": array(ID)},
    required=["id", "score", "mutual_count", "mutual"],
)
SUGGESTIONS = Model(
    "Suggestions", obj({"suggestions": array(SUGGESTION)}, required=["suggestions"])
)
CONSENT = Model(
    "Consent",
    obj(
        {"id": ID, "discoverable": boolean(), "show_as_mutual": boolean()},
        required=["id", "discoverable", "show_as_mutual"],
    ),
)
BULK_RESULT = Model(
    "BulkResult",
    obj(
        {
            "received": integer(0, description="Pairs in the request."),
            "created": integer(0, description="Friendships that did not exist before."),
        },
        required=["received", "created"],
    ),
)
NEXT_CURSOR = {
    "type": ["string", "null"],
    "description": "Pass back as cursor for the next page; null on the last page.",
}
NAME = {"type": ["string", "null"], "description": "The name attribute, if it is a string."}
PERSON_BRIEF = obj(
    {"id": ID, "name": NAME, "friend_count": integer(0)},
    required=["id", "name", "friend_count"],
)
PEOPLE_PAGE = Model(
    "PeoplePage",
    obj(
        {"people": array(PERSON_BRIEF, description="Sorted by id."), "next_cursor": NEXT_CURSOR},
        required=["people", "next_cursor"],
    ),
)
EVENT_BRIEF = obj(
    {
        "id": ID,
        "name": string(),
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
        "attendees": integer(0, description="People visibly checked in now."),
    },
    required=["id", "name", "lat", "lon", "attendees"],
)
EVENTS_PAGE = Model(
    "EventsPage",
    obj(
        {"events": array(EVENT_BRIEF, description="Sorted by id."), "next_cursor": NEXT_CURSOR},
        required=["events", "next_cursor"],
    ),
)
ATTENDEES_PAGE = Model(
    "AttendeesPage",
    obj(
        {
            "event_id": ID,
            "attendees": array(PERSON_BRIEF, description="Sorted by id."),
            "total": integer(0, description="Attendees listed over all pages."),
            "next_cursor": NEXT_CURSOR,
        },
        required=["event_id", "attendees", "total", "next_cursor"],
    ),
)
HEALTH = Model("Health", obj({"status": string()}, required=["status"]))
ERROR = Model(
    "Error",
    obj(
        {
            "code": string(description="Stable machine-readable code."),
            "message": string(),
            "details": obj({}, additional=True),
        },
        required=["code", "message", "details"],
    ),
)

"""``GET /v1/scores``: the scores this server ranks by, its default, and whether it has a model.

The one public answer to "may I ask for ``score=learned`` here?": ``learned`` answers only on
a server started with a model file (``serve --model`` / ``GRAPHMATCH_MODEL``), a 422
otherwise, and the OpenAPI document lists it either way. The explorer's score picker reads
this to offer ``learned`` where it works.
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from api.routing import ApiBlueprint, matcher
from api.schema import Model, array, boolean, obj, string
from graphmatch import DEFAULT_SCORE, LEARNED, SCORES

__all__ = ["SCORES_DOC", "bp"]

bp = ApiBlueprint("scores", __name__, url_prefix="/v1", tag="discovery")

_SCORE = obj(
    {
        "name": string(description="The value to pass as score=."),
        "available": boolean(
            description="Whether this server answers it (learned: only with a model loaded)."
        ),
        "learned": boolean(description="Whether it is the learned ranker (needs a model)."),
        "default": boolean(description="Whether it is the default (score= omitted)."),
    },
    required=["name", "available", "learned", "default"],
)
SCORES_DOC = Model(
    "Scores",
    obj(
        {
            "default": string(description="The score used when score= is omitted."),
            "scores": array(_SCORE),
        },
        required=["default", "scores"],
    ),
)


@bp.operation(
    "GET",
    "/scores",
    summary="The scores suggestions can be ranked by, and which this server answers",
    scope=None,
    responses={200: ("The scores", SCORES_DOC)},
    description=(
        "Public, like the OpenAPI document. The formula scores are always available; "
        "learned only when the server was started with a model file (else a suggestions "
        "request with score=learned is a 422)."
    ),
)
def scores() -> ResponseReturnValue:
    has_model = matcher().learned is not None
    names = [*SCORES, LEARNED]
    return {
        "default": DEFAULT_SCORE,
        "scores": [
            {
                "name": name,
                "available": has_model or name != LEARNED,
                "learned": name == LEARNED,
                "default": name == DEFAULT_SCORE,
            }
            for name in names
        ],
    }

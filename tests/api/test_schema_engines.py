"""The request models give the same answers with jsonschema-rs and with api/schema.py's walk alone.

jsonschema-rs (the ``api`` extra) decides validity when installed; the walk then only writes
the messages of a refused request. Without it the walk decides alone. Both must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api import schema
from api.models import BULK_FRIENDSHIPS, FRIENDS_QUERY, PERSON_CREATE, RANK_REQUEST
from api.presence import CHECK_IN
from api.schema import Model, ValidationFailed, integer, obj
from graphmatch.presence import DEFAULT_TTL_S

DOT = "must not be '.', '..' or only whitespace"
CASES: list[tuple[Model, dict[str, Any], dict[str, Any] | str]] = [
    (RANK_REQUEST, {"candidates": ["a"], "limit": 800.0},
     {"candidates": ["a"], "limit": 800, "score": "cn_ra", "explain": 3, "include_friends": False}),
    (RANK_REQUEST, {"candidates": ["a"], "limit": 0.5}, "/limit: must be of type integer"),
    (RANK_REQUEST, {"candidates": ["."]}, f"/candidates/0: {DOT}"),
    (RANK_REQUEST, {"candidates": ["a\x01"]}, "/candidates/0: must match"),
    (CHECK_IN, {"lat": 1.0}, "/lon: is required with lat"),
    (CHECK_IN, {"ttl_s": 600}, "/: must have lat or event_id"),
    (CHECK_IN, {"event_id": "conf"}, {"event_id": "conf", "ttl_s": DEFAULT_TTL_S, "visible": True}),
    (FRIENDS_QUERY, {"cursor": "YQ", "offset": 1}, "/: must not have cursor and offset"),
    (PERSON_CREATE, {"id": "a", "attributes": {"9lives": 1}}, "/attributes/9lives: name must"),
    (BULK_FRIENDSHIPS, {"friendships": [["a", "b"], ["c"]]}, "/friendships/1: must have"),
]  # fmt: skip


def outcome(model: Model, data: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return model.load(data)
    except ValidationFailed as exc:
        return str(exc)


@pytest.fixture(params=["jsonschema-rs", "walk alone"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "jsonschema-rs":
        pytest.importorskip("jsonschema_rs")
    else:
        monkeypatch.setattr(schema, "_compile", lambda s: False)
    for model, _, _ in CASES:  # forget validators compiled by earlier tests
        object.__setattr__(model, "_compiled", None)
    yield request.param
    for model, _, _ in CASES:
        object.__setattr__(model, "_compiled", None)


@pytest.mark.parametrize(("model", "data", "expected"), CASES)
def test_both_engines_accept_and_refuse_alike_with_the_same_messages(
    engine: str, model: Model, data: dict[str, Any], expected: dict[str, Any] | str
) -> None:
    got = outcome(model, data)
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith(expected), got
    else:
        assert got == expected


def test_the_full_validator_wins_where_the_walk_knows_no_keyword() -> None:
    pytest.importorskip("jsonschema_rs")
    even = Model("Even", obj({"n": {**integer(), "multipleOf": 2}}))  # the walk ignores it
    assert even.load({"n": 4}) == {"n": 4}
    with pytest.raises(ValidationFailed) as info:
        even.load({"n": 3})
    assert info.value.issues[0].path == "/n"

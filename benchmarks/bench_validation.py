"""Per-request cost of request validation: api/schema.py against full JSON Schema validators.

Issue 15, item 7 asks whether to replace the hand-written validator (``api/schema.py``) with a
well-kept one. This measures, on the API's own request models, the time to validate one
request and hand the view its typed values, for:

- **walk**: api/schema.py's hand-written walk alone (``validate``, then integral floats made
  ints and defaults filled), which is what ``Model.load`` did before;
- **Model.load**: what the API runs now: jsonschema-rs decides, and only a refused request is
  walked for its messages;
- **jsonschema-rs**: a compiled validator (``jsonschema_rs.validator_for``; Rust), then the
  same defaults/integers step in Python (it validates only);
- **fastjsonschema**: generated Python code (``fastjsonschema.compile``; draft-07 at most, so
  ``dependentRequired`` is not checked), with its own defaults;
- **pydantic**: a ``BaseModel`` written by hand to match the schema (``model_validate``).

and, for scale, one whole request through Flask's test client (routing, auth, limits, the view,
JSON out). Each figure is the median of 7 rounds of N calls. Validators that are not installed
are skipped with a note; to try them all without touching the project's environment::

    python -m pip install --target /tmp/validators fastjsonschema pydantic
    PYTHONPATH=/tmp/validators python benchmarks/bench_validation.py
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import graphmatch as gm
from api import create_app
from api.models import BULK_FRIENDSHIPS, RANK_REQUEST
from api.presence import CHECK_IN
from api.schema import Model, ValidationFailed, _integers, validate, with_defaults

CASES: dict[str, tuple[Model, dict[str, Any]]] = {
    "rank, 100 candidates": (
        RANK_REQUEST,
        {"candidates": [str(i) for i in range(100)], "limit": 800.0, "explain": 3},
    ),
    "rank, 10 candidates": (RANK_REQUEST, {"candidates": [str(i) for i in range(10)]}),
    "check-in": (CHECK_IN, {"lat": 52.52, "lon": 13.405, "event_id": "event-1", "ttl_s": 600}),
    "check-in, invalid (lat without lon)": (CHECK_IN, {"lat": 52.52, "ttl_s": 600}),
    "bulk, 10,000 pairs": (
        BULK_FRIENDSHIPS,
        {"friendships": [[str(i), str(i + 1)] for i in range(10_000)]},
    ),
}


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Return the median over 7 rounds of the time per call, in microseconds."""
    rounds = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(rounds)


def walk(model: Model, data: dict[str, Any]) -> Callable[[], object]:
    """api/schema.py's own walk alone (what Model.load did before jsonschema-rs)."""

    def run() -> object:
        issues = validate(data, model.schema)
        return issues or with_defaults(_integers(data, model.schema), model.schema)

    return run


def load(model: Model, data: dict[str, Any]) -> Callable[[], object]:
    """Model.load as the API calls it: jsonschema-rs decides, the walk writes the messages."""

    def run() -> object:
        try:
            return model.load(data)
        except ValidationFailed as exc:
            return exc.issues

    return run


def rs(model: Model, data: dict[str, Any]) -> Callable[[], object] | None:
    if importlib.util.find_spec("jsonschema_rs") is None:
        return None
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.schema}
    )

    def run() -> object:
        errors = list(validator.iter_errors(data))
        if errors:
            return [(e.instance_path, e.message) for e in errors]
        return with_defaults(_integers(data, model.schema), model.schema)

    return run


def fast(model: Model, data: dict[str, Any]) -> Callable[[], object] | None:
    if importlib.util.find_spec("fastjsonschema") is None:
        return None
    import fastjsonschema

    check = fastjsonschema.compile(
        {"$schema": "http://json-schema.org/draft-07/schema#", **model.schema}
    )

    def run() -> object:
        try:
            return check(dict(data))
        except fastjsonschema.JsonSchemaException as exc:
            return exc.message

    return run


def pyd(model: Model, data: dict[str, Any]) -> Callable[[], object] | None:
    if importlib.util.find_spec("pydantic") is None:
        return None
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

    Id = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^/\x00-\x1f\x7f-\x9f]+$")]
    Score = Literal["common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "cn_ra"]

    class Rank(BaseModel):
        model_config = ConfigDict(extra="forbid")
        candidates: Annotated[list[Id], Field(min_length=1)]
        score: Score = "cn_ra"
        limit: Annotated[int, Field(ge=1, le=1000)] | None = None
        max_degree: Annotated[int, Field(ge=1, le=2**62)] | None = None
        explain: Annotated[int, Field(ge=0, le=100)] = 3
        include_friends: bool = False

    class CheckIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        lat: Annotated[float, Field(ge=-90, le=90)] | None = None
        lon: Annotated[float, Field(ge=-180, le=180)] | None = None
        event_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
        ttl_s: Annotated[float, Field(ge=60, le=86400)] = 3600
        visible: bool = True

        @model_validator(mode="after")
        def together(self) -> CheckIn:
            if (self.lat is None) != (self.lon is None):
                raise ValueError("lat and lon go together")
            if self.lat is None and self.event_id is None:
                raise ValueError("a coordinate or an event")
            return self

    class Bulk(BaseModel):
        model_config = ConfigDict(extra="forbid")
        friendships: Annotated[
            list[Annotated[list[Id], Field(min_length=2, max_length=2)]], Field(min_length=1)
        ]

    cls = {"RankRequest": Rank, "CheckInRequest": CheckIn, "BulkFriendships": Bulk}[model.name]

    def run() -> object:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            return exc.errors()

    return run


def whole_request() -> Callable[[], object]:
    store = gm.MemoryStore()
    store.add_friendships((str(i), str(i + 1)) for i in range(200))
    client = create_app({"TESTING": True}, store=store).test_client()
    body = CASES["rank, 10 candidates"][1]

    def run() -> object:
        return client.post("/v1/people/0/rank", json=body).status_code

    run()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="calls per round (default 2000)")
    args = parser.parse_args(argv)
    makers = {"walk": walk, "Model.load": load, "jsonschema-rs": rs, "fastjsonschema": fast}
    makers["pydantic"] = pyd
    print(f"{'case':<38} " + " ".join(f"{name:>14}" for name in makers) + "   (µs per request)")
    for case, (model, data) in CASES.items():
        assert (validate(data, model.schema) == []) is ("invalid" not in case), case
        cells = []
        n = max(1, args.n // 200) if "10,000" in case else args.n
        for make in makers.values():
            fn = make(model, data)
            cells.append("not installed" if fn is None else f"{per_call_us(fn, n):.1f}")
        print(f"{case:<38} " + " ".join(f"{c:>14}" for c in cells))
    total = per_call_us(whole_request(), max(1, args.n // 10))
    print(
        f"\nwhole request, POST /v1/people/0/rank with 10 candidates (test client): {total:.0f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Property-based API test generated from /openapi.json with schemathesis, on every store.

Requests are generated from the document itself (valid and invalid ones); path ids are often
swapped for people who exist so the happy paths run too. Every response must be documented:
no 5xx, a documented status code, the documented content type and a body matching its schema.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode

import graphmatch as gm
from api import create_app

KNOWN = [str(i) for i in range(12)]
#: Examples per operation and mode; 14 operations x 2 modes x 25 stays well under a minute.
EXAMPLES = 25


def rejects_negative_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative-data check, also taking 413 (a batch over its documented bound)."""
    if response.status_code == 413:
        return None
    result: bool | None = checks.negative_data_rejection(ctx, response, case)
    return result


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    rejects_negative_data,
]


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """Every documented (path, method, mode), read from the document of a throwaway app.

    Invalid requests are generated only for operations that take some input.
    """
    doc = create_app(store=gm.MemoryStore()).test_client().get("/openapi.json").get_json()
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            out.append((path, method, GenerationMode.POSITIVE))
            if op["parameters"] or "requestBody" in op:
                out.append((path, method, GenerationMode.NEGATIVE))
    return out


@pytest.fixture
def api_schema(store: gm.GraphStore) -> Any:
    """The schema of an app over a small network with blocks and consent flags set."""
    store.add_people((pid, {"name": f"person {pid}"}) for pid in KNOWN)
    ring = [(KNOWN[i], KNOWN[(i + 1) % len(KNOWN)]) for i in range(len(KNOWN))]
    chords = [("0", "3"), ("0", "6"), ("1", "7"), ("2", "8"), ("4", "9")]
    store.add_friendships(ring + chords)
    store.block("5", "0")
    store.set_consent("3", show_as_mutual=False)
    store.set_consent("8", discoverable=False)
    app = create_app({"TESTING": True}, store=store)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

    @schema.hook("flatmap_path_parameters")  # type: ignore[untyped-decorator]
    def known_people(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        # Random strings almost never name a person; mix in people who exist.
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {
                name: st.one_of(st.just(value), st.sampled_from(KNOWN))
                for name, value in path_parameters.items()
            }
        )

    return schema


@pytest.mark.parametrize(("path", "method", "mode"), _operations())
def test_every_response_is_documented_and_never_a_server_error(
    api_schema: Any, path: str, method: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    # Swapping in known ids would turn an invalid generated id into a valid one: positive only.
    hooks = api_schema.hooks if mode is GenerationMode.POSITIVE else None

    @given(case=operation.as_strategy(generation_mode=mode, hooks=hooks))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    check()

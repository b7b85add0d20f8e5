"""Build the OpenAPI 3.1 document from the operations the blueprints declared."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from api.models import ERROR, MAX_ID
from api.routing import Operation
from api.schema import Model
from graphmatch import __version__

__all__ = ["build_openapi", "openapi_path"]

_ERRORS = {
    400: "Malformed JSON",
    401: "Missing or unknown API key",
    403: "The API key lacks the write scope",
    404: "Unknown person or resource",
    405: "Method not allowed",
    409: "Conflict (the person exists)",
    413: "Request body or batch too large",
    422: "Validation failed",
    503: "Store unavailable",
}
_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(prefix: str, rule: str) -> str:
    """Turn a Flask rule into an OpenAPI path.

    Examples
    --------
    >>> openapi_path("/v1", "/people/<person_id>/friends/<other_id>")
    '/v1/people/{person_id}/friends/{other_id}'
    """
    return _RULE_PARAM.sub(r"{\1}", prefix + rule)


def _ref(model: Model, models: dict[str, Model]) -> dict[str, str]:
    models[model.name] = model
    return {"$ref": f"#/components/schemas/{model.name}"}


def _errors_for(op: Operation, secured: bool) -> list[int]:
    """Return the error statuses an operation can answer with."""
    codes = [404, 405, 503]
    if op.scope is not None and secured:
        codes += [401, 403]
    if op.query is not None or op.body is not None or "{" in op.rule or "<" in op.rule:
        codes.append(422)
    if op.body is not None:
        codes += [400, 413]
    if op.method == "POST" and op.body is not None and op.body.name == "PersonCreate":
        codes.append(409)
    return sorted(set(codes))


def _operation(
    op: Operation, prefix: str, models: dict[str, Model], secured: bool
) -> dict[str, Any]:
    """Return one OpenAPI operation object."""
    params: list[dict[str, Any]] = []
    for name in _RULE_PARAM.findall(op.rule):
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": op.path_params.get(name, "A person id."),
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
            }
        )
    if op.query is not None:
        required = set(op.query.schema.get("required", ()))
        for name, schema in op.query.schema["properties"].items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": schema.get("description", ""),
                    "schema": {k: v for k, v in schema.items() if k != "description"},
                }
            )
    out: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": {},
    }
    if op.description:
        out["description"] = op.description
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body, models)}},
        }
    if op.scope is not None and secured:
        out["security"] = [{"bearer": []}, {"apiKey": []}]
        out["x-scope"] = op.scope
    for status, (text, model) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": text}
        if model is not None:
            response["content"] = {"application/json": {"schema": _ref(model, models)}}
        out["responses"][str(status)] = response
    for status in _errors_for(op, secured):
        out["responses"].setdefault(
            str(status),
            {
                "description": _ERRORS[status],
                "content": {"application/json": {"schema": _ref(ERROR, models)}},
            },
        )
    return out


def build_openapi(
    groups: Iterable[tuple[str, Iterable[Operation]]],
    settings: dict[str, Any],
    *,
    secured: bool = False,
) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for the given operations.

    Parameters
    ----------
    groups : iterable of (url_prefix, operations)
        Each blueprint's prefix and declared operations.
    settings : dict
        The app config; the configured batch bounds are written into the schemas.
    secured : bool
        Whether API keys are configured: only then do operations declare security and
        401/403 answers (the document describes this server as it runs).

    Returns
    -------
    dict
        The document, JSON-ready.
    """
    models: dict[str, Model] = {}
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    for prefix, ops in groups:
        for op in ops:
            path = openapi_path(prefix, op.rule)
            paths.setdefault(path, {})[op.method.lower()] = _operation(op, prefix, models, secured)
            if op.tag not in tags:
                tags.append(op.tag)
    schemas = {name: dict(models[name].schema) for name in sorted(models)}
    # Batch bounds are settings; document the ones this server enforces (413 above them).
    bounds = {
        "BulkFriendships": ("friendships", settings.get("BULK_MAX_ITEMS")),
        "RankRequest": ("candidates", settings.get("RANK_MAX_CANDIDATES")),
    }
    for name, (prop, bound) in bounds.items():
        if name in schemas and bound is not None:
            props = dict(schemas[name]["properties"])
            props[prop] = {**props[prop], "maxItems": bound}
            schemas[name]["properties"] = props
    components: dict[str, Any] = {"schemas": schemas}
    if secured:
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "graphmatch",
            "version": __version__,
            "description": (
                "Friends-in-common discovery: mutual friends, introductions and who here "
                "you should meet. Errors are JSON {code, message, details}."
            ),
        },
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": components,
    }

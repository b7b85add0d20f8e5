"""Build the OpenAPI 3.1 document from the operations the blueprints declared."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from api.models import ERROR, id_schema
from api.routing import Operation
from api.schema import Model
from api.viewer import VIEWER_READS, VIEWER_WRITES
from graphmatch import __version__

__all__ = ["build_openapi", "openapi_path"]

_ERRORS = {
    400: "Malformed JSON, or a malformed Graphmatch-Bookmark (invalid_bookmark, over Neo4j)",
    401: "Missing or unknown API key, or an invalid or expired viewer token",
    403: "The API key lacks the write scope, or a viewer token acts for someone else",
    404: "Unknown person or resource",
    405: "Method not allowed",
    409: "Conflict (the person exists)",
    413: "Request body or batch too large",
    415: "A write's body is not JSON (servers without API keys: CSRF guard)",
    421: "The Host header is not this server's (servers without API keys: DNS-rebinding guard)",
    422: "Validation failed",
    429: "Rate limited (per address, per key or token, or after wrong keys); see Retry-After",
    503: "Store unavailable (store_unavailable) or the server at capacity (overloaded); "
    "see Retry-After",
}
#: Answers that carry Retry-After (whole seconds).
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Public paths no rate limit or shedding applies to (api.limits.EXEMPT).
_UNLIMITED = frozenset({"/healthz"})
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


def _errors_for(op: Operation, path: str) -> list[int]:
    """Return the error statuses an operation can answer with, on any server configuration.

    The document is the same whatever the server's keys and limits (a client generated from
    a keyless server must still read 401 and 403), so answers that only some configurations
    give (415 and 421 on servers without keys, 401 and 403 on servers with them) are listed
    for every operation they can apply to.
    """
    codes = [404, 405, 421, 503]
    if path not in _UNLIMITED:
        codes.append(429)
    if op.scope is not None:
        # Over Neo4j a Graphmatch-Bookmark may be malformed (400) or unknown to the database (422).
        codes += [401, 403, 400, 422]
    if op.query is not None or op.body is not None or "{" in op.rule or "<" in op.rule:
        codes.append(422)
    if op.body is not None:
        codes += [400, 413]
    if op.method in _WRITES:
        codes.append(415)
    if op.method == "POST" and op.body is not None and op.body.name == "PersonCreate":
        codes.append(409)
    return sorted(set(codes))


def _security(op: Operation) -> list[dict[str, list[str]]]:
    """Return an operation's security requirements: app keys, a viewer token where one may.

    The last, empty requirement says a server without API keys (loopback only) takes the
    request with no credentials at all.
    """
    out: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
    allowed = VIEWER_WRITES if op.scope == "write" else VIEWER_READS
    if f"{op.blueprint}.{op.endpoint}" in allowed:
        out.append({"viewerToken": []})
    out.append({})
    return out


def _query_rules(schema: dict[str, Any]) -> list[str]:
    """Say in words the rules between query parameters that OpenAPI parameters cannot state.

    A request body's schema carries ``not``, ``dependentRequired`` and ``anyOf`` itself; query
    parameters are listed one by one, so their model's rules are written into the description
    (and enforced by the same model, 422 ``validation_failed``).
    """
    out = []
    if set(schema.get("not", {})) == {"required"}:
        names = " and ".join(schema["not"]["required"])
        out.append(f"Query rule: not {names} together (422 validation_failed).")
    for name, needs in schema.get("dependentRequired", {}).items():
        out.append(f"Query rule: {name} needs {' and '.join(needs)}.")
    return out


#: Over Neo4j: read your writes across stateless replicas (api.routing.BOOKMARK).
_BOOKMARK_TEXT = (
    "Over Neo4j: bookmarks (comma-separated, as a write's Graphmatch-Bookmark gave them) "
    "this request's reads wait for, so a replica reads a write made through another one. "
    "Malformed: 400 invalid_bookmark; one the database never gave: 422."
)
_BOOKMARK_PARAM: dict[str, Any] = {
    "name": "Graphmatch-Bookmark",
    "in": "header",
    "required": False,
    "description": _BOOKMARK_TEXT,
    "schema": {"type": "string"},
}
_BOOKMARK_HEADER: dict[str, Any] = {
    "Graphmatch-Bookmark": {
        "description": "Over Neo4j: the bookmark of this write's transaction; send it as "
        "Graphmatch-Bookmark on reads that must see the write (absent over the memory store).",
        "schema": {"type": "string"},
    }
}


def _operation(op: Operation, prefix: str, models: dict[str, Model]) -> dict[str, Any]:
    """Return one OpenAPI operation object."""
    params: list[dict[str, Any]] = []
    for name in _RULE_PARAM.findall(op.rule):
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": op.path_params.get(name, "A person id."),
                "schema": id_schema("An id."),
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
    if op.scope is not None:  # the store's operations (not health, docs)
        params.append(_BOOKMARK_PARAM)
    out: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": {},
    }
    rules = _query_rules(op.query.schema) if op.query is not None else []
    if op.description or rules:
        out["description"] = " ".join([op.description, *rules]).strip()
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body, models)}},
        }
    if op.scope is not None:
        out["security"] = _security(op)
        out["x-scope"] = op.scope
    else:
        out["security"] = [{}]  # public: health, readiness
    for status, (text, model) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": text}
        if op.scope is not None and op.method.upper() not in ("GET", "HEAD"):
            response["headers"] = _BOOKMARK_HEADER
        if model is not None:
            response["content"] = {"application/json": {"schema": _ref(model, models)}}
        out["responses"][str(status)] = response
    for status in _errors_for(op, openapi_path(prefix, op.rule)):
        error: dict[str, Any] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": _ref(ERROR, models)}},
        }
        if status in (429, 503):
            error["headers"] = _RETRY_AFTER
        out["responses"].setdefault(str(status), error)
    return out


def build_openapi(
    groups: Iterable[tuple[str, Iterable[Operation]]], settings: dict[str, Any]
) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for the given operations.

    Parameters
    ----------
    groups : iterable of (url_prefix, operations)
        Each blueprint's prefix and declared operations.
    settings : dict
        The app config; the configured batch bounds are written into the schemas.

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
            paths.setdefault(path, {})[op.method.lower()] = _operation(op, prefix, models)
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
    components: dict[str, Any] = {
        "schemas": schemas,
        "securitySchemes": {
            "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "An app key (GRAPHMATCH_API_KEYS), with the read or write scope.",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An app key as Authorization: Bearer <key> (X-API-Key wins).",
            },
            "viewerToken": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": (
                    "A viewer token: an HS256 JWT with sub (the person) and exp, signed with "
                    "GRAPHMATCH_TOKEN_SECRET (`graphmatch token PERSON`). It acts for that "
                    "person only: their own reads and writes, 403 elsewhere."
                ),
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "graphmatch",
            "version": __version__,
            "description": (
                "Friends-in-common discovery: mutual friends, introductions and who here "
                "you should meet. Errors are JSON {code, message, details}. The document is "
                "the same whatever the server's keys: a server without them (loopback only) takes "
                "requests with no credentials, and never answers 401 or 403; one with keys "
                "never answers 415 or 421."
            ),
        },
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": components,
    }

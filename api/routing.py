"""Blueprints that know their operations: routing, auth, validation and OpenAPI in one record.

Each resource module creates an :class:`ApiBlueprint` and declares its views with
:meth:`ApiBlueprint.operation`. The declaration registers the Flask route, checks the API key
scope, validates the query string and JSON body against their :class:`~api.schema.Model`\\ s
(passing the typed values to the view as ``query=`` and ``body=``) and records everything
:mod:`api.openapi` needs to document it. A new resource (presence, events) is one more
module with one more blueprint, listed in :data:`api.app.BLUEPRINTS`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from api.auth import KeyRing
from api.errors import ApiError
from api.models import MAX_ID
from api.schema import Issue, Model, ValidationFailed, load_query
from graphmatch import GraphStore, InvalidInput, Matcher, check_id

__all__ = [
    "BOOKMARK",
    "ApiBlueprint",
    "Operation",
    "Services",
    "check_path_ids",
    "install_bookmarks",
    "json_body",
    "matcher",
    "services",
    "store",
]

View = Callable[..., ResponseReturnValue]

#: Over Neo4j: on a write's answer, the bookmark of its transaction; on a request, bookmarks
#: (comma-separated) its reads must wait for. Read your writes across stateless replicas.
BOOKMARK = "Graphmatch-Bookmark"
# Headers are read from the WSGI environ: werkzeug's ``headers.get`` builds an exception
# for every header a request lacks (about 5 µs each, several per request).
_BOOKMARK_ENV = "HTTP_GRAPHMATCH_BOOKMARK"


@dataclass
class Services:
    """What the views share: the store, a matcher over it, and the key ring."""

    store: GraphStore
    matcher: Matcher
    keys: KeyRing
    owns_store: bool = False


def services() -> Services:
    """Return the current app's services."""
    found: Services = current_app.extensions["graphmatch"]
    return found


def store() -> GraphStore:
    """Return the current app's store."""
    return services().store


def matcher() -> Matcher:
    """Return the current app's matcher."""
    return services().matcher


@dataclass(frozen=True)
class Operation:
    """One documented endpoint: method, path, models, responses and needed scope."""

    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    scope: str | None
    query: Model | None
    body: Model | None
    responses: dict[int, tuple[str, Model | None]]
    tag: str
    path_params: dict[str, str] = field(default_factory=dict)
    #: The blueprint's name: ``f"{blueprint}.{endpoint}"`` is the Flask endpoint.
    blueprint: str = ""
    #: ``prepare(path_kwargs, environ, query_args, services) -> kwargs``: the view's checks.
    prepare: Callable[..., dict[str, Any]] | None = field(default=None, compare=False, repr=False)
    #: ``lean(services, **kwargs) -> dict``: the answer, for :mod:`api.lean` (GETs only).
    lean: Callable[..., dict[str, Any]] | None = field(default=None, compare=False, repr=False)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# A JSON escape that can decode to a lone surrogate (\uD800-\uDFFF); only then is the decoded
# body walked. A well-formed pair (an emoji) decodes to one valid character and passes the walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Most places reported for one body (enough to fix a request; bounded work on huge ones).
_MAX_ISSUES = 20


def _segment(key: str) -> str:
    """Return an object key for an issue path, with any lone surrogate escaped."""
    return ascii(key)[1:-1] if _SURROGATE.search(key) else key


def _surrogates(value: Any, path: str, issues: list[Issue]) -> None:
    """Append an issue for every string (object keys too) in value that holds a lone surrogate."""
    stack = [(value, path)]
    while stack and len(issues) < _MAX_ISSUES:
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                issues.append(Issue(where, "is not valid Unicode text (lone surrogate)"))
        elif isinstance(item, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(item))
        elif isinstance(item, dict):
            for k, v in item.items():
                seg = _segment(k)
                if seg is not k:
                    issues.append(Issue(f"{where}/{seg}", "name is not valid Unicode text"))
                stack.append((v, f"{where}/{seg}"))


def json_body() -> Any:
    """Return the request body decoded as JSON, or raise a 400 ``malformed_json``.

    The body size is bounded by ``MAX_CONTENT_LENGTH`` before it is read (413 above it).
    NaN and Infinity, which Python's decoder would accept, are refused. The bytes must decode
    strictly (UTF-8, or the UTF-16/32 that :func:`json.loads` detects): Python's decoder would
    otherwise let encoded surrogates through. A string anywhere in the body (keys included)
    holding a lone surrogate, such as ``"\\ud800x"``, is not Unicode text: 422
    ``validation_failed`` with the places, before any store sees it.
    """
    raw = request.get_data(cache=True)
    if not raw:
        raise ApiError(400, "malformed_json", "a JSON request body is required")
    message = "the request body is not valid JSON"
    try:
        text = raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError as exc:
        reason = f"not valid {exc.encoding} at byte {exc.start}"
        raise ApiError(400, "malformed_json", message, {"reason": reason}) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = {"reason": str(exc)[:200]} if isinstance(exc, ValueError) else {}
        raise ApiError(400, "malformed_json", message, detail) from None
    if _SURROGATE_ESCAPE.search(text):
        issues: list[Issue] = []
        _surrogates(value, "", issues)
        if issues:
            raise ValidationFailed(issues)
    return value


def check_path_ids(params: dict[str, Any]) -> None:
    """Raise a 422 unless every path parameter keeps the id rule and the length limit.

    The rule is :func:`graphmatch.check_id`, the one the stores and loaders use, so a path
    can name exactly the ids a store accepts (bar the API's length limit).
    """
    errors = []
    for name, value in params.items():
        if len(value) > MAX_ID:
            errors.append({"path": f"/{name}", "message": f"longer than {MAX_ID}"})
            continue
        try:
            check_id(value)
        except InvalidInput as exc:
            errors.append({"path": f"/{name}", "message": str(exc)})
    if errors:
        message = "id too long" if all("longer" in e["message"] for e in errors) else "bad id"
        raise ApiError(422, "validation_failed", message, {"errors": errors})


@contextlib.contextmanager
def _causal(causal: Callable[[list[str]], Any]) -> Iterator[None]:
    """Run the view inside the store's causal scope (Neo4j).

    Reads wait for the request's ``Graphmatch-Bookmark`` values; a write's bookmark is kept
    for :func:`_bookmark_header`. A store without ``causal`` (memory) never comes here: the
    view wrapper calls the view directly.
    """
    raw = request.environ.get(_BOOKMARK_ENV)
    given = [b.strip() for b in raw.split(",") if b.strip()] if raw else []
    with contextlib.ExitStack() as stack:
        try:
            scope = stack.enter_context(causal(given))
        except InvalidInput as exc:
            raise ApiError(
                400, "invalid_bookmark", f"{BOOKMARK}: {exc}", {"value": (raw or "")[:80]}
            ) from None
        yield
        if scope.bookmarks:
            g.graphmatch_bookmark = ",".join(scope.bookmarks)


def _bookmark_header(response: Response) -> Response:
    """Give a write's answer the bookmark of its transaction (Neo4j)."""
    bookmark = g.get("graphmatch_bookmark")
    if bookmark:
        response.headers[BOOKMARK] = bookmark
    return response


def install_bookmarks(app: Flask, store: GraphStore) -> None:
    """Add the bookmark header to the app's answers when its store has causal scopes (Neo4j).

    Once per app: a hook per blueprint ran nine times a request, each a lookup in ``g``.
    """
    if getattr(store, "causal", None) is not None:
        app.after_request(_bookmark_header)


class ApiBlueprint(Blueprint):
    """A Flask blueprint whose views are declared as documented operations.

    Examples
    --------
    >>> from api.schema import obj
    >>> bp = ApiBlueprint("demo", __name__, url_prefix="/v1")
    >>> @bp.operation("GET", "/ping", summary="Ping", scope="read",
    ...               responses={200: ("pong", Model("Pong", obj({})))})
    ... def ping() -> dict[str, str]:
    ...     return {}
    >>> bp.operations[0].rule
    '/ping'
    """

    def __init__(self, *args: Any, tag: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag or self.name
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        responses: dict[int, tuple[str, Model | None]],
        scope: str | None = "read",
        query: Model | None = None,
        body: Model | None = None,
        description: str = "",
        path_params: dict[str, str] | None = None,
        extra_rules: tuple[str, ...] = (),
        lean: Callable[..., dict[str, Any]] | None = None,
    ) -> Callable[[View], View]:
        """Declare one endpoint.

        Parameters
        ----------
        method : str
            HTTP method.
        rule : str
            Flask rule under the blueprint's prefix, e.g. ``"/people/<person_id>"``.
        summary, description : str
            Documentation.
        responses : dict
            ``{status: (description, Model or None)}`` for the success answers; the error
            answers are added for every operation.
        scope : {"read", "write"} or None
            The API-key scope needed; None for public endpoints (health, docs).
        query, body : Model, optional
            Models for the query string and JSON body; the view receives ``query=`` and
            ``body=`` with typed, validated values.
        path_params : dict, optional
            Descriptions of the path parameters.
        extra_rules : tuple of str
            Other rules routed to the same view but not documented (aliases).
        lean : callable, optional
            For a GET without a body: ``lean(services, **kwargs) -> dict``, the JSON answer
            the view returns (the view calls it), so :mod:`api.lean` can answer the request
            without Flask after the same checks.

        Returns
        -------
        callable
            The decorator.
        """

        def prepare(
            kwargs: dict[str, Any], environ: dict[str, Any], args: dict[str, str], found: Services
        ) -> dict[str, Any]:
            """Check the path ids, the key's scope and the query; return the view's kwargs."""
            check_path_ids(kwargs)
            if scope is not None:
                found.keys.check(
                    environ.get("HTTP_AUTHORIZATION"), environ.get("HTTP_X_API_KEY"), scope
                )
            if query is not None:
                kwargs["query"] = load_query(query, args)
            elif args:
                extra = [{"path": f"/{k}", "message": "is not allowed"} for k in args]
                raise ApiError(
                    422,
                    "validation_failed",
                    "this endpoint takes no query parameters",
                    {"errors": extra},
                )
            return kwargs

        def decorator(view: View) -> View:
            @functools.wraps(view)
            def wrapped(**kwargs: Any) -> ResponseReturnValue:
                found = services()
                prepare(kwargs, request.environ, request.args.to_dict(flat=True), found)
                if body is not None:
                    kwargs["body"] = body.load(json_body())
                causal = getattr(found.store, "causal", None)
                if causal is None:
                    return view(**kwargs)
                with _causal(causal):
                    return view(**kwargs)

            endpoint = view.__name__
            for r in (rule, *extra_rules):
                self.add_url_rule(r, endpoint, wrapped, methods=[method])
            self.operations.append(
                Operation(
                    method=method.upper(),
                    rule=rule,
                    endpoint=endpoint,
                    summary=summary,
                    description=description,
                    scope=scope,
                    query=query,
                    body=body,
                    responses=responses,
                    tag=self.tag,
                    path_params=path_params or {},
                    blueprint=self.name,
                    prepare=prepare,
                    lean=lean,
                )
            )
            return wrapped

        return decorator

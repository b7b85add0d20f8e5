"""The lean path: plain GETs answered without Flask's request machinery, after the same checks.

On the 100k demo a suggestions request cost about 340 µs of CPU in process through Flask and
150 µs answered here (``benchmarks/bench_workers.py`` measures what it does to a loaded
server; docs/performance.md, "Serving"). Flask's share was its request and application
contexts, routing, the response object and its headers, and the hooks' calls.

:class:`LeanReads` sits between the access log and Flask. It takes a request only if all of
these hold, and otherwise (or if anything raises) hands it to Flask unchanged, which answers it
from scratch, errors included:

* the app's every ``before_request`` and ``after_request`` hook has a WSGI-level twin
  (:mod:`api.hooks`), no hook is registered for the operation's blueprint, there are no
  teardown functions or URL processors, the app is not in debug mode and the store has no
  causal scopes (Neo4j's bookmarks stay on the Flask path);
* it is a ``GET`` without a body, of an operation declared with ``lean=`` (today:
  ``/v1/people/{id}/suggestions``), whose path is ASCII and whose query string holds only
  ``name=value`` pairs of letters, digits and ``_.-`` (so it splits exactly as werkzeug
  parses it);
* it carries no ``Graphmatch-Min-Position`` (a wait of up to a second is not worth saving
  work on) and no ``Authorization`` when viewer tokens are on (their reach depends on
  Flask's routing).

Then it runs the before twins in Flask's order, the operation's own checks
(:meth:`api.routing.ApiBlueprint.operation`: path ids, key scope, query model), the
operation's answer function (the one its view calls), encodes it like ``app.json``
(:mod:`api.jsonio`), and adds the after twins' headers in Flask's (reversed) order. A hook
added without a twin turns the lean path off: it is never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from api.hooks import twin
from api.jsonio import dumps_bytes
from api.routing import ApiBlueprint, Operation, Services

__all__ = ["LeanReads"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: A query string werkzeug and a plain split read the same: no %-escapes, "+", ";" or blanks.
_PAIR = r"[A-Za-z0-9_]+=[A-Za-z0-9_.\-]*"
_SIMPLE_QUERY = re.compile(f"(?:{_PAIR}(?:&{_PAIR})*)?")
_PARAM = re.compile(r"<([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class _Route:
    """One lean operation: its path pattern and its declaration."""

    pattern: re.Pattern[str]
    op: Operation


@dataclass(frozen=True)
class _Plan:
    """What the lean path runs, decided from the app's hooks and routes."""

    routes: tuple[_Route, ...]
    before: tuple[Callable[[dict[str, Any], str], None], ...]
    after: tuple[Callable[[dict[str, Any], str, int], list[tuple[str, str]]], ...]
    services: Services


def _pattern(rule: str) -> re.Pattern[str] | None:
    """Return a regex matching what werkzeug's default converter matches, or None."""
    if "<" in _PARAM.sub("", rule) or ">" in _PARAM.sub("", rule):
        return None  # a typed converter (<int:x>...): leave it to werkzeug
    parts = _PARAM.split(rule)
    out = []
    for i, part in enumerate(parts):
        out.append(f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part))
    return re.compile("".join(out))


def _plan(app: Flask) -> _Plan | None:
    """Return the lean plan for app as it is now, or None when the lean path must stay off."""
    services: Services | None = app.extensions.get("graphmatch")
    if services is None or getattr(services.store, "causal", None) is not None:
        return None
    if any(app.teardown_request_funcs.values()) or any(app.url_value_preprocessors.values()):
        return None
    if any(app.url_default_functions.values()):
        return None
    befores, afters = app.before_request_funcs, app.after_request_funcs
    before = [twin(f, before=True) for f in befores.get(None, [])]
    after = [twin(f, before=False) for f in reversed(afters.get(None, []))]
    if None in before or None in after:
        return None
    adapter = app.url_map.bind("localhost")
    routes = []
    for bp in app.blueprints.values():
        if not isinstance(bp, ApiBlueprint):
            continue
        for op in bp.operations:
            if op.lean is None or op.prepare is None or op.method != "GET" or op.body is not None:
                continue
            if befores.get(bp.name) or afters.get(bp.name):
                continue
            pattern = _pattern((bp.url_prefix or "") + op.rule)
            if pattern is None:
                continue
            # werkzeug must route a sample of the path to this very view (no rule shadows it).
            sample = pattern.pattern
            for name in pattern.groupindex:
                sample = sample.replace(f"(?P<{name}>[^/]+)", "x")
            try:
                endpoint, _ = adapter.match(re.sub(r"\\(.)", r"\1", sample), method="GET")
            except Exception:  # a redirect, a 404, a 405: not ours to answer
                continue
            if endpoint == f"{bp.name}.{op.endpoint}":
                routes.append(_Route(pattern, op))
    if not routes:
        return None
    return _Plan(tuple(routes), tuple(before), tuple(after), services)  # type: ignore[arg-type]


class LeanReads:
    """WSGI middleware answering the app's lean GETs itself, everything else through Flask.

    Parameters
    ----------
    app : flask.Flask
        The app whose hooks and operations the lean path follows.
    inner : WSGI application
        Flask's own WSGI callable (``app.wsgi_app`` before wrapping).

    Examples
    --------
    >>> import graphmatch as gm
    >>> from api.app import create_app
    >>> store = gm.MemoryStore()
    >>> store.add_friendships([("a", "b"), ("b", "c")])
    2
    >>> app = create_app({"TESTING": True}, store=store)
    >>> app.test_client().get("/v1/people/a/suggestions").get_json()["suggestions"][0]["id"]
    'c'
    >>> app.extensions["graphmatch.lean"].served
    1
    """

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app = app
        self.inner = inner
        #: Requests answered here (the rest went to Flask): for tests and benchmarks.
        self.served = 0
        self._key: tuple[Any, ...] | None = None
        self._current: _Plan | None = None

    def _plan(self) -> _Plan | None:
        """Return the plan, decided again whenever the app's hooks or mode changed."""
        app = self.app
        key = (
            app.debug,
            len(app.before_request_funcs.get(None, ())),
            len(app.after_request_funcs.get(None, ())),
            len(app.before_request_funcs),
            len(app.after_request_funcs),
        )
        if key != self._key:
            self._current = None if app.debug else _plan(app)
            self._key = key
        return self._current

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.inner(environ, start_response)
        plan = self._plan()
        if plan is None:
            return self.inner(environ, start_response)
        path: str = environ.get("PATH_INFO", "")
        found = None
        for route in plan.routes:
            found = route.pattern.fullmatch(path)
            if found is not None:
                op = route.op
                break
        query: str = environ.get("QUERY_STRING", "")
        if (
            found is None
            or not path.isascii()
            or environ.get("CONTENT_LENGTH") not in (None, "", "0")
            or "HTTP_TRANSFER_ENCODING" in environ
            or "HTTP_GRAPHMATCH_MIN_POSITION" in environ
            or ("HTTP_AUTHORIZATION" in environ and plan.services.keys.tokens)
            or not _SIMPLE_QUERY.fullmatch(query)
        ):
            return self.inner(environ, start_response)
        args: dict[str, str] = {}
        if query:
            for pair in query.split("&"):
                name, _, value = pair.partition("=")
                args.setdefault(name, value)  # werkzeug's to_dict(flat=True): the first
        try:
            for check in plan.before:
                check(environ, path)
            assert op.prepare is not None and op.lean is not None
            kwargs = op.prepare(found.groupdict(), environ, args, plan.services)
            default = getattr(self.app.json, "default", None)
            body = dumps_bytes(op.lean(plan.services, **kwargs), default, newline=True)
        except Exception:
            # Flask answers it from scratch: its error handlers, the same checks. The rate
            # limits it passed here are not taken twice (api.limits.TAKEN).
            return self.inner(environ, start_response)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        for after in plan.after:
            headers += after(environ, path, 200)
        self.served += 1
        start_response("200 OK", headers)
        return [body]

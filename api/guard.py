"""What a web page must not do to a local server, and the headers every response carries.

A keyless server (no API keys, not ``OPEN``) only binds to loopback, so anything that can
reach it is on this machine, including a browser showing someone else's page. Two checks stop
that page from using it:

* **Host** (DNS rebinding): a page on ``evil.example`` whose name is made to resolve to
  127.0.0.1 sends ``Host: evil.example``. Only ``localhost``, ``127.0.0.1`` and ``[::1]`` (with
  the served port when it is known) and the names in ``ALLOWED_HOSTS`` pass; others get 421.
* **Content type** (CSRF): a page may send a cross-origin ``POST`` without asking first only
  with a form or ``text/plain`` body. A write with a body that is not ``application/json``
  gets 415, and a JSON body makes the browser ask first (a CORS preflight this API never grants).

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
``X-Frame-Options: DENY``; API answers (personal data) get ``Cache-Control: no-store``; the docs
page gets a Content-Security-Policy allowing only its own origin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request
from werkzeug.datastructures import Headers

from api.errors import ApiError
from api.hooks import NotLean, lean_hooks

__all__ = ["DOCS_CSP", "LOOPBACK_NAMES", "add_missing", "host_allowed", "install_guard"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})

#: The docs page loads its script, style and the OpenAPI document from this origin only.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_HEADER_ITEMS = tuple(_HEADERS.items())


def host_allowed(host: str, port: int | None, extra: frozenset[str] = frozenset()) -> bool:
    """Return whether a ``Host`` header names this loopback server.

    Parameters
    ----------
    host : str
        The header, e.g. ``"localhost:8080"`` or ``"[::1]:8080"``.
    port : int or None
        The served port; None accepts any port (the port is unknown outside ``serve``).
    extra : frozenset of str
        More names (lower case) to accept, with any port: ``ALLOWED_HOSTS``.

    Examples
    --------
    >>> host_allowed("localhost:8080", 8080), host_allowed("127.0.0.1:9", 8080)
    (True, False)
    >>> host_allowed("evil.example:8080", 8080), host_allowed("[::1]", None)
    (False, True)
    """
    name, given = host.strip().lower(), None
    if name.endswith("]") or ":" not in name:
        pass  # "[::1]" or a name without a port
    else:
        name, _, port_text = name.rpartition(":")
        if not port_text.isdigit():
            return False
        given = int(port_text)
    if name in extra:
        return True
    if name not in LOOPBACK_NAMES:
        return False
    return port is None or given is None or given == port


def add_missing(headers: Headers, items: Iterable[tuple[str, str]]) -> None:
    """Add each header of items that headers lacks, as ``setdefault`` would, in one pass.

    werkzeug's ``setdefault`` (and ``in``) find a missing name by raising and catching an
    exception, about 3 µs each; a response carries a handful of headers, so one scan of
    their names is cheaper.

    Examples
    --------
    >>> from werkzeug.datastructures import Headers
    >>> h = Headers([("X-Frame-Options", "SAMEORIGIN")])
    >>> add_missing(h, [("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer")])
    >>> h.to_wsgi_list()
    [('X-Frame-Options', 'SAMEORIGIN'), ('Referrer-Policy', 'no-referrer')]
    """
    present = {name.lower() for name, _ in headers}
    for name, value in items:
        if name.lower() not in present:
            headers.add(name, value)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def by_path(path: str) -> list[tuple[str, str]]:
    """Return the headers an answer on path gets set (replacing any): CSP, or no-store."""
    if path in ("/docs", "/docs/"):
        return [("Content-Security-Policy", DOCS_CSP)]
    if not path.startswith("/static/"):
        # Answers name people and their friends: no cache on the way may keep them.
        return [("Cache-Control", "no-store")]
    return []


def install_guard(app: Flask, *, keyless: bool) -> None:
    """Register the Host and content-type checks (keyless servers) and the security headers.

    Parameters
    ----------
    app : flask.Flask
        The app; ``ALLOWED_HOSTS`` and ``PORT`` come from its config.
    keyless : bool
        Whether the app serves without API keys and without ``OPEN``: only then the server is
        loopback-only, and only then the Host and content-type checks apply.
    """
    extra = frozenset(h.lower() for h in app.config.get("ALLOWED_HOSTS") or ())

    def check_host(environ: dict[str, Any], path: str) -> None:
        served = app.config.get("PORT")  # waitress gives the bound port as a string
        # Not headers.get: a missing header costs an exception there.
        if not host_allowed(environ.get("HTTP_HOST", ""), int(served) if served else None, extra):
            raise ApiError(
                421,
                "misdirected_request",
                "this server only answers to its loopback address; "
                "add other names to GRAPHMATCH_ALLOWED_HOSTS",
                {},
            )
        if environ.get("REQUEST_METHOD") in _WRITES:
            raise NotLean  # the body checks below need werkzeug's request

    def before() -> Any:
        req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup
        environ = req.environ
        with contextlib.suppress(NotLean):
            check_host(environ, req.path)
        if req.method not in _WRITES:
            return None
        has_body = bool(req.content_length) or "chunked" in environ.get(
            "HTTP_TRANSFER_ENCODING", ""
        )
        if has_body and not _is_json(req.mimetype):
            raise ApiError(
                415,
                "unsupported_media_type",
                "a request body must be JSON (Content-Type: application/json)",
                {"content_type": req.mimetype[:100]},
            )
        return None

    def after(response: Response) -> Response:
        headers = response.headers
        add_missing(headers, _HEADER_ITEMS)
        for name, value in by_path(request.path):
            headers[name] = value
        return response

    def security(environ: dict[str, Any], path: str, status: int) -> list[tuple[str, str]]:
        return [*_HEADER_ITEMS, *by_path(path)]

    lean_hooks(before, check_host)
    lean_hooks(after, security)

    if keyless:
        app.before_request(before)
    app.after_request(after)

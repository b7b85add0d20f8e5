"""Every error the API returns, as JSON ``{"code", "message", "details"}``, handled in one place.

========================  ======  ============================================================
cause                     status  code
========================  ======  ============================================================
malformed JSON body       400     ``malformed_json``
no or unknown API key     401     ``unauthorized``
key lacks the scope       403     ``forbidden``
unknown person            404     ``person_not_found``
unknown route             404     ``not_found``
wrong method              405     ``method_not_allowed``
person already exists     409     ``person_exists``
not checked in (there)    404     ``not_checked_in`` (presence, nearby, event introductions)
body over the size limit  413     ``payload_too_large``
batch over its bound      413     ``batch_too_large``
request fails its model   422     ``validation_failed`` (``details.errors``: path + message)
lone surrogate in a body  422     ``validation_failed`` (the places, in ``details.errors``)
path id breaks id rule    422     ``validation_failed`` (:mod:`graphmatch._validation`)
library refuses input     422     ``invalid_input``
store unreachable         503     ``store_unavailable`` (with ``Retry-After``)
anything else             500     ``internal_error`` (logged with its traceback, never sent)
========================  ======  ============================================================

The server's own answers are JSON too: an unknown route or method is a JSON 404/405 (never an
HTML page), paths are never redirected (``//`` or a trailing ``/`` is a 404, not a 308 to
another URL; ``/docs/``, a page for people, is served as ``/docs``), an automatic ``OPTIONS``
answer is ``204`` with ``Allow``, and
:func:`json_server_errors` makes waitress answer the requests it refuses before the app sees
them (malformed request line or headers 400, headers too large 431, body over waitress' own
limit 413, bad chunked encoding 400, a transfer coding other than chunked 400 where waitress
says 501, see :func:`_execute_json_error`) with the same JSON body.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from api.hooks import lean_hooks
from api.schema import ValidationFailed
from graphmatch import (
    EventNotFound,
    GraphMatchError,
    InvalidInput,
    NotCheckedIn,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)

__all__ = ["ApiError", "error_response", "json_server_errors", "register_error_handlers"]

logger = logging.getLogger("api")


class ApiError(Exception):
    """An error with its HTTP status, machine-readable code and details.

    Parameters
    ----------
    status : int
        HTTP status code.
    code : str
        Stable snake_case code clients can switch on.
    message : str
        One sentence for humans.
    details : dict, optional
        Structured context (which id, which limit...).
    headers : dict, optional
        Extra response headers (``WWW-Authenticate``...).

    Examples
    --------
    >>> ApiError(413, "batch_too_large", "too many", {"max": 10}).status
    413
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return the JSON error response every failure uses.

    Parameters
    ----------
    status : int
        HTTP status.
    code, message : str
        The error's code and human message.
    details : dict, optional
        Structured context.
    headers : dict, optional
        Extra headers.

    Returns
    -------
    flask.Response
    """
    response = jsonify({"code": code, "message": message, "details": details or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _snake(name: str) -> str:
    """Turn an HTTP reason phrase into a code: 'Method Not Allowed' -> 'method_not_allowed'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every exception into a JSON error.

    Parameters
    ----------
    app : flask.Flask
        The application (call before its blueprints are registered: the no-redirect
        routing settings apply to rules added afterwards).
    """
    # werkzeug would answer "//" with a 308 to another URL (an HTML page); a path either names
    # a resource or is a JSON 404. (Strict slashes stay on: no rule ends in "/", so they never
    # redirect, and "/v1/people/0/" stays a 404 rather than an alias.)
    app.url_map.merge_slashes = False

    def _no_redirects() -> None:
        # Rules bound before the settings above (Flask's static route) may still ask for a
        # redirect; Flask returns those as HTML without calling any error handler.
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound()

    def _routed(environ: dict[str, Any], path: str) -> None:
        # The lean path answers only paths one of its rules matches exactly: never a redirect.
        return None

    app.before_request(lean_hooks(_no_redirects, _routed))

    def _not_options(environ: dict[str, Any], path: str, status: int) -> list[tuple[str, str]]:
        # _options changes automatic OPTIONS answers only; the lean path answers GETs.
        return []

    @app.after_request
    @functools.partial(lean_hooks, check=_not_options)
    def _options(response: Response) -> Response:
        # Flask's automatic OPTIONS answer is an empty 200 labelled text/html.
        if request.method == "OPTIONS" and response.status_code == 200:
            empty = not response.is_streamed and not response.get_data()
            if empty and "Allow" in response.headers:
                response.status_code = 204
                del response.headers["Content-Type"]
        return response

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(ValidationFailed)
    def _validation(exc: ValidationFailed) -> Response:
        return error_response(
            422,
            "validation_failed",
            "the request does not match its schema",
            {"errors": [i.as_dict() for i in exc.issues]},
        )

    @app.errorhandler(GraphMatchError)
    def _library(exc: GraphMatchError) -> Response:
        if isinstance(exc, PersonNotFound):
            return error_response(404, "person_not_found", str(exc), {"id": exc.person_id})
        if isinstance(exc, PersonExists):
            return error_response(409, "person_exists", str(exc), {"id": exc.person_id})
        if isinstance(exc, EventNotFound):
            return error_response(404, "event_not_found", str(exc), {"event_id": exc.event_id})
        if isinstance(exc, NotCheckedIn):
            details: dict[str, Any] = {"id": exc.person_id}
            if exc.event_id is not None:
                details["event_id"] = exc.event_id
            # 404 like GET .../presence: the check-in these answers need does not exist.
            return error_response(404, "not_checked_in", str(exc), details)
        if isinstance(exc, StoreUnavailable):
            # The store's message may name hosts or paths; log it, keep the reply generic.
            logger.error("store unavailable: %s", exc)
            return error_response(
                503, "store_unavailable", "the graph store is unavailable", {}, {"Retry-After": "5"}
            )
        if isinstance(exc, InvalidInput):
            return error_response(422, "invalid_input", str(exc))
        logger.error("unmapped graphmatch error: %s", exc)
        return error_response(422, "invalid_input", str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            return error_response(
                413, "payload_too_large", "the request body is too large", {"max_bytes": limit}
            )
        headers = {}
        if status == 405:
            allowed = exc.get_headers()
            headers = {k: v for k, v in allowed if k.lower() == "allow"}
        name = exc.name or "error"
        message = {
            404: "no such resource",
            405: "method not allowed on this resource",
        }.get(status, name.lower())
        return error_response(status, _snake(name), message, {}, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The traceback goes to the server log only; the client learns nothing internal.
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal server error")


# -- waitress' own error answers ------------------------------------------------------------------
#: Codes for the statuses waitress answers itself, matching the app's codes where they meet.
_WAITRESS_CODES = {413: "payload_too_large", 500: "internal_error"}
_QUOTED = re.compile(r'"[^"]*"')


def _waitress_error_body(code: int, reason: str, body: str) -> bytes:
    """Return the JSON body for an error waitress raises itself (see json_server_errors)."""
    details: dict[str, Any] = {}
    if code != 500:  # a 500's body is a traceback when expose_tracebacks is on: never sent
        # waitress quotes the offending header line or method; do not echo request content.
        details["reason"] = _QUOTED.sub('"..."', str(body))[:200]
    doc = {"code": _WAITRESS_CODES.get(code) or _snake(reason), "message": reason.lower()}
    return json.dumps({**doc, "details": details}).encode()


def _execute_json_error(task: Any) -> None:
    """Write a waitress error task's response as JSON (waitress' ErrorTask.execute, in JSON).

    waitress answers a transfer coding other than ``chunked`` with 501. RFC 9112 (6.3) asks
    for 400 when ``chunked`` is not the final coding (``Transfer-Encoding: gzip``: the body's
    length cannot be known) and allows it when a coding it does not know precedes ``chunked``
    (6.1 says "SHOULD" 501), so both are a 400 ``unsupported_transfer_coding`` here: a client's
    mistake, never a 5xx. The connection is closed either way.
    """
    error = task.request.error
    code, reason = error.code, error.reason
    if code == 501:
        code, reason = 400, "Unsupported Transfer Coding"
    body = _waitress_error_body(code, reason, error.body)
    task.status = f"{code} {reason}"
    task.response_headers.append(("Content-Type", "application/json"))
    task.set_close_on_finish()
    task.content_length = len(body)
    task.write(body)


def json_server_errors(server: Any) -> None:
    """Make a waitress server answer the requests it refuses itself with JSON error bodies.

    waitress parses each request before the app sees it and answers a malformed one (bad
    request line or header, headers over ``max_request_header_size``, a body over
    ``max_request_body_size``, bad chunked encoding, an unknown transfer coding) with a
    ``text/plain`` page, as it does when the app itself fails to answer. This swaps each
    listening socket's channel class for a subclass whose error task writes the same
    ``{"code", "message", "details"}`` body as the app, keeping whatever channel and error
    task the server had (so other customisations stay).

    Parameters
    ----------
    server : waitress server
        What :func:`waitress.create_server` returned, before ``run()``.
    """
    from waitress.server import BaseWSGIServer

    found = [server] if isinstance(server, BaseWSGIServer) else []
    found += [s for s in getattr(server, "map", {}).values() if isinstance(s, BaseWSGIServer)]
    for srv in found:
        channel = srv.channel_class
        if getattr(channel, "json_errors", False):
            continue

        error_task = type(
            "JsonErrorTask", (channel.error_task_class,), {"execute": _execute_json_error}
        )
        srv.channel_class = type(
            f"Json{channel.__name__}",
            (channel,),
            {"error_task_class": error_task, "json_errors": True},
        )

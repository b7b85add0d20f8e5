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
body over the size limit  413     ``payload_too_large``
batch over its bound      413     ``batch_too_large``
request fails its model   422     ``validation_failed`` (``details.errors``: path + message)
library refuses input     422     ``invalid_input``
store unreachable         503     ``store_unavailable``
anything else             500     ``internal_error`` (logged with its traceback, never sent)
========================  ======  ============================================================
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

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

__all__ = ["ApiError", "error_response", "register_error_handlers"]

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
        The application.
    """

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
            return error_response(409, "not_checked_in", str(exc), details)
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

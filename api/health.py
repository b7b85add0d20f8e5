"""Health, readiness, the OpenAPI document and the docs page (Swagger UI, offline).

``/healthz`` is liveness only: it never touches the store, so a dead Neo4j cannot make the
process look dead (and get it restarted for nothing). ``/readyz`` pings the store with a short
timeout (:data:`PING_TIMEOUT_S`) and reuses the answer for :data:`READY_CACHE_S`, so a burst of
probes costs one ping and a change of the store's state shows within about a second.
"""

from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, current_app, send_from_directory
from flask.typing import ResponseReturnValue

from api.errors import ApiError, error_response
from api.models import HEALTH
from api.routing import ApiBlueprint, store
from graphmatch import GraphStore, StoreUnavailable

__all__ = ["PING_TIMEOUT_S", "READY_CACHE_S", "bp"]

#: Seconds a readiness answer is reused.
READY_CACHE_S = 0.25
#: Seconds a readiness ping may take (for stores whose ping takes a timeout, like Neo4j's).
PING_TIMEOUT_S = 0.7

bp = ApiBlueprint("meta", __name__, tag="meta")


@dataclass
class _Readiness:
    """The last readiness answer of one app: when, and whether the store answered."""

    at: float = float("-inf")
    ready: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _ping(s: GraphStore) -> bool:
    """Ping the store (with the short timeout where its ping takes one); return if it answered."""
    ping = s.ping
    try:
        if "timeout" in inspect.signature(ping).parameters:
            ping(timeout=PING_TIMEOUT_S)  # type: ignore[call-arg]
        else:
            ping()
    except StoreUnavailable:
        return False
    return True


def _ready() -> bool:
    """Return whether the store answers, from a ping at most READY_CACHE_S old."""
    state: _Readiness = current_app.extensions.setdefault("graphmatch.readiness", _Readiness())
    if time.monotonic() - state.at < READY_CACHE_S:
        return state.ready
    # One ping at a time: probes arriving meanwhile wait for its answer (bounded by the ping's
    # timeout) rather than piling pings onto a struggling store.
    with state.lock:
        if time.monotonic() - state.at < READY_CACHE_S:
            return state.ready
        state.ready = _ping(store())
        state.at = time.monotonic()
        return state.ready


@bp.operation(
    "GET", "/healthz", summary="The process is up", scope=None, responses={200: ("Up", HEALTH)}
)
def healthz() -> ResponseReturnValue:
    return {"status": "ok"}


@bp.operation(
    "GET",
    "/readyz",
    summary="The store is reachable",
    scope=None,
    responses={200: ("Ready", HEALTH)},
)
def readyz() -> ResponseReturnValue:
    if not _ready():
        current_app.logger.warning("readiness check: store unavailable")
        return error_response(
            503, "store_unavailable", "the graph store is unavailable", {}, {"Retry-After": "1"}
        )
    return {"status": "ready"}


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Serve the OpenAPI document (built once per app)."""
    doc: dict[str, object] = current_app.extensions["graphmatch.openapi"]
    return doc


def _swagger_ui_dist() -> Path:
    """Return the folder of Swagger UI's files, shipped by the ``flask-swagger-ui`` package.

    Only its files are used (``swagger-ui-bundle.js``, ``swagger-ui.css``, the icons): its
    blueprint's page starts Swagger UI with an inline script, which the docs page's
    Content-Security-Policy forbids, so the page and its start-up script are ours.
    """
    try:
        import flask_swagger_ui
    except ImportError:
        raise ApiError(
            503,
            "docs_unavailable",
            "the docs page needs flask-swagger-ui: pip install 'graphmatch[api]'",
            {},
        ) from None
    return Path(flask_swagger_ui.__file__).parent / "dist"


def _docs_page(root: str) -> ResponseReturnValue:
    """Return the docs page with its links relative to ``root``, the API's root from the page.

    The page names its scripts, style sheets and the document relative to itself (so the API
    can be mounted under a prefix), without ``<base>``, which the page's policy
    (``base-uri 'none'``) would ignore.
    """
    _swagger_ui_dist()  # a clear 503 rather than a page whose scripts all 404
    assert current_app.static_folder is not None
    page = (Path(current_app.static_folder) / "docs" / "index.html").read_text(encoding="utf-8")
    return Response(page.replace("{root}", root), mimetype="text/html")


@bp.route("/docs")
def docs() -> ResponseReturnValue:
    """Serve the docs page: Swagger UI on /openapi.json, every file from this server."""
    return _docs_page("./")


@bp.route("/docs/")
def docs_slash() -> ResponseReturnValue:
    """Serve the docs page at ``/docs/`` too (typed by hand, or kept by a browser).

    The only path with a trailing ``/`` that answers: the API's own paths never do.
    """
    return _docs_page("../")


@bp.route("/static/swagger-ui/<path:filename>")
def swagger_ui(filename: str) -> ResponseReturnValue:
    """Serve one of Swagger UI's files from the installed package (404 for any other name)."""
    return send_from_directory(_swagger_ui_dist(), filename)

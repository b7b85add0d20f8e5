"""Health, readiness, the OpenAPI document and the offline docs page.

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

from api.errors import error_response
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


@bp.route("/docs")
def docs() -> ResponseReturnValue:
    """Serve the docs page, which renders /openapi.json with no external resources."""
    assert current_app.static_folder is not None
    return send_from_directory(current_app.static_folder, "docs.html")


@bp.route("/docs/")
def docs_slash() -> ResponseReturnValue:
    """Serve the docs page at ``/docs/`` too (typed by hand, or kept by a browser).

    The page names its script, style sheet and document relative to itself (so the API can be
    mounted under a prefix); here a ``<base href="../">`` points them one level up, where
    they are. The only path with a trailing ``/`` that answers: the API's own paths never do.
    """
    assert current_app.static_folder is not None
    page = (Path(current_app.static_folder) / "docs.html").read_text(encoding="utf-8")
    page = page.replace("<head>", '<head>\n<base href="../">', 1)
    return Response(page, mimetype="text/html")

"""Health, readiness, the OpenAPI document and the offline docs page."""

from __future__ import annotations

from flask import current_app, send_from_directory
from flask.typing import ResponseReturnValue

from api.errors import error_response
from api.models import HEALTH
from api.routing import ApiBlueprint, store
from graphmatch import StoreUnavailable

__all__ = ["bp"]

bp = ApiBlueprint("meta", __name__, tag="meta")


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
    try:
        store().ping()
    except StoreUnavailable:
        current_app.logger.warning("readiness check: store unavailable")
        return error_response(503, "store_unavailable", "the graph store is unavailable")
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

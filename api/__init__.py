"""The graphmatch HTTP API: a Flask app factory over any graphmatch store.

>>> import graphmatch as gm
>>> from api import create_app
>>> client = create_app(store=gm.MemoryStore()).test_client()
>>> client.post("/v1/people", json={"id": "ann"}).status_code
201
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import BLUEPRINTS, close_app, create_app
    from api.routing import ApiBlueprint

__all__ = ["BLUEPRINTS", "ApiBlueprint", "close_app", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so `graphmatch --help` (which registers `serve` from api.cli) never loads Flask.
    if name == "ApiBlueprint":
        from api.routing import ApiBlueprint

        return ApiBlueprint
    if name in __all__:
        from api import app

        return getattr(app, name)
    raise AttributeError(f"module 'api' has no attribute {name!r}")

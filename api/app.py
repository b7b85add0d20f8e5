"""The application factory."""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, Request, current_app
from flask.cli import with_appcontext
from flask.sessions import NullSession, SecureCookieSessionInterface

from api import (
    discovery,
    dismissals,
    explorer,
    friends,
    health,
    people,
    presence,
    privacy,
    scores,
)
from api.accesslog import AccessLog
from api.auth import KeyRing
from api.errors import register_error_handlers
from api.guard import install_guard
from api.jsonio import ApiJSONProvider
from api.lean import LeanReads
from api.limits import install_limits
from api.openapi import build_openapi
from api.routing import ApiBlueprint, Services, install_bookmarks
from api.settings import load_settings
from graphmatch import GraphMatchError, GraphStore, Matcher, MemoryStore
from graphmatch.presence import Presence
from graphmatch.stores import JournaledStore, open_store

__all__ = ["BLUEPRINTS", "ApiFlask", "close_app", "create_app", "open_configured_store"]

logger = logging.getLogger("api")

#: One blueprint per resource. A new resource (presence, events) adds its module here.
BLUEPRINTS: list[ApiBlueprint] = [
    health.bp,
    people.bp,
    friends.bp,
    privacy.bp,
    discovery.bp,
    scores.bp,
    dismissals.bp,
    presence.bp,
    explorer.bp,
]


class _NoSessions(SecureCookieSessionInterface):
    """No sessions: the API keeps no cookie state, so every request shares one null session."""

    def open_session(self, app: Flask, request: Request) -> NullSession:
        """Return the shared null session (it refuses writes, like Flask's own)."""
        return _NULL_SESSION


_NULL_SESSION = NullSession()


class ApiFlask(Flask):
    """Flask with the per-request work the API never needs done once instead.

    * ``ensure_sync``: Flask asks :func:`inspect.iscoroutinefunction` of every hook and view
      on every request (16 times for a suggestions request); the answer is kept per
      function.
    * Sessions: none are opened (no cookie is read or signed).
    * JSON answers through :class:`api.jsonio.ApiJSONProvider` (orjson when installed).

    Together with the hooks' own cuts, in process on the 100k demo: a suggestions request
    through the WSGI app took 438 µs of CPU before, see docs/performance.md for after.
    """

    json_provider_class = ApiJSONProvider
    session_interface = _NoSessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return func, or a sync wrapper for a coroutine function; decided once per function."""
        try:
            return self._sync[func]
        except (KeyError, TypeError):  # TypeError: an unhashable callable
            pass
        done = func if not inspect.iscoroutinefunction(func) else super().ensure_sync(func)
        with contextlib.suppress(TypeError):
            self._sync[func] = done
        return done


def open_configured_store(settings: Mapping[str, Any], *, recover: bool = False) -> GraphStore:
    """Open the store the settings ask for.

    Memory by default (journaled under ``DATA_DIR`` when one is set), Neo4j when ``STORE``
    says so or ``NEO4J_URI`` is set; Neo4j is its own durable store, so no journal.

    Parameters
    ----------
    settings : mapping
        ``STORE`` and ``DATA_DIR`` are read.
    recover : bool, default False
        Open a damaged data dir on what can be read (``serve --recover``), see
        :class:`~graphmatch.stores.JournaledStore`.

    Returns
    -------
    GraphStore

    Raises
    ------
    StoreUnavailable
        If Neo4j cannot be reached or the data dir cannot be used.

    Examples
    --------
    >>> open_configured_store({"STORE": "memory", "DATA_DIR": None}).counts()
    (0, 0)
    """
    opened = open_store(settings.get("STORE"))
    data_dir = settings.get("DATA_DIR")
    if data_dir is not None and isinstance(opened, MemoryStore):
        return JournaledStore(opened, Path(data_dir), recover=recover)
    return opened


def create_app(config: Mapping[str, Any] | None = None, store: GraphStore | None = None) -> Flask:
    """Create the graphmatch HTTP API.

    Parameters
    ----------
    config : mapping, optional
        Settings (see :mod:`api.settings`); they win over ``GRAPHMATCH_*`` variables.
    store : GraphStore, optional
        A store to serve (tests, embedding). Without one the app opens the configured
        store and closes it when :func:`close_app` runs.

    Returns
    -------
    flask.Flask

    Raises
    ------
    InvalidInput
        For malformed settings (an API key entry without a scope...).
    StoreUnavailable
        If the configured store cannot be opened.

    Examples
    --------
    >>> import graphmatch as gm
    >>> app = create_app(store=gm.MemoryStore())
    >>> app.test_client().get("/healthz").get_json()
    {'status': 'ok'}
    """
    app = ApiFlask(__name__, static_folder="static", static_url_path="/static")
    settings = load_settings(config)
    keys = KeyRing(settings.pop("API_KEYS"))  # keep only digests; clear keys leave config
    app.config.update(settings)
    owns = store is None
    if store is None:
        store = open_configured_store(settings)
    # A model file (``graphmatch train``) makes score=learned answerable; without one it is a 422.
    matcher = Matcher(store, model=settings["MODEL_PATH"])
    app.extensions["graphmatch"] = Services(store, matcher, keys, owns_store=owns)
    if isinstance(store, JournaledStore):  # presence beside the journal: it survives restarts
        matcher = app.extensions["graphmatch"].matcher
        presence.init_presence(app, Presence(store, matcher=matcher, index=store.presence_index()))
    register_error_handlers(app)
    # Refusals first (shed, rate limits, Host, content type): they must cost less than work.
    install_limits(app, keys)
    install_guard(app, keyless=not keys.enabled and not settings["OPEN"])
    # The lean path inside the access log: its answers are logged like any other.
    lean = LeanReads(app, app.wsgi_app)
    app.extensions["graphmatch.lean"] = lean
    app.wsgi_app = AccessLog(lean)  # type: ignore[method-assign]
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    install_bookmarks(app, store)
    groups = [(bp.url_prefix or "", bp.operations) for bp in BLUEPRINTS]
    app.extensions["graphmatch.openapi"] = build_openapi(groups, app.config)
    app.cli.add_command(seed_command)
    return app


@click.command("seed")
@click.option("--people", type=int, default=1000, show_default=True)
@click.option("--mean-degree", type=float, default=20.0, show_default=True)
@click.option("--seed", "seed_", type=int, default=0, show_default=True)
@click.option("--locale", "locales", multiple=True, help="Faker locale (repeatable)")
@with_appcontext
def seed_command(people: int, mean_degree: float, seed_: int, locales: tuple[str, ...]) -> None:
    """Seed the app's store with a demo network (``flask --app api seed``).

    The same code as ``graphmatch seed``: :func:`seed_data.cli.seed` and its report.
    """
    from seed_data.cli import format_report, seed

    store = current_app.extensions["graphmatch"].store
    try:
        report = seed(
            people, mean_degree, list(locales) or ["en_US"], seed_, store=store, progress=True
        )
    except GraphMatchError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(report))


def close_app(app: Flask) -> None:
    """Close the store the app opened itself (an injected store is the caller's to close).

    Parameters
    ----------
    app : flask.Flask
        An app from :func:`create_app`.
    """
    services: Services = app.extensions["graphmatch"]
    if services.owns_store:
        services.store.close()

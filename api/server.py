"""Run the API under waitress, the production WSGI server: bind rules, demo data, shutdown."""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import logging
import signal
import socket
import sys
import time
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from api.app import create_app, open_configured_store
from api.errors import json_server_errors
from api.presence import EXTENSION as PRESENCE
from graphmatch import GraphMatchError, GraphStore, HasIndex, InvalidInput

if TYPE_CHECKING:
    from flask import Flask

    from api.workers import WorkerRole
    from seed_data import Network
from api.settings import load_settings

__all__ = [
    "RefusedToServe",
    "check_bindable",
    "check_in_demo_event",
    "check_serve_options",
    "is_loopback",
    "seed_demo",
    "serve",
    "warm_up",
]

logger = logging.getLogger("api")


class RefusedToServe(InvalidInput):
    """Asked to serve beyond loopback with no API keys: a usage error, so the CLI exits 2."""

    exit_code = 2


def is_loopback(host: str) -> bool:
    """Return whether host only accepts connections from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname could resolve anywhere: treat it as public


def check_serve_options(port: int, threads: int) -> None:
    """Refuse a port or thread count waitress would misread, before anything starts.

    waitress takes a port above 65535 modulo 65536 (99999 serves on 34463) and a negative
    one with a traceback, and with no worker threads it prints its address and never answers.

    Raises
    ------
    RefusedToServe
        (exit 2) For a port outside 0..65535 or fewer than one thread.

    Examples
    --------
    >>> check_serve_options(0, 1)
    >>> check_serve_options(99999, 8)
    Traceback (most recent call last):
    ...
    api.server.RefusedToServe: --port must be 0 to 65535 (0 picks a free port), not 99999
    """
    if not 0 <= port <= 65535:
        raise RefusedToServe(f"--port must be 0 to 65535 (0 picks a free port), not {port}")
    if threads < 1:
        raise RefusedToServe(f"--threads must be at least 1, not {threads}")


def check_bindable(host: str, port: int) -> None:
    """Raise OSError now if host:port cannot be bound, rather than after seeding a demo.

    A quick probe (bind, then close) with the options waitress uses; port 0 always binds.

    Raises
    ------
    OSError
        ``host:port: Address already in use`` and the like (one line through the CLI's rule).
    InvalidInput
        For a host that is neither an address nor a name that resolves.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"--host {host!r} is not an address this machine can bind") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        if sys.platform != "win32":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, f"{host}:{port}") from None


def seed_demo(store: GraphStore, people: int, seed: int = 0) -> tuple[str, Network]:
    """Fill an empty store with a seeded demo network (:mod:`seed_data`).

    Parameters
    ----------
    store : GraphStore
        An empty store.
    people : int
        How many people to generate.
    seed : int, default 0
        Generator seed.

    Returns
    -------
    description : str
        One line for the log.
    network : seed_data.Network
        The generated network, with its conference.

    Raises
    ------
    InvalidInput
        For a people count the generator refuses.
    """
    from seed_data import generate, write_to_store

    network = generate(people, seed=seed)
    stats = write_to_store(network, store, progress=False)
    desc = f"demo: seeded {stats.people:,} people, {network.n_friendships:,} friendships"
    return desc, network


def check_in_demo_event(app: Flask, network: Network, seed: int = 0) -> str:
    """Open the demo network's conference and check its attendees in; return a description."""
    svc = app.extensions[PRESENCE]
    event = network.event
    # The generator gives the event a city, not coordinates: place it in central Berlin.
    svc.add_event(event.id, name=event.name, lat=52.5200, lon=13.4050)
    n = svc.check_in_attendees(event.id, event.attendees, ttl_s=24 * 3600, jitter_m=80, seed=seed)
    return f"demo: {n} attendees checked in at {event.name!r} (event id {event.id!r}, 24 h)"


def demo_event_live(app: Flask, event_id: str = "event-1") -> bool:
    """Return whether the demo event (seed_data's ``event-1``) exists with people checked in."""
    try:
        return bool(app.extensions[PRESENCE].attendees(event_id))
    except GraphMatchError:
        return False


def warm_up(app: Flask, store: GraphStore) -> str | None:
    """Build the store's compiled index and load its kernels before the first request.

    Without this the first read starts the build in the background and every read until it
    is done takes the uncompiled path: on the 100k demo that was 4-7 ms of CPU a request for
    the first tens of seconds of a loaded server, against 0.05 ms for the kernel warm.

    Parameters
    ----------
    app : flask.Flask
        The app from :func:`api.app.create_app` (its matcher ranks the warm-up read).
    store : GraphStore
        The store it serves.

    Returns
    -------
    str or None
        One line for the log, or None for a store without a compiled index (Neo4j).

    Examples
    --------
    >>> import graphmatch as gm
    >>> from api.app import create_app
    >>> store = gm.MemoryStore(index="off")
    >>> store.add_friendships([("a", "b"), ("b", "c")])
    2
    >>> warm_up(create_app(store=store), store).startswith("index of 3 people built")
    True
    """
    if not isinstance(store, HasIndex):
        return None
    started = time.perf_counter()
    index = store.build_index()
    present = [p for p in index.ids if p is not None]
    people = len(present)
    if present:
        # The first ranking loads the kernels from numba's disk cache (or compiles them).
        matcher = app.extensions["graphmatch"].matcher
        with contextlib.suppress(GraphMatchError):
            matcher.suggest(present[0], limit=1)
    took = time.perf_counter() - started
    return f"index of {people:,} people built and kernels loaded in {took:.1f} s"


def _stop(signum: int, frame: FrameType | None) -> None:
    # waitress leaves its loop on SystemExit and shuts its worker threads down.
    raise SystemExit(0)


def serve_settings(
    host: str,
    port: int,
    threads: int,
    data_dir: str | None,
    store_kind: str | None,
    open_access: bool,
    settings: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the serve options; return the settings they override and the merged settings.

    Raises
    ------
    RefusedToServe
        For a bad port or thread count, or beyond loopback without API keys.
    """
    check_serve_options(port, threads)
    overrides: dict[str, Any] = dict(settings or {})
    if data_dir is not None:
        overrides["DATA_DIR"] = data_dir
    if store_kind is not None:
        overrides["STORE"] = store_kind
    if open_access:
        overrides["OPEN"] = True
    config = load_settings(overrides)
    if not config["API_KEYS"] and not config["OPEN"] and not is_loopback(host):
        raise RefusedToServe(
            f"refusing to serve on {host} with no API keys: set GRAPHMATCH_API_KEYS, "
            "or pass --open (GRAPHMATCH_OPEN=1) to serve without access control"
        )
    return overrides, config


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    data_dir: str | None = None,
    demo: bool = False,
    demo_people: int = 10_000,
    open_access: bool = False,
    threads: int = 8,
    store_kind: str | None = None,
    recover: bool = False,
    settings: Mapping[str, Any] | None = None,
    worker: WorkerRole | None = None,
) -> int:
    """Serve the API until SIGINT or SIGTERM; return the exit code.

    Parameters
    ----------
    host, port : str, int
        Where to listen (port 0 picks a free port; the chosen one is printed).
    data_dir : str, optional
        Keep the memory store durable in this directory (journal + snapshot).
    demo : bool
        Seed a demo network if the store is empty.
    demo_people : int
        People in the demo network.
    open_access : bool
        Allow a non-loopback host without API keys (also ``GRAPHMATCH_OPEN=1``).
    threads : int
        waitress worker threads.
    store_kind : {"memory", "neo4j"}, optional
        Which store (default: Neo4j if ``NEO4J_URI`` is set, else memory).
    recover : bool
        Start on a damaged data dir, on what can be read, and report what was lost.
    settings : mapping, optional
        More settings (:mod:`api.settings`: the limits under load, the access log); they win
        over the environment.
    worker : api.workers.WorkerRole, optional
        Serve as one of ``serve --workers``' processes: on the sockets the parent bound, from
        the store the role opens (a follower's copy of the data dir), with its hooks.

    Returns
    -------
    int
        0 after a clean shutdown.

    Raises
    ------
    RefusedToServe
        (an ``InvalidInput``) When asked to bind beyond loopback with no API keys and not
        told the server is open.
    StoreUnavailable
        If the store cannot be opened.
    """
    from api import accesslog
    from api.explorer import demo_story
    from api.overload import create_server

    overrides, config = serve_settings(
        host, port, threads, data_dir, store_kind, open_access, settings
    )
    if worker is None:
        check_bindable(host, port)  # before seeding a demo: a taken port fails in a second
    # waitress warns on every queued task under load; that is normal for a busy server.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if worker is not None:
        store = worker.open_store(config, recover)
    else:
        store = open_configured_store(config, recover=recover)
    if (report := getattr(store, "recovery_report", None)) is not None:
        print(f"graphmatch: {report.summary()}", file=sys.stderr, flush=True)
    try:
        network = None
        if demo and store.counts() == (0, 0):
            desc, network = seed_demo(store, demo_people)
            print(f"graphmatch: {desc}", file=sys.stderr, flush=True)
        app = create_app(overrides, store=store)
        if demo and network is None and not demo_event_live(app):
            # A later start: the demo's people are there but its event is not (no durable
            # presence, or the check-ins expired). The same seed regenerates the same event.
            from seed_data import generate

            network = generate(demo_people, seed=0)
            if any(not store.exists(p) for p in network.event.attendees):
                print("graphmatch: demo: no event (the store holds another demo)", file=sys.stderr)
                network = None
        if network is not None:  # presence lives in the app, so check in after create_app
            print(f"graphmatch: {check_in_demo_event(app, network)}", file=sys.stderr, flush=True)
        if worker is not None:
            worker.install(app, store)
        if (warmed := warm_up(app, store)) is not None:
            print(f"graphmatch: {warmed}", file=sys.stderr, flush=True)
        stop_log = accesslog.configure(str(config["ACCESS_LOG"]), sys.stderr)
        # The loaded graph is millions of long-lived dicts the cyclic collector would walk
        # again and again: at 100k people a full collection paused a read 665 ms, 84 ms once
        # frozen (`graphmatch bench --writes 1000 --gc-freeze`, docs/performance.md).
        gc.collect()
        gc.freeze()
        sockets = worker.sockets if worker is not None else None
        server: Any = create_server(app, host, port, threads, config, sockets=sockets)
        json_server_errors(server)  # waitress' own 400/431/413/501 answers in JSON too
        # The Host check (api.guard) accepts the loopback names with this port only.
        if worker is not None:
            server.effective_port = worker.public_port  # several sockets: the clients' one
        app.config["PORT"] = getattr(server, "effective_port", None)
        signal.signal(signal.SIGTERM, _stop)
        people, friendships = store.counts()
        durable = f"journaled in {data_dir}" if config.get("DATA_DIR") else "not persisted"
        print(
            f"graphmatch: serving {people:,} people, {friendships:,} friendships "
            f"({durable}) on http://{host}:{server.effective_port}",
            flush=True,
        )
        if demo:
            story = demo_story(app, f"http://{host}:{server.effective_port}")
            print(
                f"graphmatch: {story or 'explorer: no event with a pair to introduce'}", flush=True
            )
        try:
            server.run()  # returns after SIGINT/SIGTERM, once in-flight requests are done
        finally:
            if dropped := stop_log():
                print(f"graphmatch: {dropped} access log lines dropped", file=sys.stderr)
    finally:
        store.close()
    return 0

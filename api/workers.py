"""``graphmatch serve --workers N``: N waitress processes on one port.

The parent reserves the port (bound with ``SO_REUSEPORT``, not listening) and starts N worker
processes (``python -m api.workers``, spawned, not forked), each listening on that port with
its own ``SO_REUSEPORT`` socket: the kernel spreads new connections evenly over the listening
ones (by a hash of the client's address and port), and a worker that is down takes none. The
parent restarts a worker that exits and stops them all on SIGTERM or SIGINT.

Over the embedded store (``--data-dir``) worker 0 is the **writer**: it owns the
:class:`~graphmatch.stores.JournaledStore` and the durable presence, and also accepts on a
private loopback socket. Workers 1..N-1 are **followers**: each loads the data dir read-only
into its own :class:`~graphmatch.MemoryStore` (with its own live index) and applies the
journal as it grows (:class:`~graphmatch.stores.follower.JournalFollower`). A follower
answers reads itself and forwards to the writer every write and every presence and event
request (presence is the writer's alone). Every answer carries ``Graphmatch-Position``, the
journal position it reflects (on a write: the position that includes it), and
``Graphmatch-Worker``; a read sent with ``Graphmatch-Min-Position: <p>`` waits until its
worker has applied p (at most :data:`MIN_POSITION_WAIT_S`, then 503 with ``Retry-After``).

Over Neo4j every worker is the same stateless process.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any

from flask import Flask, Response, request

from api.app import open_configured_store
from api.errors import ApiError
from api.guard import add_missing
from api.hooks import NotLean, lean_hooks
from api.server import RefusedToServe, serve_settings
from graphmatch import GraphMatchError, GraphStore, JournalCorrupt
from graphmatch.stores import JournaledStore, JournalFollower

__all__ = [
    "MIN_POSITION",
    "MIN_POSITION_WAIT_S",
    "POSITION",
    "VIA",
    "WORKER",
    "WorkerRole",
    "serve_workers",
]

POSITION = "Graphmatch-Position"
MIN_POSITION = "Graphmatch-Min-Position"
_MIN_POSITION_ENV = "HTTP_GRAPHMATCH_MIN_POSITION"
#: In the WSGI environ: the journal position a read answers at (set before, sent after).
_POSITION_ENV = "graphmatch.position"
WORKER = "Graphmatch-Worker"
#: On an answer a follower forwarded from the writer: the follower's number.
VIA = "Graphmatch-Via"
#: The longest a read waits for its worker to reach a Graphmatch-Min-Position, seconds.
MIN_POSITION_WAIT_S = 1.0
#: The longest a follower waits for the writer's answer to a forwarded request, seconds.
FORWARD_TIMEOUT_S = 15.0
#: Requests a follower forwards to the writer whatever their method: presence and events.
_WRITER_ONLY = re.compile(r"^/v1/(people/[^/]+/(presence|nearby)|events)(/|$)")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass
class WorkerRole:
    """What one worker process is: its number, its kind, the sockets it accepts on.

    Parameters
    ----------
    index : int
        0 for the writer (or the first stateless worker), 1..N-1 for the others.
    kind : {"writer", "follower", "stateless"}
        Writer and followers over a data dir; stateless over Neo4j.
    sockets : list of socket.socket
        The shared listening socket (the writer's private one after it).
    public_port : int
        The port clients use (the Host check accepts it).
    writer : tuple of (str, int), optional
        The writer's private address, for a follower to forward to.
    data_dir : str, optional
        The data dir a follower follows.
    """

    index: int
    kind: str
    sockets: list[socket.socket]
    public_port: int
    writer: tuple[str, int] | None = None
    data_dir: str | None = None
    follower: JournalFollower | None = None
    _local: threading.local = field(default_factory=threading.local)

    def open_store(self, config: Mapping[str, Any], recover: bool) -> GraphStore:
        """Open this worker's store: the follower's copy, or the configured store."""
        if self.kind == "follower":
            assert self.data_dir is not None
            self.follower = JournalFollower(self.data_dir, open_timeout_s=60)
            self.follower.start(on_error=self._follower_failed)
            return self.follower.store
        return open_configured_store(config, recover=recover)

    @staticmethod
    def _follower_failed(exc: BaseException) -> None:
        """End this worker when its copy can no longer follow: the parent starts a fresh one."""
        print(f"graphmatch: follower stopped ({exc}); restarting", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

    def install(self, app: Flask, store: GraphStore) -> None:
        """Add the forwarding, the position wait and the position headers to app."""
        index = str(self.index)

        if self.kind == "follower":
            follower = self.follower
            assert follower is not None

            def position() -> int:
                return follower.position

            def check_read(environ: dict[str, Any], path: str) -> None:
                if environ.get("REQUEST_METHOD") not in _READS or _WRITER_ONLY.match(path):
                    raise NotLean  # forwarded to the writer
                wanted = _min_position(environ)
                if wanted is not None:
                    try:
                        reached = follower.wait_for(wanted, MIN_POSITION_WAIT_S)
                    except JournalCorrupt:
                        reached = False
                    if not reached:
                        raise ApiError(
                            503,
                            "behind",
                            "this worker has not applied that journal position yet; retry",
                            {"position": follower.position, "wanted": wanted},
                            {"Retry-After": "1"},
                        )
                # The answer includes every write up to it.
                environ[_POSITION_ENV] = follower.position

            def before() -> Any:
                req = request._get_current_object()  # type: ignore[attr-defined]
                try:
                    check_read(req.environ, req.path)
                except NotLean:
                    return self._forward()
                return None

            app.before_request(lean_hooks(before, check_read))
        else:
            journal = store if isinstance(store, JournaledStore) else None

            def position() -> int:
                return journal.position if journal is not None else 0

            def check_position(environ: dict[str, Any], path: str) -> None:
                wanted = _min_position(environ)  # 400 if malformed
                # The writer has every position there is: one past it was never acknowledged.
                if wanted is not None and journal is not None and wanted > journal.position:
                    raise ApiError(
                        503,
                        "behind",
                        "no write has reached that journal position yet; retry",
                        {"position": journal.position, "wanted": wanted},
                        {"Retry-After": "1"},
                    )
                environ[_POSITION_ENV] = position()

            def check() -> None:
                check_position(request.environ, request.path)

            app.before_request(lean_hooks(check, check_position))

        stateless = self.kind == "stateless"

        def answer_headers(
            environ: dict[str, Any], path: str, status: int
        ) -> list[tuple[str, str]]:
            if stateless:
                return [(WORKER, index)]
            # A read includes every write up to the position when it began; a write's
            # answer, the position after it (which includes it).
            reads = environ.get("REQUEST_METHOD") in _READS
            start = environ.get(_POSITION_ENV) if reads else None
            return [(WORKER, index), (POSITION, str(position() if start is None else start))]

        def after(response: Response) -> Response:
            add_missing(response.headers, answer_headers(request.environ, "", 0))
            return response

        lean_hooks(after, answer_headers)
        app.after_request(after)

    def _forward(self) -> Response:
        """Send the current request to the writer and return its answer as it is."""
        assert self.writer is not None
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = request.get_data()
        target = request.full_path if request.query_string else request.path
        for attempt in range(2):  # a kept-alive connection the writer closed: once more
            if conn is None:
                conn = http.client.HTTPConnection(*self.writer, timeout=FORWARD_TIMEOUT_S)
                self._local.conn = conn
            try:
                conn.request(request.method, target, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = self._local.conn = None
                # Only a kept-alive connection found closed is tried again; after a timeout
                # the writer may have the request, and a write must not be sent twice.
                if attempt or isinstance(exc, TimeoutError):
                    raise ApiError(
                        503,
                        "writer_unavailable",
                        "the writer process did not answer (restarting?); retry (the write "
                        "may have been applied: PUT and DELETE are safe to repeat)",
                        {},
                        {"Retry-After": "1"},
                    ) from None
                continue
            kept = [
                (name, value)
                for name, value in answer.getheaders()
                if name.lower() not in _HOP_BY_HOP and name.lower() not in ("date", "server")
            ]
            return Response(data, status=answer.status, headers=[*kept, (VIA, str(self.index))])
        raise AssertionError("unreachable")  # pragma: no cover


def _min_position(environ: dict[str, Any]) -> int | None:
    """Return the request's Graphmatch-Min-Position (None without one; 400 if malformed)."""
    raw = environ.get(_MIN_POSITION_ENV)  # not headers.get: a miss costs an exception
    if raw is None:
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 20:
        raise ApiError(
            400,
            "invalid_position",
            f"{MIN_POSITION} must be a journal position (a whole number from {POSITION})",
            {"value": raw[:40]},
        )
    return int(raw)


# -- the parent ----------------------------------------------------------------------------------
def _bind(host: str, port: int, *, listen: bool) -> socket.socket:
    """Bind host:port with SO_REUSEPORT; listen too, for a worker.

    The parent binds without listening: that reserves the port (and resolves port 0) for the
    workers' sockets without taking any connection itself; the kernel spreads the
    connections over the listening ones.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class _Child:
    """One worker process the parent started."""

    index: int
    spec: dict[str, Any]
    fds: tuple[int, ...]
    proc: subprocess.Popen[str] | None = None
    line: str = ""


def _start(child: _Child, wait: bool) -> None:
    """Start child's process; with wait, until it prints that it serves."""
    child.proc = subprocess.Popen(
        [sys.executable, "-m", "api.workers", json.dumps(child.spec)],
        pass_fds=child.fds,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a terminal's Ctrl-C goes to the parent, which stops them
    )
    out = child.proc.stdout
    assert out is not None
    if wait:
        for line in out:
            if "http://" in line:
                child.line = line.strip()
                break
            text = line.rstrip().removeprefix("graphmatch: ")
            print(f"graphmatch: worker {child.index}: {text}", file=sys.stderr)
        else:
            code = child.proc.wait()
            raise RefusedToServe(f"worker {child.index} did not start (exit {code})")
    threading.Thread(target=_relay, args=(child.index, out), daemon=True).start()


def _relay(index: int, out: IO[str]) -> None:
    """Copy a worker's later stdout lines to stderr, named."""
    for line in out:
        text = line.rstrip().removeprefix("graphmatch: ")
        print(f"graphmatch: worker {index}: {text}", file=sys.stderr, flush=True)


def serve_workers(
    workers: int,
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
) -> int:
    """Serve the API from ``workers`` processes until SIGINT or SIGTERM; return the exit code.

    Parameters
    ----------
    workers : int
        Worker processes (at least 2; one is :func:`api.server.serve` itself).
    host, port, data_dir, demo, demo_people, open_access, threads, store_kind, recover, settings
        As for :func:`api.server.serve`; ``threads`` is per worker, as are the limits under
        load (rate buckets, queue, connections).

    Returns
    -------
    int
        0 after a clean shutdown.

    Raises
    ------
    RefusedToServe
        (exit 2) For fewer than two workers, or the memory store without ``--data-dir``
        (each worker would hold a different graph), or beyond loopback without API keys.
    """
    if workers < 2:
        raise RefusedToServe(
            f"--workers must be at least 2 to start worker processes, not {workers}"
        )
    _, config = serve_settings(host, port, threads, data_dir, store_kind, open_access, settings)
    neo4j = config.get("STORE") == "neo4j" or (
        config.get("STORE") in (None, "") and bool(os.environ.get("NEO4J_URI"))
    )
    if not neo4j and data_dir is None:
        raise RefusedToServe(
            "--workers needs --data-dir over the memory store (one writer owns the journal, "
            "the other workers follow it) or --store neo4j; without either each worker "
            "would hold a graph of its own"
        )
    from api.server import check_bindable

    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - Linux and the BSDs have it
        raise RefusedToServe("--workers needs SO_REUSEPORT, which this system lacks")
    check_bindable(host, port)  # one line for a taken port or a bad host
    public = _bind(host, port, listen=False)
    public_port = public.getsockname()[1]
    base = {
        "host": host,
        "port": public_port,
        "data_dir": data_dir,
        "demo_people": demo_people,
        "open_access": open_access,
        "threads": threads,
        "store_kind": store_kind,
        "recover": recover,
        "settings": dict(settings or {}),
    }
    children: list[_Child] = []
    private: socket.socket | None = None
    if neo4j:
        for i in range(workers):
            spec = {**base, "index": i, "kind": "stateless", "demo": demo and i == 0}
            children.append(_Child(i, spec, ()))
    else:
        private = socket.create_server(("127.0.0.1", 0), backlog=2048)
        private.set_inheritable(True)
        writer_at = private.getsockname()[:2]
        spec = {**base, "index": 0, "kind": "writer", "demo": demo, "private_fd": private.fileno()}
        children.append(_Child(0, spec, (private.fileno(),)))
        for i in range(1, workers):
            spec = {**base, "index": i, "kind": "follower", "demo": False, "writer": writer_at}
            children.append(_Child(i, spec, ()))
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for child in children:  # the writer first: followers open what it set up and seeded
            _start(child, wait=True)
        first = children[0].line.removeprefix("graphmatch: ")
        what = first.rsplit(" on http://", 1)[0]
        kinds = "stateless" if neo4j else f"1 writer, {workers - 1} following its journal"
        print(
            f"graphmatch: {workers} worker processes ({kinds}), {what} on "
            f"http://{host}:{public_port}",
            flush=True,
        )
        while not stopping.wait(0.2):
            for child in children:
                assert child.proc is not None
                if child.proc.poll() is not None and not stopping.is_set():
                    print(
                        f"graphmatch: worker {child.index} exited ({child.proc.returncode}); "
                        "starting it again",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(0.5)
                    _start(child, wait=False)
    finally:
        for child in children:
            if child.proc is not None and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        for child in children:
            if child.proc is not None:
                try:
                    child.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.proc.kill()
                    child.proc.wait()
        public.close()
        if private is not None:
            private.close()
    return 0


# -- a worker process --------------------------------------------------------------------------
def _watch_parent(parent: int) -> None:
    """End this worker if the parent goes (killed outright): no orphan keeps the socket."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def worker_main(argv: list[str]) -> int:
    """Run one worker from the spec its parent passed (``python -m api.workers SPEC``)."""
    from api.server import serve

    spec = json.loads(argv[0])
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    sockets = [_bind(spec["host"], spec["port"], listen=True)]
    if spec.get("private_fd") is not None:
        sockets.append(socket.socket(fileno=spec["private_fd"]))
    writer = (str(spec["writer"][0]), int(spec["writer"][1])) if spec.get("writer") else None
    role = WorkerRole(
        index=spec["index"],
        kind=spec["kind"],
        sockets=sockets,
        public_port=spec["port"],
        writer=writer,
        data_dir=spec["data_dir"],
    )

    try:
        return serve(
            spec["host"],
            spec["port"],
            data_dir=spec["data_dir"] if spec["kind"] == "writer" else None,
            demo=spec["demo"],
            demo_people=spec["demo_people"],
            open_access=spec["open_access"],
            threads=spec["threads"],
            store_kind=spec["store_kind"],
            recover=spec["recover"],
            settings=spec["settings"],
            worker=role,
        )
    except (GraphMatchError, OSError) as exc:
        print(f"graphmatch: worker {role.index}: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))

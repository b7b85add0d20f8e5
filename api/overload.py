"""waitress, configured to shed load instead of sinking under it.

waitress reads every socket from one thread (poll, so more than 1,024 sockets work) and hands
complete requests to a queue that ``threads`` workers drain. Out of the box an idle socket counts
against a cap of 100 connections, past which waitress stops accepting and everyone, ``/healthz``
included, waits in the kernel's backlog; and the queue has no bound. Here:

* **Idle and slow clients are dropped**: a connection with nothing to say for ``IDLE_TIMEOUT_S``
  is closed (waitress' ``channel_timeout``), and a request whose headers and body have not all
  arrived ``REQUEST_TIMEOUT_S`` after its first byte is closed too (a slow-loris client).
* **Connections are capped, with an answer**: past ``MAX_CONNECTIONS`` open sockets a new
  connection is still accepted, but its requests are answered 503 with ``Connection: close``;
  past a quarter more waitress stops accepting. The open-files limit is raised to fit.
* **The wait for a worker is bounded**: a request finding ``MAX_QUEUE`` others already queued,
  or one that waited ``MAX_QUEUE_WAIT_S`` for a worker, is answered 503 with ``Retry-After`` at
  once. Refusals and ``/healthz`` probes wait in a lane of their own, which the workers serve
  in turn with the others, so a probe is answered within one request's time under a flood.

The refusals themselves are made in the app (:func:`api.limits.install_limits`), so they are JSON,
carry the security headers and reach the access log like any answer.
"""

from __future__ import annotations

import logging
import resource
import socket
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask

from api.limits import EXEMPT, clear_shed, mark_shed

__all__ = [
    "GuardedChannel",
    "GuardedServer",
    "SheddingDispatcher",
    "create_server",
    "raise_open_files_limit",
]

logger = logging.getLogger("api")


class _Queued:
    """A channel waiting for a worker, stamped with when (and whether) it was shed."""

    __slots__ = ("channel", "deadline", "quick", "reason")

    def __init__(
        self, channel: Any, reason: str | None, max_wait_s: float, arrived: float | None = None
    ) -> None:
        self.channel = channel
        # From the request's first byte, not from when it was queued: the time the loop took
        # to read and parse it counts against the bound too.
        self.deadline = (time.monotonic() if arrived is None else arrived) + max_wait_s
        self.reason = reason
        self.quick = False

    def __repr__(self) -> str:
        return f"_Queued({self.channel!r})"

    def service(self) -> None:
        """Serve the channel's requests, marked as shed if it is over its bounds."""
        reason = self.reason
        if reason is None and time.monotonic() > self.deadline:
            reason = "queue_wait"
        mark_shed(reason)
        try:
            self.channel.service()
        finally:
            clear_shed()

    def cancel(self) -> None:
        """Cancel the channel's requests (waitress' shutdown)."""
        self.channel.cancel()

    def defer(self) -> None:
        """Defer like the channel."""
        self.channel.defer()


class _Lanes:
    """waitress' task queue as two lanes, taken in turn: quick answers, and the rest.

    A ``/healthz`` probe or a refusal costs a fraction of a request, so it need not wait behind
    a flood; and since the lanes take turns, a flood of probes cannot starve real requests of
    more than half the worker turns either. Each lane is first in, first out.
    """

    __slots__ = ("_fast_turn", "fast", "normal")

    def __init__(self) -> None:
        self.fast: deque[_Queued] = deque()
        self.normal: deque[_Queued] = deque()
        self._fast_turn = True

    def __len__(self) -> int:
        return len(self.fast) + len(self.normal)

    def append(self, task: _Queued) -> None:
        """Queue a task in the lane its kind belongs to."""
        (self.fast if task.quick else self.normal).append(task)

    def popleft(self) -> _Queued:
        """Take the next task, alternating between the lanes when both hold some."""
        take_fast = bool(self.fast) and (self._fast_turn or not self.normal)
        self._fast_turn = not take_fast
        return (self.fast if take_fast else self.normal).popleft()


def _is_probe(channel: Any) -> bool:
    """Return whether the channel's next request is a ``GET /healthz``."""
    requests = getattr(channel, "requests", None)
    if not requests:
        return False
    first = requests[0]
    return getattr(first, "command", "") == "GET" and getattr(first, "path", "") in EXEMPT


class SheddingDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]
    """waitress' worker pool with a bounded queue: over the bound a request is shed at once."""

    max_queue = 1024
    max_wait_s = 0.5

    def __init__(self) -> None:
        super().__init__()
        self.queue = _Lanes()

    def add_task(self, task: Any) -> None:
        """Queue a channel, marked as shed if the queue is full or it is over the cap."""
        reason = "connections" if getattr(task, "over_cap", False) else None
        probe = _is_probe(task)
        requests = getattr(task, "requests", None)
        arrived = getattr(requests[0], "graphmatch_arrived", None) if requests else None
        with self.lock:
            if reason is None and not probe and len(self.queue.normal) >= self.max_queue:
                reason = "queue_full"
            queued = _Queued(task, reason, self.max_wait_s, arrived)
            queued.quick = probe or reason is not None
            self.queue.append(queued)
            self.queue_cv.notify()


class _ClosingTask(WSGITask):  # type: ignore[misc]
    """waitress' WSGI task, closing the connection after its answer when over the cap."""

    wrote_header: bool  # waitress' own attributes, typed for the checks below
    content_length: int | None

    def build_response_header(self) -> Any:
        """Build the header as waitress does, with ``Connection: close`` past the cap."""
        if self.channel.over_cap:
            self.set_close_on_finish()  # PEP 3333 keeps Connection out of the app's hands
        return super().build_response_header()

    def write(self, data: bytes) -> None:
        """Write as waitress does, but the header together with a sized body's first bytes.

        waitress sends the header and the body in two ``send`` calls, each a system call and
        so, under load, one more wait for the interpreter lock; a JSON answer is one piece
        of known length, so here it goes out in one.
        """
        cl = self.content_length
        if (
            self.wrote_header
            or not data
            or not self.complete
            or cl is None
            or len(data) > cl
            or not self.has_body
        ):
            super().write(data)
            return
        head = self.build_response_header()  # with a Content-Length: never chunked
        self.wrote_header = True
        self.content_bytes_written += len(data)
        self.channel.write_soon(head + data)


class GuardedChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress channel that times out slow requests and knows whether it is over the cap."""

    task_class = _ClosingTask
    request_timeout_s = 10.0
    soft_limit = 4000

    def __init__(self, server: Any, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
        super().__init__(server, sock, addr, adj, map)
        # The listening sockets and the trigger are in the map too; a few more do not matter.
        self.over_cap = len(self._map) > self.soft_limit
        self.request_started: float | None = None

    def received(self, data: bytes) -> bool:
        """Parse data as waitress does, noting when the request now in progress began."""
        if self.request is None and data:
            self.request_started = time.monotonic()
        started = self.request_started
        before = len(self.requests)
        done: bool = super().received(data)
        for complete in self.requests[before:]:
            # When its first byte came: the bounded wait for a worker counts from here.
            complete.graphmatch_arrived = started
        if self.request is None:
            self.request_started = None
        return done

    def writable(self) -> bool:
        """Ask poll for room to write only when no worker is answering on the channel.

        While a worker answers, it sends each piece itself (waitress' ``send_bytes`` is 1)
        while holding the out-buffer lock. waitress' loop meanwhile asks for ``POLLOUT``
        whenever that buffer holds bytes, gets it at once (the socket has room), finds the lock
        taken and turns again: the worker is waiting for the interpreter lock after its
        ``send``, and the spinning loop holds it. Measured on the 2-core machine: 28,000
        ``POLLOUT`` turns a second for 1,000 answers a second, 8 connections. Bytes a
        worker could not send (a full socket) go out with its next piece or after its answer;
        the loop still helps a worker that waits for it, past the high watermark.
        """
        if (
            self.requests
            and not (self.will_close or self.close_when_flushed)
            and self.total_outbufs_len <= self.adj.outbuf_high_watermark
        ):
            return False
        writable: bool = super().writable()
        return writable

    def readable(self) -> bool:
        """Close a request that is too slow to arrive; otherwise read as waitress does."""
        started = self.request_started
        if started is not None and time.monotonic() - started > self.request_timeout_s:
            self.will_close = True  # waitress closes it on its next turn through the loop
            self.request_started = None
            return False
        readable: bool = super().readable()
        return readable


class GuardedServer(TcpWSGIServer):  # type: ignore[misc]
    """waitress' TCP server, taking every waiting connection when the listening socket is ready."""

    channel_class = GuardedChannel

    def handle_accept(self) -> None:
        """Accept connections until none is waiting (at most 128 at a time)."""
        # waitress takes one connection per turn of its loop, and under load that turn comes
        # only as often as the loop's thread gets the interpreter lock: 256 clients arriving at
        # once then wait seconds to be accepted.
        for _ in range(128):
            before = len(self._map)
            super().handle_accept()
            if len(self._map) == before or len(self._map) >= self.adj.connection_limit:
                return


def raise_open_files_limit(wanted: int) -> int:
    """Raise the soft open-files limit toward wanted (up to the hard limit); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            logger.warning("could not raise the open-files limit from %d", soft)
    return soft if soft != resource.RLIM_INFINITY else wanted


def create_server(
    app: Any,
    host: str,
    port: int,
    threads: int,
    settings: Mapping[str, Any],
    sockets: Sequence[socket.socket] | None = None,
) -> Any:
    """Create the waitress server for app with the limits in settings.

    Parameters
    ----------
    app : WSGI application
        What to serve.
    host, port : str, int
        Where to listen.
    threads : int
        Worker threads.
    settings : mapping
        ``MAX_CONNECTIONS``, ``MAX_QUEUE``, ``MAX_QUEUE_WAIT_S``, ``IDLE_TIMEOUT_S`` and
        ``REQUEST_TIMEOUT_S`` (see :mod:`api.settings`).
    sockets : sequence of socket.socket, optional
        Listening sockets to accept on instead of binding host:port (``serve --workers``:
        each worker's own ``SO_REUSEPORT`` socket on the public port, and the writer's private
        one).

    Returns
    -------
    waitress server
        Call ``run()`` to serve; ``effective_port`` is the bound port.
    """
    soft = int(settings["MAX_CONNECTIONS"])
    hard = soft + max(64, soft // 4)
    # Each connection is a file; keep room for the store's files and the log.
    files = raise_open_files_limit(hard + 256)
    if files < hard + 256:
        hard = max(16, files - 256)
        soft = min(soft, max(8, hard * 4 // 5))
        logger.warning("open-files limit %d: at most %d connections", files, hard)
    dispatcher = SheddingDispatcher()
    dispatcher.max_queue = int(settings["MAX_QUEUE"])
    dispatcher.max_wait_s = float(settings["MAX_QUEUE_WAIT_S"])
    dispatcher.set_thread_count(threads)
    channel = type(
        "GuardedChannel",
        (GuardedChannel,),
        {"request_timeout_s": float(settings["REQUEST_TIMEOUT_S"]), "soft_limit": soft},
    )
    idle = int(settings["IDLE_TIMEOUT_S"])
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="graphmatch",
        connection_limit=hard,
        channel_timeout=idle,
        # waitress checks for idle channels every cleanup_interval seconds.
        cleanup_interval=max(1, min(idle, 5)),
        asyncore_use_poll=True,
        backlog=2048,
    )
    server_class = type("GuardedServer", (GuardedServer,), {"channel_class": channel})
    # As waitress.create_server does for TCP: one server per address the host resolves to.
    socket_map: dict[int, Any] = {}
    if sockets:
        servers = [
            server_class(
                app,
                socket_map,
                _sock=sock,
                dispatcher=dispatcher,
                adj=adj,
                bind_socket=False,
                sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
            )
            for sock in sockets
        ]
    else:
        servers = [
            server_class(app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=info)
            for info in adj.listen
        ]
    if len(servers) == 1:
        return servers[0]
    listen = [(s.effective_host, s.effective_port) for s in servers]
    return MultiSocketServer(socket_map, adj=adj, effective_listen=listen, dispatcher=dispatcher)

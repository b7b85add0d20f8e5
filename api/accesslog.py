"""The access log: one JSON line per request, with a request id, and never a secret.

Each line holds ``time``, ``request_id``, ``remote``, ``method``, ``path`` (no query string:
it may carry tokens), ``status``, ``duration_ms`` and ``bytes``. Headers are never logged, so
neither is an API key or an ``Authorization`` header. A request may bring its own
``X-Request-Id`` (1-128 characters of letters, digits and ``._:-``); otherwise one is made.
Either way the response echoes it, and the view can read it as
``request.environ["graphmatch.request_id"]``.

Lines go to a bounded buffer that a writer thread drains every 50 ms, so a slow or stuck log
reader (a full pipe) never stalls a request: past the bound, lines are dropped and counted.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from api.jsonio import dumps_line

__all__ = ["REQUEST_ID_HEADER", "AccessLog", "DroppingQueueHandler", "configure", "logger"]

logger = logging.getLogger("graphmatch.access")

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# A made id is this process's random prefix and a counter, 32 hex digits like a uuid4's: unique
# without a urandom call per request (a system call, so under load another wait for the
# interpreter lock; uuid4 was 3% of a loaded server's samples). ``next`` on a count is atomic.
_PREFIX = uuid.uuid4().hex[:16]
_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


def request_id(environ: dict[str, Any]) -> str:
    """Return the request's own id if it is well formed, else a new unique one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    if isinstance(given, str) and _VALID_ID.fullmatch(given):
        return given
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFFFFFF:016x}"


class AccessLog:
    """WSGI middleware that gives each request an id and logs it as one JSON line.

    Parameters
    ----------
    app : WSGI application
        The application to wrap.
    log : logging.Logger, default :data:`logger`
        Where the lines go (at INFO).

    Examples
    --------
    >>> def hello(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [b"hi"]
    >>> seen = {}
    >>> wrapped = AccessLog(hello)
    >>> body = wrapped({"REQUEST_METHOD": "GET", "PATH_INFO": "/",
    ...                 "HTTP_X_REQUEST_ID": "abc-1"}, lambda s, h, e=None: seen.update(h=h))
    >>> b"".join(body), dict(seen["h"])["X-Request-Id"]
    (b'hi', 'abc-1')
    """

    def __init__(self, app: WSGIApp, log: logging.Logger = logger) -> None:
        self.app = app
        self.log = log

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        rid = request_id(environ)
        environ["graphmatch.request_id"] = rid
        seen: dict[str, Any] = {"status": 0}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, rid))
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        return self._finish(body, environ, seen, started)

    def _finish(
        self, body: Iterable[bytes], environ: dict[str, Any], seen: dict[str, Any], started: float
    ) -> Iterator[bytes]:
        """Pass the body on; log the line once it is sent (or the client went away)."""
        sent = 0
        try:
            for chunk in body:
                sent += len(chunk)
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            sink = _sink
            if sink is not None and self.log is logger and logger.handlers == [sink]:
                # Only the server's own writer listens: hand it the line, not a LogRecord
                # (making a record was about a tenth of the access log's cost).
                sink.put_line(_line(environ, seen, started, sent))
            elif self.log.isEnabledFor(logging.INFO):
                self.log.info("%s", _line(environ, seen, started, sent))


def _line(environ: dict[str, Any], seen: dict[str, Any], started: float, sent: int) -> str:
    """Return the access log line of a request that is done."""
    return dumps_line(
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": environ["graphmatch.request_id"],
            "remote": environ.get("REMOTE_ADDR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            # PATH_INFO only: the query string may hold a token.
            "path": _printable(environ.get("PATH_INFO", "")),
            "status": seen["status"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "bytes": sent,
        }
    )


def _printable(path: str) -> str:
    # WSGI gives the path as latin-1-decoded bytes; cap it so one request cannot flood the log.
    return path[:512]


class DroppingQueueHandler(logging.Handler):
    """A handler that keeps lines in a bounded buffer for a writer thread; drops and counts past it.

    Nothing wakes the writer per line: it drains the buffer every :attr:`interval_s` and
    writes what it found in one call. Waking it for each line (a queue's condition) cost a
    thread switch per request, each a wait for the interpreter lock under load.

    Parameters
    ----------
    maxlen : int, default 10_000
        Lines held at most; past that, lines are dropped and counted in :attr:`dropped`.
    """

    interval_s = 0.05

    def __init__(self, maxlen: int = 10_000) -> None:
        super().__init__()
        self.maxlen = maxlen
        self.lines: collections.deque[str] = collections.deque()
        self.dropped = 0

    def put_line(self, line: str) -> None:
        """Keep a line for the writer if there is room; never wait."""
        if len(self.lines) >= self.maxlen:
            self.dropped += 1
        else:
            self.lines.append(line)  # deque.append is atomic: no lock

    def emit(self, record: logging.LogRecord) -> None:
        """Keep a record's formatted message (lines logged through ``logging``)."""
        self.put_line(self.format(record))

    def drain(self) -> list[str]:
        """Take every line kept so far, oldest first."""
        lines = self.lines
        taken = []
        with contextlib.suppress(IndexError):
            for _ in range(len(lines)):
                taken.append(lines.popleft())
        return taken


#: The handler :func:`configure` installed, which :class:`AccessLog` feeds directly.
_sink: DroppingQueueHandler | None = None


def configure(target: str, stream: IO[str]) -> Callable[[], int]:
    """Send the access log to ``"-"`` (the given stream), a file path, or nowhere (``"off"``).

    Parameters
    ----------
    target : str
        ``ACCESS_LOG``: ``"-"``, ``"off"`` or a file path (appended to).
    stream : text stream
        Where ``"-"`` writes (the server's stderr).

    Returns
    -------
    callable
        Stops the writer thread after what is kept was written (waiting at most two seconds
        for a stuck reader); returns how many lines were dropped.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> stop = configure("-", out)
    >>> logger.info("%s", '{"status": 200}')
    >>> stop(), out.getvalue()
    (0, '{"status": 200}\\n')
    """
    global _sink
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
    _sink = None
    if target.strip().lower() in {"off", "none", "0", ""}:
        logger.setLevel(logging.WARNING)  # INFO lines are not even formatted
        return lambda: 0
    out: IO[str] = stream if target == "-" else open(target, "a", encoding="utf-8")  # noqa: SIM115
    handler = DroppingQueueHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    done = threading.Event()

    def write() -> None:
        while True:
            stopping = done.wait(handler.interval_s)
            lines = handler.drain()
            if lines:
                try:
                    out.write("\n".join(lines) + "\n")
                    out.flush()
                except (OSError, ValueError):
                    pass  # the reader went away: the log is lost, the server goes on
            if stopping:
                return

    writer = threading.Thread(target=write, name="graphmatch-access-log", daemon=True)
    writer.start()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    _sink = handler

    def stop() -> int:
        global _sink
        logger.removeHandler(handler)
        if _sink is handler:
            _sink = None
        done.set()
        writer.join(timeout=2)
        if out is not stream:
            out.close()
        return handler.dropped + len(handler.lines)

    return stop

"""Refuse early and cheaply under load: rate limits (429) and overload shedding (503).

Four token-bucket limits, all in memory in this process, checked before routing's own work:

* per client address (``RATE_PER_ADDRESS`` requests/s; loopback is exempt unless
  ``RATE_LIMIT_LOOPBACK``, since behind a local proxy every client shares one address);
* per valid API key (``RATE_PER_KEY``), keyed by the key's digest, never the key;
* per person acting through valid viewer tokens (``RATE_PER_VIEWER``), keyed by the token's
  ``sub``: minting more tokens for one person does not buy more requests;
* wrong keys per address (``AUTH_FAILURES_PER_MIN``): each 401 spends a token, and an address
  with none left gets 429 for every request until the bucket refills, so a key cannot be guessed
  by trying thousands.

Each answers 429 ``rate_limited`` with ``Retry-After``. The server (:mod:`api.overload`) marks
a request that waited too long for a worker thread, or arrived past the connection cap, with
:func:`mark_shed`; :func:`install_limits` then answers it 503 at once instead of doing its work.
``/healthz`` is exempt from all of this: it costs less than a refusal.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from api.auth import KeyRing, presented_key
from api.errors import ApiError
from api.hooks import lean_hooks

__all__ = ["TokenBuckets", "clear_shed", "install_limits", "mark_shed", "shed_reason"]

#: Paths no limit applies to: probes must keep answering while the server sheds load.
EXEMPT = frozenset({"/healthz"})
#: Set in the WSGI environ once a request has taken its tokens: a request tried on the lean
#: path (:mod:`api.lean`) and then answered by Flask is counted once.
TAKEN = "graphmatch.limits_taken"

_shed = threading.local()


def mark_shed(reason: str | None) -> None:
    """Mark the request this thread is about to serve as shed (or not, with None)."""
    _shed.reason = reason


def clear_shed() -> None:
    """Forget this thread's shed mark."""
    _shed.reason = None


def shed_reason() -> str | None:
    """Return why the server wants this thread's request refused, or None."""
    reason: str | None = getattr(_shed, "reason", None)
    return reason


class TokenBuckets:
    """Token buckets by key, bounded in number, safe across threads.

    Parameters
    ----------
    rate : float
        Tokens added per second.
    capacity : float
        Most tokens a bucket holds (the burst).
    max_keys : int, default 100_000
        Buckets kept; past this the least recently used is forgotten (it starts full again),
        so a flood of distinct addresses cannot grow memory without bound.
    clock : callable, default time.monotonic

    Examples
    --------
    >>> now = [0.0]
    >>> b = TokenBuckets(rate=1.0, capacity=2.0, clock=lambda: now[0])
    >>> b.take("a"), b.take("a"), b.take("a")
    (0.0, 0.0, 1.0)
    >>> now[0] = 1.0
    >>> b.take("a")
    0.0
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.capacity = max(capacity, 1.0)
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, key: str, now: float) -> float:
        """Return the key's tokens now (full for an unknown key)."""
        found = self._buckets.get(key)
        if found is None:
            return self.capacity
        tokens, then = found
        return min(self.capacity, tokens + (now - then) * self.rate)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend cost tokens; return 0.0 if they were there, else the seconds until they are.

        A refused take spends nothing, so a client that waits as told is served.
        """
        with self._lock:
            now = self._clock()
            tokens = self._level(key, now)
            if tokens >= cost:
                tokens -= cost
                wait = 0.0
            else:
                wait = (cost - tokens) / self.rate if self.rate > 0 else math.inf
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def wait(self, key: str, cost: float = 1.0) -> float:
        """Return the seconds until cost tokens are there, spending nothing."""
        with self._lock:
            tokens = self._level(key, self._clock())
        if tokens >= cost:
            return 0.0
        return (cost - tokens) / self.rate if self.rate > 0 else math.inf


@functools.lru_cache(maxsize=4096)
def _is_loopback(address: str) -> bool:
    """Return whether address is a loopback address (kept: parsing it was 2 µs a request)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _limited(which: str, wait: float) -> ApiError:
    """Build the 429 for a spent bucket, with the whole seconds to wait."""
    retry = max(1, math.ceil(wait))
    return ApiError(
        429,
        "rate_limited",
        "too many requests; retry after the given number of seconds",
        {"limit": which, "retry_after_s": retry},
        {"Retry-After": str(retry)},
    )


def _key_id(key: str) -> str:
    # Buckets are keyed by a digest so no clear key sits in the limiter's memory.
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def install_limits(app: Flask, keys: KeyRing) -> None:
    """Register the shedding gate and the rate limits as the app's first request hooks.

    Parameters
    ----------
    app : flask.Flask
        The app; its config gives the rates (see :mod:`api.settings`).
    keys : KeyRing
        The configured keys, to tell a valid key (its own bucket) from a wrong one.
    """
    config = app.config
    burst = float(config["RATE_BURST_S"])
    per_address = float(config["RATE_PER_ADDRESS"])
    per_key = float(config["RATE_PER_KEY"])
    failures = float(config["AUTH_FAILURES_PER_MIN"])
    limit_loopback = bool(config["RATE_LIMIT_LOOPBACK"])
    retry_s = str(max(1, math.ceil(float(config["MAX_QUEUE_WAIT_S"]) * 2)))
    addresses = TokenBuckets(per_address, per_address * burst) if per_address else None
    key_buckets = TokenBuckets(per_key, per_key * burst) if per_key else None
    per_viewer = float(config["RATE_PER_VIEWER"])
    viewer_buckets = TokenBuckets(per_viewer, per_viewer * burst) if per_viewer else None
    # A minute's worth of wrong keys may come at once; then one per 60/N seconds.
    wrong = TokenBuckets(failures / 60.0, failures) if failures else None
    app.extensions["graphmatch.limits"] = {
        "address": addresses,
        "key": key_buckets,
        "viewer": viewer_buckets,
        "auth_failures": wrong,
    }

    def check(environ: dict[str, Any], path: str) -> None:
        if path in EXEMPT:
            return
        reason = shed_reason()
        if reason is not None:
            # Past the connection cap the server also closes the socket (api.overload).
            raise ApiError(
                503,
                "overloaded",
                "the server is at capacity; retry after the given number of seconds",
                {"reason": reason},
                {"Retry-After": retry_s},
            )
        if environ.get(TAKEN):
            return  # this request already passed (api.lean tried it first): count it once
        take(environ)
        environ[TAKEN] = True

    def take(environ: dict[str, Any]) -> None:
        address = environ.get("REMOTE_ADDR") or ""
        if wrong is not None:
            wait = wrong.wait(address)
            if wait:
                raise _limited("auth_failures", wait)
        if addresses is not None and (limit_loopback or not _is_loopback(address)):
            wait = addresses.take(address)
            if wait:
                raise _limited("address", wait)
        if key_buckets is None and viewer_buckets is None:
            return
        # Not headers.get: a missing header costs an exception there.
        api_key = environ.get("HTTP_X_API_KEY")
        key = presented_key(environ.get("HTTP_AUTHORIZATION"), api_key)
        if not key:
            return
        # As api.auth decides: a JWT-shaped Bearer (no X-API-Key) is a viewer token.
        bearer = not (api_key or "").strip()
        person = keys.subject_of(key) if keys.tokens and bearer else None
        if person is not None:
            if viewer_buckets is not None and (wait := viewer_buckets.take(f"sub:{person}")):
                raise _limited("viewer", wait)
        elif key_buckets is not None and keys.enabled and keys.scope_of(key) is not None:
            wait = key_buckets.take(_key_id(key))
            if wait:
                raise _limited("key", wait)

    def before() -> Any:
        req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup
        check(req.environ, req.path)
        return None

    def count(environ: dict[str, Any], path: str, status: int) -> list[tuple[str, str]]:
        if wrong is not None and status == 401:
            wrong.take(environ.get("REMOTE_ADDR") or "")
        return []

    def after(response: Response) -> Response:
        count(request.environ, request.path, response.status_code)
        return response

    lean_hooks(before, check)
    lean_hooks(after, count)
    app.before_request_funcs.setdefault(None, []).insert(0, before)
    app.after_request(after)

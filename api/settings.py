"""The API's settings: defaults, then ``GRAPHMATCH_*`` environment variables, then code.

=============================  ==============================================  ===============
setting (``app.config``)       environment variable                            default
=============================  ==============================================  ===============
``API_KEYS``                   ``GRAPHMATCH_API_KEYS`` (``key:read,key:write``)  none
(read keys, write keys)        ``GRAPHMATCH_READ_KEYS``, ``GRAPHMATCH_WRITE_KEYS``  none
``OPEN``                       ``GRAPHMATCH_OPEN=1``                            false
``DATA_DIR``                   ``GRAPHMATCH_DATA_DIR``                          none (memory)
``STORE``                      ``GRAPHMATCH_STORE`` (``memory``/``neo4j``)      neo4j if
                                                                               ``NEO4J_URI``
``MODEL_PATH``                 ``GRAPHMATCH_MODEL`` (``graphmatch train``)      none
``MAX_CONTENT_LENGTH``         ``GRAPHMATCH_MAX_BODY_BYTES``                    1 MiB
``BULK_MAX_ITEMS``             ``GRAPHMATCH_BULK_MAX_ITEMS``                    10,000
``RANK_MAX_CANDIDATES``        ``GRAPHMATCH_RANK_MAX_CANDIDATES``               10,000
``ALLOWED_HOSTS``              ``GRAPHMATCH_ALLOWED_HOSTS`` (comma-separated)   loopback names
``PORT``                       (set by ``serve`` to the bound port)             none
``RATE_PER_ADDRESS``           ``GRAPHMATCH_RATE_PER_ADDRESS`` (requests/s)     50
``RATE_PER_KEY``               ``GRAPHMATCH_RATE_PER_KEY`` (requests/s)         200
``RATE_PER_VIEWER``            ``GRAPHMATCH_RATE_PER_VIEWER`` (requests/s)      50
``RATE_BURST_S``               ``GRAPHMATCH_RATE_BURST_S`` (seconds of rate)    2
``RATE_LIMIT_LOOPBACK``        ``GRAPHMATCH_RATE_LIMIT_LOOPBACK=1``             false
``AUTH_FAILURES_PER_MIN``      ``GRAPHMATCH_AUTH_FAILURES_PER_MIN``             30
``MAX_QUEUE_WAIT_S``           ``GRAPHMATCH_MAX_QUEUE_WAIT_S``                  0.5
``MAX_QUEUE``                  ``GRAPHMATCH_MAX_QUEUE`` (requests waiting)      1,024
``MAX_CONNECTIONS``            ``GRAPHMATCH_MAX_CONNECTIONS``                   4,000
``IDLE_TIMEOUT_S``             ``GRAPHMATCH_IDLE_TIMEOUT_S``                    30
``REQUEST_TIMEOUT_S``          ``GRAPHMATCH_REQUEST_TIMEOUT_S``                 10
``ACCESS_LOG``                 ``GRAPHMATCH_ACCESS_LOG`` (``-``, ``off``, path)  ``-`` (stderr)
=============================  ==============================================  ===============

A rate of 0 turns that limit off. See docs/http.md, "Limits under load", for what each one does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from graphmatch import InvalidInput

__all__ = [
    "DEFAULTS",
    "DEFAULT_TTL_S",
    "NUMBERS",
    "TOKEN_SECRET_ENV",
    "load_settings",
    "parse_keys",
]

#: Where viewer tokens' signing secret comes from (read by api.viewer; named here so the
#: ``token`` subcommand's help needs no Flask).
TOKEN_SECRET_ENV = "GRAPHMATCH_TOKEN_SECRET"
#: A viewer token's default lifetime, seconds.
DEFAULT_TTL_S = 3600

DEFAULTS: dict[str, Any] = {
    "API_KEYS": {},
    "OPEN": False,
    "DATA_DIR": None,
    "STORE": None,
    "MODEL_PATH": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "BULK_MAX_ITEMS": 10_000,
    "RANK_MAX_CANDIDATES": 10_000,
    "ALLOWED_HOSTS": (),
    "PORT": None,
    "RATE_PER_ADDRESS": 50.0,
    "RATE_PER_KEY": 200.0,
    "RATE_PER_VIEWER": 50.0,
    "RATE_BURST_S": 2.0,
    "RATE_LIMIT_LOOPBACK": False,
    "AUTH_FAILURES_PER_MIN": 30.0,
    "MAX_QUEUE_WAIT_S": 0.5,
    "MAX_QUEUE": 1024,
    "MAX_CONNECTIONS": 4000,
    "IDLE_TIMEOUT_S": 30,
    "REQUEST_TIMEOUT_S": 10,
    "ACCESS_LOG": "-",
}

#: Numeric settings read from the environment: (setting, variable, type).
NUMBERS: tuple[tuple[str, str, type[int] | type[float]], ...] = (
    ("MAX_CONTENT_LENGTH", "GRAPHMATCH_MAX_BODY_BYTES", int),
    ("BULK_MAX_ITEMS", "GRAPHMATCH_BULK_MAX_ITEMS", int),
    ("RANK_MAX_CANDIDATES", "GRAPHMATCH_RANK_MAX_CANDIDATES", int),
    ("RATE_PER_ADDRESS", "GRAPHMATCH_RATE_PER_ADDRESS", float),
    ("RATE_PER_KEY", "GRAPHMATCH_RATE_PER_KEY", float),
    ("RATE_PER_VIEWER", "GRAPHMATCH_RATE_PER_VIEWER", float),
    ("RATE_BURST_S", "GRAPHMATCH_RATE_BURST_S", float),
    ("AUTH_FAILURES_PER_MIN", "GRAPHMATCH_AUTH_FAILURES_PER_MIN", float),
    ("MAX_QUEUE_WAIT_S", "GRAPHMATCH_MAX_QUEUE_WAIT_S", float),
    ("MAX_QUEUE", "GRAPHMATCH_MAX_QUEUE", int),
    ("MAX_CONNECTIONS", "GRAPHMATCH_MAX_CONNECTIONS", int),
    ("IDLE_TIMEOUT_S", "GRAPHMATCH_IDLE_TIMEOUT_S", int),
    ("REQUEST_TIMEOUT_S", "GRAPHMATCH_REQUEST_TIMEOUT_S", int),
)

SCOPES = ("read", "write")


def parse_keys(spec: str, scope: str | None = None) -> dict[str, str]:
    """Parse a comma-separated key list into ``{key: scope}``.

    Parameters
    ----------
    spec : str
        ``"k1:read,k2:write"``; with ``scope`` given, plain ``"k1,k2"``.
    scope : {"read", "write"}, optional
        Scope for every key in spec.

    Returns
    -------
    dict

    Raises
    ------
    InvalidInput
        For an entry without a known scope (the message never repeats the key).

    Examples
    --------
    >>> parse_keys("abc:read, xyz:write")
    {'abc': 'read', 'xyz': 'write'}
    >>> parse_keys("abc", "write")
    {'abc': 'write'}
    """
    keys: dict[str, str] = {}
    for n, entry in enumerate(e.strip() for e in spec.split(",")):
        if not entry:
            continue
        key, sep, given = entry.rpartition(":") if scope is None else (entry, ":", scope)
        if not sep or not key or given not in SCOPES:
            raise InvalidInput(f"API key entry {n + 1} must look like KEY:read or KEY:write")
        keys[key] = given
    return keys


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(
    config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, environment and explicit config into one settings dict.

    Parameters
    ----------
    config : mapping, optional
        Explicit settings; they win over the environment. ``API_KEYS`` may be a mapping
        ``{key: scope}`` or a spec string.
    env : mapping, optional
        Environment (defaults to ``os.environ``).

    Returns
    -------
    dict
        Settings for ``app.config``.

    Raises
    ------
    InvalidInput
        For malformed key lists or numbers.

    Examples
    --------
    >>> s = load_settings({"API_KEYS": "k:write"}, env={"GRAPHMATCH_BULK_MAX_ITEMS": "50"})
    >>> s["API_KEYS"], s["BULK_MAX_ITEMS"]
    ({'k': 'write'}, 50)
    """
    environ = os.environ if env is None else env
    out = dict(DEFAULTS)
    keys: dict[str, str] = {}
    if environ.get("GRAPHMATCH_API_KEYS"):
        keys.update(parse_keys(environ["GRAPHMATCH_API_KEYS"]))
    if environ.get("GRAPHMATCH_READ_KEYS"):
        keys.update(parse_keys(environ["GRAPHMATCH_READ_KEYS"], "read"))
    if environ.get("GRAPHMATCH_WRITE_KEYS"):
        keys.update(parse_keys(environ["GRAPHMATCH_WRITE_KEYS"], "write"))
    out["API_KEYS"] = keys
    if environ.get("GRAPHMATCH_OPEN"):
        out["OPEN"] = _flag(environ["GRAPHMATCH_OPEN"])
    if environ.get("GRAPHMATCH_DATA_DIR"):
        out["DATA_DIR"] = environ["GRAPHMATCH_DATA_DIR"]
    if environ.get("GRAPHMATCH_STORE"):
        out["STORE"] = environ["GRAPHMATCH_STORE"]
    if environ.get("GRAPHMATCH_MODEL"):
        out["MODEL_PATH"] = environ["GRAPHMATCH_MODEL"]
    if environ.get("GRAPHMATCH_ALLOWED_HOSTS"):
        names = environ["GRAPHMATCH_ALLOWED_HOSTS"].split(",")
        out["ALLOWED_HOSTS"] = tuple(n.strip().lower() for n in names if n.strip())
    if environ.get("GRAPHMATCH_RATE_LIMIT_LOOPBACK"):
        out["RATE_LIMIT_LOOPBACK"] = _flag(environ["GRAPHMATCH_RATE_LIMIT_LOOPBACK"])
    if environ.get("GRAPHMATCH_ACCESS_LOG"):
        out["ACCESS_LOG"] = environ["GRAPHMATCH_ACCESS_LOG"]
    for name, var, kind in NUMBERS:
        if environ.get(var):
            try:
                number = kind(environ[var])
            except ValueError:
                raise InvalidInput(f"{var} must be a number ({kind.__name__})") from None
            if number < 0:
                raise InvalidInput(f"{var} must not be negative")
            out[name] = number
    for name, value in (config or {}).items():
        if name == "API_KEYS" and isinstance(value, str):
            value = parse_keys(value)
        out[name] = value
    return out

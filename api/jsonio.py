"""JSON answers: orjson (in the ``api`` extra) when it is installed, the standard library if not.

Every JSON body the app sends goes through :class:`ApiJSONProvider` (Flask's ``app.json``),
and the access log's lines through :func:`dumps_line`, so one place decides the encoder.
orjson writes the same JSON as Flask's default (compact separators, keys in the order given,
dates in the HTTP format through Flask's own ``default``) except that text is UTF-8 rather
than ``\\u`` escapes and floats are written in orjson's shortest form (``1e-7`` where Python
writes ``1e-07``): the same values once parsed. What orjson refuses (an int past 64 bits, a
lone surrogate, a dict key that is not a string) falls back to the standard library, so
every answer that encoded before still encodes, and the same way.

Why: on a 100k-person graph, encoding a ten-suggestion answer with :func:`json.dumps` took a
fifth of the in-process cost of the view (about 20 µs of 90 µs), orjson a tenth of that.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, cast

from flask import Response
from flask.json.provider import DefaultJSONProvider

# The api extra installs it; an install without it still answers, more slowly (the tests run
# both ways by setting this to None). Imported by name so the checks pass with or without it.
orjson: Any
try:
    orjson = importlib.import_module("orjson")
except ImportError:  # pragma: no cover - an install without the api extra's orjson
    orjson = None

__all__ = ["ApiJSONProvider", "dumps_bytes", "dumps_line", "fast"]

#: Options for every orjson call: dates and dataclasses go to Flask's ``default`` (their
#: format stays the standard one), subclasses of str/int/dict are refused so they take the
#: standard path like before.
_OPTIONS = 0
if orjson is not None:
    _OPTIONS = (
        orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )


def fast() -> bool:
    """Return whether orjson is installed (and so encodes the answers)."""
    return orjson is not None


def dumps_bytes(value: Any, default: Any = None, *, newline: bool = False) -> bytes:
    """Encode value as compact JSON bytes, as Flask's default provider would.

    Parameters
    ----------
    value : object
        What to encode.
    default : callable, optional
        Called for objects the encoder does not know (Flask's provider passes its own).
    newline : bool, default False
        End with ``"\\n"`` (Flask's JSON responses do).

    Returns
    -------
    bytes
        UTF-8 JSON.

    Raises
    ------
    TypeError
        For a value neither encoder can write.

    Examples
    --------
    >>> dumps_bytes({"id": "a", "score": 0.5, "mutual": ["b"]})
    b'{"id":"a","score":0.5,"mutual":["b"]}'
    >>> dumps_bytes({"big": 2**70}, newline=True)
    b'{"big":1180591620717411303424}\\n'
    """
    if orjson is not None:
        try:
            out: bytes = orjson.dumps(
                value,
                default=default,
                option=_OPTIONS | orjson.OPT_APPEND_NEWLINE if newline else _OPTIONS,
            )
            return out
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass  # what orjson refuses, the standard library may still write
    text = json.dumps(value, default=default, separators=(",", ":"))
    return (text + "\n").encode() if newline else text.encode()


def dumps_line(value: dict[str, Any]) -> str:
    """Return plain data as one line of ASCII JSON (no newline): an access log line.

    Non-ASCII text is escaped (``\\u00e9``), as ``json.dumps(ensure_ascii=True)`` does, so a
    path cannot put terminal controls or other odd characters into the log.

    Examples
    --------
    >>> print(dumps_line({"path": "/v1/people/\\u00e9", "status": 200}))
    {"path":"/v1/people/\\u00e9","status":200}
    """
    if orjson is not None:
        try:
            out: bytes = orjson.dumps(value, option=_OPTIONS)
        except TypeError:
            pass
        else:
            if out.isascii():
                return out.decode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with its answers encoded by :func:`dumps_bytes`.

    ``app.json.dumps`` and the responses (``return {...}`` from a view, ``jsonify``) both use
    it; in debug mode or with ``compact = False`` the responses are indented by the standard
    library, as Flask does.

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask("demo")
    >>> app.json = ApiJSONProvider(app)
    >>> with app.app_context():
    ...     app.json.response({"ok": True}).get_data()
    b'{"ok":true}\\n'
    """

    sort_keys = False  # keep the documented field order

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize obj to a JSON string (keyword arguments: the standard library's)."""
        if kwargs:
            return super().dumps(obj, **kwargs)
        return dumps_bytes(obj, self.default).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Return obj (as Flask's ``jsonify`` takes it) as an ``application/json`` response."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return cast(Response, super().response(*args, **kwargs))
        obj = self._prepare_response_obj(args, kwargs)
        body = dumps_bytes(obj, self.default, newline=True)
        return cast(Response, self._app.response_class(body, mimetype=self.mimetype))  # type: ignore[arg-type]

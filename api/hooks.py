"""Request hooks with a WSGI-level twin, so the lean path (:mod:`api.lean`) runs the same checks.

Each of the app's ``before_request`` and ``after_request`` functions is a thin Flask adapter
around one check that reads only the WSGI environ; :func:`lean_hooks` records that check on the
adapter. :class:`api.lean.LeanReads` answers a request without Flask only when *every* hook the
app has carries a twin, and then calls the twins in Flask's order: a hook added without one
turns the lean path off rather than being skipped.

* A before twin is ``check(environ, path) -> None``: it raises what the hook raises (the lean
  path then lets Flask answer the request), or :class:`NotLean` for a request it cannot judge
  without werkzeug's request (Flask answers that one too).
* An after twin is ``headers(environ, path, status) -> list of (name, value)``: the headers the
  hook would add to an answer that has none of them yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["AFTER", "BEFORE", "NotLean", "lean_hooks", "twin"]

#: The attribute a hook's twin is kept under.
BEFORE = "graphmatch_lean_before"
AFTER = "graphmatch_lean_after"

_F = TypeVar("_F", bound=Callable[..., Any])


class NotLean(Exception):  # a signal, not an error
    """Raised by a twin for a request only the Flask path can judge: Flask answers it."""


def lean_hooks(hook: _F, check: Callable[..., Any]) -> _F:
    """Record check as hook's WSGI-level twin (before or after, by hook's arity); return hook.

    Examples
    --------
    >>> def before() -> None: ...
    >>> def check(environ, path) -> None: ...
    >>> twin(lean_hooks(before, check), before=True) is check
    True
    """
    after = hook.__code__.co_argcount == 1  # after_request hooks take the response
    setattr(hook, AFTER if after else BEFORE, check)
    return hook


def twin(hook: Callable[..., Any], *, before: bool) -> Callable[..., Any] | None:
    """Return hook's twin (None: it has none, so the lean path must stay off)."""
    found: Callable[..., Any] | None = getattr(hook, BEFORE if before else AFTER, None)
    return found

"""Viewer tokens: a signed token that acts for one person, and what it may do.

An app key acts for the app (its scopes are in :mod:`api.auth`). A *viewer token* acts for one
person: a JWT signed with HS256 under the server's secret (``GRAPHMATCH_TOKEN_SECRET``, at
least 32 bytes, never logged), with ``sub`` (the person id) and ``exp`` (expiry, Unix seconds),
presented as ``Authorization: Bearer <token>``. It may

- read that person's suggestions (and ``rank``), nearby, presence, event introductions, and
  mutual lists with people they may see (not blocked either way; others answer 404);
- write that person's own friendships, blocks, consent, presence and dismissals (and list
  their dismissals);

and nothing else (403 ``forbidden``). An expired or badly signed token is 401. Without a
configured secret no token is accepted (a token is then just an unknown key).

Mint one with :func:`mint_token`, or from a shell::

    GRAPHMATCH_TOKEN_SECRET=... graphmatch token PERSON [--ttl SECONDS]

(``python -m api.viewer PERSON`` does the same without the ``graphmatch`` command.)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from flask import g, has_request_context, request

from api.errors import ApiError
from api.settings import DEFAULT_TTL_S, TOKEN_SECRET_ENV
from graphmatch import InvalidInput

__all__ = [
    "ALGORITHM",
    "DEFAULT_TTL_S",
    "MIN_SECRET_BYTES",
    "TOKEN_SECRET_ENV",
    "authorize",
    "current_viewer",
    "looks_like_token",
    "mint_token",
    "read_token",
    "token_secret",
]

ALGORITHM = "HS256"
#: HS256 wants a key at least as long as its hash (RFC 7518, 3.2).
MIN_SECRET_BYTES = 32

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="graphmatch", error="invalid_token"'}

#: Endpoints a viewer token may call, when their ``person_id`` is the token's person.
VIEWER_READS = frozenset(
    {
        "discovery.suggestions",
        "discovery.rank",
        "discovery.mutual",
        "presence.nearby",
        "presence.get_presence",
        "presence.introductions",
        "dismissals.list_dismissals",
    }
)
VIEWER_WRITES = frozenset(
    {
        "friends.add_friend",
        "friends.remove_friend",
        "privacy.block",
        "privacy.unblock",
        "privacy.set_consent",
        "presence.check_in",
        "presence.check_out",
        "dismissals.dismiss",
        "dismissals.undismiss",
    }
)


def token_secret(env: Mapping[str, str] | None = None) -> str | None:
    """Return the configured token secret, or None when tokens are off.

    Parameters
    ----------
    env : mapping, optional
        Environment (defaults to ``os.environ``).

    Returns
    -------
    str or None

    Raises
    ------
    InvalidInput
        If the secret is shorter than :data:`MIN_SECRET_BYTES` (the message never shows it).

    Examples
    --------
    >>> token_secret({}) is None
    True
    """
    secret = (os.environ if env is None else env).get(TOKEN_SECRET_ENV) or None
    if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
        raise InvalidInput(f"{TOKEN_SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def mint_token(
    person_id: str,
    *,
    secret: str | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    now: float | None = None,
) -> str:
    """Return a viewer token that acts for person_id until ``now + ttl_s``.

    Parameters
    ----------
    person_id : str
        Whom the token acts for (it is not checked against a store here).
    secret : str, optional
        The signing secret; defaults to ``GRAPHMATCH_TOKEN_SECRET``.
    ttl_s : int, default 3600
        Seconds the token is valid.
    now : float, optional
        Issue time (Unix seconds); defaults to the clock.

    Returns
    -------
    str
        The compact JWT.

    Raises
    ------
    ValueError
        Without a secret of at least 32 bytes, or for an empty id or a non-positive ttl.

    Examples
    --------
    >>> read_token(mint_token("ann", secret="s" * 32, ttl_s=60), "s" * 32)
    'ann'
    """
    key = secret if secret is not None else token_secret()
    if key is None or len(key.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"a token secret of at least {MIN_SECRET_BYTES} bytes is required")
    if not isinstance(person_id, str) or not person_id:
        raise ValueError("a token needs a person id")
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or ttl_s <= 0:
        raise ValueError("ttl_s must be a positive integer")
    import jwt  # PyJWT, loaded with the first token: app keys alone never need it

    issued = int(time.time() if now is None else now)
    claims = {"sub": person_id, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def looks_like_token(presented: str) -> bool:
    """Return whether a presented credential is shaped like a JWT (not an API key)."""
    # A JWT's header is base64url JSON, so it starts with "eyJ" ('{"'); API keys are opaque.
    return presented.startswith("eyJ") and presented.count(".") == 2


def read_token(token: str, secret: str) -> str:
    """Return the person a valid viewer token acts for.

    Parameters
    ----------
    token : str
        The compact JWT.
    secret : str
        The signing secret.

    Returns
    -------
    str
        The ``sub`` claim.

    Raises
    ------
    ApiError
        401 ``unauthorized`` for a bad signature, another algorithm, a missing claim or an
        expired token (the message is generic: it never echoes the token).
    """
    import jwt

    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(
            401, "unauthorized", "the viewer token has expired", {}, _CHALLENGE
        ) from None
    except jwt.InvalidTokenError:
        raise ApiError(
            401, "unauthorized", "the viewer token is not valid", {}, _CHALLENGE
        ) from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise ApiError(401, "unauthorized", "the viewer token is not valid", {}, _CHALLENGE)
    return sub


def authorize(person: str, needed: str) -> None:
    """Raise ApiError 403 unless the current request is one the person's token may make.

    Records the person as the request's viewer (:func:`current_viewer`) when it may.

    Parameters
    ----------
    person : str
        Whom the token acts for.
    needed : {"read", "write"}
        The scope the operation needs.

    Raises
    ------
    ApiError
        403 ``forbidden`` for an endpoint outside the token's reach or about someone else.
    """
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    allowed = VIEWER_WRITES if needed == "write" else VIEWER_READS
    if endpoint not in allowed or args.get("person_id") != person:
        raise ApiError(
            403,
            "forbidden",
            "a viewer token may only read and write its own person's data",
            {"needed": "app key" if endpoint not in allowed else "token for this person"},
        )
    g.graphmatch_viewer = person


def current_viewer() -> str | None:
    """Return the person the current request's viewer token acts for, or None (an app key)."""
    if not has_request_context():
        return None
    viewer: str | None = g.get("graphmatch_viewer")
    return viewer


def _main(argv: list[str]) -> int:
    """Print a viewer token for the person named on the command line."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m api.viewer",
        description=f"Mint a viewer token (HS256 JWT) signed with ${TOKEN_SECRET_ENV}.",
    )
    parser.add_argument("person", help="the person id the token acts for")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_S, help="seconds it is valid")
    args = parser.parse_args(argv)
    try:
        print(mint_token(args.person, ttl_s=args.ttl))
    except (ValueError, InvalidInput) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

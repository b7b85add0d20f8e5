"""API keys: read and write scopes, constant-time comparison, keys never kept in clear.

A request presents its key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
A write key may also read. With no keys configured every request is allowed (the serve
command then binds to loopback only unless told the server is open).

A Bearer credential shaped like a JWT, when ``GRAPHMATCH_TOKEN_SECRET`` is set, is a viewer
token instead: it acts for one person, with the narrower rights of :mod:`api.viewer`, whether
or not app keys are configured.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from api import viewer
from api.errors import ApiError

__all__ = ["KeyRing", "presented_key"]


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="graphmatch"'}


def presented_key(authorization: str | None, api_key: str | None) -> str | None:
    """Return the key a request presents (``X-API-Key`` wins over a Bearer token), or None.

    An empty (or blank) ``X-API-Key`` presents nothing, so it cannot hide a valid Bearer.

    Examples
    --------
    >>> presented_key("Bearer tok", None), presented_key("Bearer tok", ""), presented_key(None, "k")
    ('tok', 'tok', 'k')
    """
    api_key = api_key.strip() if api_key is not None else None
    auth = authorization or ""
    if not api_key and auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return api_key or None


def _digest(key: str) -> bytes:
    # Comparing fixed-length digests keeps the comparison time independent of the key's
    # length and content; the clear key is not kept in memory beyond start-up.
    return hashlib.sha256(key.encode()).digest()


class KeyRing:
    """The configured API keys, as digests with their scopes.

    Parameters
    ----------
    keys : mapping of str to {"read", "write"}
        Clear keys and their scopes.
    token_secret : str, optional
        The viewer-token secret; defaults to ``GRAPHMATCH_TOKEN_SECRET`` (none: no tokens).

    Raises
    ------
    InvalidInput
        If the token secret is shorter than 32 bytes.

    Examples
    --------
    >>> ring = KeyRing({"r-key": "read", "w-key": "write"})
    >>> ring.scope_of("w-key"), ring.scope_of("nope")
    ('write', None)
    >>> repr(ring)
    'KeyRing(2 keys)'
    """

    def __init__(self, keys: Mapping[str, str], token_secret: str | None = None) -> None:
        self._entries = [(_digest(k), scope) for k, scope in keys.items()]
        # Kept only here, never in app.config (which may be logged or dumped).
        self._secret = token_secret if token_secret is not None else viewer.token_secret()
        if self._secret is not None:
            viewer.token_secret({viewer.TOKEN_SECRET_ENV: self._secret})  # length check

    def __repr__(self) -> str:
        return f"KeyRing({len(self._entries)} keys)"

    @property
    def tokens(self) -> bool:
        """Whether viewer tokens are accepted (a token secret is configured)."""
        return self._secret is not None

    @property
    def enabled(self) -> bool:
        """Whether any key is configured (if not, access is open)."""
        return bool(self._entries)

    def subject_of(self, presented: str) -> str | None:
        """Return the person a valid viewer token acts for, or None (not a valid token).

        For the rate limits (:mod:`api.limits`), which count a token's requests by its person
        before the request is authorised; an invalid token is left to :meth:`check` (401).
        """
        if self._secret is None or not viewer.looks_like_token(presented):
            return None
        try:
            return viewer.read_token(presented, self._secret)
        except ApiError:
            return None

    def scope_of(self, presented: str) -> str | None:
        """Return the scope of a presented key, or None if it matches none.

        Every configured key is compared, so the time taken does not reveal which one
        (or whether any) matched.
        """
        probe = _digest(presented)
        found: str | None = None
        for digest, scope in self._entries:
            if hmac.compare_digest(probe, digest):
                found = scope
        return found

    def check(self, authorization: str | None, api_key: str | None, needed: str) -> None:
        """Raise ApiError 401/403 unless the request's key grants the needed scope.

        Parameters
        ----------
        authorization : str or None
            The ``Authorization`` header (``Bearer <key>``).
        api_key : str or None
            The ``X-API-Key`` header (wins over Authorization).
        needed : {"read", "write"}
            The scope the operation needs.

        Raises
        ------
        ApiError
            401 when no key or an unknown key is presented, 403 when a read key tries to write;
            for a viewer token, 401 when it is invalid or expired and 403 outside its person's
            reach (:func:`api.viewer.authorize`).
        """
        presented = presented_key(authorization, api_key)
        if (
            self._secret is not None
            and not (api_key or "").strip()
            and presented
            and viewer.looks_like_token(presented)
        ):
            viewer.authorize(viewer.read_token(presented, self._secret), needed)
            return
        if not self._entries:
            return
        if not presented:
            raise ApiError(401, "unauthorized", "an API key is required", {}, _CHALLENGE)
        scope = self.scope_of(presented)
        if scope is None:
            raise ApiError(401, "unauthorized", "the API key is not valid", {}, _CHALLENGE)
        if needed == "write" and scope != "write":
            raise ApiError(403, "forbidden", "this API key may only read", {"needed": "write"})

"""The Neo4j store: Neo4j 5.x over Bolt with the official ``neo4j`` driver (6.x).

Graph model
-----------
- ``(:Person {id, discoverable?, show_as_mutual?, <profile attrs>})`` with a unique
  constraint on ``:Person(id)`` (which also gives the index every lookup seeks on).
- One ``:FRIEND`` relationship per friendship, written from the smaller id to the larger id
  (string order) and always matched without direction, so a friendship is never stored twice.
- ``(:Person)-[:BLOCKED]->(:Person)`` for "blocker blocks blocked".
- ``(:Person)-[:DISMISSED]->(:Person)`` for "person is not interested in candidate" (a
  turned-down suggestion; it only keeps the candidate out of the person's suggestions).
- Consent flags are Person properties; an absent flag means ``true`` (the default), so only
  opt-outs cost storage.

Every Cypher text is a constant with ``$parameters``; nothing is built from strings.
Reads go through ``execute_read`` (routed to readers on a cluster), writes through
``execute_write``; both retry transient failures, which is safe because every write unit here
is idempotent (``MERGE``, ``SET``, ``DELETE`` of what matched). Driver and server failures
become :class:`~graphmatch.StoreUnavailable` with a one-line reason.

Outages are bounded: a server that cannot be reached fails a call within about
``connect_timeout + retry_time`` (1 s + 1 s by default; the HTTP API answers 503), while a
transient server error (a deadlock) is retried for up to ``timeout``. The driver re-connects
by itself once the server answers again, so no restart is needed.

Causal reads across processes: inside :meth:`Neo4jStore.causal`, every session first waits
until the server it reads from has applied the given bookmarks, and the scope keeps the
bookmark each write leaves, for the caller to hand on (the HTTP API's ``Graphmatch-Bookmark``
header). Within one process the driver's shared bookmark manager already chains sessions.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import neo4j
from graphmatch import rule
from graphmatch._validation import FLAGS, check_attrs, check_id
from graphmatch.errors import (
    GraphMatchError,
    InvalidInput,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)
from graphmatch.stores.protocol import PairStats
from neo4j import exceptions as nex

__all__ = ["CausalScope", "Neo4jStore"]

T = TypeVar("T")

#: Longest id accepted, in UTF-8 bytes (Neo4j's range index limit is about 8 KB).
MAX_ID_BYTES = 4096
_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_PRIMITIVES = (str, int, float, bool)

#: Most bookmarks one scope waits for, and the longest one accepted (a Neo4j 5 bookmark is
#: under 100 characters): a client's header cannot make the driver send megabytes.
MAX_BOOKMARKS = 16
MAX_BOOKMARK_CHARS = 1024
#: A Neo4j 5 bookmark: a two-letter prefix and base64, e.g. ``FB:kcwQ5REB2iMYSd+VeX56Sz4Gws=``.
_BOOKMARK = re.compile(r"[A-Z]{2}:[A-Za-z0-9+/_=-]{2,}")


class CausalScope:
    """Bookmarks the sessions of one scope wait for, and the bookmark its last write left.

    Made by :meth:`Neo4jStore.causal`; ``bookmarks`` is empty until a write commits in it.
    """

    __slots__ = ("after", "bookmarks")

    def __init__(self, after: tuple[str, ...]) -> None:
        self.after = after
        self.bookmarks: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"CausalScope(after={len(self.after)} bookmarks, wrote={bool(self.bookmarks)})"


_CAUSAL: ContextVar[CausalScope | None] = ContextVar("graphmatch_neo4j_causal", default=None)


def _check_bookmarks(bookmarks: Iterable[str]) -> tuple[str, ...]:
    """Return bookmarks as a tuple, or raise InvalidInput for too many or malformed ones."""
    found = tuple(bookmarks)
    if len(found) > MAX_BOOKMARKS:
        raise InvalidInput(f"at most {MAX_BOOKMARKS} bookmarks, not {len(found)}")
    for b in found:
        if not isinstance(b, str) or len(b) > MAX_BOOKMARK_CHARS or not _BOOKMARK.fullmatch(b):
            # The server takes what follows the prefix as base64 and fails on anything
            # shorter with an internal error (a 503 to the client): refuse it here.
            raise InvalidInput(
                "a bookmark looks like FB:<base64>, at most 1024 characters, as a write's "
                "Graphmatch-Bookmark gave it"
            )
    return found


# -- Cypher ------------------------------------------------------------------------------------
# Degrees are COUNT { } subqueries over a single relationship type: the planner turns them into
# a degree lookup (GetDegree / relationship-group counts), never an expansion.

_SCHEMA = "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (p:Person) REQUIRE p.id IS UNIQUE"

_MISSING = """
UNWIND $ids AS id
OPTIONAL MATCH (p:Person {id: id})
WITH id, p WHERE p IS NULL
RETURN collect(id) AS missing
"""

_ADD_PERSON = "MERGE (p:Person {id: $id}) SET p += $props"

_ADD_PEOPLE = "UNWIND $rows AS row MERGE (p:Person {id: row.id}) SET p += row.props"

_MERGE_IDS = "UNWIND $ids AS id MERGE (:Person {id: id})"

_REMOVE_PERSON = """
MATCH (p:Person {id: $id})
WITH p, p.id AS pid
DETACH DELETE p
RETURN count(pid) AS n
"""

_ADD_FRIENDSHIP = """
MATCH (lo:Person {id: $lo})
MATCH (hi:Person {id: $hi})
MERGE (lo)-[:FRIEND]->(hi)
"""

# Pairs arrive canonical (smaller id first), de-duplicated and grouped by their smaller id as
# [lo, [hi, ...]]: one index seek per lo instead of one per pair (measured ~1.4x faster on
# ego-Facebook). A directed MERGE then finds the one stored relationship; new ones are counted
# from the query statistics rather than with an EXISTS probe, which would force an Eager
# barrier between the read and the MERGE.
_MERGE_GROUPS = """
UNWIND $groups AS g
MATCH (lo:Person {id: g[0]})
UNWIND g[1] AS hid
MATCH (hi:Person {id: hid})
MERGE (lo)-[:FRIEND]->(hi)
"""

# bulk_load into a store with no friendships yet: the pairs are already unique, so CREATE
# skips MERGE's existence check and locking (measured ~1.5x faster than _MERGE_GROUPS).
_CREATE_GROUPS = """
UNWIND $groups AS g
MATCH (lo:Person {id: g[0]})
UNWIND g[1] AS hid
MATCH (hi:Person {id: hid})
CREATE (lo)-[:FRIEND]->(hi)
"""

_FRIENDSHIP_COUNT = "MATCH ()-[r:FRIEND]->() RETURN count(r) AS n"

_REMOVE_FRIENDSHIP = """
MATCH (:Person {id: $a})-[r:FRIEND]-(:Person {id: $b})
DELETE r
RETURN count(r) AS n
"""

_BLOCK = """
MATCH (a:Person {id: $a})
MATCH (b:Person {id: $b})
MERGE (a)-[:BLOCKED]->(b)
"""

_UNBLOCK = "MATCH (:Person {id: $a})-[r:BLOCKED]->(:Person {id: $b}) DELETE r"

_DISMISS = """
MATCH (a:Person {id: $a})
MATCH (b:Person {id: $b})
MERGE (a)-[:DISMISSED]->(b)
"""

_UNDISMISS = """
MATCH (:Person {id: $a})-[r:DISMISSED]->(:Person {id: $b})
DELETE r
RETURN count(r) AS n
"""

_DISMISSED = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (p)-[:DISMISSED]->(o)
RETURN p.id AS id, collect(o.id) AS others
"""

_DISMISSALS = """
MATCH (a:Person)-[:DISMISSED]->(b:Person)
RETURN collect([a.id, b.id]) AS pairs
"""

_SET_FLAGS = "MATCH (p:Person {id: $id}) SET p += $flags RETURN count(p) AS n"

_EXISTS = "OPTIONAL MATCH (p:Person {id: $id}) RETURN p IS NOT NULL AS found"

_PERSON = "MATCH (p:Person {id: $id}) RETURN properties(p) AS props"

# Grouping by p.id makes an unknown id give zero rows instead of one row with an empty list.
_FRIENDS = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (p)-[:FRIEND]-(f)
RETURN p.id AS id, collect(f.id) AS friends
"""

_DEGREE = "MATCH (p:Person {id: $id}) RETURN COUNT { (p)-[:FRIEND]-() } AS d"

_DEGREES = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
RETURN collect(id) AS ids, collect(COUNT { (p)-[:FRIEND]-() }) AS degrees
"""

_COUNTS = """
CALL () { MATCH (p:Person) RETURN count(p) AS people }
CALL () { MATCH ()-[r:FRIEND]->() RETURN count(r) AS friendships }
RETURN people, friendships
"""

_BLOCKED_WITH = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (p)-[:BLOCKED]-(o)
RETURN p.id AS id, collect(DISTINCT o.id) AS others
"""

_UNDISCOVERABLE = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
WHERE p.discoverable = false
RETURN collect(DISTINCT id) AS ids
"""

_HIDDEN_AS_MUTUAL = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
WHERE p.show_as_mutual = false
RETURN collect(DISTINCT id) AS ids
"""

# One row per known other; zero rows when $a is unknown. The cap filters mutual friends by
# their degree inside the query, so capped hubs are never shipped to Python.
_MUTUAL = """
MATCH (a:Person {id: $a})
UNWIND $others AS oid
OPTIONAL MATCH (a)-[:FRIEND]-(w)-[:FRIEND]-(:Person {id: oid})
WITH oid, w, CASE WHEN w IS NULL THEN 0 ELSE COUNT { (w)-[:FRIEND]-() } END AS d
WITH oid, collect(CASE WHEN w IS NOT NULL AND ($max_degree IS NULL OR d <= $max_degree)
                       THEN [w.id, d] END) AS pairs
RETURN oid, pairs
"""

# Parallel lists decode much faster in the Python driver than one Record per candidate.
# Relationship uniqueness within the pattern already keeps p out of v; the WHERE says so.
# Only :Person nodes carry :FRIEND, so w and v need no label check (saves a db hit per row),
# and grouping by the node (not v.id) reads each candidate's id once, not once per path.
_TWO_HOP_COUNTS = """
MATCH (p:Person {id: $id})-[:FRIEND]-(w)
WHERE $max_degree IS NULL OR COUNT { (w)-[:FRIEND]-() } <= $max_degree
MATCH (w)-[:FRIEND]-(v)
WHERE v <> p
WITH v, count(*) AS c
RETURN collect(v.id) AS ids, collect(c) AS counts
"""

# Adamic-Adar weighs a mutual friend w by 1/ln d(w), resource allocation by 1/d(w). A friend
# of degree 1 knows only p (and ln 1 = 0), so d >= 2 is required, as in networkx.
# The rule (graphmatch.rule) adds weights in ascending degree order: the friends w are sorted
# by degree before the expansion to v, so each candidate's sum() sees them in that order
# (equal degrees add equal weights, so no id tie-break is needed for equal bits). Java's log
# differs from Python's by one ulp at a few degrees (9,170 is the first); $aa_fix carries
# Python's weight for those (Neo4jStore._aa_fix), so the sums are Python's bits.
_TWO_HOP_WEIGHTS = """
MATCH (p:Person {id: $id})-[:FRIEND]-(w)
WITH p, w, COUNT { (w)-[:FRIEND]-() } AS d
WHERE d >= 2 AND ($max_degree IS NULL OR d <= $max_degree)
WITH p, w, d, coalesce($aa_fix[toString(d)], 1.0 / log(d)) AS aa, 1.0 / d AS ra
ORDER BY d ASC
MATCH (w)-[:FRIEND]-(v)
WHERE v <> p
WITH v, count(*) AS c, sum(aa) AS aa, sum(ra) AS ra
RETURN collect(v.id) AS ids, collect(c) AS counts, collect(aa) AS aas, collect(ra) AS ras
"""

# Suggest in one query: aggregate the two-hop paths per candidate, drop friends, blocks either
# way and opt-outs once per candidate (not per path), rank by the rule of graphmatch.rule
# (score quantised with $quantum_inv desc, count desc, id asc), and name the top candidates'
# mutual friends (fewest friends first, then id) only after the LIMIT, so the explanation never
# touches the long tail; a friend blocked either way with p is counted but never named.
# The people p dismissed are dropped as candidates only (a friend now is still named).
# Weights are summed in the canonical order, as in _TWO_HOP_WEIGHTS.
# Friends and blocked people are collected once and tested with IN: PROFILE showed a
# per-candidate EXISTS { (p)-[:FRIEND]-(v) } (Expand(Into) from a dense node) costing half of
# all db hits (93,621 of 197,180 for ego-Facebook's biggest hub; benchmarks/profile_neo4j.py).
# The explanation walks the friends of whichever of p and v has fewer and checks each against
# the other (Expand(Into)). The planner's NodeHashJoin of both neighbourhoods, inside the
# per-candidate Apply, took 1.3-2.3x fewer db hits on ego-Facebook but reserved 33 MB for its
# hub, over 700 MB for a p of 5,000 friends, and broke the 1 GiB transaction limit at 58,000
# (issue 12's second example); this form stays under 1 MB there.
_TOP_CANDIDATES = """
MATCH (p:Person {id: $id})
CALL (p) {
  MATCH (p)-[:FRIEND]-(f)
  RETURN collect(f) AS friends
}
CALL (p) {
  OPTIONAL MATCH (p)-[:BLOCKED]-(b)
  RETURN collect(b) AS blocked
}
CALL (p) {
  OPTIONAL MATCH (p)-[:DISMISSED]->(x)
  RETURN collect(x) AS dismissed
}
CALL (p) {
  MATCH (p)-[:FRIEND]-(w)
  WITH w, COUNT { (w)-[:FRIEND]-() } AS d
  WHERE d >= 2 AND ($max_degree IS NULL OR d <= $max_degree)
  WITH w, d, coalesce($aa_fix[toString(d)], 1.0 / log(d)) AS wa, 1.0 / d AS wr
  ORDER BY d ASC
  MATCH (w)-[:FRIEND]-(v)
  WHERE v <> p
  RETURN v, count(*) AS c, sum(wa) AS aa, sum(wr) AS ra
}
WITH p, size(friends) AS du, friends, blocked, dismissed, v, c, aa, ra
WHERE coalesce(v.discoverable, true) AND NOT v IN friends AND NOT v IN blocked
  AND NOT v IN dismissed
WITH p, blocked, v, c, CASE $score
    WHEN 'common_neighbors' THEN toFloat(c)
    WHEN 'adamic_adar' THEN aa
    WHEN 'resource_allocation' THEN ra
    WHEN 'cn_ra' THEN c * ra
    ELSE toFloat(c) / (du + COUNT { (v)-[:FRIEND]-() } - c)
  END AS s
WITH p, blocked, v, c, s, floor(s * $quantum_inv + 0.5) AS q
ORDER BY q DESC, c DESC, v.id ASC
LIMIT $limit
CALL (p, v, blocked) {
  CALL (p, v) {
    WITH p, v WHERE COUNT { (p)-[:FRIEND]-() } <= COUNT { (v)-[:FRIEND]-() }
    MATCH (p)-[:FRIEND]-(w) WHERE EXISTS { (w)-[:FRIEND]-(v) }
    RETURN w
    UNION ALL
    WITH p, v WHERE COUNT { (p)-[:FRIEND]-() } > COUNT { (v)-[:FRIEND]-() }
    MATCH (v)-[:FRIEND]-(w) WHERE EXISTS { (w)-[:FRIEND]-(p) }
    RETURN w
  }
  WITH w, COUNT { (w)-[:FRIEND]-() } AS d
  WHERE coalesce(w.show_as_mutual, true) AND NOT w IN blocked
    AND ($max_degree IS NULL OR d <= $max_degree)
  WITH w, d ORDER BY d ASC, w.id ASC LIMIT $explain
  RETURN collect(w.id) AS named
}
RETURN v.id AS id, s AS score, c AS count, named
"""

#: Degrees up to this are checked for Java's log agreeing with Python's (one query, about
#: 0.1-0.25 s, once per store); above it the server's log is used unchecked.
LOG_PROBE_MAX = 2**17
_LOG_PROBE = """
UNWIND range(2, $top) AS d
RETURN collect(1.0 / log(d)) AS weights
"""
_PUSHED_SCORES = frozenset(
    {"common_neighbors", "jaccard", "adamic_adar", "resource_allocation", "cn_ra"}
)

_CLEAR_CHUNK = """
MATCH (n)
WITH n LIMIT $chunk
DETACH DELETE n
RETURN count(*) AS n
"""


class Neo4jStore:
    """A :class:`~graphmatch.GraphStore` on Neo4j 5.x over Bolt.

    The driver connects lazily: constructing a store never touches the network; call
    :meth:`ping` to check reachability. Use it as a context manager (or call :meth:`close`)
    to release the connection pool. It is safe to share between threads (the driver is).

    Parameters
    ----------
    uri : str, optional
        ``bolt://host:port`` (one server) or ``neo4j://host:port`` (routing; a cluster works
        unchanged). Defaults to ``$NEO4J_URI``, then ``bolt://127.0.0.1:7687``.
    auth : (user, password) tuple, optional
        Defaults to ``($NEO4J_USER or "neo4j", $NEO4J_PASSWORD)`` when ``NEO4J_PASSWORD`` is
        set, else no authentication.
    database : str, optional
        Defaults to ``$NEO4J_DATABASE``, else the server's home database.
    batch_size : int, default 10_000
        Rows per write transaction for the bulk paths; each batch commits or rolls back as one.
    timeout : float, default 30.0
        Seconds one transaction may run (enforced by the server), and the budget for
        retrying transient server errors (deadlocks) around it.
    connect_timeout : float, default 1.0
        Seconds to open a TCP connection and authenticate; acquiring a pooled connection
        may take twice that (it can include a connect).
    retry_time : float, default 1.0
        Seconds spent retrying when the server cannot be reached (quick retries with backoff
        from 0.05 s, which also cover a pooled connection gone stale across a restart);
        then :class:`~graphmatch.StoreUnavailable`. Keep it short for a server that must
        answer 503 rather than hang: about ``connect_timeout + retry_time`` at worst.

    Raises
    ------
    InvalidInput
        If the URI is malformed or batch_size / a timeout are not positive.

    Examples
    --------
    >>> with Neo4jStore("bolt://127.0.0.1:7687", auth=("neo4j", "pw")) as store:  # doctest: +SKIP
    ...     store.add_friendships([("a", "b"), ("b", "c")])
    2
    """

    def __init__(
        self,
        uri: str | None = None,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        *,
        batch_size: int = 10_000,
        timeout: float = 30.0,
        connect_timeout: float = 1.0,
        retry_time: float = 1.0,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInput(f"batch_size must be a positive integer, got {batch_size!r}")
        for name, value in (
            ("timeout", timeout),
            ("connect_timeout", connect_timeout),
            ("retry_time", retry_time),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise InvalidInput(f"{name} must be a positive number of seconds, got {value!r}")
        self.uri: str = uri or os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
        if self.uri.split("://", 1)[0] not in _SCHEMES or "://" not in self.uri:
            # The 6.x driver also accepts http(s):// (a preview needing aiohttp); only Bolt is
            # supported here.
            raise InvalidInput(
                f"bad Neo4j URI {self.uri!r}: use bolt://host:port or neo4j://host:port"
            )
        if auth is None and os.environ.get("NEO4J_PASSWORD"):
            auth = (os.environ.get("NEO4J_USER") or "neo4j", os.environ["NEO4J_PASSWORD"])
        self.user: str | None = auth[0] if auth else None
        self.database: str | None = database or os.environ.get("NEO4J_DATABASE") or None
        self.batch_size = batch_size
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.retry_time = float(retry_time)
        try:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri,
                auth=auth,
                connection_timeout=self.connect_timeout,
                # Acquiring may include connecting, so it needs more (the driver's advice).
                connection_acquisition_timeout=2 * self.connect_timeout,
                # No driver retries: its loop waits 1 s, 2 s, 4 s... for any retryable error
                # (61 s of a dead server per request before); _run retries by kind instead.
                max_transaction_retry_time=0.0,
            )
        except (nex.ConfigurationError, ValueError) as exc:
            raise InvalidInput(f"bad Neo4j URI {self.uri!r}: {exc}") from None
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Neo4jStore(uri={self.uri!r}, database={self.database!r})"

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn driver and server failures into GraphMatchError subclasses with a short reason."""
        try:
            yield
        except GraphMatchError:
            raise
        except UnicodeError:
            # A lone surrogate cannot be sent over Bolt (UTF-8): the caller's input.
            raise InvalidInput("a parameter is not valid Unicode text (lone surrogate)") from None
        except nex.AuthError as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} refused the credentials for user {self.user!r}: "
                f"{_reason(exc)}"
            ) from None
        except nex.ClientError as exc:
            code = exc.code or ""
            if code.startswith("Neo.ClientError.Transaction.InvalidBookmark"):
                # A bookmark from a client (Graphmatch-Bookmark) that this database never gave.
                raise InvalidInput(f"Neo4j refused the bookmark: {_reason(exc)}") from None
            if code.startswith(("Neo.ClientError.Statement.", "Neo.ClientError.Schema.")):
                # The server rejected the data (e.g. a value too large to index): the
                # caller's input, not an outage. The transaction was rolled back.
                raise InvalidInput(f"Neo4j rejected the request: {_reason(exc)}") from None
            raise StoreUnavailable(f"Neo4j at {self.uri} failed: {_reason(exc)}") from None
        except (nex.ServiceUnavailable, nex.SessionExpired) as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri} is unreachable: {_reason(exc)}") from None
        except (nex.Neo4jError, nex.DriverError, OSError) as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri} failed: {_reason(exc)}") from None

    def _session(self) -> neo4j.Session:
        # The driver's shared bookmark manager chains sessions causally, so a read after a
        # write sees it even when a cluster routes the read to another member; a causal
        # scope adds the bookmarks another process handed on (the driver takes both).
        scope = _CAUSAL.get()
        if scope is not None and scope.after:
            return self._driver.session(
                database=self.database,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
                bookmarks=neo4j.Bookmarks.from_raw_values(scope.after),
            )
        return self._driver.session(
            database=self.database,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    @contextmanager
    def causal(self, bookmarks: Iterable[str] = ()) -> Iterator[CausalScope]:
        """Read after the given bookmarks, and keep the bookmark of each write, in this scope.

        For stateless replicas over one database: a write's bookmark, handed to another
        process and passed here, makes that process's reads wait until the server they read
        from has the write (read your writes across replicas and cluster members). The scope
        belongs to the current thread (a context variable).

        Parameters
        ----------
        bookmarks : iterable of str, default ()
            Bookmarks from :attr:`CausalScope.bookmarks` of earlier scopes (any process).

        Yields
        ------
        CausalScope
            Its ``bookmarks`` hold the last write's bookmark once one committed in the scope.

        Raises
        ------
        InvalidInput
            For more than :data:`MAX_BOOKMARKS` bookmarks or a malformed one; a well-formed
            bookmark the server does not know is refused when a session uses it.

        Examples
        --------
        >>> store = Neo4jStore.__new__(Neo4jStore)  # no server needed to show the scope
        >>> with store.causal(["FB:kcwQ5REB2iMYSd+VeX56Sz4GwskEQ5A="]) as scope:
        ...     scope.after, scope.bookmarks
        (('FB:kcwQ5REB2iMYSd+VeX56Sz4GwskEQ5A=',), ())
        """
        scope = CausalScope(_check_bookmarks(bookmarks))
        token = _CAUSAL.set(scope)
        try:
            yield scope
        finally:
            _CAUSAL.reset(token)

    def _run(self, work: Callable[[neo4j.ManagedTransaction], T], *, write: bool) -> T:
        """Run one unit of work in a managed transaction, retrying by kind of failure.

        Unreachable server (refused, reset, stale pooled connection): quick retries for
        ``retry_time``. Other retryable errors (deadlocks, leader switches): backoff for
        ``timeout``. Anything else raises at once.
        """
        unit = neo4j.unit_of_work(timeout=self.timeout)(work)
        start = time.monotonic()
        delay = 0.05
        with self._errors():
            while True:
                try:
                    with self._session() as session:
                        if write:
                            done = session.execute_write(unit)
                            scope = _CAUSAL.get()
                            if scope is not None:
                                scope.bookmarks = tuple(session.last_bookmarks().raw_values)
                            return done
                        return session.execute_read(unit)
                except (nex.Neo4jError, nex.DriverError) as exc:
                    if not exc.is_retryable():
                        raise
                    outage = isinstance(exc, nex.ServiceUnavailable | nex.SessionExpired)
                    budget = self.retry_time if outage else self.timeout
                    pause = delay * random.uniform(0.8, 1.2)  # jitter: clients do not march
                    if time.monotonic() - start + pause > budget:
                        raise
                time.sleep(pause)
                delay = min(2 * delay, 1.0)

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run one read unit of work (retried on transient failures) with the timeout."""
        return self._run(work, write=False)

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run one idempotent write unit of work as a single transaction."""
        self._ensure_schema()
        return self._run(work, write=True)

    def _read_known(
        self, person_id: str, work: Callable[[neo4j.ManagedTransaction], T | None]
    ) -> T:
        """Run a read whose None means person_id is unknown; raise PersonNotFound then."""
        out = self._read(work)
        if out is None:
            raise PersonNotFound(person_id)
        return out

    def _person_row(self, query: str, person_id: str) -> neo4j.Record:
        """Return the one record query gives for ``$id``; raise PersonNotFound where none."""
        return self._read_known(person_id, lambda tx: tx.run(query, id=person_id).single())

    def run_read(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one parameterised read query in a managed (retried) transaction.

        For modules that keep their own data in the same database (presence); never build
        query text from data.

        Parameters
        ----------
        query : str
            A constant Cypher text with ``$parameters``.
        params : mapping
            The parameters.

        Returns
        -------
        list of dict
            The records, as dicts.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached or refuses the query.
        """
        return self._read(lambda tx: [r.data() for r in tx.run(query, dict(params))])

    def run_write(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run one parameterised, idempotent write query in a managed (retried) transaction.

        For idempotent writes from other modules (presence; ``graphmatch batch`` writing
        ``:SUGGESTED`` relationships with ``UNWIND``); never build query text from data.

        Parameters
        ----------
        query : str
            A constant Cypher text with ``$parameters``.
        params : mapping
            The parameters.

        Returns
        -------
        list of dict
            The records, as dicts (empty for a query that returns nothing).

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached or refuses the query.
        """
        return self._write(lambda tx: [r.data() for r in tx.run(query, dict(params))])

    def run_schema(self, statement: str) -> None:
        """Run one schema statement (``CREATE INDEX ... IF NOT EXISTS``) in its own transaction.

        Schema changes cannot share a transaction with data writes, so they get their own.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached or refuses the statement.
        """
        with self._errors(), self._session() as session:
            session.execute_write(lambda tx: tx.run(statement).consume())

    def _ensure_schema(self) -> None:
        """Create the unique constraint on :Person(id) once per store (idempotent)."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._errors(), self._session() as session:
                # Schema changes cannot share a transaction with data writes.
                session.execute_write(lambda tx: tx.run(_SCHEMA).consume())
                session.run("CALL db.awaitIndexes($s)", s=int(self.timeout)).consume()
            self._schema_ready = True

    @staticmethod
    def _raise_missing(tx: neo4j.ManagedTransaction, ids: Sequence[str]) -> None:
        """Raise PersonNotFound for the first of ids that is not in the store."""
        missing = tx.run(_MISSING, ids=list(ids)).single(strict=True)["missing"]
        if missing:
            raise PersonNotFound(next(i for i in ids if i in set(missing)))

    def _require(self, tx: neo4j.ManagedTransaction, person_id: str) -> None:
        if not tx.run(_EXISTS, id=person_id).single(strict=True)["found"]:
            raise PersonNotFound(person_id)

    # -- lifecycle --------------------------------------------------------------------------
    def ping(self, timeout: float | None = None) -> None:
        """Check that Neo4j answers a query with these credentials, once, without retries.

        Parameters
        ----------
        timeout : float, optional
            Seconds allowed for getting a connection and for the query (default
            ``connect_timeout``). A refused connection fails at once.

        Raises
        ------
        StoreUnavailable
            If the server cannot be reached, refuses the credentials, or times out.
        """
        limit = self.connect_timeout if timeout is None else float(timeout)
        with (
            self._errors(),
            self._driver.session(
                database=self.database, connection_acquisition_timeout=limit
            ) as session,
        ):
            session.run(neo4j.Query("RETURN 1", timeout=limit)).consume()

    def close(self) -> None:
        """Close the driver and its connection pool; the store is unusable afterwards."""
        self._driver.close()

    def clear(self) -> None:
        """Delete every node and relationship in the database (for tests and demos).

        Deletes in bounded chunks so a large graph never needs one huge transaction.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        chunk = self.batch_size

        def work(tx: neo4j.ManagedTransaction) -> int:
            n: int = tx.run(_CLEAR_CHUNK, chunk=chunk).single(strict=True)["n"]
            return n

        while self._write(work):
            pass

    # -- writes -----------------------------------------------------------------------------
    def add_person(
        self, person_id: str, attrs: Mapping[str, Any] | None = None, *, exist_ok: bool = True
    ) -> bool:
        """Create a person, or merge attrs into an existing one.

        Parameters
        ----------
        person_id : str
            A non-empty string.
        attrs : mapping, optional
            Profile attributes: primitive values (str, int, float, bool) or homogeneous lists
            of them. ``id``, ``discoverable`` and ``show_as_mutual`` are reserved.
        exist_ok : bool, default True
            If False, an existing id raises PersonExists and nothing changes.

        Returns
        -------
        bool
            True if the person was created.

        Raises
        ------
        InvalidInput
            For a bad id or attribute.
        PersonExists
            If exist_ok is False and the person exists.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        _check_id(person_id)
        props = _clean_attrs(attrs)

        def work(tx: neo4j.ManagedTransaction) -> bool:
            existed = bool(tx.run(_EXISTS, id=person_id).single(strict=True)["found"])
            if existed and not exist_ok:
                raise PersonExists(person_id)
            tx.run(_ADD_PERSON, id=person_id, props=props).consume()
            return not existed

        return self._write(work)

    def add_people(self, people: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Create or update many people in batches.

        Every entry is validated before anything is written; each batch of ``batch_size``
        people is one transaction.

        Parameters
        ----------
        people : iterable of (id, attrs)
            As for :meth:`add_person`.

        Returns
        -------
        int
            How many entries were given.

        Raises
        ------
        InvalidInput
            For a bad id or attribute (nothing is written).
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        rows = []
        for pid, attrs in people:
            _check_id(pid)
            rows.append({"id": pid, "props": _clean_attrs(attrs)})
        for batch in _chunks(rows, self.batch_size):
            self._write(_unit(_ADD_PEOPLE, rows=batch))
        return len(rows)

    def remove_person(self, person_id: str) -> None:
        """Delete a person with their friendships, blocks and flags.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> int:
            n: int = tx.run(_REMOVE_PERSON, id=person_id).single(strict=True)["n"]
            return n

        if not self._write(work):
            raise PersonNotFound(person_id)

    def add_friendship(self, a: str, b: str) -> bool:
        """Befriend two existing people.

        Returns
        -------
        bool
            True if the friendship is new.

        Raises
        ------
        InvalidInput
            If a == b.
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        if a == b:
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        lo, hi = (a, b) if a < b else (b, a)

        def work(tx: neo4j.ManagedTransaction) -> bool:
            self._raise_missing(tx, [a, b])
            summary = tx.run(_ADD_FRIENDSHIP, lo=lo, hi=hi).consume()
            return summary.counters.relationships_created > 0

        return self._write(work)

    def add_friendships(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Bulk-add friendships, creating missing people.

        All pairs are validated before anything is written. Pairs are canonicalised and
        de-duplicated, then written in batches of ``batch_size``; each batch (its people,
        then its friendships) commits or rolls back as one transaction, so a failure leaves
        no half-written batch (earlier batches stay committed).

        Parameters
        ----------
        pairs : iterable of (str, str)
            The friendships, in either orientation; duplicates count once.

        Returns
        -------
        int
            How many friendships were new.

        Raises
        ------
        InvalidInput
            For a bad id or a self-friendship (nothing is written), or data Neo4j rejects.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        canon = _canonical_pairs(pairs)
        created = 0
        for batch in _chunks(canon, self.batch_size):
            ids = sorted({i for pair in batch for i in pair})
            # Both statements in one unit of work: the batch's people and friendships commit
            # or roll back together.
            created += self._write(
                _unit(_MERGE_IDS, ids=ids, then=_unit(_MERGE_GROUPS, groups=_grouped(batch)))
            )
        return created

    def bulk_load(
        self,
        pairs: Iterable[tuple[str, str]],
        on_batch: Callable[[int], object] | None = None,
    ) -> int:
        """Load an edge list fast: all people first, then all friendships, in batches.

        Same validation and result as :meth:`add_friendships`, but the people are merged in
        their own batches first so the relationship batches only seek and merge. Each batch
        is one transaction. When the store holds no friendships at the start, relationships
        are CREATEd rather than MERGEd (the pairs are already de-duplicated), which is about
        1.5x faster; run one bulk load at a time into an empty store, since a concurrent
        writer adding the same friendship meanwhile could then leave a duplicate.

        Parameters
        ----------
        pairs : iterable of (str, str)
        on_batch : callable, optional
            Called with the number of pairs after each friendship batch commits (a progress
            bar's ``update``).

        Returns
        -------
        int
            How many friendships were new.

        Raises
        ------
        InvalidInput
            For a bad id or a self-friendship (nothing is written).
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        canon = _canonical_pairs(pairs)
        ids = sorted({i for pair in canon for i in pair})
        for id_batch in _chunks(ids, self.batch_size):
            self._write(_unit(_MERGE_IDS, ids=id_batch))
        empty = self._read(lambda tx: tx.run(_FRIENDSHIP_COUNT).single(strict=True)["n"] == 0)
        query = _CREATE_GROUPS if empty else _MERGE_GROUPS
        created = 0
        for batch in _chunks(canon, self.batch_size):
            created += self._write(_unit(query, groups=_grouped(batch)))
            if on_batch is not None:
                on_batch(len(batch))
        return created

    def remove_friendship(self, a: str, b: str) -> bool:
        """Remove a friendship.

        Returns
        -------
        bool
            True if there was one.

        Raises
        ------
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> bool:
            self._raise_missing(tx, [a, b])
            return bool(tx.run(_REMOVE_FRIENDSHIP, a=a, b=b).single(strict=True)["n"])

        return self._write(work)

    def block(self, person_id: str, other: str) -> None:
        """Record that person_id blocks other (hides them from each other both ways).

        Raises
        ------
        InvalidInput
            If person_id == other.
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        if person_id == other:
            raise InvalidInput(f"a person cannot block themselves ({person_id!r})")

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._raise_missing(tx, [person_id, other])
            tx.run(_BLOCK, a=person_id, b=other).consume()

        self._write(work)

    def unblock(self, person_id: str, other: str) -> None:
        """Remove person_id's block of other, if any.

        Raises
        ------
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._raise_missing(tx, [person_id, other])
            tx.run(_UNBLOCK, a=person_id, b=other).consume()

        self._write(work)

    def dismiss(self, person_id: str, candidate: str) -> bool:
        """Record that person_id is not interested in candidate: one ``:DISMISSED``.

        Returns
        -------
        bool
            True if the dismissal is new.

        Raises
        ------
        InvalidInput
            If person_id == candidate.
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        if person_id == candidate:
            raise InvalidInput(f"a person cannot dismiss themselves ({person_id!r})")

        def work(tx: neo4j.ManagedTransaction) -> bool:
            self._raise_missing(tx, [person_id, candidate])
            summary = tx.run(_DISMISS, a=person_id, b=candidate).consume()
            return summary.counters.relationships_created > 0

        return self._write(work)

    def undismiss(self, person_id: str, candidate: str) -> bool:
        """Forget person_id's dismissal of candidate; return True if there was one.

        Raises
        ------
        PersonNotFound
            If either person is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> bool:
            self._raise_missing(tx, [person_id, candidate])
            n = tx.run(_UNDISMISS, a=person_id, b=candidate).single(strict=True)["n"]
            return bool(n)

        return self._write(work)

    def set_consent(
        self,
        person_id: str,
        *,
        discoverable: bool | None = None,
        show_as_mutual: bool | None = None,
    ) -> None:
        """Set the consent flags given (None leaves a flag unchanged).

        Raises
        ------
        InvalidInput
            If a flag is neither None nor a bool.
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        flags: dict[str, bool] = {}
        for name, value in (("discoverable", discoverable), ("show_as_mutual", show_as_mutual)):
            if value is None:
                continue
            if not isinstance(value, bool):
                raise InvalidInput(f"{name} must be True, False or None, got {value!r}")
            flags[name] = value

        def work(tx: neo4j.ManagedTransaction) -> int:
            n: int = tx.run(_SET_FLAGS, id=person_id, flags=flags).single(strict=True)["n"]
            return n

        if not self._write(work):
            raise PersonNotFound(person_id)

    # -- reads ------------------------------------------------------------------------------
    def exists(self, person_id: str) -> bool:
        """Return whether the person is in the store.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        if not isinstance(person_id, str):
            return False
        return self._read(lambda tx: bool(tx.run(_EXISTS, id=person_id).single(strict=True)[0]))

    def person(self, person_id: str) -> dict[str, Any]:
        """Return the person's profile attributes plus ``discoverable`` and ``show_as_mutual``.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        props = dict(self._person_row(_PERSON, person_id)["props"])
        props.pop("id", None)
        for flag in FLAGS:
            props[flag] = props.get(flag, True) is not False
        return props

    def friends(self, person_id: str) -> list[str]:
        """Return the person's friends, sorted by id.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return sorted(self._person_row(_FRIENDS, person_id)["friends"])

    def degree(self, person_id: str) -> int:
        """Return the person's number of friends.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return int(self._person_row(_DEGREE, person_id)["d"])

    def degrees(self, person_ids: Iterable[str]) -> dict[str, int]:
        """Return the degree of each known id (unknown ids are left out), in one query.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        ids = _str_list(person_ids)
        if not ids:
            return {}

        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            record = tx.run(_DEGREES, ids=ids).single(strict=True)
            return dict(zip(record["ids"], record["degrees"], strict=True))

        return self._read(work)

    def counts(self) -> tuple[int, int]:
        """Return ``(people, friendships)`` (answered from Neo4j's count store).

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> tuple[int, int]:
            record = tx.run(_COUNTS).single(strict=True)
            return int(record["people"]), int(record["friendships"])

        return self._read(work)

    def blocked_with(self, person_id: str) -> set[str]:
        """Return everyone person_id blocked or was blocked by.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return set(self._person_row(_BLOCKED_WITH, person_id)["others"])

    def dismissed(self, person_id: str) -> list[str]:
        """Return whom person_id dismissed, sorted by id.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return sorted(self._person_row(_DISMISSED, person_id)["others"])

    def dismissals(self) -> list[tuple[str, str]]:
        """Return every dismissal as ``(person, candidate)``, sorted (training negatives).

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        pairs = self._read(lambda tx: tx.run(_DISMISSALS).single(strict=True)["pairs"])
        return sorted((a, b) for a, b in pairs)

    def undiscoverable(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of discovery.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return self._flagged(_UNDISCOVERABLE, person_ids)

    def hidden_as_mutual(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of being shown as a mutual friend.

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        return self._flagged(_HIDDEN_AS_MUTUAL, person_ids)

    def _flagged(self, query: str, person_ids: Iterable[str]) -> set[str]:
        ids = _str_list(person_ids)
        if not ids:
            return set()
        return self._read(lambda tx: set(tx.run(query, ids=ids).single(strict=True)["ids"]))

    def mutual(
        self, a: str, others: Iterable[str], max_degree: int | None = None
    ) -> dict[str, dict[str, int]]:
        """Map each other id to its mutual friends with a, as ``{friend: degree}``, in one query.

        Parameters
        ----------
        a : str
        others : iterable of str
            Unknown others map to ``{}``.
        max_degree : int, optional
            Mutual friends with more friends than this are left out (filtered in Cypher).

        Returns
        -------
        dict
            ``{other: {mutual_friend: degree}}``.

        Raises
        ------
        PersonNotFound
            If a is unknown.
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        wanted = _str_list(others)

        def work(tx: neo4j.ManagedTransaction) -> dict[str, dict[str, int]] | None:
            if not wanted:
                return {} if tx.run(_EXISTS, id=a).single(strict=True)["found"] else None
            rows = list(tx.run(_MUTUAL, a=a, others=wanted, max_degree=max_degree))
            if not rows:
                return None
            return {r["oid"]: {w: int(d) for w, d in r["pairs"]} for r in rows}

        found = self._read_known(a, work)
        return {o: found.get(o, {}) for o in wanted}

    def two_hop_counts(self, person_id: str, max_degree: int | None = None) -> dict[str, int]:
        """Count, for everyone two steps away, the friends in common with person_id.

        One Cypher aggregation; only friends of degree <= max_degree are walked through.
        person_id itself is never included; direct friends may be (the caller filters).

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        def work(tx: neo4j.ManagedTransaction) -> dict[str, int] | None:
            r = tx.run(_TWO_HOP_COUNTS, id=person_id, max_degree=max_degree).single(strict=True)
            if not r["ids"] and not tx.run(_EXISTS, id=person_id).single(strict=True)["found"]:
                return None
            return dict(zip(r["ids"], r["counts"], strict=True))

        return self._read_known(person_id, work)

    def two_hop_weights(
        self, person_id: str, max_degree: int | None = None
    ) -> dict[str, PairStats]:
        """Like :meth:`two_hop_counts`, with the Adamic-Adar and resource-allocation sums.

        The sums are added in the canonical order of :func:`graphmatch.rule.weighted_sum`
        with Python's weights, so they are the bits of every other path.

        Returns
        -------
        dict
            ``{candidate: (count, sum 1/ln d(w), sum 1/d(w))}`` over mutual friends w.

        Raises
        ------
        PersonNotFound
            For an unknown id.
        StoreUnavailable
            If Neo4j cannot be reached.
        """

        fix = self._aa_fix()

        def work(tx: neo4j.ManagedTransaction) -> dict[str, PairStats] | None:
            r = tx.run(_TWO_HOP_WEIGHTS, id=person_id, max_degree=max_degree, aa_fix=fix).single(
                strict=True
            )
            if not r["ids"] and not tx.run(_EXISTS, id=person_id).single(strict=True)["found"]:
                return None
            return {
                v: (int(c), float(aa), float(ra))
                for v, c, aa, ra in zip(r["ids"], r["counts"], r["aas"], r["ras"], strict=True)
            }

        return self._read_known(person_id, work)

    def top_candidates(
        self,
        person_id: str,
        score: str,
        limit: int,
        max_degree: int | None,
        explain: int,
    ) -> list[tuple[str, float, int, list[str]]] | None:
        """Rank and explain the distance-2 candidates in one Cypher query, or return None.

        The matcher's push-down: the same exclusions and order as its plain path; blocks
        (both directions) and dismissals are read in the same query, and a friend blocked
        either way with person_id is counted but never named. None for a score the query does not
        know (the matcher then ranks in Python).

        Raises
        ------
        StoreUnavailable
            If Neo4j cannot be reached.
        """
        if score not in _PUSHED_SCORES:
            return None
        fix = self._aa_fix() if score == "adamic_adar" else {}

        def work(tx: neo4j.ManagedTransaction) -> list[tuple[str, float, int, list[str]]]:
            result = tx.run(
                _TOP_CANDIDATES,
                id=person_id,
                score=score,
                limit=limit,
                max_degree=max_degree,
                explain=explain,
                aa_fix=fix,
                quantum_inv=rule.QUANTUM_INV,
            )
            return [(r["id"], float(r["score"]), int(r["count"]), list(r["named"])) for r in result]

        return self._read(work)

    #: Python's Adamic-Adar weight at the degrees where the server's log disagrees; None
    #: until the first weighted query probes the server.
    _aa_fixes: dict[str, float] | None = None

    def _aa_fix(self) -> dict[str, float]:
        """Return ``{str(degree): Python's 1/ln degree}`` where the server's log differs.

        Java's ``Math.log`` and the C library's ``log`` (Python, numba) disagree by one ulp at
        a few degrees; one query asks the server for 1/ln d, d = 2..LOG_PROBE_MAX, and the
        disagreements are passed to every weighted query so Cypher sums Python's weights.
        """
        fixes = self._aa_fixes
        if fixes is None:
            got = self._read(
                lambda tx: tx.run(_LOG_PROBE, top=LOG_PROBE_MAX).single(strict=True)["weights"]
            )
            fixes = {
                str(d): rule.aa_weight(d)
                for d, w in enumerate(got, start=2)
                if w != rule.aa_weight(d)
            }
            self._aa_fixes = fixes  # racing threads compute the same map: harmless
        return fixes


# -- helpers -----------------------------------------------------------------------------------
def _unit(
    query: str,
    then: Callable[[neo4j.ManagedTransaction], int] | None = None,
    **params: Any,
) -> Callable[[neo4j.ManagedTransaction], int]:
    """A write unit of work running query (then, optionally, another unit in the same tx).

    Returns the relationships created by the last statement. Building units with bound
    parameters (rather than closures over loop variables) keeps retries re-running exactly
    the same batch.
    """

    def work(tx: neo4j.ManagedTransaction) -> int:
        created: int = tx.run(query, params).consume().counters.relationships_created
        return then(tx) if then is not None else created

    return work


def _reason(exc: BaseException) -> str:
    """One readable line from a driver exception (no GQL status noise)."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())


def _check_id(person_id: object) -> None:
    """Raise InvalidInput unless person_id is a non-empty string Neo4j can index."""
    person_id = check_id(person_id)
    # The range index behind the unique constraint rejects keys over ~8 KB, and only at
    # commit time with a generic DatabaseError; refuse such ids up front instead.
    if len(person_id) > MAX_ID_BYTES // 4 and len(person_id.encode()) > MAX_ID_BYTES:
        raise InvalidInput(f"person ids are at most {MAX_ID_BYTES} bytes of UTF-8")


def _str_list(ids: Iterable[str]) -> list[str]:
    """Materialise ids for a query parameter, dropping non-strings (they cannot match)."""
    if isinstance(ids, str):
        raise InvalidInput("expected an iterable of ids, got a single string")
    return [i for i in dict.fromkeys(ids) if isinstance(i, str)]


def _clean_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate profile attributes: what Neo4j can store as properties, no reserved names."""
    clean = check_attrs(attrs)
    for key, value in clean.items():
        if isinstance(value, _PRIMITIVES):
            continue
        if isinstance(value, list | tuple) and _homogeneous(value):
            clean[key] = list(value)
        else:
            raise InvalidInput(
                f"attribute {key!r}: Neo4j stores only str, int, float, bool or a list of one "
                f"of those, got {type(value).__name__}"
            )
    return clean


def _homogeneous(values: Sequence[Any]) -> bool:
    """Whether values is a Neo4j-storable list: primitives, all of one type."""
    kinds = {type(v) for v in values}
    return len(kinds) <= 1 and all(issubclass(k, _PRIMITIVES) for k in kinds)


def _canonical_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Validate every pair, orient it smaller -> larger and drop duplicates (order kept)."""
    seen: dict[tuple[str, str], None] = {}
    for pair in pairs:
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise InvalidInput(f"friendships are (id, id) pairs, got {pair!r}") from None
        # Every id gets the one id rule (it has its own fast path for plain ids).
        _check_id(a)
        _check_id(b)
        if a == b:
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        seen[(a, b) if a < b else (b, a)] = None
    return list(seen)


def _grouped(pairs: Sequence[tuple[str, str]]) -> list[list[Any]]:
    """Group canonical pairs by their first id: ``[[lo, [hi, ...]], ...]``."""
    groups: dict[str, list[str]] = {}
    for lo, hi in pairs:
        groups.setdefault(lo, []).append(hi)
    return [[lo, his] for lo, his in groups.items()]


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Yield consecutive slices of at most size items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])

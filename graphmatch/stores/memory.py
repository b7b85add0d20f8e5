"""The in-memory store: an undirected networkx graph, the embedded default."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from contextlib import AbstractContextManager, nullcontext
from itertools import chain, filterfalse, repeat
from operator import eq
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import networkx as nx

from graphmatch._validation import check_attrs, check_id, check_pair_shapes
from graphmatch.errors import InvalidInput, PersonExists, PersonNotFound
from graphmatch.loaders import LoadReport, read_edgelist
from graphmatch.stores.protocol import PairStats

if TYPE_CHECKING:
    from graphmatch.index.live import LiveIndex

__all__ = ["MemoryStore"]

_NO_ONE: frozenset[str] = frozenset()
_R = TypeVar("_R")

INDEX_MODES = ("background", "sync", "off")


class MemoryStore:
    """A :class:`~graphmatch.GraphStore` over an undirected :class:`networkx.Graph`.

    The graph is the source of truth: node attributes are profiles, edges are friendships.
    Blocks and consent flags are kept beside it, so a caller's graph is never polluted.
    Every method holds one re-entrant lock, so the store is safe under a threaded server.

    Parameters
    ----------
    graph : networkx.Graph, optional
        A graph to wrap without copying. Node ids must be strings; it must be undirected and
        simple (not a DiGraph or MultiGraph) and have no self-loops. Change it only through
        the store: the read index cannot see writes made to the graph behind its back.
    index : {"background", "sync", "off"}, default "background"
        The compiled read index (:class:`graphmatch.index.live.LiveIndex`) that answers
        ``suggest`` and mutual counts with kernels. Once built, every write reaches it in
        place (in time proportional to the degrees it touches) before the write returns, so
        it is never stale and never rebuilt. ``background``: built on a daemon thread on
        first use, reads taking the plain path until then. ``sync``: built by the first read
        that needs it. ``off``: only when :meth:`build_index` is called.

    Raises
    ------
    InvalidInput
        If the graph is directed, a multigraph, has non-string ids or self-loops, or the
        index mode is unknown.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("b", "c")])
    >>> store = MemoryStore(G)
    >>> store.friends("b")
    ['a', 'c']
    >>> store.graph is G
    True
    """

    def __init__(self, graph: nx.Graph | None = None, *, index: str = "background") -> None:
        if graph is None:
            graph = nx.Graph()
        if graph.is_directed() or graph.is_multigraph():
            raise InvalidInput("MemoryStore needs an undirected simple nx.Graph")
        bad = next((n for n in graph if not isinstance(n, str)), None)
        if bad is not None:
            raise InvalidInput(
                f"MemoryStore needs string node ids, found {bad!r}; "
                "relabel with nx.relabel_nodes(G, str)"
            )
        if nx.number_of_selfloops(graph):
            raise InvalidInput("MemoryStore graphs cannot hold self-loops")
        self.graph: nx.Graph = graph
        self.load_report: LoadReport | None = None
        self._adj: dict[str, dict[str, Any]] = graph._adj
        self._blocks: dict[str, set[str]] = {}  # who -> whom they blocked
        self._blocked_by: dict[str, set[str]] = {}  # whom -> who blocked them
        self._undiscoverable: set[str] = set()
        self._hidden_mutual: set[str] = set()
        self._dismissed: dict[str, set[str]] = {}  # who -> whom they dismissed
        self._dismissed_by: dict[str, set[str]] = {}  # whom -> who dismissed them
        self._lock = threading.RLock()
        if index not in INDEX_MODES:
            raise InvalidInput(f"index must be one of {', '.join(INDEX_MODES)}, got {index!r}")
        self.index_mode = index
        # Bumped after every write that changes who exists, who is friends, or who opted
        # out: an index build that started at another version is not kept.
        self._version = 0
        self._index: LiveIndex | None = None
        self._builder: threading.Thread | None = None

    @classmethod
    def from_edgelist(cls, path: str | Path, *, index: str = "background") -> MemoryStore:
        """Load a SNAP or CSV edge list into a new store.

        Parameters
        ----------
        path : str or Path
            See :func:`graphmatch.read_edgelist` for the formats and the folding rule.
        index : str, default "background"
            The read-index mode, as for the constructor.

        Returns
        -------
        MemoryStore
            With ``load_report`` telling what was kept and dropped.

        Raises
        ------
        InvalidInput, ParseError
            For a missing or malformed file.

        Examples
        --------
        >>> import os, pathlib, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "g.txt")
        >>> _ = pathlib.Path(p).write_text("1 2\\n2 3\\n")
        >>> MemoryStore.from_edgelist(p).counts()
        (3, 2)
        """
        edges, report = read_edgelist(path)
        graph = nx.Graph()
        graph.add_edges_from(edges)
        store = cls(graph, index=index)
        store.load_report = report
        return store

    # -- helpers -------------------------------------------------------------------------
    def _require(self, person_id: str) -> dict[str, Any]:
        """Return the adjacency of a person or raise PersonNotFound."""
        try:
            return self._adj[person_id]
        except (KeyError, TypeError):
            raise PersonNotFound(person_id) from None

    def _edges(self) -> int:
        """Return the number of friendships (half the sum of degrees)."""
        return sum(map(len, self._adj.values())) // 2

    # -- the read index ------------------------------------------------------------------
    def build_index(self) -> LiveIndex:
        """Build the live index now and start using it; return it.

        Returns
        -------
        LiveIndex
            The new index, kept up to date by every later write. Building again packs it
            anew (positions back in id order, removed people's rows reclaimed).

        Examples
        --------
        >>> import networkx as nx
        >>> store = MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="off")
        >>> store.build_index().ids
        ['a', 'b', 'c']
        """
        from graphmatch.index.csr import CSRIndex  # numpy loads with the first index
        from graphmatch.index.live import LiveIndex

        # Optimistic first: read the graph without the lock and keep the result only if no
        # write happened meanwhile (writes bump the version after they change the graph).
        # Under a steady stream of writes, fall back to building under the lock.
        for _ in range(3):
            version = self._version
            try:
                frozen = CSRIndex(
                    self._adj, version, set(self._undiscoverable), set(self._hidden_mutual)
                )
            except (RuntimeError, KeyError):  # the graph changed under the read
                continue
            live = LiveIndex(frozen, self._lock)
            with self._lock:
                if self._version == version:
                    self._index = live
                    return live
        with self._lock:
            frozen = CSRIndex(self._adj, self._version, self._undiscoverable, self._hidden_mutual)
            live = LiveIndex(frozen, self._lock)
            self._index = live
            return live

    def fresh_index(self) -> LiveIndex | None:
        """Return the live index (it reflects every write so far), building it per the mode.

        None while there is none yet: in ``background`` mode a build starts; ``off`` builds
        only on :meth:`build_index`.
        """
        index = self._index
        if index is not None:
            return index
        if self.index_mode == "sync":
            return self.build_index()
        if self.index_mode == "background":
            with self._lock:
                if self._builder is None or not self._builder.is_alive():
                    self._builder = threading.Thread(
                        target=self.build_index, name="graphmatch-index", daemon=True
                    )
                    self._builder.start()
        return None

    def _live(self) -> LiveIndex | None:
        """Return the index writes must reach, dropping one a failed write left behind."""
        index = self._index
        if index is not None and index.broken:
            self._index = index = None
        return index

    def _blocked_now(self, person_id: str) -> Set[str]:
        """Return everyone blocked either way with person_id, without the lock.

        Set union runs in C under the GIL, so it never sees a set half-changed; readers call
        this inside the index's consistent read, which block writes also step.
        """
        mine = self._blocks.get(person_id)
        theirs = self._blocked_by.get(person_id)
        if not mine and not theirs:
            return _NO_ONE  # most people block no one: no new set per read
        return (mine or _NO_ONE) | (theirs or _NO_ONE)

    def _excluded_now(self, person_id: str) -> Set[str]:
        """Return whom the kernel skips for person_id: blocks either way, dismissed strangers.

        A dismissed person who became a friend since stays out of it, because the kernel's
        exclusions are never named as mutual friends either and a friend may be. Called
        inside the index's consistent read, which dismissals step like blocks.
        """
        gone = self._dismissed.get(person_id)
        if not gone:
            # Most people block and dismiss no one: three dict probes, no call (per suggest).
            if person_id not in self._blocks and person_id not in self._blocked_by:
                return _NO_ONE
            return self._blocked_now(person_id)
        blocked = self._blocked_now(person_id)
        friends = self._adj.get(person_id, {})
        # tuple() copies the set in one C call, so a concurrent dismiss cannot resize it
        # under the loop.
        return blocked | {d for d in tuple(gone) if d not in friends}

    def top_candidates(
        self,
        person_id: str,
        score: str,
        limit: int,
        max_degree: int | None,
        explain: int,
    ) -> list[tuple[str, float, int, list[str]]] | None:
        """Rank and explain the distance-2 candidates with the compiled kernels, or None.

        None means "answer by the plain path": no fresh index yet, or a score the kernels
        do not know. Returns ``(id, score, mutual count, named mutual friends)`` tuples.
        """
        index = self._index or self.fresh_index()
        if index is None:
            return None
        return index.top(person_id, score, limit, max_degree, self._excluded_now, explain)

    def top_candidates_as(
        self, person_id: str, score: str, limit: int, explain: int, into: type[_R]
    ) -> list[_R] | None:
        """Return :meth:`top_candidates` (no degree cap) with each row built as ``into``.

        The matcher's latency path: its :class:`~graphmatch.Suggestion` is built in the loop
        that reads the kernel's rows (see :meth:`LiveIndex.top`). None as for
        :meth:`top_candidates`, and for an unknown person.
        """
        index = self._index or self.fresh_index()
        if index is None:
            return None
        return index.top(person_id, score, limit, None, self._excluded_now, explain, into)

    def mutual_count(self, a: str, b: str) -> int:
        """Count the friends in common of one pair: one scalar kernel call when indexed."""
        index = self._index or self.fresh_index()
        if index is not None:
            n = index.mutual_count(a, b)
            if n is not None:
                return n
        return self.mutual_counts([(a, b)])[0]

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> list[int]:
        """Count friends in common per pair: the compiled merge when the index is fresh."""
        # A list is not copied: at 1M pairs the copy's reference counts are a cache miss a
        # pair (the pairs are read once more, slice by slice, by the index).
        batch = pairs if isinstance(pairs, list) else list(pairs)
        index = self._index or self.fresh_index()
        if index is not None:
            if len(batch) == 1 and batch[0].__class__ is tuple and len(batch[0]) == 2:
                # One pair: the scalar kernel, no arrays (9.8 µs -> ~5 µs on LastFM, loaded).
                # Ids that are not strings, or unknown, go the batch way for its errors.
                a, b = batch[0]
                if a.__class__ is str and b.__class__ is str:
                    n = index.mutual_count(a, b)
                    if n is not None:
                        return [n]
            counts: list[int] = index.mutual_counts(batch).tolist()
            return counts
        check_pair_shapes(batch)
        with self._lock:
            out = []
            for a, b in batch:
                adj_a, adj_b = self._require(a), self._require(b)
                small, big = (adj_a, adj_b) if len(adj_a) <= len(adj_b) else (adj_b, adj_a)
                out.append(sum(1 for w in small if w in big and w != a and w != b))
            return out

    # -- lifecycle -----------------------------------------------------------------------
    def ping(self) -> None:
        """Do nothing: memory is always reachable."""

    def close(self) -> None:
        """Do nothing: there is nothing to release."""

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes --------------------------------------------------------------------------
    def add_person(
        self, person_id: str, attrs: Mapping[str, Any] | None = None, *, exist_ok: bool = True
    ) -> bool:
        """Create a person or merge attrs into an existing one; return True if created."""
        check_id(person_id)
        clean = check_attrs(attrs)
        with self._lock:
            created = person_id not in self._adj
            if not created and not exist_ok:
                raise PersonExists(person_id)
            index = self._live() if created else None
            with _step(index):
                self.graph.add_node(person_id, **clean)
                if index is not None:
                    index.add_person(person_id)
            if created:
                self._version += 1
            return created

    def add_people(self, people: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Create or update many people; return how many were given."""
        batch = [(pid, check_attrs(attrs)) for pid, attrs in people]
        for pid, _ in batch:
            check_id(pid)
        with self._lock:
            index = self._live()
            with _step(index):
                new = [p for p in dict.fromkeys(pid for pid, _ in batch) if p not in self._adj]
                self.graph.add_nodes_from(batch)
                if index is not None:
                    index.add_people(new)
            self._version += 1
        return len(batch)

    def remove_person(self, person_id: str) -> None:
        """Delete a person with their friendships, blocks and flags."""
        with self._lock:
            self._require(person_id)
            index = self._live()
            with _step(index):
                self.graph.remove_node(person_id)
                for other in self._blocks.pop(person_id, ()):
                    self._blocked_by[other].discard(person_id)
                for other in self._blocked_by.pop(person_id, ()):
                    self._blocks[other].discard(person_id)
                for other in self._dismissed.pop(person_id, ()):
                    self._dismissed_by[other].discard(person_id)
                for other in self._dismissed_by.pop(person_id, ()):
                    self._dismissed[other].discard(person_id)
                self._undiscoverable.discard(person_id)
                self._hidden_mutual.discard(person_id)
                if index is not None:
                    index.remove_person(person_id)
            self._version += 1

    def add_friendship(self, a: str, b: str) -> bool:
        """Befriend two existing people; return True if the friendship is new."""
        if a == b:
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        with self._lock:
            adj_a = self._require(a)
            self._require(b)
            if b in adj_a:
                return False
            index = self._live()
            if index is not None:
                index.reserve([(a, b)])  # a repack, if due, outside the step: reads go on
            with _step(index):
                self.graph.add_edge(a, b)
                if index is not None:
                    index.add_friendship(a, b)
            self._version += 1
            return True

    def add_friendships(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Bulk-add friendships, creating missing people; return how many were new.

        The whole batch is validated before anything is written, so a bad pair leaves the
        store unchanged (ids already present were checked when they were stored, so only
        newcomers' ids are). With a live index the newcomers, then the friendships, are
        applied in steps of about :data:`graphmatch.index.live.BULK_STEP_SECONDS` each, the
        lock let go between steps, so reads never wait long on a big ingest: each friendship
        appears whole (both sides, graph and index), the batch step by step, all of it
        before the call returns.

        Parameters
        ----------
        pairs : iterable of (str, str)
            Friendships; repeats, pairs already present and either order are fine.

        Returns
        -------
        int
            How many friendships were not there before.

        Raises
        ------
        InvalidInput
            If an item is not a pair, a pair is a self-loop, or a new id breaks the id rule.

        Examples
        --------
        >>> store = MemoryStore()
        >>> store.add_friendships([("a", "b"), ("b", "a"), ("b", "c"), ("a", "b")])
        2
        >>> store.add_friendships([("c", "b"), ("a", "d")]), store.friends("a")
        (1, ['b', 'd'])
        """
        batch = pairs if isinstance(pairs, list) else list(pairs)
        adj = self._adj
        people = checked_pairs(batch, adj)
        if not batch:
            return 0
        if self._index is None:
            with self._lock:
                if self._live() is None:
                    new = self._add_plain(batch)
                    self._version += 1
                    return new
        from graphmatch.index.live import BULK_CHUNK

        # Newcomers first, in steps of their own: placing people in the index's id order
        # costs a pass over everyone (a few ms a million) per step, not per friendship step.
        lo, size = 0, BULK_CHUNK
        while lo < len(people):
            with self._lock:
                t0 = time.perf_counter()
                index = self._live()
                with _step(index):
                    some = [p for p in people[lo : lo + size] if p not in adj]
                    self.graph.add_nodes_from(some)
                    if index is not None:
                        index.add_people(some)
                self._version += 1
                lo, size = lo + size, _next_size(size, time.perf_counter() - t0)
            _yield(index)
        new = 0
        lo, size = 0, BULK_CHUNK
        while lo < len(batch):
            if lo:
                _yield(self._index)  # let readers waiting on the lock in between steps
            chunk = batch[lo : lo + size]
            with self._lock:
                t0 = time.perf_counter()
                index = self._live()
                if index is None:
                    new += self._add_plain(chunk)
                else:
                    try:
                        # Positions, sorting, a repack if due: outside the step, reads go on.
                        src, dst = index.plan(chunk)
                    except KeyError:  # someone in it was removed since: rare
                        with _step(index):
                            gone = filterfalse(adj.__contains__, chain.from_iterable(chunk))
                            missing = list(dict.fromkeys(gone))
                            self.graph.add_edges_from(chunk)
                            index.add_people(missing)
                            new += index.add_friendships(chunk)
                    else:
                        index.reserve_plan(src)
                        with _step(index):
                            self.graph.add_edges_from(chunk)
                            new += index.apply(src, dst)
                self._version += 1
                lo, size = lo + len(chunk), _next_size(size, time.perf_counter() - t0)
        return new

    def _add_plain(self, batch: list[tuple[str, str]]) -> int:
        """Add checked friendships to the graph alone (lock held); return how many were new."""
        adj = self._adj
        ends = set(chain.from_iterable(batch))
        # Counted from the ends' degrees (a C loop), not pair by pair: 2 s a million less.
        before = sum(map(len, map(adj.get, ends, repeat(_NO_ONE))))
        self.graph.add_edges_from(batch)
        return (sum(map(len, map(adj.__getitem__, ends))) - before) // 2

    def remove_friendship(self, a: str, b: str) -> bool:
        """Remove a friendship; return True if there was one."""
        with self._lock:
            adj_a = self._require(a)
            self._require(b)
            if b not in adj_a:
                return False
            index = self._live()
            with _step(index):
                self.graph.remove_edge(a, b)
                if index is not None:
                    index.remove_friendship(a, b)
            self._version += 1
            return True

    def block(self, person_id: str, other: str) -> None:
        """Record that person_id blocks other."""
        if person_id == other:
            raise InvalidInput(f"a person cannot block themselves ({person_id!r})")
        with self._lock:
            self._require(person_id)
            self._require(other)
            # A version step on the index too: a compiled read reads blocks inside its own.
            with _step(self._live()):
                self._blocks.setdefault(person_id, set()).add(other)
                self._blocked_by.setdefault(other, set()).add(person_id)

    def unblock(self, person_id: str, other: str) -> None:
        """Remove person_id's block of other, if any."""
        with self._lock:
            self._require(person_id)
            self._require(other)
            with _step(self._live()):
                self._blocks.get(person_id, set()).discard(other)
                self._blocked_by.get(other, set()).discard(person_id)

    def dismiss(self, person_id: str, candidate: str) -> bool:
        """Record that person_id is not interested in candidate; return True if new.

        Parameters
        ----------
        person_id : str
            Who turns the suggestion down.
        candidate : str
            Whom they never want suggested again.

        Returns
        -------
        bool
            False if it was already dismissed (nothing changes).

        Raises
        ------
        PersonNotFound
            For an unknown id.
        InvalidInput
            If the two are the same person.

        Examples
        --------
        >>> import networkx as nx
        >>> store = MemoryStore(nx.Graph([("a", "w"), ("w", "b")]))
        >>> store.dismiss("a", "b"), store.dismiss("a", "b"), store.dismissed("a")
        (True, False, ['b'])
        """
        if person_id == candidate:
            raise InvalidInput(f"a person cannot dismiss themselves ({person_id!r})")
        with self._lock:
            self._require(person_id)
            self._require(candidate)
            mine = self._dismissed.setdefault(person_id, set())
            if candidate in mine:
                return False
            with _step(self._live()):
                mine.add(candidate)
                self._dismissed_by.setdefault(candidate, set()).add(person_id)
            return True

    def undismiss(self, person_id: str, candidate: str) -> bool:
        """Forget person_id's dismissal of candidate; return True if there was one."""
        with self._lock:
            self._require(person_id)
            self._require(candidate)
            mine = self._dismissed.get(person_id, set())
            if candidate not in mine:
                return False
            with _step(self._live()):
                mine.discard(candidate)
                self._dismissed_by[candidate].discard(person_id)
            return True

    def dismissed(self, person_id: str) -> list[str]:
        """Return whom person_id dismissed, sorted by id."""
        with self._lock:
            self._require(person_id)
            return sorted(self._dismissed.get(person_id, ()))

    def dismissals(self) -> list[tuple[str, str]]:
        """Return every dismissal as ``(person, candidate)``, sorted (training negatives)."""
        with self._lock:
            return sorted((a, b) for a, others in self._dismissed.items() for b in others)

    def set_consent(
        self,
        person_id: str,
        *,
        discoverable: bool | None = None,
        show_as_mutual: bool | None = None,
    ) -> None:
        """Set the consent flags given (None leaves a flag unchanged)."""
        with self._lock:
            self._require(person_id)
            index = self._live()
            with _step(index):
                for flag, off in (
                    (discoverable, self._undiscoverable),
                    (show_as_mutual, self._hidden_mutual),
                ):
                    if flag is True:
                        off.discard(person_id)
                    elif flag is False:
                        off.add(person_id)
                if index is not None:
                    index.set_flags(
                        person_id,
                        banned=person_id in self._undiscoverable,
                        hidden=person_id in self._hidden_mutual,
                    )
            if discoverable is not None or show_as_mutual is not None:
                self._version += 1

    # -- reads ---------------------------------------------------------------------------
    def exists(self, person_id: str) -> bool:
        """Return whether the person is in the store."""
        return isinstance(person_id, str) and person_id in self._adj

    def person(self, person_id: str) -> dict[str, Any]:
        """Return profile attributes plus the two consent flags."""
        with self._lock:
            self._require(person_id)
            out = dict(self.graph.nodes[person_id])
            out["discoverable"] = person_id not in self._undiscoverable
            out["show_as_mutual"] = person_id not in self._hidden_mutual
            return out

    def friends(self, person_id: str) -> list[str]:
        """Return the person's friends, sorted by id."""
        with self._lock:
            return sorted(self._require(person_id))

    def degree(self, person_id: str) -> int:
        """Return the person's number of friends."""
        with self._lock:
            return len(self._require(person_id))

    def degrees(self, person_ids: Iterable[str]) -> dict[str, int]:
        """Return the degree of each known id."""
        adj = self._adj
        with self._lock:
            return {p: len(adj[p]) for p in person_ids if p in adj}

    def counts(self) -> tuple[int, int]:
        """Return ``(people, friendships)``."""
        with self._lock:
            return len(self._adj), self._edges()

    def blocked_with(self, person_id: str) -> set[str]:
        """Return everyone person_id blocked or was blocked by."""
        with self._lock:
            self._require(person_id)
            return self._blocks.get(person_id, set()) | self._blocked_by.get(person_id, set())

    def block_pairs(self) -> list[tuple[str, str]]:
        """Return every block as ``(who, whom)``, sorted."""
        with self._lock:
            return sorted((a, b) for a, others in self._blocks.items() for b in others)

    def undiscoverable(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of discovery."""
        with self._lock:
            return _intersect(self._undiscoverable, person_ids)

    def hidden_as_mutual(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of being shown as a mutual friend."""
        with self._lock:
            return _intersect(self._hidden_mutual, person_ids)

    def mutual(
        self, a: str, others: Iterable[str], max_degree: int | None = None
    ) -> dict[str, dict[str, int]]:
        """Map each other id to its mutual friends with a, as ``{friend: degree}``."""
        adj = self._adj
        with self._lock:
            keys_a = self._require(a).keys()
            out: dict[str, dict[str, int]] = {}
            for other in others:
                nbrs = adj.get(other)
                if nbrs is None:
                    out[other] = {}
                    continue
                # Walk the smaller side: a hub's friend list may be thousands long.
                small, big = (keys_a, nbrs) if len(keys_a) <= len(nbrs) else (nbrs, keys_a)
                common = {w for w in small if w in big}
                common.discard(a)
                common.discard(other)
                degs = {w: len(adj[w]) for w in common}
                if max_degree is not None:
                    degs = {w: d for w, d in degs.items() if d <= max_degree}
                out[other] = degs
            return out

    def two_hop_counts(self, person_id: str, max_degree: int | None = None) -> dict[str, int]:
        """Count friends in common with everyone two steps away."""
        adj = self._adj
        with self._lock:
            counter: Counter[str] = Counter()
            # Counter.update over a dict iterates its keys in C: the fastest pure-Python count.
            for w in self._require(person_id):
                nbrs = adj[w]
                if max_degree is None or len(nbrs) <= max_degree:
                    counter.update(nbrs.keys())
            return counter

    def two_hop_weights(
        self, person_id: str, max_degree: int | None = None
    ) -> dict[str, PairStats]:
        """Count friends in common and sum their Adamic-Adar and resource-allocation weights.

        Friends are walked in ascending (degree, id) order, so each sum is added in the
        canonical order of :func:`graphmatch.rule.weighted_sum`: the bits of every other path.
        """
        # Imported here, not at the top: this method is the only user.
        from graphmatch.rule import aa_weight, ra_weight

        adj = self._adj
        with self._lock:
            count: dict[str, int] = {}
            aa: dict[str, float] = {}
            ra: dict[str, float] = {}
            get_c, get_a, get_r = count.get, aa.get, ra.get
            for d, w in sorted((len(adj[w]), w) for w in self._require(person_id)):
                if d < 2:
                    continue  # a friend of degree 1 knows nobody but person_id
                if max_degree is not None and d > max_degree:
                    break  # ascending: every friend left is over the cap too
                wa, wr = aa_weight(d), ra_weight(d)
                for v in adj[w]:
                    count[v] = get_c(v, 0) + 1
                    aa[v] = get_a(v, 0.0) + wa
                    ra[v] = get_r(v, 0.0) + wr
            return {v: (c, aa[v], ra[v]) for v, c in count.items()}


def _step(index: LiveIndex | None) -> AbstractContextManager[None]:
    """Return a context in which a write reaches the index whole (nothing without one)."""
    return nullcontext() if index is None else index.writing()


def _yield(index: LiveIndex | None) -> None:
    """Between two steps of a bulk write: let waiting readers take the lock."""
    if index is not None:
        index.yield_to_readers()


def _next_size(size: int, took: float) -> int:
    """Return the next bulk step's size: aimed at BULK_STEP_SECONDS, at most doubling."""
    from graphmatch.index.live import BULK_MAX, BULK_MIN, BULK_STEP_SECONDS

    want = size * BULK_STEP_SECONDS / max(took, 1e-6)
    return int(min(BULK_MAX, 2 * size, max(BULK_MIN, want)))


def checked_pairs(batch: list[tuple[str, str]], adj: Mapping[str, Any]) -> list[str]:
    """Check a batch of friendships before anything is written; return the newcomers.

    Ids already in adj were checked when they were stored; only the others are checked
    (:func:`graphmatch._validation.check_id`), once each: at 1M people that spares two
    dict probes and a rule check per friendship of a bulk ingest.

    Parameters
    ----------
    batch : list of (str, str)
        The friendships.
    adj : mapping
        The people stored (a networkx adjacency).

    Returns
    -------
    list of str
        The ids not in adj, in order of first appearance.

    Raises
    ------
    InvalidInput
        If an item is not a pair, a pair is a self-loop, or a new id breaks the id rule.

    Examples
    --------
    >>> checked_pairs([("a", "b"), ("c", "a"), ("d", "c")], {"a": {}})
    ['b', 'c', 'd']
    >>> checked_pairs([("a", "b"), ("c", "c")], {})
    Traceback (most recent call last):
    ...
    graphmatch.errors.InvalidInput: a person cannot befriend themselves ('c')
    """
    unknown: dict[str, None] = {}
    # In slices: each call below is one C loop that keeps the GIL, and a cold probe of a
    # million-entry dict is about a microsecond, so the whole of a 1M-friendship batch at
    # once held every reader off for 0.6 s; a slice of 8,192 pairs is a few ms.
    for lo in range(0, len(batch), 8192):
        part = batch[lo : lo + 8192]
        try:
            shapes = set(map(len, part))
        except TypeError:
            shapes = {0}
        if shapes - {2}:
            bad = next(p for p in part if not hasattr(p, "__len__") or len(p) != 2)
            raise InvalidInput(f"a friendship is a pair of two ids, got {bad!r}")
        flat = list(chain.from_iterable(part))
        if any(map(eq, flat[0::2], flat[1::2])):
            a = next(a for a, b in part if a == b)
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        try:
            unknown.update(dict.fromkeys(filterfalse(adj.__contains__, flat)))
        except TypeError:  # an unhashable "id": the id check names it
            for p in flat:
                check_id(p)
            raise AssertionError("unreachable: an unhashable id is not a str") from None
    for p in unknown:
        check_id(p)
    return list(unknown)


def _intersect(flagged: set[str], person_ids: Iterable[str]) -> set[str]:
    """Intersect a flag set with ids, walking the smaller side when both allow lookups."""
    if not flagged:
        return set()
    if isinstance(person_ids, Set | Mapping) and len(person_ids) > len(flagged):
        return {p for p in flagged if p in person_ids}
    return flagged.intersection(person_ids)

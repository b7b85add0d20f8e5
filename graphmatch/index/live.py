"""The live read index: a CSR with room in every row, written in place, read without a lock.

A social graph never stops writing, so the compiled index must take each write as it comes
instead of being rebuilt. :class:`LiveIndex` is a *slack CSR*:

- **Rows with room.** Position p's friends are ``indices[start[p] : start[p] + deg[p]]``,
  sorted, inside a slot of ``room[p]`` slots (``deg + max(2, deg // 4)`` when built). A new
  friendship is a binary search and a shift inside two rows: O(degree), no allocation. A row
  that outgrows its slot moves to the tail in a slot twice as big (amortised O(1) per write);
  the slot it leaves is garbage.
- **Repack instead of rebuild.** When the tail would run out, every row is copied back to back
  into a new buffer with fresh room (O(edges), after at least O(edges / 4) writes: amortised
  O(1)), under the write lock, before the write that needs it (:meth:`LiveIndex.reserve`).
  A repack changes no answer and the old arrays are never written again, so it takes no
  version step: readers go on, on the old arrays, while writers wait for it. No write is lost
  because none can land meanwhile. Garbage never
  exceeds the tail's spare room, so memory stays within about 2.5x the packed rows however
  many writes go by (measured in ``docs/performance.md``).
- **Positions are reused.** A removed person leaves an empty, banned row behind, whose
  position the next newcomer takes (else a new person gets the next position), so people
  coming and going never grow the per-position arrays. So position order is no longer id
  order: ``rank[p]`` is p's place in id order among the people
  present (dense: 0 to people - 1, -1 for a removed position) and the kernels tie-break by it.
  Keeping it dense costs one vectorised pass over the positions per person added or removed
  (about a millisecond per million people), not per friendship.
- **Whole writes, read your writes.** A seqlock: :attr:`LiveIndex.version` is odd while a
  write is being applied and bumped to the next even number when it is done, before the write
  returns. A reader notes an even version, reads, and keeps its answer only if the version is
  still the same; otherwise it reads again, and after a few tries reads under the write lock.
  Readers never block writers and never see half a write; a write that has returned is in
  every read that starts after it.

networkx stays the source of truth: the store applies each write to its graph and then here,
inside one version step. Other designs weighed: a frozen base plus per-person deltas merged by
the kernels (a second lookup on every row read, and the merge is the rebuild we are avoiding);
copy-on-write rows (an allocation and a pointer chase per write and per read).

How to read the arrays consistently (the contract other kernels rely on)::

    def work():
        start, deg, indices = ix.rows()        # one tuple: never mixes two buffers
        ...                                    # plus ix.rank, ix.banned, ix.hidden, ix.ids
        return answer
    answer = ix.read(work)                     # retried until no write overlapped it

or hold ``ix.lock`` (the store's write lock) for the whole read. Inside ``work`` a torn state
may be seen (the answer is then discarded), so it must only index arrays with positions read
from them, as the kernels do.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, TypeVar, cast

import numpy as np

from graphmatch._validation import check_pair_shapes
from graphmatch.errors import PersonNotFound
from graphmatch.index import kernels, live_kernels
from graphmatch.index.csr import CSRIndex, check_positions
from graphmatch.index.idtable import ID_CHUNK, IdTable, split_ids

__all__ = ["LiveIndex"]

_T = TypeVar("_T")
_NONE = np.empty(0, dtype=np.int64)
#: Optimistic reads before a reader takes the write lock.
TRIES = 3

#: A thread's scratch: cnt, wsum, touched (a slot per position), kernel rows, scores, the
#: rows and scores as memoryviews, and the sizes they were made for (n, k, row slots).
_Scratch = tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    memoryview,
    memoryview,
    int,
    int,
    int,
]
#: Friendships (or newcomers) in the first step of a bulk add; later steps are sized to take
#: about BULK_STEP_SECONDS, within [BULK_MIN, BULK_MAX]: a step is the longest a reader may
#: wait on it, and networkx's share of a step varies 2-10 µs a friendship with the graph's
#: size and the machine's load.
BULK_CHUNK = 1024
BULK_STEP_SECONDS = 0.01
BULK_MIN = 512
BULK_MAX = 16384
#: Spare slots at the tail after a repack, at least (a quarter of the rows' room otherwise).
MIN_SPARE = 1024
#: Ids in a batch from which :meth:`LiveIndex.mutual_counts` looks them up in the id table
#: (:mod:`graphmatch.index.idtable`) rather than the dict: below, a join, an encode and a
#: kernel call cost more than the probes they spare.
TABLE_MIN = 256
#: Pairs a batch is read in, for the id table (see :meth:`LiveIndex._find_by_table`).
PAIRS_SLICE = 4096
#: Newcomers (not in the id table, so looked up in the dict) tolerated before the table is
#: built again: this many, or an eighth of the ids it holds if more.
TABLE_SLACK = 4096


def _room(deg: np.ndarray) -> np.ndarray:
    """Return the slot size each row gets on a (re)pack: its degree plus a quarter, 2 at least."""
    room: np.ndarray = deg + np.maximum(2, deg >> 2)
    return room


class _SortedIds:
    """The ids present, sorted, in blocks: where a newcomer's rank goes, in O(log n + block).

    One sorted list was simpler, but merging newcomers into it copied the whole list (and
    touched every id's reference count): 8 ms a step of newcomers at 1M people, 0.8 s of a
    100,000-newcomer ingest. Blocks of at most ``2 * LOAD`` ids cost a memmove of one block.
    """

    #: Ids per block after a split.
    LOAD = 1024

    def __init__(self, ids: Sequence[str]) -> None:
        load = self.LOAD
        self._blocks: list[list[str]] = [list(ids[i : i + load]) for i in range(0, len(ids), load)]
        self._maxes: list[str] = [b[-1] for b in self._blocks]
        self._len = len(ids)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._blocks)

    def insert_many(self, new: list[str]) -> np.ndarray:
        """Insert sorted ids not present; return how many present ids sort before each."""
        blocks, maxes = self._blocks, self._maxes
        if not blocks:
            blocks.append([])
            maxes.append(new[-1])
        lens = np.fromiter(map(len, blocks), np.int64, count=len(blocks))
        before = np.cumsum(lens) - lens
        last = len(blocks) - 1
        where = [min(bisect.bisect_left(maxes, p), last) for p in new]
        within = [bisect.bisect_left(blocks[i], p) for i, p in zip(where, new, strict=True)]
        at: np.ndarray = before[where] + np.array(within, np.int64)
        # Largest first: an insertion never moves the slot of a smaller newcomer found above.
        for i, j, p in zip(reversed(where), reversed(within), reversed(new), strict=True):
            blocks[i].insert(j, p)
        load = self.LOAD
        for i in sorted(set(where), reverse=True):
            b = blocks[i]
            if len(b) > 2 * load:
                parts = [b[k : k + load] for k in range(0, len(b), load)]
                blocks[i : i + 1] = parts
                maxes[i : i + 1] = [q[-1] for q in parts]
            else:
                maxes[i] = b[-1]
        self._len += len(new)
        return at

    def remove(self, person_id: str) -> None:
        """Remove a present id."""
        i = bisect.bisect_left(self._maxes, person_id)
        b = self._blocks[i]
        del b[bisect.bisect_left(b, person_id)]
        if not b:
            del self._blocks[i], self._maxes[i]
        else:
            self._maxes[i] = b[-1]
        self._len -= 1


class LiveIndex:
    """A compiled read index that takes writes in place (see the module docstring).

    Built from a frozen :class:`~graphmatch.index.csr.CSRIndex`; positions start in id order.
    The store calls the write methods under ``lock``, each inside :meth:`writing`.

    Parameters
    ----------
    frozen : CSRIndex
        The snapshot to start from.
    lock : threading.RLock, optional
        The store's write lock (a new one by default).

    Examples
    --------
    >>> import networkx as nx
    >>> ix = LiveIndex(CSRIndex(nx.Graph([("a", "b"), ("b", "c")])._adj, 0))
    >>> with ix.lock, ix.writing():
    ...     ix.add_person("0")
    ...     ix.add_friendship("0", "c")
    3
    >>> ix.read(lambda: ix.mutual_count_at(ix.pos["0"], ix.pos["b"]))
    1
    >>> ix.rank.tolist()[: len(ix.ids)], ix.freeze().ids
    ([1, 2, 3, 0], ['0', 'a', 'b', 'c'])
    """

    def __init__(self, frozen: CSRIndex, lock: threading.RLock | None = None) -> None:
        self.lock: threading.RLock = lock if lock is not None else threading.RLock()
        #: Even when no write is in progress; see the module docstring.
        self.version = 0
        #: Readers waiting on the lock after their optimistic tries.
        self.waiting = 0
        self._count = threading.Lock()
        n = len(frozen.ids)
        self.ids: list[str | None] = list(frozen.ids)
        self.pos: dict[str, int] = dict(frozen.pos)
        # The ids present, sorted: where a newcomer's rank goes.
        self._sorted = _SortedIds(frozen.ids)
        # Positions removed people left (empty, banned rows): a newcomer takes one first, so
        # people coming and going never grow the per-position arrays.
        self._free: list[int] = []
        self._n = n
        self._dtype = frozen.indices.dtype
        ncap = max(16, n + n // 8)
        self._deg = np.zeros(ncap, np.int64)
        self._deg[:n] = frozen.deg
        self.banned = np.ones(ncap, np.bool_)
        self.banned[:n] = frozen.banned
        self.hidden = np.zeros(ncap, np.bool_)
        self.hidden[:n] = frozen.hidden
        self.rank = np.full(ncap, -1, np.int64)
        self.rank[:n] = np.arange(n)
        self._start = np.zeros(ncap, np.int64)
        self._spare_room = np.zeros(ncap, np.int64)
        self._meta = np.zeros(2, np.int64)  # [tail, garbage]
        self._indices = np.zeros(0, self._dtype)
        self.repacks = 0
        self.repack_seconds = 0.0
        self._publish_rows(self._start, self._deg, self._indices)
        self._repack(0, frozen.start, frozen.deg, frozen.indices)
        self._local = threading.local()
        self._broken = False
        # Whether position order is still id order (no newcomer sorted before someone
        # present): the kernels then skip the rank array, 10-20% faster per suggest.
        self._ordered = True
        # Ids to positions in arrays, for batches of string ids: built by the first batch
        # that needs it, exact for the ids it holds (remove_person forgets them), newcomers
        # not in it. Counters: people added ever, and removed ever (a removal between a
        # lookup and the count it feeds means looking up again: the position may be reused).
        self._table: IdTable | None = None
        self._table_added = 0
        self._added = 0
        self.removals = 0

    # -- the published arrays ----------------------------------------------------------------
    def _publish_rows(self, start: np.ndarray, deg: np.ndarray, indices: np.ndarray) -> None:
        """Make these the arrays readers get (one tuple, so never two buffers mixed)."""
        self._start, self._deg, self._indices = start, deg, indices
        self._view = (start, deg, indices, self.rank, self.banned, self.hidden)

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(start, deg, indices)``: the friends of p are ``indices[start[p]:][:deg[p]]``.

        Rows are sorted ascending; ``start`` and ``deg`` have a slot per position (more than
        ``len(ids)``: the spare ones are empty). Read them inside :meth:`read` or under
        :attr:`lock`: a write changes them in place, or replaces them.

        Returns
        -------
        tuple of numpy.ndarray

        Examples
        --------
        >>> import networkx as nx
        >>> ix = LiveIndex(CSRIndex(nx.Graph([("a", "b")])._adj, 0))
        >>> start, deg, indices = ix.rows()
        >>> indices[start[0] : start[0] + deg[0]].tolist()
        [1]
        """
        view = self._view
        return view[0], view[1], view[2]

    @property
    def start(self) -> np.ndarray:
        """Where each row starts (see :meth:`rows`)."""
        return self._view[0]

    @property
    def deg(self) -> np.ndarray:
        """Each position's number of friends (see :meth:`rows`)."""
        return self._view[1]

    @property
    def indices(self) -> np.ndarray:
        """The shared row buffer (see :meth:`rows`)."""
        return self._view[2]

    @property
    def people(self) -> int:
        """Return how many people are indexed."""
        return len(self.pos)

    @property
    def nbytes(self) -> int:
        """Return the bytes held by the arrays (not the id list, map and sorted ids)."""
        arrays = (self._start, self._deg, self._spare_room, self._indices, self.rank)
        return int(sum(a.nbytes for a in arrays) + self.banned.nbytes + self.hidden.nbytes)

    def stats(self) -> dict[str, int]:
        """Return the buffer's size, its live and garbage slots and the positions used."""
        live = int(self._deg[: self._n].sum())
        return {
            "slots": int(self._indices.shape[0]),
            "tail": int(self._meta[0]),
            "live": live,
            "garbage": int(self._meta[1]),
            "positions": self._n,
            "people": len(self.pos),
            "nbytes": self.nbytes,
        }

    # -- consistent reads -----------------------------------------------------------------
    def read(self, fn: Callable[[], _T]) -> _T:
        """Return ``fn()`` computed while no write changed the index.

        Tries without a lock (a write meanwhile means another try), then under the write
        lock. An exception from a try that overlapped a write is taken for a torn read and
        retried; from a clean try it is raised.

        Parameters
        ----------
        fn : callable
            Reads the index's arrays and returns an answer; called possibly more than once.

        Returns
        -------
        object
            What fn returned on a read no write overlapped.

        Examples
        --------
        >>> import networkx as nx
        >>> ix = LiveIndex(CSRIndex(nx.Graph([("a", "b")])._adj, 0))
        >>> ix.read(lambda: int(ix.rows()[1][0]))
        1
        """
        for _ in range(TRIES):
            v = self.version
            if v & 1:
                time.sleep(0)  # a write is being applied: let it finish
                continue
            try:
                out = fn()
            except Exception:
                if self.version == v:
                    raise
                continue
            if self.version == v:
                return out
        # Writes kept landing: wait for the lock. A bulk write lets go of it between steps
        # and, seeing someone waiting, pauses so they get it (see yield_to_readers).
        with self._count:
            self.waiting += 1
        try:
            with self.lock:
                return fn()
        finally:
            with self._count:
                self.waiting -= 1

    def yield_to_readers(self) -> None:
        """Between two steps of a long write (lock not held): let waiting readers in first."""
        # Python locks hand over to no one in particular, and a writer that re-takes it at once
        # wins: so wait, the GIL and the CPU let go, until the readers waiting now have read
        # (20 ms at most). A fixed 1 ms sleep per step cost 3.9 s of a 1M-friendship ingest at
        # 1M people; spinning on sleep(0) for 2 ms lost the lock to the writer again on a
        # loaded machine, one read waiting 0.8 s.
        time.sleep(0)
        if self.waiting:
            deadline = time.perf_counter() + 0.02
            while self.waiting and time.perf_counter() < deadline:
                time.sleep(0.0001)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Apply a write: readers see all of it or none. Hold :attr:`lock` around it.

        Raises
        ------
        RuntimeError
            Re-raising anything that failed half-way; the index is then marked broken
            (:attr:`broken`) and the store drops it.
        """
        self.version += 1
        try:
            yield
        except BaseException:
            self._broken = True
            raise
        finally:
            self.version += 1

    @property
    def broken(self) -> bool:
        """Whether a write failed half-way: the index no longer matches the graph."""
        return self._broken

    # -- writes (under lock, inside writing()) ------------------------------------------------
    def _grow_positions(self, need: int) -> None:
        """Make room for need positions in all per-position arrays (new arrays, published)."""
        old = self.rank.shape[0]
        if need <= old:
            return
        ncap = max(need, 2 * old)

        def grown(a: np.ndarray, fill: Any) -> np.ndarray:
            out = np.full(ncap, fill, a.dtype)
            out[:old] = a
            return out

        self.rank = grown(self.rank, -1)
        self.banned = grown(self.banned, True)
        self.hidden = grown(self.hidden, False)
        self._spare_room = grown(self._spare_room, 0)
        self._publish_rows(grown(self._start, 0), grown(self._deg, 0), self._indices)

    def _repack(
        self,
        need: int,
        start: np.ndarray | None = None,
        deg: np.ndarray | None = None,
        indices: np.ndarray | None = None,
    ) -> None:
        """Copy the rows into a new buffer with fresh room and need slots spare at the tail."""
        t0 = time.perf_counter()
        start = self._start if start is None else start
        deg = self._deg if deg is None else deg
        indices = self._indices if indices is None else indices
        n = self._n
        ncap = self.rank.shape[0]
        room = np.zeros(ncap, np.int64)
        room[:n] = _room(deg[:n])
        room[:n][self.rank[:n] < 0] = 0  # removed people keep an empty row and no slot
        used = int(room.sum())
        size = used + max(need, used // 4, MIN_SPARE)
        out = np.zeros(size, self._dtype)
        out_start = np.zeros(ncap, np.int64)
        new_deg = np.zeros(ncap, np.int64)
        new_deg[:n] = deg[:n]
        tail = live_kernels.repack(start[:n], deg[:n], indices, room[:n], out_start, out)
        self._spare_room = room
        self._meta[:] = (tail, 0)
        self._publish_rows(out_start, new_deg, out)
        self.repacks += 1
        self.repack_seconds += time.perf_counter() - t0

    def compact(self) -> None:
        """Repack every row now (normally done when the tail runs out).

        Examples
        --------
        >>> import networkx as nx
        >>> ix = LiveIndex(CSRIndex(nx.Graph([("a", "b")])._adj, 0))
        >>> with ix.lock, ix.writing():
        ...     ix.compact()
        >>> ix.stats()["garbage"]
        0
        """
        self._repack(0)

    def add_person(self, person_id: str) -> int:
        """Give a new person the next position (an empty row); return it."""
        return self.add_people([person_id])[0]

    def add_people(self, person_ids: Sequence[str]) -> list[int]:
        """Give each new person (not yet indexed, no repeats) a position; return them.

        Positions removed people left are taken first, then the next ones.
        """
        new = sorted(person_ids)
        if not new:
            return []
        free = self._free
        k = min(len(free), len(new))
        reused = free[len(free) - k :]
        del free[len(free) - k :]
        first = self._n
        fresh = len(new) - k
        self._grow_positions(first + fresh)
        ordered = self._sorted
        present = len(ordered)
        at = ordered.insert_many(new)
        if at[0] < present or k:
            self._ordered = False
        # Each present person moves up by the number of newcomers before them in id order:
        # for rank r, how many of at are <= r (a prefix sum over ranks, then one compiled
        # pass over the positions: 3-5 ms a million people, whatever the newcomers). A
        # position being reused still has rank -1 here, so it is skipped.
        if len(new) <= 4:
            live = self.rank[:first]
            shift = np.zeros(first, np.int64)
            for i in at.tolist():
                shift += live >= i
            np.add(live, shift, out=live, where=live >= 0)
        else:
            upto = np.cumsum(np.bincount(at, minlength=present + 1))
            live_kernels.shift_ranks(self.rank, first, upto)
        where = np.concatenate((np.array(reused, np.int64), np.arange(first, first + fresh)))
        self.rank[where] = at + np.arange(len(new))
        self.banned[where] = False
        ids = self.ids
        for p, person in zip(reused, new, strict=False):
            ids[p] = person
        ids.extend(new[k:])
        self.pos.update(zip(new, where.tolist(), strict=True))
        self._n = first + fresh
        self._added += len(new)
        return [self.pos[p] for p in person_ids]

    def remove_person(self, person_id: str) -> None:
        """Drop a person: out of every friend's row, their row emptied, their rank freed."""
        p = self.pos.pop(person_id)
        table = self._table
        if table is not None:
            # Before the position can go to a newcomer: a table hit is never someone else.
            table.forget(person_id, p)
        live_kernels.clear_row(
            self._start, self._deg, self._spare_room, self._indices, self._meta, p
        )
        r = int(self.rank[p])
        self.rank[p] = -1
        self.banned[p] = True
        self.hidden[p] = False
        live = self.rank[: self._n]
        live[live > r] -= 1
        self.ids[p] = None
        self._sorted.remove(person_id)
        self._free.append(p)
        # Last: a batch that read the count before this removal ended looks up again (its
        # lookup may have found this person before the table forgot them).
        self.removals += 1

    def _pairs(self, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions of the pairs' two sides."""
        flat = list(chain.from_iterable(pairs))
        if len(flat) == 2:
            pos = self.pos
            return np.array([pos[flat[0]]]), np.array([pos[flat[1]]])
        # One C loop of dict probes (itemgetter), not a Python call per id.
        got = np.array(itemgetter(*flat)(self.pos), np.int64)
        return got[0::2], got[1::2]

    def add_friendship(self, a: str, b: str) -> None:
        """Add one friendship between two indexed people (both rows)."""
        self._add_pairs(*self._pairs([(a, b)]))

    def _add_pairs(self, a: np.ndarray, b: np.ndarray) -> None:
        """Add the friendships (a[i], b[i]) one by one, repacking whenever the tail runs out."""
        done = 0
        while done < a.shape[0]:
            done = live_kernels.add_pairs(
                self._start, self._deg, self._spare_room, self._indices, self._meta, a, b, done
            )
            if done < a.shape[0]:
                # The tail is full: repack, with room for what is left of the batch.
                self._repack(int(8 * (a.shape[0] - done)))

    def add_friendships(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Add friendships between indexed people; return how many were new.

        A few pairs go one by one (:func:`live_kernels.add_pairs`); more go as a
        :meth:`plan`, each touched row merged once (:meth:`apply`).
        """
        if not pairs:
            return 0
        if len(pairs) > 8:
            return self.apply(*self.plan(pairs))
        a, b = self._pairs(pairs)
        ends = np.unique(np.concatenate((a, b)))
        before = int(self._deg[ends].sum())
        self._add_pairs(a, b)
        # Each new friendship adds one entry to each of two rows.
        return (int(self._deg[ends].sum()) - before) // 2

    def plan(self, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Return the row entries these friendships make: ``(src, dst)``, sorted, no repeats.

        Each friendship is given both ways; reading only, so it runs before the write's
        version step (under :attr:`lock`: positions stay put), as :meth:`reserve_plan` does.

        Raises
        ------
        KeyError
            For an id that is not indexed.
        """
        a, b = self._pairs(pairs)
        n = max(self._n, 1)
        # One int64 key per entry (positions < 2**31): one sort finds rows and repeats.
        keys = np.unique(np.concatenate((a * n + b, b * n + a)))
        src, dst = np.divmod(keys, n)
        return src, dst

    def _bound(self, src: np.ndarray) -> int:
        """Return the most tail slots merging entries for these rows (sorted) can take."""
        # One compiled pass: the same in numpy (ten array calls) took 0.5 s of a
        # 1M-friendship ingest in steps of about a thousand.
        return int(live_kernels.tail_bound(src, self._deg, self._spare_room))

    def reserve(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Repack now if adding these friendships could run the tail out (lock held, no step).

        Called before the write's version step: a repack changes no answer (same rows, new
        arrays published in one assignment; the old ones are never written again), so it
        needs no step, and readers keep going on the old arrays meanwhile instead of waiting
        for it (a repack took 0.8 s at 1M people / 10M friendships). The bound is generous:
        a row that overflows moves at most to slots doubling up to 4x its final degree.
        """
        if not pairs:
            return
        pos = self.pos
        ends = [pos[p] for p in chain.from_iterable(pairs) if p in pos]
        if not ends:
            return
        rows, hits = np.unique(np.array(ends, np.int64), return_counts=True)
        final = self._deg[rows] + hits
        over = final > self._spare_room[rows]
        bound = int((4 * final[over] + 2 * live_kernels.MIN_ROOM).sum())
        if self._meta[0] + bound > self._indices.shape[0]:
            self._repack(bound)

    def reserve_plan(self, src: np.ndarray) -> None:
        """Repack now if merging a plan could run the tail out (lock held, no version step).

        As :meth:`reserve`: a repack changes no answer, so readers go on meanwhile. A repack
        gives rows new room, so the bound is taken again after it.
        """
        for _ in range(3):
            need = self._bound(src)
            if self._meta[0] + need <= self._indices.shape[0]:
                return
            self._repack(need)

    def apply(self, src: np.ndarray, dst: np.ndarray) -> int:
        """Merge a :meth:`plan` into the rows (inside :meth:`writing`); return the new friendships.

        One compiled pass; should the tail run out half-way, a repack and on from there.
        """
        done = 0
        added = 0
        while True:
            done, k = live_kernels.add_sorted(
                self._start, self._deg, self._spare_room, self._indices, self._meta,
                src, dst, done,
            )  # fmt: skip
            added += k
            if done >= src.shape[0]:
                return added // 2
            self._repack(self._bound(src[done:]) + 2 * (src.shape[0] - done))

    def remove_friendship(self, a: str, b: str) -> None:
        """Remove one friendship (both rows)."""
        pa, pb = self._pairs([(a, b)])
        live_kernels.remove_pairs(self._start, self._deg, self._indices, pa, pb)

    def set_flags(self, person_id: str, *, banned: bool, hidden: bool) -> None:
        """Set whether a person is undiscoverable (banned) and hidden as a mutual friend."""
        p = self.pos[person_id]
        self.banned[p] = banned
        self.hidden[p] = hidden

    # -- reads (call inside read(), or under lock) ------------------------------------------
    def _scratch(self, n: int, k: int, width: int) -> _Scratch:
        """Return this thread's scratch: zeroed rows at least n long, outputs for k x width.

        One attribute read of a thread-local per call, and the kernel's outputs are kept here
        rather than allocated and boxed per call (see :func:`kernels.suggest_into`). The
        outputs come with memoryviews (a memoryview's slice and ``tolist`` cost less than a
        numpy array's) and the sizes as ints (cheaper to compare than numpy shapes).
        """
        s: _Scratch | None = getattr(self._local, "s", None)
        if s is None or s[7] < n or s[8] < k or s[9] < k * width:
            n = max(n, 0 if s is None else s[7])
            k = max(k, 16 if s is None else s[8])
            # Outputs for the default explain (3) at least, so the common call never regrows.
            slots = max(k * width, k * 5, 0 if s is None else s[9])
            out = np.empty(slots, np.int64)
            out_scores = np.empty(k, np.float64)
            s = (
                np.zeros(n, np.int64),
                np.zeros(n, np.float64),
                np.zeros(n, np.int64),
                out,
                out_scores,
                out.data,
                out_scores.data,
                n,
                k,
                slots,
            )
            self._local.s = s
        return s

    def top(
        self,
        person_id: str,
        score: str,
        limit: int,
        cap: int | None,
        blocked_with: Callable[[str], Iterable[str]],
        explain: int,
        into: type[Any] | None = None,
    ) -> list[Any] | None:
        """Return the best candidates as ``(id, score, count, named mutual friends)``, or None.

        ``blocked_with(person_id)`` (everyone blocked either way) is read inside the same
        consistent read. None for a score the kernels do not know or an unknown person.
        With ``into`` (a class, such as :class:`graphmatch.Suggestion`), each row is built
        as an instance of it instead, its ``person``, ``score``, ``mutual_count`` and
        ``mutual`` set in its ``__dict__`` without calling ``__init__``: one Python loop over
        the rows instead of two (a tuple, then the object).
        """
        code = kernels.SCORE_CODES.get(score)
        if code is None:
            return None
        kcap = 2**62 if cap is None else cap
        # The latency path: one optimistic try written out, as read() would make it (no
        # closure, no call to read: 0.3-0.4 µs of a 5 µs fixed cost), then read() if a write
        # overlapped it. An exception from a try no write overlapped is raised.
        v = self.version
        if not v & 1:
            try:
                out = self._top(person_id, code, limit, kcap, blocked_with, explain, into)
            except Exception:
                if self.version == v:
                    raise
            else:
                if self.version == v:
                    return out
        return self.read(
            lambda: self._top(person_id, code, limit, kcap, blocked_with, explain, into)
        )

    def _top(
        self,
        person_id: str,
        code: int,
        limit: int,
        kcap: int,
        blocked_with: Callable[[str], Iterable[str]],
        explain: int,
        into: type[Any] | None,
    ) -> list[Any] | None:
        """One try of :meth:`top` (inside a consistent read)."""
        pos = self.pos
        u = pos.get(person_id)
        if u is None:
            return None
        start, deg, indices, rank, banned, hidden = self._view
        if self._ordered:
            rank = kernels.ORDERED
        blocked = blocked_with(person_id)
        extra = _NONE
        if blocked:
            extra = np.array([pos[p] for p in blocked if p in pos], dtype=np.int64)
        width = 2 + explain
        cnt, wsum, touched, out, out_scores, rows, values, _, _, _ = self._scratch(
            deg.shape[0], limit, width
        )
        m = kernels.suggest_into(
            start, deg, indices, rank, banned, hidden, extra, u, kcap, code, limit,
            explain, cnt, wsum, touched, out, out_scores,
        )  # fmt: skip
        ids = self.ids
        scores = values[:m].tolist()
        flat = rows[: m * width].tolist()
        if into is not None:
            # Built here, in the loop that reads the rows: a second loop over tuples cost
            # about 0.5 µs a row more (two rows of three named: 2.9 -> 2.0 µs, interleaved).
            new = object.__new__
            found = []
            for i in range(m):
                j = i * width
                x = new(into)
                d = x.__dict__
                d["person"] = ids[flat[j]]
                d["score"] = scores[i]
                d["mutual_count"] = flat[j + 1]
                d["mutual"] = [ids[w] for w in flat[j + 2 : j + width] if w >= 0]
                found.append(x)
            return found
        if explain == 0:
            return [(ids[flat[2 * i]], s, flat[2 * i + 1], []) for i, s in enumerate(scores)]
        return [
            (ids[flat[j]], s, flat[j + 1], [ids[w] for w in flat[j + 2 : j + width] if w >= 0])
            for j, s in zip(range(0, m * width, width), scores, strict=True)
        ]

    def mutual_count_at(self, x: int, y: int) -> int:
        """Return the friends in common of positions x and y (inside :meth:`read`)."""
        start, deg, indices = self.rows()
        return int(kernels.mutual_count(start, deg, indices, x, y))

    def mutual_count(self, a: str, b: str) -> int | None:
        """Return the friends in common of two ids, None if either is not indexed."""
        # The one-pair latency path: one optimistic try written out (no closure, no call
        # to read), then read() if a write overlapped it.
        v = self.version
        if not v & 1:
            pos = self.pos
            x = pos.get(a)
            y = pos.get(b)
            if x is not None and y is not None:
                view = self._view
                n = kernels.mutual_count(view[0], view[1], view[2], x, y)
                if self.version == v:
                    return int(n)

        def attempt() -> int | None:
            x = self.pos.get(a)
            y = self.pos.get(b)
            if x is None or y is None:
                return None
            view = self._view
            return int(kernels.mutual_count(view[0], view[1], view[2], x, y))

        return self.read(attempt)

    def positions(self, person_ids: Iterable[str]) -> np.ndarray:
        """Return the positions of the given ids (valid until the person is removed).

        Raises
        ------
        PersonNotFound
            For the first unknown id.
        """
        wanted = person_ids if isinstance(person_ids, list) else list(person_ids)
        if len(wanted) > 1:
            # One C loop of dict probes (itemgetter) rather than a bound-method call per id
            # (map(pos.get, ...)); an unknown or unhashable id is reported by the loop below.
            try:
                got = itemgetter(*wanted)(self.pos)
            except (KeyError, TypeError):
                pass
            else:
                return np.fromiter(got, dtype=np.int64, count=len(wanted))
        lookup = map(self.pos.get, wanted, repeat(-1))
        try:
            flat = np.fromiter(lookup, dtype=np.int64, count=len(wanted))
        except TypeError:  # an unhashable "id"
            raise PersonNotFound(next(p for p in wanted if not isinstance(p, str))) from None
        if flat.size and flat.min() < 0:
            raise PersonNotFound(wanted[int(np.argmin(flat))])
        return flat

    def _counts(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Count friends in common per pair of positions (on every core from 8,192 pairs)."""
        start, deg, indices = self.rows()
        if a.size < 2 * kernels.PAIR_CHUNK:
            return kernels.mutual_counts(start, deg, indices, a, b)
        with kernels.PARALLEL:
            return kernels.mutual_counts_parallel(start, deg, indices, a, b)

    def mutual_counts_at(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return the friends in common of each pair of positions (a[i], b[i]).

        Parameters
        ----------
        a, b : numpy.ndarray of int
            Positions (see :meth:`positions`), of equal length.

        Returns
        -------
        numpy.ndarray of int64

        Raises
        ------
        InvalidInput
            If the arrays differ in length, are not integers or hold a position out of range.

        Examples
        --------
        >>> import networkx as nx, numpy as np
        >>> ix = LiveIndex(CSRIndex(nx.Graph([("a", "b"), ("b", "c")])._adj, 0))
        >>> ix.mutual_counts_at(np.array([0, 0]), np.array([2, 1])).tolist()
        [1, 0]
        """
        a, b = check_positions(a, b, self._n)
        return self.read(lambda: self._counts(a, b))

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
        """Return the friends in common of each pair of ids, in one consistent read.

        Raises
        ------
        PersonNotFound
            For the first unknown id.
        InvalidInput
            If a pair does not hold two ids.
        """
        batch = pairs if isinstance(pairs, list) else list(pairs)
        # Ids to positions outside the consistent read: it is most of the time and
        # positions never change while their person is present, so a write landing
        # meanwhile costs a recount, not a second lookup (nor, after three, a lookup under
        # the write lock that holds every writer back). Unless someone was removed since.
        removals = self.removals
        flat = self._find(batch)
        return self.read(lambda: self._counts_present(batch, flat, removals))

    def _find(self, batch: Sequence[tuple[str, str]]) -> np.ndarray:
        """Return the positions of the batch's ids: by the id table for many, else the dict.

        Raises PersonNotFound for the first unknown id, as :meth:`positions` does.
        """
        flat = self._find_by_table(batch) if 2 * len(batch) >= TABLE_MIN else None
        if flat is not None:
            return flat
        check_pair_shapes(batch)
        wanted = list(chain.from_iterable(batch))
        flat = self.positions(wanted)
        # Dropped now, while its strings are in cache from the lookup: dropped after the
        # count, it cost 2M cold reference-count updates (13% of 1M pairs at 1M people).
        del wanted
        return flat

    def _find_by_table(self, batch: Sequence[tuple[str, str]]) -> np.ndarray | None:
        """Return the positions of the batch's ids by the id table, or None to use the dict.

        First by object (:meth:`IdTable.find_pairs`: an id that is the very str the table
        was built from, as ids handed out by the store are, is found without reading it),
        then by bytes, then the dict for newcomers. None (the dict's path and its errors)
        for an item that is not a tuple of two, or no table. Raises PersonNotFound for the
        first unknown id.
        """
        table = self._id_table()
        if table is None:
            return None
        flat = None
        if self._by_object(table, batch):
            with kernels.PARALLEL:
                flat = table.find_pairs(batch)
        if flat is None:
            flat = self._find_by_bytes(table, batch)
            if flat is None:
                return None
        miss = np.flatnonzero(flat < 0)
        if not miss.size:
            return flat
        if 2 * miss.size > flat.size:
            by_bytes = self._find_by_bytes(table, batch)
            if by_bytes is None:
                return None
            flat = by_bytes
        else:
            found = table.lookup_some([batch[i >> 1][i & 1] for i in miss.tolist()])
            if found is not None:
                flat[miss] = found
        miss = np.flatnonzero(flat < 0)
        # Newcomers since the table was built, and unknown ids: the dict says which.
        pos = self.pos
        for i in miss.tolist():
            person = batch[i >> 1][i & 1]
            try:
                p = pos.get(person)
            except TypeError:  # unhashable
                p = None
            if p is None:
                raise PersonNotFound(person)
            flat[i] = p
        return flat

    def _by_object(self, table: IdTable, batch: Sequence[tuple[str, str]]) -> bool:
        """Return whether most of a sample of the batch's ids are the table's own objects.

        Ids read from a file or a request are other objects than the graph's: then the pass
        by address finds none and only costs (5% of 200,000 pairs on LastFM Asia, whose
        edge list gives every occurrence of an id its own str).
        """
        if len(batch) <= 4 * PAIRS_SLICE:
            return True
        with kernels.PARALLEL:
            some = table.find_pairs(batch[:1024])
        return some is not None and 2 * int(np.count_nonzero(some < 0)) <= some.shape[0]

    def _find_by_bytes(self, table: IdTable, batch: Sequence[tuple[str, str]]) -> np.ndarray | None:
        """Return the positions of the batch's ids by their bytes (-1: not in the table).

        None for an item that is not a pair of str, or an id holding a NUL.
        """
        parts = []
        # Slice by slice, so each pair and its ids are read from memory once: the shape
        # check brings a slice's pairs into cache, the join its ids (its list of them is
        # made and dropped while they are in cache). Flattening the whole batch first, then
        # joining, then dropping the list read every id three times from memory.
        for lo in range(0, len(batch), PAIRS_SLICE):
            part = batch[lo : lo + PAIRS_SLICE]
            try:
                if set(map(len, part)) != {2}:
                    return None
                parts.append("\x00".join(chain.from_iterable(part)))
            except TypeError:  # not a pair, not a str
                return None
        m = 2 * len(batch)
        enc = split_ids("\x00".join(parts).encode("utf-8", "surrogatepass"), m)
        del parts
        if enc is None:
            return None
        if m >= 2 * ID_CHUNK:
            with kernels.PARALLEL:
                return table.find(*enc, parallel=True)
        return table.find(*enc)

    def _id_table(self) -> IdTable | None:
        """Return the id table, (re)built first if missing or short of many newcomers.

        Built from the dict without the lock and kept only if no write came meanwhile (then
        None, and this batch uses the dict): a removal must find in the table every id it
        holds. About 0.85 s at a million people (load 5), once, and again after each
        ``max(TABLE_SLACK, size / 8)`` newcomers.
        """
        table = self._table
        if table is not None and self._added - self._table_added <= max(
            TABLE_SLACK, table.size >> 3
        ):
            return table
        v = self.version
        if v & 1:
            return table
        added = self._added
        try:
            ids = list(self.pos)
            where = np.fromiter(self.pos.values(), np.int64, count=len(ids))
        except (RuntimeError, ValueError):  # a write changed the dict under the read
            return table
        if self.version != v:
            return table
        fresh = IdTable(ids, where)
        with self.lock:
            if self.version != v:
                return table
            self._table, self._table_added = fresh, added
        return fresh

    def _counts_present(
        self, batch: Sequence[tuple[str, str]], flat: np.ndarray, removals: int
    ) -> np.ndarray:
        """Count the pairs of flat's positions, looked up when ``removals`` people were gone.

        If someone was removed since, a position may be theirs no longer (gone, or a
        newcomer's): then the ids are looked up again, which raises PersonNotFound for them.
        """
        if self.removals != removals:
            flat = self._find(batch)
        return self._counts(flat[0::2], flat[1::2])

    def freeze(self) -> CSRIndex:
        """Return a packed, id-ordered :class:`CSRIndex` of the index as it is now.

        What a long read over everyone (``graphmatch batch``) ranks: it never changes. Taken
        under the write lock, O(friendships).

        Returns
        -------
        CSRIndex

        Examples
        --------
        >>> import networkx as nx
        >>> ix = LiveIndex(CSRIndex(nx.Graph([("b", "c")])._adj, 0))
        >>> with ix.lock, ix.writing():
        ...     _ = ix.add_person("a"); ix.add_friendship("a", "c")
        >>> f = ix.freeze(); f.ids, f.indptr.tolist(), f.indices.tolist()
        (['a', 'b', 'c'], [0, 1, 2, 4], [2, 2, 0, 1])
        """
        with self.lock:
            n = self._n
            rank = self.rank[:n]
            live = np.flatnonzero(rank >= 0)
            by_rank = np.empty(live.shape[0], np.int64)
            by_rank[rank[live]] = live
            deg = self._deg[by_rank]
            indptr = np.zeros(by_rank.shape[0] + 1, np.int64)
            np.cumsum(deg, out=indptr[1:])
            out = np.empty(int(indptr[-1]), self._dtype)
            live_kernels.gather_sorted(
                self._start, self._deg, self._indices, self.rank, by_rank, indptr, out
            )
            # Only present people: no None among them.
            ids = cast(list[str], [self.ids[p] for p in by_rank.tolist()])
            return CSRIndex.from_arrays(
                ids,
                indptr,
                out,
                self.banned[by_rank].copy(),
                self.hidden[by_rank].copy(),
                self.version,
            )

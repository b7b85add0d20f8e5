"""Durability for the memory store: a write-ahead journal plus snapshots in one directory.

:class:`JournaledStore` wraps a :class:`~graphmatch.MemoryStore` and implements the same
:class:`~graphmatch.GraphStore` Protocol. Reads go straight to the inner store. Every write,
under one lock:

1. is checked against the current state (unknown people, self-loops, bad ids or attributes
   raise here, and nothing is written);
2. is appended to ``journal.jsonl`` as one line, flushed and ``fsync``-ed;
3. is applied to the inner store;

and only then does the call return. So a write that returned is on disk, and no reader ever
sees a write that is not on disk yet (reads see state only after step 3).

Files in ``data_dir``:

``journal.jsonl``
    One record per line: ``<crc32 of the JSON, 8 hex digits> <JSON>\\n``. Each JSON record
    carries a sequence number ``s``, an operation ``op`` and its arguments. A final line without
    its newline or with a wrong checksum is a write torn by a crash (it was never acknowledged):
    it is dropped and the file truncated before new writes. A bad line anywhere else means the
    file was damaged after it was written; opening refuses with :class:`JournalCorrupt` rather
    than silently losing acknowledged writes.
``snapshot.json``
    The whole state as of sequence number ``seq``: a first line ``<crc32> <length>`` and then
    one JSON document. Written to a temporary file, ``fsync``-ed, moved into place with
    ``os.replace`` and the directory ``fsync``-ed, so it is always either the old or the new
    snapshot, never half of one.
``LOCK``
    Held with ``flock`` while a store is open, so two processes never append to one journal.

Opening loads the snapshot, replays journal records with a sequence number above the
snapshot's, and compacts (new snapshot, empty journal) when the journal was not empty.
A running store compacts again whenever the journal grows past ``compact_bytes``.

Examples
--------
>>> import tempfile
>>> from graphmatch.stores.memory import MemoryStore
>>> d = tempfile.mkdtemp()
>>> s = JournaledStore(MemoryStore(), d)
>>> s.add_person("a"), s.add_person("b"), s.add_friendship("a", "b")
(True, True, True)
>>> s.close()
>>> again = JournaledStore(MemoryStore(), d)
>>> again.friends("a")
['b']
>>> again.close()
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from graphmatch._validation import check_attrs, check_id
from graphmatch.errors import (
    GraphMatchError,
    InvalidInput,
    JournalCorrupt,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)
from graphmatch.stores.memory import MemoryStore
from graphmatch.stores.protocol import PairStats

if TYPE_CHECKING:
    from graphmatch.index import CSRIndex

try:  # flock is POSIX; elsewhere the directory lock is skipped (documented).
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_COMPACT_BYTES", "JournalCorrupt", "JournaledStore"]

logger = logging.getLogger(__name__)

#: Compact when the journal grows past this many bytes.
DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024
JOURNAL = "journal.jsonl"
SNAPSHOT = "snapshot.json"
LOCK = "LOCK"
SNAPSHOT_VERSION = 1
_OPS = frozenset(
    {
        "add_person",
        "add_people",
        "remove_person",
        "add_friendship",
        "add_friendships",
        "remove_friendship",
        "block",
        "unblock",
        "set_consent",
    }
)


def _crc(data: bytes) -> str:
    """Return the CRC-32 of data as 8 hex digits."""
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry (a rename or a new file) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return attrs as a plain dict if the journal can keep them (JSON), else raise."""
    clean = check_attrs(attrs)
    try:
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a journaled store keeps JSON attributes only: {exc}") from None
    return clean


class JournaledStore:
    """A :class:`~graphmatch.MemoryStore` whose acknowledged writes survive a crash.

    Parameters
    ----------
    inner : MemoryStore
        The store to keep durable. If ``data_dir`` holds data, inner must be empty; if not,
        whatever inner already holds is written as the first snapshot.
    data_dir : str or Path
        Directory for the journal and snapshot (created if missing).
    compact_bytes : int, default 64 MiB
        Compact when the journal grows past this size.
    fsync : bool, default True
        ``fsync`` every write before acknowledging it. Turning it off survives a process
        crash (the OS still has the bytes) but not a power cut.

    Raises
    ------
    InvalidInput
        If both inner and data_dir hold data.
    StoreUnavailable
        If another process holds the directory, or it cannot be written.
    JournalCorrupt
        If the snapshot or a journal record before the last is damaged.

    Examples
    --------
    >>> import tempfile
    >>> store = JournaledStore(MemoryStore(), tempfile.mkdtemp())
    >>> store.add_person("ann", {"city": "Oslo"})
    True
    >>> store.person("ann")["city"]
    'Oslo'
    >>> store.close()
    """

    def __init__(
        self,
        inner: MemoryStore,
        data_dir: str | Path,
        *,
        compact_bytes: int = DEFAULT_COMPACT_BYTES,
        fsync: bool = True,
    ) -> None:
        self.inner = inner
        self.data_dir = Path(data_dir)
        self.compact_bytes = compact_bytes
        self.fsync = fsync
        self._lock = threading.Lock()
        self._seq = 0
        self._closed = False
        self._broken: str | None = None
        self._journal: IO[bytes] | None = None
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._lockfile = open(self.data_dir / LOCK, "a+b")  # noqa: SIM115 - held while open
        except OSError as exc:
            raise StoreUnavailable(f"cannot use data dir {self.data_dir}: {exc}") from exc
        try:
            self._take_dir_lock()
            self._recover()
        except BaseException:
            self._lockfile.close()
            raise

    # -- opening ---------------------------------------------------------------------------
    def _take_dir_lock(self) -> None:
        """Hold an exclusive flock on the directory so one process owns the journal."""
        if fcntl is None:  # pragma: no cover
            return
        try:
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreUnavailable(
                f"data dir {self.data_dir} is in use by another process"
            ) from None

    def _recover(self) -> None:
        """Load the snapshot, replay the journal after it, then compact if anything replayed."""
        snap = self.data_dir / SNAPSHOT
        has_data = snap.exists() or (self.data_dir / JOURNAL).exists()
        if has_data and self.inner.counts() != (0, 0):
            raise InvalidInput("the inner store must be empty to open a data dir with data")
        if snap.exists():
            self._seq = self._load_snapshot(snap)
        replayed = self._replay(self.data_dir / JOURNAL)
        if replayed or not snap.exists():
            # Start from one clean snapshot: a torn tail is gone and replay stays short.
            self._compact_locked()
        else:
            self._open_journal()

    def _load_snapshot(self, path: Path) -> int:
        """Load a snapshot file into the inner store; return its sequence number."""
        raw = path.read_bytes()
        head, _, body = raw.partition(b"\n")
        try:
            crc, length = head.decode("ascii").split()
            ok = int(length) == len(body) and crc == _crc(body)
        except ValueError:
            ok = False
        if not ok:
            raise JournalCorrupt(f"snapshot {path} is damaged (checksum or length mismatch)")
        doc = json.loads(body)
        if doc.get("version") != SNAPSHOT_VERSION:
            raise JournalCorrupt(f"snapshot {path} has unknown version {doc.get('version')!r}")
        inner = self.inner
        inner.add_people((pid, attrs) for pid, attrs in doc["people"])
        inner.add_friendships((a, b) for a, b in doc["friendships"])
        for a, b in doc["blocks"]:
            inner.block(a, b)
        for pid in doc["undiscoverable"]:
            inner.set_consent(pid, discoverable=False)
        for pid in doc["hidden_as_mutual"]:
            inner.set_consent(pid, show_as_mutual=False)
        seq: int = doc["seq"]
        return seq

    def _replay(self, path: Path) -> int:
        """Apply journal records newer than the snapshot; drop a torn tail; return the count."""
        if not path.exists():
            return 0
        replayed = 0
        good_end = 0
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        # split() leaves the text after the last newline as the final item: b"" when the file
        # ends cleanly, else a torn write.
        complete, tail = lines[:-1], lines[-1]
        for i, line in enumerate(complete):
            record = self._parse(line)
            if record is None:
                if i == len(complete) - 1 and not tail:
                    logger.warning("journal %s: dropping a torn final record", path)
                    break
                raise JournalCorrupt(f"journal {path} is damaged at line {i + 1}")
            good_end += len(line) + 1
            if record["s"] <= self._seq:
                continue  # already in the snapshot (a crash between snapshot and truncation)
            self._seq = record["s"]
            if record.get("op") not in _OPS:
                raise JournalCorrupt(f"journal {path} line {i + 1}: unknown operation")
            # Records are checked before they are written, and replay is deterministic, so a
            # record that failed live fails identically here and changed nothing.
            with contextlib.suppress(GraphMatchError):
                self._apply(record["op"], record["a"])
            replayed += 1
        if tail:
            logger.warning("journal %s: dropping a torn final record", path)
        if good_end != path.stat().st_size:
            with open(path, "r+b") as f:
                f.truncate(good_end)
                f.flush()
                os.fsync(f.fileno())
        return replayed

    @staticmethod
    def _parse(line: bytes) -> dict[str, Any] | None:
        """Return the record on one journal line, or None if it fails its checksum."""
        crc, _, body = line.partition(b" ")
        if len(crc) != 8 or crc.decode("ascii", "replace") != _crc(body):
            return None
        try:
            record: dict[str, Any] = json.loads(body)
        except ValueError:
            return None
        return record

    def _open_journal(self) -> None:
        """Open the journal for appending."""
        self._journal = open(self.data_dir / JOURNAL, "ab")  # noqa: SIM115 - kept open

    # -- the write path ----------------------------------------------------------------------
    def _apply(self, op: str, a: dict[str, Any]) -> Any:
        """Apply one operation to the inner store and return its result."""
        inner = self.inner
        if op == "add_person":
            return inner.add_person(a["id"], a["attrs"], exist_ok=a["exist_ok"])
        if op == "add_people":
            return inner.add_people((pid, attrs) for pid, attrs in a["people"])
        if op == "remove_person":
            return inner.remove_person(a["id"])
        if op == "add_friendship":
            return inner.add_friendship(a["a"], a["b"])
        if op == "add_friendships":
            return inner.add_friendships((x, y) for x, y in a["pairs"])
        if op == "remove_friendship":
            return inner.remove_friendship(a["a"], a["b"])
        if op == "block":
            return inner.block(a["id"], a["other"])
        if op == "unblock":
            return inner.unblock(a["id"], a["other"])
        if op == "set_consent":
            return inner.set_consent(
                a["id"], discoverable=a["discoverable"], show_as_mutual=a["show_as_mutual"]
            )
        raise JournalCorrupt(f"unknown journal operation {op!r}")

    def _write(self, op: str, args: dict[str, Any], check: Callable[[], Any] | None = None) -> Any:
        """Check, journal (durably), then apply one write; return what the inner store says."""
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            if self._broken is not None:
                raise StoreUnavailable(self._broken)
            if check is not None:
                check()
            self._append({"s": self._seq + 1, "op": op, "a": args})
            self._seq += 1
            result = self._apply(op, args)
            if self._journal is not None and self._journal.tell() > self.compact_bytes:
                self._compact_locked()
            return result

    def _append(self, record: dict[str, Any]) -> None:
        """Append one record and make it durable, or leave the journal as it was."""
        journal = self._journal
        if journal is None:
            raise StoreUnavailable(self._broken or "the journal is not open")
        body = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
        line = _crc(body).encode() + b" " + body + b"\n"
        start = journal.tell()
        try:
            journal.write(line)
            journal.flush()
            if self.fsync:
                os.fsync(journal.fileno())
        except OSError as exc:
            # Cut off whatever part of the line reached the file, so the next record does not
            # follow half of this one; if even that fails, stop taking writes.
            try:
                journal.truncate(start)
                journal.seek(start)
                journal.flush()
            except OSError:
                self._broken = f"journal write failed and could not be undone: {exc}"
            raise StoreUnavailable(f"journal write failed: {exc}") from exc

    # -- compaction --------------------------------------------------------------------------
    def compact(self) -> None:
        """Write a snapshot of the whole state and start an empty journal.

        Writes wait while it runs; reads do not.

        Raises
        ------
        StoreUnavailable
            If the snapshot cannot be written (the journal is left as it was).

        Examples
        --------
        >>> import tempfile
        >>> s = JournaledStore(MemoryStore(), tempfile.mkdtemp())
        >>> _ = s.add_person("x")
        >>> s.compact()
        >>> (s.data_dir / "journal.jsonl").stat().st_size
        0
        >>> s.close()
        """
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            self._compact_locked()

    def _snapshot_doc(self) -> dict[str, Any]:
        """Return the whole inner state as JSON-ready data."""
        inner = self.inner
        # The wrapper lock already keeps writers out, so these reads see one state.
        graph = inner.graph
        people = [[pid, dict(attrs)] for pid, attrs in graph.nodes(data=True)]
        friendships = [[a, b] for a, b in graph.edges()]
        blocks = [[a, b] for a, b in inner.block_pairs()]
        nodes = graph.nodes
        return {
            "version": SNAPSHOT_VERSION,
            "seq": self._seq,
            "people": people,
            "friendships": friendships,
            "blocks": blocks,
            "undiscoverable": sorted(inner.undiscoverable(nodes)),
            "hidden_as_mutual": sorted(inner.hidden_as_mutual(nodes)),
        }

    def _compact_locked(self) -> None:
        """Snapshot then truncate the journal; the caller holds the lock (or is __init__)."""
        try:
            body = json.dumps(self._snapshot_doc(), separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"a journaled store keeps JSON attributes only: {exc}") from None
        data = body.encode()
        snap = self.data_dir / SNAPSHOT
        tmp = self.data_dir / (SNAPSHOT + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(f"{_crc(data)} {len(data)}\n".encode())
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, snap)
            _fsync_dir(self.data_dir)
        except OSError as exc:
            # The old snapshot and the journal are untouched: nothing is lost.
            raise StoreUnavailable(f"cannot write snapshot in {self.data_dir}: {exc}") from exc
        # A crash from here on leaves old records in the journal; their sequence numbers are
        # at most the snapshot's, so replay skips them.
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        try:
            with open(self.data_dir / JOURNAL, "wb") as f:
                os.fsync(f.fileno())
            _fsync_dir(self.data_dir)
            self._open_journal()
        except OSError as exc:
            self._broken = f"cannot reopen the journal in {self.data_dir}: {exc}"
            raise StoreUnavailable(self._broken) from exc

    # -- lifecycle ---------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise StoreUnavailable if the store is closed or its journal failed."""
        if self._closed:
            raise StoreUnavailable("the store is closed")
        if self._broken is not None:
            raise StoreUnavailable(self._broken)

    def close(self) -> None:
        """Close the journal and release the directory; the store is unusable afterwards."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._journal is not None:
                self._journal.close()
            self._lockfile.close()  # closing the file releases the flock

    def __enter__(self) -> JournaledStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes --------------------------------------------------------------------------------
    def _require(self, *person_ids: str) -> None:
        """Raise PersonNotFound for the first unknown id."""
        for pid in person_ids:
            if not self.inner.exists(pid):
                raise PersonNotFound(pid)

    def add_person(
        self, person_id: str, attrs: Mapping[str, Any] | None = None, *, exist_ok: bool = True
    ) -> bool:
        """Create a person or merge attrs into an existing one; return True if created."""
        check_id(person_id)
        clean = _check_attrs(attrs)

        def check() -> None:
            if not exist_ok and self.inner.exists(person_id):
                raise PersonExists(person_id)

        args = {"id": person_id, "attrs": clean, "exist_ok": exist_ok}
        created: bool = self._write("add_person", args, check)
        return created

    def add_people(self, people: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Create or update many people in one journal record; return how many were given."""
        batch = [[check_id(pid), _check_attrs(attrs)] for pid, attrs in people]
        if not batch:
            return 0
        count: int = self._write("add_people", {"people": batch})
        return count

    def remove_person(self, person_id: str) -> None:
        """Delete a person with their friendships, blocks and flags."""
        self._write("remove_person", {"id": person_id}, lambda: self._require(person_id))

    def add_friendship(self, a: str, b: str) -> bool:
        """Befriend two existing people; return True if the friendship is new."""
        if a == b:
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        self._require(a, b)
        if self.inner.graph.has_edge(a, b):
            return False  # idempotent: nothing to journal

        def check() -> None:
            self._require(a, b)

        new: bool = self._write("add_friendship", {"a": a, "b": b}, check)
        return new

    def add_friendships(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Bulk-add friendships (one journal record), creating missing people."""
        batch = [[check_id(a), check_id(b)] for a, b in pairs]
        for a, b in batch:
            if a == b:
                raise InvalidInput(f"a person cannot befriend themselves ({a!r})")
        if not batch:
            return 0
        new: int = self._write("add_friendships", {"pairs": batch})
        return new

    def remove_friendship(self, a: str, b: str) -> bool:
        """Remove a friendship; return True if there was one."""
        self._require(a, b)
        if not self.inner.graph.has_edge(a, b):
            return False  # nothing to journal
        removed: bool = self._write(
            "remove_friendship", {"a": a, "b": b}, lambda: self._require(a, b)
        )
        return removed

    def block(self, person_id: str, other: str) -> None:
        """Record that person_id blocks other."""
        if person_id == other:
            raise InvalidInput(f"a person cannot block themselves ({person_id!r})")
        self._write(
            "block", {"id": person_id, "other": other}, lambda: self._require(person_id, other)
        )

    def unblock(self, person_id: str, other: str) -> None:
        """Remove person_id's block of other, if any."""
        self._write(
            "unblock", {"id": person_id, "other": other}, lambda: self._require(person_id, other)
        )

    def set_consent(
        self,
        person_id: str,
        *,
        discoverable: bool | None = None,
        show_as_mutual: bool | None = None,
    ) -> None:
        """Set the consent flags given (None leaves a flag unchanged)."""
        args = {"id": person_id, "discoverable": discoverable, "show_as_mutual": show_as_mutual}
        self._write("set_consent", args, lambda: self._require(person_id))

    # -- reads: straight to the inner store ----------------------------------------------------
    def exists(self, person_id: str) -> bool:
        """Return whether the person is in the store."""
        return self.inner.exists(person_id)

    def person(self, person_id: str) -> dict[str, Any]:
        """Return profile attributes plus the two consent flags."""
        return self.inner.person(person_id)

    def friends(self, person_id: str) -> list[str]:
        """Return the person's friends, sorted by id."""
        return self.inner.friends(person_id)

    def degree(self, person_id: str) -> int:
        """Return the person's number of friends."""
        return self.inner.degree(person_id)

    def degrees(self, person_ids: Iterable[str]) -> dict[str, int]:
        """Return the degree of each known id."""
        return self.inner.degrees(person_ids)

    def counts(self) -> tuple[int, int]:
        """Return ``(people, friendships)``."""
        return self.inner.counts()

    def blocked_with(self, person_id: str) -> set[str]:
        """Return everyone person_id blocked or was blocked by."""
        return self.inner.blocked_with(person_id)

    def undiscoverable(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of discovery."""
        return self.inner.undiscoverable(person_ids)

    def hidden_as_mutual(self, person_ids: Iterable[str]) -> set[str]:
        """Return those of person_ids who opted out of being shown as a mutual friend."""
        return self.inner.hidden_as_mutual(person_ids)

    def mutual(
        self, a: str, others: Iterable[str], max_degree: int | None = None
    ) -> dict[str, dict[str, int]]:
        """Map each other id to its mutual friends with a."""
        return self.inner.mutual(a, others, max_degree)

    def two_hop_counts(self, person_id: str, max_degree: int | None = None) -> dict[str, int]:
        """Count friends in common with everyone two steps away."""
        return self.inner.two_hop_counts(person_id, max_degree)

    def two_hop_weights(
        self, person_id: str, max_degree: int | None = None
    ) -> dict[str, PairStats]:
        """Count friends in common and sum their weights, for everyone two steps away."""
        return self.inner.two_hop_weights(person_id, max_degree)

    # -- the inner store's compiled paths ---------------------------------------------------
    def top_candidates(
        self,
        person_id: str,
        score: str,
        limit: int,
        max_degree: int | None,
        explain: int,
    ) -> list[tuple[str, float, int, list[str]]] | None:
        """Rank with the inner store's read index (None: use the plain path)."""
        return self.inner.top_candidates(person_id, score, limit, max_degree, explain)

    def mutual_count(self, a: str, b: str) -> int:
        """Count the friends in common of one pair, through the inner store."""
        return self.inner.mutual_count(a, b)

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> list[int]:
        """Count friends in common per pair, through the inner store."""
        return self.inner.mutual_counts(pairs)

    def block_pairs(self) -> list[tuple[str, str]]:
        """Return every block as ``(who, whom)``, sorted, from the inner store."""
        return self.inner.block_pairs()

    def fresh_index(self) -> CSRIndex | None:
        """Return the inner store's index if it reflects every write so far, else None."""
        return self.inner.fresh_index()

    def build_index(self) -> CSRIndex:
        """Build the inner store's index now, start using it, and return it."""
        return self.inner.build_index()

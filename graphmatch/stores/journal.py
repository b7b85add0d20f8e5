"""Durability for the memory store: a write-ahead journal plus snapshots in one directory.

:class:`JournaledStore` wraps a :class:`~graphmatch.MemoryStore` and implements the same
:class:`~graphmatch.GraphStore` Protocol. Reads go straight to the inner store. Every write,
under one lock:

1. is checked against the current state (unknown people, self-loops, bad ids or attributes
   raise here, and nothing is written); a write that would change nothing (befriending
   friends, the same bulk again, blocking twice, a consent flag set to its value) returns
   here too, and nothing is written (dismissing twice, too);
2. is appended to ``journal.jsonl`` as one line and ``fsync``-ed; if that fails (a full disk)
   the partial line is cut off again, the write raises :class:`StoreUnavailable` and is *not*
   applied, and the next write simply tries again;
3. is applied to the inner store;

and only then does the call return. So a write is either applied and acknowledged or refused
and not applied, and no reader ever sees a write that is not on disk yet.

Files in ``data_dir`` (format 2):

``MANIFEST``
    Written once, last, when the directory is first set up: ``<crc32> {"format": 2}``. A
    directory with a manifest must hold both files below; a missing one is refused, not taken
    for a fresh start.
``snapshot.json``
    The whole state as of sequence number ``seq``: a first line ``<crc32> <length>`` and then
    one JSON document (version 3 since it holds dismissals; versions 1 and 2, which had
    none, still open).
``journal.jsonl``
    Two fixed-width header lines, then one record per line:
    ``<crc32 of the JSON, 8 hex digits> <JSON>\\n``. Each record carries its sequence number
    ``s``; they run without a gap from ``base + 1``. The header lines are two slots
    ``#gmj2 base=<n> seq=<n> <crc32>``: ``base`` is the snapshot's ``seq`` the journal
    continues from, and every write rewrites the slot ``s % 2`` with its ``s`` before the one
    ``fsync`` that acknowledges it. So the highest valid slot says how far the journal is known
    to reach: a file that ends earlier was truncated. (A power cut while a write is in flight
    may persist that write's slot but not its record: one missing final record is accepted
    while the slots differ; a clean close writes both slots equal, and then none is.)
``LOCK``
    Held with ``flock`` while a store is open, so two processes never append to one journal.

Opening refuses with :class:`JournalCorrupt` -- one line naming the file and what is missing
or damaged -- for a missing or damaged snapshot, a missing, truncated or damaged journal, a
gap in sequence numbers, or a damaged complete record anywhere. Only a torn final line (no
newline: a write cut short by a crash, never acknowledged) is dropped. ``recover=True``
accepts the loss: it starts on what can be read, keeps the damaged files in
``damaged-<time>/`` and says what was lost in :attr:`JournaledStore.recovery_report` and the
log. Data dirs of format 1 (no manifest, no journal header) open with the same checks minus
those the header makes possible, and are rewritten as format 2 at once.

Opening replays the journal after the snapshot and compacts (new snapshot, empty journal)
when it held anything. A running store compacts again whenever the journal grows past
``compact_bytes``; a compaction that fails (no space) is retried later and never fails the
write that triggered it. Compaction writes both files to temporary names, ``fsync``-s them,
renames the snapshot and then the journal into place and ``fsync``-s the directory, so a
crash anywhere leaves a pair that opens.

Examples
--------
>>> import tempfile
>>> from graphmatch.stores.memory import MemoryStore
>>> d = tempfile.mkdtemp()
>>> s = JournaledStore(MemoryStore(), d)
>>> s.add_person("a"), s.add_person("b"), s.add_friendship("a", "b")
(True, True, True)
>>> s.add_friendship("a", "b")  # changes nothing: not journaled
False
>>> s.close()
>>> again = JournaledStore(MemoryStore(), d)
>>> again.friends("a"), again.recovery_report is None
(['b'], True)
>>> again.close()
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from graphmatch._validation import check_attrs, check_id
from graphmatch.errors import (
    GraphMatchError,
    InvalidInput,
    JournalCorrupt,
    PersonExists,
    PersonNotFound,
    StoreUnavailable,
)
from graphmatch.stores.memory import MemoryStore, checked_pairs
from graphmatch.stores.protocol import PairStats

if TYPE_CHECKING:
    from graphmatch.index.live import LiveIndex
    from graphmatch.presence.file import FilePresenceIndex

try:  # flock is POSIX; elsewhere the directory lock is skipped (documented).
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_COMPACT_BYTES",
    "JournalCorrupt",
    "JournaledStore",
    "RecoveryReport",
    "atomic_write",
]

logger = logging.getLogger(__name__)

#: Compact when the journal grows past this many bytes.
DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024
JOURNAL = "journal.jsonl"
SNAPSHOT = "snapshot.json"
MANIFEST = "MANIFEST"
LOCK = "LOCK"
PRESENCE = "presence.jsonl"
FORMAT = 2
#: 3 added ``dismissals``: a version that would ignore them refuses the file instead.
SNAPSHOT_VERSION = 3
_LEGACY_SNAPSHOT_VERSION = 1
_READABLE_SNAPSHOT_VERSIONS = (SNAPSHOT_VERSION, 2, _LEGACY_SNAPSHOT_VERSION)
_MAGIC = b"#gmj2"
_SLOT_RE = re.compile(rb"#gmj2 base=(\d{20}) seq=(\d{20}) ([0-9a-f]{8})\n")
_SLOT_BYTES = len(b"#gmj2 base=%020d seq=%020d %s\n" % (0, 0, b"0" * 8))
HEADER_BYTES = 2 * _SLOT_BYTES
_RECOVER_HINT = "open with recover=True (graphmatch serve --recover) to start without it"
_R = TypeVar("_R")
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
        "dismiss",
        "undismiss",
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


def atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace path with data so that a crash leaves either the old or the new file.

    Parameters
    ----------
    path : Path
        The file to replace.
    data : bytes
        Its new content.
    fsync : bool, default True
        Flush the file and its directory (off: survives a process crash, not a power cut).

    Raises
    ------
    OSError
        If the file cannot be written; the old file is then untouched.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "f"
    >>> atomic_write(p, b"x")
    >>> p.read_bytes()
    b'x'
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if fsync:
        _fsync_dir(path.parent)


def _slot(base: int, seq: int) -> bytes:
    """Return one fixed-width journal header slot."""
    text = b"#gmj2 base=%020d seq=%020d " % (base, seq)
    return text + _crc(text).encode() + b"\n"


def _write_all(fd: int, data: bytes, offset: int) -> None:
    """Write all of data at offset (pwrite may write less than asked)."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        if n <= 0:  # pragma: no cover - pwrite raises rather than return 0 on a full disk
            raise OSError(28, "short write")
        view, offset = view[n:], offset + n


def _check_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return attrs as a plain dict if the journal can keep them (JSON), else raise."""
    clean = check_attrs(attrs)
    try:
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a journaled store keeps JSON attributes only: {exc}") from None
    return clean


def _same(a: Any, b: Any) -> bool:
    """Return whether two attribute values are the same JSON (1, 1.0 and True differ)."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False  # a value from a prefilled graph that JSON cannot hold: treat as changed


@dataclass(frozen=True)
class RecoveryReport:
    """What ``recover=True`` found damaged or missing, and how much was lost.

    Attributes
    ----------
    problems : list of str
        One line per damage found (each names its file).
    records_lost : int
        Journaled writes known to be lost (gaps, damaged records, a truncated tail, writes
        covered only by a lost snapshot).
    lost_unknown : bool
        More may be lost than counted (a missing journal or header leaves nothing to count by).
    snapshot_lost : bool
        The snapshot could not be used: the state it held is gone, the journal replayed alone.
    replayed : int
        Journal records applied on top of what was read.
    not_applicable : int
        Records read but skipped because they depended on lost state (a person that no
        longer exists...).
    kept_in : str or None
        Where the damaged files were kept, as they were (nothing is deleted).
    people, friendships : int
        What the store holds after recovery.
    """

    problems: list[str]
    records_lost: int
    lost_unknown: bool
    snapshot_lost: bool
    replayed: int
    not_applicable: int
    kept_in: str | None
    people: int = 0
    friendships: int = 0

    def summary(self) -> str:
        """Return the report as one log line."""
        lost = f"{self.records_lost}{'+ (unknown)' if self.lost_unknown else ''}"
        return (
            f"recovered with loss: {lost} journaled write(s) lost"
            f"{', snapshot lost' if self.snapshot_lost else ''}; started with "
            f"{self.people} people, {self.friendships} friendships after replaying "
            f"{self.replayed} record(s); damaged files kept in {self.kept_in}; "
            f"problems: {' | '.join(self.problems)}"
        )


@dataclass
class _Scan:
    """What reading one journal file found."""

    exists: bool
    legacy: bool = False
    base: int | None = None
    head: int | None = None  # highest valid header slot
    min_last: int | None = None  # the last record the header proves must be there
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, record)
    problems: list[str] = field(default_factory=list)
    torn: bool = False
    end: int = 0  # byte offset after the last complete, good line
    lost: int = 0
    header_ok: bool = True


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
    recover : bool, default False
        Start even if files are missing or damaged, on whatever can be read; the damaged
        files are kept in ``damaged-<time>/`` and :attr:`recovery_report` says what was lost.

    Attributes
    ----------
    recovery_report : RecoveryReport or None
        Set when ``recover=True`` found something lost; None otherwise.

    Raises
    ------
    InvalidInput
        If both inner and data_dir hold data.
    StoreUnavailable
        If another process holds the directory, or it cannot be written.
    JournalCorrupt
        If a file is missing or damaged (see the module docstring) and recover is False.

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
        recover: bool = False,
    ) -> None:
        self.inner = inner
        self.data_dir = Path(data_dir)
        self.compact_bytes = compact_bytes
        self.fsync = fsync
        self.recover = recover
        self.recovery_report: RecoveryReport | None = None
        self._lock = threading.Lock()
        self._seq = 0
        self._base = 0
        self._end = 0
        self._fd: int | None = None
        self._closed = False
        self._tail_dirty = False  # a failed append may have left bytes past _end
        self._dir_dirty = False  # a rename whose directory fsync failed
        self._next_compact = compact_bytes
        self._presence: FilePresenceIndex | None = None
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._lockfile = open(self.data_dir / LOCK, "a+b")  # noqa: SIM115 - held while open
        except OSError as exc:
            raise StoreUnavailable(f"cannot use data dir {self.data_dir}: {exc}") from exc
        try:
            self._take_dir_lock()
            self._open_dir()
        except BaseException:
            self._close_fd()
            self._lockfile.close()
            raise

    @classmethod
    def _for_reading(cls, inner: MemoryStore, data_dir: str | Path) -> JournaledStore:
        """Return an unopened store whose reading and replay methods a follower reuses.

        It takes no lock and opens no file; it is closed, so every write it is asked for
        refuses. :class:`~graphmatch.stores.follower.JournalFollower` loads and tails a data
        dir through its ``_read_snapshot``, ``_load_snapshot_doc``, ``_scan_journal``,
        ``_parse`` and ``_replay``: one parser for recovery and for following.
        """
        self = cls.__new__(cls)
        self.inner, self.data_dir, self.recover = inner, Path(data_dir), False
        self.fsync, self.compact_bytes, self.recovery_report = False, 0, None
        self._lock = threading.Lock()
        self._seq = self._base = self._end = 0
        self._fd, self._closed, self._presence = None, True, None
        self._tail_dirty = self._dir_dirty = False
        self._next_compact = 0
        return self

    @property
    def position(self) -> int:
        """The sequence number of the last journaled write (0 before the first).

        It only grows, across compactions and restarts: a client that waits until a
        follower has applied it reads its own write (``serve --workers``).
        """
        return self._seq

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

    def _open_dir(self) -> None:
        """Decide what the directory holds, check it, load it, and leave a journal open."""
        d = self.data_dir
        for leftover in (SNAPSHOT, JOURNAL, MANIFEST):  # a crash mid-write leaves these
            with contextlib.suppress(FileNotFoundError):
                (d / (leftover + ".tmp")).unlink()
        has_manifest = (d / MANIFEST).exists()
        snap_path, journal_path = d / SNAPSHOT, d / JOURNAL
        if not has_manifest and not snap_path.exists() and not journal_path.exists():
            self._initialise()
            return
        if self.inner.counts() != (0, 0):
            raise InvalidInput("the inner store must be empty to open a data dir with data")
        if has_manifest:
            self._read_manifest()
        problems: list[str] = []
        snap_doc, snap_problem = self._read_snapshot(snap_path)
        header: bool | None = True if has_manifest else None
        if not has_manifest and snap_doc is not None:
            header = snap_doc.get("version") != _LEGACY_SNAPSHOT_VERSION
        scan = self._scan_journal(journal_path, header)
        legacy = not has_manifest and (header is False or scan.legacy)
        sound = snap_problem is None or not snap_path.exists()  # absent, or it reads fine
        if not has_manifest and not legacy and sound and self._never_written(snap_doc, scan):
            # The manifest is the last step of setting up a directory and no write is taken
            # before it: this is a set-up cut short, with nothing acknowledged. Start again.
            logger.warning("data dir %s: finishing an interrupted set-up", d)
            self._initialise()
            return
        if snap_problem is not None:
            problems.append(snap_problem)
        if not scan.exists:
            problems.append(f"{journal_path} is missing (the writes after the snapshot)")
        problems.extend(scan.problems)
        snap_seq = int(snap_doc["seq"]) if snap_doc is not None else None
        lost = scan.lost
        if snap_seq is not None and scan.base is not None and scan.base > snap_seq:
            problems.append(
                f"{snap_path} covers writes up to {snap_seq} but {journal_path} continues from "
                f"{scan.base}: writes {snap_seq + 1}..{scan.base} are missing"
            )
            lost += scan.base - snap_seq
        if snap_seq is not None and scan.records and scan.legacy:
            first = scan.records[0][1]["s"]
            if first > snap_seq + 1:
                problems.append(
                    f"{journal_path} starts at write {first} but {snap_path} ends at "
                    f"{snap_seq}: writes {snap_seq + 1}..{first - 1} are missing"
                )
                lost += first - snap_seq - 1
        if problems and not self.recover:
            raise JournalCorrupt(f"{problems[0]}; {_RECOVER_HINT}")
        # Load what can be read.
        snapshot_lost = snap_doc is None
        if snapshot_lost and scan.base:
            lost += scan.base  # the writes only the lost snapshot held
        if snap_doc is not None:
            self._load_snapshot_doc(snap_doc)
            self._seq = snap_seq or 0
        replayed, failed = self._replay(scan.records, tolerant=bool(problems))
        if scan.records:
            self._seq = max(self._seq, scan.records[-1][1]["s"])
        if scan.torn:
            logger.warning("journal %s: dropping a torn final record (never acknowledged)", d)
        if legacy:
            logger.warning("data dir %s: converting format 1 to format %d", d, FORMAT)
        if problems:
            moved = self._move_aside([snap_path, journal_path])
            people, friendships = self.inner.counts()
            self.recovery_report = RecoveryReport(
                problems=problems,
                records_lost=lost,
                lost_unknown=not scan.exists or not scan.header_ok or scan.legacy,
                snapshot_lost=snapshot_lost,
                replayed=replayed,
                not_applicable=failed,
                kept_in=str(moved),
                people=people,
                friendships=friendships,
            )
            logger.warning("data dir %s: %s", d, self.recovery_report.summary())
        clean = scan.exists and scan.header_ok and not scan.torn and not scan.legacy
        if problems or legacy or not has_manifest or replayed or not clean:
            # Start from one clean pair: the damage and the torn tail are gone, replay stays
            # short, and the manifest says from now on that both files must be there.
            self._compact_locked()
            self._write_manifest()
        else:
            self._base = scan.base or 0
            self._open_journal(journal_path, scan.end)

    @staticmethod
    def _never_written(snap_doc: dict[str, Any] | None, scan: _Scan) -> bool:
        """Return whether the files prove no write was ever acknowledged."""
        if snap_doc is not None and (snap_doc.get("seq") or snap_doc.get("people")):
            return False
        if scan.exists and (scan.base or scan.records or scan.problems):
            return False
        return not (snap_doc is not None and scan.exists)  # a full pair is opened as such

    def _initialise(self) -> None:
        """Set up an empty directory: inner's content as the first snapshot, then the manifest."""
        self._seq = 0
        self._compact_locked()
        self._write_manifest()

    def _read_manifest(self) -> None:
        """Check the manifest names this format."""
        path = self.data_dir / MANIFEST
        raw = path.read_bytes()
        crc, _, body = raw.rstrip(b"\n").partition(b" ")
        try:
            doc = json.loads(body) if crc.decode("ascii", "replace") == _crc(body) else None
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            if not self.recover:
                raise JournalCorrupt(f"{path} is damaged; {_RECOVER_HINT}")
            return
        if doc.get("format") != FORMAT:
            raise JournalCorrupt(f"{path} names format {doc.get('format')!r}, not {FORMAT}")

    def _write_manifest(self) -> None:
        """Write the manifest (temp, fsync, rename, fsync dir)."""
        body = json.dumps({"format": FORMAT}).encode()
        try:
            atomic_write(self.data_dir / MANIFEST, _crc(body).encode() + b" " + body + b"\n")
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {self.data_dir / MANIFEST}: {exc}") from exc

    def _read_snapshot(self, path: Path) -> tuple[dict[str, Any] | None, str | None]:
        """Return the snapshot document, or None and what is wrong with it."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None, f"{path} is missing (the state up to the journal's start)"
        head, _, body = raw.partition(b"\n")
        try:
            crc, length = head.decode("ascii").split()
            ok = int(length) == len(body) and crc == _crc(body)
        except ValueError:
            ok = False
        if not ok:
            return None, f"{path} is damaged (checksum or length mismatch)"
        try:
            doc = json.loads(body)
        except ValueError:
            return None, f"{path} is damaged (not JSON)"
        if doc.get("version") not in _READABLE_SNAPSHOT_VERSIONS:
            return None, f"{path} has unknown version {doc.get('version')!r}"
        return doc, None

    def _load_snapshot_doc(self, doc: dict[str, Any]) -> None:
        """Load a snapshot document into the inner store."""
        inner = self.inner
        inner.add_people((pid, attrs) for pid, attrs in doc["people"])
        inner.add_friendships((a, b) for a, b in doc["friendships"])
        for a, b in doc["blocks"]:
            inner.block(a, b)
        for pid in doc["undiscoverable"]:
            inner.set_consent(pid, discoverable=False)
        for pid in doc["hidden_as_mutual"]:
            inner.set_consent(pid, show_as_mutual=False)
        for a, b in doc.get("dismissals", ()):  # versions 1 and 2 had none
            inner.dismiss(a, b)

    def _scan_journal(self, path: Path, header: bool | None, data: bytes | None = None) -> _Scan:
        """Read a journal file and say what it holds and what is wrong with it.

        header: True for format 2, False for format 1, None to tell by the first bytes.
        data: the file's bytes when the caller read them already (a follower reads them from
        the descriptor it keeps; path then only names the file in problems).
        """
        if data is None:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return _Scan(exists=False)
        if header is None:
            header = data.startswith(_MAGIC) or not data
        scan = _Scan(exists=True, legacy=not header)
        start = 0
        if header:
            start = HEADER_BYTES
            slots = []
            for i in range(2):
                m = _SLOT_RE.fullmatch(data[i * _SLOT_BYTES : (i + 1) * _SLOT_BYTES])
                if m is not None and m.group(3).decode() == _crc(m.group(0)[:-9]):
                    slots.append((int(m.group(1)), int(m.group(2))))
            if not slots or len({b for b, _ in slots}) != 1:
                scan.header_ok = False
                what = "is empty (its header is gone)" if not data else "has a damaged header"
                scan.problems.append(f"{path} {what}")
            else:
                scan.base = slots[0][0]
                scan.head = max(s for _, s in slots)
                # Slots differ while writes run: the newest may name a write whose record a
                # power cut kept off the disk. Equal slots (a clean close) or one torn slot
                # (the write in flight was the slot's) prove the newest valid one.
                proven = len(slots) == 1 or slots[0][1] == slots[1][1]
                scan.min_last = max(scan.head if proven else scan.head - 1, scan.base)
        lines = data[start:].split(b"\n")
        # split() leaves the text after the last newline as the final item: b"" when the file
        # ends cleanly, else a write torn by a crash.
        complete, tail = lines[:-1], lines[-1]
        scan.torn = bool(tail)
        offset = start
        prev = scan.base
        damaged_since = 0  # damaged lines since the last good record
        for i, line in enumerate(complete):
            n = i + (3 if header else 1)  # the file's line number, header lines included
            offset += len(line) + 1
            record = self._parse(line)
            if record is None:
                scan.problems.append(f"{path} is damaged at line {n} (a complete record)")
                damaged_since += 1
                continue
            s = record["s"]
            if prev is not None and s != prev + 1:
                scan.problems.append(
                    f"{path} has a gap at line {n}: write {s} follows write {prev}"
                )
                scan.lost += max(0, s - prev - 1)
            elif prev is None:
                scan.lost += damaged_since  # before the first record, with no base to count by
            damaged_since = 0
            prev = s
            scan.records.append((n, record))
            if not scan.problems:
                scan.end = offset
        if not scan.problems:
            scan.end = offset
        last = prev or 0
        expected = last + damaged_since
        if scan.min_last is not None and expected < scan.min_last:
            scan.problems.append(
                f"{path} is truncated: its header says it reaches write {scan.head}, the file "
                f"ends at write {last}"
            )
            expected = scan.min_last
        scan.lost += expected - last
        return scan

    @staticmethod
    def _parse(line: bytes) -> dict[str, Any] | None:
        """Return the record on one journal line, or None if it is damaged."""
        crc, _, body = line.partition(b" ")
        if len(crc) != 8 or crc.decode("ascii", "replace") != _crc(body):
            return None
        try:
            record = json.loads(body)
        except ValueError:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("s"), int):
            return None
        if record.get("op") not in _OPS or not isinstance(record.get("a"), dict):
            return None
        return record

    def _replay(
        self, records: list[tuple[int, dict[str, Any]]], *, tolerant: bool
    ) -> tuple[int, int]:
        """Apply records newer than the snapshot; return (applied, failed)."""
        applied = failed = 0
        for _, record in records:
            if record["s"] <= self._seq:
                continue  # already in the snapshot (a crash between the two renames)
            try:
                self._apply(record["op"], record["a"])
            except GraphMatchError:
                # Records are checked before they are written and replay is deterministic, so
                # a record that failed live fails identically here and changed nothing. After
                # a loss (tolerant) it may depend on what was lost: count it.
                if tolerant:
                    failed += 1
                continue
            except (KeyError, TypeError, ValueError):
                if not tolerant:
                    raise JournalCorrupt(f"a journal record {record['s']} is malformed") from None
                failed += 1
                continue
            self._seq = record["s"]
            applied += 1
        return applied, failed

    def _move_aside(self, paths: list[Path]) -> Path:
        """Keep the damaged files in a new damaged-<time> folder; return it.

        They are hard-linked (copied where links fail), not moved: the compaction that follows
        renames fresh files over them, and until it has, the directory stays as it was.
        """
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self.data_dir / f"damaged-{stamp}"
        n = 1
        while target.exists():
            n += 1
            target = self.data_dir / f"damaged-{stamp}-{n}"
        try:
            target.mkdir()
            for path in [*paths, self.data_dir / MANIFEST]:
                if not path.exists():
                    continue
                try:
                    os.link(path, target / path.name)
                except OSError:
                    shutil.copy2(path, target / path.name)
            if self.fsync:
                _fsync_dir(target)
        except OSError as exc:
            raise StoreUnavailable(f"cannot keep the damaged files in {target}: {exc}") from exc
        return target

    def _open_journal(self, path: Path, end: int) -> None:
        """Open the journal for writing at offset end, cutting off a torn tail."""
        fd = os.open(path, os.O_RDWR)
        try:
            if os.fstat(fd).st_size != end:
                os.ftruncate(fd, end)
                if self.fsync:
                    os.fsync(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self._end = end

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
        if op == "dismiss":
            return inner.dismiss(a["id"], a["other"])
        if op == "undismiss":
            return inner.undismiss(a["id"], a["other"])
        raise JournalCorrupt(f"unknown journal operation {op!r}")

    def _write(self, op: str, prepare: Callable[[], dict[str, Any] | None], noop: Any) -> Any:
        """Check, journal (durably), then apply one write; return what the inner store says.

        prepare runs under the lock: it raises for a refused write, returns None for one
        that changes nothing (then noop is returned and nothing is written), else the
        record's arguments.
        """
        with self._lock:
            self._check_usable()
            args = prepare()
            if args is None:
                return noop
            self._append({"s": self._seq + 1, "op": op, "a": args})
            self._seq += 1
            result = self._apply(op, args)
            if self._end > self._next_compact:
                self._compact_quietly()
            return result

    def _check_usable(self) -> None:
        """Raise StoreUnavailable if the store is closed."""
        if self._closed or self._fd is None:
            raise StoreUnavailable("the store is closed")

    def _append(self, record: dict[str, Any]) -> None:
        """Append one record and make it durable, or leave the journal as it was and raise."""
        fd = self._fd
        assert fd is not None  # _check_usable ran
        if self._tail_dirty:
            try:
                self._repair_tail()
            except OSError as exc:
                raise StoreUnavailable(f"journal cannot be repaired yet: {exc}") from exc
        body = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
        line = _crc(body).encode() + b" " + body + b"\n"
        seq = record["s"]
        try:
            _write_all(fd, line, self._end)
            # The slot for this write, in the same fsync: the header then proves the record.
            os.pwrite(fd, _slot(self._base, seq), (seq % 2) * _SLOT_BYTES)
            if self.fsync:
                if self._dir_dirty:
                    _fsync_dir(self.data_dir)
                    self._dir_dirty = False
                os.fsync(fd)
        except OSError as exc:
            # Not acknowledged, so not applied: cut off whatever part reached the file. If
            # even that fails, the next write (or ping) tries again before writing.
            self._tail_dirty = True
            with contextlib.suppress(OSError):
                self._repair_tail()
            raise StoreUnavailable(f"journal write failed: {exc}") from exc
        self._end += len(line)

    def _repair_tail(self) -> None:
        """Cut the journal back to its last acknowledged record and restore that header slot."""
        fd = self._fd
        assert fd is not None
        os.ftruncate(fd, self._end)
        # The failed write may have set its slot to seq + 1: write it back to the last
        # acknowledged seq, so both slots agree (the state a clean close leaves).
        os.pwrite(fd, _slot(self._base, self._seq), ((self._seq + 1) % 2) * _SLOT_BYTES)
        if self.fsync:
            os.fsync(fd)
        self._tail_dirty = False

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
        >>> (s.data_dir / "journal.jsonl").stat().st_size == HEADER_BYTES
        True
        >>> s.close()
        """
        with self._lock:
            self._check_usable()
            self._compact_locked()

    def _compact_quietly(self) -> None:
        """Compact after an acknowledged write; on failure log, and retry later."""
        try:
            self._compact_locked()
        except StoreUnavailable as exc:
            # The write is journaled and applied: it must not be answered as failed. The
            # journal stays as it was; try again once it has grown a little more.
            self._next_compact = self._end + max(self.compact_bytes // 4, 1)
            logger.warning("compaction failed (retried later): %s", exc)

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
            "dismissals": [[a, b] for a, b in inner.dismissals()],
        }

    def _compact_locked(self) -> None:
        """Write snapshot and empty journal to temp files, rename both in; caller holds the lock."""
        try:
            body = json.dumps(self._snapshot_doc(), separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"a journaled store keeps JSON attributes only: {exc}") from None
        data = body.encode()
        d = self.data_dir
        snap, snap_tmp = d / SNAPSHOT, d / (SNAPSHOT + ".tmp")
        journal, journal_tmp = d / JOURNAL, d / (JOURNAL + ".tmp")
        seq = self._seq
        new_fd: int | None = None
        try:
            with open(snap_tmp, "wb") as f:
                f.write(f"{_crc(data)} {len(data)}\n".encode())
                f.write(data)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            new_fd = os.open(journal_tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            _write_all(new_fd, _slot(seq, seq) * 2, 0)
            if self.fsync:
                os.fsync(new_fd)
            # Snapshot first: a crash before the journal's rename leaves the new snapshot
            # beside the old journal, whose records up to seq replay skips.
            os.replace(snap_tmp, snap)
            os.replace(journal_tmp, journal)
        except OSError as exc:
            if new_fd is not None:
                os.close(new_fd)
            for tmp in (snap_tmp, journal_tmp):
                with contextlib.suppress(OSError):
                    tmp.unlink()
            # The old journal is still the one in place (and in use): nothing is lost.
            raise StoreUnavailable(f"cannot compact in {d}: {exc}") from exc
        self._close_fd()
        self._fd, self._end, self._base = new_fd, HEADER_BYTES, seq
        self._tail_dirty = False
        self._next_compact = self.compact_bytes
        if self.fsync:
            try:
                _fsync_dir(d)
            except OSError:
                self._dir_dirty = True  # flushed before the next write is acknowledged

    # -- presence beside the graph -----------------------------------------------------------
    def presence_index(self) -> FilePresenceIndex:
        """Return the presence index kept in this data dir, durable like the journal.

        Check-ins and events go to ``presence.jsonl`` beside the journal, each ``fsync``-ed
        before it is applied; the directory lock makes this process its only writer, so the
        file is compacted on opening. One index per store: every call returns the same one.

        Returns
        -------
        FilePresenceIndex

        Raises
        ------
        JournalCorrupt
            If a complete line of the file is damaged (unless the store was opened with
            ``recover=True``, which skips such lines).

        Examples
        --------
        >>> import tempfile
        >>> s = JournaledStore(MemoryStore(), tempfile.mkdtemp())
        >>> s.presence_index() is s.presence_index(), s.presence_index().path.name
        (True, 'presence.jsonl')
        >>> s.close()
        """
        from graphmatch.presence.file import FilePresenceIndex

        with self._lock:
            self._check_usable()
            if self._presence is None:
                self._presence = FilePresenceIndex(
                    self.data_dir / PRESENCE, fsync=self.fsync, compact=True, recover=self.recover
                )
            return self._presence

    # -- lifecycle ---------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise StoreUnavailable if the store is closed or its journal cannot be written."""
        self._check_usable()
        if self._tail_dirty:
            with self._lock:
                try:
                    if self._tail_dirty:
                        self._repair_tail()
                except OSError as exc:
                    raise StoreUnavailable(f"journal cannot be repaired: {exc}") from exc

    def _close_fd(self) -> None:
        """Close the journal's descriptor, if open."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Mark the journal cleanly closed and release the directory; the store is unusable."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._fd is not None and not self._tail_dirty:
                # Both slots equal: the next open knows the last record must be there.
                with contextlib.suppress(OSError):
                    _write_all(self._fd, _slot(self._base, self._seq) * 2, 0)
                    if self.fsync:
                        os.fsync(self._fd)
            self._close_fd()
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

    def _changes(self, person_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
        """Return those of attrs that differ from the person's stored ones."""
        have = self.inner.graph.nodes[person_id]
        missing = object()
        return {k: v for k, v in attrs.items() if not _same(have.get(k, missing), v)}

    def add_person(
        self, person_id: str, attrs: Mapping[str, Any] | None = None, *, exist_ok: bool = True
    ) -> bool:
        """Create a person or merge attrs into an existing one; return True if created."""
        check_id(person_id)
        clean = _check_attrs(attrs)

        def prepare() -> dict[str, Any] | None:
            if self.inner.exists(person_id):
                if not exist_ok:
                    raise PersonExists(person_id)
                changed = self._changes(person_id, clean)
                if not changed:
                    return None
                return {"id": person_id, "attrs": changed, "exist_ok": True}
            return {"id": person_id, "attrs": clean, "exist_ok": exist_ok}

        created: bool = self._write("add_person", prepare, False)
        return created

    def add_people(self, people: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Create or update many people in one journal record; return how many were given."""
        batch = [(check_id(pid), _check_attrs(attrs)) for pid, attrs in people]
        if not batch:
            return 0

        def prepare() -> dict[str, Any] | None:
            merged: dict[str, dict[str, Any]] = {}
            for pid, attrs in batch:  # later entries win, as in the inner store
                merged.setdefault(pid, {}).update(attrs)
            out = []
            for pid, attrs in merged.items():
                if not self.inner.exists(pid):
                    out.append([pid, attrs])
                elif changed := self._changes(pid, attrs):
                    out.append([pid, changed])
            return {"people": out} if out else None

        self._write("add_people", prepare, 0)
        return len(batch)

    def remove_person(self, person_id: str) -> None:
        """Delete a person with their friendships, blocks and flags."""

        def prepare() -> dict[str, Any]:
            self._require(person_id)
            return {"id": person_id}

        self._write("remove_person", prepare, None)

    def add_friendship(self, a: str, b: str) -> bool:
        """Befriend two existing people; return True if the friendship is new."""
        if a == b:
            raise InvalidInput(f"a person cannot befriend themselves ({a!r})")

        def prepare() -> dict[str, Any] | None:
            self._require(a, b)
            return None if self.inner.graph.has_edge(a, b) else {"a": a, "b": b}

        new: bool = self._write("add_friendship", prepare, False)
        return new

    def add_friendships(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Bulk-add friendships (one journal record of the new ones), creating missing people.

        Validated as :meth:`MemoryStore.add_friendships` does (ids already stored are not
        checked again), before the lock; the record holds the pairs not yet friends, each
        once (a pair given both ways may appear twice: replaying it changes nothing more).

        Examples
        --------
        >>> import tempfile
        >>> s = JournaledStore(MemoryStore(), tempfile.mkdtemp())
        >>> s.add_friendships([("a", "b"), ("b", "a"), ("a", "b")]), s.add_friendships([("b", "a")])
        (1, 0)
        >>> s.close()
        """
        batch = pairs if isinstance(pairs, list) else list(pairs)
        checked_pairs(batch, self.inner.graph._adj)
        if not batch:
            return 0
        # Tuples, so repeats fold in one dict pass (a JSON client sends lists).
        unique = dict.fromkeys([(a, b) for a, b in batch])

        def prepare() -> dict[str, Any] | None:
            adj = self.inner.graph._adj
            none: dict[str, Any] = {}
            new = [(a, b) for a, b in unique if b not in adj.get(a, none)]
            return {"pairs": new} if new else None

        count: int = self._write("add_friendships", prepare, 0)
        return count

    def remove_friendship(self, a: str, b: str) -> bool:
        """Remove a friendship; return True if there was one."""

        def prepare() -> dict[str, Any] | None:
            self._require(a, b)
            return {"a": a, "b": b} if self.inner.graph.has_edge(a, b) else None

        removed: bool = self._write("remove_friendship", prepare, False)
        return removed

    def _blocks(self, person_id: str, other: str) -> bool:
        """Return whether person_id blocks other (not the other way round)."""
        inner = self.inner
        # blocked_with is both directions; only when it names other is the exact list needed.
        return other in inner.blocked_with(person_id) and (person_id, other) in set(
            inner.block_pairs()
        )

    def block(self, person_id: str, other: str) -> None:
        """Record that person_id blocks other."""
        if person_id == other:
            raise InvalidInput(f"a person cannot block themselves ({person_id!r})")

        def prepare() -> dict[str, Any] | None:
            self._require(person_id, other)
            if self._blocks(person_id, other):
                return None
            return {"id": person_id, "other": other}

        self._write("block", prepare, None)

    def unblock(self, person_id: str, other: str) -> None:
        """Remove person_id's block of other, if any."""

        def prepare() -> dict[str, Any] | None:
            self._require(person_id, other)
            if not self._blocks(person_id, other):
                return None
            return {"id": person_id, "other": other}

        self._write("unblock", prepare, None)

    def dismiss(self, person_id: str, candidate: str) -> bool:
        """Record, durably, that person_id is not interested in candidate; True if new.

        Examples
        --------
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> s = JournaledStore(MemoryStore(), d)
        >>> _ = s.add_friendships([("a", "w"), ("w", "b")])
        >>> s.dismiss("a", "b"), s.dismiss("a", "b")
        (True, False)
        >>> s.close()
        >>> again = JournaledStore(MemoryStore(), d)
        >>> again.dismissed("a")
        ['b']
        >>> again.close()
        """
        if person_id == candidate:
            raise InvalidInput(f"a person cannot dismiss themselves ({person_id!r})")

        def prepare() -> dict[str, Any] | None:
            self._require(person_id, candidate)
            if candidate in self.inner.dismissed(person_id):
                return None
            return {"id": person_id, "other": candidate}

        new: bool = self._write("dismiss", prepare, False)
        return new

    def undismiss(self, person_id: str, candidate: str) -> bool:
        """Forget person_id's dismissal of candidate, durably; True if there was one."""

        def prepare() -> dict[str, Any] | None:
            self._require(person_id, candidate)
            if candidate not in self.inner.dismissed(person_id):
                return None
            return {"id": person_id, "other": candidate}

        removed: bool = self._write("undismiss", prepare, False)
        return removed

    def set_consent(
        self,
        person_id: str,
        *,
        discoverable: bool | None = None,
        show_as_mutual: bool | None = None,
    ) -> None:
        """Set the consent flags given (None leaves a flag unchanged)."""

        def prepare() -> dict[str, Any] | None:
            self._require(person_id)
            now = self.inner.person(person_id)
            d, m = discoverable, show_as_mutual
            d = None if d is None or now["discoverable"] == d else d
            m = None if m is None or now["show_as_mutual"] == m else m
            if d is None and m is None:
                return None
            return {"id": person_id, "discoverable": d, "show_as_mutual": m}

        self._write("set_consent", prepare, None)

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

    def dismissed(self, person_id: str) -> list[str]:
        """Return whom person_id dismissed, sorted by id."""
        return self.inner.dismissed(person_id)

    def dismissals(self) -> list[tuple[str, str]]:
        """Return every dismissal as ``(person, candidate)``, sorted (training negatives)."""
        return self.inner.dismissals()

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

    def top_candidates_as(
        self, person_id: str, score: str, limit: int, explain: int, into: type[_R]
    ) -> list[_R] | None:
        """Rank with the inner store's index, each row built as ``into`` (None: plain path)."""
        return self.inner.top_candidates_as(person_id, score, limit, explain, into)

    def mutual_count(self, a: str, b: str) -> int:
        """Count the friends in common of one pair, through the inner store."""
        return self.inner.mutual_count(a, b)

    def mutual_counts(self, pairs: Iterable[tuple[str, str]]) -> list[int]:
        """Count friends in common per pair, through the inner store."""
        return self.inner.mutual_counts(pairs)

    def block_pairs(self) -> list[tuple[str, str]]:
        """Return every block as ``(who, whom)``, sorted, from the inner store."""
        return self.inner.block_pairs()

    def fresh_index(self) -> LiveIndex | None:
        """Return the inner store's live index (None while there is none)."""
        return self.inner.fresh_index()

    def build_index(self) -> LiveIndex:
        """Build the inner store's index now, start using it, and return it."""
        return self.inner.build_index()

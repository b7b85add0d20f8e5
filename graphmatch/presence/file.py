"""Presence in a file: :class:`FilePresenceIndex`, a memory index kept in JSON lines.

The ``graphmatch checkin | checkout | nearby | event | top-pairs`` commands run in separate
processes; this index replays the file each opens and appends every write, so ``checkin`` in
one process is seen by ``nearby`` in the next. ``graphmatch serve --data-dir DIR`` keeps the
API's presence in ``DIR/presence.jsonl`` the same way, so check-ins and events survive a
restart.

Each line is ``<crc32, 8 hex digits> <JSON>``; a write is appended and ``fsync``-ed *before* it
is applied in memory, so a check-in that was acknowledged is on disk, and one whose write
failed (a full disk) raises :class:`~graphmatch.StoreUnavailable` and is not applied. A final
line without its newline (a write torn by a crash, never acknowledged) is dropped; a damaged
complete line refuses the file (:class:`~graphmatch.errors.JournalCorrupt`) unless
``recover=True``. Lines of the first format (plain JSON, no checksum) are still read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import zlib
from pathlib import Path
from typing import Any

from graphmatch.errors import JournalCorrupt, StoreUnavailable
from graphmatch.presence.memory import MemoryPresenceIndex
from graphmatch.presence.model import CheckIn, EventInfo

try:  # flock is POSIX; elsewhere concurrent CLI processes are not serialised (documented).
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

__all__ = ["FilePresenceIndex"]

logger = logging.getLogger(__name__)

#: Rewrite the file (when compacting is on) once it holds this many lines more than needed.
COMPACT_SLACK = 4096


def _crc(data: bytes) -> str:
    """Return the CRC-32 of data as 8 hex digits."""
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def _line(record: dict[str, Any]) -> bytes:
    """Return one record as a checksummed line."""
    body = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()
    return _crc(body).encode() + b" " + body + b"\n"


def _checkin_record(record: CheckIn) -> dict[str, Any]:
    """Return a check-in as a file record."""
    return {
        "op": "checkin",
        "person": record.person,
        "lat": record.lat,
        "lon": record.lon,
        "event": record.event,
        "visible": record.visible,
        "at": record.checked_in_at,
        "expires": record.expires_at,
    }


def _event_record(event: EventInfo) -> dict[str, Any]:
    """Return an event as a file record."""
    return {"op": "event", "id": event.id, "name": event.name, "lat": event.lat, "lon": event.lon}


class FilePresenceIndex(MemoryPresenceIndex):
    """A memory index replayed from, and appended to, a JSON-lines file.

    Parameters
    ----------
    path : str or Path
        The file; created on the first write. Expired check-ins in it are simply ignored.
    fsync : bool, default True
        ``fsync`` every write before it is applied (off: survives a process crash, not a
        power cut).
    compact : bool, default False
        Rewrite the file with only what is live on opening and whenever it has grown well past
        that. Only for a file one process owns (the server's, under its data dir lock): the CLI
        commands share their file between processes and only append.
    recover : bool, default False
        Skip damaged lines instead of refusing the file; ``recovery_report`` counts them.

    Attributes
    ----------
    recovery_report : str or None
        With ``recover=True``: what was skipped, or None if nothing was.

    Raises
    ------
    JournalCorrupt
        If a complete line of the file is damaged or not a presence record (and not recover).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.jsonl")
    >>> FilePresenceIndex(path).put(CheckIn("a", 1.0, 2.0, None, True, 0.0, 1e12), now=0.0)
    >>> FilePresenceIndex(path).get("a", now=1.0).lat
    1.0
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fsync: bool = True,
        compact: bool = False,
        recover: bool = False,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.fsync = fsync
        self.compacting = compact
        self.recover = recover
        self.recovery_report: str | None = None
        self._lines = 0
        if self.path.exists():
            self._load(time.time())
        if compact:
            self._compact_quietly(time.time())

    # -- reading ---------------------------------------------------------------------------
    def _load(self, now: float) -> None:
        """Replay the file into memory, cutting off a torn final line."""
        with open(self.path, "r+b") as fh:
            if fcntl is not None:  # a CLI process may be appending right now: wait for it
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            data = fh.read()
            lines = data.split(b"\n")
            complete, tail = lines[:-1], lines[-1]
            if tail:
                logger.warning("%s: dropping a torn final line (never acknowledged)", self.path)
                fh.truncate(len(data) - len(tail))
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
        skipped = []
        for n, line in enumerate(complete, 1):
            if not line.strip():
                continue
            try:
                self._replay(line, now)
            except (ValueError, KeyError, TypeError) as exc:
                if not self.recover:
                    raise JournalCorrupt(
                        f"{self.path}:{n}: not a presence record ({exc}); open with "
                        "recover=True (graphmatch serve --recover) to skip it"
                    ) from None
                skipped.append(n)
                continue
            self._lines += 1
        if skipped:
            self.recovery_report = (
                f"{self.path}: skipped {len(skipped)} damaged line(s): "
                + ", ".join(map(str, skipped[:20]))
            )
            logger.warning("%s", self.recovery_report)

    def _replay(self, raw: bytes, now: float) -> None:
        """Apply one line of the file to the memory index, without appending it again."""
        if raw.startswith(b"{"):
            rec = json.loads(raw)  # the first format: plain JSON, no checksum
        else:
            crc, _, body = raw.partition(b" ")
            if crc.decode("ascii", "replace") != _crc(body):
                raise ValueError("checksum mismatch")
            rec = json.loads(body)
        op = rec["op"]
        if op == "checkin":
            record = CheckIn(
                rec["person"],
                rec["lat"],
                rec["lon"],
                rec["event"],
                bool(rec["visible"]),
                float(rec["at"]),
                float(rec["expires"]),
            )
            super().put(record, now)
        elif op == "checkout":
            super().remove(rec["person"], now)
        elif op == "event":
            super().put_event(EventInfo(rec["id"], rec["name"], rec["lat"], rec["lon"]))
        else:
            raise KeyError(op)

    # -- writing ---------------------------------------------------------------------------
    def _append(self, record: dict[str, Any]) -> None:
        """Append one record durably, or leave the file as it was and raise StoreUnavailable."""
        line = _line(record)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {self.path}: {exc}") from exc
        try:
            if fcntl is not None:  # one appender at a time across CLI processes
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
            except OSError as exc:
                # Not applied, so not kept: cut off the part that reached the file.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                raise StoreUnavailable(f"presence write failed: {exc}") from exc
        finally:
            os.close(fd)  # releases the flock
        self._lines += 1

    def put(self, record: CheckIn, now: float) -> None:
        """Append a check-in, then store it."""
        with self._lock:  # file order is memory order
            self._append(_checkin_record(record))
            super().put(record, now)
            self._maybe_compact(now)

    def remove(self, person_id: str, now: float) -> bool:
        """Append a check-out (if there is anything to drop), then drop it."""
        with self._lock:
            if person_id not in self._records:
                return False  # changes nothing: not written
            self._append({"op": "checkout", "person": person_id})
            return super().remove(person_id, now)

    def put_event(self, event: EventInfo) -> bool:
        """Append an event (unless it is unchanged), then store it."""
        with self._lock:
            if self._events.get(event.id) == event:
                return False  # changes nothing: not written
            self._append(_event_record(event))
            return super().put_event(event)

    # -- compaction ------------------------------------------------------------------------
    def _maybe_compact(self, now: float) -> None:
        """Rewrite the file once it holds far more lines than live records."""
        if self.compacting and self._lines > COMPACT_SLACK + 2 * (
            len(self._records) + len(self._events)
        ):
            self._compact_quietly(now)

    def _compact_quietly(self, now: float) -> None:
        """Rewrite the file with what is live now; on failure keep appending to the old one."""
        from graphmatch.stores.journal import atomic_write

        with self._lock:
            self.purge(now)
            records = [_checkin_record(r) for r in self._records.values() if r.expires_at > now]
            events = [_event_record(e) for e in self._events.values()]
            data = b"".join(_line(r) for r in [*events, *records])
            try:
                atomic_write(self.path, data, fsync=self.fsync)
            except OSError as exc:
                logger.warning("cannot compact %s (kept as it is): %s", self.path, exc)
                return
            self._lines = len(records) + len(events)

"""Follow a data dir another process writes: a read-only copy that keeps up with the journal.

A :class:`JournalFollower` loads a :class:`~graphmatch.stores.JournaledStore`'s data dir (the
snapshot and the journal after it) into its own :class:`~graphmatch.MemoryStore`, without the
directory lock, and then tails ``journal.jsonl``: every complete record the writer appends is
applied to the store, in order, so the store's live index stays current. Reading and replaying
are the journal's own (``JournaledStore._scan_journal``, ``_parse``, ``_replay``): recovery
and following parse records with one code path.

A compaction renames a new journal over the old one; the follower keeps the old file open,
reads it to its end (the writer compacts under its lock, after the last record), then opens the
new file, whose header says it continues from the position reached. Anything else that does
not continue the sequence -- the journal shrinking under the follower (a write cut off again
after a failed ``fsync``), a gap, a damaged record -- raises :class:`JournalCorrupt`: the
follower's copy can no longer be trusted, and the caller starts a fresh follower (``serve
--workers`` restarts the worker process).

Examples
--------
>>> import tempfile
>>> from graphmatch.stores.journal import JournaledStore
>>> d = tempfile.mkdtemp()
>>> writer = JournaledStore(MemoryStore(), d)
>>> _ = writer.add_friendships([("a", "b"), ("b", "c")])
>>> follower = JournalFollower(d)
>>> follower.store.friends("b"), follower.position == writer.position
(['a', 'c'], True)
>>> _ = writer.add_friendship("a", "c")
>>> follower.poll(), follower.store.friends("a")
(1, ['b', 'c'])
>>> follower.close(); writer.close()
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphmatch.errors import JournalCorrupt, StoreUnavailable
from graphmatch.stores.journal import HEADER_BYTES, JOURNAL, MANIFEST, SNAPSHOT, JournaledStore
from graphmatch.stores.memory import MemoryStore

__all__ = ["JournalFollower"]

logger = logging.getLogger(__name__)

#: How often the background thread looks for new records, seconds.
DEFAULT_POLL_S = 0.002


class JournalFollower:
    """A read-only copy of a journaled data dir that applies the journal as it grows.

    Parameters
    ----------
    data_dir : str or Path
        A data dir set up by a :class:`~graphmatch.stores.JournaledStore` (its manifest is
        there); the writer may be running.
    inner : MemoryStore, optional
        The empty store to load into (default: a new one).
    open_timeout_s : float, default 10
        How long to wait for a consistent snapshot and journal pair (a compaction running
        while the follower opens) or for the manifest of a directory being set up.

    Attributes
    ----------
    store : MemoryStore
        The copy: serve reads from it. Writes must go to the writer.

    Raises
    ------
    StoreUnavailable
        If no consistent pair could be read within ``open_timeout_s``.
    JournalCorrupt
        If a file is damaged.

    Examples
    --------
    >>> import tempfile
    >>> from graphmatch.stores.journal import JournaledStore
    >>> d = tempfile.mkdtemp()
    >>> w = JournaledStore(MemoryStore(), d)
    >>> f = JournalFollower(d)
    >>> f.start()
    >>> _ = w.add_person("ann")
    >>> f.wait_for(w.position, timeout_s=5), f.store.exists("ann")
    (True, True)
    >>> f.close(); w.close()
    """

    def __init__(
        self,
        data_dir: str | Path,
        inner: MemoryStore | None = None,
        *,
        open_timeout_s: float = 10.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.store = inner if inner is not None else MemoryStore()
        self._reader = JournaledStore._for_reading(self.store, self.data_dir)
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self._offset = 0
        self.error: BaseException | None = None
        self._open(open_timeout_s)

    # -- opening ---------------------------------------------------------------------------
    def _open(self, timeout_s: float) -> None:
        """Load the snapshot and the journal that continues it, retrying across a compaction."""
        deadline = time.monotonic() + timeout_s
        while True:
            if (self.data_dir / MANIFEST).exists() and self._try_open():
                return
            if time.monotonic() > deadline:
                raise StoreUnavailable(
                    f"no consistent snapshot and journal to follow in {self.data_dir}"
                )
            time.sleep(0.01)

    def _try_open(self) -> bool:
        """Open the journal, then read the snapshot it continues; False to try again."""
        reader = self._reader
        try:
            fd = os.open(self.data_dir / JOURNAL, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            scan = reader._scan_journal(self.data_dir / JOURNAL, True, self._read_from(fd, 0))
            doc, problem = reader._read_snapshot(self.data_dir / SNAPSHOT)
            if scan.problems or problem is not None or doc is None:
                # A pair caught between the two renames of a compaction reads as damaged for
                # a moment; a damaged pair stays so, and the timeout says so.
                os.close(fd)
                return False
            if int(doc["seq"]) != scan.base:
                os.close(fd)  # snapshot and journal from different compactions: again
                return False
            reader._load_snapshot_doc(doc)
            reader._seq = int(doc["seq"])
            self._replay(scan.records)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        self._fd, self._offset = fd, scan.end
        return True

    @staticmethod
    def _read_from(fd: int, offset: int) -> bytes:
        """Return the bytes of fd from offset to its end."""
        chunks = []
        while chunk := os.pread(fd, 1 << 20, offset):
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    # -- following -------------------------------------------------------------------------
    @property
    def position(self) -> int:
        """The sequence number of the last journal record applied."""
        return self._reader.position

    def poll(self) -> int:
        """Apply the records appended since the last poll; return how many.

        Returns
        -------
        int
            Records applied (across a compaction, from both files).

        Raises
        ------
        JournalCorrupt
            If the journal no longer continues what was applied (it shrank, a record is
            damaged, a sequence number is missing): the copy must be rebuilt.
        """
        fd = self._fd
        if fd is None:
            raise StoreUnavailable("the follower is closed")
        before = self.position
        self._drain(fd)
        try:
            renamed = os.stat(self.data_dir / JOURNAL).st_ino != os.fstat(fd).st_ino
        except FileNotFoundError:
            renamed = False  # between a compaction's renames: the next poll sees the new file
        if renamed:
            self._drain(fd)  # the writer compacts after its last record: read it to the end
            self._switch()
        applied = self.position - before
        if applied:
            with self._changed:
                self._changed.notify_all()
        return applied

    def _drain(self, fd: int) -> None:
        """Apply the complete records of fd past the offset."""
        size = os.fstat(fd).st_size
        if size < self._offset:
            raise JournalCorrupt(
                f"{self.data_dir / JOURNAL} shrank under its follower (a write was cut off "
                "again); the follower must be rebuilt"
            )
        if size == self._offset:
            return
        data = self._read_from(fd, self._offset)
        end = data.rfind(b"\n") + 1  # a line without its newline is still being written
        if end == 0:
            return
        records = []
        for line in data[:end].split(b"\n")[:-1]:
            record = self._reader._parse(line)
            if record is None:
                raise JournalCorrupt(f"{self.data_dir / JOURNAL} has a damaged record")
            records.append((0, record))
        expected = self.position + 1
        for _, record in records:
            if record["s"] > expected:
                raise JournalCorrupt(
                    f"{self.data_dir / JOURNAL}: write {record['s']} follows {expected - 1}"
                )
            expected = max(expected, record["s"] + 1)
        self._replay(records)
        self._offset += end

    def _replay(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        """Apply records through the journal's replay; the position reaches the last one.

        (A record whose operation failed live fails identically here and changed nothing,
        as on opening; it still counts as applied.)
        """
        self._reader._replay(records, tolerant=False)
        if records:
            self._reader._seq = max(self._reader._seq, records[-1][1]["s"])

    def _switch(self) -> None:
        """Move to the journal a compaction put in place, which must continue the position."""
        try:
            fd = os.open(self.data_dir / JOURNAL, os.O_RDONLY)
        except FileNotFoundError:
            return
        scan = self._reader._scan_journal(self.data_dir / JOURNAL, True, self._read_from(fd, 0))
        if scan.problems or scan.base is None or scan.base != self.position:
            os.close(fd)
            if scan.base is not None and scan.base < self.position and not scan.problems:
                raise JournalCorrupt(f"{self.data_dir / JOURNAL} starts before the follower")
            if scan.problems and not scan.header_ok:
                return  # caught mid-write: the next poll looks again
            raise JournalCorrupt(
                f"{self.data_dir / JOURNAL} continues from {scan.base}, the follower is at "
                f"{self.position}; the follower must be rebuilt"
            )
        old, self._fd, self._offset = self._fd, fd, HEADER_BYTES
        if old is not None:
            os.close(old)
        self._drain(fd)

    def start(
        self,
        interval_s: float = DEFAULT_POLL_S,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Poll in a background thread every interval_s seconds until :meth:`close`.

        Parameters
        ----------
        interval_s : float
            Seconds between polls (the bound on how far the copy lags, plus the apply time).
        on_error : callable, optional
            Called with the error that stopped the thread (a journal it cannot follow).

        A :class:`JournalCorrupt` stops the thread and is kept in :attr:`error`;
        :meth:`wait_for` then raises it.
        """
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.poll()
                except BaseException as exc:  # kept, and raised to waiters
                    logger.error("journal follower stopped: %s", exc)
                    self.error = exc
                    with self._changed:
                        self._changed.notify_all()
                    if on_error is not None:
                        on_error(exc)
                    return

        self._thread = threading.Thread(target=run, name="journal-follower", daemon=True)
        self._thread.start()

    def wait_for(self, position: int, timeout_s: float) -> bool:
        """Wait until the follower has applied position; return whether it has.

        Parameters
        ----------
        position : int
            A journal position (a write's ``Graphmatch-Position``).
        timeout_s : float
            The longest wait, seconds.

        Returns
        -------
        bool
            True once applied, False after the timeout.

        Raises
        ------
        JournalCorrupt
            If the background thread stopped on a journal it cannot follow.
        """
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self.position < position:
                if self.error is not None:
                    raise JournalCorrupt(f"the journal follower stopped: {self.error}")
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def close(self) -> None:
        """Stop following and close the journal; the store stays readable."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

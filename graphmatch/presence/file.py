"""Presence in a file: :class:`FilePresenceIndex`, a memory index kept in JSON lines.

The ``graphmatch checkin | checkout | nearby | event | top-pairs`` commands run in separate
processes; this index replays the file each opens and appends every write, so ``checkin`` in
one process is seen by ``nearby`` in the next.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from graphmatch.errors import InvalidInput
from graphmatch.presence.memory import MemoryPresenceIndex
from graphmatch.presence.model import CheckIn, EventInfo

__all__ = ["FilePresenceIndex"]


class FilePresenceIndex(MemoryPresenceIndex):
    """A memory index replayed from, and appended to, a JSON-lines file (for the CLI).

    Parameters
    ----------
    path : str or Path
        The file; created on the first write. Expired check-ins in it are simply ignored.

    Raises
    ------
    InvalidInput
        If a line of the file is not a presence record.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.jsonl")
    >>> FilePresenceIndex(path).put(CheckIn("a", 1.0, 2.0, None, True, 0.0, 1e12), now=0.0)
    >>> FilePresenceIndex(path).get("a", now=1.0).lat
    1.0
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._loading = True
        if self.path.exists():
            now = time.time()
            with self.path.open(encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if line.strip():
                        self._replay(line, n, now)
        self._loading = False

    def _replay(self, line: str, n: int, now: float) -> None:
        """Apply line n of the file to the memory index, without appending it again."""
        try:
            rec = json.loads(line)
            op = rec["op"]
            if op == "checkin":
                super().put(
                    CheckIn(
                        rec["person"],
                        rec["lat"],
                        rec["lon"],
                        rec["event"],
                        bool(rec["visible"]),
                        float(rec["at"]),
                        float(rec["expires"]),
                    ),
                    now,
                )
            elif op == "checkout":
                super().remove(rec["person"], now)
            elif op == "event":
                super().put_event(EventInfo(rec["id"], rec["name"], rec["lat"], rec["lon"]))
            else:
                raise KeyError(op)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{self.path}:{n}: not a presence record ({exc})") from None

    def _append(self, record: dict[str, Any]) -> None:
        """Append one record to the file (not while replaying it)."""
        if self._loading:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def put(self, record: CheckIn, now: float) -> None:
        """Store and append a check-in."""
        super().put(record, now)
        self._append(
            {
                "op": "checkin",
                "person": record.person,
                "lat": record.lat,
                "lon": record.lon,
                "event": record.event,
                "visible": record.visible,
                "at": record.checked_in_at,
                "expires": record.expires_at,
            }
        )

    def remove(self, person_id: str, now: float) -> bool:
        """Drop and append a check-out."""
        found = super().remove(person_id, now)
        self._append({"op": "checkout", "person": person_id})
        return found

    def put_event(self, event: EventInfo) -> bool:
        """Store and append an event."""
        created = super().put_event(event)
        self._append(
            {"op": "event", "id": event.id, "name": event.name, "lat": event.lat, "lon": event.lon}
        )
        return created

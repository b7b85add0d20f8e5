"""JournalFollower applies exactly the journal's records: oracle, the data dir reopened."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from graphmatch import JournalCorrupt, MemoryStore
from graphmatch.stores.follower import JournalFollower
from graphmatch.stores.journal import JOURNAL, JournaledStore


def state(store: MemoryStore) -> dict[str, Any]:
    """Return the whole state of a memory store as the snapshot would hold it (no seq)."""
    doc = JournaledStore._for_reading(store, "unused")._snapshot_doc()
    doc.pop("seq")
    for key in ("people", "friendships"):
        doc[key] = sorted(sorted(x) if key == "friendships" else x for x in doc[key])
    return doc


def reopened(data_dir: Path) -> dict[str, Any]:
    """Return the state a store reopened from data_dir holds (the oracle)."""
    store = JournaledStore(MemoryStore(), data_dir)
    try:
        return state(store.inner)
    finally:
        store.close()


def random_writes(store: JournaledStore, rng: random.Random, n: int) -> None:
    """Make n random writes of every kind the journal records."""
    ids = [str(i) for i in range(30)]
    for _ in range(n):
        a, b = rng.sample(ids, 2)
        op = rng.randrange(9)
        if op == 0:
            store.add_person(a, {"n": rng.randrange(5)})
        elif op == 1:
            store.add_friendships([(a, b), tuple(rng.sample(ids, 2))])  # type: ignore[list-item]
        elif not (store.exists(a) and store.exists(b)):
            store.add_friendships([(a, b)])
        elif op == 2:
            store.add_friendship(a, b)
        elif op == 3:
            store.remove_friendship(a, b)
        elif op == 4:
            store.block(a, b)
        elif op == 5:
            store.unblock(a, b)
        elif op == 6:
            store.set_consent(a, discoverable=rng.random() < 0.5)
        elif op == 7:
            store.dismiss(a, b)
        elif rng.random() < 0.2:
            store.remove_person(a)
        else:
            store.undismiss(a, b)


@pytest.mark.parametrize("compact_bytes", [64 * 1024 * 1024, 2_000])
def test_follower_applies_exactly_the_journal(tmp_path: Path, compact_bytes: int) -> None:
    rng = random.Random(compact_bytes)
    writer = JournaledStore(MemoryStore(), tmp_path, compact_bytes=compact_bytes, fsync=False)
    random_writes(writer, rng, 50)
    follower = JournalFollower(tmp_path)  # opens on a journal with records in it
    try:
        for _ in range(20):
            random_writes(writer, rng, rng.randrange(1, 40))
            follower.poll()
            assert follower.position == writer.position
            assert state(follower.store) == state(writer.inner)
        base = writer._scan_journal(tmp_path / JOURNAL, True).base or 0
        assert (base > 0) == (compact_bytes < 10_000)  # the small journal was compacted
    finally:
        follower.close()
        writer.close()
    assert state(follower.store) == reopened(tmp_path)


def test_follower_thread_keeps_up_with_a_writer_thread(tmp_path: Path) -> None:
    writer = JournaledStore(MemoryStore(), tmp_path, compact_bytes=4_000, fsync=False)
    follower = JournalFollower(tmp_path)
    follower.start(interval_s=0.001)
    seen: list[bool] = []

    def write() -> None:
        rng = random.Random(7)
        for _ in range(40):
            random_writes(writer, rng, 10)
            # read-your-writes: the position a write returns is reached, bounded wait
            seen.append(follower.wait_for(writer.position, timeout_s=10))

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    try:
        assert seen and all(seen)
        assert state(follower.store) == state(writer.inner)
    finally:
        follower.close()
        writer.close()
    assert state(follower.store) == reopened(tmp_path)


def test_a_journal_that_shrinks_stops_the_follower(tmp_path: Path) -> None:
    writer = JournaledStore(MemoryStore(), tmp_path, fsync=False)
    writer.add_friendships([("a", "b"), ("b", "c")])
    follower = JournalFollower(tmp_path)
    writer.add_friendship("a", "c")
    follower.poll()
    size = (tmp_path / JOURNAL).stat().st_size
    os.truncate(tmp_path / JOURNAL, size - 5)  # as a cut-off write leaves it
    try:
        with pytest.raises(JournalCorrupt, match="shrank"):
            follower.poll()
    finally:
        follower.close()
        writer.close()


def test_a_data_dir_never_set_up_is_refused(tmp_path: Path) -> None:
    from graphmatch import StoreUnavailable

    with pytest.raises(StoreUnavailable, match="no consistent snapshot"):
        JournalFollower(tmp_path, open_timeout_s=0.05)

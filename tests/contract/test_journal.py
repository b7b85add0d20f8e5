"""The journaled memory store: acknowledged writes survive, torn tails are dropped, no more."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.stores.journal import JOURNAL, SNAPSHOT, JournalCorrupt, JournaledStore


def reopen(path: Path, **kwargs: Any) -> JournaledStore:
    return JournaledStore(gm.MemoryStore(), path, **kwargs)


def crash(s: JournaledStore) -> None:
    """Drop the store as a crashed process would: its files close, nothing is flushed."""
    # Every acknowledged write is already on disk; closing the handles (as the OS does for a
    # dead process) rather than leaking them keeps ResourceWarnings out of the test run.
    if s._journal is not None:
        s._journal.close()
    s._lockfile.close()


def state(store: gm.GraphStore, people: list[str]) -> dict[str, Any]:
    """Everything observable about people, for comparing two stores."""
    return {
        p: (
            store.person(p),
            store.friends(p),
            sorted(store.blocked_with(p)),
        )
        for p in people
        if store.exists(p)
    } | {"counts": store.counts()}


def write_everything(s: gm.GraphStore) -> None:
    s.add_person("a", {"city": "Oslo", "tags": ["x", "y"]})
    s.add_people([("b", {"n": 1}), ("c", {}), ("d", {}), ("gone", {})])
    s.add_person("a", {"age": 3})  # merge
    s.add_friendship("a", "b")
    s.add_friendships([("b", "c"), ("c", "d"), ("d", "new")])
    s.add_friendship("a", "gone")
    s.remove_person("gone")
    s.remove_friendship("c", "d")
    s.block("a", "d")
    s.block("b", "c")
    s.unblock("b", "c")
    s.set_consent("b", discoverable=False)
    s.set_consent("c", show_as_mutual=False)


PEOPLE = ["a", "b", "c", "d", "new", "gone"]


def test_every_kind_of_acknowledged_write_survives_a_reopen(tmp_path: Path) -> None:
    expected = gm.MemoryStore()
    write_everything(expected)
    s = reopen(tmp_path)
    write_everything(s)
    # No close(): a crash leaves the journal as it is.
    crash(s)
    again = reopen(tmp_path)
    assert state(again, PEOPLE) == state(expected, PEOPLE)
    again.close()
    third = reopen(tmp_path)  # and once more, now from the compacted snapshot
    assert state(third, PEOPLE) == state(expected, PEOPLE)
    third.close()


def test_the_journaled_store_answers_like_the_memory_store(tmp_path: Path) -> None:
    graph = nx.relabel_nodes(nx.powerlaw_cluster_graph(300, 4, 0.3, seed=2), str)
    plain = gm.MemoryStore(graph, index="off")
    # The wrapped store answers through its compiled index, the plain one through networkx.
    journaled = JournaledStore(gm.MemoryStore(graph.copy(), index="sync"), tmp_path)
    journaled.block("0", "5")
    plain.block("0", "5")
    for person in ("0", "7", "42"):
        for score in gm.SCORES:
            got = gm.Matcher(journaled).suggest(person, score=score)
            want = gm.Matcher(plain).suggest(person, score=score)
            assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
                (s.person, s.mutual_count, s.mutual) for s in want
            ]
            assert [s.score for s in got] == pytest.approx([s.score for s in want], abs=1e-9)
    journaled.close()


def test_a_prefilled_inner_store_becomes_the_first_snapshot(tmp_path: Path) -> None:
    inner = gm.MemoryStore(nx.Graph([("x", "y")]))
    JournaledStore(inner, tmp_path).close()
    again = reopen(tmp_path)
    assert again.friends("x") == ["y"]
    again.close()


def test_opening_data_with_a_nonempty_inner_store_is_refused(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.close()
    with pytest.raises(gm.InvalidInput):
        JournaledStore(gm.MemoryStore(nx.Graph([("x", "y")])), tmp_path)


def test_a_torn_final_record_is_dropped_and_writing_resumes(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    crash(s)
    journal = tmp_path / JOURNAL
    data = journal.read_bytes()
    # What a SIGKILL in the middle of the third write would leave behind.
    journal.write_bytes(data + b'1234abcd {"s":3,"op":"add_pers')
    again = reopen(tmp_path)
    assert again.counts() == (2, 0)
    again.add_friendship("a", "b")
    crash(again)
    third = reopen(tmp_path)
    assert third.friends("a") == ["b"]
    third.close()


def test_a_final_record_with_a_bad_checksum_is_dropped(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    crash(s)
    journal = tmp_path / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + lines[1].replace(b'"b"', b'"B"'))
    again = reopen(tmp_path)
    assert again.exists("a") and not again.exists("b") and not again.exists("B")
    again.close()


def test_damage_before_the_last_record_refuses_to_open(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    crash(s)
    journal = tmp_path / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0].replace(b'"a"', b'"z"') + lines[1])
    with pytest.raises(JournalCorrupt, match="line 1"):
        reopen(tmp_path)


def test_a_damaged_snapshot_refuses_to_open(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.compact()
    s.close()
    snap = tmp_path / SNAPSHOT
    snap.write_bytes(snap.read_bytes().replace(b'"a"', b'"b"'))
    with pytest.raises(JournalCorrupt, match="snapshot"):
        reopen(tmp_path)


def test_records_already_in_the_snapshot_are_not_replayed(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.compact()  # snapshot at sequence 1
    s.close()
    # A crash between writing the snapshot and emptying the journal leaves old records.
    body = json.dumps({"s": 1, "op": "add_person", "a": {"id": "ghost", "attrs": {},
                       "exist_ok": True}}).encode()  # fmt: skip
    import zlib

    crc = f"{zlib.crc32(body) & 0xFFFFFFFF:08x}".encode()
    (tmp_path / JOURNAL).write_bytes(crc + b" " + body + b"\n")
    again = reopen(tmp_path)
    assert again.exists("a") and not again.exists("ghost")
    again.close()


def test_the_journal_is_compacted_when_it_grows_past_the_bound(tmp_path: Path) -> None:
    s = reopen(tmp_path, compact_bytes=2000)
    for i in range(200):
        s.add_person(f"p{i}", {"i": i})
    assert (tmp_path / JOURNAL).stat().st_size <= 2000
    crash(s)
    again = reopen(tmp_path)
    assert again.counts() == (200, 0)
    assert again.person("p199")["i"] == 199
    again.close()


def test_each_acknowledged_write_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real(fd))
    s.add_friendship("a", "b")
    assert len(calls) == 1
    s.add_friendship("a", "b")  # already friends: nothing to write
    assert len(calls) == 1
    s.close()


def test_refused_writes_leave_no_record(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    size = (tmp_path / JOURNAL).stat().st_size
    for bad in (
        lambda: s.add_person("a", exist_ok=False),
        lambda: s.add_friendship("a", "a"),
        lambda: s.add_friendship("a", "zz"),
        lambda: s.add_person("", {}),
        lambda: s.add_person("x", {"id": 1}),
        lambda: s.add_person("x", {"when": object()}),
        lambda: s.block("a", "zz"),
        lambda: s.set_consent("zz", discoverable=False),
        lambda: s.remove_person("zz"),
        lambda: s.add_friendships([("q", "q")]),
    ):
        with pytest.raises(gm.GraphMatchError):
            bad()
    assert (tmp_path / JOURNAL).stat().st_size == size
    s.close()


def test_a_failed_journal_write_is_not_applied_and_not_left_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    size = (tmp_path / JOURNAL).stat().st_size

    def failing(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(gm.StoreUnavailable):
        s.add_person("b")
    monkeypatch.undo()
    assert not s.exists("b")
    assert (tmp_path / JOURNAL).stat().st_size == size
    s.add_person("c")
    crash(s)
    again = reopen(tmp_path)
    assert again.exists("a") and again.exists("c") and not again.exists("b")
    again.close()


def test_a_second_process_cannot_open_the_same_directory(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    with pytest.raises(gm.StoreUnavailable, match="in use"):
        reopen(tmp_path)
    s.close()
    reopen(tmp_path).close()


def test_a_closed_store_refuses_writes_and_pings(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.close()
    with pytest.raises(gm.StoreUnavailable):
        s.add_person("a")
    with pytest.raises(gm.StoreUnavailable):
        s.ping()
    s.close()  # closing twice is harmless


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    s = reopen(tmp_path, compact_bytes=20_000, fsync=False)
    s.add_person("hub")

    def work(w: int) -> None:
        for i in range(100):
            pid = f"{w}-{i}"
            s.add_person(pid)
            s.add_friendship("hub", pid)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.degree("hub") == 400
    crash(s)
    again = reopen(tmp_path)
    assert again.degree("hub") == 400
    assert again.counts() == (401, 400)
    again.close()


def test_the_journaled_store_offers_its_inner_stores_index_and_block_list(tmp_path: Path) -> None:
    from graphmatch.stores.protocol import HasIndex, ListsBlocks

    inner = gm.MemoryStore(nx.Graph([("a", "b"), ("b", "c")]), index="off")
    s = JournaledStore(inner, tmp_path, fsync=False)
    assert isinstance(s, HasIndex) and isinstance(s, ListsBlocks)
    s.block("c", "a")
    assert s.block_pairs() == inner.block_pairs() == [("c", "a")]
    assert s.fresh_index() is None  # index "off": nothing is built until asked
    built = s.build_index()
    assert built.ids == ["a", "b", "c"] and s.fresh_index() is built is inner.fresh_index()
    s.add_friendship("a", "c")
    assert s.fresh_index() is None  # a write makes the index stale, as on the inner store
    s.close()

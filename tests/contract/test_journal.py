"""The journaled memory store: acknowledged writes survive, torn tails are dropped, no more."""

from __future__ import annotations

import errno
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

import graphmatch as gm
from graphmatch.stores.journal import (
    HEADER_BYTES,
    JOURNAL,
    MANIFEST,
    SNAPSHOT,
    JournalCorrupt,
    JournaledStore,
    _crc,
    _slot,
)


def reopen(path: Path, **kwargs: Any) -> JournaledStore:
    return JournaledStore(gm.MemoryStore(), path, **kwargs)


def crash(s: JournaledStore) -> None:
    """Drop the store as a crashed process would: its files close, nothing is flushed."""
    # Every acknowledged write is already on disk; closing the handles (as the OS does for a
    # dead process) rather than leaking them keeps ResourceWarnings out of the test run.
    s._close_fd()
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


def record_lines(path: Path) -> tuple[bytes, list[bytes]]:
    """Return a journal's header and its record lines (with their newlines)."""
    data = path.read_bytes()
    return data[:HEADER_BYTES], data[HEADER_BYTES:].splitlines(keepends=True)


def test_a_final_record_with_a_bad_checksum_refuses_to_open(tmp_path: Path) -> None:
    # A complete line (it has its newline) was written whole: damage to it is not a torn write.
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    crash(s)
    journal = tmp_path / JOURNAL
    header, lines = record_lines(journal)
    journal.write_bytes(header + lines[0] + lines[1].replace(b'"b"', b'"B"'))
    with pytest.raises(JournalCorrupt, match=r"journal\.jsonl is damaged at line 4"):
        reopen(tmp_path)


def test_damage_before_the_last_record_refuses_to_open(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.add_person("b")
    crash(s)
    journal = tmp_path / JOURNAL
    header, lines = record_lines(journal)
    journal.write_bytes(header + lines[0].replace(b'"a"', b'"z"') + lines[1])
    with pytest.raises(JournalCorrupt, match="line 3"):
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


def journal_line(record: dict[str, Any]) -> bytes:
    """Return one journal record line, as the store writes it."""
    body = json.dumps(record, separators=(",", ":")).encode()
    return _crc(body).encode() + b" " + body + b"\n"


def test_records_already_in_the_snapshot_are_not_replayed(tmp_path: Path) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    s.compact()  # snapshot at sequence 1, journal continuing from 1
    s.close()
    # A crash between renaming the new snapshot and the new journal into place leaves the old
    # journal (continuing from 0) beside the snapshot that already holds its records.
    ghost = {"s": 1, "op": "add_person", "a": {"id": "ghost", "attrs": {}, "exist_ok": True}}
    (tmp_path / JOURNAL).write_bytes(_slot(0, 1) * 2 + journal_line(ghost))
    again = reopen(tmp_path)
    assert again.exists("a") and not again.exists("ghost")
    assert again.recovery_report is None
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
    # The write reached the live index in place: the same index, with the new friendship.
    assert s.fresh_index() is built
    assert built.mutual_count("a", "b") == 1 and s.mutual_count("b", "c") == 1
    s.close()


# -- the journal refuses what it cannot prove (drills) -----------------------------------------
def people_written(path: Path, n: int, *, first: int = 0, clean: bool = True) -> None:
    """Open path, add people p<first>..p<first+n-1> one write each, then close or crash."""
    s = reopen(path)
    for i in range(first, first + n):
        s.add_person(f"p{i}", {"i": i})
    if clean:
        s.close()
    else:
        crash(s)


def refusal(path: Path) -> str:
    """Open path expecting a refusal; return its message (checked to be one line)."""
    with pytest.raises(JournalCorrupt) as info:
        reopen(path)
    message = str(info.value)
    assert "\n" not in message and "recover" in message
    return message


def test_a_deleted_snapshot_refuses_and_recover_reports_the_writes_it_held(tmp_path: Path) -> None:
    people_written(tmp_path, 50)
    reopen(tmp_path).close()  # the 50 move into the snapshot
    people_written(tmp_path, 100, first=50)
    (tmp_path / SNAPSHOT).unlink()
    assert re.search(r"snapshot\.json is missing", refusal(tmp_path))
    s = reopen(tmp_path, recover=True)
    report = s.recovery_report
    assert report is not None and report.snapshot_lost and report.records_lost == 50
    assert s.counts() == (100, 0) and not s.exists("p0") and s.exists("p50")
    assert report.kept_in is not None and (Path(report.kept_in) / JOURNAL).exists()
    s.close()
    again = reopen(tmp_path)  # recovery left a consistent directory behind
    assert again.counts() == (100, 0) and again.recovery_report is None
    again.close()


@pytest.mark.parametrize("clean", [True, False], ids=["after-close", "after-crash"])
def test_a_journal_truncated_mid_file_refuses_and_recover_counts_the_loss(
    tmp_path: Path, clean: bool
) -> None:
    people_written(tmp_path, 100, clean=clean)
    journal = tmp_path / JOURNAL
    size = journal.stat().st_size
    with open(journal, "r+b") as f:
        f.truncate(HEADER_BYTES + (size - HEADER_BYTES) // 2)
    assert re.search(r"journal\.jsonl is truncated: .* reaches write 100", refusal(tmp_path))
    s = reopen(tmp_path, recover=True)
    kept = s.counts()[0]
    report = s.recovery_report
    assert report is not None and 40 < kept < 60
    # After a crash the header cannot vouch for the very last write (a power cut may have kept
    # it off the disk), so one fewer counts as lost.
    assert report.records_lost == 100 - kept - (0 if clean else 1)
    assert all(s.exists(f"p{i}") for i in range(kept))
    s.close()


def test_a_deleted_journal_refuses_and_recover_starts_on_the_snapshot(tmp_path: Path) -> None:
    people_written(tmp_path, 10)
    reopen(tmp_path).close()
    people_written(tmp_path, 90, first=10)
    (tmp_path / JOURNAL).unlink()
    assert re.search(r"journal\.jsonl is missing", refusal(tmp_path))
    s = reopen(tmp_path, recover=True)
    assert s.counts() == (10, 0)
    assert s.recovery_report is not None and s.recovery_report.lost_unknown
    s.close()


def test_both_files_deleted_is_not_taken_for_a_fresh_directory(tmp_path: Path) -> None:
    people_written(tmp_path, 5)
    (tmp_path / JOURNAL).unlink()
    (tmp_path / SNAPSHOT).unlink()
    assert "snapshot.json is missing" in refusal(tmp_path)
    assert (tmp_path / MANIFEST).exists()


def test_a_corrupt_last_complete_record_refuses_and_recover_drops_only_it(tmp_path: Path) -> None:
    people_written(tmp_path, 20)
    journal = tmp_path / JOURNAL
    header, lines = record_lines(journal)
    lines[-1] = lines[-1].replace(b'"p19"', b'"p91"')
    journal.write_bytes(header + b"".join(lines))
    assert re.search(
        r"journal\.jsonl is damaged at line 22 \(a complete record\)", refusal(tmp_path)
    )
    s = reopen(tmp_path, recover=True)
    assert s.counts() == (19, 0) and not s.exists("p19") and not s.exists("p91")
    assert s.recovery_report is not None and s.recovery_report.records_lost == 1
    s.close()


def test_a_gap_in_sequence_numbers_refuses_and_recover_reports_it(tmp_path: Path) -> None:
    people_written(tmp_path, 20)
    journal = tmp_path / JOURNAL
    header, lines = record_lines(journal)
    del lines[9]  # write 10 is gone, the rest intact
    journal.write_bytes(header + b"".join(lines))
    assert re.search(
        r"journal\.jsonl has a gap at line 12: write 11 follows write 9", refusal(tmp_path)
    )
    s = reopen(tmp_path, recover=True)
    assert s.counts() == (19, 0) and not s.exists("p9") and s.exists("p19")
    assert s.recovery_report is not None and s.recovery_report.records_lost == 1
    s.close()


def test_recover_on_an_undamaged_directory_reports_nothing(tmp_path: Path) -> None:
    people_written(tmp_path, 3)
    s = reopen(tmp_path, recover=True)
    assert s.counts() == (3, 0) and s.recovery_report is None
    s.close()


def test_a_format_1_directory_opens_and_is_converted(tmp_path: Path) -> None:
    # What the previous version wrote: a version-1 snapshot and a journal without a header.
    doc = {"version": 1, "seq": 2, "people": [["a", {}], ["b", {}]], "friendships": [],
           "blocks": [], "undiscoverable": [], "hidden_as_mutual": []}  # fmt: skip
    body = json.dumps(doc).encode()
    (tmp_path / SNAPSHOT).write_bytes(f"{_crc(body)} {len(body)}\n".encode() + body)
    edge = {"s": 3, "op": "add_friendship", "a": {"a": "a", "b": "b"}}
    (tmp_path / JOURNAL).write_bytes(journal_line(edge))
    s = reopen(tmp_path)
    assert s.friends("a") == ["b"] and s.recovery_report is None
    s.close()
    assert (tmp_path / MANIFEST).exists()
    assert (tmp_path / JOURNAL).read_bytes().startswith(b"#gmj2")
    again = reopen(tmp_path)
    assert again.friends("a") == ["b"]
    again.close()


# -- a full disk: refused and not applied, and recovered without a restart ---------------------
def test_a_write_the_disk_refuses_is_not_applied_and_the_next_one_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    size = (tmp_path / JOURNAL).stat().st_size
    real = os.pwrite

    def half_then_full(fd: int, data: bytes, offset: int) -> int:
        if offset >= size:  # the record: a part of it lands, then the disk is full
            if offset == size and len(data) > 4:
                return real(fd, bytes(data)[:4], offset)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", half_then_full)
    with pytest.raises(gm.StoreUnavailable, match="No space"):
        s.add_person("b", exist_ok=False)
    with pytest.raises(gm.StoreUnavailable):
        s.add_friendships([("a", "c")])
    assert not s.exists("b") and not s.exists("c")
    assert (tmp_path / JOURNAL).stat().st_size == size  # the partial record was cut off
    monkeypatch.undo()  # space is back
    s.ping()
    assert s.add_person("b", exist_ok=False) is True  # the retry is a first write, not a 409
    assert s.add_friendships([("a", "c")]) == 1
    crash(s)
    again = reopen(tmp_path)
    assert again.friends("a") == ["c"] and again.exists("b")
    again.close()


def test_a_failed_compaction_does_not_fail_the_write_that_triggered_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = reopen(tmp_path, compact_bytes=1000)
    real = os.replace

    def no_space(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    for i in range(30):  # crosses 1000 bytes: compaction fails, every write still succeeds
        assert s.add_person(f"p{i}") is True
    monkeypatch.setattr(os, "replace", real)
    for i in range(30, 60):
        s.add_person(f"p{i}")
    assert (tmp_path / JOURNAL).stat().st_size < 1000  # compacted once it could
    crash(s)
    again = reopen(tmp_path)
    assert again.counts() == (60, 0)
    again.close()


# -- writes that change nothing are not journaled -----------------------------------------------
def test_writes_that_change_nothing_write_nothing(tmp_path: Path) -> None:
    s = reopen(tmp_path, compact_bytes=1 << 40)
    pairs = [(f"u{i}", f"u{i + 1}") for i in range(10_000)]
    assert s.add_friendships(pairs) == 10_000
    s.add_person("a", {"city": "Oslo", "n": 1})
    s.add_people([("b", {"k": True})])
    s.block("a", "b")
    s.set_consent("a", discoverable=False)
    journal = tmp_path / JOURNAL
    size = journal.stat().st_size
    assert s.add_friendships(pairs) == 0
    assert s.add_friendships([(b, a) for a, b in pairs[:100]]) == 0
    assert s.add_friendship("u1", "u0") is False
    assert s.add_person("a", {"city": "Oslo"}) is False
    s.add_people([("b", {"k": True}), ("a", {"n": 1})])
    s.block("a", "b")
    s.unblock("b", "a")  # b never blocked a
    s.set_consent("a", discoverable=False)
    s.set_consent("b", discoverable=True, show_as_mutual=True)
    assert s.remove_friendship("a", "b") is False
    assert journal.stat().st_size == size
    # ...while a real change still is, and a value of another type is a change.
    s.add_person("a", {"n": 1.0})
    s.add_people([("b", {"k": 1})])
    s.block("b", "a")
    assert journal.stat().st_size > size
    crash(s)
    again = reopen(tmp_path)
    assert again.person("a")["n"] == 1.0 and isinstance(again.person("a")["n"], float)
    assert again.person("b")["k"] == 1 and again.person("b")["k"] is not True
    assert again.blocked_with("a") == {"b"} and again.block_pairs() == [("a", "b"), ("b", "a")]
    assert again.person("a")["discoverable"] is False
    again.close()


# -- presence beside the journal ------------------------------------------------------------------
def test_presence_in_the_data_dir_survives_a_crash_and_refuses_a_damaged_line(
    tmp_path: Path,
) -> None:
    from graphmatch.presence import CheckIn, EventInfo

    s = reopen(tmp_path)
    index = s.presence_index()
    assert index is s.presence_index()
    index.put_event(EventInfo("conf", "Conf", 1.0, 2.0))
    index.put(CheckIn("a", 1.0, 2.0, "conf", True, 0.0, 1e12), now=0.0)
    index.put(CheckIn("b", 1.0, 2.0, "conf", True, 0.0, 1e12), now=0.0)
    assert index.remove("b", now=1.0) is True
    lines = (tmp_path / "presence.jsonl").read_bytes().count(b"\n")
    assert index.remove("b", now=1.0) is False  # nothing to drop: nothing written
    assert index.put_event(EventInfo("conf", "Conf", 1.0, 2.0)) is False
    assert (tmp_path / "presence.jsonl").read_bytes().count(b"\n") == lines
    crash(s)
    # A torn final line is dropped; what was acknowledged is there.
    with open(tmp_path / "presence.jsonl", "ab") as f:
        f.write(b'0badc0de {"op":"checkin","person":"c"')
    s = reopen(tmp_path)
    again = s.presence_index()
    assert again.at_event("conf", now=2.0) == ["a"]
    assert again.get_event("conf") == EventInfo("conf", "Conf", 1.0, 2.0)
    assert again.get("b", now=2.0) is None and again.get("c", now=2.0) is None
    s.close()
    path = tmp_path / "presence.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"a"', b'"z"'))
    s = reopen(tmp_path)
    with pytest.raises(JournalCorrupt, match=r"presence\.jsonl:\d+: not a presence record"):
        s.presence_index()
    s.close()
    s = reopen(tmp_path, recover=True)
    assert s.presence_index().recovery_report is not None
    s.close()


def test_writes_after_a_reopen_that_replayed_nothing_continue_the_sequence(tmp_path: Path) -> None:
    people_written(tmp_path, 3)
    reopen(tmp_path).close()  # replays and compacts: snapshot at 3, an empty journal
    people_written(tmp_path, 1, first=3)  # opened without replay: continues from 3, not 0
    people_written(tmp_path, 2, first=4, clean=False)
    again = reopen(tmp_path)
    assert again.counts() == (6, 0) and again.recovery_report is None
    again.close()


def test_a_compaction_cut_between_its_two_renames_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = reopen(tmp_path)
    s.add_person("a")
    real = os.replace

    def snapshot_only(src: Any, dst: Any) -> None:
        if Path(dst).name == JOURNAL:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", snapshot_only)
    with pytest.raises(gm.StoreUnavailable):
        s.compact()  # the new snapshot is in place, the old journal still in use
    monkeypatch.undo()
    s.add_person("b")
    crash(s)
    again = reopen(tmp_path)
    assert again.counts() == (2, 0) and again.recovery_report is None
    again.close()


def test_a_set_up_cut_short_starts_fresh_but_a_lost_manifest_with_data_refuses(
    tmp_path: Path,
) -> None:
    # Set-up writes the journal and snapshot, then the manifest; no write is taken before.
    reopen(tmp_path).close()
    (tmp_path / MANIFEST).unlink()
    (tmp_path / SNAPSHOT).unlink()
    s = reopen(tmp_path)
    s.add_person("a")
    s.close()
    assert (tmp_path / MANIFEST).exists()
    (tmp_path / MANIFEST).unlink()
    (tmp_path / SNAPSHOT).unlink()  # the journal holds a write: this is not a fresh set-up
    assert "snapshot.json is missing" in refusal(tmp_path)

"""Dismissals ("not interested"), over every store and path.

A person who dismisses a suggestion never gets it again: not from ``suggest`` (plain path,
compiled kernels, Cypher) and not from ``rank``. A dismissal hides nothing else: the dismissed
person still sees the dismisser suggested, and once the two are friends the dismissed person
is named as a mutual friend like anyone. Dismissals are durable on the durable stores and
listed whole for training (``dismissals()``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graphmatch as gm
from graphmatch.stores.journal import JOURNAL, SNAPSHOT, JournalCorrupt, JournaledStore, _crc

# ann's friends: bob, cat, dan. eve knows all three, fay two (bob, cat), gus one (dan);
# hal is three steps away.
WORLD = [
    ("ann", "bob"), ("ann", "cat"), ("ann", "dan"),
    ("bob", "eve"), ("cat", "eve"), ("dan", "eve"),
    ("bob", "fay"), ("cat", "fay"),
    ("dan", "gus"),
    ("gus", "hal"),
]  # fmt: skip


@pytest.fixture(params=[True, False], ids=["push-down", "plain"])
def matcher(store: gm.GraphStore, request: pytest.FixtureRequest) -> gm.Matcher:
    """The world above in the ``store``, with and without the store's push-downs."""
    store.add_friendships(WORLD)
    return gm.Matcher(store, explain=10, push_down=request.param)


def _ids(found: list[gm.Suggestion]) -> list[str]:
    return [s.person for s in found]


def _dismisses(store: gm.GraphStore) -> gm.Dismisses:
    assert isinstance(store, gm.Dismisses), f"{type(store).__name__} keeps no dismissals"
    return store


def test_every_store_keeps_dismissals(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    d = _dismisses(store)
    assert d.dismissed("ann") == []
    assert d.dismiss("ann", "fay") is True
    assert d.dismiss("ann", "fay") is False  # idempotent
    assert d.dismiss("ann", "eve") is True
    assert d.dismiss("gus", "ann") is True
    assert d.dismissed("ann") == ["eve", "fay"]  # sorted
    assert d.dismissed("fay") == []  # one-way
    assert d.dismissals() == [("ann", "eve"), ("ann", "fay"), ("gus", "ann")]
    assert d.undismiss("ann", "eve") is True
    assert d.undismiss("ann", "eve") is False
    assert d.dismissed("ann") == ["fay"]


def test_bad_dismissals_are_refused_and_change_nothing(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    d = _dismisses(store)
    with pytest.raises(gm.InvalidInput):
        d.dismiss("ann", "ann")
    for call in (d.dismiss, d.undismiss):
        with pytest.raises(gm.PersonNotFound):
            call("ann", "nobody")
        with pytest.raises(gm.PersonNotFound):
            call("nobody", "ann")
    with pytest.raises(gm.PersonNotFound):
        d.dismissed("nobody")
    assert d.dismissals() == []
    assert store.counts() == (8, 10)  # no person was created on the way


@pytest.mark.parametrize("score", gm.SCORES)
def test_a_dismissed_candidate_is_never_suggested_again(
    store: gm.GraphStore, matcher: gm.Matcher, score: str
) -> None:
    before = matcher.suggest("ann", score=score)
    assert set(_ids(before)) == {"eve", "fay", "gus"}
    _dismisses(store).dismiss("ann", before[0].person)
    after = matcher.suggest("ann", score=score)
    # The others keep their order, scores and explanations; only the dismissed one is gone.
    assert after == before[1:]
    # A limit counts what is left: the dismissed one does not take a place.
    assert matcher.suggest("ann", limit=1, score=score) == before[1:2]


def test_the_limit_is_filled_past_many_dismissals(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    # ann's friend bob knows 30 more people; she dismisses the 20 best of them.
    store.add_friendships([("bob", f"p{i:02d}") for i in range(30)])
    store.add_friendships([("cat", f"p{i:02d}") for i in range(20)])  # the 20 best
    d = _dismisses(store)
    for i in range(20):
        d.dismiss("ann", f"p{i:02d}")
    found = matcher.suggest("ann", limit=5, score="common_neighbors")
    assert _ids(found) == ["eve", "fay", "gus", "p20", "p21"]
    assert not set(_ids(matcher.suggest("ann", limit=100))) & set(d.dismissed("ann"))


def test_a_dismissal_is_one_way(store: gm.GraphStore, matcher: gm.Matcher) -> None:
    _dismisses(store).dismiss("ann", "eve")
    assert "eve" not in _ids(matcher.suggest("ann"))
    assert "ann" in _ids(matcher.suggest("eve"))


def test_a_dismissed_person_who_becomes_a_friend_is_named_and_stays_dismissed(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    d = _dismisses(store)
    d.dismiss("ann", "gus")
    store.add_friendship("ann", "gus")
    # gus is ann's friend now: hal (gus's friend) is suggested, explained by gus.
    hal = {s.person: s for s in matcher.suggest("ann")}["hal"]
    assert hal.mutual_count == 1 and hal.mutual == ["gus"]
    assert "gus" in matcher.mutual_friends("ann", "hal").people
    assert d.dismissed("ann") == ["gus"]  # a friendship does not erase what was said
    # Ending the friendship does not bring the suggestion back.
    store.remove_friendship("ann", "gus")
    assert "gus" not in _ids(matcher.suggest("ann"))


def test_rank_drops_the_dismissed_unless_they_are_friends_now_and_friends_are_asked(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    d = _dismisses(store)
    d.dismiss("ann", "eve")
    d.dismiss("ann", "bob")  # a friend, dismissed (harmless until they unfriend)
    assert _ids(matcher.rank("ann", ["eve", "fay", "hal", "bob"])) == ["fay", "hal"]
    ranked = matcher.rank("ann", ["eve", "fay", "bob"], include_friends=True)
    assert sorted(_ids(ranked)) == ["bob", "fay"]


def test_removing_either_person_removes_the_dismissal(
    store: gm.GraphStore, matcher: gm.Matcher
) -> None:
    d = _dismisses(store)
    d.dismiss("ann", "eve")
    d.dismiss("fay", "ann")
    d.dismiss("eve", "fay")
    store.remove_person("eve")
    assert d.dismissals() == [("fay", "ann")]
    store.add_friendships([("eve", "bob")])  # a new eve is somebody else
    assert "eve" in _ids(matcher.suggest("ann"))
    store.remove_person("ann")
    assert d.dismissals() == []


# -- durability: the journaled store ------------------------------------------------------------
def _journaled(path: Path) -> JournaledStore:
    return JournaledStore(gm.MemoryStore(index="sync"), path)


def _crash(s: JournaledStore) -> None:
    s._close_fd()
    s._lockfile.close()


def test_dismissals_survive_a_crash_and_a_compaction(tmp_path: Path) -> None:
    s = _journaled(tmp_path)
    s.add_friendships(WORLD)
    s.dismiss("ann", "eve")
    s.dismiss("ann", "fay")
    s.undismiss("ann", "fay")
    s.dismiss("gus", "ann")
    _crash(s)  # the journal holds them; nothing was compacted
    again = _journaled(tmp_path)  # replays, then compacts: the snapshot holds them now
    assert again.dismissals() == [("ann", "eve"), ("gus", "ann")]
    assert "eve" not in _ids(gm.Matcher(again).suggest("ann"))
    again.close()
    snapshot = json.loads((tmp_path / SNAPSHOT).read_bytes().partition(b"\n")[2])
    assert snapshot["version"] == 3
    assert snapshot["dismissals"] == [["ann", "eve"], ["gus", "ann"]]
    third = _journaled(tmp_path)
    assert third.dismissals() == [("ann", "eve"), ("gus", "ann")]
    third.close()


def test_dismissing_twice_writes_nothing_and_a_refused_dismissal_no_record(
    tmp_path: Path,
) -> None:
    s = _journaled(tmp_path)
    s.add_friendships(WORLD)
    s.dismiss("ann", "eve")
    journal = tmp_path / JOURNAL
    size = journal.stat().st_size
    assert s.dismiss("ann", "eve") is False
    assert s.undismiss("ann", "fay") is False
    for bad in (("ann", "ann"), ("ann", "nobody")):
        with pytest.raises(gm.GraphMatchError):
            s.dismiss(*bad)
    assert journal.stat().st_size == size
    s.close()


def test_a_damaged_dismissal_record_refuses_to_open(tmp_path: Path) -> None:
    s = _journaled(tmp_path)
    s.add_friendships(WORLD)
    s.dismiss("ann", "eve")
    s.dismiss("ann", "fay")
    _crash(s)
    journal = tmp_path / JOURNAL
    data = journal.read_bytes()
    assert data.count(b'"op":"dismiss"') == 2
    journal.write_bytes(data.replace(b'"eve"}', b'"EVE"}'))  # the checksum no longer matches
    with pytest.raises(JournalCorrupt, match="damaged at line"):
        _journaled(tmp_path)
    # recover=True keeps what can be read: the damaged record is lost, the next one kept.
    healed = JournaledStore(gm.MemoryStore(), tmp_path, recover=True)
    assert healed.dismissals() == [("ann", "fay")]
    assert healed.recovery_report is not None and healed.recovery_report.records_lost == 1
    healed.close()


def test_a_record_kind_this_version_does_not_know_refuses_to_open(tmp_path: Path) -> None:
    # What an older graphmatch meets in a newer journal: refused, never skipped quietly.
    s = _journaled(tmp_path)
    s.add_person("a")
    _crash(s)
    body = json.dumps({"s": 2, "op": "forget", "a": {"id": "a"}}, separators=(",", ":"))
    with open(tmp_path / JOURNAL, "ab") as f:
        f.write(_crc(body.encode()).encode() + b" " + body.encode() + b"\n")
    with pytest.raises(JournalCorrupt, match="damaged at line 4"):
        _journaled(tmp_path)


def test_a_snapshot_from_before_dismissals_still_opens(tmp_path: Path) -> None:
    s = _journaled(tmp_path)
    s.add_friendships(WORLD)
    s.close()
    path = tmp_path / SNAPSHOT
    doc = json.loads(path.read_bytes().partition(b"\n")[2])
    del doc["dismissals"]
    doc["version"] = 2  # what the previous version wrote
    body = json.dumps(doc).encode()
    path.write_bytes(f"{_crc(body)} {len(body)}\n".encode() + body)
    again = _journaled(tmp_path)
    assert again.counts() == (8, 10) and again.dismissals() == []
    assert again.dismiss("ann", "eve") is True
    again.close()


def test_the_compiled_path_excludes_the_dismissed_from_an_index_a_write_overtook() -> None:
    # The index in hand was built before the last write (a write raced the read): the store
    # cannot tell friends by the live graph then, and drops the dismissed from a longer list.
    store = gm.MemoryStore(index="sync")
    store.add_friendships(WORLD)
    store.add_friendships([("bob", f"p{i:02d}") for i in range(30)])
    for i in range(20):
        store.dismiss("ann", f"p{i:02d}")
    store.dismiss("ann", "eve")
    old = store.build_index()
    store.add_friendship("ann", "hal")  # the index above no longer reflects the graph
    store.fresh_index = lambda: old  # type: ignore[method-assign]
    found = store.top_candidates("ann", "common_neighbors", 4, None, 3)
    assert found is not None
    assert [row[0] for row in found] == ["fay", "gus", "p20", "p21"]

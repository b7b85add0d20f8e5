"""Neo4j past one server: the routing driver (``neo4j://``), read/write routing, bookmarks.

The whole conformance suite runs over a ``neo4j://`` URI too (``tests/contract/conftest.py``);
these tests check what a cluster relies on and one server can still show: the driver routes by
the server's routing table, every read is a READ transaction (sent to a reader on a cluster,
refused by the server if it writes) and every write a WRITE one (sent to the leader), and each
write's bookmark is handed to the next session, so a replica reads its own writes even from a
reader that is behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import graphmatch as gm
import neo4j
from graphmatch.stores.neo4j import Neo4jStore
from tests.support.neo4j import with_scheme


@pytest.fixture
def routed(neo4j_routing_store_session: Neo4jStore) -> Iterator[Neo4jStore]:
    neo4j_routing_store_session.clear()
    neo4j_routing_store_session.add_friendships([("a", "w"), ("w", "b"), ("a", "x")])
    yield neo4j_routing_store_session


def test_the_uri_helper_keeps_tls() -> None:
    assert with_scheme("bolt://h:1", "neo4j") == "neo4j://h:1"
    assert with_scheme("bolt+s://h:1", "neo4j") == "neo4j+s://h:1"
    assert with_scheme("neo4j+ssc://h:1", "bolt") == "bolt+ssc://h:1"


@pytest.mark.parametrize("uri", ["neo4j://db.example:7687", "neo4j+s://db.example:7687"])
def test_routing_uris_are_accepted_without_touching_the_network(uri: str) -> None:
    with Neo4jStore(uri, auth=("neo4j", "password1")) as store:
        assert store.uri == uri
        assert isinstance(store._driver, neo4j.Neo4jDriver)  # the routing driver


def test_the_server_routes_a_neo4j_uri_to_itself(routed: Neo4jStore) -> None:
    assert routed.uri.startswith("neo4j://")
    assert isinstance(routed._driver, neo4j.Neo4jDriver)
    table = routed.run_read("CALL dbms.routing.getRoutingTable({}, $db)", {"db": "neo4j"})
    roles = {s["role"]: s["addresses"] for s in table[0]["servers"]}
    # The advertised address is the one the driver was given: routing never sends it elsewhere.
    address = routed.uri.removeprefix("neo4j://")
    assert roles == {"WRITE": [address], "READ": [address], "ROUTE": [address]}


def _modes(
    store: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Callable[[], object]], set[str]]:
    """Return a probe: the transaction modes (read/write) one call runs in."""
    seen: list[str] = []
    for mode in ("read", "write"):
        real = getattr(neo4j.Session, f"execute_{mode}")

        def spy(
            self: neo4j.Session, *args: Any, _real: Any = real, _m: str = mode, **kw: Any
        ) -> Any:
            seen.append(_m)
            return _real(self, *args, **kw)

        monkeypatch.setattr(neo4j.Session, f"execute_{mode}", spy)

    def probe(call: Callable[[], object]) -> set[str]:
        seen.clear()
        call()
        return set(seen)

    return probe


def test_reads_are_read_transactions_and_writes_write_transactions(
    routed: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed._aa_fix()  # the one-off log probe is a read too, but not every call's
    probe = _modes(routed, monkeypatch)
    m = gm.Matcher(routed)
    reads: list[Callable[[], object]] = [
        lambda: routed.exists("a"),
        lambda: routed.person("a"),
        lambda: routed.friends("a"),
        lambda: routed.degree("a"),
        lambda: routed.degrees(["a", "b"]),
        lambda: routed.counts(),
        lambda: routed.blocked_with("a"),
        lambda: routed.undiscoverable(["a"]),
        lambda: routed.hidden_as_mutual(["a"]),
        lambda: routed.mutual("a", ["b"]),
        lambda: routed.two_hop_counts("a"),
        lambda: routed.two_hop_weights("a"),
        lambda: routed.dismissed("a"),
        lambda: routed.dismissals(),
        lambda: m.suggest("a", score="adamic_adar"),
        lambda: m.mutual_friends("a", "b"),
        lambda: m.rank("a", ["b", "x"]),
    ]
    for call in reads:
        assert probe(call) == {"read"}
    writes: list[Callable[[], object]] = [
        lambda: routed.add_person("c", {"city": "Oslo"}),
        lambda: routed.add_people([("d", {})]),
        lambda: routed.add_friendship("c", "d"),
        lambda: routed.add_friendships([("c", "a")]),
        lambda: routed.remove_friendship("c", "d"),
        lambda: routed.block("a", "x"),
        lambda: routed.unblock("a", "x"),
        lambda: routed.set_consent("a", discoverable=False),
        lambda: routed.dismiss("a", "b"),
        lambda: routed.undismiss("a", "b"),
        lambda: routed.remove_person("d"),
    ]
    for call in writes:
        # A write may check what exists inside its own transaction: still the leader's.
        assert probe(call) == {"write"}


def test_every_session_carries_the_bookmarks_of_the_writes_before_it(
    routed: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = routed._driver.execute_query_bookmark_manager
    given: list[object] = []
    real = routed._driver.session

    def session(**kwargs: Any) -> neo4j.Session:
        given.append(kwargs.get("bookmark_manager"))
        return real(**kwargs)

    monkeypatch.setattr(routed._driver, "session", session)
    before = set(manager.get_bookmarks())
    routed.add_person("new")
    after_write = set(manager.get_bookmarks())
    assert after_write and after_write != before  # the commit's bookmark replaced the old
    assert routed.exists("new")  # the read's session waits for that bookmark on any member
    routed.dismiss("new", "a")
    assert set(manager.get_bookmarks()) != after_write
    assert routed.dismissed("new") == ["a"]
    assert given and all(m is manager for m in given)

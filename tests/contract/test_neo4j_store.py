"""Neo4j-specific tests: the real server started by ``scripts/neo4j-local`` (no mocks).

The contract itself is checked for every store by the conformance suite; these cover what only
Neo4j has: the graph model, persistence across a restart, batch atomicity, unreachable
servers, and ego-Facebook answers identical to networkx.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import graphmatch as gm
import graphmatch.stores.neo4j.store as n4  # the batch-atomicity test patches its Cypher text
from graphmatch.stores.neo4j import Neo4jStore
from tests.conftest import FACEBOOK, ROOT
from tests.support.neo4j import LOCAL_SCRIPT, in_ci, neo4j_settings, unavailable

FB_PEOPLE, FB_FRIENDSHIPS = 4039, 88234
HUBS = ["0", "107", "348", "414", "686", "698", "1684", "1912", "3437", "3980"]


@pytest.fixture
def neo(neo4j_store_session: Neo4jStore) -> Neo4jStore:
    """The session's Neo4j store, emptied (skips, or fails under CI, when there is none)."""
    neo4j_store_session.clear()
    return neo4j_store_session


@pytest.fixture
def facebook(neo4j_store_session: Neo4jStore) -> Neo4jStore:
    """The store holding exactly ego-Facebook (loaded once, reloaded if a test cleared it)."""
    server = neo4j_store_session
    if server.counts() != (FB_PEOPLE, FB_FRIENDSHIPS):
        server.clear()
        edges, _ = gm.read_edgelist(FACEBOOK)
        assert server.bulk_load(edges) == FB_FRIENDSHIPS
    return server


# -- no server needed ---------------------------------------------------------------------------
def test_unreachable_server_gives_readable_store_unavailable() -> None:
    store = Neo4jStore("bolt://127.0.0.1:1", auth=("neo4j", "whatever1"), timeout=2)
    with store:
        for call in (store.ping, lambda: store.friends("a"), lambda: store.add_person("a")):
            with pytest.raises(gm.StoreUnavailable) as info:
                call()
            assert isinstance(info.value, gm.GraphMatchError)
            message = str(info.value)
            assert "127.0.0.1:1" in message and "unreachable" in message
            assert "Traceback" not in message and "\n" not in message


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "localhost:7687", "bolt:/x"])
def test_bad_uri_is_invalid_input(uri: str) -> None:
    with pytest.raises(gm.InvalidInput):
        Neo4jStore(uri)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example:7687")
    monkeypatch.setenv("NEO4J_USER", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret-pw")
    monkeypatch.setenv("NEO4J_DATABASE", "people")
    with Neo4jStore() as store:  # connects lazily: no server needed
        assert (store.uri, store.user, store.database) == (
            "neo4j://db.example:7687",
            "alice",
            "people",
        )


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan"])
@pytest.mark.parametrize("var", ["NEO4J_TIMEOUT", "NEO4J_CONNECT_TIMEOUT", "NEO4J_RETRY_TIME"])
def test_a_bad_time_limit_in_the_environment_is_invalid_input(var: str, value: str) -> None:
    env = {"NEO4J_URI": "bolt://127.0.0.1:1", var: value}
    with pytest.raises(gm.InvalidInput, match=var if value == "soon" else "seconds"):
        gm.open_store("neo4j", env=env)


@pytest.mark.neo4j
def test_time_limits_come_from_the_environment(neo4j_store_session: Neo4jStore) -> None:
    uri, (user, password) = neo4j_settings()
    assert uri is not None
    env = {"NEO4J_URI": uri, "NEO4J_USER": user, "NEO4J_PASSWORD": password}
    env |= {"NEO4J_TIMEOUT": "7", "NEO4J_CONNECT_TIMEOUT": "0.5", "NEO4J_RETRY_TIME": "2.5"}
    store = gm.open_store("neo4j", env=env)
    assert isinstance(store, Neo4jStore)
    with store:
        assert (store.timeout, store.connect_timeout, store.retry_time) == (7.0, 0.5, 2.5)
        store.ping()


@pytest.mark.parametrize(
    "attrs",
    [{"nested": {"a": 1}}, {"mixed": [1, "a"]}, {"none": None}, {"id": "x"}, {"discoverable": 1}],
)
def test_attrs_neo4j_cannot_store_are_rejected(attrs: dict[str, object]) -> None:
    with Neo4jStore("bolt://127.0.0.1:1") as store, pytest.raises(gm.InvalidInput):
        store.add_person("a", attrs)


def test_invalid_pairs_are_rejected_before_any_write() -> None:
    # Validation happens before the first network call, so no server is needed to see it.
    with Neo4jStore("bolt://127.0.0.1:1") as store:
        with pytest.raises(gm.InvalidInput):
            store.add_friendships([("a", "b"), ("c", "c")])
        with pytest.raises(gm.InvalidInput):
            store.add_friendships([("a", "x" * 5000)])


# -- the graph model ----------------------------------------------------------------------------
def test_wrong_password_gives_store_unavailable(neo4j_store_session: Neo4jStore) -> None:
    # A second driver on the session's server (so a server that is down skips or fails
    # like every Neo4j test), with the one thing wrong.
    server = neo4j_store_session
    store = Neo4jStore(server.uri, auth=(server.user or "neo4j", "definitely-wrong"), timeout=5)
    with store, pytest.raises(gm.StoreUnavailable, match="credentials"):
        store.ping()


@pytest.mark.neo4j
def test_one_canonical_friend_relationship(neo: Neo4jStore) -> None:
    neo.add_people([("b", {}), ("a", {})])
    assert neo.add_friendship("b", "a") is True
    assert neo.add_friendship("a", "b") is False
    assert neo.add_friendships([("a", "b"), ("b", "a")]) == 0
    query = "MATCH (x:Person)-[r:FRIEND]->(y:Person) RETURN x.id AS x, y.id AS y"
    records = neo.run_read(query, {})
    assert [(r["x"], r["y"]) for r in records] == [("a", "b")]  # smaller id -> larger id
    assert neo.friends("b") == ["a"] and neo.friends("a") == ["b"]
    assert neo.counts() == (2, 1)
    with pytest.raises(gm.InvalidInput):
        neo.add_friendship("a", "a")
    with pytest.raises(gm.PersonNotFound):
        neo.add_friendship("a", "nobody")


@pytest.mark.neo4j
def test_unique_constraint_exists(neo: Neo4jStore) -> None:
    neo.add_person("a")
    records = neo.run_read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type RETURN *", {})
    assert any(
        r["labelsOrTypes"] == ["Person"] and r["properties"] == ["id"] and "UNIQUE" in r["type"]
        for r in records
    )


@pytest.mark.neo4j
def test_profile_and_consent_properties(neo: Neo4jStore) -> None:
    attrs = {"name": "Ada", "age": 36, "tags": ["math", "poetry"], "score": 0.5}
    assert neo.add_person("ada", attrs) is True
    assert neo.person("ada") == {**attrs, "discoverable": True, "show_as_mutual": True}
    neo.set_consent("ada", discoverable=False)
    assert neo.person("ada")["discoverable"] is False
    assert neo.undiscoverable(["ada", "zed"]) == {"ada"}
    assert neo.hidden_as_mutual(["ada"]) == set()
    with pytest.raises(gm.PersonExists):
        neo.add_person("ada", exist_ok=False)
    with pytest.raises(gm.PersonNotFound):
        neo.set_consent("zed", discoverable=True)


@pytest.mark.neo4j
def test_blocks_are_relationships_read_both_ways(neo: Neo4jStore) -> None:
    neo.add_people([("a", {}), ("b", {}), ("c", {})])
    neo.block("a", "b")
    neo.block("c", "a")
    assert neo.blocked_with("a") == {"b", "c"}
    assert neo.blocked_with("b") == {"a"}
    neo.unblock("a", "b")
    assert neo.blocked_with("b") == set()
    neo.remove_person("c")
    assert neo.blocked_with("a") == set()


# -- atomicity ----------------------------------------------------------------------------------
@pytest.mark.neo4j
def test_batch_failing_midway_leaves_nothing_half_written(
    neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch 2 of 3 fails on the server after it has merged half its rows: it rolls back whole.

    The failure is a real Cypher runtime error (division by zero) raised by Neo4j in the
    middle of the MERGE statement, for the row that reaches the poisoned pair.
    """
    monkeypatch.setattr(neo, "batch_size", 100)
    pairs = [(f"p{i:04d}", f"q{i:04d}") for i in range(300)]
    poison = pairs[150][1]  # the middle of the second batch
    failing = n4._MERGE_GROUPS.replace(
        "MERGE (lo)-[:FRIEND]->(hi)",
        "MERGE (lo)-[:FRIEND]->(hi)\n"
        "WITH hi WHERE 1 / (CASE hi.id WHEN $poison THEN 0 ELSE 1 END) = 1\n"
        "FINISH",
    )
    assert failing != n4._MERGE_GROUPS
    monkeypatch.setattr(n4, "_MERGE_GROUPS", failing)
    real_unit = n4._unit
    monkeypatch.setattr(
        n4,
        "_unit",
        lambda query, then=None, **params: real_unit(query, then, poison=poison, **params),
    )
    with pytest.raises(gm.GraphMatchError, match=r"/ by zero|divi"):
        neo.add_friendships(pairs)
    # Batch 1 committed; batch 2 (people and friendships) rolled back entirely; 3 never ran.
    assert neo.counts() == (200, 100)
    assert neo.exists("p0099") and not neo.exists("p0100") and not neo.exists("p0149")
    assert not neo.exists("q0150") and not neo.exists("p0299")


# -- persistence --------------------------------------------------------------------------------
@pytest.mark.neo4j
def test_data_survives_stop_and_start(tmp_path: Path) -> None:
    """A second, private server (own data dir and port) is written, stopped, started, re-read."""
    if not (shutil.which("java") and shutil.which("mvn")):
        unavailable("java and mvn are needed to start a private Neo4j")
    _, (_, password) = neo4j_settings()
    env = {
        **os.environ,
        "NEO4J_PASSWORD": password,
        # Small: this instance holds a handful of nodes beside the main test server.
        "NEO4J_LOCAL_PAGECACHE": "64m",
        "NEO4J_LOCAL_JAVA_OPTS": "-Xms256m -Xmx768m",
    }
    state = tmp_path / "neo4j"

    def local(command: str) -> None:
        done = subprocess.run(
            [str(LOCAL_SCRIPT), "--dir", str(state), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"neo4j-local {command} failed:\n{done.stdout}{done.stderr}"

    local("start")
    try:
        uri = (state / "uri").read_text().strip()
        with Neo4jStore(uri, auth=("neo4j", password)) as store:
            store.add_person("ada", {"name": "Ada"})
            store.add_friendships([("ada", "bob"), ("bob", "cy")])
            store.block("cy", "ada")
            store.set_consent("bob", show_as_mutual=False)
        local("stop")
        assert not (state / "pid").exists()
        local("start")
        uri = (state / "uri").read_text().strip()
        with Neo4jStore(uri, auth=("neo4j", password)) as store:
            assert store.counts() == (3, 2)
            assert store.friends("bob") == ["ada", "cy"]
            assert store.person("ada")["name"] == "Ada"
            assert store.blocked_with("ada") == {"cy"}
            assert store.hidden_as_mutual(["ada", "bob", "cy"]) == {"bob"}
    finally:
        local("stop")


# -- ego-Facebook against networkx -------------------------------------------------------------
def _sample(graph: nx.Graph, n: int = 500) -> list[str]:
    rng = random.Random(20240611)
    rest = sorted(set(graph) - set(HUBS), key=int)
    return HUBS + rng.sample(rest, n - len(HUBS))


def _oracle(graph: nx.Graph, u: str, cap: int | None = None) -> dict[str, tuple[int, float, float]]:
    """Two-hop counts and AA/RA sums by walking networkx adjacency (the definition)."""
    out: dict[str, list[float]] = {}
    for w in graph[u]:
        d = graph.degree(w)
        if cap is not None and d > cap:
            continue
        for v in graph[w]:
            if v == u:
                continue
            acc = out.setdefault(v, [0, 0.0, 0.0])
            acc[0] += 1
            acc[1] += 1 / math.log(d)  # d >= 2 here: w has u and v
            acc[2] += 1 / d
    return {v: (int(c), aa, ra) for v, (c, aa, ra) in out.items()}


@pytest.mark.neo4j
def test_facebook_bulk_load_counts(facebook: Neo4jStore, facebook_graph: nx.Graph) -> None:
    assert facebook.counts() == (facebook_graph.number_of_nodes(), facebook_graph.number_of_edges())
    sample = _sample(facebook_graph, 50)
    assert facebook.degrees([*sample, "nobody"]) == {u: facebook_graph.degree(u) for u in sample}


@pytest.mark.neo4j
def test_facebook_two_hop_matches_networkx(facebook: Neo4jStore, facebook_graph: nx.Graph) -> None:
    G = facebook_graph
    for i, u in enumerate(_sample(G)):
        expected = _oracle(G, u)
        weights = facebook.two_hop_weights(u)
        assert facebook.two_hop_counts(u) == {v: c for v, (c, _, _) in expected.items()}, u
        assert weights.keys() == expected.keys(), u
        for v, (c, aa, ra) in expected.items():
            got = weights[v]
            assert got[0] == c and got[1] == pytest.approx(aa, rel=1e-12), (u, v)
            assert got[2] == pytest.approx(ra, rel=1e-12), (u, v)
        if i < 20:
            # Tie the walk to networkx's own definitions on every candidate pair.
            pairs = [(u, v) for v in expected]
            for _, v, aa in nx.adamic_adar_index(G, pairs):
                assert weights[v][1] == pytest.approx(aa, rel=1e-12)
            for _, v, ra in nx.resource_allocation_index(G, pairs):
                assert weights[v][2] == pytest.approx(ra, rel=1e-12)
            for v in list(expected)[:50]:
                assert weights[v][0] == len(list(nx.common_neighbors(G, u, v)))


@pytest.mark.neo4j
def test_facebook_degree_cap_is_applied_in_cypher(
    facebook: Neo4jStore, facebook_graph: nx.Graph
) -> None:
    for u in _sample(facebook_graph, 60):
        expected = _oracle(facebook_graph, u, cap=60)
        assert facebook.two_hop_counts(u, 60) == {v: c for v, (c, _, _) in expected.items()}
        got = facebook.two_hop_weights(u, 60)
        assert {v: c for v, (c, _, _) in got.items()} == {v: c for v, (c, _, _) in expected.items()}


@pytest.mark.neo4j
def test_facebook_mutual_matches_networkx(facebook: Neo4jStore, facebook_graph: nx.Graph) -> None:
    G = facebook_graph
    rng = random.Random(7)
    nodes = sorted(G, key=int)
    for u in _sample(G):
        others = [*rng.sample(nodes, 3), next(iter(G[u])), "nobody"]
        got = facebook.mutual(u, others)
        for v in others:
            common = set(nx.common_neighbors(G, u, v)) - {u, v} if v in G else set()
            assert got[v] == {w: G.degree(w) for w in common}, (u, v)
        capped = facebook.mutual(u, others, max_degree=50)
        for v in others:
            assert capped[v] == {w: d for w, d in got[v].items() if d <= 50}
    with pytest.raises(gm.PersonNotFound):
        facebook.mutual("nobody", ["0"])


@pytest.mark.neo4j
@pytest.mark.parametrize("push_down", [True, False], ids=["cypher", "plain"])
@pytest.mark.parametrize("score", gm.SCORES)
def test_facebook_suggestions_match_memory_store(
    facebook: Neo4jStore, facebook_graph: nx.Graph, score: str, push_down: bool
) -> None:
    # push_down=False ranks in Python over the plain GraphStore reads of Neo4j.
    on_neo4j = gm.Matcher(facebook, push_down=push_down)
    in_memory = gm.Matcher(gm.MemoryStore(facebook_graph, index="off"))
    for u in _sample(facebook_graph, 40):
        a = on_neo4j.suggest(u, limit=15, score=score)
        b = in_memory.suggest(u, limit=15, score=score)
        assert [(s.person, s.mutual_count, s.mutual) for s in a] == [
            (s.person, s.mutual_count, s.mutual) for s in b
        ], (u, score)
        assert [s.score for s in a] == pytest.approx([s.score for s in b], rel=1e-12)


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on this repository in a child process with env on top of ours."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_neo4j_test_fails_under_ci_when_neo4j_is_down_and_skips_elsewhere() -> None:
    target = f"{Path(__file__).relative_to(ROOT)}::test_one_canonical_friend_relationship"
    down = {"NEO4J_URI": "bolt://127.0.0.1:1"}
    in_ci_run = _pytest(target, **down, CI="true")
    assert in_ci_run.returncode == 1, in_ci_run.stdout
    assert "Neo4j is required under CI=true" in in_ci_run.stdout
    assert "1 error" in in_ci_run.stdout and "skipped" not in in_ci_run.stdout
    local_run = _pytest(target, **down, CI="")
    assert local_run.returncode == 0, local_run.stdout
    assert "1 skipped" in local_run.stdout and "scripts/neo4j-local start" in local_run.stdout


def test_every_test_that_takes_the_neo4j_fixture_is_marked_neo4j() -> None:
    # test_wrong_password... has no marker of its own: the fixture marks it.
    listed = _pytest(f"{Path(__file__).relative_to(ROOT)}", "--collect-only", "-m", "not neo4j")
    assert listed.returncode == 0, listed.stdout
    assert "test_bad_uri_is_invalid_input" in listed.stdout
    assert "test_wrong_password_gives_store_unavailable" not in listed.stdout


def test_ci_never_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true an unreachable Neo4j fails the test instead of skipping it."""
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="required under CI"):
        unavailable("nothing at bolt://127.0.0.1:1")

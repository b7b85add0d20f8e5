"""score="learned" through every entry point: the Matcher, the live index, HTTP and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import graphmatch as gm
from api import create_app
from graphmatch.learn import LearnedRanker, Model, train


@pytest.fixture(scope="module")
def graph() -> nx.Graph:
    return nx.relabel_nodes(nx.relaxed_caveman_graph(20, 7, 0.2, seed=4), str)


@pytest.fixture(scope="module")
def model_path(graph: nx.Graph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.json"
    train(graph, people=80, seed=1).save(path)
    return path


def _rows(found: list[gm.Suggestion]) -> list[tuple[str, float, int, list[str]]]:
    return [(s.person, s.score, s.mutual_count, s.mutual) for s in found]


def test_a_matcher_given_a_model_answers_learned_exactly_as_the_ranker(
    graph: nx.Graph, model_path: Path
) -> None:
    store = gm.MemoryStore(graph.copy(), index="sync")
    ranker = LearnedRanker.load(model_path)
    matcher = gm.Matcher(store, model=model_path)
    for u in sorted(graph)[::9]:
        got = matcher.suggest(u, limit=6, score=gm.LEARNED, explain=2)
        assert _rows(got) == _rows(ranker.suggest(store, u, 6, explain=2))


def test_dismissed_people_are_never_suggested_by_the_learned_ranker(
    graph: nx.Graph, model_path: Path
) -> None:
    store = gm.MemoryStore(graph.copy(), index="sync")
    matcher = gm.Matcher(store, model=model_path)
    u = sorted(graph)[0]
    before = matcher.suggest(u, limit=5, score="learned")
    assert len(before) >= 3
    store.dismiss(u, before[0].person)
    store.dismiss(u, before[2].person)
    after = matcher.suggest(u, limit=5, score="learned")
    kept = [s.person for s in before if s.person not in {before[0].person, before[2].person}]
    assert [s.person for s in after][: len(kept)] == kept
    assert not {before[0].person, before[2].person} & {s.person for s in after}
    assert len(after) == 5


def test_the_learned_ranker_sees_every_write_on_the_live_index(
    graph: nx.Graph, model_path: Path
) -> None:
    live = gm.MemoryStore(graph.copy(), index="sync")
    matcher = gm.Matcher(live, model=model_path)
    u = sorted(graph)[5]
    matcher.suggest(u, score="learned")  # the index is built and live from here on
    first = matcher.suggest(u, limit=3, score="learned")
    live.add_friendship(u, first[0].person)
    live.add_person("newcomer")
    live.add_friendship("newcomer", u)
    live.add_friendship("newcomer", first[1].person)
    live.remove_friendship(*next(iter(graph.edges(first[2].person))))
    # The oracle: a store built from scratch on the graph as it is now.
    fresh = gm.Matcher(gm.MemoryStore(live.graph.copy(), index="sync"), model=model_path)
    for v in (u, "newcomer", first[1].person, first[2].person):
        assert _rows(matcher.suggest(v, score="learned")) == _rows(
            fresh.suggest(v, score="learned")
        )


def test_learned_without_a_model_or_with_a_degree_cap_is_invalid_input(
    graph: nx.Graph, model_path: Path
) -> None:
    store = gm.MemoryStore(graph.copy())
    u = sorted(graph)[0]
    with pytest.raises(gm.InvalidInput, match="needs a model"):
        gm.Matcher(store).suggest(u, score="learned")
    with pytest.raises(gm.InvalidInput, match="max_degree"):
        gm.Matcher(store, model=model_path).suggest(u, score="learned", max_degree=5)
    with pytest.raises(gm.PersonNotFound):
        gm.Matcher(store, model=model_path).suggest("nobody", score="learned")


def test_the_api_answers_learned_with_a_model_and_422_without(
    graph: nx.Graph, model_path: Path
) -> None:
    u = sorted(graph)[0]
    store = gm.MemoryStore(graph.copy(), index="sync")
    with_model = create_app(config={"MODEL_PATH": str(model_path)}, store=store).test_client()
    body = with_model.get(f"/v1/people/{u}/suggestions?score=learned&limit=4").get_json()
    want = LearnedRanker(Model.load(model_path)).suggest(store, u, 4)
    assert [(s["id"], s["mutual_count"]) for s in body["suggestions"]] == [
        (s.person, s.mutual_count) for s in want
    ]
    plain = create_app(store=gm.MemoryStore(graph.copy())).test_client()
    resp = plain.get(f"/v1/people/{u}/suggestions?score=learned")
    assert resp.status_code == 422
    assert "needs a model" in resp.get_json()["message"]


def test_batch_ranks_by_the_model_exactly_as_the_matcher_does(
    graph: nx.Graph, model_path: Path, tmp_path: Path
) -> None:
    from graphmatch.batch import iter_blocks, run_batch

    store = gm.MemoryStore(graph.copy(), index="sync")
    people = sorted(graph)
    u, v = people[0], people[1]
    first = gm.Matcher(store, model=model_path).suggest(u, limit=4, score="learned")
    # Blocks both ways, a dismissal of a candidate and of a friend, opt-outs of both kinds.
    store.block(people[3], first[0].person)
    store.dismiss(u, first[1].person)
    store.dismiss(v, next(iter(graph[v])))
    # Opt-outs of people other than those (so each rule is what leaves its person out).
    others = [p for p in people[::-1] if p not in {u, v, *(s.person for s in first)}]
    store.set_consent(others[0], discoverable=False)
    store.set_consent(others[1], show_as_mutual=False)
    matcher = gm.Matcher(store, model=model_path)
    blocks = iter_blocks(store, "learned", 6, block_size=37, explain=3, threads=2, model=model_path)
    got = {person: rows for block in blocks for person, rows in block.rows()}
    assert sorted(got) == people
    for person in people:
        want = matcher.suggest(person, limit=6, score="learned", explain=3)
        assert got[person] == [(s.person, s.score, s.mutual_count, s.mutual) for s in want]
    assert first[1].person not in {s[0] for s in got[u]}
    out = tmp_path / "s.jsonl"
    report = run_batch(store, out, score="learned", k=3, progress=False, model=model_path)
    assert report.params["model"] and len(out.read_text().splitlines()) == len(people)
    with pytest.raises(gm.InvalidInput, match="needs a model"):
        next(iter_blocks(store, "learned"))
    with pytest.raises(gm.InvalidInput, match="max_degree"):
        run_batch(store, out, score="learned", max_degree=3, model=model_path)


def test_cli_batch_takes_score_learned_with_a_model(
    graph: nx.Graph, model_path: Path, tmp_path: Path
) -> None:
    edges, out = tmp_path / "g.txt", tmp_path / "s.jsonl"
    edges.write_text("".join(f"{a} {b}\n" for a, b in graph.edges))
    cmd = [sys.executable, "-m", "graphmatch", "batch", "--graph", str(edges), "--k", "3",
           "--no-progress", "--out", str(out), "--score", "learned"]  # fmt: skip
    subprocess.run([*cmd, "--model", str(model_path)], check=True, capture_output=True)
    store = gm.MemoryStore.from_edgelist(edges)
    ranker = LearnedRanker.load(model_path)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    for line in lines[::11]:
        want = ranker.suggest(store, line["id"], 3)
        assert [s["id"] for s in line["suggestions"]] == [s.person for s in want]
    for extra, message in (([], "needs --model"), (["--engine", "spark", "--model", "m"], "Spark")):
        refused = subprocess.run([*cmd, *extra], capture_output=True, text=True)
        assert refused.returncode == 1 and message in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


def test_learned_over_neo4j_reranks_cypher_rows_exactly_as_in_memory(
    graph: nx.Graph, model_path: Path, neo4j_store_session: gm.Neo4jStore
) -> None:
    neo = neo4j_store_session
    neo.clear()
    neo.add_friendships(graph.edges)
    mem = gm.MemoryStore(graph.copy(), index="sync")
    people = sorted(graph)
    u = people[0]
    top = gm.Matcher(mem, model=model_path).suggest(u, limit=3, score="learned")
    others = [p for p in people[::-1] if p not in {u, *(s.person for s in top)}]
    for s in (neo, mem):  # the same blocks, dismissals and opt-outs on both
        s.block(u, top[0].person)
        s.dismiss(u, top[1].person)
        s.set_consent(others[0], discoverable=False)
        s.set_consent(others[1], show_as_mutual=False)
    on_neo, on_mem = gm.Matcher(neo, model=model_path), gm.Matcher(mem, model=model_path)
    for person in people[::5]:
        want = on_mem.suggest(person, limit=6, score="learned", explain=3)
        got = on_neo.suggest(person, limit=6, score="learned", explain=3)
        assert _rows(got) == _rows(want)
    assert not {top[0].person, top[1].person} & {s.person for s in on_neo.suggest(u, 10, "learned")}
    with pytest.raises(gm.PersonNotFound):
        on_neo.suggest("nobody", score="learned")
    neo.clear()


def test_get_scores_says_whether_the_server_has_a_model(graph: nx.Graph, model_path: Path) -> None:
    with_model = create_app(config={"MODEL_PATH": str(model_path)}, store=gm.MemoryStore(graph))
    plain = create_app(store=gm.MemoryStore(graph))
    for app, has_model in ((with_model, True), (plain, False)):
        client = app.test_client()
        resp = client.get("/v1/scores")  # public: no key, like the OpenAPI document
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["default"] == gm.DEFAULT_SCORE
        assert [s["name"] for s in body["scores"]] == [*gm.SCORES, gm.LEARNED]
        available = {s["name"]: s["available"] for s in body["scores"]}
        assert available == {**dict.fromkeys(gm.SCORES, True), gm.LEARNED: has_model}
        assert [s["name"] for s in body["scores"] if s["default"]] == [gm.DEFAULT_SCORE]
        # What it says is what a suggestions request does.
        u = sorted(graph)[0]
        status = client.get(f"/v1/people/{u}/suggestions?score=learned").status_code
        assert (status == 200) == has_model
        doc = client.get("/openapi.json").get_json()
        assert "Scores" in doc["components"]["schemas"]
        assert "/v1/scores" in doc["paths"]
        assert client.get("/v1/scores?x=1").status_code == 422


def test_the_cli_suggests_by_a_model_file_and_refuses_learned_without_one(
    graph: nx.Graph, model_path: Path, tmp_path: Path
) -> None:
    edges = tmp_path / "g.txt"
    edges.write_text("".join(f"{a} {b}\n" for a, b in graph.edges))
    u = sorted(graph)[0]
    cmd = [sys.executable, "-m", "graphmatch", "suggest", u, "--graph", str(edges)]
    out = subprocess.run(
        [*cmd, "--score", "learned", "--model", str(model_path), "--json", "--limit", "4"],
        capture_output=True,
        text=True,
        check=True,
    )
    store = gm.MemoryStore.from_edgelist(edges)
    want = LearnedRanker.load(model_path).suggest(store, u, 4)
    got = json.loads(out.stdout)["suggestions"]
    assert [s["id"] for s in got] == [s.person for s in want]
    refused = subprocess.run([*cmd, "--score", "learned"], capture_output=True, text=True)
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "needs a model" in refused.stderr

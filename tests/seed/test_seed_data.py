"""Tests for the seed_data demo-network generator (no store, no HTTP needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import graphmatch as gm
from graphmatch import GraphMatchError, InvalidInput
from seed_data import Network, export, generate, load, summary, write_to_store
from seed_data.metrics import local_clustering
from seed_data.structure import canonical_keys, csr

REPO = Path(__file__).resolve().parents[2]


def as_graph(net: Network) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(net.ids)
    graph.add_edges_from(net.friendships)
    return graph


@pytest.fixture(scope="module")
def net10k() -> Network:
    return generate(10_000, mean_degree=20, seed=0)


@pytest.fixture(scope="module")
def graph10k(net10k: Network) -> nx.Graph:
    return as_graph(net10k)


@pytest.fixture(scope="module")
def small() -> Network:
    return generate(600, mean_degree=8, locales=["en_US", "de_DE", "ja_JP"], seed=5)


def test_same_parameters_and_seed_give_the_same_network(small: Network) -> None:
    again = generate(600, mean_degree=8, locales=["en_US", "de_DE", "ja_JP"], seed=5)
    assert again.fingerprint() == small.fingerprint()
    assert again.friendships == small.friendships
    assert again.people == small.people
    assert again.event == small.event


def test_a_different_seed_gives_a_different_network(small: Network) -> None:
    other = generate(600, mean_degree=8, locales=["en_US", "de_DE", "ja_JP"], seed=6)
    assert other.fingerprint() != small.fingerprint()


def test_networks_are_identical_across_processes_with_different_hash_seeds() -> None:
    code = (
        "from seed_data import generate;"
        "print(generate(800, 10, ['en_US', 'fr_FR'], seed=3).fingerprint())"
    )
    digests = set()
    for hash_seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_friendships_are_canonical_with_no_self_loops_or_duplicates(net10k: Network) -> None:
    pairs = net10k.friendships
    assert all(a < b for a, b in pairs)
    assert len(set(pairs)) == len(pairs)
    assert pairs == sorted(pairs)
    known = set(net10k.ids)
    assert all(a in known and b in known for a, b in pairs)


def test_ids_and_handles_are_unique(net10k: Network) -> None:
    assert len(set(net10k.ids)) == net10k.n_people
    handles = [p.handle for p in net10k.people]
    assert len(set(handles)) == len(handles)
    assert all(h and h.isascii() for h in handles)


def test_profiles_are_complete_and_store_friendly(small: Network) -> None:
    for person in small.people:
        attrs = person.attrs()
        assert all(isinstance(attrs[k], str) and attrs[k] for k in attrs if k != "interests")
        assert 1 <= len(attrs["interests"]) <= 4
        assert all(isinstance(i, str) for i in attrs["interests"])
    assert {p.locale for p in small.people} == {"en_US", "de_DE", "ja_JP"}


def test_the_mean_degree_lands_on_target(net10k: Network) -> None:
    assert 19.5 <= 2 * net10k.n_friendships / net10k.n_people <= 20.5


def test_average_clustering_is_at_least_a_tenth(graph10k: nx.Graph) -> None:
    assert nx.average_clustering(graph10k) >= 0.1


def test_the_largest_degree_is_at_least_five_times_the_mean(graph10k: nx.Graph) -> None:
    degrees = [d for _, d in graph10k.degree()]
    assert max(degrees) >= 5 * (sum(degrees) / len(degrees))


def test_the_giant_component_holds_at_least_95_percent(graph10k: nx.Graph) -> None:
    giant = max(nx.connected_components(graph10k), key=len)
    assert len(giant) >= 0.95 * graph10k.number_of_nodes()


def test_the_event_holds_non_friends_with_at_least_25_mutual_friends(
    net10k: Network, graph10k: nx.Graph
) -> None:
    event = net10k.event
    assert event.highlights
    attendees = set(event.attendees)
    for a, b in event.highlights:
        assert a in attendees and b in attendees
        assert not graph10k.has_edge(a, b)
        assert len(list(nx.common_neighbors(graph10k, a, b))) >= 25


def test_the_event_includes_people_with_few_ties(net10k: Network, graph10k: nx.Graph) -> None:
    assert net10k.event.newcomers
    assert set(net10k.event.newcomers) <= set(net10k.event.attendees)
    assert all(graph10k.degree(p) <= 3 for p in net10k.event.newcomers)


def test_summary_matches_networkx(net10k: Network, graph10k: nx.Graph) -> None:
    s = summary(net10k)
    assert s["people"] == 10_000 and s["friendships"] == graph10k.number_of_edges()
    assert s["average_clustering"] == pytest.approx(nx.average_clustering(graph10k), abs=1e-4)
    assert s["average_clustering_estimated"] is False
    assert s["largest_degree"] == max(d for _, d in graph10k.degree())
    assert s["giant_component_share"] >= 0.95
    assert s["event_stranger_pairs_25_plus"] >= 1
    assert s["mean_mutual_event_pairs"] > s["mean_mutual_random_pairs"]


def test_sampled_clustering_matches_networkx_node_by_node(small: Network) -> None:
    graph = as_graph(small)
    n = small.n_people
    keys = canonical_keys(small.edges[:, 0].astype(np.int64), small.edges[:, 1].astype(np.int64), n)
    indptr, nbr = csr(n, keys)
    nodes = np.arange(0, n, 7)
    ours = local_clustering(indptr, nbr, nodes)
    oracle = nx.clustering(graph, [small.ids[i] for i in nodes.tolist()])
    assert ours == pytest.approx([oracle[small.ids[i]] for i in nodes.tolist()])
    estimated = summary(small, exact_clustering_limit=100, clustering_sample=300)
    assert estimated["average_clustering_estimated"] is True
    assert estimated["clustering_sample"] == 300


def test_event_mutual_counts_match_networkx(small: Network) -> None:
    graph = as_graph(small)
    attendees = small.event.attendees
    pairs = list(combinations(attendees, 2))
    counts = [len(list(nx.common_neighbors(graph, a, b))) for a, b in pairs]
    s = summary(small)
    assert s["mean_mutual_event_pairs"] == pytest.approx(sum(counts) / len(counts), abs=1e-4)
    strangers = [c for (a, b), c in zip(pairs, counts, strict=True) if not graph.has_edge(a, b)]
    assert s["max_mutual_event_strangers"] == max(strangers)


def test_export_round_trips(small: Network, tmp_path: Path) -> None:
    paths = export(small, tmp_path)
    back = load(tmp_path)
    assert back.people == small.people
    assert back.friendships == small.friendships
    assert back.event == small.event
    assert back.params == small.params
    assert back.fingerprint() == small.fingerprint()
    first = paths["friendships"].read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#")
    lines = paths["people"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == small.ids
    assert json.loads(paths["event"].read_text(encoding="utf-8"))["id"] == small.event.id


def test_the_edge_list_loads_with_a_whitespace_edge_list_reader(
    small: Network, tmp_path: Path
) -> None:
    paths = export(small, tmp_path)
    graph = nx.read_edgelist(paths["friendships"], comments="#", nodetype=str)
    assert graph.number_of_edges() == small.n_friendships
    assert sorted(tuple(sorted(e)) for e in graph.edges()) == small.friendships


def test_exports_of_the_same_seed_are_byte_identical(small: Network, tmp_path: Path) -> None:
    again = generate(600, mean_degree=8, locales=["en_US", "de_DE", "ja_JP"], seed=5)
    first = export(small, tmp_path / "a")
    second = export(again, tmp_path / "b")
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"people": 0}, "people"),
        ({"people": -5}, "people"),
        ({"people": 100, "mean_degree": 0}, "mean degree"),
        ({"people": 100, "mean_degree": 60}, "mean degree"),
        ({"people": 100, "mean_degree": float("nan")}, "mean degree"),
        ({"people": 100, "locales": ["xx_XX"]}, "locale"),
        ({"people": 100, "locales": []}, "locale"),
        ({"people": 100, "seed": -1}, "seed"),
        ({"people": 100, "event_size": 1}, "event size"),
        ({"people": 100, "mean_degree": 4, "event_size": 101}, "event size"),
    ],
)
def test_bad_input_raises_invalid_input(kwargs: dict[str, object], fragment: str) -> None:
    kwargs.setdefault("mean_degree", 4)
    with pytest.raises(InvalidInput, match=fragment):
        generate(**kwargs)  # type: ignore[arg-type]


def test_locales_accept_dashes_and_several_names(small: Network) -> None:
    net = generate(200, 6, locales=["de-DE", "fr_FR", "de_DE"], seed=1)
    assert net.params["locales"] == ["de_DE", "fr_FR"]


class RecordingStore:
    """Just the two bulk methods write_to_store uses, recording each call."""

    def __init__(self) -> None:
        self.people_calls: list[list[tuple[str, dict[str, object]]]] = []
        self.friend_calls: list[list[tuple[str, str]]] = []

    def add_people(self, people: object) -> int:
        batch = list(people)  # type: ignore[call-overload]
        self.people_calls.append(batch)
        return len(batch)

    def add_friendships(self, pairs: object) -> int:
        batch = list(pairs)  # type: ignore[call-overload]
        self.friend_calls.append(batch)
        return len(batch)


def test_write_to_store_writes_everything_in_batches(small: Network) -> None:
    store = RecordingStore()
    stats = write_to_store(small, store, batch_size=250, progress=False)  # type: ignore[arg-type]
    assert stats.people == small.n_people and stats.friendships == small.n_friendships
    assert all(len(b) <= 250 for b in store.people_calls + store.friend_calls)
    assert [pid for b in store.people_calls for pid, _ in b] == small.ids
    assert [p for b in store.friend_calls for p in b] == small.friendships
    for _, attrs in store.people_calls[0]:
        for value in attrs.values():
            assert isinstance(value, str | int | float | bool) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            )


def test_write_to_store_rejects_a_bad_batch_size(small: Network) -> None:
    with pytest.raises(InvalidInput):
        write_to_store(small, RecordingStore(), batch_size=0)  # type: ignore[arg-type]


def run_cli(*argv: str) -> int:
    # Through the graphmatch command line: its one error rule prints seed's errors.
    from graphmatch.cli import main

    return main(["seed", *argv])


def test_the_seed_command_prints_a_json_summary_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("--people", "300", "--mean-degree", "6", "--out", str(tmp_path), "--json")
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["people"] == 300
    assert (tmp_path / "friendships.txt").exists()


def test_the_seed_command_prints_a_table_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--people", "200", "--mean-degree", "5", "--no-progress") == 0
    out = capsys.readouterr().out
    assert "average clustering" in out and "giant component share" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("--people", "0"),
        ("--people", "100", "--mean-degree", "500"),
        ("--people", "100", "--mean-degree", "4", "--locale", "klingon"),
    ],
)
def test_the_seed_command_reports_bad_input_in_one_line(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(*argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("graphmatch: error:")


def test_invalid_input_is_a_graphmatch_error() -> None:
    with pytest.raises(GraphMatchError):
        generate(3)


def test_write_to_store_fills_the_memory_store(small: Network) -> None:
    store = gm.MemoryStore()
    write_to_store(small, store, batch_size=500, progress=False)
    assert store.counts() == (small.n_people, small.n_friendships)
    a, b = small.event.highlights[0]
    assert len(set(store.friends(a)) & set(store.friends(b))) >= 25
    assert store.person(a)["handle"] == small.people[small.index[a]].handle

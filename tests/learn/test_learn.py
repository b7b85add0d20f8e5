"""The learned ranker: features against networkx, stage 1 against the matcher, inference
against scikit-learn, suggestions and explanations against a brute force, files, training."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphmatch as gm
from graphmatch.learn import _kernels
from graphmatch.learn.features import FEATURES, index_rows
from graphmatch.learn.model import Model
from graphmatch.learn.ranker import LearnedRanker, _Scratch, candidate_features
from graphmatch.rule import order_key


def _graph(seed: int, n: int = 60, p: float = 0.08) -> nx.Graph:
    """A random graph with hubs and triangles, string ids of uneven length (id order != int)."""
    g = nx.powerlaw_cluster_graph(n, 3, 0.4, seed=seed)
    g.add_edges_from(nx.gnp_random_graph(n, p / 4, seed=seed + 1).edges())
    return nx.relabel_nodes(g, {i: f"p{i * 7 % n}" for i in g})


def _oracle(g: nx.Graph, u: str, v: str) -> dict[str, float]:
    """The features of (u, v), straight from their definitions, with networkx."""
    nu, nv = set(g[u]), set(g[v])
    m = nu & nv
    cn, du, dv = len(m), len(nu), len(nv)
    p3 = sum(len(set(g[a]) & nv) for a in nu)
    emb = sum(len(set(g[w]) & nu) for w in m)
    inner = g.subgraph(m).number_of_edges()
    return {
        "log_common_neighbors": math.log1p(cn),
        "adamic_adar": sum(1 / math.log(g.degree(w)) for w in m),
        "resource_allocation": sum(1 / g.degree(w) for w in m),
        "jaccard": cn / len(nu | nv) if nu | nv else 0.0,
        "log_degree_u": math.log1p(du),
        "log_degree_v": math.log1p(dv),
        "share_of_u_friends": cn / du,
        "share_of_v_friends": cn / dv,
        "log_paths3": math.log1p(p3),
        "paths3_density": p3 / (du * dv),
        "mutual_embedding": emb / cn if cn else 0.0,
        "mutual_clustering": inner / (cn * (cn - 1) / 2) if cn >= 2 else 0.0,
    }


def _distance_two(g: nx.Graph, u: str) -> set[str]:
    """Everyone exactly two steps from u."""
    return {v for w in g[u] for v in g[w]} - set(g[u]) - {u}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_candidate_features_match_networkx_for_every_distance_two_person(seed: int) -> None:
    g = _graph(seed)
    store = gm.MemoryStore(g, index="off")
    for u in sorted(g)[:15]:
        ids, X = candidate_features(store, u, n_cand=10_000)
        assert set(ids) == _distance_two(g, u)
        for v, row in zip(ids, X, strict=True):
            want = _oracle(g, u, v)
            for j, name in enumerate(FEATURES):
                assert row[j] == pytest.approx(want[name], rel=1e-12, abs=1e-12), (u, v, name)


def test_pair_features_match_networkx_for_any_pair_and_the_candidate_path_bit_for_bit() -> None:
    g = _graph(3)
    store = gm.MemoryStore(g, index="off")
    rows = index_rows(store.build_index())
    rng = random.Random(0)
    nodes = sorted(g)
    pairs = [tuple(rng.sample(nodes, 2)) for _ in range(200)]
    a = np.array([rows.pos[x] for x, _ in pairs])
    b = np.array([rows.pos[y] for _, y in pairs])
    X = _kernels.pair_features(rows.start, rows.deg, rows.indices, a, b)
    for (x, y), row in zip(pairs, X, strict=True):
        want = _oracle(g, x, y)
        if y in g[x]:  # a friend's own row counts the friendship itself: not a candidate
            continue
        for j, name in enumerate(FEATURES):
            assert row[j] == pytest.approx(want[name], rel=1e-12, abs=1e-12), (x, y, name)
    u = nodes[5]
    ids, Xc = candidate_features(store, u, n_cand=10_000)
    Xp = _kernels.pair_features(
        rows.start, rows.deg, rows.indices,
        np.full(len(ids), rows.pos[u]), np.array([rows.pos[v] for v in ids]),
    )  # fmt: skip
    assert Xp.tobytes() == Xc.tobytes()  # the weighted sums add in the same degree order


@pytest.mark.parametrize("n_cand", [1, 5, 40])
def test_stage_one_keeps_the_best_candidates_by_cn_ra_in_the_matchers_order(n_cand: int) -> None:
    g = _graph(4, n=80)
    store = gm.MemoryStore(g, index="off")
    m = gm.Matcher(store, explain=0)
    for u in sorted(g)[::7]:
        ids, _ = candidate_features(store, u, n_cand=n_cand)
        want = [s.person for s in m.suggest(u, limit=n_cand, score="cn_ra")]
        assert ids == want


def _toy_model(features: tuple[str, ...] = FEATURES, seed: int = 0) -> Model:
    """A hand-made model with two small trees and linear weights over the given features."""
    rng = np.random.default_rng(seed)
    nf = len(features)
    # Tree 0: split on feature 0 then a leaf pair; tree 1: one split. Preorder layout.
    return Model(
        features=features,
        learner="test",
        bias=-0.3,
        weights=rng.normal(size=nf),
        roots=np.array([0, 5]),
        feature=np.array([0, 1 % nf, -1, -1, -1, 2 % nf, -1, -1]),
        threshold=np.array([1.0, 0.2, 0, 0, 0, 0.5, 0, 0]),
        left=np.array([1, 2, -1, -1, -1, 6, -1, -1]),
        right=np.array([4, 3, -1, -1, -1, 7, -1, -1]),
        value=np.array([0, 0, 0.5, -0.25, 1.5, 0, 0.125, -2.0]),
        candidates=30,
    )


def _brute_suggest(
    g: nx.Graph, store: gm.MemoryStore, model: Model, u: str, limit: int, explain: int
) -> list[tuple[str, float, int, list[str]]]:
    """Rank the matcher's cn_ra candidates by the model in Python; explain with Matcher.rank."""
    m = gm.Matcher(store, explain=explain)
    cands = [s.person for s in m.suggest(u, limit=model.candidates, score="cn_ra")]
    if not cands:
        return []
    X = np.array([[_oracle(g, u, v)[f] for f in FEATURES] for v in cands])
    p = model.probability(X)
    counts = {v: len(set(g[u]) & set(g[v])) for v in cands}
    order = sorted(range(len(cands)), key=lambda i: order_key(cands[i], p[i], counts[cands[i]]))
    chosen = [cands[i] for i in order[:limit]]
    named = {s.person: s.mutual for s in m.rank(u, chosen, score="common_neighbors")}
    return [(cands[i], p[i], counts[cands[i]], named[cands[i]]) for i in order[:limit]]


@pytest.mark.parametrize("seed", [0, 5])
def test_suggest_ranks_by_the_model_and_explains_exactly_as_the_matcher(seed: int) -> None:
    g = _graph(seed, n=90)
    store = gm.MemoryStore(g, index="sync")
    nodes = sorted(g)
    # Consent and blocks: an undiscoverable person, one hidden as mutual, a block each way.
    store.set_consent(nodes[3], discoverable=False)
    store.set_consent(nodes[4], show_as_mutual=False)
    store.block(nodes[0], nodes[10])
    store.block(nodes[11], nodes[0])
    model = _toy_model(seed=seed)
    ranker = LearnedRanker(model)
    for u in nodes[:12]:
        got = ranker.suggest(store, u, limit=7, explain=2)
        want = _brute_suggest(g, store, model, u, 7, 2)
        assert [(s.person, s.mutual_count, s.mutual) for s in got] == [
            (v, c, named) for v, _, c, named in want
        ]
        for s, (_, p, _, _) in zip(got, want, strict=True):
            assert s.score == pytest.approx(p, rel=1e-9)
        assert nodes[3] not in {s.person for s in got}
        assert isinstance(got[0], gm.Suggestion) if got else True
    blocked = {s.person for s in ranker.suggest(store, nodes[0], limit=100)}
    assert not {nodes[10], nodes[11]} & blocked


def test_a_model_over_fewer_features_reads_only_those() -> None:
    g = _graph(6)
    store = gm.MemoryStore(g, index="off")
    few = ("jaccard", "log_paths3", "adamic_adar")
    model = _toy_model(few)
    assert not model.needs_clustering
    u = sorted(g)[2]
    got = [s.person for s in LearnedRanker(model).suggest(store, u, limit=10, explain=0)]
    want = [v for v, *_ in _brute_suggest(g, store, model, u, 10, 0)]
    assert got == want


def test_suggest_rejects_unknown_people_and_bad_arguments() -> None:
    store = gm.MemoryStore(_graph(0), index="off")
    ranker = LearnedRanker(_toy_model())
    with pytest.raises(gm.PersonNotFound):
        ranker.suggest(store, "nobody")
    with pytest.raises(gm.InvalidInput):
        ranker.suggest(store, "p1", limit=0)
    with pytest.raises(gm.InvalidInput):
        ranker.suggest(store, "p1", explain=-1)
    with pytest.raises(gm.InvalidInput):
        ranker.suggest(object(), "p1")


@pytest.mark.parametrize(("trees", "depth", "leaves"), [(50, 4, 16), (30, 6, 9), (7, 1, 2)])
def test_exported_gradient_boosting_and_logistic_regression_match_scikit_learn(
    trees: int, depth: int, leaves: int
) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from graphmatch.learn.training import _fit_hgb, _fit_logistic

    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, len(FEATURES)))
    y = (X[:, 0] + X[:, 3] * X[:, 5] + rng.normal(size=3000) > 0.5).astype(np.int8)
    # The kernel walks every tree complete to the forest's depth: 9 leaves 6 deep are
    # lopsided trees whose short branches it pads (and 5 test rows leave a remainder of 1
    # after its four-rows-a-step loop).
    hgb = _fit_hgb(X, y, 0, FEATURES, max_iter=trees, max_depth=depth, max_leaf_nodes=leaves)
    est = HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=0.1, max_depth=depth, max_leaf_nodes=leaves,
        min_samples_leaf=40, l2_regularization=1.0, early_stopping=False, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert hgb.depth == max(p[0].get_max_depth() for p in est._predictors)
    for n in (500, 5):
        test = rng.normal(size=(n, len(FEATURES)))
        want = est.decision_function(test)
        np.testing.assert_allclose(hgb.margin(test), want, rtol=1e-9, atol=1e-9)
    lr = _fit_logistic(X, y, 0, FEATURES)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    ref = LogisticRegression(C=1.0, max_iter=1000, random_state=0).fit((X - mean) / scale, y)
    np.testing.assert_allclose(
        lr.margin(test), ref.decision_function((test - mean) / scale), rtol=1e-7, atol=1e-9
    )


def test_model_files_round_trip_and_bad_files_are_typed_errors(tmp_path: Path) -> None:
    model = _toy_model()
    path = tmp_path / "m.json"
    model.save(path)
    again = Model.load(path)
    X = np.random.default_rng(0).normal(size=(50, len(FEATURES)))
    assert again.margin(X).tobytes() == model.margin(X).tobytes()
    assert again.features == FEATURES and again.candidates == 30
    data = json.loads(path.read_text())
    assert data["format"] == "graphmatch-learned-ranker" and data["version"] == 1
    for broken in (
        "not json",
        json.dumps({**data, "version": 99}),
        json.dumps({**data, "format": "other"}),
        json.dumps({**data, "features": ["pagerank"]}),
        json.dumps({**data, "weights": [1.0]}),
        json.dumps({**data, "trees": {**data["trees"], "left": [0, 2, -1, -1, -1, 6, -1, -1]}}),
        json.dumps({k: v for k, v in data.items() if k != "trees"}),
    ):
        path.write_text(broken)
        with pytest.raises(gm.InvalidInput):
            LearnedRanker.load(path)


def test_trees_deeper_than_the_kernel_walks_are_refused() -> None:
    from graphmatch.learn.model import MAX_DEPTH

    # A chain MAX_DEPTH + 1 deep: inner node 2k has the leaf 2k + 1 on its right and the next
    # inner node (or, at the end, the last leaf) 2k + 2 on its left.
    d = MAX_DEPTH + 1
    n = 2 * d + 1
    inner = np.arange(n) % 2 == 0
    inner[-1] = False
    left = np.where(inner, np.arange(n) + 2, -1)
    right = np.where(inner, np.arange(n) + 1, -1)
    model = Model(
        features=("jaccard",), learner="hist_gradient_boosting", bias=0.0,
        weights=np.zeros(1), roots=np.array([0]), feature=np.zeros(n, np.int64),
        threshold=np.zeros(n), left=left, right=right, value=np.zeros(n),
    )  # fmt: skip
    assert model.depth == d
    with pytest.raises(gm.InvalidInput, match="deep"):
        LearnedRanker(model)


@pytest.fixture(scope="module")
def caveman_model() -> Model:
    from graphmatch.learn import train

    g = nx.relabel_nodes(nx.relaxed_caveman_graph(30, 8, 0.15, seed=2), str)
    return train(g, people=100, seed=3)


def test_training_exports_a_small_model_with_its_summary(caveman_model: Model) -> None:
    t = caveman_model.training
    assert caveman_model.learner in ("hist_gradient_boosting", "logistic_regression")
    from graphmatch.learn.training import CANDIDATES, DEFAULT_FEATURES, DEPTH, TREES

    assert caveman_model.features == DEFAULT_FEATURES
    assert not caveman_model.needs_clustering  # so the kernel skips that pass
    assert caveman_model.candidates == CANDIDATES
    if caveman_model.learner == "hist_gradient_boosting":
        assert len(caveman_model.roots) == TREES and caveman_model.depth <= DEPTH
    assert t["people_sampled"] == 100 and t["positives"] > 0
    assert set(t["validation_precision_at_10"]) >= {"cn_ra (stage 1)", caveman_model.learner}
    assert 0 < t["candidate_recall"] <= 1
    assert len(json.dumps(caveman_model.as_dict())) < 500_000


def test_training_is_seeded() -> None:
    from graphmatch.learn import train

    g = nx.relabel_nodes(nx.relaxed_caveman_graph(20, 6, 0.2, seed=1), str)
    a = train(g, people=80, seed=4, learner="logistic_regression")
    b = train(g, people=80, seed=4, learner="logistic_regression")
    assert a.as_dict()["weights"] == b.as_dict()["weights"]


def test_training_rejects_bad_arguments() -> None:
    from graphmatch.learn import train

    g = nx.relabel_nodes(nx.relaxed_caveman_graph(20, 6, 0.2, seed=1), str)
    with pytest.raises(gm.InvalidInput):
        train(g, learner="forest")
    for bad in ({"depth": 0}, {"depth": 13}, {"trees": 0}, {"candidates": 0}, {"depth": 2.5}):
        with pytest.raises(gm.InvalidInput):
            train(g, **bad)  # type: ignore[arg-type]
    with pytest.raises(gm.InvalidInput):
        train(g, features=["pagerank"])
    with pytest.raises(gm.InvalidInput):
        train(g, people=0)
    with pytest.raises(gm.InvalidInput):
        train(nx.path_graph(["a", "b"]))


def test_a_two_hop_walk_too_big_for_the_hash_table_uses_the_dense_rows_with_equal_results() -> None:
    # u's friends know 180 * 200 = 36,000 people-slots in all: past HASH_SLOTS_MAX / 2.
    rng = random.Random(3)
    g = nx.Graph()
    hubs = [f"h{i}" for i in range(180)]
    g.add_edges_from(("u", h) for h in hubs)
    for h in hubs:
        g.add_edges_from((h, f"x{rng.randrange(3000)}") for _ in range(200))
    g.add_edges_from((f"x{rng.randrange(3000)}", f"x{rng.randrange(3000)}") for _ in range(3000))
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    assert 2 * sum(g.degree(h) for h in hubs) > _kernels.HASH_SLOTS_MAX
    store = gm.MemoryStore(g, index="off")
    ids, X = candidate_features(store, "u", n_cand=60)
    want = [s.person for s in gm.Matcher(store, explain=0).suggest("u", 60, "cn_ra")]
    assert ids == want
    for v, row in list(zip(ids, X, strict=True))[::6]:
        oracle = _oracle(g, "u", v)
        for j, name in enumerate(FEATURES):
            assert row[j] == pytest.approx(oracle[name], rel=1e-12, abs=1e-12), (v, name)
    # The dense rows are handed back zeroed: one ranker's scratch serves call after call.
    ranker = LearnedRanker(_toy_model())
    first = ranker.suggest(store, "u", limit=10)
    ranker.suggest(store, "h0", limit=10)
    assert ranker.suggest(store, "u", limit=10) == first


@pytest.mark.parametrize(("depth", "leaves"), [(1, 2), (4, 16), (5, 9), (6, 40), (6, 64)])
def test_leaf_mask_scoring_gives_the_walks_margins_bit_for_bit(depth: int, leaves: int) -> None:
    from graphmatch.learn.training import _fit_hgb

    rng = np.random.default_rng(depth * 100 + leaves)
    X = rng.normal(size=(2000, len(FEATURES)))
    y = (X[:, 0] + X[:, 3] * X[:, 5] + rng.normal(size=2000) > 0.5).astype(np.int8)
    model = _fit_hgb(X, y, 0, FEATURES, max_iter=20, max_depth=depth, max_leaf_nodes=leaves)
    arrays = model.kernel_arrays()
    assert arrays[2] == depth  # lopsided trees (fewer leaves than 2**depth) are padded
    _, _, _, _, threshold, _ = arrays
    # Rows that sit exactly on thresholds (x <= threshold goes left), and 1 and 3 rows.
    test = rng.normal(size=(203, len(FEATURES)))
    real = threshold[np.isfinite(threshold)]
    test[:100] = rng.choice(real, size=(100, len(FEATURES)))
    for rows in (test, test[:1], test[:3]):
        want = _kernels._margins_walk(rows, *arrays)
        assert _kernels.margins(rows, *arrays).tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 120),
    p=st.floats(0.01, 0.3),
    n_cand=st.sampled_from([1, 3, 50]),
    n_banned=st.integers(0, 10),
)
def test_the_hashed_walk_gives_the_dense_rows_bits_in_either_order(
    seed: int, n: int, p: float, n_cand: int, n_banned: int
) -> None:
    # The hashed path (bitmap-filtered probes, the heap sorted in place or left unsorted)
    # against the dense path kept for hubs, a second implementation: same candidates, same
    # counts, same feature bits; the unsorted order is a permutation; scratch back zeroed.
    g = nx.gnp_random_graph(n, p, seed=seed)
    g.add_edges_from(nx.powerlaw_cluster_graph(n, 1, 0.5, seed=seed).edges())
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)  # id order (string order of uneven lengths) != node order
    store = gm.MemoryStore(nx.relabel_nodes(g, {i: f"p{perm[i]}" for i in g}), index="off")
    rows = index_rows(store.build_index())
    banned = np.zeros(rows.n, np.bool_)
    banned[rng.integers(0, rows.n, n_banned)] = True
    scratch = _Scratch(rows.n).arrays()
    args = (rows.start, rows.deg, rows.indices, rows.rank, banned)
    for u in range(rows.n):
        extra = np.unique(rng.integers(0, rows.n, rng.integers(0, 3))).astype(np.int64)
        walk = _kernels.walk_order(rows.start, rows.deg, rows.indices, rows.rank, u)
        ref = tuple(x.copy() for x in _kernels._candidates_dense(
            *args, extra, u, walk, n_cand, True, *scratch))  # fmt: skip
        for ordered in (True, False):
            got = _kernels._candidates_hashed(
                *args, extra, u, walk, _kernels.HASH_SLOTS_MAX, n_cand, True, scratch[5],
                scratch[6], scratch[0], ordered,
            )  # fmt: skip
            if not ordered:
                by_pos = np.argsort(got[0])
                got = tuple(x[by_pos] for x in got)
                want = np.argsort(ref[0])
                ref_ = tuple(x[want] for x in ref)
            else:
                ref_ = ref
            for a, b in zip(got, ref_, strict=True):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (u, ordered)
        assert not scratch[0].any() and not scratch[1].any() and not scratch[2].any()

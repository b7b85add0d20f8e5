"""``graphmatch_bench.engines``: the two-hop size and the cluster projection (no Spark here)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from graphmatch_bench.engines import project_cluster, two_hop_rows


def _join_rows(G: nx.Graph, cap: int | None) -> int:
    """Count the Spark job's two-hop rows by brute force: (w, u < v) with u, v friends of w."""
    rows = 0
    for w in G:
        d = G.degree(w)
        if d < 2 or (cap is not None and d > cap):
            continue
        rows += sum(1 for u, v in itertools.combinations(G[w], 2) if u != v)
    return rows


@pytest.mark.parametrize("cap", [None, 1, 2, 5, 30])
def test_two_hop_rows_equal_the_pairs_of_friends_of_every_counted_mutual_friend(
    cap: int | None,
) -> None:
    G = nx.barabasi_albert_graph(300, 3, seed=4)
    degrees = np.array([d for _, d in G.degree()])
    assert two_hop_rows(degrees, cap) == _join_rows(G, cap)


def test_a_hub_dominates_the_join_until_the_cap_drops_it() -> None:
    degrees = np.array([2_000] + [10] * 1000)
    assert two_hop_rows(degrees) == 1_999_000 + 45_000
    assert two_hop_rows(degrees, max_degree=100) == 45_000


def test_the_projection_scales_work_and_shuffle_by_the_rows_and_splits_work_over_cores() -> None:
    p = project_cluster(
        measured_rows=2_000_000,
        measured_run_s=7200.0,
        measured_shuffle_bytes=3 * 2**30,
        target_rows=2_000_000_000,
        target_people=100_000_000,
        hours=2.0,
        partition_bytes=2**30,
        memory_factor=2.0,
    )
    assert p.scale == 1000.0
    assert p.core_hours == pytest.approx(2000.0)
    assert p.cores == 1000
    assert p.shuffle_bytes == pytest.approx(3000 * 2**30)
    assert p.partitions == 3000
    assert p.memory_bytes == pytest.approx(1000 * 2**30 * 2.0)
    assert "linear in the two-hop rows" in p.assumptions
    assert p.as_dict()["people"] == 100_000_000


def test_a_tiny_target_still_needs_one_core_and_one_partition() -> None:
    p = project_cluster(
        measured_rows=10**6,
        measured_run_s=10.0,
        measured_shuffle_bytes=1000,
        target_rows=10,
        target_people=5,
    )
    assert (p.cores, p.partitions) == (1, 1)


def test_task_spread_reads_the_median_and_the_slowest_task_of_a_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphmatch_bench import engines

    asked: list[str] = []

    def rest(spark: object, path: str) -> object:
        asked.append(path)
        return {
            "quantiles": [0.5, 1.0],
            "executorRunTime": [2000.0, 9000.0],
            "shuffleWriteMetrics": {"writeRecords": [10.0, 70.0]},
        }

    monkeypatch.setattr(engines, "_rest", rest)
    spread = engines.spark_task_spread(object(), 12)
    assert asked == ["stages/12/0/taskSummary?quantiles=0.5,1.0"]
    assert spread == {
        "median_run_s": 2.0,
        "max_run_s": 9.0,
        "median_records": 10.0,
        "max_records": 70.0,
        "max_over_median": 4.5,
    }


def test_stages_sum_memory_and_disk_spill_and_sort_by_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphmatch_bench import engines

    docs = [
        {"stageId": 3, "name": "count at x.py:1", "numCompleteTasks": 2, "executorRunTime": 1500,
         "executorCpuTime": 10**9, "shuffleWriteBytes": 7, "memoryBytesSpilled": 5,
         "diskBytesSpilled": 1},
        {"stageId": 1, "name": "save", "numCompleteTasks": 1},
    ]  # fmt: skip
    monkeypatch.setattr(engines, "_rest", lambda spark, path: docs)
    stages = engines.spark_stages(object())
    assert [s["stage"] for s in stages] == [1, 3]
    assert stages[1]["name"] == "count"
    assert (stages[1]["run_s"], stages[1]["cpu_s"], stages[1]["spill_bytes"]) == (1.5, 1.0, 6)
    assert stages[0]["shuffle_write_bytes"] == 0

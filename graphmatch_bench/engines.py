"""Measuring the batch engines side by side: Spark's own metrics, the two-hop size, a projection.

``benchmarks/bench_batch.py`` runs the in-process batch, scipy's block products and the Spark
job on one graph; this module holds what it needs beyond a stopwatch:

- :func:`two_hop_rows`: the size of the Spark job's two-hop join, ``sum d(w)(d(w)-1)/2`` over
  the mutual friends that count (degree 2 up to the cap), from the degrees alone;
- :func:`spark_stages` and :func:`spark_peak_memory`: shuffle bytes, task counts and run times
  per stage, and the executors' peak memory, from the Spark UI's REST API (the same numbers
  the UI shows), plus the JVM's peak RSS read from ``/proc`` in local mode;
- :func:`project_cluster`: the executor cores, memory and shuffle a graph of another size
  would need, scaled from a measured run by the two-hop rows (the job's work is linear in
  them) with the assumptions stated in the result.
"""

from __future__ import annotations

import json
import math
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "Projection",
    "jvm_peak_rss_bytes",
    "project_cluster",
    "spark_peak_memory",
    "spark_stages",
    "spark_task_spread",
    "two_hop_rows",
]


def two_hop_rows(degrees: np.ndarray, max_degree: int | None = None) -> int:
    """Return the rows of the two-hop join: ``sum d(d-1)/2`` over degrees 2 up to the cap.

    Each mutual friend w contributes one row per pair of its friends (each pair once), and
    only mutual friends with ``2 <= d(w) <= max_degree`` take part, as in
    :func:`graphmatch.batch.spark.rank_frame`.

    Parameters
    ----------
    degrees : numpy.ndarray
        Everyone's degree (integers).
    max_degree : int, optional
        The degree cap; None counts every mutual friend.

    Returns
    -------
    int

    Examples
    --------
    >>> two_hop_rows(np.array([1, 2, 3, 1000]))
    499504
    >>> two_hop_rows(np.array([1, 2, 3, 1000]), max_degree=100)
    4
    """
    d = np.asarray(degrees, dtype=np.int64)
    d = d[d >= 2]
    if max_degree is not None:
        d = d[d <= max_degree]
    return int((d * (d - 1) // 2).sum())


def _rest(spark: Any, path: str) -> Any:
    """Return one JSON document of the session's UI REST API."""
    url = spark.sparkContext.uiWebUrl
    if not url:
        raise ValueError("the Spark session has no UI (start it with ui=True)")
    app = spark.sparkContext.applicationId
    with urllib.request.urlopen(f"{url}/api/v1/applications/{app}/{path}", timeout=30) as r:
        return json.load(r)


def spark_stages(spark: Any) -> list[dict[str, Any]]:
    """Return the completed stages of a session: tasks, run time, shuffle and spill.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A session started with its UI (``graphmatch.batch.spark.session(ui=True)``).

    Returns
    -------
    list of dict
        Per stage: ``stage, name, tasks, run_s`` (executor run time summed over tasks),
        ``cpu_s``, ``shuffle_write_bytes``, ``shuffle_read_bytes``, ``spill_bytes``
        (memory plus disk spill) and ``peak_execution_bytes`` (summed over tasks), by stage id.

    Raises
    ------
    ValueError
        If the session has no UI.

    Examples
    --------
    >>> spark_stages(spark)[0]["tasks"]  # doctest: +SKIP
    2
    """
    out = []
    for s in _rest(spark, "stages?status=complete"):
        out.append(
            {
                "stage": int(s["stageId"]),
                "name": str(s.get("name", "")).split(" at ")[0],
                "tasks": int(s.get("numCompleteTasks", s.get("numTasks", 0))),
                "run_s": s.get("executorRunTime", 0) / 1e3,
                "cpu_s": s.get("executorCpuTime", 0) / 1e9,
                "shuffle_write_bytes": int(s.get("shuffleWriteBytes", 0)),
                "shuffle_read_bytes": int(s.get("shuffleReadBytes", 0)),
                "spill_bytes": int(s.get("memoryBytesSpilled", 0))
                + int(s.get("diskBytesSpilled", 0)),
                "peak_execution_bytes": int(s.get("peakExecutionMemory", 0)),
            }
        )
    return sorted(out, key=lambda s: s["stage"])


def spark_task_spread(spark: Any, stage: int, attempt: int = 0) -> dict[str, float]:
    """Return the median and the slowest task of one stage: run time and records written.

    A hub's pairs are all made by the join task that holds the hub's key, so a skewed
    two-hop join shows as a slowest task far above the median in the stage that joins.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A session started with its UI.
    stage, attempt : int
        The stage (see :func:`spark_stages`) and its attempt.

    Returns
    -------
    dict
        ``median_run_s``, ``max_run_s``, ``median_records``, ``max_records`` (shuffle records
        written per task) and ``max_over_median`` (of the run times; 0 when the median is 0).

    Raises
    ------
    ValueError
        If the session has no UI.

    Examples
    --------
    >>> spark_task_spread(spark, 7)["max_over_median"]  # doctest: +SKIP
    4.2
    """
    q = _rest(spark, f"stages/{stage}/{attempt}/taskSummary?quantiles=0.5,1.0")
    run = q.get("executorRunTime", [0.0, 0.0])
    records = (q.get("shuffleWriteMetrics") or {}).get("writeRecords", [0.0, 0.0])
    return {
        "median_run_s": run[0] / 1e3,
        "max_run_s": run[1] / 1e3,
        "median_records": float(records[0]),
        "max_records": float(records[1]),
        "max_over_median": run[1] / run[0] if run[0] else 0.0,
    }


def jvm_peak_rss_bytes(spark: Any) -> int | None:
    """Return the peak RSS of the session's JVM (``VmHWM``), or None where it cannot be read.

    In ``local[N]`` mode the JVM is the driver and every executor; on a cluster this is the
    driver's JVM only (see :func:`spark_peak_memory` for the executors).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        The session (started from this Python process).

    Returns
    -------
    int or None

    Examples
    --------
    >>> jvm_peak_rss_bytes(spark) > 0  # doctest: +SKIP
    True
    """
    proc = getattr(getattr(spark.sparkContext, "_gateway", None), "proc", None)
    pid = getattr(proc, "pid", None)
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def spark_peak_memory(spark: Any) -> dict[str, int]:
    """Return the executors' peak memory metrics, summed over executors (the driver included).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A session started with its UI.

    Returns
    -------
    dict
        ``jvm_heap_bytes`` (peak ``JVMHeapMemory``), ``execution_bytes`` (peak on-heap plus
        off-heap execution memory) and ``storage_bytes`` (peak storage memory), each the sum
        of the executors' peaks; 0 where Spark reported nothing.

    Raises
    ------
    ValueError
        If the session has no UI.

    Examples
    --------
    >>> sorted(spark_peak_memory(spark))  # doctest: +SKIP
    ['execution_bytes', 'jvm_heap_bytes', 'storage_bytes']
    """
    heap = execution = storage = 0
    for e in _rest(spark, "allexecutors"):
        m = e.get("peakMemoryMetrics") or {}
        heap += int(m.get("JVMHeapMemory", 0))
        execution += int(m.get("OnHeapExecutionMemory", 0)) + int(
            m.get("OffHeapExecutionMemory", 0)
        )
        storage += int(m.get("OnHeapStorageMemory", 0)) + int(m.get("OffHeapStorageMemory", 0))
    return {"jvm_heap_bytes": heap, "execution_bytes": execution, "storage_bytes": storage}


@dataclass(frozen=True)
class Projection:
    """A cluster sized for a bigger graph from one measured Spark run.

    Attributes
    ----------
    people : int
        The target graph's people.
    scale : float
        Target two-hop rows over the measured run's.
    core_hours : float
        Executor run time the target needs (measured run time times ``scale``), in hours.
    cores : int
        Executor cores to finish in ``hours`` (``ceil(core_hours / hours)``).
    shuffle_bytes : float
        Shuffle the target writes (measured times ``scale``).
    partitions : int
        Shuffle partitions for ``partition_bytes`` of shuffle each.
    memory_bytes : float
        Executor memory for ``cores`` concurrent tasks of ``partition_bytes`` each, at
        ``memory_factor`` bytes of memory per shuffled byte.
    assumptions : str
        What the projection takes for granted.
    """

    people: int
    scale: float
    core_hours: float
    cores: int
    shuffle_bytes: float
    partitions: int
    memory_bytes: float
    assumptions: str

    def as_dict(self) -> dict[str, Any]:
        """Return the projection as JSON-ready data."""
        return asdict(self)


def project_cluster(
    *,
    measured_rows: int,
    measured_run_s: float,
    measured_shuffle_bytes: int,
    target_rows: float,
    target_people: int,
    hours: float = 1.0,
    partition_bytes: int = 128 * 2**20,
    memory_factor: float = 4.0,
) -> Projection:
    """Project the cluster a bigger graph needs from one measured Spark run.

    The job's work and shuffle grow with its two-hop rows (the self-join's output, which every
    later stage reads: the aggregation, the anti-join, the window), so both are scaled by
    ``target_rows / measured_rows``; run time is executor time (summed over tasks, so the
    measured machine's core count drops out), split over cores to finish in ``hours``.

    Parameters
    ----------
    measured_rows : int
        Two-hop rows of the measured run (:func:`two_hop_rows`).
    measured_run_s : float
        Executor run time of the measured run, summed over its tasks (:func:`spark_stages`).
    measured_shuffle_bytes : int
        Shuffle bytes it wrote.
    target_rows : float
        Two-hop rows of the target graph.
    target_people : int
        People in the target graph (reported only).
    hours : float, default 1.0
        The wall time to size for.
    partition_bytes : int, default 128 MiB
        Shuffle per partition (Spark's usual advisory size).
    memory_factor : float, default 4.0
        Executor memory per byte of a task's shuffle partition (deserialised rows, sort
        buffers).

    Returns
    -------
    Projection

    Examples
    --------
    >>> p = project_cluster(measured_rows=10**6, measured_run_s=360.0,
    ...                     measured_shuffle_bytes=2**30, target_rows=10**8,
    ...                     target_people=10**8)
    >>> p.scale, p.core_hours, p.cores, p.partitions
    (100.0, 10.0, 10, 800)
    """
    scale = float(target_rows) / measured_rows
    core_hours = measured_run_s * scale / 3600
    cores = max(1, math.ceil(core_hours / hours - 1e-9))
    shuffle = measured_shuffle_bytes * scale
    partitions = max(1, math.ceil(shuffle / partition_bytes))
    memory = cores * partition_bytes * memory_factor
    return Projection(
        people=target_people,
        scale=scale,
        core_hours=core_hours,
        cores=cores,
        shuffle_bytes=shuffle,
        partitions=partitions,
        memory_bytes=memory,
        assumptions=(
            "work and shuffle linear in the two-hop rows (the same degree distribution, so "
            "rows linear in people); executor time measured on local[2] carries over to a "
            "cluster core; input read by the executors (Parquet), not shipped from a driver; "
            f"{partition_bytes / 2**20:.0f} MiB of shuffle per partition, "
            f"{memory_factor:g} bytes of executor memory per shuffled byte in flight"
        ),
    )

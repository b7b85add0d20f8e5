"""Everyone's top-k in one run, on every core, to a file or Neo4j; or on Spark.

The Spark job (:mod:`graphmatch.batch.spark`, the ``spark`` extra) is loaded on first use of
its names here (``run_spark_batch``, ``rank_frame``, ``session``, ...), so importing the
batch never imports PySpark.
"""

from __future__ import annotations

from typing import Any

from graphmatch.batch.run import (
    CHECKPOINT_FORMAT,
    SUGGESTED_QUERY,
    BatchReport,
    Block,
    JsonlSink,
    Neo4jSink,
    ParquetSink,
    Sink,
    default_checkpoint,
    iter_blocks,
    run_batch,
)

__all__ = [
    "CHECKPOINT_FORMAT",
    "SUGGESTED_QUERY",
    "BatchReport",
    "Block",
    "JsonlSink",
    "Neo4jSink",
    "ParquetSink",
    "Sink",
    "default_checkpoint",
    "iter_blocks",
    "run_batch",
]

#: Names of graphmatch.batch.spark offered here, imported on first use.
_SPARK_NAMES = frozenset(
    {
        "BatchFrames",
        "SparkReport",
        "frames_from_edgelist",
        "frames_from_parquet",
        "frames_from_store",
        "rank_frame",
        "read_jsonl_parts",
        "run_spark_batch",
        "session",
        "shuffle_bytes",
    }
)


def __getattr__(name: str) -> Any:
    """Return a name of the Spark batch, importing it (and PySpark) on first use."""
    if name in _SPARK_NAMES:
        from graphmatch.batch import spark

        return getattr(spark, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

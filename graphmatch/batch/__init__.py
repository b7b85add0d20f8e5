"""Everyone's top-k in one run, on every core, to a file or Neo4j."""

from __future__ import annotations

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

"""Offline evaluation: hide friendships, ask each score to find them again.

:mod:`~graphmatch.evaluation.run` (the protocol, :func:`evaluate`), with the metrics in
:mod:`~graphmatch.evaluation.metrics`, confidence intervals in
:mod:`~graphmatch.evaluation.stats` and the hold-out in :mod:`~graphmatch.evaluation.split`.
"""

from __future__ import annotations

from graphmatch.evaluation.metrics import (
    METRICS,
    average_precision,
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    roc_auc,
)
from graphmatch.evaluation.run import (
    CLASSIC,
    LEARNED,
    RANDOM,
    EvaluationResult,
    ScoreResult,
    evaluate,
)
from graphmatch.evaluation.split import HoldOut, holdout_split
from graphmatch.evaluation.stats import Interval, mean_interval

__all__ = [
    "CLASSIC",
    "LEARNED",
    "METRICS",
    "RANDOM",
    "EvaluationResult",
    "HoldOut",
    "Interval",
    "ScoreResult",
    "average_precision",
    "average_precision_at_k",
    "evaluate",
    "hit_rate_at_k",
    "holdout_split",
    "mean_interval",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "roc_auc",
]

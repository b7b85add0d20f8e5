"""Offline evaluation: hide friendships, ask each score to find them again."""

from __future__ import annotations

from graphmatch.evaluation.run import (
    METRICS,
    RANDOM,
    EvaluationResult,
    HoldOut,
    Interval,
    ScoreResult,
    average_precision,
    average_precision_at_k,
    evaluate,
    hit_rate_at_k,
    holdout_split,
    mean_interval,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    roc_auc,
)

__all__ = [
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

"""The learned ranker in ``graphmatch batch``: one block of people at a time, in parallel.

:func:`graphmatch.batch.iter_blocks` calls :func:`rank_block` for ``score="learned"`` where it
calls the index kernels' block ranker for a formula score: same index snapshot, same
skip lists (blocks both ways, dismissals), same outputs, so every sink writes it unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from graphmatch.errors import InvalidInput
from graphmatch.learn import _kernels
from graphmatch.learn.features import index_rows
from graphmatch.learn.ranker import LearnedRanker

__all__ = ["BlockRanker", "as_ranker"]


def as_ranker(model: Any) -> LearnedRanker:
    """Return a ranker for a model path, :class:`~graphmatch.learn.Model` or ranker.

    Raises
    ------
    InvalidInput
        If model is None (``score="learned"`` needs one) or not a valid model.
    """
    from graphmatch.learn.model import Model

    if model is None:
        raise InvalidInput(
            "score 'learned' needs a model: --model PATH (graphmatch train GRAPH --out PATH)"
        )
    if isinstance(model, LearnedRanker):
        return model
    if isinstance(model, Model):
        return LearnedRanker(model)
    if isinstance(model, str | Path):
        return LearnedRanker.load(model)
    raise InvalidInput(f"model must be a path, a Model or a LearnedRanker, got {model!r}")


class BlockRanker:
    """Ranks blocks of people of one frozen index by a model, with per-lane scratch.

    Parameters
    ----------
    ranker : LearnedRanker
        The model.
    index : CSRIndex
        The frozen snapshot the batch reads.
    lanes : int
        Threads (one scratch lane each: about 48 bytes a person a lane).

    Examples
    --------
    >>> import networkx as nx, numpy as np, graphmatch as gm
    >>> from graphmatch.learn import Model, LearnedRanker
    >>> model = Model(features=("log_common_neighbors",), learner="logistic_regression",
    ...               bias=0.0, weights=np.array([1.0]))
    >>> ix = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off").build_index()
    >>> none = np.zeros(4, np.int64)
    >>> found, counts, scores, lengths, named = BlockRanker(LearnedRanker(model), ix, 1).rank(
    ...     np.arange(3), none, np.zeros(0, np.int64), 10, 1)
    >>> [ix.ids[p] for p in found[0, : lengths[0]]], ix.ids[named[0, 0, 0]]
    (['b'], 'w')
    """

    def __init__(self, ranker: LearnedRanker, index: Any, lanes: int) -> None:
        self.ranker = ranker
        self.rows = index_rows(index)
        n = self.rows.n
        self.scratch = (
            np.zeros((lanes, n), np.int64), np.zeros((lanes, n)), np.zeros((lanes, n)),
            np.zeros((lanes, n), np.int64), np.zeros((lanes, n), np.int64),
            np.zeros((lanes, n), np.int64), np.ones((lanes, 2), np.int64),
        )  # fmt: skip

    def rank(
        self, users: np.ndarray, extra_ptr: np.ndarray, extra_idx: np.ndarray, k: int,
        explain: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """Return (found, counts, scores, lengths, named) for users, as the index kernels do."""
        r, model = self.rows, self.ranker.model
        out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
        out = _kernels.top_k_block(
            r.start, r.deg, r.indices, r.rank, r.banned, r.hidden, users, extra_ptr, extra_idx,
            model.candidates, model.needs_clustering, k, explain, *self.ranker._arrays,
            *self.scratch,
        )  # fmt: skip
        return out


def model_digest(ranker: LearnedRanker) -> str:
    """Return a digest of the model's content (so a checkpoint knows which model it was)."""
    text = json.dumps(ranker.model.as_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

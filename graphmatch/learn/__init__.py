"""The learned ranker: two stages in compiled code, trained on the graph itself.

:mod:`~graphmatch.learn.features` (the pair features), :mod:`~graphmatch.learn.model` (the
model as arrays, its file), :mod:`~graphmatch.learn.ranker` (:class:`LearnedRanker`) and
:mod:`~graphmatch.learn.training` (:func:`train`, the only module that imports scikit-learn,
the ``[learn]`` extra). Names load on first use, so importing this package costs nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphmatch.learn.features import FEATURES
    from graphmatch.learn.model import Model
    from graphmatch.learn.ranker import LEARNED, LearnedRanker
    from graphmatch.learn.training import TrainingSet, train

__all__ = ["FEATURES", "LEARNED", "LearnedRanker", "Model", "TrainingSet", "train"]

_LAZY = {
    "FEATURES": "graphmatch.learn.features",
    "LEARNED": "graphmatch.learn.ranker",
    "LearnedRanker": "graphmatch.learn.ranker",
    "Model": "graphmatch.learn.model",
    "TrainingSet": "graphmatch.learn.training",
    "train": "graphmatch.learn.training",
}


def __getattr__(name: str) -> Any:
    # PEP 562: load a member (numpy, numba, scikit-learn) the first time it is asked for.
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'graphmatch.learn' has no attribute {name!r}")
    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # List the lazy names too, before they are first used.
    return sorted({*globals(), *__all__})

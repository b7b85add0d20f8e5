"""The learned model as plain arrays: a bias, linear weights and regression trees.

A model file is JSON: its format name and version, the features it reads (names from
:data:`graphmatch.learn.features.FEATURES`), how many candidates stage 1 keeps, the learner
it came from, the arrays, and a training summary. Scoring never calls the learner: the
compiled kernel walks the arrays (:func:`graphmatch.learn._kernels.margins`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from graphmatch.errors import InvalidInput
from graphmatch.learn.features import FEATURES

__all__ = ["FORMAT", "MAX_DEPTH", "VERSION", "Model"]

#: The ``format`` field of every model file.
FORMAT: Final = "graphmatch-learned-ranker"
#: The model-file version this code reads and writes.
VERSION: Final = 1
#: The deepest trees the kernel evaluates (2**12 leaves a tree in the complete layout).
MAX_DEPTH: Final = 12


def _ints(values: Any, name: str) -> np.ndarray:
    """Return a list of integers as an int64 array, or raise InvalidInput."""
    arr = np.asarray(values)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise InvalidInput(f"model field {name!r} must be a list of integers")
    return arr.astype(np.int64)


def _floats(values: Any, name: str) -> np.ndarray:
    """Return a list of finite numbers as a float64 array, or raise InvalidInput."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"model field {name!r} must be a list of numbers") from None
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise InvalidInput(f"model field {name!r} must be a list of finite numbers")
    return arr


@dataclass(frozen=True)
class Model:
    """A trained ranking model: ``margin(x) = bias + weights · x + Σ_t tree_t(x)``.

    ``features`` names the columns the model reads; ``weights`` has one entry per feature;
    tree ``t`` starts at node ``roots[t]``, an inner node sends ``x`` left when
    ``x[feature] <= threshold`` (``feature`` indexes ``features``), a leaf has ``left == -1``
    and adds ``value``. The score shown is the probability ``1 / (1 + e^-margin)``.

    Examples
    --------
    >>> m = Model(features=("jaccard",), learner="logistic_regression", bias=-1.0,
    ...           weights=np.array([2.0]))
    >>> float(m.probability(np.array([[0.5]]))[0])
    0.5
    """

    features: tuple[str, ...]
    learner: str
    bias: float
    weights: np.ndarray
    roots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    feature: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    threshold: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    left: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    candidates: int = 200
    training: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features or len(set(self.features)) != len(self.features):
            raise InvalidInput(
                f"model features must be distinct names from {', '.join(FEATURES)}; "
                f"got {list(self.features)}"
            )
        if self.weights.shape != (len(self.features),):
            raise InvalidInput("model weights need one entry per feature")
        nodes = self.feature.shape[0]
        if not (
            self.threshold.shape
            == self.left.shape
            == self.right.shape
            == self.value.shape
            == (nodes,)
        ):
            raise InvalidInput("model tree arrays must all have one entry per node")
        inner = self.left >= 0
        if nodes and (
            (self.roots < 0).any()
            or (self.roots >= nodes).any()
            or (self.left[inner] >= nodes).any()
            or (self.right[inner] < 0).any()
            or (self.right[inner] >= nodes).any()
            or (self.feature[inner] < 0).any()
            or (self.feature[inner] >= len(self.features)).any()
            # Children come after their parent, so every walk ends at a leaf.
            or (self.left[inner] <= np.flatnonzero(inner)).any()
            or (self.right[inner] <= np.flatnonzero(inner)).any()
        ):
            raise InvalidInput("model trees are malformed")
        if self.roots.size and not nodes:
            raise InvalidInput("model trees are malformed")
        if isinstance(self.candidates, bool) or not 1 <= self.candidates <= 10_000:
            raise InvalidInput("model candidates must be an integer from 1 to 10000")
        if not math.isfinite(self.bias):
            raise InvalidInput("model bias must be finite")

    # -- the kernel's view -------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Return the depth of the deepest tree (0 for a model without trees)."""
        if not self.roots.size:
            return 0
        depth = np.zeros(self.feature.shape[0], np.int64)
        # Children come after their parent (checked at construction): one forward pass.
        for j in range(self.feature.shape[0]):
            if self.left[j] >= 0:
                depth[self.left[j]] = depth[self.right[j]] = depth[j] + 1
        return int(depth.max())

    def kernel_arrays(self) -> tuple[float, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
        """Return the arguments :func:`~graphmatch.learn._kernels.margins` takes after X.

        Feature indices are remapped from the model's own list to the kernel's column order,
        the weights spread over every column (zero where the model reads nothing), and every
        tree laid out complete to the forest's depth, breadth first: a branch that ends early
        is padded with nodes that always go left to copies of its leaf. The kernel then walks
        each tree in a fixed number of steps without a branch on the data; on synth-10k, 50
        candidates x 100 trees of 15 leaves took 122 us walking the nodes' links.

        Raises
        ------
        InvalidInput
            If the trees are deeper than :data:`MAX_DEPTH` (their complete layout would not
            fit in cache).
        """
        cols = np.array([FEATURES.index(f) for f in self.features], dtype=np.int64)
        weights = np.zeros(len(FEATURES), np.float64)
        weights[cols] = self.weights
        depth = self.depth
        if depth > MAX_DEPTH:
            raise InvalidInput(f"model trees are {depth} deep; at most {MAX_DEPTH} are supported")
        inner, width = (1 << depth) - 1, 1 << depth
        trees = len(self.roots)
        feature = np.zeros(trees * inner, np.int64)
        threshold = np.full(trees * inner, np.inf)
        value = np.zeros(trees * width, np.float64)
        for t, root in enumerate(self.roots.tolist()):
            stack = [(int(root), 0, 0)]  # (node, place in the complete tree, its depth)
            while stack:
                node, place, d = stack.pop()
                if self.left[node] < 0:
                    # A leaf at depth d covers 2**(depth - d) leaves of the complete tree,
                    # reached from place by going left (threshold +inf) all the way down.
                    first = (place + 1) * (1 << (depth - d)) - 1 - inner
                    value[t * width + first : t * width + first + (1 << (depth - d))] = self.value[
                        node
                    ]
                    continue
                feature[t * inner + place] = cols[self.feature[node]]
                threshold[t * inner + place] = self.threshold[node]
                stack.append((int(self.left[node]), 2 * place + 1, d + 1))
                stack.append((int(self.right[node]), 2 * place + 2, d + 1))
        return (float(self.bias), weights, depth, feature, threshold, value)

    @property
    def needs_clustering(self) -> bool:
        """Whether the model reads ``mutual_clustering`` (the costliest feature to compute)."""
        return "mutual_clustering" in self.features

    def margin(self, X: np.ndarray) -> np.ndarray:
        """Return the margin of each row of a full feature matrix (columns as FEATURES).

        Parameters
        ----------
        X : numpy.ndarray
            ``(n, len(FEATURES))`` or, for a model over fewer features, ``(n, len(features))``
            in the model's own order.

        Returns
        -------
        numpy.ndarray of float64
        """
        from graphmatch.learn import _kernels

        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise InvalidInput("features must be a 2-d array")
        if X.shape[1] == len(self.features) and X.shape[1] != len(FEATURES):
            full = np.zeros((X.shape[0], len(FEATURES)))
            full[:, [FEATURES.index(f) for f in self.features]] = X
            X = full
        if X.shape[1] != len(FEATURES):
            raise InvalidInput(f"features need {len(FEATURES)} columns, got {X.shape[1]}")
        out: np.ndarray = _kernels.margins(X, *self.kernel_arrays())
        return out

    def probability(self, X: np.ndarray) -> np.ndarray:
        """Return the probability of each row (see :meth:`margin`)."""
        p: np.ndarray = 1.0 / (1.0 + np.exp(-self.margin(X)))
        return p

    # -- files -------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data (the file's content)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "learner": self.learner,
            "features": list(self.features),
            "candidates": self.candidates,
            "bias": self.bias,
            "weights": self.weights.tolist(),
            "trees": {
                "roots": self.roots.tolist(),
                "feature": self.feature.tolist(),
                "threshold": self.threshold.tolist(),
                "left": self.left.tolist(),
                "right": self.right.tolist(),
                "value": self.value.tolist(),
            },
            "training": self.training,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Model:
        """Build a model from :meth:`as_dict` data, checking every field.

        Raises
        ------
        InvalidInput
            For another format or version, or a missing or malformed field.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput(f"not a graphmatch model (format must be {FORMAT!r})")
        if data.get("version") != VERSION:
            raise InvalidInput(
                f"model version {data.get('version')!r} is not supported (this graphmatch "
                f"reads version {VERSION}); train it again"
            )
        try:
            trees = data["trees"]
            features = data["features"]
            if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
                raise InvalidInput("model field 'features' must be a list of names")
            bias = data["bias"]
            if isinstance(bias, bool) or not isinstance(bias, int | float):
                raise InvalidInput("model field 'bias' must be a number")
            candidates = data.get("candidates", 200)
            if not isinstance(candidates, int):
                raise InvalidInput("model field 'candidates' must be an integer")
            return cls(
                features=tuple(features),
                learner=str(data["learner"]),
                bias=float(bias),
                weights=_floats(data["weights"], "weights"),
                roots=_ints(trees["roots"], "roots"),
                feature=_ints(trees["feature"], "feature"),
                threshold=_floats(trees["threshold"], "threshold"),
                left=_ints(trees["left"], "left"),
                right=_ints(trees["right"], "right"),
                value=_floats(trees["value"], "value"),
                candidates=candidates,
                training=dict(data.get("training") or {}),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"model file is missing or mangles a field: {exc}") from None

    def save(self, path: str | Path) -> None:
        """Write the model to a JSON file (floats round-trip exactly)."""
        Path(path).write_text(json.dumps(self.as_dict(), separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read a model file written by :meth:`save`.

        Raises
        ------
        InvalidInput
            If the file is not JSON or not a valid model.
        OSError
            If the file cannot be read.
        """
        text = Path(path).read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}: not a model file (bad JSON: {exc.msg})") from None
        return cls.from_dict(data)

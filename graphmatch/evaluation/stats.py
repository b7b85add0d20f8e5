"""Confidence intervals for means over people."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from graphmatch.errors import InvalidInput
from graphmatch.evaluation.metrics import ArrayLike

__all__ = ["Z95", "Interval", "mean_interval"]

#: Two-sided 95% normal quantile.
Z95: Final = 1.959963984540054


# -- confidence intervals --------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """A mean over people with its 95% confidence interval ``[low, high]``."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """Return the interval as JSON-ready data."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}

    def __str__(self) -> str:
        return f"{self.mean:.4f} ±{(self.high - self.low) / 2:.4f}"


def mean_interval(values: ArrayLike) -> Interval:
    """Return the mean of values with a 95% normal-approximation confidence interval.

    The half-width is 1.96 standard errors (sample standard deviation over √n); with one value
    the interval is the point itself.

    Parameters
    ----------
    values : array-like of float
        One value per person (or per-person differences, for a paired comparison).

    Returns
    -------
    Interval

    Raises
    ------
    InvalidInput
        If values is empty.

    Examples
    --------
    >>> iv = mean_interval([0.0, 1.0, 0.0, 1.0])
    >>> iv.mean, round(iv.high - iv.mean, 4)
    (0.5, 0.5658)
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InvalidInput("a confidence interval needs at least one value")
    mean = float(x.mean())
    half = Z95 * float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else 0.0
    return Interval(mean, mean - half, mean + half, int(x.size))

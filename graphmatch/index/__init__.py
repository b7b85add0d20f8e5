"""The compiled read index: a CSR snapshot (:mod:`~graphmatch.index.csr`) and its numba kernels
(:mod:`~graphmatch.index.kernels`)."""

from __future__ import annotations

from graphmatch.index.csr import CSRIndex

__all__ = ["CSRIndex"]

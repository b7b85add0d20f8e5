"""The compiled read index: a CSR snapshot (:mod:`~graphmatch.index.csr`) and its numba kernels
(:mod:`~graphmatch.index.kernels`).

Both load on first use (numba alone takes a quarter of a second to import), so importing this
package, as every store does, costs nothing until an index is built.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphmatch.index.csr import CSRIndex

__all__ = ["CSRIndex"]


def __getattr__(name: str) -> Any:
    # PEP 562: import the CSR module (numpy, numba) the first time CSRIndex is asked for.
    if name == "CSRIndex":
        value = import_module("graphmatch.index.csr").CSRIndex
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphmatch.index' has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy name too, before it is first used.
    return sorted({*globals(), *__all__})

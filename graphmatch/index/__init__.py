"""The compiled read index: a frozen CSR snapshot (:mod:`~graphmatch.index.csr`), the live index
that takes writes in place (:mod:`~graphmatch.index.live`) and their numba kernels
(:mod:`~graphmatch.index.kernels`, :mod:`~graphmatch.index.live_kernels`).

Both load on first use (numba alone takes a quarter of a second to import), so importing this
package, as every store does, costs nothing until an index is built.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphmatch.index.csr import CSRIndex
    from graphmatch.index.live import LiveIndex

__all__ = ["CSRIndex", "LiveIndex"]
_MODULES = {"CSRIndex": "graphmatch.index.csr", "LiveIndex": "graphmatch.index.live"}


def __getattr__(name: str) -> Any:
    # PEP 562: import the module (numpy, numba) the first time its class is asked for.
    if name in _MODULES:
        value = getattr(import_module(_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphmatch.index' has no attribute {name!r}")


def __dir__() -> list[str]:
    # List the lazy name too, before it is first used.
    return sorted({*globals(), *__all__})

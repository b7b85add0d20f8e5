"""A stand-in for :mod:`graphmatch.index.kernels` that imports it at the first kernel call.

Importing numba takes a quarter of a second, and most programs that import graphmatch never
build an index. :mod:`graphmatch.stores.memory` binds this stand-in instead of the module, so
``import graphmatch`` and a store that never builds an index never load numba.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["kernels"]


class _Deferred(ModuleType):
    """Stand in for a module: import it on first attribute access, then keep what was read."""

    def __init__(self, target: str) -> None:
        super().__init__(f"{target} (deferred)")
        self._target = target

    def __getattr__(self, attr: str) -> Any:
        # Called only for names not yet copied here, so later calls cost a plain attribute
        # lookup. import_module is thread-safe, and two threads copying one value is harmless.
        value = getattr(import_module(self._target), attr)
        setattr(self, attr, value)
        return value


#: Every attribute of :mod:`graphmatch.index.kernels`, imported on first use.
kernels: ModuleType = _Deferred("graphmatch.index.kernels")

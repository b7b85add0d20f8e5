"""Realistic fake networks for graphmatch demos: Faker profiles on a social structure.

The names load on first use, so ``import seed_data`` (and the ``graphmatch seed`` command's
registration) does not pay for Faker and numpy until a network is generated.

>>> from seed_data import generate, summary
>>> net = generate(2000, mean_degree=12, seed=3)
>>> summary(net)["people"]
2000
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seed_data.cli import format_report, seed
    from seed_data.export import export, load
    from seed_data.generator import generate
    from seed_data.metrics import summary
    from seed_data.model import Event, Network, Person
    from seed_data.to_store import WriteStats, write_to_store

_LAZY: dict[str, str] = {
    "Event": "seed_data.model",
    "Network": "seed_data.model",
    "Person": "seed_data.model",
    "WriteStats": "seed_data.to_store",
    "export": "seed_data.export",
    "format_report": "seed_data.cli",
    "generate": "seed_data.generator",
    "load": "seed_data.export",
    "seed": "seed_data.cli",
    "summary": "seed_data.metrics",
    "write_to_store": "seed_data.to_store",
}

__all__ = [
    "Event",
    "Network",
    "Person",
    "WriteStats",
    "export",
    "format_report",
    "generate",
    "load",
    "seed",
    "summary",
    "write_to_store",
]


class _Package(ModuleType):
    """This package's module type: a submodule never hides the function of the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing seed_data.export sets the package's ``export`` to that module; the public
        # name is the function it holds, as it was when this file imported it eagerly.
        if isinstance(value, ModuleType) and _LAZY.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    # PEP 562: import the member's module on first access, then keep the name here.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seed_data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # List the lazy names too, before they are first used.
    return sorted({*globals(), *__all__})

"""Realistic fake social networks for graphmatch demos: Faker profiles on a social structure.

>>> from seed_data import generate, summary
>>> net = generate(2000, mean_degree=12, seed=3)
>>> summary(net)["people"]
2000
"""

from __future__ import annotations

from seed_data.export import export, load
from seed_data.generator import generate
from seed_data.metrics import summary
from seed_data.model import Event, Network, Person
from seed_data.to_store import WriteStats, write_to_store

__all__ = [
    "Event",
    "Network",
    "Person",
    "WriteStats",
    "export",
    "generate",
    "load",
    "summary",
    "write_to_store",
]

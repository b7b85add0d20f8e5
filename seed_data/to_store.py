"""``write_to_store``: bulk-load a generated network into any graphmatch ``GraphStore``."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from tqdm import tqdm

from graphmatch.errors import InvalidInput
from graphmatch.stores.protocol import BulkLoads
from seed_data.model import Network

if TYPE_CHECKING:  # only a type: keeps seed_data importable without the store modules
    from graphmatch.stores.protocol import GraphStore

__all__ = ["WriteStats", "write_to_store"]

T = TypeVar("T")


class WriteStats(NamedTuple):
    """What :func:`write_to_store` did."""

    people: int
    friendships: int  # as reported new by the store
    seconds: float

    @property
    def friendships_per_second(self) -> float:
        return self.friendships / self.seconds if self.seconds > 0 else 0.0


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_to_store(
    network: Network,
    store: GraphStore,
    batch_size: int = 10_000,
    progress: bool = True,
) -> WriteStats:
    """Write people, then friendships, into store, one ``add_*`` call per batch.

    One call per batch lets a Neo4j store turn each into a single ``UNWIND`` transaction, and
    lets the progress bar advance; people go first so friendships never create bare people.

    Parameters
    ----------
    network : Network
        What to write.
    store : GraphStore
        Any store implementing ``add_people`` and ``add_friendships``.
    batch_size : int, default 10000
        People or friendships per call.
    progress : bool, default True
        Show a tqdm bar (stderr) counting people and friendships written.

    Returns
    -------
    WriteStats
        People written, friendships the store reported new, and wall seconds.

    Raises
    ------
    InvalidInput
        If batch_size < 1.
    GraphMatchError
        Whatever the store raises (e.g. ``StoreUnavailable``).

    Examples
    --------
    >>> from graphmatch.stores.memory import MemoryStore  # doctest: +SKIP
    >>> write_to_store(generate(1000), MemoryStore(), progress=False).people  # doctest: +SKIP
    1000
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInput(f"batch size must be a positive integer, got {batch_size!r}")
    start = time.perf_counter()
    total = network.n_people + network.n_friendships
    people: list[tuple[str, dict[str, Any]]] = [(p.id, p.attrs()) for p in network.people]
    new = 0
    with tqdm(
        total=total, desc="writing", unit="rec", unit_scale=True, disable=not progress
    ) as bar:
        for chunk in _batches(people, batch_size):
            store.add_people(chunk)
            bar.update(len(chunk))
        pairs = network.friendships
        if isinstance(store, BulkLoads):
            # Neo4j's bulk path: people are in already, so its batches only seek and CREATE.
            new = int(store.bulk_load(pairs, on_batch=bar.update))
        else:
            for pchunk in _batches(pairs, batch_size):
                new += int(store.add_friendships(pchunk))
                bar.update(len(pchunk))
    return WriteStats(network.n_people, new, time.perf_counter() - start)

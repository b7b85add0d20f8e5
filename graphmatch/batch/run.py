"""Batch top-k for everyone: every person's suggestions, in blocks, streamed to a sink.

The ranking is the one :meth:`graphmatch.Matcher.suggest` uses through a store's CSR index
(the same compiled kernel per person, see :func:`graphmatch.index.kernels.top_k_block`), so a
line of the output is exactly what ``suggest(person, k, score)`` answers: never the person,
their friends, anyone blocked either way, or anyone who opted out of discovery.

Any :class:`~graphmatch.GraphStore` with the :class:`~graphmatch.stores.protocol.HasIndex`
and :class:`~graphmatch.stores.protocol.ListsBlocks` capabilities will do (the memory store
and the journaled store offer both); a store without them is refused with
:class:`~graphmatch.InvalidInput`.

Work goes in blocks of people (memory stays bounded by the block size, not the graph), both
cores rank a block together, and each finished block is appended to the sink and recorded in
a sidecar checkpoint (completed blocks and the output's byte offset). After an interrupt,
``resume=True`` truncates the output to the last complete block and carries on; the result
is byte for byte the file an uninterrupted run writes.

Sinks: :class:`JsonlSink` (one line per person), :class:`ParquetSink` (one part file per
block; needs ``pyarrow``), :class:`Neo4jSink` (``:SUGGESTED {score, mutual_count, rank}``
relationships through any object with ``run_write(query, params)``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numba
import numpy as np

from graphmatch.batch import _encode
from graphmatch.errors import InvalidInput
from graphmatch.index import kernels
from graphmatch.index.csr import CSRIndex
from graphmatch.index.live import LiveIndex
from graphmatch.matcher import MAX_EXPLAIN, MAX_LIMIT
from graphmatch.rule import DEFAULT_SCORE, LEARNED, check_score
from graphmatch.stores.protocol import Dismisses, GraphStore, HasIndex, ListsBlocks

__all__ = [
    "CHECKPOINT_FORMAT",
    "SUGGESTED_QUERY",
    "BatchReport",
    "Block",
    "JsonlSink",
    "Neo4jSink",
    "ParquetSink",
    "Sink",
    "default_checkpoint",
    "iter_blocks",
    "run_batch",
]

#: Written into every checkpoint; a checkpoint of another format is never resumed.
CHECKPOINT_FORMAT = "graphmatch-batch/1"
DEFAULT_BLOCK_SIZE = 20_000
#: numba's thread pool size, fixed at import; set_num_threads may only lower it.
_MAX_THREADS: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]

#: Replaces each person's ``:SUGGESTED`` relationships with the new ones, idempotently, so a
#: block written twice (an interrupt between the write and the checkpoint) is harmless.
SUGGESTED_QUERY = """
UNWIND $rows AS row
MATCH (a:Person {id: row.id})
OPTIONAL MATCH (a)-[old:SUGGESTED]->()
DELETE old
WITH DISTINCT a, row
UNWIND row.suggestions AS s
MATCH (b:Person {id: s.id})
CREATE (a)-[:SUGGESTED {score: s.score, mutual_count: s.mutual_count, rank: s.rank}]->(b)
"""


@dataclass(frozen=True, eq=False)
class Block:
    """One block of results: the suggestions of ``people``, as index positions.

    Attributes
    ----------
    number : int
        The block's ordinal (0-based); block ``b`` holds positions
        ``b * block_size`` up to the next block's first.
    people : list of str
        The people of the block, in id order.
    ids : sequence of str
        Every id of the index, by position (to name the suggested people).
    found, counts, scores : numpy.ndarray
        ``(len(people), k)`` suggested positions (-1 pads), mutual counts and scores.
    lengths : numpy.ndarray
        How many suggestions each person has.
    named : numpy.ndarray or None
        ``(len(people), k, explain)`` named mutual friends (-1 pads), or None.
    """

    number: int
    people: list[str]
    ids: Sequence[str]
    found: np.ndarray
    counts: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray
    named: np.ndarray | None = None

    def rows(self) -> Iterator[tuple[str, list[tuple[str, float, int, list[str]]]]]:
        """Yield ``(person, [(id, score, mutual count, named mutual friends), ...])``.

        Yields
        ------
        tuple
            One person and their suggestions, best first.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
        >>> block = next(iter_blocks(store, k=2))
        >>> next(block.rows())
        ('a', [('b', 0.5, 1, [])])
        """
        ids = self.ids
        found, counts, scores = self.found.tolist(), self.counts.tolist(), self.scores.tolist()
        named = self.named.tolist() if self.named is not None else None
        for i, (person, m) in enumerate(zip(self.people, self.lengths.tolist(), strict=True)):
            out = []
            for j in range(m):
                mutual = [ids[w] for w in named[i][j] if w >= 0] if named is not None else []
                out.append((ids[found[i][j]], scores[i][j], counts[i][j], mutual))
            yield person, out


class Sink(Protocol):
    """Where blocks go. ``start`` once (with the offset to resume at), ``write`` per block."""

    def start(self, offset: int) -> None:
        """Prepare to write, dropping anything past ``offset`` (0: start afresh)."""

    def write(self, block: Block) -> int:
        """Write one block durably; return the offset to resume after it."""

    def close(self) -> None:
        """Release what the sink holds."""


class JsonlSink:
    """Write one JSON line per person: ``{"id", "suggestions": [{"id","score","mutual_count"}]}``.

    With ``explain`` > 0 each suggestion also has ``"mutual"``: the named mutual friends.

    Parameters
    ----------
    path : str or Path
        The output file.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
    >>> _ = run_batch(store, JsonlSink(out), k=5, progress=False)
    >>> with open(out) as fh:
    ...     fh.readline()
    '{"id":"a","suggestions":[{"id":"b","score":0.5,"mutual_count":1}]}\\n'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: Any = None
        self._quoted: tuple[Sequence[str], tuple[np.ndarray, np.ndarray], np.ndarray, int] | None
        self._quoted = None

    def start(self, offset: int) -> None:
        """Open the file, truncated to ``offset`` bytes (0: empty)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not (offset and self.path.exists()):
            self.path.write_bytes(b"")
        # Opened for update, never "wb" on resume: the blocks before offset are kept.
        f = self.path.open("r+b")
        f.truncate(offset)
        f.seek(offset)
        self._file = f

    def _ids(self, ids: Sequence[str]) -> tuple[Sequence[str], Any, np.ndarray, int]:
        """Return the JSON-encoded ids of the index (and their table), encoded once per run."""
        if self._quoted is None or self._quoted[0] is not ids:
            quoted = _encode.quoted_ids(ids)
            longest = int(np.diff(quoted[1]).max(initial=1)) - 1
            self._quoted = (ids, quoted, _encode.id_table(quoted), longest)
        return self._quoted

    def encode(self, block: Block) -> bytes:
        """Return the block's lines, encoded.

        Parameters
        ----------
        block : Block
            The results to encode.

        Returns
        -------
        bytes
            UTF-8 JSON lines, one per person, each ending in a newline.

        Examples
        --------
        >>> import networkx as nx, graphmatch as gm
        >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
        >>> JsonlSink("unused.jsonl").encode(next(iter_blocks(store, k=2)))[:50]
        b'{"id":"a","suggestions":[{"id":"b","score":0.5,"mu'
        """
        # Assembled by one compiled pass from the kernel's arrays (graphmatch.batch._encode):
        # the per-suggestion f-string it replaces spent 35 s on 1M people x 10 suggestions,
        # 3.6x the ranking.
        _, quoted, table, longest = self._ids(block.ids)
        return _encode.encode_lines(
            block.people,
            quoted,
            block.found,
            block.counts,
            block.scores,
            block.lengths,
            block.named,
            table,
            longest,
        ).tobytes()

    def write(self, block: Block) -> int:
        """Append the block, flush it to disk, and return the new end offset."""
        f = self._file
        if f is None:
            raise RuntimeError("JsonlSink.write before start")
        f.write(self.encode(block))
        f.flush()
        # The checkpoint will claim these bytes: they must be on disk before it says so.
        os.fsync(f.fileno())
        offset: int = f.tell()
        return offset

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class ParquetSink:
    """Write one Parquet part file per block into a folder (needs ``pyarrow``).

    Columns: ``id``, ``rank``, ``suggested``, ``score``, ``mutual_count`` (one row per
    suggestion), and ``mutual`` (the named mutual friends, a list of ids) when the run
    explains. A part is written to a temporary name and renamed, so a part file is always
    whole; resuming rewrites the parts after the checkpoint.

    Parameters
    ----------
    path : str or Path
        The output folder (``part-000000.parquet``, ...).

    Raises
    ------
    InvalidInput
        If pyarrow is not installed.

    Examples
    --------
    >>> sink = ParquetSink("out.parquet")  # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InvalidInput("Parquet output needs pyarrow: pip install pyarrow") from None
        self.path = Path(path)
        self._ids: tuple[Sequence[str], Any] | None = None

    def start(self, offset: int) -> None:
        """Create the folder (parts already there are rewritten as blocks come)."""
        self.path.mkdir(parents=True, exist_ok=True)

    def write(self, block: Block) -> int:
        """Write the block's part file; return 0 (parts need no offset)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Columns gathered from the kernel's arrays with Arrow's take (no Python per row):
        # the ids are one Arrow array, built once per run.
        if self._ids is None or self._ids[0] is not block.ids:
            self._ids = (block.ids, pa.array(block.ids, pa.string()))
        ids = self._ids[1]
        lengths = block.lengths
        k = block.found.shape[1]
        mask = np.arange(k)[None, :] < lengths[:, None]
        rows = np.repeat(np.arange(len(block.people)), lengths)
        ranks = np.broadcast_to(np.arange(1, k + 1, dtype=np.int32), mask.shape)[mask]
        columns = {
            "id": pa.array(block.people, pa.string()).take(pa.array(rows)),
            "rank": pa.array(ranks, pa.int32()),
            "suggested": ids.take(pa.array(block.found[mask])),
            "score": pa.array(block.scores[mask], pa.float64()),
            "mutual_count": pa.array(block.counts[mask], pa.int64()),
        }
        if block.named is not None:
            named = block.named[mask]  # (suggestions, explain), -1 pads at the end
            keep = named >= 0
            offsets = np.zeros(len(named) + 1, np.int32)
            np.cumsum(keep.sum(axis=1), out=offsets[1:])
            columns["mutual"] = pa.ListArray.from_arrays(
                pa.array(offsets), ids.take(pa.array(named[keep]))
            )
        table = pa.table(columns)
        final = self.path / f"part-{block.number:06d}.parquet"
        tmp = final.with_suffix(".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, final)
        return 0

    def close(self) -> None:
        """Nothing to release."""


class Neo4jSink:
    """Write ``(:Person)-[:SUGGESTED {score, mutual_count, rank}]->(:Person)`` relationships.

    Each person's old ``:SUGGESTED`` relationships are replaced, in batched ``UNWIND``
    writes of ``rows_per_write`` people, so writing a block twice is harmless (resume).
    People missing from the database are skipped by the ``MATCH``.

    Parameters
    ----------
    run_write : callable
        ``run_write(query, params)`` runs one write query in its own transaction, e.g. a
        ``Neo4jStore`` method or ``lambda q, p: driver.execute_query(q, p)``.
    rows_per_write : int, default 1000
        People per write query.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm, tempfile, os
    >>> calls = []
    >>> sink = Neo4jSink(lambda q, p: calls.append(p))
    >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
    >>> ck = os.path.join(tempfile.mkdtemp(), "neo4j.checkpoint.json")
    >>> _ = run_batch(store, sink, k=5, checkpoint=ck, progress=False)
    >>> calls[0]["rows"][0]
    {'id': 'a', 'suggestions': [{'id': 'b', 'score': 0.5, 'mutual_count': 1, 'rank': 1}]}
    """

    def __init__(
        self, run_write: Callable[[str, dict[str, Any]], object], rows_per_write: int = 1000
    ) -> None:
        if rows_per_write < 1:
            raise InvalidInput("rows_per_write must be at least 1")
        self.run_write = run_write
        self.rows_per_write = rows_per_write

    def start(self, offset: int) -> None:
        """Nothing to prepare: writes are idempotent per person."""

    def write(self, block: Block) -> int:
        """Write the block's relationships; return 0."""
        batch: list[dict[str, Any]] = []
        for person, sugg in block.rows():
            batch.append(
                {
                    "id": person,
                    "suggestions": [
                        {"id": v, "score": s, "mutual_count": c, "rank": r}
                        for r, (v, s, c, _) in enumerate(sugg, 1)
                    ],
                }
            )
            if len(batch) == self.rows_per_write:
                self.run_write(SUGGESTED_QUERY, {"rows": batch})
                batch = []
        if batch:
            self.run_write(SUGGESTED_QUERY, {"rows": batch})
        return 0

    def close(self) -> None:
        """Nothing to release (the caller owns the connection)."""


@dataclass
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    people : int
        People in the graph (lines of a complete JSONL output).
    blocks : int
        Blocks in the run, in all.
    resumed_blocks : int
        Blocks found complete in the checkpoint and skipped.
    seconds : float
        Wall time of this call (index, ranking and writing).
    index_seconds, rank_seconds, write_seconds : float
        Where the time went; blocks are written while the next one ranks, so
        ``write_seconds`` is the writing the ranking did not hide (the wait for the writer).
    params : dict
        Score, k, block size, explain, degree cap.
    """

    people: int
    blocks: int
    resumed_blocks: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0
    rank_seconds: float = 0.0
    write_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return asdict(self)


@runtime_checkable
class _IndexedStore(HasIndex, ListsBlocks, Protocol):
    """What batch reads: the store's CSR index and its whole block list."""


def _indexed(store: GraphStore) -> _IndexedStore:
    """Return the store as one batch can rank over, or raise InvalidInput naming what it lacks."""
    if isinstance(store, _IndexedStore):
        return store
    missing = [
        what
        for cap, what in (
            (HasIndex, "a compiled CSR index (HasIndex)"),
            (ListsBlocks, "a list of every block (ListsBlocks)"),
        )
        if not isinstance(store, cap)
    ]
    raise InvalidInput(
        f"batch needs a store with {' and '.join(missing)}, which {type(store).__name__} "
        "lacks; rank a MemoryStore or JournaledStore (e.g. MemoryStore.from_edgelist(FILE))"
    )


def _index_of(store: _IndexedStore) -> CSRIndex:
    """Return a frozen snapshot of the store's live index, building the index if there is none.

    A batch reads everyone for seconds or minutes while writes may go on: it ranks one
    snapshot (positions in id order, as blocks and checkpoints need) rather than the index
    that moves under it.
    """
    index = store.fresh_index()
    live = index if index is not None else store.build_index()
    return live.freeze()


def _block_arrays(store: ListsBlocks, index: CSRIndex) -> tuple[np.ndarray, np.ndarray]:
    """Return whom each person's ranking skips, as CSR arrays over index positions (rows sorted).

    Blocks count both ways; dismissals (a store with :class:`~graphmatch.Dismisses`) one way,
    and only while the dismissed person is not a friend: the skipped are also never named as
    mutual friends, and a friend may be.
    """
    pos = index.pos
    n = len(index.ids)
    # From the block list, not one blocked_with call per person: at a million people those
    # calls took longer than ranking everyone.
    pairs = [(pos[a], pos[b]) for a, b in store.block_pairs() if a in pos and b in pos]
    keys = []
    if pairs:
        ab = np.array(pairs, dtype=np.int64)
        keys += [ab[:, 0] * n + ab[:, 1], ab[:, 1] * n + ab[:, 0]]
    if isinstance(store, Dismisses):
        start, deg, indices = index.rows()
        gone = []
        for a, b in store.dismissals():
            x, y = pos.get(a), pos.get(b)
            if x is None or y is None:
                continue
            row = indices[start[x] : start[x] + deg[x]]  # sorted: a friend is one probe
            i = int(np.searchsorted(row, y))
            if i == row.shape[0] or row[i] != y:
                gone.append(x * n + y)
        keys.append(np.array(gone, dtype=np.int64))
    ptr = np.zeros(n + 1, np.int64)
    if not keys:
        return ptr, np.zeros(0, np.int64)
    # Each (person, other) once, sorted by person then other.
    key = np.unique(np.concatenate(keys))
    np.cumsum(np.bincount(key // n, minlength=n), out=ptr[1:])
    return ptr, key % n


def _params(
    score: str, k: int, block_size: int, explain: int, max_degree: int | None
) -> dict[str, Any]:
    """Validate the run parameters and return them as a dict."""
    if score != LEARNED:
        check_score(score)
    elif max_degree is not None:
        raise InvalidInput("score 'learned' takes no max_degree")
    for name, value, low, high in (
        ("k", k, 1, MAX_LIMIT),
        ("block_size", block_size, 1, 10_000_000),
        ("explain", explain, 0, MAX_EXPLAIN),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{name} must be an integer from {low} to {high}, got {value!r}")
    if max_degree is not None and (
        isinstance(max_degree, bool) or not isinstance(max_degree, int) or max_degree < 1
    ):
        raise InvalidInput(f"max_degree must be a positive integer, got {max_degree!r}")
    return {
        "score": score,
        "k": k,
        "block_size": block_size,
        "explain": explain,
        "max_degree": max_degree,
    }


def iter_blocks(
    store: GraphStore,
    score: str = DEFAULT_SCORE,
    k: int = 10,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    explain: int = 0,
    max_degree: int | None = None,
    start: int = 0,
    threads: int | None = None,
    index: CSRIndex | LiveIndex | None = None,
    blocks: tuple[np.ndarray, np.ndarray] | None = None,
    model: Any = None,
) -> Iterator[Block]:
    """Yield every person's top-k suggestions, one block of people at a time.

    Parameters
    ----------
    store : GraphStore
        The graph, with the ``HasIndex`` and ``ListsBlocks`` capabilities (a ``MemoryStore``
        or ``JournaledStore``); its CSR index is built if it is not fresh.
    score : str, default "cn_ra"
        One of :data:`graphmatch.SCORES`, or ``"learned"`` (with ``model``).
    k : int, default 10
        Suggestions per person (1 to :data:`graphmatch.matcher.MAX_LIMIT`).
    block_size : int, default 20000
        People per block: peak extra memory is about ``block_size * k * 40`` bytes plus
        ``threads * people * 24`` bytes of scratch.
    explain : int, default 0
        Named mutual friends per suggestion.
    max_degree : int, optional
        Degree cap on the mutual friends, as in :meth:`Matcher.suggest`.
    start : int, default 0
        First block to compute (the blocks before are skipped).
    threads : int, optional
        Threads to rank with (default: numba's, i.e. every core).
    index : CSRIndex or LiveIndex, optional
        An index to use (default: the store's); a live one is frozen first.
    blocks : tuple of numpy.ndarray, optional
        Blocks-either-way as ``(ptr, idx)`` CSR arrays (default: read from the store).
    model : str, Path, Model or LearnedRanker, optional
        The model ``score="learned"`` ranks by (:mod:`graphmatch.learn`): each person's
        answer is :meth:`graphmatch.Matcher.suggest`'s with that model.

    Yields
    ------
    Block
        In order of the people's ids.

    Raises
    ------
    InvalidInput
        For a store without an index or block list, an unknown score, or an out-of-range k,
        block size, explain or max_degree.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm
    >>> G = nx.Graph([("a", "w"), ("w", "b"), ("a", "x"), ("x", "b"), ("x", "c")])
    >>> store = gm.MemoryStore(G, index="off")
    >>> [(p, [s[0] for s in sugg]) for b in iter_blocks(store) for p, sugg in b.rows()][:2]
    [('a', ['b', 'c']), ('b', ['a', 'c'])]
    """
    params = _params(score, k, block_size, explain, max_degree)
    indexed = _indexed(store)
    # A live index moves under a long read and its positions drift from id order: rank a
    # frozen snapshot (a CSRIndex freezes to itself).
    idx = index.freeze() if index is not None else _index_of(indexed)
    ptr, flat = blocks if blocks is not None else _block_arrays(indexed, idx)
    n = len(idx.ids)
    cap = 2**62 if max_degree is None else max_degree
    previous = numba.get_num_threads()
    lanes = previous if threads is None else max(1, min(threads, _MAX_THREADS))
    learned = None
    if params["score"] == LEARNED:
        from graphmatch.learn.batch import BlockRanker, as_ranker

        learned = BlockRanker(as_ranker(model), idx, lanes)
        code, cnt = -1, np.zeros((lanes, 0), np.int64)
        wsum, touched = np.zeros((lanes, 0)), cnt
    else:
        code = kernels.SCORE_CODES[params["score"]]
        # One scratch row per lane, allocated once: the kernels hand them back zeroed.
        cnt = np.zeros((lanes, n), np.int64)
        wsum = np.zeros((lanes, n), np.float64)
        touched = np.zeros((lanes, n), np.int64)
    for number, first in enumerate(range(0, n, block_size)):
        if number < start:
            continue
        last = min(n, first + block_size)
        users = np.arange(first, last, dtype=np.int64)
        ep = ptr[first : last + 1] - ptr[first]
        ei = flat[ptr[first] : ptr[last]]
        with kernels.PARALLEL:
            numba.set_num_threads(lanes)
            try:
                if learned is not None:
                    found, counts, scores, lengths, named = learned.rank(users, ep, ei, k, explain)
                else:
                    found, counts, scores, lengths, named = kernels.top_k_block(
                        idx.start, idx.deg, idx.indices, kernels.ORDERED, idx.banned, idx.hidden,
                        users, ep, ei, cap, code, k, explain, cnt, wsum, touched,
                    )  # fmt: skip
            finally:
                numba.set_num_threads(previous)
        yield Block(
            number=number,
            people=idx.ids[first:last],
            ids=idx.ids,
            found=found,
            counts=counts,
            scores=scores,
            lengths=lengths,
            named=named if explain > 0 else None,
        )


def _digest(
    index: CSRIndex, blocks: tuple[np.ndarray, np.ndarray], params: Mapping[str, Any]
) -> str:
    """Return a digest of the graph, the consent masks, the blocks and the parameters."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps(dict(params), sort_keys=True).encode())
    h.update(str(len(index.ids)).encode())
    # The ids themselves: positions in a part-written file must mean the same people.
    h.update("\n".join(index.ids).encode())
    for arr in (index.indptr, index.indices, index.banned, index.hidden, *blocks):
        h.update(np.ascontiguousarray(arr).data)
    return h.hexdigest()


def _read_checkpoint(path: Path) -> dict[str, Any] | None:
    """Return the checkpoint's data, or None if there is none."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"unreadable checkpoint {path}: {exc}") from None
    return data


def _write_checkpoint(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the checkpoint atomically (write a temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(data), indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _write_block(sink: Sink, block: Block, state: dict[str, Any], ck_path: Path) -> int:
    """Write a block, then record it in the checkpoint; return its number of people."""
    offset = sink.write(block)
    state["blocks_done"] = block.number + 1
    state["people_done"] += len(block.people)
    state["offset"] = offset
    _write_checkpoint(ck_path, state)
    return len(block.people)


def default_checkpoint(out: str | Path) -> Path:
    """Return the sidecar checkpoint path for an output path (``OUT.checkpoint.json``).

    Parameters
    ----------
    out : str or Path
        The output file or folder.

    Returns
    -------
    Path
        ``out`` with ``.checkpoint.json`` appended.

    Examples
    --------
    >>> default_checkpoint("s.jsonl").name
    's.jsonl.checkpoint.json'
    """
    p = Path(out)
    return p.with_name(p.name + ".checkpoint.json")


def run_batch(
    store: GraphStore,
    sink: Sink | str | Path,
    *,
    score: str = DEFAULT_SCORE,
    k: int = 10,
    block_size: int = DEFAULT_BLOCK_SIZE,
    explain: int = 0,
    max_degree: int | None = None,
    resume: bool = False,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    threads: int | None = None,
    model: Any = None,
) -> BatchReport:
    """Compute every person's top-k suggestions and stream them to a sink, resumably.

    Parameters
    ----------
    store : GraphStore
        The graph, with the ``HasIndex`` and ``ListsBlocks`` capabilities (a ``MemoryStore``
        or ``JournaledStore``); its CSR index is built if not fresh, and the run reads that
        one snapshot.
    sink : Sink, str or Path
        Where to write: a sink object, or a path (``.parquet``: :class:`ParquetSink`, else
        :class:`JsonlSink`).
    score : str, default "cn_ra"
        One of :data:`graphmatch.SCORES`.
    k : int, default 10
        Suggestions per person.
    block_size : int, default 20000
        People per block (the unit of progress, memory and resume).
    explain : int, default 0
        Named mutual friends per suggestion.
    max_degree : int, optional
        Degree cap on the mutual friends.
    resume : bool, default False
        Continue from the checkpoint if it matches this graph and these parameters; without
        a checkpoint, start afresh.
    checkpoint : str or Path, optional
        The checkpoint file; by default ``OUT.checkpoint.json`` beside a path sink. Required
        for a sink object without a ``path`` attribute.
    progress : bool, default True
        Show a tqdm progress bar on stderr.
    threads : int, optional
        Threads to rank with (default: all cores).
    model : str, Path, Model or LearnedRanker, optional
        The model ``score="learned"`` ranks by; its digest joins the checkpoint's.

    Returns
    -------
    BatchReport

    Raises
    ------
    InvalidInput
        For a store without an index or block list, bad parameters, a missing checkpoint
        path, or (with resume) a checkpoint written for another graph or other parameters.

    Examples
    --------
    >>> import networkx as nx, graphmatch as gm, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    >>> store = gm.MemoryStore(nx.Graph([("a", "w"), ("w", "b")]), index="off")
    >>> run_batch(store, out, k=5, progress=False).people
    3
    """
    from graphmatch._progress import tqdm  # no bar without tqdm (an optional extra)

    t_start = time.perf_counter()
    params = _params(score, k, block_size, explain, max_degree)
    if score == LEARNED:
        from graphmatch.learn.batch import as_ranker, model_digest

        model = as_ranker(model)
        params["model"] = model_digest(model)  # a checkpoint resumes with the same model only
    indexed = _indexed(store)
    if isinstance(sink, str | Path):
        sink = ParquetSink(sink) if str(sink).endswith(".parquet") else JsonlSink(sink)
    if checkpoint is None:
        sink_path = getattr(sink, "path", None)
        if sink_path is None:
            raise InvalidInput("this sink needs an explicit checkpoint path")
        checkpoint = default_checkpoint(sink_path)
    ck_path = Path(checkpoint)

    index = _index_of(indexed)
    blocks = _block_arrays(indexed, index)
    t_index = time.perf_counter() - t_start
    n = len(index.ids)
    n_blocks = -(-n // block_size)
    digest = _digest(index, blocks, params)
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "params": params,
        "digest": digest,
        "people": n,
        "blocks": n_blocks,
        "blocks_done": 0,
        "people_done": 0,
        "offset": 0,
        "complete": False,
    }
    if resume:
        old = _read_checkpoint(ck_path)
        if old is not None:
            if old.get("format") != CHECKPOINT_FORMAT or old.get("digest") != digest:
                raise InvalidInput(
                    f"checkpoint {ck_path} was written for another graph or other parameters; "
                    "run without --resume to start afresh"
                )
            for key in ("blocks_done", "people_done", "offset"):
                state[key] = int(old[key])
    first_block = state["blocks_done"]
    report = BatchReport(
        people=n, blocks=n_blocks, resumed_blocks=first_block, index_seconds=t_index, params=params
    )
    sink.start(state["offset"])
    bar = tqdm(
        total=n,
        initial=state["people_done"],
        unit="people",
        desc=f"batch {score}",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    try:
        _write_checkpoint(ck_path, state)
        it = iter_blocks(
            store, score, k, block_size=block_size, explain=explain, max_degree=max_degree,
            start=first_block, threads=threads, index=index, blocks=blocks, model=model,
        )  # fmt: skip
        # Block i is written on a thread while block i+1 ranks: the write and fsync (and the
        # Python between kernels) overlap the ranking; the encoder's parallel pass and the
        # ranking take turns on kernels.PARALLEL. One block in flight bounds the memory.
        with ThreadPoolExecutor(1, thread_name_prefix="batch-writer") as writer:
            pending: Future[int] | None = None
            while True:
                t0 = time.perf_counter()
                block = next(it, None)
                t1 = time.perf_counter()
                report.rank_seconds += t1 - t0
                if pending is not None:
                    bar.update(pending.result())  # re-raises the writer's error here
                if block is not None:
                    pending = writer.submit(_write_block, sink, block, state, ck_path)
                report.write_seconds += time.perf_counter() - t1
                if block is None:
                    break
        state["complete"] = True
        _write_checkpoint(ck_path, state)
    finally:
        bar.close()
        sink.close()
    report.seconds = time.perf_counter() - t_start
    return report

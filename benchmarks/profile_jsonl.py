"""Where the batch's JSONL writing goes: encoding, write, fsync, checkpoint; then the encoder.

Usage::

    python benchmarks/profile_jsonl.py --people 1000000 --friendships 10000000 [--runs 2]
    python benchmarks/profile_jsonl.py --encoder-only        # one synthetic block, no graph

The first part runs ``run_batch`` on the synthetic graph (``bench_batch.py``'s) with a
``JsonlSink`` whose ``write`` is timed in parts; the second times the encoder's pieces on one
block of 20,000 people x 10 suggestions over 1M ids with full-precision scores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import _store

import graphmatch.batch.run as batch_run
from graphmatch.batch import _encode
from graphmatch.batch.run import JsonlSink, iter_blocks, run_batch

PARTS = ("encode", "write", "fsync", "checkpoint")


class TimedSink(JsonlSink):
    """A JSONL sink that adds the time of each part of ``write`` to ``times``."""

    times: dict[str, float]

    def write(self, block: Any) -> int:
        """Encode, write, fsync, timing each; return the end offset."""
        f = self._file
        a = time.perf_counter()
        data = self.encode(block)
        b = time.perf_counter()
        f.write(data)
        f.flush()
        c = time.perf_counter()
        os.fsync(f.fileno())
        d = time.perf_counter()
        self.times["encode"] += b - a
        self.times["write"] += c - b
        self.times["fsync"] += d - c
        return int(f.tell())


def profile_run(people: int, friendships: int, runs: int) -> None:
    """Time run_batch's writing in parts on the synthetic graph; print one JSON line a run."""
    store = _store(people, friendships)
    index = store.build_index()
    warm = next(iter_blocks(store, block_size=1000, index=index))
    JsonlSink(Path("unused.jsonl")).encode(warm)
    times = dict.fromkeys(PARTS, 0.0)
    checkpoint = batch_run._write_checkpoint

    def timed_checkpoint(*args: Any, **kwargs: Any) -> None:
        t = time.perf_counter()
        checkpoint(*args, **kwargs)
        times["checkpoint"] += time.perf_counter() - t

    batch_run._write_checkpoint = timed_checkpoint  # type: ignore[assignment]
    for run in range(runs):
        for key in times:
            times[key] = 0.0
        with tempfile.TemporaryDirectory() as tmp:
            sink = TimedSink(Path(tmp) / "s.jsonl")
            sink.times = times
            rep = run_batch(store, sink, progress=False)
        row = {"run": run, "rank_s": rep.rank_seconds, "write_s": rep.write_seconds, **times}
        row["load"] = os.getloadavg()[0]
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))


def profile_encoder(n: int = 1_000_000, b: int = 20_000, k: int = 10) -> None:
    """Time the encoder's pieces on one synthetic block; print them in ms."""
    import numba

    ids = [str(i) for i in range(n)]
    rng = np.random.default_rng(0)
    found = rng.integers(0, n, (b, k))
    counts = rng.integers(1, 30, (b, k))
    scores = rng.random((b, k)) * 3
    lengths = np.full(b, k)
    people = ids[:b]
    quoted = _encode.quoted_ids(ids)
    pbuf, pstart = _encode.quoted_ids(people)
    bits = scores.view(np.int64)
    lit = (_encode._OPEN, _encode._SUGG, _encode._END, _encode._SCORE, _encode._COUNT,
           _encode._MUTUAL)  # fmt: skip
    chunks = -(-b // _encode.CHUNK_ROWS)
    table = _encode.id_table(quoted)
    lens = lengths.astype(np.int64)
    bound = _encode._bounds(pstart, lens, 8, 0, lit, chunks)
    out = np.empty(int(bound[-1]), np.uint8)
    ends = np.zeros(chunks, np.int64)
    args = (pbuf, pstart, *quoted, table, found, counts, lens, bits,
            np.zeros((0, 0, 0), np.int64), False, lit, _encode._POW5_INV, _encode._POW5,
            bound, out, ends)  # fmt: skip
    _encode.encode_lines(people, quoted, found, counts, scores, lengths, None)  # compile
    _encode._reprs(bits[:1].reshape(-1), _encode._POW5_INV, _encode._POW5)
    flat = bits.reshape(-1)
    cases = [
        ("encode_lines (whole block)", lambda: _encode.encode_lines(
            people, quoted, found, counts, scores, lengths, None, table, 8)),
        ("the people's quoted ids (json.dumps)", lambda: _encode.quoted_ids(people)),
        ("float reprs alone (compiled Ryu, 1 thread)", lambda: _encode._reprs(
            flat, _encode._POW5_INV, _encode._POW5)),
        ("CPython repr of the score list (what it replaced)",
         lambda: repr(scores.reshape(-1).tolist())),
        ("_emit_chunks (the parallel writing pass)", lambda: _encode._emit_chunks(*args)),
    ]  # fmt: skip
    threads = numba.get_num_threads()
    for name, fn in cases:
        t = time.perf_counter()
        for _ in range(5):
            fn()
        print(f"{name}: {(time.perf_counter() - t) / 5 * 1e3:.0f} ms")
    numba.set_num_threads(1)
    try:
        t = time.perf_counter()
        for _ in range(5):
            _encode._emit_chunks(*args)
        print(f"_emit_chunks on 1 thread: {(time.perf_counter() - t) / 5 * 1e3:.0f} ms")
    finally:
        numba.set_num_threads(threads)


def main(argv: list[str] | None = None) -> int:
    """Run the profile; return 0."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--people", type=int, default=1_000_000)
    p.add_argument("--friendships", type=int, default=10_000_000)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--encoder-only", action="store_true", help="skip the run on the graph")
    args = p.parse_args(argv)
    if not args.encoder_only:
        profile_run(args.people, args.friendships, args.runs)
    profile_encoder()
    return 0


if __name__ == "__main__":
    sys.exit(main())

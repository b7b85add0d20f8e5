"""Ids to positions in numpy arrays: a batch of string ids looked up by one compiled call.

At a million people, ``LiveIndex.positions`` (a probe of a million-entry Python dict per id,
each a few cache misses in a row) was 1.54M pairs/s, under the 2M pairs/s that batched mutual
counts aim at however fast the counting kernel is. :class:`IdTable` holds the same map in
numpy arrays and looks a whole batch up in a numba kernel that hashes every id first and
then probes with prefetches a few ids ahead, so the cache misses of many ids overlap instead
of coming one after another; the Python side is one ``"\\x00".join(...)`` of the batch's ids
and one ``encode`` (C loops).

- ``blob``: the ids' UTF-8 bytes (``surrogatepass``, so any ``str`` has bytes, and different
  strings different bytes), each followed by a NUL; ids holding a NUL are left out.
- ``slots``: open addressing with linear probing, two ``uint64`` words a slot: the id's
  64-bit hash (0 = empty) and ``position << 32 | short << 31 | offset in blob``.
- An id of at most 7 bytes hashes as ``fmix64(its bytes | (length + 1) << 56)``, a bijection,
  so for those a hash match is an exact match and the blob is not read; longer ids hash by
  FNV-1a and are compared byte by byte.

Beside it, a pointer table: the very ``str`` objects the table was built from (kept alive
by it, so no other object can take their addresses), keyed by address. Ids the store hands
out are those objects, so :meth:`IdTable.find_pairs` finds a batch of them without reading
a single id: a kernel that keeps the GIL reads the list's item pointers and each pair tuple
(CPython's 64-bit layout), probing with prefetches. Other objects fall to the bytes.

The table is exact for the ids it holds: the live index marks an id's slot dead when that
person is removed (:meth:`IdTable.forget`, both tables), before the position can go to a
newcomer, so a hit is always the person's current position. People added after it was
built are misses, which the caller looks up in its dict (and rebuilds the table when they
grow many).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from graphmatch.index.kernels import _emit_prefetch, _prefetch

__all__ = ["IdTable", "encode_ids", "split_ids"]

#: The position a forgotten (removed) id's slot holds: looked up, it is a miss.
DEAD = np.uint64(0xFFFFFFFF)
#: Ids per parallel work item.
ID_CHUNK = 8192
_LOW31 = np.uint64(0x7FFFFFFF)
_SHORT = np.uint64(1 << 31)
_U32 = np.uint64(32)
_EMPTY = np.uint64(0)
#: The object layout :func:`find_pairs` reads: CPython's, 64-bit (``ob_type`` at 8 bytes,
#: a tuple's size at 16 and its items from 24). Elsewhere the pointer path is off.
POINTERS = sys.implementation.name == "cpython" and sys.maxsize == 2**63 - 1
_TUPLE_TYPE = id(tuple)


def _peek_typer(typingctx: Any, addr: Any) -> Any:
    """Load the int64 at a memory address (compiled code only; the address must be valid)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ptr = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load(ptr)

    return types.int64(addr), codegen


def _prefetch_at_typer(typingctx: Any, addr: Any) -> Any:
    """Hint the CPU to load the cache line at a memory address (``llvm.prefetch``)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        _emit_prefetch(builder, builder.inttoptr(args[0], ir.IntType(8).as_pointer()))
        return context.get_dummy_value()

    return types.void(addr), codegen


_peek: Any = intrinsic(_peek_typer)
_prefetch_at: Any = intrinsic(_prefetch_at_typer)


def encode_ids(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the ids' bytes (NUL-separated) and where each starts, or None.

    ``bounds[i]`` is where id i starts and ``bounds[i + 1] - 1`` where it ends. None if an
    item is not a str or an id holds a NUL (the bytes would not split back into the ids).
    """
    try:
        raw = "\x00".join(ids).encode("utf-8", "surrogatepass")
    except TypeError:
        return None
    return split_ids(raw, len(ids))


def split_ids(raw: bytes, m: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Return raw (m ids joined by NULs) as an array and where each id starts, or None.

    None unless raw holds exactly m - 1 NULs (an id held one).
    """
    buf = np.frombuffer(raw, np.uint8)
    seps = np.flatnonzero(buf == 0)
    if seps.shape[0] != m - 1 or m == 0:
        return None
    bounds = np.empty(m + 1, np.int64)
    bounds[0] = 0
    bounds[1:m] = seps + 1
    bounds[m] = buf.shape[0] + 1
    return buf, bounds


@njit(cache=True, nogil=True)
def _fmix(h: np.uint64) -> np.uint64:
    """Mix the bits of h (murmur3's finaliser, a bijection on 64 bits)."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, nogil=True)
def _hash(buf: np.ndarray, lo: int, hi: int) -> np.uint64:
    """Hash buf[lo:hi]: the bytes themselves, mixed, up to 7 bytes; FNV-1a, mixed, beyond."""
    n = hi - lo
    if n <= 7:
        key = np.uint64(n + 1) << np.uint64(56)
        for k in range(n):
            key |= np.uint64(buf[lo + k]) << np.uint64(8 * k)
        return _fmix(key)
    h = np.uint64(0xCBF29CE484222325)
    for k in range(lo, hi):
        h = (h ^ np.uint64(buf[k])) * np.uint64(0x100000001B3)
    h = _fmix(h)
    # Zero marks an empty slot; a long id's hash never decides a match on its own.
    return h if h != _EMPTY else np.uint64(1)


@njit(cache=True, nogil=True)
def _build(
    blob: np.ndarray, bounds: np.ndarray, positions: np.ndarray, slots: np.ndarray, shift: int
) -> None:
    """Insert every id of blob (all distinct) with its position into the empty slots."""
    mask = (slots.shape[0] >> 1) - 1
    sh = np.uint64(shift)
    for i in range(positions.shape[0]):
        lo = bounds[i]
        hi = bounds[i + 1] - 1
        h = _hash(blob, lo, hi)
        s = np.int64(h >> sh)
        while slots[2 * s] != _EMPTY:
            s = (s + 1) & mask
        word = (np.uint64(positions[i]) << _U32) | np.uint64(lo)
        if hi - lo <= 7:
            word |= _SHORT
        slots[2 * s] = h
        slots[2 * s + 1] = word


@njit(cache=True, nogil=True)
def _probe(
    slots: np.ndarray,
    blob: np.ndarray,
    shift: int,
    buf: np.ndarray,
    lo: int,
    hi: int,
    h: np.uint64,
) -> np.int64:
    """Return the live slot holding buf[lo:hi] (hash h), or -1."""
    mask = (slots.shape[0] >> 1) - 1
    n = hi - lo
    short = n <= 7
    s = np.int64(h >> np.uint64(shift))
    while True:
        t = slots[2 * s]
        if t == _EMPTY:
            return np.int64(-1)
        if t == h:
            word = slots[2 * s + 1]
            if short:
                if word & _SHORT:
                    break  # the short hash is a bijection: same hash, same bytes
            elif not word & _SHORT:
                off = np.int64(word & _LOW31)
                same = blob[off + n] == 0
                k = 0
                while same and k < n:
                    same = blob[off + k] == buf[lo + k]
                    k += 1
                if same:
                    break
        s = (s + 1) & mask
    if slots[2 * s + 1] >> _U32 == DEAD:
        return np.int64(-1)
    return s


@njit(cache=True, nogil=True)
def _find_run(
    slots: np.ndarray,
    blob: np.ndarray,
    shift: int,
    buf: np.ndarray,
    bounds: np.ndarray,
    lo: int,
    hi: int,
    out: np.ndarray,
) -> None:
    """Write the position of each id lo..hi-1 of buf into out, -1 for a miss."""
    m = hi - lo
    hs = np.empty(m, np.uint64)
    for i in range(m):
        hs[i] = _hash(buf, bounds[lo + i], bounds[lo + i + 1] - 1)
    sh = np.uint64(shift)
    for i in range(m):
        # Slots 16 ids ahead; 8 ahead, their slot is in cache: the blob bytes it names.
        if i + 16 < m:
            _prefetch(slots, np.int64(hs[i + 16] >> sh) * 2)
        if i + 8 < m:
            word = slots[np.int64(hs[i + 8] >> sh) * 2 + 1]
            if not word & _SHORT:
                _prefetch(blob, np.int64(word & _LOW31))
        s = _probe(slots, blob, shift, buf, bounds[lo + i], bounds[lo + i + 1] - 1, hs[i])
        out[lo + i] = -1 if s < 0 else np.int64(slots[2 * s + 1] >> _U32)


@njit(cache=True, nogil=True)
def find(
    slots: np.ndarray, blob: np.ndarray, shift: int, buf: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """Return the position of each id of buf (see :func:`encode_ids`), -1 for a miss."""
    m = bounds.shape[0] - 1
    out = np.empty(m, np.int64)
    _find_run(slots, blob, shift, buf, bounds, 0, m, out)
    return out


@njit(cache=True, nogil=True, parallel=True)
def find_parallel(
    slots: np.ndarray, blob: np.ndarray, shift: int, buf: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """Return :func:`find` computed in chunks on every thread; hold kernels.PARALLEL."""
    m = bounds.shape[0] - 1
    out = np.empty(m, np.int64)
    for c in prange((m + ID_CHUNK - 1) // ID_CHUNK):
        lo = c * ID_CHUNK
        _find_run(slots, blob, shift, buf, bounds, lo, min(m, lo + ID_CHUNK), out)
    return out


@njit(cache=True, nogil=True)
def _forget(
    slots: np.ndarray, blob: np.ndarray, shift: int, buf: np.ndarray, bounds: np.ndarray
) -> bool:
    """Mark the slot of the one id in buf dead; return whether it was there."""
    lo = bounds[0]
    hi = bounds[1] - 1
    s = _probe(slots, blob, shift, buf, lo, hi, _hash(buf, lo, hi))
    if s < 0:
        return False
    slots[2 * s + 1] = (DEAD << _U32) | (slots[2 * s + 1] & np.uint64(0xFFFFFFFF))
    return True


@njit(cache=True, nogil=True)
def _pslot(key: int, shift: int) -> np.int64:
    """Return the first slot of an object address in the pointer table."""
    return np.int64(_fmix(np.uint64(key)) >> np.uint64(shift))


@njit(cache=True, nogil=True)
def _pbuild(addrs: np.ndarray, positions: np.ndarray, pslots: np.ndarray, shift: int) -> None:
    """Insert each object address (all distinct, none 0) with its position."""
    mask = (pslots.shape[0] >> 1) - 1
    for i in range(addrs.shape[0]):
        s = _pslot(addrs[i], shift)
        while pslots[2 * s] != 0:
            s = (s + 1) & mask
        pslots[2 * s] = addrs[i]
        pslots[2 * s + 1] = positions[i]


@njit(cache=True, nogil=True)
def _pfind(pslots: np.ndarray, shift: int, key: int) -> np.int64:
    """Return the slot of an object address in the pointer table, or -1."""
    mask = (pslots.shape[0] >> 1) - 1
    s = _pslot(key, shift)
    while True:
        t = pslots[2 * s]
        if t == key:
            return s
        if t == 0:
            return np.int64(-1)
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def _pairs_run(
    pslots: np.ndarray, shift: int, items: int, lo: int, hi: int, tuple_type: int, out: np.ndarray
) -> bool:
    """Write the positions of pairs lo..hi-1 of a list's items into out; False if one is bad.

    ``items`` is the address of the list's item pointers. A pair's id is found when it is
    the very object the table was built with (its address), -1 otherwise; out[2i] and
    out[2i + 1] for pair i.
    """
    for i in range(lo, hi):
        # Pairs 16 ahead; 8 ahead the pair is in cache: the table slots of its two ids.
        if i + 16 < hi:
            _prefetch_at(_peek(items + 8 * (i + 16)) + 8)
        if i + 8 < hi:
            t = _peek(items + 8 * (i + 8))
            if _peek(t + 8) == tuple_type:
                _prefetch(pslots, 2 * _pslot(_peek(t + 24), shift))
                _prefetch(pslots, 2 * _pslot(_peek(t + 32), shift))
        t = _peek(items + 8 * i)
        if _peek(t + 8) != tuple_type or _peek(t + 16) != 2:
            return False
        for k in range(2):
            s = _pfind(pslots, shift, _peek(t + 24 + 8 * k))
            out[2 * i + k] = -1 if s < 0 else pslots[2 * s + 1]
    return True


@njit(cache=True, parallel=True)
def find_pairs(pslots: np.ndarray, shift: int, pairs: int, tuple_type: int) -> np.ndarray:
    """Return the positions of the ids of the pairs in a list (its address; see _pairs_run).

    Empty if an item is not a tuple of two. Compiled to keep the GIL: the list and its
    pairs are Python objects, so no Python thread may run (and change or free one) while
    it reads them, from the list's length and item pointers on. Hold kernels.PARALLEL.
    """
    m = _peek(pairs + 16)  # ob_size
    items = _peek(pairs + 24)  # ob_item
    out = np.empty(2 * m, np.int64)
    chunks = (m + ID_CHUNK - 1) // ID_CHUNK
    good = np.ones(chunks, np.bool_)
    for c in prange(chunks):
        lo = c * ID_CHUNK
        good[c] = _pairs_run(pslots, shift, items, lo, min(m, lo + ID_CHUNK), tuple_type, out)
    if not good.all():
        return out[:0]
    return out


@njit(cache=True, nogil=True)
def _pforget(pslots: np.ndarray, shift: int, key: int) -> None:
    """Mark an object address's slot dead (its id is then a miss), if the table holds it."""
    s = _pfind(pslots, shift, key)
    if s >= 0:
        pslots[2 * s + 1] = -1


class IdTable:
    """A map from ids to positions held in numpy arrays, looked up by compiled kernels.

    Parameters
    ----------
    ids : sequence of str
        Distinct ids.
    positions : numpy.ndarray of int64
        The position of each id (below ``2**32 - 1``).

    Raises
    ------
    ValueError
        If the ids' bytes exceed 2 GiB, or there are more than ``2**31`` of them.

    Examples
    --------
    >>> import numpy as np
    >>> t = IdTable(["ann", "bob", "zoë"], np.array([5, 0, 2]))
    >>> t.lookup(["zoë", "ann", "cat"]).tolist()
    [2, 5, -1]
    >>> t.forget("ann"), t.lookup(["ann", "bob"]).tolist()
    (True, [-1, 0])
    """

    def __init__(self, ids: Sequence[str], positions: np.ndarray) -> None:
        keep = list(ids)
        pos = np.asarray(positions, np.int64)
        enc = encode_ids(keep) if keep else None
        if keep and enc is None:  # an id holding a NUL: those stay out (the caller's dict)
            picks = [i for i, p in enumerate(keep) if "\x00" not in p]
            keep = [keep[i] for i in picks]
            pos = pos[np.array(picks, np.int64)]
            enc = encode_ids(keep) if keep else None
        if enc is None:
            blob, bounds = np.zeros(1, np.uint8), np.zeros(1, np.int64)
        else:
            blob, bounds = enc
            # One NUL after the last id too, so every id is followed by one.
            blob = np.concatenate((blob, np.zeros(1, np.uint8)))
        if blob.shape[0] > 1 << 31 or len(keep) > 1 << 31:
            raise ValueError("too many ids for an IdTable")
        bits = max(4, (2 * len(keep)).bit_length())  # at most half full
        self.slots = np.zeros(2 << bits, np.uint64)
        self.shift = 64 - bits
        self.blob = blob
        #: How many ids it was built with.
        self.size = len(keep)
        _build(blob, bounds, pos, self.slots, self.shift)
        # The pointer table: the very str objects it was built with, by address, kept alive
        # here so no other object can take an address while its slot is in the table.
        self._objects = keep
        addrs = np.fromiter(map(id, keep), np.int64, count=len(keep))
        self.pslots = np.zeros(2 << bits, np.int64)
        _pbuild(addrs, pos, self.pslots, self.shift)
        top = int(pos.max()) + 1 if pos.size else 0
        self._addr_at = np.zeros(top, np.int64)  # position -> address of its id object
        self._addr_at[pos] = addrs

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold."""
        arrays = (self.slots, self.blob, self.pslots, self._addr_at)
        return int(sum(a.nbytes for a in arrays))

    def find_pairs(self, pairs: Sequence[Any]) -> np.ndarray | None:
        """Return the positions of the pairs' ids where they are the table's own objects.

        An id that is another object (equal or not) is -1: look it up by its bytes. None if
        pairs is not a list (exactly), an item is not a tuple of two, or off CPython 64-bit.
        Hold kernels.PARALLEL.
        """
        if not POINTERS or type(pairs) is not list or not pairs:
            return None
        # The kernel reads the pairs from the list's item pointers, so no Python loop touches
        # them (a pass of id() over 1M pairs was a third of the lookup, a cache miss a pair).
        flat = find_pairs(self.pslots, self.shift, id(pairs), _TUPLE_TYPE)
        return flat if flat.shape[0] == 2 * len(pairs) else None

    def find(self, buf: np.ndarray, bounds: np.ndarray, parallel: bool = False) -> np.ndarray:
        """Return the position of each id of an :func:`encode_ids` buffer, -1 for a miss."""
        if parallel:
            return find_parallel(self.slots, self.blob, self.shift, buf, bounds)
        return find(self.slots, self.blob, self.shift, buf, bounds)

    def lookup(self, ids: Sequence[str]) -> np.ndarray:
        """Return the position of each id, -1 for one the table does not hold.

        Parameters
        ----------
        ids : sequence of str

        Returns
        -------
        numpy.ndarray of int64

        Raises
        ------
        TypeError
            If an item is not a str.
        ValueError
            If an id holds a NUL (such ids are never in the table; look them up elsewhere).
        """
        if not ids:
            return np.zeros(0, np.int64)
        enc = encode_ids(ids)
        if enc is None:
            if any(not isinstance(p, str) for p in ids):
                raise TypeError("ids must be str")
            raise ValueError("an id holds a NUL")
        return self.find(*enc)

    def lookup_some(self, ids: Sequence[Any]) -> np.ndarray | None:
        """Return :meth:`lookup` of ids, or None if one is not a str or holds a NUL."""
        enc = encode_ids(ids)
        return None if enc is None else self.find(*enc)

    def forget(self, person_id: str, position: int = -1) -> bool:
        """Mark an id removed (a lookup then misses); return whether the table held it.

        ``position`` (the id's) also forgets the object the table holds for it.
        """
        if 0 <= position < self._addr_at.shape[0] and self._addr_at[position]:
            _pforget(self.pslots, self.shift, int(self._addr_at[position]))
            self._addr_at[position] = 0
        enc = encode_ids([person_id])
        if enc is None:
            return False
        return bool(_forget(self.slots, self.blob, self.shift, *enc))

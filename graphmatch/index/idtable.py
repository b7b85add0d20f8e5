"""Ids to positions in numpy arrays: a batch of string ids looked up by one compiled call.

At a million people, ``LiveIndex.positions`` (a probe of a million-entry Python dict per id,
each a few cache misses in a row) was 1.54M pairs/s, under the 2M pairs/s that batched mutual
counts aim at however fast the counting kernel is. :class:`IdTable` holds the same map in
three arrays and looks a whole batch up in a numba kernel that hashes every id first and
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

The table is exact for the ids it holds: the live index marks an id's slot dead when that
person is removed (:meth:`IdTable.forget`), before the position can go to a newcomer, so a
hit is always the person's current position. People added after it was built are misses,
which the caller looks up in its dict (and rebuilds the table when they grow many).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, prange

from graphmatch.index.kernels import _prefetch

__all__ = ["IdTable", "encode_ids", "split_ids"]

#: The position a forgotten (removed) id's slot holds: looked up, it is a miss.
DEAD = np.uint64(0xFFFFFFFF)
#: Ids per parallel work item.
ID_CHUNK = 8192
_LOW31 = np.uint64(0x7FFFFFFF)
_SHORT = np.uint64(1 << 31)
_U32 = np.uint64(32)
_EMPTY = np.uint64(0)


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

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold."""
        return int(self.slots.nbytes + self.blob.nbytes)

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

    def forget(self, person_id: str) -> bool:
        """Mark an id removed (a lookup then misses); return whether the table held it."""
        enc = encode_ids([person_id])
        if enc is None:
            return False
        return bool(_forget(self.slots, self.blob, self.shift, *enc))
